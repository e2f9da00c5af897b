package io.contextgraph.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.testing.FreePorts;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.Uploads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import software.amazon.awssdk.services.s3.model.S3Exception;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/stats} after real uploads, drops and a delete processed by a real worker: the
 * figures follow, the answer is cached, and it is the same for everybody and names nobody; it is a
 * 503 only until Redis first answers, and the last figures once Redis is gone.
 */
class StatsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "cg-stats";
    /** Longer than the web role's stats cache (ApiRoutes.STATS_CACHE), so a refresh is seen. */
    private static final Duration WAIT = Duration.ofSeconds(45);
    private static final Duration STATS_CACHE_AND_MORE = Duration.ofSeconds(13);
    // Polls of the bucket ignore S3Exception: S3Proxy's in-memory store once answered a listing made while the
    // worker was writing with a bare 400; the poll simply asks again, and the assertions after it still hold.

    private static RedisServer redis;
    private static S3ProxyServer s3;
    private static RoleProcess web;
    private static RoleProcess worker;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisServer();
        s3 = S3ProxyServer.startTransient();
        s3.createBucket(BUCKET);
        web = RoleProcess.builder("web").name("stats-web").redis(redis.port()).start()
                .awaitHttp(Duration.ofSeconds(60));
        worker = RoleProcess.builder("worker").name("stats-worker").redis(redis.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                .env("QUEUE_VISIBILITY_TIMEOUT", "3s").env("QUEUE_RETRY_DELAY", "200ms")
                .start().awaitLog("worker started", Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable part : new AutoCloseable[] {worker, web, s3, redis}) {
            if (part != null) {
                part.close();
            }
        }
    }

    @Test
    void theFiguresFollowUploadsDropsAndDeletesAndAreCachedAndAnonymous() {
        HttpResponse<String> before = stats(null);
        assertThat(before.statusCode()).isEqualTo(200);
        assertThat(figures(before)).containsEntry("uploads_accepted", 0L).containsEntry("sessions_stored", 0L)
                .containsEntry("sessions_dropped", 0L).containsEntry("users_deleted", 0L)
                .containsEntry("contributors_estimate", 0L);

        String stays = Uploads.newUser();
        String leaves = Uploads.newUser();
        long started = System.nanoTime();
        assertThat(upload(stays, twoKeptOneDropped())).isEqualTo(200);
        // While the copy is fresh, callers get it as it was, not a new Redis read per request.
        HttpResponse<String> cached = stats(null);
        if (Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(5)) < 0) {
            assertThat(cached.body()).isEqualTo(before.body());
        }
        assertThat(upload(stays, new String(Uploads.withMarker("again"), StandardCharsets.UTF_8))).isEqualTo(200);
        assertThat(upload(leaves, new String(Uploads.withMarker("leaves"), StandardCharsets.UTF_8))).isEqualTo(200);
        await().atMost(WAIT).ignoreExceptionsInstanceOf(S3Exception.class)
                .until(() -> keys(stays).size() == 2 && keys(leaves).size() == 1);
        // An object is visible before its upload is completed, and a delete accepted in between covers the upload:
        // it is removed again and never counted as stored. Wait for the completions (the stream holds only
        // unfinished work), so that the delete comes after them.
        await().atMost(WAIT).until(() -> redis.cli("XLEN", "cg:tasks").strip().equals("0"));
        assertThat(Http.post(web.uri("/v1/delete"), leaves, new byte[0]).statusCode()).isEqualTo(200);
        await().atMost(WAIT).ignoreExceptionsInstanceOf(S3Exception.class)
                .until(() -> keys(leaves).isEmpty());

        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                .until(() -> figures(stats(null)).get("users_deleted") == 1L);
        HttpResponse<String> after = stats(null);
        Map<String, Long> figures = figures(after);
        assertThat(figures).containsEntry("uploads_accepted", 3L).containsEntry("sessions_stored", 4L)
                .containsEntry("sessions_dropped", 1L).containsEntry("users_deleted", 1L)
                .containsEntry("contributors_estimate", 2L);

        assertThat(after.headers().firstValue("Cache-Control")).hasValue("public, max-age=10");
        assertThat(after.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(after.body()).doesNotContain(stays, leaves);
        // Per service, not per user: who asks makes no difference.
        assertThat(stats(stays).body()).isEqualTo(after.body());
        assertThat(stats(leaves).body()).isEqualTo(after.body());
        assertThat(redis.cli("HGETALL", "cg:stats")).doesNotContain(stays, leaves);
    }

    @Test
    void onlyGetHeadAndOptionsAreAnswered() {
        assertThat(Http.send(HttpRequest.newBuilder(web.uri("/v1/stats"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(200);
        assertThat(Http.send(HttpRequest.newBuilder(web.uri("/v1/stats"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(200);
        assertThat(Http.post(web.uri("/v1/stats"), Uploads.newUser(), new byte[0]).statusCode()).isEqualTo(405);
    }

    @Test
    void isA503OnlyUntilRedisFirstAnswersAndThenServesTheLastFigures() throws Exception {
        int redisPort = FreePorts.next(); // nobody listens there until the RedisServer below
        try (RoleProcess early = RoleProcess.builder("web").name("stats-early-web").redis(redisPort).start()
                .awaitHttp(Duration.ofSeconds(60))) {
            HttpResponse<String> unavailable = Http.get(early.uri("/v1/stats"));
            assertThat(unavailable.statusCode()).isEqualTo(503);
            assertThat(unavailable.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(unavailable.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(unavailable.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
            assertThat(JSON.readTree(unavailable.body()).path("status").asText()).isEqualTo("error");

            try (RedisServer late = new RedisServer(redisPort)) {
                // An upload answered 200 shows that the web role reached Redis; no stats request was served since,
                // so the first 200 below is read from Redis and holds the upload.
                await().atMost(WAIT).until(() -> upload(early, Uploads.newUser(), Uploads.sessions(1)) == 200);
                HttpResponse<String> fresh = await().atMost(WAIT)
                        .until(() -> Http.get(early.uri("/v1/stats")), res -> res.statusCode() == 200);
                assertThat(figures(fresh)).containsEntry("uploads_accepted", 1L).containsEntry("queue_length", 1L)
                        .containsEntry("contributors_estimate", 1L);
                late.stop();

                // Polled for longer than the cache lives (ApiRoutes.STATS_CACHE), so refreshes are tried without
                // Redis: each answer is still the last copy, never a 503.
                await().during(STATS_CACHE_AND_MORE).atMost(STATS_CACHE_AND_MORE.plusSeconds(3))
                        .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                            HttpResponse<String> stale = Http.get(early.uri("/v1/stats"));
                            assertThat(stale.statusCode()).isEqualTo(200);
                            assertThat(stale.body()).isEqualTo(fresh.body());
                            assertThat(stale.headers().firstValue("Cache-Control")).hasValue("public, max-age=10");
                        });
            }
        }
    }

    private static int upload(RoleProcess role, String user, byte[] body) {
        return Http.post(role.uri("/v1/upload"), user, body).statusCode();
    }

    private static String twoKeptOneDropped() {
        long now = Instant.now().getEpochSecond();
        return "{\"sessions\":[{\"url\":\"https://www.mozilla.org/a\",\"start_time\":" + now + "},"
                + "{\"url\":\"https://www.mozilla.org/b\",\"start_time\":" + now + "},"
                + "{\"url\":\"http://10.0.0.1/router\",\"start_time\":" + now + "}]}";
    }

    private static int upload(String user, String body) {
        return Http.post(web.uri("/v1/upload"), user, body.getBytes(StandardCharsets.UTF_8)).statusCode();
    }

    private static List<String> keys(String user) {
        return s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/");
    }

    private static HttpResponse<String> stats(String user) {
        HttpRequest.Builder request = HttpRequest.newBuilder(web.uri("/v1/stats")).GET();
        if (user != null) {
            request.header("X-User", user);
        }
        return Http.send(request);
    }

    private static Map<String, Long> figures(HttpResponse<String> response) {
        try {
            JsonNode root = JSON.readTree(response.body());
            List<String> names = new ArrayList<>();
            root.fieldNames().forEachRemaining(names::add);
            Map<String, Long> figures = new java.util.TreeMap<>();
            for (String name : names) {
                assertThat(root.get(name).isIntegralNumber()).as(name).isTrue();
                figures.put(name, root.get(name).asLong());
            }
            return figures;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
