package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.contextgraph.testing.SentrySink;
import io.sentry.Breadcrumb;
import io.sentry.Sentry;
import io.sentry.protocol.User;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real Sentry SDK sending real envelopes to a loopback {@link SentrySink}. */
class ErrorReporterIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOKEN = "f3b2a1c0d9e84f7a";

    private SentrySink sink;

    @BeforeEach
    void start() {
        sink = new SentrySink();
    }

    @AfterEach
    void stop() {
        sink.close();
    }

    private String awaitEvent(String marker) {
        return sink.awaitEnvelope(body -> body.contains("\"type\":\"event\"") && body.contains(marker), WAIT)
                .orElseThrow(() -> new AssertionError("no event with " + marker + " in " + sink.bodies()));
    }

    @Test
    void sendsTheReleaseTheRoleAndWhatFailedButNoPersonalData() {
        try (ErrorReporter reporter = ErrorReporter.start(Optional.of(sink.dsn()), "1.2.3", "worker", Optional.of("it"))) {
            // What other code might have put on the SDK's scope must not leave the process either.
            User user = new User();
            user.setId(TOKEN);
            user.setIpAddress("203.0.113.9");
            Sentry.setUser(user);
            Sentry.setExtra("body", "{\"sessions\":[{\"url\":\"https://private.example/" + TOKEN + "\"}]}");
            Breadcrumb crumb = new Breadcrumb("GET https://private.example/page?user=" + TOKEN);
            crumb.setData("X-User", TOKEN);
            Sentry.addBreadcrumb(crumb);

            Exception cause = new IllegalStateException("GET https://private.example/page?q=" + TOKEN + " failed");
            Exception error = new RuntimeException("PUT v1/sessions/user=" + TOKEN + "/date=2026-11-25/a.json.gz", cause);
            reporter.report(error, "task failed: upload");
            reporter.flush(WAIT);

            String envelope = awaitEvent("task failed: upload");
            assertThat(envelope)
                    .contains("\"release\":\"1.2.3\"")
                    .contains("\"environment\":\"it\"")
                    .contains("\"role\":\"worker\"")
                    .contains("\"type\":\"RuntimeException\"", "\"type\":\"IllegalStateException\"")
                    .contains("PUT v1/sessions/user=<redacted>/date=2026-11-25/a.json.gz")
                    .contains("GET <url> failed")
                    .contains("ErrorReporterIT");
            assertThat(envelope)
                    .doesNotContain(TOKEN)
                    .doesNotContain("private.example")
                    .doesNotContain("203.0.113.9")
                    .doesNotContain("\"user\":")
                    .doesNotContain("\"request\":")
                    .doesNotContain("\"vars\"")
                    .doesNotContain("\"extra\":{\"");
        }
    }

    @Test
    void anUncaughtExceptionIsReportedToo() throws InterruptedException {
        try (ErrorReporter reporter = ErrorReporter.start(Optional.of(sink.dsn()), "1.2.3", "web", Optional.empty())) {
            Thread crashing = new Thread(() -> {
                throw new IllegalStateException("crash at https://private.example/x");
            });
            crashing.start();
            crashing.join(WAIT.toMillis());
            reporter.flush(WAIT);

            String envelope = awaitEvent("IllegalStateException");
            assertThat(envelope).contains("\"role\":\"web\"").contains("crash at <url>").doesNotContain("private.example");
        }
    }

    @Test
    void withoutADsnReportingIsOff() {
        try (ErrorReporter off = ErrorReporter.start(Optional.empty(), "1.2.3", "web", Optional.empty());
                ErrorReporter blank = ErrorReporter.start(Optional.of("  "), "1.2.3", "web", Optional.empty())) {
            assertThat(off.enabled()).isFalse();
            assertThat(blank.enabled()).isFalse();
            assertThat(Sentry.isEnabled()).isFalse();
            off.report(new RuntimeException("not sent"), "nothing");
            blank.report(new RuntimeException("not sent"), "nothing");
            off.flush(Duration.ofMillis(100));
        }
        // The sink works: a reporter that has a DSN reaches it, and only its event arrived.
        try (ErrorReporter on = ErrorReporter.start(Optional.of(sink.dsn()), "1.2.3", "web", Optional.empty())) {
            on.report(new RuntimeException("marker"), "marker");
            on.flush(WAIT);
            awaitEvent("marker");
        }
        assertThat(sink.bodies()).noneMatch(body -> body.contains("not sent"));
    }
}
