package io.contextgraph.reliability;

import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code REDIS_MIN_REPLICAS=1} with a real primary and a real replica: a 200 means the replica has the write, so a
 * failover (primary SIGKILLed, replica promoted with {@code REPLICAOF NO ONE}) loses no upload or delete that was
 * answered 200, and a worker pointed at the promoted replica processes them. While the replica is frozen (SIGSTOP) or
 * missing, uploads and deletes answer 503 instead of a 200 that a failover could take back.
 *
 * <p>{@code -Dcg.minReplicas=0} runs the failover with the promise switched off: it then fails (answers 200 while the
 * replica is frozen, and uploads answered 200 missing after the failover).
 */
class FailoverIT {
    private static final String BUCKET = "cg-failover";
    private static final int UPLOADERS = 4;
    private static final int DELETE_USERS = 60;

    /** One request: what it was, when it was sent, what it got (0: no HTTP answer). */
    private record Attempt(boolean delete, String user, long sentNanos, int status, String retryAfter) {
    }

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T closeable) {
        running.add(closeable);
        return closeable;
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyUploadAndDeleteAnswered200SurvivesTheFailoverAndIsProcessedFromThePromotedReplica() throws Exception {
        RedisServer primary = keep(new RedisServer());
        RedisServer replica = keep(RedisServer.replicaOf(primary));
        awaitReplicaInSync(primary, replica);
        RoleProcess web = keep(RoleProcess.builder("web").name("failover-web").redis(primary.port())
                .env("REDIS_MIN_REPLICAS", System.getProperty("cg.minReplicas", "1"))
                .start().awaitHttp(Duration.ofSeconds(60)));

        // Users who uploaded before and will ask to be forgotten during the failover.
        List<String> deleteUsers = new ArrayList<>();
        for (int i = 0; i < DELETE_USERS; i++) {
            String user = Uploads.newUser();
            assertThat(Http.post(web.uri("/v1/upload"), user, Uploads.withMarker("before-" + i)).statusCode())
                    .isEqualTo(200);
            deleteUsers.add(user);
        }

        ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
        AtomicBoolean loading = new AtomicBoolean(true);
        ExecutorService load = Executors.newFixedThreadPool(UPLOADERS + 1);
        for (int c = 0; c < UPLOADERS; c++) {
            load.submit(() -> {
                while (loading.get()) {
                    String user = Uploads.newUser();
                    attempts.add(attempt(false, user, () -> Http.post(web.uri("/v1/upload"), user,
                            Uploads.sessions(20))));
                }
            });
        }
        AtomicInteger nextDelete = new AtomicInteger();
        load.submit(() -> {
            while (loading.get() && nextDelete.get() < DELETE_USERS) {
                String user = deleteUsers.get(nextDelete.getAndIncrement());
                attempts.add(attempt(true, user, () -> Http.post(web.uri("/v1/delete"), user, new byte[0])));
                sleepMillis(20);
            }
        });

        await().atMost(Duration.ofSeconds(60)).until(() -> count(attempts, false, 200) >= 100
                && count(attempts, true, 200) >= 10);

        replica.pause();
        long pausedAt = System.nanoTime();
        // Long enough for the writes a 200 would have promised to outgrow the sockets' buffers between the two.
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(60))
                .until(() -> sentAfter(attempts, pausedAt, false) >= 5);
        primary.kill();
        loading.set(false);
        load.shutdown();
        assertThat(load.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        replica.resume();
        assertThat(replica.cli("REPLICAOF", "NO", "ONE")).isEqualTo("OK");

        List<Attempt> all = List.copyOf(attempts);
        List<Attempt> uploads = all.stream().filter(a -> !a.delete() && a.status() == 200).toList();
        List<Attempt> deletes = all.stream().filter(a -> a.delete() && a.status() == 200).toList();
        System.out.printf("failover: %d requests, %d uploads and %d deletes answered 200, %d answered 503%n",
                all.size(), uploads.size(), deletes.size(), all.stream().filter(a -> a.status() == 503).count());
        assertThat(all.stream().filter(a -> a.sentNanos() > pausedAt && a.status() == 200).toList())
                .as("no request sent while the replica was frozen answered 200").isEmpty();
        assertThat(all.stream().filter(a -> a.sentNanos() > pausedAt && !a.delete()).toList())
                .as("uploads sent while the replica was frozen").isNotEmpty()
                .allSatisfy(a -> {
                    assertThat(a.status()).isEqualTo(503);
                    assertThat(a.retryAfter()).isNotNull();
                });
        assertThat(all.stream().filter(a -> a.status() != 200 && a.status() != 503).toList())
                .as("only 200 or 503").isEmpty();
        for (Attempt delete : deletes) {
            assertThat(replica.cli("EXISTS", "cg:forget:" + delete.user()))
                    .as("forget marker of a delete answered 200, on the promoted replica").isEqualTo("1");
        }

        S3ProxyServer s3 = keep(S3ProxyServer.startTransient());
        s3.createBucket(BUCKET);
        keep(RoleProcess.builder("worker").name("failover-worker").redis(replica.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                .start().awaitLog("worker started", Duration.ofSeconds(60)));
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> "0".equals(replica.cli("XLEN", "cg:tasks")));

        List<String> lost = uploads.stream().map(Attempt::user)
                .filter(user -> s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/").size() != 1).toList();
        assertThat(lost).as("uploads answered 200 and not stored from the promoted replica").isEmpty();
        List<String> notForgotten = deletes.stream().map(Attempt::user)
                .filter(user -> !s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/").isEmpty()).toList();
        assertThat(notForgotten).as("users told they were forgotten whose earlier upload was stored").isEmpty();
        assertThat(replica.cli("XLEN", "cg:dead")).isEqualTo("0");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void withoutAReplicaUploadsAndDeletesAnswer503() throws Exception {
        RedisServer primary = keep(new RedisServer());
        RoleProcess web = keep(RoleProcess.builder("web").name("failover-noreplica-web").redis(primary.port())
                .env("REDIS_MIN_REPLICAS", "1").start().awaitHttp(Duration.ofSeconds(60)));
        web.awaitLog("WARNING: Redis has 0 connected replicas and REDIS_MIN_REPLICAS is 1", Duration.ofSeconds(30));
        String user = Uploads.newUser();

        HttpResponse<String> upload = Http.post(web.uri("/v1/upload"), user, Uploads.withMarker("alone"));
        HttpResponse<String> delete = Http.post(web.uri("/v1/delete"), user, new byte[0]);

        assertThat(upload.statusCode()).isEqualTo(503);
        assertThat(upload.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(upload.headers().firstValue("Access-Control-Allow-Origin")).isPresent();
        assertThat(delete.statusCode()).isEqualTo(503);
        assertThat(delete.headers().firstValue("Retry-After")).hasValue("5");

        // A replica that comes back makes the same requests succeed.
        RedisServer replica = keep(RedisServer.replicaOf(primary));
        awaitReplicaInSync(primary, replica);
        assertThat(Http.post(web.uri("/v1/upload"), user, Uploads.withMarker("replicated")).statusCode())
                .isEqualTo(200);
        assertThat(Http.post(web.uri("/v1/delete"), user, new byte[0]).statusCode()).isEqualTo(200);
        assertThat(replica.cli("EXISTS", "cg:forget:" + user)).isEqualTo("1");
    }

    private static void awaitReplicaInSync(RedisServer primary, RedisServer replica) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> replica.cli("INFO", "replication").contains("master_link_status:up")
                        && primary.cli("INFO", "replication").contains("connected_slaves:1"));
    }

    private static Attempt attempt(boolean delete, String user, Supplier<HttpResponse<String>> send) {
        long sent = System.nanoTime();
        try {
            HttpResponse<String> res = send.get();
            return new Attempt(delete, user, sent, res.statusCode(),
                    res.headers().firstValue("Retry-After").orElse(null));
        } catch (UncheckedIOException e) {
            return new Attempt(delete, user, sent, 0, null);
        }
    }

    private static long count(ConcurrentLinkedQueue<Attempt> attempts, boolean delete, int status) {
        return attempts.stream().filter(a -> a.delete() == delete && a.status() == status).count();
    }

    private static long sentAfter(ConcurrentLinkedQueue<Attempt> attempts, long nanos, boolean delete) {
        return attempts.stream().filter(a -> a.delete() == delete && a.sentNanos() > nanos).count();
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
