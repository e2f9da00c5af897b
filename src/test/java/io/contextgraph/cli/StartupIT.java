package io.contextgraph.cli;

import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.SentrySink;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Starting the real jar: roles, usage, configuration errors and failed startup checks. */
class StartupIT {

    @Test
    void workerWithoutBucketStopsNamingTheVariable() throws Exception {
        try (RoleProcess worker = RoleProcess.builder("worker").name("no-bucket").start()) {
            assertThat(worker.awaitExit(Duration.ofSeconds(30))).isNotZero();
            assertThat(worker.output().strip().lines().toList())
                    .containsExactly("contextgraph: configuration error: S3_BUCKET: is required for the worker role "
                            + "(the bucket uploads are stored in)");
        }
    }

    @Test
    void aForgetMarkerThatCouldExpireBeforeAParkedUploadIsReplayedStopsTheWorker() throws Exception {
        try (RoleProcess worker = RoleProcess.builder("worker").name("short-marker").env("S3_BUCKET", "bucket")
                .env("FORGET_MARKER_TTL", "14d").start()) {
            assertThat(worker.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
            assertThat(worker.output().strip().lines().toList()).singleElement().asString()
                    .startsWith("contextgraph: configuration error: FORGET_MARKER_TTL: must be longer than");
        }
    }

    @Test
    void malformedPortStopsTheWebRole() throws Exception {
        try (RoleProcess web = RoleProcess.builder("web").name("bad-port").env("PORT", "80").env("REDIS_PORT", "sixty")
                .start()) {
            assertThat(web.awaitExit(Duration.ofSeconds(30))).isNotZero();
            assertThat(web.output()).contains("REDIS_PORT: must be a whole number");
        }
    }

    @Test
    void malformedKeyStopsTheWebRole() throws Exception {
        try (RoleProcess web = RoleProcess.builder("web").name("bad-key").env("PUBLIC_KEY", "not a key!").start()) {
            assertThat(web.awaitExit(Duration.ofSeconds(30))).isNotZero();
            assertThat(web.output()).contains("configuration error: PUBLIC_KEY:");
        }
    }

    @Test
    void unknownRolePrintsUsage() throws Exception {
        try (RoleProcess unknown = RoleProcess.builder("janitor").name("unknown-role").start()) {
            assertThat(unknown.awaitExit(Duration.ofSeconds(30))).isNotZero();
            assertThat(unknown.output()).contains("Usage:", "web", "worker");
        }
    }

    @Test
    void noArgumentMeansWeb() throws Exception {
        try (RedisServer redis = new RedisServer();
             RoleProcess web = RoleProcess.builder().name("default-role").redis(redis.port()).start()) {
            web.awaitHttp(Duration.ofSeconds(60));
            assertThat(Http.status(web.uri("/__heartbeat__"))).isEqualTo(200);
        }
    }

    @Test
    void webStartedBeforeRedisReportsToSentryAndRecoversAlone() throws Exception {
        int redisPort = RoleProcess.freePort();
        try (SentrySink sentry = new SentrySink();
             RoleProcess web = RoleProcess.builder("web").name("late-redis").env("REDIS_HOST", "127.0.0.1")
                     .env("REDIS_PORT", Integer.toString(redisPort)).env("SENTRY_DSN", sentry.dsn()).start()) {
            web.awaitHttp(Duration.ofSeconds(60));
            assertThat(sentry.awaitEnvelope(e -> e.contains("startup check failed: redis"), Duration.ofSeconds(30)))
                    .hasValueSatisfying(envelope -> assertThat(envelope).contains("contextgraph@"));
            assertThat(Http.status(web.uri("/__heartbeat__"))).isEqualTo(503);
            try (RedisServer redis = new RedisServer(redisPort)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> Http.status(web.uri("/__heartbeat__")) == 200);
            }
        }
    }

    @Test
    void webStopsCleanlyOnSigterm() throws Exception {
        try (RedisServer redis = new RedisServer();
             RoleProcess web = RoleProcess.builder("web").name("sigterm").redis(redis.port()).start()) {
            web.awaitHttp(Duration.ofSeconds(60));
            web.terminate(Duration.ofSeconds(30));
            assertThat(web.output()).contains("\"stopped\"");
            assertThat(web.listening()).isFalse();
        }
    }
}
