package io.contextgraph.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.contextgraph.queue.consume.Delivery;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.testing.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Redis going away and coming back (empty: the test servers keep nothing). */
@Timeout(90)
class RedisOutageIT {

    private static final Duration NO_HANG_BOUND = Duration.ofSeconds(5);

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
    void requestsFailPromptlyWhileRedisIsDownAndWorkAgainAfterwards() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        queue.enqueueUpload("user-1", new byte[] {1});
        assertThat(bed.link.ping()).isTrue();

        bed.server.stop();

        long start = System.nanoTime();
        assertThatThrownBy(() -> queue.enqueueUpload("user-1", new byte[] {2}))
                .isInstanceOf(QueueUnavailableException.class);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.println("enqueue with Redis down failed after " + took.toMillis() + " ms");
        assertThat(took).isLessThan(NO_HANG_BOUND);
        assertThatThrownBy(() -> queue.enqueueDelete("user-1")).isInstanceOf(QueueUnavailableException.class);
        assertThat(bed.link.ping()).isFalse();
        assertThat(bed.link.lastError()).isPresent();

        bed.server.start();

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(bed.link::ping);
        assertThat(queue.enqueueUpload("user-1", new byte[] {3})).matches("\\d{13}-\\d{6}-[A-Za-z0-9_-]{22}");
        assertThat(queue.length()).isEqualTo(1); // the restarted server came back empty
        assertThat(bed.link.lastError()).isEmpty();
    }

    @Test
    void aLinkStartedWhileRedisIsDownConnectsByItself() {
        bed.server.stop();
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        try (RedisLink late = new RedisLink(QueueTestBed.settingsFor(bed.server))) {
            late.onFirstConnectFailure(reported::add);
            long start = System.nanoTime();
            late.start();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(NO_HANG_BOUND);
            assertThat(late.ping()).isFalse();
            assertThat(reported).hasSize(1);
            assertThat(reported.get(0)).hasMessageContaining("startup check failed");
            TaskQueue queue = new TaskQueue(late, bed.settings());
            assertThatThrownBy(() -> queue.enqueueDelete("user-1")).isInstanceOf(QueueUnavailableException.class);

            bed.server.start();

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(late::ping);
            queue.enqueueDelete("user-1");
            assertThat(queue.length()).isEqualTo(1);
            assertThat(reported).hasSize(1);
        }
    }

    @Test
    void consumersRecreateTheGroupWhenRedisComesBackEmpty() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        TaskConsumer consumer = bed.consumer(settings);
        queue.enqueueUpload("user-1", new byte[] {1});
        List<Delivery> first = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(5));
        assertThat(first).hasSize(1);
        consumer.complete(first.get(0));

        bed.server.kill();
        assertThatThrownBy(() -> consumer.poll(1, Duration.ofMillis(100)))
                .isInstanceOf(QueueUnavailableException.class);
        bed.server.start();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(bed.link::ping);

        // the producer recreates the stream, without the group, before any consumer notices
        String uploadId = queue.enqueueUpload("user-1", new byte[] {2});
        assertThat(bed.server.cli("XINFO", "GROUPS", settings.keyPrefix() + "tasks")).isEmpty();

        List<Delivery> after = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(15));
        assertThat(after).singleElement()
                .satisfies(delivery -> assertThat(delivery.task().uploadId()).isEqualTo(uploadId));
        consumer.complete(after.get(0));
        assertThat(queue.length()).isZero();
    }

    @Test
    void anUnresponsiveRedisTimesOutInsteadOfHanging() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        queue.enqueueUpload("user-1", new byte[] {1});

        bed.server.cli("CLIENT", "PAUSE", "3000", "ALL"); // connected, but answers nothing

        long start = System.nanoTime();
        assertThatThrownBy(() -> queue.enqueueUpload("user-1", new byte[] {2}))
                .isInstanceOf(QueueUnavailableException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(NO_HANG_BOUND);
        assertThat(bed.link.ping()).isFalse();

        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(bed.link::ping);
        queue.enqueueUpload("user-1", new byte[] {3});
        // A timed-out request may still have been queued (Redis ran it after the pause): the client got a 503 and
        // will retry, which at worst stores the same upload twice under two upload ids.
        assertThat(queue.length()).isEqualTo(3);
    }

    @Test
    void scriptsAreLoadedAgainAfterRedisLostThem() {
        QueueSettings settings = bed.settings();
        TaskQueue queue = new TaskQueue(bed.link, settings);
        queue.enqueueUpload("user-1", new byte[] {1});
        bed.server.cli("SCRIPT", "FLUSH");

        queue.enqueueUpload("user-1", new byte[] {2});

        assertThat(queue.length()).isEqualTo(2);
    }
}
