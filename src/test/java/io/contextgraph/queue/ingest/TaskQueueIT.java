package io.contextgraph.queue.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.QueueTestBed;
import io.contextgraph.queue.StreamIds;
import io.contextgraph.queue.Task;
import io.contextgraph.queue.TaskType;
import io.contextgraph.queue.UploadIds;
import io.contextgraph.queue.consume.Delivery;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.redis.QueueFullException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class TaskQueueIT {

    @RegisterExtension
    static final QueueTestBed bed = new QueueTestBed();

    @Test
    void eachUploadIsNamedByTheSha256OfItsUserAZeroByteAndItsBody() throws Exception {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        String[][] uploads = {{"user-d1", "first"}, {"user-d2", "second, longer than the first"}, {"user-d1", ""}};
        for (String[] upload : uploads) {
            String id = queue.enqueueUpload(upload[0], upload[1].getBytes(StandardCharsets.UTF_8));
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update((upload[0] + "\0" + upload[1]).getBytes(StandardCharsets.UTF_8));
            String digest = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(Arrays.copyOf(sha256.digest(), 16));
            // Each digest starts from an unused state, whatever was digested before.
            assertThat(bed.server.cli("GET", settings.keyPrefix() + "dedup:" + digest)).isEqualTo(id);
            // Kept for the window and no longer: the name of an upload is personal data tied to its body.
            long window = settings.dedupWindow().toMillis();
            assertThat(Long.parseLong(bed.server.cli("PTTL", settings.keyPrefix() + "dedup:" + digest).strip()))
                    .isBetween(window - Duration.ofMinutes(1).toMillis(), window);
        }
    }

    @Test
    void uploadRoundTripKeepsBinaryBodyIntact() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        byte[] body = {0x00, 'a', (byte) 0xFF, (byte) 0xC3, 0x28, 0x00, (byte) 0x80, '}'};
        long before = System.currentTimeMillis();

        String uploadId = queue.enqueueUpload("user-1", body);

        assertThat(uploadId).matches("\\d{13}-\\d{6}-[A-Za-z0-9_-]{22}");
        assertThat(queue.length()).isEqualTo(1);
        List<Delivery> got = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5));
        assertThat(got).hasSize(1);
        Delivery delivery = got.get(0);
        Task task = delivery.task();
        assertThat(delivery.attempt()).isEqualTo(1);
        assertThat(task.type()).isEqualTo(TaskType.UPLOAD);
        assertThat(task.user()).isEqualTo("user-1");
        assertThat(task.uploadId()).isEqualTo(uploadId);
        assertThat(task.body()).containsExactly(body);
        assertThat(UploadIds.order(uploadId)).contains(task.orderId());
        assertThat(task.acceptedAtMillis()).isBetween(before, System.currentTimeMillis());
        assertThat(task.toString()).doesNotContain("user-1");

        consumer.complete(delivery);

        assertThat(queue.length()).isZero();
        assertThat(consumer.poll(5, Duration.ofMillis(100))).isEmpty();
    }

    @Test
    void deleteIsQueuedWithoutBody() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);

        queue.enqueueDelete("user-2");

        List<Delivery> got = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5));
        assertThat(got).singleElement().satisfies(delivery -> {
            assertThat(delivery.task().type()).isEqualTo(TaskType.DELETE);
            assertThat(delivery.task().user()).isEqualTo("user-2");
            assertThat(delivery.task().uploadId()).isNull();
            assertThat(delivery.task().body()).isEmpty();
        });
    }

    @Test
    void fullQueueRefusesUploadsAndWritesNothingButStillAcceptsDeletes() {
        QueueSettings settings = bed.settings(2, Duration.ofSeconds(1), 3);
        TaskQueue queue = new TaskQueue(bed.link, settings);
        queue.enqueueUpload("user-a", new byte[] {1});
        queue.enqueueUpload("user-a", new byte[] {2});

        assertThatThrownBy(() -> queue.enqueueUpload("user-b", new byte[] {3}))
                .isInstanceOf(QueueFullException.class);
        String prefix = settings.keyPrefix();
        assertThat(bed.server.cli("HGET", prefix + "stats", "uploads_accepted")).isEqualTo("2");
        assertThat(bed.server.cli("PFCOUNT", prefix + "stats:contributors")).isEqualTo("1");

        // Deletes have their own stream and cap: uploads never crowd them out.
        String first = queue.enqueueDelete("user-b");
        String second = queue.enqueueDelete("user-c");
        assertThat(bed.server.cli("GET", prefix + "forget:user-b")).isEqualTo(first);
        assertThatThrownBy(() -> queue.enqueueDelete("user-d")).isInstanceOf(QueueFullException.class);
        assertThat(bed.server.cli("EXISTS", prefix + "forget:user-d")).isEqualTo("0");
        assertThat(bed.server.cli("HGET", prefix + "stats", "deletes_accepted")).isEqualTo("2");
        assertThat(StreamIds.compare(second, first)).isPositive();
        assertThat(queue.length()).isEqualTo(4);
    }

    @Test
    void ordersOfUploadsAndDeletesFollowAcceptanceAcrossBothStreams() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        String before = UploadIds.order(queue.enqueueUpload("user-o", new byte[] {1})).orElseThrow();
        String delete = queue.enqueueDelete("user-o");
        String after = UploadIds.order(queue.enqueueUpload("user-o", new byte[] {2})).orElseThrow();

        assertThat(StreamIds.compare(delete, before)).isPositive();
        assertThat(StreamIds.compare(after, delete)).isPositive();
        // The clock going back does not make orders go back: the generator continues from the last one.
        String last = bed.server.cli("GET", settings.keyPrefix() + "order");
        assertThat(last).isEqualTo(after);
        bed.server.cli("SET", settings.keyPrefix() + "order", "9999999999999-5");
        assertThat(queue.enqueueDelete("user-o")).isEqualTo("9999999999999-6");
    }

    @Test
    void aRetriedIdenticalUploadIsQueuedOnceUntilTheUserIsDeleted() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        byte[] body = "{\"sessions\":[]}".getBytes();
        String first = queue.enqueueUpload("user-d", body);

        assertThat(queue.enqueueUpload("user-d", body.clone())).isEqualTo(first);
        assertThat(queue.length()).isEqualTo(1);
        assertThat(queue.enqueueUpload("user-e", body)).as("another user's same body").isNotEqualTo(first);
        assertThat(queue.enqueueUpload("user-d", "{}".getBytes())).as("another body").isNotEqualTo(first);
        assertThat(bed.server.cli("HGET", settings.keyPrefix() + "stats", "uploads_accepted")).isEqualTo("3");

        // After a delete of the user, the same body is a new upload (the first one is covered by the delete).
        queue.enqueueDelete("user-d");
        String afterDelete = queue.enqueueUpload("user-d", body);
        assertThat(afterDelete).isNotEqualTo(first);
        assertThat(queue.enqueueUpload("user-d", body)).as("and its own retries are recognised").isEqualTo(afterDelete);
        assertThat(queue.length()).isEqualTo(5);
    }

    @Test
    void withoutADedupWindowEveryUploadIsNew() {
        QueueSettings base = bed.settings();
        QueueSettings settings = new QueueSettings(base.keyPrefix(), base.maxLength(), base.visibilityTimeout(),
                base.maxAttempts(), base.retryBaseDelay(), base.forgetMarkerTtl(), Duration.ZERO,
                base.deadLetterRetention());
        TaskQueue queue = new TaskQueue(bed.link, settings);
        assertThat(queue.enqueueUpload("user-n", new byte[] {1})).isNotEqualTo(queue.enqueueUpload("user-n",
                new byte[] {1}));
        assertThat(bed.server.cli("KEYS", settings.keyPrefix() + "dedup:*")).isEmpty();
    }

    @Test
    void concurrentProducersShareTheConnection() throws Exception {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        List<Future<String>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 200; i++) {
                byte[] body = ("body-" + i).getBytes();
                results.add(threads.submit(() -> queue.enqueueUpload("user-" + body.length, body)));
            }
        }
        Set<String> uploadIds = new HashSet<>();
        for (Future<String> result : results) {
            uploadIds.add(result.get());
        }
        assertThat(uploadIds).hasSize(200);
        assertThat(queue.length()).isEqualTo(200);

        TaskConsumer consumer = bed.consumer(settings);
        Map<String, String> entries = new ConcurrentHashMap<>();
        for (Delivery delivery : QueueTestBed.pollUntil(consumer, 200, Duration.ofSeconds(10))) {
            entries.put(delivery.task().entryId(), delivery.task().uploadId());
        }
        assertThat(entries).hasSize(200);
        assertThat(new HashSet<>(entries.values())).isEqualTo(uploadIds);
    }

    @Test
    void statsSnapshotCountsAnonymously() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        QueueStats stats = new QueueStats(bed.link, settings);
        queue.enqueueUpload("user-x", new byte[] {1});
        queue.enqueueUpload("user-x", new byte[] {2});
        queue.enqueueUpload("user-y", new byte[] {3});
        queue.enqueueDelete("user-z");

        // The worker counts stored sessions inside its completion script (CompleteStoredIT); here only the reading.
        bed.server.cli("HINCRBY", settings.keyPrefix() + "stats", "sessions_stored", "5");
        bed.server.cli("HINCRBY", settings.keyPrefix() + "stats", "sessions_stored", "2");
        stats.recordDropped(0);
        stats.recordUserDeleted();

        assertThat(bed.server.cli("HEXISTS", settings.keyPrefix() + "stats", "sessions_dropped")).isEqualTo("0");
        stats.recordDropped(3);
        Map<String, Long> snapshot = stats.snapshot();
        assertThat(snapshot).containsEntry("uploads_accepted", 3L)
                .containsEntry("deletes_accepted", 1L)
                .containsEntry("sessions_stored", 7L)
                .containsEntry("sessions_dropped", 3L)
                .containsEntry("users_deleted", 1L)
                .containsEntry("contributors_estimate", 2L)
                .containsEntry("queue_length", 4L);
    }

    @Test
    void emptyStatsAreZero() {
        Map<String, Long> snapshot = new QueueStats(bed.link, bed.settings()).snapshot();
        assertThat(snapshot).containsOnlyKeys("uploads_accepted", "uploads_retried", "deletes_accepted", "sessions_stored",
                "sessions_dropped", "users_deleted", "contributors_estimate", "queue_length");
        assertThat(snapshot.values()).containsOnly(0L);
    }
}
