package io.contextgraph.observability;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.testing.FreePorts;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.SentrySink;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Error reports of both roles, from the real jar to a real (local) Sentry endpoint, while personal data flows
 * through them: each carries the release, and neither the reports nor the logs carry the X-User token, the URL,
 * the body, request data or local variables.
 */
class SentryConformanceIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void reportsOfBothRolesCarryTheReleaseAndNothingPersonal() throws Exception {
        String token = UUID.randomUUID().toString().replace("-", "");
        String url = "https://www.mozilla.org/en-US/sentry-conformance-" + UUID.randomUUID() + "/";
        String body = "{\"sessions\":[{\"url\":\"" + url + "\",\"start_time\":" + Instant.now().getEpochSecond()
                + ",\"duration\":2400,\"tab_id\":\"-31-2\"}]}";
        int redisPort = FreePorts.next();
        int deadS3Port = FreePorts.next();
        String webOutput;
        String workerOutput;
        String version;
        try (SentrySink sentry = new SentrySink()) {
            try (RoleProcess web = RoleProcess.builder("web").name("sentry-web").env("REDIS_HOST", "127.0.0.1")
                         .env("REDIS_PORT", Integer.toString(redisPort)).env("SENTRY_DSN", sentry.dsn()).start();
                 RoleProcess worker = RoleProcess.builder("worker").name("sentry-worker").env("REDIS_HOST", "127.0.0.1")
                         .env("REDIS_PORT", Integer.toString(redisPort)).env("SENTRY_DSN", sentry.dsn())
                         .env("S3_BUCKET", "cg-sentry").env("S3_ENDPOINT", "http://127.0.0.1:" + deadS3Port)
                         .env("QUEUE_MAX_ATTEMPTS", "1").env("QUEUE_VISIBILITY_TIMEOUT", "2s")
                         .env("QUEUE_RETRY_DELAY", "100ms").start()) {
                web.awaitHttp(WAIT);
                // Startup checks: Redis down for both roles, S3 unreachable for the worker.
                awaitReport(sentry, "\"role\":\"web\"", "startup check failed: redis");
                awaitReport(sentry, "\"role\":\"worker\"", "startup check failed: redis");
                awaitReport(sentry, "\"role\":\"worker\"", "startup check failed: storage");

                // Personal data while Redis is down (503), then through the whole pipeline once it is up.
                assertThat(upload(web, token, body)).isEqualTo(503);
                try (RedisServer redis = new RedisServer(redisPort)) {
                    await().atMost(WAIT).until(() -> Http.status(web.uri("/__heartbeat__")) == 200);
                    assertThat(upload(web, token, body)).isEqualTo(200);
                    // The worker decodes it, fails to store it (S3 down) and parks it: it has held every byte.
                    await().atMost(WAIT).until(() -> redis.cli("XLEN", "cg:dead").equals("1"));
                    redis.kill();
                    // A running worker that loses its queue reports it (an unexpected error, not a startup check).
                    awaitReport(sentry, "\"role\":\"worker\"", "worker cannot read the queue");
                    assertThat(upload(web, token, body)).isEqualTo(503);
                }
                version = Http.get(web.uri("/__version__")).body();
                web.terminate(WAIT);
                worker.terminate(WAIT);
                webOutput = web.output();
                workerOutput = worker.output();
            }
            List<String> envelopes = sentry.bodies();
            String release = "contextgraph@" + new ObjectMapper().readTree(version).get("version").asText();
            List<String> events = envelopes.stream().filter(e -> e.contains("\"type\":\"event\"")).toList();
            assertThat(events).hasSizeGreaterThanOrEqualTo(4);
            for (String event : events) {
                assertThat(event).contains("\"release\":\"" + release + "\"")
                        .doesNotContain("\"vars\"", "\"request\"", "\"user\":{");
            }
            for (String text : concat(envelopes, List.of(webOutput, workerOutput))) {
                assertThat(text).doesNotContain(token, url, body, url.substring(url.indexOf("sentry-conformance")));
            }
        }
    }

    private static int upload(RoleProcess web, String token, String body) {
        return Http.post(web.uri("/v1/upload"), token, body.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json").statusCode();
    }

    private static void awaitReport(SentrySink sentry, String role, String message) {
        assertThat(sentry.awaitEnvelope(e -> e.contains(message) && e.contains(role), WAIT))
                .as("a report \"" + message + "\" from " + role).isPresent();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
