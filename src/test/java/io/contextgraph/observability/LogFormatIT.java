package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** LOG_FORMAT as a role process reads it: text lines for people, JSON by default, and a typo stops the start. */
class LogFormatIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void textGivesOneReadableLinePerEventAndNoJson() throws Exception {
        try (RedisServer redis = new RedisServer();
             RoleProcess web = RoleProcess.builder("web").name("logformat-text").redis(redis.port())
                     .env("LOG_FORMAT", "text").start().awaitHttp(WAIT)) {
            String user = Uploads.newUser();
            assertThat(Http.post(web.uri("/v1/upload"), user, Uploads.sessions(1), "Content-Type", "application/json")
                    .statusCode()).isEqualTo(200);
            web.awaitLog("type=\"request.summary\"", WAIT);

            assertThat(web.output().lines().filter(line -> line.contains("request.summary")))
                    .singleElement().satisfies(line -> assertThat(line)
                            .matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  request\\.summary  type=\"request.summary\" .*status=\"200\".*"));
            assertThat(web.output()).doesNotContain("{\"Timestamp\"", user);
        }
    }

    @Test
    void jsonIsTheDefault() throws Exception {
        try (RedisServer redis = new RedisServer();
             RoleProcess web = RoleProcess.builder("web").name("logformat-default").redis(redis.port())
                     .env("LOG_FORMAT", "").start().awaitHttp(WAIT)) {
            web.awaitLog("\"Type\":\"startup\"", WAIT);
            assertThat(web.output().lines()).allMatch(line -> line.startsWith("{\"Timestamp\":"));
        }
    }

    @Test
    void anUnknownFormatStopsTheStartWithOneLineNamingTheVariable() throws Exception {
        try (RoleProcess web = RoleProcess.builder("web").name("logformat-bad").env("LOG_FORMAT", "yaml").start()) {
            assertThat(web.awaitExit(WAIT)).isEqualTo(2);
            assertThat(web.output()).isEqualTo("contextgraph: configuration error: LOG_FORMAT: must be json or text, got \"yaml\"\n");
        }
    }
}
