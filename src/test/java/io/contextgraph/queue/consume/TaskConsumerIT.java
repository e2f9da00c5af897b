package io.contextgraph.queue.consume;

import static org.assertj.core.api.Assertions.assertThat;

import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.QueueTestBed;
import io.contextgraph.queue.TaskStream;
import io.contextgraph.queue.TaskType;
import io.contextgraph.queue.deadletter.DeadLetters;
import io.contextgraph.queue.ingest.TaskQueue;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class TaskConsumerIT {

    @RegisterExtension
    static final QueueTestBed bed = new QueueTestBed();

    @Test
    void tasksOfADeadWorkerAreReclaimedAfterTheVisibilityTimeout() {
        QueueSettings settings = bed.settings(1000, Duration.ofSeconds(1), 5);
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer dead = bed.consumer(settings);
        TaskConsumer alive = bed.consumer(settings);
        String uploadId = queue.enqueueUpload("user-1", new byte[] {7});

        assertThat(QueueTestBed.pollUntil(dead, 1, Duration.ofSeconds(5))).hasSize(1);
        // dead never completes; right away nobody else gets the task
        assertThat(alive.poll(1, Duration.ofMillis(100))).isEmpty();

        List<Delivery> reclaimed = QueueTestBed.pollUntil(alive, 1, Duration.ofSeconds(10));
        assertThat(reclaimed).singleElement().satisfies(delivery -> {
            assertThat(delivery.task().uploadId()).isEqualTo(uploadId);
            assertThat(delivery.attempt()).isEqualTo(2);
        });
        alive.complete(reclaimed.get(0));
        assertThat(queue.length()).isZero();
    }

    @Test
    void failedTasksAreRetriedWithBackOffThenDeadLettered() {
        QueueSettings settings = bed.settings(1000, Duration.ofSeconds(1), 3);
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        String uploadId = queue.enqueueUpload("user-1", new byte[] {1, 2, 3});

        for (int attempt = 1; attempt <= 3; attempt++) {
            List<Delivery> got = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(10));
            assertThat(got).as("delivery of attempt %d", attempt).hasSize(1);
            assertThat(got.get(0).attempt()).isEqualTo(attempt);
            assertThat(got.get(0).task().uploadId()).isEqualTo(uploadId);
            consumer.retryLater(got.get(0), "storage: service unavailable");
            if (attempt < 3) {
                // set back in time so that it is reclaimed after the back-off; the claim is not a delivery
                String[] pending = bed.server.cli("XPENDING", settings.keyPrefix() + "tasks", "workers", "-", "+", "1")
                        .split("\\s+");
                assertThat(Long.parseLong(pending[2])).isGreaterThanOrEqualTo(
                        settings.visibilityTimeout().toMillis() - consumer.backoffMillis(attempt));
                assertThat(Long.parseLong(pending[3])).isEqualTo(attempt);
            }
        }

        assertThat(queue.length()).isZero();
        assertThat(consumer.poll(1, Duration.ofMillis(100))).isEmpty();
        assertThat(deadLetters.list(10)).singleElement().satisfies(letter -> {
            assertThat(letter.type()).isEqualTo(TaskType.UPLOAD);
            assertThat(letter.uploadId()).isEqualTo(uploadId);
            assertThat(letter.reason()).isEqualTo("storage: service unavailable");
            assertThat(letter.bodyBytes()).isEqualTo(3);
            assertThat(letter.failedAtMillis()).isGreaterThanOrEqualTo(letter.acceptedAtMillis());
        });
    }

    @Test
    void backOffGrowsAndStaysBelowTheVisibilityTimeout() {
        QueueSettings settings = new QueueSettings("unused:", 10, Duration.ofSeconds(5), 10, Duration.ofSeconds(1),
                Duration.ofDays(1));
        TaskConsumer consumer = new TaskConsumer(bed.link, settings, "backoff");
        assertThat(consumer.backoffMillis(1)).isEqualTo(1000);
        assertThat(consumer.backoffMillis(2)).isEqualTo(2000);
        assertThat(consumer.backoffMillis(3)).isEqualTo(4000);
        assertThat(consumer.backoffMillis(4)).isEqualTo(5000);
        assertThat(consumer.backoffMillis(500)).isEqualTo(5000);
    }

    @Test
    void aTaskThatKeepsKillingWorkersIsParked() {
        QueueSettings settings = bed.settings(1000, Duration.ofSeconds(1), 1);
        TaskQueue queue = new TaskQueue(bed.link, settings);
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        queue.enqueueUpload("user-1", new byte[] {9});

        // Each worker takes the task and "dies" (never finishes); the next one reclaims it.
        long lastAttempt = 0;
        for (int worker = 0; worker < 1 + TaskConsumer.POISON_MARGIN; worker++) {
            List<Delivery> got = QueueTestBed.pollUntil(bed.consumer(settings), 1, Duration.ofSeconds(10));
            assertThat(got).hasSize(1);
            lastAttempt = got.get(0).attempt();
        }
        assertThat(lastAttempt).isEqualTo(1 + TaskConsumer.POISON_MARGIN);

        TaskConsumer next = bed.consumer(settings);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (deadLetters.list(1).isEmpty() && System.nanoTime() - deadline < 0) {
            assertThat(next.poll(1, Duration.ofMillis(200))).isEmpty();
        }
        assertThat(deadLetters.list(10)).singleElement()
                .satisfies(letter -> assertThat(letter.reason()).contains("without finishing"));
        assertThat(queue.length()).isZero();
    }

    @Test
    void handedBackTasksAreReclaimedAtOnceWithoutUsingAnAttempt() {
        // a visibility timeout far longer than the test: only the hand-back can make the task reclaimable
        QueueSettings settings = bed.settings(1000, Duration.ofMinutes(5), 3);
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer leaving = bed.consumer(settings);
        TaskConsumer staying = bed.consumer(settings);
        String uploadId = queue.enqueueUpload("user-1", new byte[] {1});
        List<Delivery> got = QueueTestBed.pollUntil(leaving, 1, Duration.ofSeconds(5));
        assertThat(got).hasSize(1);

        leaving.handBack(got.get(0));

        List<Delivery> reclaimed = QueueTestBed.pollUntil(staying, 1, Duration.ofSeconds(5));
        assertThat(reclaimed).singleElement().satisfies(delivery -> {
            assertThat(delivery.task().uploadId()).isEqualTo(uploadId);
            assertThat(delivery.attempt()).isEqualTo(1);
        });
    }

    @Test
    void forgetMarkersCoverOnlyUploadsAcceptedBeforeTheDelete() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        String before = queue.enqueueUpload("user-f", new byte[] {1});
        String otherUser = queue.enqueueUpload("user-g", new byte[] {2});
        queue.enqueueDelete("user-f");
        String after = queue.enqueueUpload("user-f", new byte[] {3});

        Map<String, Delivery> uploads = QueueTestBed.pollUntil(consumer, 4, Duration.ofSeconds(5)).stream()
                .filter(delivery -> delivery.task().type() == TaskType.UPLOAD)
                .collect(Collectors.toMap(delivery -> delivery.task().uploadId(), Function.identity()));

        assertThat(uploads).hasSize(3);
        assertThat(uploads.get(before).coveredWhenPolled()).isTrue();
        assertThat(uploads.get(after).coveredWhenPolled()).isFalse();
        assertThat(uploads.get(otherUser).coveredWhenPolled()).isFalse();
        String ttl = bed.server.cli("PTTL", settings.keyPrefix() + "forget:user-f");
        assertThat(Long.parseLong(ttl)).isBetween(1L, Duration.ofDays(30).toMillis());
    }

    @Test
    void closedConsumersLeaveTheGroupOnlyWhenTheyHoldNothing() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer idle = new TaskConsumer(bed.link, settings, "idle-consumer");
        TaskConsumer holding = new TaskConsumer(bed.link, settings, "holding-consumer");
        assertThat(idle.poll(1, Duration.ofMillis(50))).isEmpty();
        queue.enqueueUpload("user-1", new byte[] {1});
        assertThat(QueueTestBed.pollUntil(holding, 1, Duration.ofSeconds(5))).hasSize(1);

        idle.close();
        holding.close();

        String consumers = bed.server.cli("XINFO", "CONSUMERS", settings.keyPrefix() + "tasks", "workers");
        assertThat(consumers).contains("holding-consumer").doesNotContain("idle-consumer");
    }

    @Test
    void uniqueConsumerNamesDiffer() {
        assertThat(TaskConsumer.uniqueConsumerName()).isNotEqualTo(TaskConsumer.uniqueConsumerName())
                .contains("-" + ProcessHandle.current().pid() + "-");
    }

    @Test
    void deletesAreReadBeforeWaitingUploads() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        for (int i = 0; i < 5; i++) {
            queue.enqueueUpload("user-" + i, new byte[] {(byte) i});
        }
        queue.enqueueDelete("user-late");

        List<Delivery> first = consumer.poll(2, Duration.ofMillis(100));
        assertThat(first).extracting(d -> d.task().type()).containsExactly(TaskType.DELETE, TaskType.UPLOAD);
        assertThat(first.get(0).stream()).isEqualTo(TaskStream.DELETES);
        assertThat(first.get(1).stream()).isEqualTo(TaskStream.UPLOADS);
    }

    @Test
    void aWaitThatWakesUpToBothKindsWithOnePlaceKeepsTheDeleteAndHandsTheUploadBack() throws Exception {
        QueueSettings settings = bed.settings();
        TaskConsumer consumer = bed.consumer(settings);
        consumer.poll(1, Duration.ofMillis(10)); // the groups exist
        var polled = java.util.concurrent.CompletableFuture.supplyAsync(() -> consumer.poll(1, Duration.ofSeconds(10)));
        // Blocked in XREADGROUP on both streams; then one script fills both at once. (Redis 7.0 answers a blocked
        // read with the stream that woke it only; later versions read both: either way the delete comes alone.)
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> bed.server.cli("CLIENT", "LIST").lines()
                        .anyMatch(line -> line.contains(" flags=b ") && line.contains("cmd=xreadgroup")));
        bed.server.cli("EVAL", "redis.call('XADD', KEYS[1], '*', 'type', 'delete', 'user', 'u', 'order', "
                + "'9999999999999-1', 'accepted', '1') redis.call('XADD', KEYS[2], '*', 'type', 'upload', "
                + "'user', 'u', 'upload_id', 'x', 'order', '9999999999999-0', 'accepted', '1', 'body', 'b') "
                + "return 1", "2", settings.keyPrefix() + "deletes", settings.keyPrefix() + "tasks");

        List<Delivery> got = polled.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(got).singleElement().satisfies(d -> assertThat(d.task().type()).isEqualTo(TaskType.DELETE));
        List<Delivery> next = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(10));
        assertThat(next).singleElement().satisfies(d -> {
            assertThat(d.task().type()).isEqualTo(TaskType.UPLOAD);
            assertThat(d.attempt()).as("a hand-back uses up no attempt").isEqualTo(1);
        });
    }
}
