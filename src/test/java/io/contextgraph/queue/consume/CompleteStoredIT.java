package io.contextgraph.queue.consume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.QueueTestBed;
import io.contextgraph.queue.StreamIds;
import io.contextgraph.queue.TaskType;
import io.contextgraph.queue.consume.TaskConsumer.StoredCompletion;
import io.contextgraph.queue.deadletter.DeadLetters;
import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.queue.redis.QueueUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link TaskConsumer#completeStored}: the forget-marker check after the write, the stored-session and contributor
 * counts and the completion as one step, and the batches that completions handed in together go in, against a real
 * redis-server.
 */
@Timeout(60)
class CompleteStoredIT {

    @RegisterExtension
    static final QueueTestBed bed = new QueueTestBed();

    @Test
    void countsSessionsAndContributorsAndCompletesInOneStep() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        queue.enqueueUpload("user-a", new byte[] {1});
        queue.enqueueUpload("user-a", new byte[] {2});
        List<Delivery> deliveries = QueueTestBed.pollUntil(consumer, 2, Duration.ofSeconds(5));
        assertThat(deliveries).hasSize(2);

        assertThat(consumer.completeStored(deliveries.get(0), 7)).isEqualTo(StoredCompletion.COMPLETED_NEW_CONTRIBUTOR);
        assertThat(consumer.completeStored(deliveries.get(1), 3)).isEqualTo(StoredCompletion.COMPLETED);

