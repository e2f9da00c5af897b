package io.contextgraph.queue.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.QueueTestBed;
import io.contextgraph.queue.Task;
import io.contextgraph.queue.consume.Delivery;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.redis.QueueFullException;
import io.contextgraph.queue.redis.QueueUnavailableException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Concurrent uploads travel in shared script calls: each lands exactly once, and each caller learns its own fate. */
@Timeout(120)
class UploadBatchingIT {

    /** How long a caller may wait at most: the sender's bounds (2 x the 1 s command timeout) plus generous slack. */
    private static final long NO_HANG_SECONDS = 30;

    private QueueTestBed bed;

    @BeforeEach
    void startRedis() {
        bed = new QueueTestBed();
    }

    @AfterEach
    void stopRedis() {
        bed.close();
    }

    @Test
    void manyConcurrentUploadsLandExactlyOnceWithDistinctIds() throws Exception {
        QueueSettings settings = bed.settings(100_000, Duration.ofSeconds(1), 3);
        // Small batches (by count and by bytes) so that the concurrent uploads are split over many calls.
        TaskQueue queue = new TaskQueue(bed.link, settings, 7, 200);
        int uploads = 600;
        Map<String, String> bodyById = new HashMap<>();
        List<Future<String>> results = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch go = new CountDownLatch(1);
            for (int i = 0; i < uploads; i++) {
                String body = "{\"n\":" + i + ",\"pad\":\"" + "x".repeat(i % 90) + "\"}";
                bodies.add(body);
                String user = "user-" + (i % 50);
                results.add(threads.submit(() -> {
                    go.await();
                    return queue.enqueueUpload(user, body.getBytes(StandardCharsets.UTF_8));
                }));
            }
            go.countDown();
            for (int i = 0; i < uploads; i++) {
                bodyById.put(results.get(i).get(NO_HANG_SECONDS, TimeUnit.SECONDS), bodies.get(i));
            }
        }

        assertThat(bodyById).hasSize(uploads); // distinct upload ids
        assertThat(queue.length()).isEqualTo(uploads);
        String prefix = settings.keyPrefix();
        assertThat(bed.server.cli("HGET", prefix + "stats", "uploads_accepted")).isEqualTo(Integer.toString(uploads));
        // HyperLogLog only estimates (50 users may count as 49), but the same set always gives the same estimate.
        List<String> reference = new ArrayList<>(List.of("PFADD", prefix + "reference"));
        for (int u = 0; u < 50; u++) {
            reference.add("user-" + u);
        }
        bed.server.cli(reference.toArray(String[]::new));
        assertThat(bed.server.cli("PFCOUNT", prefix + "stats:contributors"))
                .isEqualTo(bed.server.cli("PFCOUNT", prefix + "reference"));

