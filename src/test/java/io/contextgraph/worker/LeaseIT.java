package io.contextgraph.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.contextgraph.data.Blocklist;
import io.contextgraph.data.SessionFilter;
import io.contextgraph.data.UrlFilter;
import io.contextgraph.observability.ErrorReporter;
import io.contextgraph.observability.Metrics;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.deadletter.DeadLetters;
import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.queue.redis.RedisSettings;
import io.contextgraph.testing.OpenedInTest;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Leases of tasks in progress, with a real Redis and two worker loops in this JVM: a task whose S3 PUT is held far
 * past the visibility timeout stays with its live worker; the other worker, reclaiming idle tasks all the while,
 * never gets it, so it is never processed twice at the same time.
 */
@Timeout(120)
class LeaseIT {
    /** Renewed every 2/3 s: a renewal may come more than a second late on a loaded machine before the test fails. */
    private static final Duration VISIBILITY = Duration.ofSeconds(2);

    @RegisterExtension
    final OpenedInTest opened = new OpenedInTest();

    @Test
    void aTaskHeldPastTheVisibilityTimeoutIsNotTakenOverWhileItsWorkerLives() {
        RedisServer redis = opened.keep(new RedisServer());
        RedisLink link = opened.keep(new RedisLink(RedisSettings.of("127.0.0.1", redis.port())));
        link.start();
        QueueSettings settings = new QueueSettings("lease:", 100, VISIBILITY, 5, Duration.ofMillis(100),
                Duration.ofDays(1));
        HeldStore store = opened.keep(new HeldStore());
        TaskConsumer first = opened.keep(new TaskConsumer(link, settings, "first"));
        opened.keep(loop(link, settings, first, store)).start();

        new TaskQueue(link, settings).enqueueUpload(Uploads.newUser(), Uploads.withMarker("held"));
        await().atMost(Duration.ofSeconds(10)).until(() -> store.entered() == 1);

        TaskConsumer second = opened.keep(new TaskConsumer(link, settings, "second"));
        opened.keep(loop(link, settings, second, store)).start();
        // Three visibility timeouts, while the second worker looks for idle tasks about once a second.
        await().during(VISIBILITY.multipliedBy(3)).atMost(VISIBILITY.multipliedBy(6))
                .pollInterval(Duration.ofMillis(50)).until(() -> {
                    List<String> pending = pending(redis);
                    return pending.size() == 1 && pending.get(0).equals("first 1") && store.entered() == 1;
                });

        store.release();
        await().atMost(Duration.ofSeconds(10)).until(() -> "0".equals(redis.cli("XLEN", "lease:tasks")));
        assertThat(store.mostAtOnceForOneKey()).as("PUTs of the task at the same time").isEqualTo(1);
        assertThat(store.finishedPuts()).isEqualTo(1);
        assertThat(store.stored).hasSize(1);
    }

    /** Owner and delivery count of each pending entry, e.g. "first 1". */
    private static List<String> pending(RedisServer redis) {
        String[] lines = redis.cli("XPENDING", "lease:tasks", "workers", "-", "+", "10").split("\n");
        List<String> entries = new ArrayList<>();
        for (int i = 0; i + 3 < lines.length; i += 4) {
            entries.add(lines[i + 1].strip() + " " + lines[i + 3].strip());
        }
        return entries;
    }

    static TaskLoop loop(RedisLink link, QueueSettings settings, TaskConsumer consumer, HeldStore store) {
        return TaskLoop.create(consumer, Optional.empty(),
                new SessionFilter(new UrlFilter(Blocklist.bundled())), store,
                new DeadLetters(link, settings), new QueueStats(link, settings), Metrics.none(), ErrorReporter.off(),
                4, 64L << 20, 10 << 20, Duration.ofSeconds(1));
    }
}
