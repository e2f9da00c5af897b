package io.contextgraph.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.contextgraph.data.Blocklist;
import io.contextgraph.data.SessionFilter;
import io.contextgraph.data.StorageKeys;
import io.contextgraph.data.UrlFilter;
import io.contextgraph.observability.ErrorReporter;
import io.contextgraph.observability.Metrics;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.Shards;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.deadletter.DeadLetters;
import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.queue.redis.QueueFullException;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.queue.redis.RedisSettings;
import io.contextgraph.storage.ObjectStore;
import io.contextgraph.storage.Removal;
import io.contextgraph.storage.S3ObjectStore;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.Uploads;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A delete removes exactly the uploads accepted before it (SPEC "POST /v1/delete"), however late, often or early it
 * runs: worker task loops in this JVM against a real redis-server and a real S3Proxy (on-disk, stopped and started
 * for outages), with a gate around the real S3 store to force the order in which tasks reach S3. Nothing sleeps and
 * hopes: every ordering is held by a gate or by S3 being down, and released when the test says so.
 */
@Timeout(180)
class ForgetExactlyIT {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static RedisServer redis;
    private static S3ProxyServer s3;
    private static RedisLink link;

    /** The Redis the test's queue and workers use: the class's own, unless a test needs one of its own. */
    private RedisLink current = link;
    private final List<TaskLoop> loops = new ArrayList<>();
    private final List<TaskConsumer> consumers = new ArrayList<>();
    private String bucket;
    private GatedStore store;

    @BeforeAll
    static void start() {
        redis = new RedisServer();
        s3 = S3ProxyServer.startFilesystem();
        link = new RedisLink(new RedisSettings("127.0.0.1", redis.port(), Optional.empty(), false,
                Duration.ofSeconds(1)));
        link.start();
    }

