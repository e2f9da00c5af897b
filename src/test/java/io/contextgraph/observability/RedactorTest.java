package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What {@link Redactor} replaces, and what it leaves alone. */
class RedactorTest {

    private final Redactor redactor = new Redactor();

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            PUT https://bucket.s3.amazonaws.com/v1/x failed                 | PUT <url> failed
            see http://example.com/a?b=c#d.                                 | see <url>
            redirect to HTTPS://Example.com/                                | redirect to <url>
            "https://a.example/b" was quoted                                | "<url>" was quoted
            <https://a.example/b>                                           | <<url>>
            s3://bucket/v1/sessions/user=abc/date=2026-11-25                | <url>
            two: http://a.example and https://b.example/x                   | two: <url> and <url>
            key v1/sessions/user=0f8b1c2d3e4f/date=2026-11-25/id.json.gz    | key v1/sessions/user=<redacted>/date=2026-11-25/id.json.gz
            Key: v1/sessions/user=a!(b)*-._~/x                              | Key: v1/sessions/user=<redacted>/x
            encoded user%3Dabc-123%2Fdate                                   | encoded user%3D<redacted>
            USER=Abc end                                                    | USER=<redacted> end
            header X-User: 9a8b7c6d                                         | header X-User: <redacted>
            x-user=9a8b7c6d;next                                            | x-user=<redacted>;next
            """)
    void replacesUrlsAndTokens(String text, String expected) {
        assertThat(redactor.redact(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            startup check failed: redis
            connection refused: localhost/127.0.0.1:6379
            username is not a token
            user= alone
            queue length 12 over cap 10
            path v1.upload
            """)
    void leavesOrdinaryTextAlone(String text) {
        assertThat(redactor.redact(text)).isEqualTo(text);
    }

    @org.junit.jupiter.api.Test
    void keepsNullAndEmpty() {
        assertThat(redactor.redact(null)).isNull();
        assertThat(redactor.redact("")).isEmpty();
    }
}