        TaskConsumer consumer = bed.consumer(settings);
        Map<String, String> stored = new HashMap<>();
        for (Delivery delivery : QueueTestBed.pollUntil(consumer, uploads, Duration.ofSeconds(20))) {
            Task task = delivery.task();
            assertThat(stored.put(task.uploadId(), new String(task.body(), StandardCharsets.UTF_8)))
                    .as("each upload once").isNull();
            assertThat(task.user()).startsWith("user-");
        }
        assertThat(stored).isEqualTo(bodyById); // each caller's id names its own body
    }

    @Test
    void theCapIsRespectedExactlyUnderConcurrency() throws Exception {
        QueueSettings settings = bed.settings(100, Duration.ofSeconds(1), 3);
        TaskQueue queue = new TaskQueue(bed.link, settings, 16, 1 << 20);
        AtomicInteger full = new AtomicInteger();
        Set<String> accepted = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                byte[] body = Integer.toString(i).getBytes(StandardCharsets.UTF_8); // distinct: no retry of another
                results.add(threads.submit(() -> {
                    go.await();
                    try {
                        accepted.add(queue.enqueueUpload("user-" + body[0], body));
                    } catch (QueueFullException e) {
                        full.incrementAndGet();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> result : results) {
                result.get(NO_HANG_SECONDS, TimeUnit.SECONDS);
            }
        }

        assertThat(accepted).hasSize(100);
        assertThat(full).hasValue(200);
        assertThat(queue.length()).isEqualTo(100);
        assertThat(bed.server.cli("HGET", settings.keyPrefix() + "stats", "uploads_accepted")).isEqualTo("100");
        Set<String> queued = new HashSet<>();
        TaskConsumer consumer = bed.consumer(settings);
        for (Delivery delivery : QueueTestBed.pollUntil(consumer, 100, Duration.ofSeconds(10))) {
            queued.add(delivery.task().uploadId());
        }
        assertThat(queued).isEqualTo(accepted);
    }

    @Test
    void aBodyLargerThanTheByteLimitTravelsAlone() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings, 8, 100);
        byte[] large = new byte[5_000];

        String uploadId = queue.enqueueUpload("user-1", large);

        assertThat(uploadId).matches("\\d{13}-\\d{6}-[A-Za-z0-9_-]{22}");
        assertThat(queue.length()).isEqualTo(1);
    }

    @Test
    void everyWaiterOfAStalledBatchGetsUnavailableAndLaterUploadsSucceed() throws Exception {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings, 10, 1 << 20);
        queue.enqueueUpload("user-0", new byte[] {0}); // the script is loaded, the connection is up

        bed.server.cli("CLIENT", "PAUSE", "4000", "ALL"); // connected, answering nothing

        List<Future<String>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 60; i++) {
                byte[] body = {(byte) i};
                results.add(threads.submit(() -> queue.enqueueUpload("user-1", body)));
            }
            for (Future<String> result : results) {
                assertThatThrownBy(() -> result.get(NO_HANG_SECONDS, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(QueueUnavailableException.class);
            }
        }

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(bed.link::ping);
        assertThat(queue.enqueueUpload("user-2", new byte[] {1})).matches("\\d{13}-\\d{6}-[A-Za-z0-9_-]{22}");
        assertThat(concurrentUploads(queue, 40)).hasSize(40);
    }

    @Test
    void redisKilledWhileUploadsFlowFailsThemPromptlyAndTheyResumeAfterwards() throws Exception {
        QueueSettings settings = bed.settings(100_000_000, Duration.ofSeconds(1), 3);
        TaskQueue queue = new TaskQueue(bed.link, settings, 10, 1 << 20);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger succeeded = new AtomicInteger();
        AtomicInteger unavailable = new AtomicInteger();
        List<Future<?>> producers = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int p = 0; p < 16; p++) {
                producers.add(threads.submit(() -> {
                    while (!stop.get()) {
                        try {
                            queue.enqueueUpload("user-p", new byte[] {1, 2, 3});
                            succeeded.incrementAndGet();
                        } catch (QueueUnavailableException e) {
                            unavailable.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> succeeded.get() > 200);

            bed.server.kill();

            await().atMost(Duration.ofSeconds(10)).until(() -> unavailable.get() > 50);
            bed.server.start();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(bed.link::ping);
            int before = succeeded.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> succeeded.get() > before + 200);
            stop.set(true);
            for (Future<?> producer : producers) {
                producer.get(NO_HANG_SECONDS, TimeUnit.SECONDS); // no other exception, no hang
            }
        }
        assertThat(concurrentUploads(queue, 40)).hasSize(40);
    }

    @Test
    void anInterruptedCallerDoesNotStrandTheOthers() throws Exception {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings, 4, 1 << 20);
        queue.enqueueUpload("user-0", new byte[] {0});

        bed.server.cli("CLIENT", "PAUSE", "400", "ALL"); // shorter than the command timeout: only a delay

        List<Future<String>> results = new ArrayList<>();
        List<Thread> callers = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(20);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 20; i++) {
                byte[] body = {(byte) i};
                results.add(threads.submit(() -> {
                    synchronized (callers) {
                        callers.add(Thread.currentThread());
                    }
                    started.countDown();
                    return queue.enqueueUpload("user-1", body);
                }));
            }
            started.await();
            Thread.sleep(50);
            synchronized (callers) {
                callers.get(0).interrupt();
                callers.get(7).interrupt();
            }
            int ok = 0;
            int interrupted = 0;
            for (Future<String> result : results) {
                try {
                    assertThat(result.get(NO_HANG_SECONDS, TimeUnit.SECONDS)).matches("\\d{13}-\\d{6}-[A-Za-z0-9_-]{22}");
                    ok++;
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(QueueUnavailableException.class)
                            .hasMessageContaining("interrupted");
                    interrupted++;
                }
            }
            assertThat(interrupted).isLessThanOrEqualTo(2);
            assertThat(ok).isGreaterThanOrEqualTo(18);
            // An interrupted caller's upload may or may not have been written (as for any interrupted command).
            assertThat(queue.length()).isBetween(1L + ok, 1L + ok + interrupted);
        }
    }

    private static Set<String> concurrentUploads(TaskQueue queue, int count) throws Exception {
        Set<String> ids = new HashSet<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                byte[] body = {(byte) i};
                results.add(threads.submit(() -> queue.enqueueUpload("user-after", body)));
            }
            for (Future<String> result : results) {
                ids.add(result.get(NO_HANG_SECONDS, TimeUnit.SECONDS));
            }
        }
        return ids;
    }
}