    @AfterAll
    static void stop() {
        if (link != null) {
            link.close();
        }
        if (s3 != null) {
            s3.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void stopLoops() {
        if (store != null) {
            store.puts.open();
            store.deletes.open();
        }
        loops.forEach(TaskLoop::close);
        consumers.forEach(TaskConsumer::close);
        if (!s3.isRunning()) {
            s3.start();
        }
    }

    /** Many attempts, quick retries: an outage of a few seconds is retried, not parked. */
    private QueueSettings settings(long maxLength, int maxAttempts) {
        bucket = "forget-" + PREFIXES.incrementAndGet();
        s3.createBucket(bucket);
        store = new GatedStore(new S3ObjectStore(s3.newClient(), bucket));
        return new QueueSettings("f" + PREFIXES.get() + ":", maxLength, Duration.ofSeconds(1), maxAttempts,
                Duration.ofMillis(100), Duration.ofDays(30));
    }

    private TaskLoop worker(QueueSettings settings, int concurrency) {
        TaskConsumer consumer = new TaskConsumer(current, settings, TaskConsumer.uniqueConsumerName());
        consumers.add(consumer);
        TaskLoop loop = TaskLoop.create(consumer, Optional.empty(),
                new SessionFilter(new UrlFilter(Blocklist.bundled())), store,
                new DeadLetters(current, settings), new QueueStats(current, settings), Metrics.none(), ErrorReporter.off(),
                concurrency, 64L << 20, 10 << 20, Duration.ofSeconds(2));
        loops.add(loop);
        loop.start();
        return loop;
    }

    private List<String> keys(String user) {
        return s3.listKeys(bucket, StorageKeys.userPrefix(user));
    }

    /** The markers ({@link Uploads#withMarker}) of the user's stored objects, in key order, i.e. acceptance order. */
    private List<String> markers(String user) {
        List<String> markers = new ArrayList<>();
        for (String key : keys(user)) {
            String url = s3.storedDocument(bucket, key).path("sessions").get(0).path("url").asText();
            markers.add(url.substring(url.indexOf("?m=") + 3));
        }
        return markers;
    }

    private long length(QueueSettings settings, String stream) {
        return Long.parseLong(redis.cli("XLEN", settings.keyPrefix() + stream));
    }

    /** Two uploads of the user stored by a worker, which then stops; returns the queue for the test to go on. */
    private TaskQueue withTwoStoredUploads(QueueSettings settings, String user) {
        TaskQueue queue = new TaskQueue(current, settings);
        queue.enqueueUpload(user, Uploads.withMarker("old-1"));
        queue.enqueueUpload(user, Uploads.withMarker("old-2"));
        TaskLoop first = worker(settings, 4);
        await().atMost(WAIT).until(() -> markers(user).equals(List.of("old-1", "old-2")));
        first.close();
        store.puts.reset();
        store.deletes.reset();
        return queue;
    }

    @Test
    void aDeleteRetriedAfterAnOutageKeepsAnUploadAcceptedAfterItThatWasStoredFirst() throws Exception {
        retriedDeleteAndNewerUpload(true);
    }

    @Test
    void aDeleteRetriedAfterAnOutageKeepsAnUploadAcceptedAfterItThatWasStoredAfter() throws Exception {
        retriedDeleteAndNewerUpload(false);
    }

    /**
     * S3 stops; a delete is accepted, then a new upload of the same user; both fail against the stopped S3 and are
     * retried; S3 starts again, and a gate lets one of them reach S3 first.
     */
    private void retriedDeleteAndNewerUpload(boolean uploadFirst) throws Exception {
        QueueSettings settings = settings(1000, 100);
        String user = Uploads.newUser();
        TaskQueue queue = withTwoStoredUploads(settings, user);

        // The task held back gets its first attempt (into the outage) and no other: a retry already past an open
        // gate could reach S3 once it is back, out of the order the test forces.
        (uploadFirst ? store.deletes : store.puts).closeAfter(1);
        s3.stop();
        queue.enqueueDelete(user);
        queue.enqueueUpload(user, Uploads.withMarker("new"));
        worker(settings, 4);
        // Both tasks really ran into the outage: each came back for a second attempt, so its first one failed.
        store.deletes.awaitCalls(2);
        store.puts.awaitCalls(2);

        s3.start();
        if (uploadFirst) {
            await().atMost(WAIT).until(() -> markers(user).equals(List.of("old-1", "old-2", "new")));
            store.deletes.open();
        } else {
            await().atMost(WAIT).until(() -> length(settings, "deletes") == 0);
            assertThat(keys(user)).isEmpty();
            store.puts.open();
        }
        await().atMost(WAIT).until(() -> length(settings, "tasks") == 0 && length(settings, "deletes") == 0);
        assertThat(markers(user)).containsExactly("new");
    }

    @Test
    void aDeleteReplayedFromTheDeadLettersAfterNewerUploadsWereStoredRemovesOnlyTheOlderOnes() throws Exception {
        // The real CLI works on the "cg:" keys: this test has a Redis of its own.
        try (RedisServer own = new RedisServer()) {
            current = new RedisLink(new RedisSettings("127.0.0.1", own.port(), Optional.empty(), false,
                    Duration.ofSeconds(1)));
            current.start();
            try {
                settings(1000, 1);
                QueueSettings settings = new QueueSettings("cg:", 1000, Duration.ofSeconds(1), 1,
                        Duration.ofMillis(100), Duration.ofDays(30));
                String user = Uploads.newUser();
                TaskQueue queue = withTwoStoredUploads(settings, user);

                s3.stop();
                queue.enqueueDelete(user);
                worker(settings, 4);
                await().atMost(WAIT).until(() -> own.cli("XLEN", "cg:dead").equals("1"));
                s3.start();
                queue.enqueueUpload(user, Uploads.withMarker("newer"));
                await().atMost(WAIT).until(() -> markers(user).equals(List.of("old-1", "old-2", "newer")));

                try (RoleProcess list = RoleProcess.builder("dead-letters", "list").name("forget-list")
                        .redis(own.port()).start()) {
                    assertThat(list.awaitExit(WAIT)).isZero();
                    assertThat(list.output()).contains("deletes waiting: 0", "parked deletes: 1",
                            "parked uploads: 0").doesNotContain(user);
                }
                try (RoleProcess replay = RoleProcess.builder("dead-letters", "replay", "--all")
                        .name("forget-replay").redis(own.port()).start()) {
                    assertThat(replay.awaitExit(WAIT)).isZero();
                    assertThat(replay.output()).contains("1 dead letter(s) replayed");
                }
                await().atMost(WAIT).until(() -> own.cli("XLEN", "cg:deletes").equals("0")
                        && own.cli("XLEN", "cg:dead").equals("0"));
                assertThat(markers(user)).containsExactly("newer");
            } finally {
                loops.forEach(TaskLoop::close);
                loops.clear();
                consumers.forEach(TaskConsumer::close);
                consumers.clear();
                current.close();
            }
        }
    }

    @Test
    void anUploadWhoseWriteIsHeldWhileAnotherWorkerProcessesTheDeleteDoesNotSurvive() throws Exception {
        QueueSettings settings = settings(1000, 10);
        String user = Uploads.newUser();
        TaskQueue queue = new TaskQueue(current, settings);
        queue.enqueueUpload(user, Uploads.withMarker("held"));

        store.puts.close();
        worker(settings, 1); // one place: busy with the held upload, so it cannot take the delete
        store.puts.awaitCalls(1);
        // The check before the write has passed: no delete existed when the upload was polled.
        queue.enqueueDelete(user);
        worker(settings, 2);
        await().atMost(WAIT).until(() -> length(settings, "deletes") == 0);
        assertThat(redis.cli("HGET", settings.keyPrefix() + "stats", "users_deleted")).isEqualTo("1");
        assertThat(keys(user)).as("the delete ran while the write was held").isEmpty();

        store.puts.open();
        await().atMost(WAIT).until(() -> store.putsDone.get() == 1);
        await().atMost(WAIT).until(() -> length(settings, "tasks") == 0);
        assertThat(keys(user)).as("the upload accepted before the delete").isEmpty();
        assertThat(redis.cli("HEXISTS", settings.keyPrefix() + "stats", "sessions_stored")).isEqualTo("0");
    }

    @Test
    void aCoveredUploadCompletedTogetherWithUploadsOfOtherShardsIsRemovedAndTheOthersAreStored() throws Exception {
        Shards shards = Shards.of(4, false);
        QueueSettings settings = settings(1000, 10).withShards(shards);
        TaskQueue queue = new TaskQueue(current, settings);
        String forgotten = Uploads.newUser();
        List<String> kept = new ArrayList<>();
        Set<Integer> shardsUsed = new HashSet<>(Set.of(shards.of(forgotten)));
        while (kept.size() < 7 || shardsUsed.size() < shards.count()) {
            String user = Uploads.newUser();
            kept.add(user);
            shardsUsed.add(shards.of(user));
        }
        queue.enqueueUpload(forgotten, Uploads.withMarker("forgotten"));
        for (String user : kept) {
            queue.enqueueUpload(user, Uploads.withMarker("kept"));
        }

        store.puts.close();
        worker(settings, 32);
        store.puts.awaitCalls(kept.size() + 1); // every write under way: each past its check before the write
        queue.enqueueDelete(forgotten);
        store.puts.open(); // the writes finish together: their completions share a call per shard

        await().atMost(WAIT).until(() -> queue.length() == 0);
        assertThat(store.putsDone.get()).isEqualTo(kept.size() + 1);
        assertThat(keys(forgotten)).as("the upload accepted before the delete").isEmpty();
        for (String user : kept) {
            assertThat(markers(user)).as("stored once").containsExactly("kept");
        }
        assertThat(new QueueStats(current, settings).snapshot()).containsEntry("sessions_stored", (long) kept.size());
    }

    @Test
    void aDeleteIsAcceptedWhenUploadsFillTheQueueAndIsDoneBeforeTheBacklog() throws Exception {
        QueueSettings settings = settings(20, 10);
        TaskQueue queue = new TaskQueue(current, settings);
        for (int i = 0; i < 20; i++) {
            queue.enqueueUpload(Uploads.newUser(), Uploads.withMarker("backlog-" + i));
        }
        assertThatThrownBy(() -> queue.enqueueUpload(Uploads.newUser(), Uploads.withMarker("one too many")))
                .isInstanceOf(QueueFullException.class);
        String user = Uploads.newUser();
        String stored = StorageKeys.upload(user, LocalDate.now(ZoneOffset.UTC), "storedBeforeOrdersExist");
        s3.client().putObject(b -> b.bucket(bucket).key(stored), software.amazon.awssdk.core.sync.RequestBody
                .fromBytes(new byte[] {1}));

        queue.enqueueDelete(user); // no exception: accepted (the web answers 200)

        store.puts.close(); // every upload the worker takes stays in flight: the backlog cannot drain
        worker(settings, 2);
        await().atMost(WAIT).until(() -> length(settings, "deletes") == 0);
        assertThat(keys(user)).isEmpty();
        assertThat(length(settings, "tasks")).as("not one upload of the backlog finished").isEqualTo(20);

        store.puts.open();
        await().atMost(WAIT).until(() -> length(settings, "tasks") == 0);
    }

    /** Calls into the real store that can be held at a gate, and counted. */
    static final class GatedStore implements ObjectStore {
        final Gate puts = new Gate();
        final Gate deletes = new Gate();
        final AtomicInteger putsDone = new AtomicInteger();
        private final ObjectStore real;

        GatedStore(ObjectStore real) {
            this.real = real;
        }

        @Override
        public void put(String key, byte[] gzippedJson) {
            puts.pass();
            real.put(key, gzippedJson);
            putsDone.incrementAndGet();
        }

        @Override
        public void delete(String key) {
            real.delete(key);
        }

        @Override
        public Removal deletePrefix(String prefix, Predicate<String> removable) {
            deletes.pass();
            return real.deletePrefix(prefix, removable);
        }

        @Override
        public void checkReachable() {
            real.checkReachable();
        }

        @Override
        public String describe() {
            return real.describe();
        }

        @Override
        public void close() {
            real.close();
        }
    }

    /** Open by default; closed, it holds every caller until opened. Counts the calls that arrived. */
    static final class Gate {
        private volatile CountDownLatch open = new CountDownLatch(0);
        private final AtomicInteger allowance = new AtomicInteger();
        private final Semaphore arrived = new Semaphore(0);

        void close() {
            closeAfter(0);
        }

        /** Lets the next {@code calls} callers through, then holds every caller until opened. */
        void closeAfter(int calls) {
            allowance.set(calls);
            open = new CountDownLatch(1);
        }

        /** Forgets the calls counted so far. */
        void reset() {
            arrived.drainPermits();
        }

        void open() {
            open.countDown();
        }

        void pass() {
            arrived.release();
            if (allowance.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
                return;
            }
            try {
                if (!open.await(2, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted at the gate", e);
            }
        }

        /** Waits until {@code calls} more calls arrived (held or not). */
        void awaitCalls(int calls) throws InterruptedException {
            assertThat(arrived.tryAcquire(calls, 60, TimeUnit.SECONDS)).as("calls arrived").isTrue();
        }
    }
}
