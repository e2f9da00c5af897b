package io.contextgraph.cli;

import io.contextgraph.testing.FreePorts;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.SentrySink;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
        int redisPort = FreePorts.next();
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

    @Test
    void aRoleWithAnotherShardCountThanTheQueueInRedisStopsWithOneLineNamingQueueShards() throws Exception {
        try (RedisServer redis = new RedisServer()) {
            try (RoleProcess first = RoleProcess.builder("web").name("shards-4").redis(redis.port())
                    .env("QUEUE_SHARDS", "4").start().awaitHttp(Duration.ofSeconds(60))) {
                assertThat(redis.cli("GET", "cg:shards")).isEqualTo("4");
                try (RoleProcess other = RoleProcess.builder("web").name("shards-1").redis(redis.port()).start()) {
                    assertThat(other.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
                    // The log lines before it are JSON; the one plain line is the last.
                    assertThat(other.output().strip().lines().filter(line -> !line.startsWith("{")).toList())
                            .containsExactly("contextgraph: configuration error: QUEUE_SHARDS: is 1 but the queue in "
                                    + "Redis has 4 shards (cg:shards); every role must use QUEUE_SHARDS=4: changing it "
                                    + "needs a drain (docs/operations.md)");
                }
            }
        }
    }

    @Test
    void aShardedRoleOnAQueueThatStillHoldsUnshardedWorkStopsInsteadOfLeavingItUnread() throws Exception {
        try (RedisServer redis = new RedisServer()) {
            // Work queued under the one-shard names by a version that recorded no shard count.
            redis.cli("XADD", "cg:tasks", "*", "type", "upload", "user", "legacy-user", "body", "{}");
            try (RoleProcess sharded = RoleProcess.builder("web").name("shards-on-legacy").redis(redis.port())
                    .env("QUEUE_SHARDS", "4").start()) {
                assertThat(sharded.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
                assertThat(sharded.output()).contains("QUEUE_SHARDS: is 4 but the queue in Redis has 1 shards");
            }
            assertThat(redis.cli("GET", "cg:shards")).isEqualTo("1");
            assertThat(redis.cli("XLEN", "cg:tasks")).isEqualTo("1");
        }
    }

    @Test
    void webOnATakenPortStopsWithOneLineNamingPort() throws Exception {
        try (RedisServer redis = new RedisServer(); ServerSocket taken = takenPort()) {
            try (RoleProcess web = RoleProcess.builder("web").name("taken-port").redis(redis.port())
                    .env("PORT", Integer.toString(taken.getLocalPort())).start()) {
                assertThat(web.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
                assertThat(web.output().strip().lines().toList()).containsExactly("contextgraph: configuration error: "
                        + "PORT: cannot listen on port " + taken.getLocalPort() + ": Address already in use");
            }
        }
    }

    @Test
    void standaloneOnATakenPortStopsWithOneLineNamingPort(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = takenPort();
             RoleProcess standalone = RoleProcess.builder("standalone").name("taken-port-standalone").directory(dir)
                     .env("PORT", Integer.toString(taken.getLocalPort())).start()) {
            assertThat(standalone.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
            List<String> portLines = standalone.output().lines().filter(line -> line.contains("PORT")).toList();
            assertThat(portLines).containsExactly("contextgraph: configuration error: "
                    + "PORT: cannot listen on port " + taken.getLocalPort() + ": Address already in use");
            assertThat(errorLines(standalone.output())).isEmpty();
        }
    }

    @Test
    void standaloneStopsOnSigtermWithoutAnErrorLine(@TempDir Path dir) throws Exception {
        String user = Uploads.newUser();
        try (RoleProcess standalone = RoleProcess.builder("standalone").name("sigterm-standalone").directory(dir).start()) {
            standalone.awaitHttp(Duration.ofSeconds(90)).awaitLog("standalone.started", Duration.ofSeconds(30));
            List<ProcessHandle> children = standalone.descendants();
            assertThat(Http.post(standalone.uri("/v1/upload"), user, Uploads.sessions(1), "Content-Type", "application/json")
                    .statusCode()).isEqualTo(200);
            Path userFolder = dir.resolve("data/v1/sessions/user=" + user);
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.isDirectory(userFolder));

            // 143 = 128 + SIGTERM: the JVM's status after a signal its shutdown hooks handled.
            assertThat(standalone.terminate(Duration.ofSeconds(60))).isIn(0, 143);

            assertThat(standalone.output()).contains("\"Type\":\"shutdown.done\"");
            assertThat(errorLines(standalone.output())).isEmpty();
            assertThat(children).as("the embedded redis-server is stopped, not orphaned").isNotEmpty()
                    .noneMatch(ProcessHandle::isAlive);
        }
    }

    /** A listener on every address, as another service on the host would hold it. */
    private static ServerSocket takenPort() throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.bind(new InetSocketAddress(0));
        return socket;
    }

    /** Log lines of syslog severity error or worse (MozLog "Severity" 0-3). */
    private static List<String> errorLines(String output) {
        return output.lines().filter(line -> line.matches(".*\"Severity\":[0-3],.*")).toList();
    }
}
