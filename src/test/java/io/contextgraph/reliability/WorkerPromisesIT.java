package io.contextgraph.reliability;

import io.contextgraph.testing.FreePorts;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.S3Relay;
import io.contextgraph.testing.SentrySink;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Promises of docs/operations.md and docs/deploy.md about what a worker does with its tasks and with S3. */
class WorkerPromisesIT {
    private static final String BUCKET = "cg-worker-promises";
    private static final Duration VISIBILITY = Duration.ofSeconds(60);

    /**
     * operations.md, Graceful shutdown: a stopping worker "lets tasks in flight finish for up to SHUTDOWN_GRACE ...,
     * then interrupts the rest and hands them back (XCLAIM with an idle time of the full visibility timeout and the
     * delivery count reset) ...; a hand-back does not use up an attempt". The PUT's answer is held for good, so the
     * task is still in flight when the grace runs out.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aTaskStillInFlightWhenTheGraceRunsOutIsHandedBackWithTheFullVisibilityTimeoutAndNoAttemptUsed()
            throws Exception {
        try (RedisServer redis = new RedisServer();
             S3ProxyServer s3 = S3ProxyServer.startTransient();
             S3Relay gate = new S3Relay(s3.endpoint().getPort());
             RoleProcess web = RoleProcess.builder("web").name("grace-cut-web").redis(redis.port()).start()
                     .awaitHttp(Duration.ofSeconds(60))) {
            s3.createBucket(BUCKET);
            String user = Uploads.newUser();
            String prefix = "v1/sessions/user=" + user + "/";
            try (RoleProcess stuck = worker(redis, gate.port(), "grace-cut-stuck")
                    .env("SHUTDOWN_GRACE", "2s").start()
                    .awaitLog("startup.storage.versioning", Duration.ofSeconds(60))) {
                gate.hold(); // the start-up checks were answered; the upload's PUT is not, ever
                assertThat(Http.post(web.uri("/v1/upload"), user, Uploads.withMarker("grace-cut")).statusCode())
                        .isEqualTo(200);
                await().atMost(Duration.ofSeconds(30)).until(() -> gate.heldAnswers() > 0);
                assertThat(pendingEntry(redis).deliveries()).as("delivered once").isEqualTo(1);

                assertThat(stuck.terminate(Duration.ofSeconds(60))).as("exit status")
                        .isEqualTo(GracefulShutdownIT.STOPPED_BY_SIGTERM);
                assertThat(stuck.output()).contains("worker.task_interrupted", "\"handed_back\":1");
            }
            Pending handedBack = pendingEntry(redis);
            assertThat(handedBack.deliveries()).as("the hand-back gives the attempt back").isZero();
            assertThat(handedBack.idleMillis()).as("idle at least the full visibility timeout")
                    .isGreaterThanOrEqualTo(VISIBILITY.toMillis());

            // S3Proxy stored the held PUT; without it, only the next worker's write can be there afterwards.
            s3.client().deleteObject(b -> b.bucket(BUCKET).key(s3.listKeys(BUCKET, prefix).get(0)));
            assertThat(s3.listKeys(BUCKET, prefix)).isEmpty();
            gate.release(); // the stuck worker is gone: its held answer goes nowhere
            gate.clear();
            try (RoleProcess taker = worker(redis, gate.port(), "grace-cut-taker").start()
                    .awaitLog("worker started", Duration.ofSeconds(60))) {
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> "0".equals(redis.cli("XLEN", "cg:tasks").strip()));
                assertThat(s3.listKeys(BUCKET, prefix)).hasSize(1);
                assertThat(gate.requests()).filteredOn(r -> r.method().equals("PUT") && r.object())
                        .as("one write of the handed-back task").hasSize(1);
                assertThat(taker.output()).doesNotContain("worker.task_failed");
            }
        }
    }

    /**
     * deploy.md, the worker's S3 permissions: "Not needed ...: s3:GetObject — the service never reads an object
     * back; s3:ListMultipartUploadParts — it never lists the parts of an upload." Every request the worker sends while
     * it starts, stores uploads, drops a covered upload and forgets a user is noted (its shape only) on the way to S3.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theWorkerNeverReadsAnObjectBackNorListsTheParts() throws Exception {
        try (RedisServer redis = new RedisServer();
             S3ProxyServer s3 = S3ProxyServer.startTransient();
             S3Relay log = new S3Relay(s3.endpoint().getPort());
             RoleProcess web = RoleProcess.builder("web").name("no-read-web").redis(redis.port()).start()
                     .awaitHttp(Duration.ofSeconds(60))) {
            s3.createBucket(BUCKET);
            String kept = Uploads.newUser();
            String forgotten = Uploads.newUser();
            // Queued before any worker runs: the delete goes first, so the upload it covers is removed unread.
            assertThat(Http.post(web.uri("/v1/upload"), forgotten, Uploads.withMarker("covered")).statusCode())
                    .isEqualTo(200);
            assertThat(Http.post(web.uri("/v1/delete"), forgotten, new byte[0]).statusCode()).isEqualTo(200);
            try (RoleProcess worker = worker(redis, log.port(), "no-read-worker").start()
                    .awaitLog("startup.storage.versioning", Duration.ofSeconds(60))) {
                awaitQueuesEmpty(redis);
                for (int i = 0; i < 3; i++) {
                    assertThat(Http.post(web.uri("/v1/upload"), kept, Uploads.withMarker("kept-" + i)).statusCode())
                            .isEqualTo(200); // distinct bodies: identical ones would be one upload (dedup)
                }
                awaitQueuesEmpty(redis);
                assertThat(s3.listKeys(BUCKET, "v1/sessions/user=" + kept + "/")).hasSize(3);
                // A stored user forgotten: the delete lists and removes what is there.
                assertThat(Http.post(web.uri("/v1/delete"), kept, new byte[0]).statusCode()).isEqualTo(200);
                awaitQueuesEmpty(redis);
                assertThat(s3.listKeys(BUCKET, "v1/sessions/user=" + kept + "/")).isEmpty();
                assertThat(worker.output()).contains("upload.forgotten");
            }
            List<S3Relay.Request> requests = log.requests();
            System.out.println("worker's S3 requests: " + requests);
            assertThat(requests).as("the worker wrote and deleted through this log")
                    .anyMatch(r -> r.method().equals("PUT") && r.object())
                    .anyMatch(r -> r.method().equals("DELETE") || r.method().equals("POST"));
            assertThat(requests).as("no object read (GetObject, HeadObject) and no ListParts")
                    .noneMatch(r -> r.object() && (r.method().equals("GET") || r.method().equals("HEAD")));
            assertThat(requests).as("only calls of the actions deploy.md grants").allMatch(WorkerPromisesIT::granted);
        }
    }

    /**
     * operations.md, failure modes, "Redis down / unreachable": "workers pause and report once". One event per outage
     * however many polls fail meanwhile (Redis frozen with SIGSTOP, so every poll times out), and one again for the
     * next outage once polls had succeeded in between; no event carries the user or the upload.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aRedisOutageIsReportedOnceAndTheNextOutageOnceAgain() throws Exception {
        try (SentrySink sentry = new SentrySink();
             RedisServer redis = new RedisServer();
             S3ProxyServer s3 = S3ProxyServer.startTransient();
             RoleProcess web = RoleProcess.builder("web").name("outage-web").redis(redis.port()).start()
                     .awaitHttp(Duration.ofSeconds(60))) {
            s3.createBucket(BUCKET);
            String user = Uploads.newUser();
            String marker = "outage-" + UUID.randomUUID();
            String workerOutput;
            try (RoleProcess worker = worker(redis, s3.endpoint().getPort(), "outage-worker")
                    .env("SENTRY_DSN", sentry.dsn()).start()
                    .awaitLog("startup.storage.versioning", Duration.ofSeconds(60))) {
                storeOneUpload(web, s3, redis, user, marker + "-before");
                assertThat(outageReports(sentry)).isZero();

                for (int outage = 1; outage <= 2; outage++) {
                    long pollsBefore = redis.commandCalls("xautoclaim");
                    redis.pause();
                    try {
                        int expected = outage;
                        await().atMost(Duration.ofSeconds(30)).until(() -> outageReports(sentry) >= expected);
                        // The worker retries with a back-off of at most 2 s: several polls fail in these 6 s.
                        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10))
                                .until(() -> outageReports(sentry) == expected);
                    } finally {
                        redis.resume();
                    }
                    // Each poll starts with an XAUTOCLAIM; those of the timed-out polls reach Redis when it runs again.
                    // At most one poll after the resume adds two (deletes, then uploads) before this count is taken, so
                    // five or more mean at least three polls failed during the outage.
                    assertThat(redis.commandCalls("xautoclaim") - pollsBefore).as("polls sent during outage " + outage)
                            .isGreaterThanOrEqualTo(5);
                    storeOneUpload(web, s3, redis, user, marker + "-after-" + outage);
                    assertThat(outageReports(sentry)).as("nothing more reported once Redis is back")
                            .isEqualTo(outage);
                }
                workerOutput = worker.output();
            }
            List<String> events = sentry.bodies().stream().filter(e -> e.contains("\"type\":\"event\"")).toList();
            assertThat(events).isNotEmpty().allSatisfy(event -> assertThat(event)
                    .doesNotContain(user, marker, "mozilla.org", "\"request\"", "\"user\":{", "\"vars\""));
            assertThat(workerOutput).doesNotContain(user, marker);
        }
    }

    /**
     * operations.md, Dead letters: "Each parked task is also noted in the user's index cg:dead:user:<user> (a set of
     * dead-letter IDs, expiring a day after the retention) ...; dead letters parked before the index existed are
     * indexed once by the first worker that starts (cg:dead:indexed remembers it)." A task is parked by a real worker
     * (S3 unreachable, one attempt); then its index is removed, as before the index existed, and the next worker to
     * start builds it again, so that a delete of that user removes the dead letter.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theDeadLetterIndexLivesADayLongerThanTheRetentionAndIsBuiltByAStartingWorker() throws Exception {
        Duration retention = Duration.ofDays(3);
        long indexTtl = retention.plusDays(1).toMillis();
        try (RedisServer redis = new RedisServer();
             S3ProxyServer s3 = S3ProxyServer.startTransient();
             RoleProcess web = RoleProcess.builder("web").name("dead-index-web").redis(redis.port()).start()
                     .awaitHttp(Duration.ofSeconds(60))) {
            s3.createBucket(BUCKET);
            String user = Uploads.newUser();
            String index = "cg:dead:user:" + user;
            try (RoleProcess parking = worker(redis, FreePorts.next(), "dead-index-parking")
                    .env("DEAD_LETTER_RETENTION", "3d").env("QUEUE_MAX_ATTEMPTS", "1")
                    .env("QUEUE_RETRY_DELAY", "100ms").start().awaitLog("worker started", Duration.ofSeconds(60))) {
                assertThat(Http.post(web.uri("/v1/upload"), user, Uploads.withMarker("parked")).statusCode())
                        .isEqualTo(200);
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> "1".equals(redis.cli("XLEN", "cg:dead").strip()));
            }
            String deadLetter = redis.cli("XRANGE", "cg:dead", "-", "+").lines().findFirst().orElseThrow().strip();
            assertThat(redis.cli("SMEMBERS", index).strip()).isEqualTo(deadLetter);
            assertThat(Long.parseLong(redis.cli("PTTL", index).strip())).as("parked: index TTL = retention + 1 day")
                    .isBetween(indexTtl - 60_000, indexTtl);

            // As a Redis whose dead letters were parked by a version without the index.
            redis.cli("DEL", index, "cg:dead:indexed");
            try (RoleProcess starting = worker(redis, s3.endpoint().getPort(), "dead-index-starting")
                    .env("DEAD_LETTER_RETENTION", "3d").start()
                    .awaitLog("worker.dead_letters_indexed", Duration.ofSeconds(60))) {
                assertThat(starting.output()).contains("\"count\":1");
                assertThat(redis.cli("SMEMBERS", index).strip()).isEqualTo(deadLetter);
                assertThat(Long.parseLong(redis.cli("PTTL", index).strip())).as("indexed at start: the same TTL")
                        .isBetween(indexTtl - 60_000, indexTtl);
                assertThat(redis.cli("EXISTS", "cg:dead:indexed").strip()).isEqualTo("1");

                assertThat(Http.post(web.uri("/v1/delete"), user, new byte[0]).statusCode()).isEqualTo(200);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> "0".equals(redis.cli("XLEN", "cg:dead").strip()));
            }
        }
    }

    private static void storeOneUpload(RoleProcess web, S3ProxyServer s3, RedisServer redis, String user, String marker) {
        int before = s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/").size();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> Http.post(web.uri("/v1/upload"), user, Uploads.withMarker(marker)).statusCode() == 200);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/").size() == before + 1);
        awaitQueuesEmpty(redis);
    }

    private static long outageReports(SentrySink sentry) {
        return sentry.bodies().stream()
                .filter(e -> e.contains("\"type\":\"event\"") && e.contains("worker cannot read the queue")).count();
    }

    /** The API calls of deploy.md's table of the worker's S3 actions, by request shape (path-style addressing). */
    private static boolean granted(S3Relay.Request r) {
        List<String> query = r.queryNames();
        if (r.object()) {
            return switch (r.method()) {
                case "PUT" -> true; // PutObject, UploadPart
                case "POST" -> query.contains("uploads") || query.contains("uploadId"); // Create/CompleteMultipartUpload
                case "DELETE" -> true; // DeleteObject, with a version id, AbortMultipartUpload
                default -> false;
            };
        }
        return switch (r.method()) {
            case "HEAD" -> query.isEmpty(); // HeadBucket
            case "GET" -> query.contains("list-type") || query.contains("uploads") || query.contains("versioning")
                    || query.contains("versions"); // ListObjectsV2, ListMultipartUploads, GetBucketVersioning, ListObjectVersions
            case "POST" -> query.equals(List.of("delete")); // DeleteObjects
            default -> false;
        };
    }

    private static RoleProcess.Builder worker(RedisServer redis, int s3Port, String name) {
        return RoleProcess.builder("worker").name(name).redis(redis.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", "http://127.0.0.1:" + s3Port)
                .env("QUEUE_VISIBILITY_TIMEOUT", VISIBILITY.toSeconds() + "s");
    }

    private static void awaitQueuesEmpty(RedisServer redis) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                "0".equals(redis.cli("XLEN", "cg:tasks").strip())
                        && "0".equals(redis.cli("XLEN", "cg:deletes").strip()));
    }

    /** The one entry of the upload stream's pending list. */
    private record Pending(String consumer, long idleMillis, long deliveries) {
    }

    private static Pending pendingEntry(RedisServer redis) {
        String[] lines = redis.cli("XPENDING", "cg:tasks", "workers", "-", "+", "10").split("\n");
        assertThat(lines).as("one pending entry: id, consumer, idle, deliveries").hasSize(4);
        return new Pending(lines[1].strip(), Long.parseLong(lines[2].strip()), Long.parseLong(lines[3].strip()));
    }
}
