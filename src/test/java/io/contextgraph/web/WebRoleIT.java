package io.contextgraph.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.SentrySink;
import io.contextgraph.testing.StatsdSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The web role as a real process against a real Redis of its own. */
class WebRoleIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** docs/deploy.md: the Dockerflow endpoints write no request.summary line. */
    private static final String[] HEALTH_PATHS = {"/__lbheartbeat__", "/__heartbeat__", "/__version__"};
    private static RedisServer redis;
    private static StatsdSink statsd;
    private static RoleProcess web;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisServer();
        statsd = new StatsdSink();
        web = RoleProcess.builder("web").name("web-role").redis(redis.port())
                .env("STATSD_HOST", "127.0.0.1").env("STATSD_PORT", Integer.toString(statsd.port()))
                .start().awaitHttp(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        if (web != null) {
            web.close();
        }
        if (statsd != null) {
            statsd.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void lbheartbeatAnswersWithoutTouchingRedis() {
        HttpResponse<String> res = Http.get(web.uri("/__lbheartbeat__"));
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json");
    }

    @Test
    void heartbeatIsOkWithRedis() throws Exception {
        HttpResponse<String> res = Http.get(web.uri("/__heartbeat__"));
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(res.body());
        assertThat(body.path("status").asText()).isEqualTo("ok");
        assertThat(body.path("checks").path("redis").asText()).isEqualTo("ok");
        assertThat(body.has("details")).isTrue();
    }

    @Test
    void versionComesFromTheBuild() throws Exception {
        HttpResponse<String> res = Http.get(web.uri("/__version__"));
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(res.body());
        assertThat(body.fieldNames()).toIterable().contains("source", "version", "commit", "build");
        assertThat(body.path("version").asText()).matches("\\d+\\.\\d+\\.\\d+.*");
        for (String field : new String[] {"source", "commit", "build"}) {
            assertThat(body.path(field).asText()).as(field).isNotBlank().doesNotContain("${");
        }
        // The file the Dockerfile copies to /app/version.json: what is served is that file, a value the build left
        // unfilled (no COMMIT given) served as "unknown".
        JsonNode built = JSON.readTree(Files.readString(Path.of("target/classes/version.json")));
        built.fieldNames().forEachRemaining(field -> assertThat(body.path(field).asText()).as(field)
                .isEqualTo(built.path(field).asText().startsWith("${") ? "unknown" : built.path(field).asText()));
        assertThat(body.size()).isEqualTo(built.size());
    }

    @Test
    void robotsDisallowsTheDockerflowEndpoints() {
        HttpResponse<String> res = Http.get(web.uri("/robots.txt"));
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(res.body()).contains("User-agent: *", "Disallow: /__heartbeat__", "Disallow: /__lbheartbeat__",
                "Disallow: /__version__");
    }

    @Test
    void indexPageExplainsTheServiceUnderAStrictPolicy() {
        HttpResponse<String> res = Http.get(web.uri("/"));
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(res.headers().firstValue("Content-Security-Policy").orElse(""))
                .contains("default-src 'none'", "frame-ancestors 'none'").doesNotContain("script-src");
        assertThat(res.body()).contains("What we keep", "How to be forgotten", "/v1/delete");
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() {
        for (String path : new String[] {"/", "/__lbheartbeat__", "/v1/upload", "/no-such-page"}) {
            HttpResponse<String> res = Http.get(web.uri(path));
            assertThat(res.headers().firstValue("Strict-Transport-Security")).as(path).hasValueSatisfying(v ->
                    assertThat(v).startsWith("max-age="));
            assertThat(res.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
        }
    }

    @Test
    void unknownPathsAreJson404s() throws Exception {
        HttpResponse<String> res = Http.get(web.uri("/no-such-page"));
        assertThat(res.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(res.body()).path("message").asText()).isNotBlank();
    }

    @Test
    void requestsAreCountedAndTimedButHealthChecksAreNot() {
        Http.get(web.uri("/"));
        Http.get(web.uri("/__heartbeat__"));
        Http.get(web.uri("/__lbheartbeat__"));
        Http.get(web.uri("/robots.txt"));
        assertThat(statsd.awaitLine(l -> l.startsWith("request:1|c") && l.contains("path:index")
                && l.contains("method:get") && l.contains("status:200"), Duration.ofSeconds(20))).isPresent();
        assertThat(statsd.awaitLine(l -> l.startsWith("request:") && l.contains("|ms") && l.contains("path:index"),
                Duration.ofSeconds(20))).isPresent();
        assertThat(statsd.lines()).noneMatch(l -> l.contains("heartbeat") || l.contains("robots"));
    }

    @Test
    void heartbeatTurns503WhileRedisIsDownAndRecoversWithoutRestart() throws Exception {
        long pid = web.pid();
        redis.stop();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.status(web.uri("/__heartbeat__")) == 503);
            HttpResponse<String> down = Http.get(web.uri("/__heartbeat__"));
            JsonNode body = JSON.readTree(down.body());
            assertThat(body.path("status").asText()).isEqualTo("error");
            assertThat(body.path("checks").path("redis").asText()).isEqualTo("error");
            assertThat(body.path("details").path("redis").asText()).isNotBlank();
            assertThat(Http.status(web.uri("/__lbheartbeat__"))).isEqualTo(200);
        } finally {
            redis.start();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> Http.status(web.uri("/__heartbeat__")) == 200);
        assertThat(web.pid()).isEqualTo(pid);
        assertThat(web.alive()).isTrue();
    }

    @Test
    void healthChecksWriteNoRequestSummaryAndAnApiRequestsLineHoldsNoClientAddress() throws Exception {
        // Two API requests around the health checks, told apart by their method. Logging is asynchronous but keeps
        // the order of the requests: once the second one's line is written, a health check's would have been.
        Http.post(web.uri("/v1/jwk"), null, new byte[0]);
        await().atMost(Duration.ofSeconds(10)).until(() -> !summariesAfterThePost().isEmpty());
        for (String path : HEALTH_PATHS) {
            assertThat(Http.status(web.uri(path))).as(path).isEqualTo(200);
        }
        assertThat(Http.status(web.uri("/v1/jwk"))).isEqualTo(404);
        await().atMost(Duration.ofSeconds(10)).until(() -> summariesAfterThePost().size() > 1);

        List<String> written = summariesAfterThePost();
        assertThat(written).hasSize(2);
        JsonNode line = JSON.readTree(written.get(1));
        assertThat(line.path("Fields").path("method").asText()).isEqualTo("get");
        assertThat(line.path("Fields").path("path").asText()).isEqualTo("/v1/jwk");
        // docs/privacy.md: the client's IP address is not written down. These are all the line holds; a field added
        // (the peer's address, a forwarded-for header) fails here until it is shown to hold no personal data.
        assertThat(line.fieldNames()).toIterable().containsExactlyInAnyOrder(
                "Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid", "Fields");
        assertThat(line.path("Fields").fieldNames()).toIterable()
                .containsExactlyInAnyOrder("path", "method", "status", "t");
        assertThat(written.get(1)).doesNotContain("127.0.0.1");
    }

    @Test
    void theHealthChecksAndTheIndexPageSetNoCookie() {
        // docs/privacy.md: "we do not use cookies".
        for (String path : new String[] {"/", "/__lbheartbeat__", "/__heartbeat__", "/__version__", "/robots.txt"}) {
            HttpResponse<String> res = Http.get(web.uri(path));
            assertThat(res.statusCode()).as(path).isEqualTo(200);
            assertThat(res.headers().map().keySet()).as(path)
                    .noneMatch(name -> name.equalsIgnoreCase("Set-Cookie") || name.equalsIgnoreCase("Set-Cookie2"));
        }
    }

    /** The request.summary lines from the last POST /v1/jwk on (which no other test sends). */
    private static List<String> summariesAfterThePost() {
        List<String> lines = web.output().lines().filter(l -> l.contains("\"Type\":\"request.summary\"")).toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).contains("\"path\":\"/v1/jwk\",\"method\":\"post\"")) {
                return lines.subList(i, lines.size());
            }
        }
        return List.of();
    }

    @Test
    void logsAreMozlogJsonLines() throws Exception {
        Http.post(web.uri("/v1/upload"), null, new byte[0]);
        await().atMost(Duration.ofSeconds(10)).until(() -> web.output().contains("request.summary"));
        for (String line : web.output().split("\n")) {
            if (line.isBlank() || !line.startsWith("{")) {
                continue;
            }
            JsonNode entry = JSON.readTree(line);
            assertThat(entry.fieldNames()).toIterable()
                    .contains("Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid", "Fields");
            assertThat(entry.path("EnvVersion").asText()).isEqualTo("2.0");
        }
        String summary = web.output().lines().filter(l -> l.contains("\"request.summary\"")).findFirst().orElseThrow();
        JsonNode fields = JSON.readTree(summary).path("Fields");
        assertThat(fields.path("path").asText()).isEqualTo("/v1/upload");
        assertThat(fields.path("status").asInt()).isEqualTo(400);
        assertThat(fields.has("t")).isTrue();
    }
}
