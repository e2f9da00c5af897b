package io.contextgraph.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * operations.md: with {@code maxmemory-policy noeviction} a full Redis refuses the write and the client gets a 503
 * (and retries); "If the call fails (Redis down, timeout, OOM), every upload of that call gets the same 503 as a
 * single one would". api.md: every API answer, errors included, carries the CORS headers.
 */
class RedisOutOfMemoryIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aFullNoEvictionRedisGetsEveryUploadA503AndUploadsSucceedOnceItHasRoom() throws Exception {
        try (RedisServer redis = new RedisServer("--maxmemory", "8mb", "--maxmemory-policy", "noeviction");
             RoleProcess web = RoleProcess.builder("web").name("oom-web").redis(redis.port()).start()
                     .awaitHttp(Duration.ofSeconds(60))) {
            assertThat(upload(web).statusCode()).as("the script is loaded, the connection up").isEqualTo(200);

            // One short command allocates a string larger than maxmemory: every write from now on is refused.
            redis.cli("SETRANGE", "filler", Integer.toString(9 * 1024 * 1024), "x");
            assertThat(redis.cli("SET", "probe", "1")).as("Redis itself refuses writes").startsWith("OOM");
            String before = redis.cli("XLEN", "cg:tasks");
            assertThat(before).isEqualTo("1");

            assertRedisUnavailable(upload(web), "a lone upload");
            // Concurrent uploads, so that some travel together in one refused script call.
            List<HttpResponse<String>> answers = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<HttpResponse<String>>> sent = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    sent.add(clients.submit(() -> upload(web)));
                }
                for (Future<HttpResponse<String>> answer : sent) {
                    answers.add(answer.get(60, TimeUnit.SECONDS));
                }
            }
            for (HttpResponse<String> answer : answers) {
                assertRedisUnavailable(answer, "concurrent uploads");
            }
            assertThat(redis.cli("XLEN", "cg:tasks")).as("nothing was queued").isEqualTo(before);
            assertThat(redis.cli("HGET", "cg:stats", "uploads_accepted")).as("nothing was counted").isEqualTo("1");
            assertThat(redis.cli("KEYS", "cg:dedup:*").lines().filter(line -> !line.isBlank()).count())
                    .as("no dedup entry but the first upload's").isEqualTo(1);

            redis.cli("CONFIG", "SET", "maxmemory", "0");
            assertThat(upload(web).statusCode()).as("room again: accepted").isEqualTo(200);
            assertThat(redis.cli("XLEN", "cg:tasks")).isEqualTo("2");
        }
    }

    private static HttpResponse<String> upload(RoleProcess web) {
        return Http.post(web.uri("/v1/upload"), Uploads.newUser(), Uploads.withMarker("oom"));
    }

    /** The 503 of "Redis cannot be reached or does not answer in time" (api.md): JSON, Retry-After 5, CORS. */
    private static void assertRedisUnavailable(HttpResponse<String> res, String what) throws Exception {
        assertThat(res.statusCode()).as(what + ": " + res.body()).isEqualTo(503);
        assertThat(res.headers().firstValue("Retry-After")).as(what).hasValue("5");
        assertThat(res.headers().firstValue("Content-Type")).as(what).hasValue("application/json");
        assertThat(res.headers().firstValue("Cache-Control")).as(what).hasValue("no-store");
        assertThat(res.headers().firstValue("Access-Control-Allow-Origin")).as(what).hasValue("*");
        assertThat(res.headers().firstValue("Access-Control-Expose-Headers")).as(what).hasValue("Retry-After");
        assertThat(res.headers().firstValue("Access-Control-Allow-Methods")).as(what)
                .hasValue("POST, PUT, HEAD, OPTIONS");
        assertThat(res.headers().firstValue("Access-Control-Allow-Headers")).as(what)
                .hasValue("Content-Encoding, Content-Type, X-User");
        assertThat(res.headers().firstValue("Access-Control-Max-Age")).as(what).hasValue("86400");
        JsonNode body = JSON.readTree(res.body());
        assertThat(body.path("status").asText()).as(what).isEqualTo("error");
        assertThat(body.path("message").asText()).as(what).isNotBlank().doesNotContain("OOM");
    }
}
