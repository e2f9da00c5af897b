package io.contextgraph.reliability;

import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.SentrySink;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Redis going away and coming back, and a Redis configured to evict keys. */
class RedisFaultsIT {
    private static final String BUCKET = "cg-redis-faults";

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void workersResumeAloneAfterRedisRestartsEmpty() throws Exception {
        try (RedisServer redis = new RedisServer();
             S3ProxyServer s3 = S3ProxyServer.startTransient();
             RoleProcess web = RoleProcess.builder("web").name("outage-web").redis(redis.port()).start()
                     .awaitHttp(Duration.ofSeconds(60));
             RoleProcess worker = RoleProcess.builder("worker").name("outage-worker").redis(redis.port())
                     .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                     .start().awaitLog("worker started", Duration.ofSeconds(60))) {
            s3.createBucket(BUCKET);
            String user = Uploads.newUser();
            assertThat(Http.post(web.uri("/v1/upload"), user, Uploads.withMarker("before")).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> keys(s3, user) == 1);

            redis.stop();
            Thread.sleep(3_000);
            redis.start(); // empty: no persistence in tests
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    Http.post(web.uri("/v1/upload"), user, Uploads.withMarker("after")).statusCode() == 200);
            await().atMost(Duration.ofSeconds(30)).until(() -> keys(s3, user) == 2);
            assertThat(worker.alive()).isTrue();
            // Log lines reach stdout from a background queue, a little later: wait for it, do not race it.
            worker.awaitLog("Consumer group missing; creating it again", Duration.ofSeconds(10));
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aWorkerRefusesARedisThatMayEvictQueuedWorkEvenWhenItComesUpLater() throws Exception {
        try (RedisServer redis = new RedisServer("--maxmemory-policy", "allkeys-lru");
             SentrySink sentry = new SentrySink()) {
            try (RoleProcess early = RoleProcess.builder("worker").name("evicting-early").redis(redis.port())
                    .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", "http://127.0.0.1:9").env("SENTRY_DSN", sentry.dsn())
                    .start()) {
                assertThat(early.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
                assertThat(early.output()).contains("contextgraph: configuration error: REDIS_ALLOW_EVICTION: "
                        + "Redis maxmemory-policy is allkeys-lru");
                assertThat(sentry.awaitEnvelope(body -> body.contains("maxmemory-policy is allkeys-lru"),
                        Duration.ofSeconds(10))).as("reported to Sentry").isPresent();
            }
            redis.stop();
            try (RoleProcess late = worker(redis, "evicting-late")) {
                late.awaitLog("retrying in the background", Duration.ofSeconds(60));
                assertThat(late.alive()).isTrue();
                redis.start();
                assertThat(late.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
                assertThat(late.output()).contains("contextgraph: configuration error: REDIS_ALLOW_EVICTION: "
                        + "Redis maxmemory-policy is allkeys-lru");
            }
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void evictionCanBeAllowedExplicitlyAndTheWebRoleOnlyWarns() throws Exception {
        try (RedisServer redis = new RedisServer("--maxmemory-policy", "volatile-lru");
             RoleProcess allowed = RoleProcess.builder("worker").name("evicting-allowed").redis(redis.port())
                     .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", "http://127.0.0.1:9")
                     .env("REDIS_ALLOW_EVICTION", "true").start();
             RoleProcess web = RoleProcess.builder("web").name("evicting-web").redis(redis.port()).start()) {
            allowed.awaitLog("worker started", Duration.ofSeconds(60));
            web.awaitHttp(Duration.ofSeconds(60));
            // Logged before "worker started" and before the web role listens, but written to stdout in batches.
            allowed.awaitLog("WARNING: Redis maxmemory-policy is volatile-lru", Duration.ofSeconds(10));
            web.awaitLog("WARNING: Redis maxmemory-policy is volatile-lru", Duration.ofSeconds(10));
            assertThat(Http.status(web.uri("/__heartbeat__"))).isEqualTo(200);
            assertThat(allowed.alive()).isTrue();
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aNoEvictionRedisIsFine() throws Exception {
        try (RedisServer redis = new RedisServer("--maxmemory-policy", "noeviction");
             RoleProcess worker = worker(redis, "noeviction-worker")) {
            worker.awaitLog("Redis maxmemory-policy is noeviction", Duration.ofSeconds(60));
            worker.awaitLog("worker started", Duration.ofSeconds(60));
            assertThat(worker.alive()).isTrue();
        }
    }

    /**
     * operations.md: the standalone, pointed at a Redis of its own with REDIS_HOST (so it embeds none), refuses an
     * evicting one as a worker does: one line naming REDIS_ALLOW_EVICTION, status 2; with it set to true it starts.
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aStandaloneRefusesARedisThatMayEvictQueuedWorkUnlessAllowed(@TempDir Path cwd) throws Exception {
        try (RedisServer redis = new RedisServer("--maxmemory-policy", "allkeys-lru")) {
            try (RoleProcess refused = RoleProcess.builder("standalone").name("evicting-standalone")
                    .directory(Files.createDirectories(cwd.resolve("refused"))).redis(redis.port()).start()) {
                assertThat(refused.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
                assertThat(refused.output().lines().filter(line -> line.startsWith("contextgraph:")))
                        .containsExactly("contextgraph: configuration error: REDIS_ALLOW_EVICTION: Redis "
                                + "maxmemory-policy is allkeys-lru, which can silently drop queued uploads and forget "
                                + "markers; set it to noeviction (or set REDIS_ALLOW_EVICTION=true to run anyway)");
            }
            try (RoleProcess allowed = RoleProcess.builder("standalone").name("evicting-standalone-allowed")
                    .directory(Files.createDirectories(cwd.resolve("allowed"))).redis(redis.port())
                    .env("REDIS_ALLOW_EVICTION", "true").start()) {
                allowed.awaitHttp(Duration.ofSeconds(60)).awaitLog("standalone.started", Duration.ofSeconds(60));
                allowed.awaitLog("WARNING: Redis maxmemory-policy is allkeys-lru", Duration.ofSeconds(10));
                assertThat(allowed.output()).as("its Redis is the one given, not an embedded one")
                        .contains("\"redis\":\"configured\"");
                assertThat(Http.status(allowed.uri("/__heartbeat__"))).isEqualTo(200);
                assertThat(allowed.alive()).isTrue();
            }
        }
    }

    private static RoleProcess worker(RedisServer redis, String name) throws Exception {
        return RoleProcess.builder("worker").name(name).redis(redis.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", "http://127.0.0.1:9").start();
    }

    private static int keys(S3ProxyServer s3, String user) {
        return s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/").size();
    }
}