        String prefix = settings.keyPrefix();
        assertThat(bed.server.cli("HGET", prefix + "stats", "sessions_stored")).isEqualTo("10");
        assertThat(bed.server.cli("PFCOUNT", prefix + "stats:stored_contributors")).isEqualTo("1");
        assertThat(queue.length()).isZero();
        assertThat(bed.server.cli("XPENDING", prefix + "tasks", "workers")).startsWith("0");
        assertThat(new QueueStats(bed.link, settings).snapshot()).containsEntry("sessions_stored", 10L);
    }

    @Test
    void uploadsDoneWhileACallIsOnItsWayGoInTheNextCallEachJudgedAsIfAlone() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        queue.enqueueUpload("user-w", new byte[] {9});
        // Loads the script, so that each call below is one EVALSHA.
        assertThat(consumer.completeStored(QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0), 1))
                .isEqualTo(StoredCompletion.COMPLETED_NEW_CONTRIBUTOR);
        String lead = queue.enqueueUpload("user-z", new byte[] {0});
        String before = queue.enqueueUpload("user-p", new byte[] {1});
        String otherUser = queue.enqueueUpload("user-q", new byte[] {2});
        List<Delivery> early = QueueTestBed.pollUntil(consumer, 3, Duration.ofSeconds(5));
        queue.enqueueDelete("user-p");
        String after = queue.enqueueUpload("user-p", new byte[] {3});
        String afterAgain = queue.enqueueUpload("user-p", new byte[] {4});
        List<Delivery> late = QueueTestBed.pollUntil(consumer, 3, Duration.ofSeconds(5));
        Map<String, Delivery> uploads = java.util.stream.Stream.concat(early.stream(), late.stream())
                .filter(delivery -> delivery.task().type() == TaskType.UPLOAD)
                .collect(Collectors.toMap(delivery -> delivery.task().uploadId(), Function.identity()));
        assertThat(uploads).hasSize(5);
        long callsBefore = scriptCalls();

        List<StoredCompletions.Request> batch;
        StoredCompletions.Request inFlight;
        bed.server.pause(); // the first call stays on its way while the others are handed in
        try {
            inFlight = consumer.completeStoredLater(uploads.get(lead), 1);
            batch = List.of(consumer.completeStoredLater(uploads.get(before), 5),
                    consumer.completeStoredLater(uploads.get(otherUser), 2),
                    consumer.completeStoredLater(uploads.get(after), 1),
                    consumer.completeStoredLater(uploads.get(afterAgain), 4));
        } finally {
            bed.server.resume();
        }

        assertThat(inFlight.outcome().join()).isEqualTo(StoredCompletion.COMPLETED_NEW_CONTRIBUTOR);
        assertThat(batch.stream().map(request -> request.outcome().join())).containsExactly(StoredCompletion.COVERED,
                StoredCompletion.COMPLETED_NEW_CONTRIBUTOR, StoredCompletion.COMPLETED_NEW_CONTRIBUTOR,
                StoredCompletion.COMPLETED);
        assertThat(scriptCalls() - callsBefore).as("the lone first call, then one for the four").isEqualTo(2);
        String prefix = settings.keyPrefix();
        assertThat(bed.server.cli("HGET", prefix + "stats", "sessions_stored")).isEqualTo("9");
        assertThat(bed.server.cli("PFCOUNT", prefix + "stats:stored_contributors")).isEqualTo("4");
        // Left: the covered upload (the caller removes its object, then completes it) and the delete task.
        assertThat(queue.length()).isEqualTo(2);
        assertThat(bed.server.cli("XPENDING", prefix + "tasks", "workers")).startsWith("1");
    }

    @Test
    void aFailedCallFailsEveryUploadInItAndLeavesThemPending() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        queue.enqueueUpload("user-x", new byte[] {1});
        queue.enqueueUpload("user-y", new byte[] {2});
        queue.enqueueUpload("user-y", new byte[] {3});
        List<Delivery> deliveries = QueueTestBed.pollUntil(consumer, 3, Duration.ofSeconds(5));
        assertThat(deliveries).hasSize(3);
        String prefix = settings.keyPrefix();
        bed.server.cli("SET", prefix + "stats", "not-a-hash");

        List<StoredCompletions.Request> requests;
        bed.server.pause();
        try {
            requests = deliveries.stream().map(delivery -> consumer.completeStoredLater(delivery, 2)).toList();
        } finally {
            bed.server.resume();
        }

        for (StoredCompletions.Request request : requests) {
            assertThatThrownBy(() -> request.await(bed.link.timer(), Duration.ofSeconds(5).toNanos()))
                    .isInstanceOf(QueueUnavailableException.class);
        }
        assertThat(queue.length()).isEqualTo(3);
        assertThat(bed.server.cli("XPENDING", prefix + "tasks", "workers")).startsWith("3");
        assertThat(bed.server.cli("EXISTS", prefix + "stats:stored_contributors")).isEqualTo("0");
    }

    /** How many scripts the server ran by their SHA1 so far. */
    private static long scriptCalls() {
        return QueueTestBed.scriptCalls(bed.server);
    }

    @Test
    void anUploadCoveredByALaterDeleteIsNeitherCountedNorCompleted() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        String before = queue.enqueueUpload("user-f", new byte[] {1});
        String otherUser = queue.enqueueUpload("user-g", new byte[] {2});
        List<Delivery> early = QueueTestBed.pollUntil(consumer, 2, Duration.ofSeconds(5));
        // The delete is accepted while the uploads are being written (after the check before the write).
        queue.enqueueDelete("user-f");
        String after = queue.enqueueUpload("user-f", new byte[] {3});
        List<Delivery> late = QueueTestBed.pollUntil(consumer, 2, Duration.ofSeconds(5));
        Map<String, Delivery> uploads = java.util.stream.Stream.concat(early.stream(), late.stream())
                .filter(delivery -> delivery.task().type() == TaskType.UPLOAD)
                .collect(Collectors.toMap(delivery -> delivery.task().uploadId(), Function.identity()));
        assertThat(uploads).hasSize(3);

        assertThat(consumer.completeStored(uploads.get(before), 5)).isEqualTo(StoredCompletion.COVERED);
        assertThat(consumer.completeStored(uploads.get(otherUser), 2))
                .isEqualTo(StoredCompletion.COMPLETED_NEW_CONTRIBUTOR);
        assertThat(consumer.completeStored(uploads.get(after), 1)).isEqualTo(StoredCompletion.COMPLETED_NEW_CONTRIBUTOR);

        String prefix = settings.keyPrefix();
        assertThat(bed.server.cli("HGET", prefix + "stats", "sessions_stored")).isEqualTo("3");
        assertThat(bed.server.cli("PFCOUNT", prefix + "stats:stored_contributors")).isEqualTo("2");
        // The covered upload is still pending and in the stream (with the delete task): the caller removes the
        // object first and completes after.
        assertThat(queue.length()).isEqualTo(2);
        Delivery covered = uploads.get(before);
        assertThat(bed.server.cli("XRANGE", prefix + "tasks", covered.task().entryId(), covered.task().entryId()))
                .contains(covered.task().entryId());
        consumer.complete(covered);
        assertThat(queue.length()).isEqualTo(1);
    }

    @Test
    void aReplayedUploadIsJudgedByItsOriginalOrder() {
        QueueSettings settings = bed.settings(1000, Duration.ofSeconds(1), 1);
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        queue.enqueueUpload("user-r", new byte[] {1});
        Delivery first = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        consumer.deadLetter(first, "test");
        assertThat(deadLetters.replay(java.util.Optional.empty())).isEqualTo(1);
        Delivery replayed = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        // A delete accepted after the original acceptance but before the replay still covers it.
        String markerKey = settings.keyPrefix() + "forget:user-r";
        String between = nextId(first.task().orderId());
        bed.server.cli("SET", markerKey, between);
        assertThat(StreamIds.compare(replayed.task().entryId(), between)).isPositive();

        assertThat(consumer.completeStored(replayed, 4)).isEqualTo(StoredCompletion.COVERED);
        assertThat(bed.server.cli("HEXISTS", settings.keyPrefix() + "stats", "sessions_stored")).isEqualTo("0");
    }

    @Test
    void aFailedStepChangesNothingAndLeavesTheTaskPending() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        queue.enqueueUpload("user-w", new byte[] {1});
        Delivery delivery = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        String prefix = settings.keyPrefix();
        // The stats key of the wrong type makes HINCRBY fail inside the step: nothing after it may happen.
        bed.server.cli("SET", prefix + "stats", "not-a-hash");

        assertThatThrownBy(() -> consumer.completeStored(delivery, 2)).isInstanceOf(QueueUnavailableException.class);

        assertThat(queue.length()).isEqualTo(1);
        assertThat(bed.server.cli("XPENDING", prefix + "tasks", "workers")).startsWith("1");
        assertThat(bed.server.cli("EXISTS", prefix + "stats:stored_contributors")).isEqualTo("0");
    }

    @Test
    void anUploadOlderThanTheForgetMarkerTtlIsNotKept() {
        QueueSettings base = bed.settings();
        QueueSettings settings = new QueueSettings(base.keyPrefix(), base.maxLength(), base.visibilityTimeout(),
                base.maxAttempts(), base.retryBaseDelay(), Duration.ofMillis(200), Duration.ZERO,
                Duration.ofMillis(100));
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        queue.enqueueUpload("user-t", new byte[] {1});
        Delivery fresh = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        assertThat(fresh.coveredWhenPolled()).isFalse();

        // A delete accepted after it could have had its marker expire by now: it can no longer be judged.
        QueueTestBed.sleep(300);
        assertThat(consumer.completeStored(fresh, 1)).isEqualTo(StoredCompletion.COVERED);
        consumer.handBack(fresh);
        Delivery again = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        assertThat(again.coveredWhenPolled()).isTrue();
    }

    private static String nextId(String id) {
        int dash = id.indexOf('-');
        return id.substring(0, dash) + "-" + (Long.parseLong(id.substring(dash + 1)) + 1);
    }
}
