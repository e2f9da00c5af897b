package io.contextgraph.queue.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.QueueTestBed;
import io.contextgraph.queue.Task;
import io.contextgraph.queue.TaskStream;
import io.contextgraph.queue.TaskType;
import io.contextgraph.queue.consume.Delivery;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.ingest.TaskQueue;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class DeadLettersIT {

    @RegisterExtension
    static final QueueTestBed bed = new QueueTestBed();

    /** Enqueues an upload and parks it; returns its delivery. */
    private static Delivery park(TaskQueue queue, TaskConsumer consumer, String user, byte[] body) {
        queue.enqueueUpload(user, body);
        List<Delivery> got = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5));
        assertThat(got).hasSize(1);
        consumer.deadLetter(got.get(0), "json: unexpected end");
        return got.get(0);
    }

    @Test
    void replayedDeadLettersKeepTheirOrderAndAreProcessed() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        byte[] body = {0, (byte) 0xFE, 'x'};
        Delivery parked = park(queue, consumer, "user-1", body);

        List<DeadLetter> listed = deadLetters.list(10);
        assertThat(listed).singleElement().satisfies(letter -> {
            assertThat(letter.uploadId()).isEqualTo(parked.task().uploadId());
            assertThat(letter.reason()).isEqualTo("json: unexpected end");
            assertThat(letter.bodyBytes()).isEqualTo(3);
            assertThat(letter.toString()).doesNotContain("user-1");
        });
        assertThat(queue.length()).isZero();

        assertThat(deadLetters.replay(Optional.empty())).isEqualTo(1);

        assertThat(deadLetters.list(10)).isEmpty();
        List<Delivery> replayed = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5));
        assertThat(replayed).singleElement().satisfies(delivery -> {
            Task task = delivery.task();
            assertThat(task.orderId()).isEqualTo(parked.task().orderId());
            assertThat(task.entryId()).isNotEqualTo(parked.task().entryId());
            assertThat(task.uploadId()).isEqualTo(parked.task().uploadId());
            assertThat(task.user()).isEqualTo("user-1");
            assertThat(task.body()).containsExactly(body);
            assertThat(task.acceptedAtMillis()).isEqualTo(parked.task().acceptedAtMillis());
            assertThat(delivery.attempt()).isEqualTo(1);
        });
        consumer.complete(replayed.get(0));
        assertThat(queue.length()).isZero();
    }

    @Test
    void aReplayedDeadLetterIsStillCoveredByADeleteAcceptedAfterItsFirstAcceptance() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        Delivery parked = park(queue, consumer, "user-2", new byte[] {1});
        String letterId = deadLetters.list(1).get(0).id();

        queue.enqueueDelete("user-2");
        List<Delivery> delete = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5));
        assertThat(delete).singleElement().satisfies(d -> assertThat(d.task().type()).isEqualTo(TaskType.DELETE));
        consumer.complete(delete.get(0));

        assertThat(deadLetters.replay(Optional.of("1-1"))).isZero();
        assertThat(deadLetters.replay(Optional.of(letterId))).isEqualTo(1);
        List<Delivery> replayed = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5));
        assertThat(replayed).hasSize(1);
        assertThat(replayed.get(0).task().orderId()).isEqualTo(parked.task().orderId());
        assertThat(replayed.get(0).coveredWhenPolled()).isTrue();
    }

    @Test
    void anUploadCoveredByADeleteIsDroppedInsteadOfParked() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        queue.enqueueUpload("user-3", new byte[] {1});
        queue.enqueueDelete("user-3");
        List<Delivery> got = QueueTestBed.pollUntil(consumer, 2, Duration.ofSeconds(5));
        Delivery upload = got.stream().filter(d -> d.task().type() == TaskType.UPLOAD).findFirst().orElseThrow();

        consumer.deadLetter(upload, "storage: failed");

        assertThat(deadLetters.list(10)).isEmpty();
        // The delete is left, and queued once more in case an attempt of the upload wrote its object.
        assertThat(queue.length()).isEqualTo(2);
    }

    @Test
    void purgeUserRemovesOnlyThatUsersDeadLettersAcceptedBeforeTheDelete() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        park(queue, consumer, "user-gone", new byte[] {1});
        Delivery kept = park(queue, consumer, "user-kept", new byte[] {2});
        park(queue, consumer, "user-gone", new byte[] {3});
        String deleteOrder = queue.enqueueDelete("user-gone");
        Delivery delete = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        consumer.complete(delete);
        Delivery later = park(queue, consumer, "user-gone", new byte[] {4}); // accepted after the delete

        assertThat(deadLetters.purgeUser("user-gone", deleteOrder)).isEqualTo(2);

        assertThat(deadLetters.list(10)).extracting(DeadLetter::uploadId)
                .containsExactlyInAnyOrder(kept.task().uploadId(), later.task().uploadId());
        assertThat(deadLetters.purgeUser("user-gone", deleteOrder)).isZero();
        // Found through the user's index, not by scanning the stream.
        assertThat(bed.server.cli("SCARD", settings.keyPrefix() + "dead:user:user-gone")).isEqualTo("1");
    }

    @Test
    void aParkedDeleteIsListedApartAndReplayedOntoTheDeleteStreamWithItsOrder() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        park(queue, consumer, "user-u", new byte[] {1});
        String order = queue.enqueueDelete("user-del");
        assertThat(deadLetters.waitingDeletes().count()).isEqualTo(1);
        Delivery delete = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        assertThat(delete.stream()).isEqualTo(TaskStream.DELETES);
        Optional<String> parked = consumer.deadLetter(delete, "storage: down");
        assertThat(deadLetters.waitingDeletes().count()).isZero();
        assertThat(parked).as("the ID the worker logs is the one dead-letters list shows")
                .hasValue(deadLetters.list(TaskType.DELETE, 10).get(0).id());

        assertThat(deadLetters.list(TaskType.DELETE, 10)).singleElement()
                .satisfies(letter -> assertThat(letter.reason()).isEqualTo("storage: down"));
        assertThat(deadLetters.list(TaskType.UPLOAD, 10)).hasSize(1);

        String id = deadLetters.list(TaskType.DELETE, 10).get(0).id();
        assertThat(deadLetters.replay(Optional.of(id))).isEqualTo(1);
        assertThat(bed.server.cli("XLEN", settings.keyPrefix() + "deletes")).isEqualTo("1");
        Delivery replayed = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        assertThat(replayed.stream()).isEqualTo(TaskStream.DELETES);
        assertThat(replayed.task().orderId()).isEqualTo(order);
        consumer.complete(replayed);
        assertThat(queue.length()).isZero();
        assertThat(bed.server.cli("SCARD", settings.keyPrefix() + "dead:user:user-del")).isEqualTo("0");
    }

    @Test
    void deadLettersExpireAfterTheRetention() {
        QueueSettings base = bed.settings();
        QueueSettings settings = new QueueSettings(base.keyPrefix(), base.maxLength(), base.visibilityTimeout(),
                base.maxAttempts(), base.retryBaseDelay(), base.forgetMarkerTtl(), base.dedupWindow(),
                Duration.ofMillis(300));
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        park(queue, consumer, "user-old", new byte[] {1});
        queue.enqueueDelete("user-forget");
        Delivery delete = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        consumer.deadLetter(delete, "storage: down");
        assertThat(deadLetters.expire()).as("younger than the retention").isZero();

        QueueTestBed.sleep(400); // the retention is measured on the Redis clock, nothing to race with
        park(queue, consumer, "user-new", new byte[] {2});
        assertThat(deadLetters.expire()).as("only the old upload; a parked delete never expires").isEqualTo(1);

        assertThat(deadLetters.list(TaskType.UPLOAD, 10)).singleElement()
                .satisfies(letter -> assertThat(letter.bodyBytes()).isEqualTo(1));
        assertThat(deadLetters.list(TaskType.DELETE, 10)).singleElement()
                .satisfies(letter -> assertThat(letter.reason()).isEqualTo("storage: down"));
        assertThat(deadLetters.purgeUser("user-old", queue.enqueueDelete("user-old"))).isZero();
    }

    /**
     * operations.md: expiry removes at most 1000 per script call, and expire() calls again until a call removes
     * fewer. 2500 expired uploads (written directly in the parked format, with IDs from 1970) take three calls
     * (1000, 1000, 500); the parked delete after them stays.
     */
    @Test
    void expiryRemovesAtMostAThousandPerScriptCallAndCallsUntilAllAreGone() {
        // Loads the script (on an empty queue), so that every call counted below runs it.
        assertThat(new DeadLetters(bed.link, bed.settings()).expire()).isZero();
        QueueSettings settings = bed.settings();
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        String dead = settings.keyPrefix() + "dead";
        bed.server.cli("EVAL", "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '1-' .. i, 'type', "
                + "'upload', 'user', 'user-' .. i, 'accepted', '1', 'order', '1-' .. i, 'reason', 'storage: down', "
                + "'failed_at', '1') end redis.call('XADD', KEYS[1], '2-1', 'type', 'delete', 'user', 'user-del', "
                + "'accepted', '2', 'order', '2-1', 'reason', 'storage: down', 'failed_at', '2')", "1", dead, "2500");
        assertThat(bed.server.cli("XLEN", dead)).isEqualTo("2501");
        long callsBefore = QueueTestBed.scriptCalls(bed.server);

        assertThat(deadLetters.expire()).isEqualTo(2500);

        assertThat(QueueTestBed.scriptCalls(bed.server) - callsBefore).as("1000, 1000, then 500").isEqualTo(3);
        assertThat(bed.server.cli("XLEN", dead)).as("the parked delete never expires").isEqualTo("1");
    }

    @Test
    void aCoveredUploadThatIsParkedQueuesItsDeleteAgain() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        queue.enqueueUpload("user-c", new byte[] {1});
        Delivery upload = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        String order = queue.enqueueDelete("user-c");
        Delivery delete = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        consumer.complete(delete);

        // E.g. removing the object it wrote kept failing: the upload is not parked, the delete runs once more.
        consumer.deadLetter(upload, "storage: failed");

        Delivery again = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5)).get(0);
        assertThat(again.task().type()).isEqualTo(TaskType.DELETE);
        assertThat(again.task().orderId()).isEqualTo(order);
        assertThat(new DeadLetters(bed.link, settings).list(10)).isEmpty();
    }

    @Test
    void deadLettersParkedBeforeTheIndexExistedAreIndexedOnceAndThenPurged() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        DeadLetters deadLetters = new DeadLetters(bed.link, settings);
        // As an older version parked it: no index entry.
        bed.server.cli("XADD", settings.keyPrefix() + "dead", "*", "type", "upload", "user", "user-legacy",
                "upload_id", "q3Vb0q3Vb0q3Vb0q3Vb0q3", "accepted", "1", "body", "x", "order", "1-0", "reason", "r",
                "failed_at", "1");
        String order = queue.enqueueDelete("user-legacy");
        assertThat(deadLetters.purgeUser("user-legacy", order)).as("not indexed yet").isZero();

        assertThat(deadLetters.indexUnindexed()).isEqualTo(1);
        assertThat(deadLetters.indexUnindexed()).as("once per Redis").isZero();
        assertThat(deadLetters.purgeUser("user-legacy", order)).isEqualTo(1);
        assertThat(deadLetters.list(10)).isEmpty();
    }
}
