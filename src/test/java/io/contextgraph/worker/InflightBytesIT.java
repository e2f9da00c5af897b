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

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The worker's budget of task bytes held at once, with a real Redis: big uploads whose PUTs are held are not all
 * taken off the queue at once although places are free, only as many as the budget holds; the rest follow as the
 * first ones finish.
 */
@Timeout(120)
class InflightBytesIT {
    private static final int MAX_TASK_BYTES = 10 << 20;
    private static final long BUDGET = 3L * MAX_TASK_BYTES;
    private static final int TASKS = 8;

    @RegisterExtension
    final OpenedInTest opened = new OpenedInTest();

    @Test
    void bigTasksBeyondTheBudgetAreNotHeldAtOnce() {
        RedisServer redis = opened.keep(new RedisServer());
        RedisLink link = opened.keep(new RedisLink(RedisSettings.of("127.0.0.1", redis.port())));
        link.start();
        QueueSettings settings = new QueueSettings("bytes:", 100, Duration.ofSeconds(30), 5, Duration.ofMillis(100),
                Duration.ofDays(1));
        TaskQueue queue = new TaskQueue(link, settings);
        byte[] body = bigUpload();
        for (int i = 0; i < TASKS; i++) {
            queue.enqueueUpload(Uploads.newUser(), body);
        }
        HeldStore store = opened.keep(new HeldStore());
        TaskConsumer consumer = opened.keep(new TaskConsumer(link, settings, "budgeted"));
        opened.keep(TaskLoop.create(consumer, Optional.empty(),
                new SessionFilter(new UrlFilter(Blocklist.bundled())), store,
                new DeadLetters(link, settings), new QueueStats(link, settings), Metrics.none(), ErrorReporter.off(),
                16, BUDGET, MAX_TASK_BYTES, Duration.ofSeconds(1))).start();

        long mostHeld = BUDGET / body.length;
        await().atMost(Duration.ofSeconds(30)).until(() -> store.waiting() >= 1);
        // Several poll cycles (a poll blocks for at most a second) with every PUT held and places free.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> pending(redis) <= mostHeld);
        System.out.printf("inflight bytes: %d tasks of %d bytes held at once with a budget of %d%n", pending(redis),
                body.length, BUDGET);

        store.release();
        await().atMost(Duration.ofSeconds(60)).until(() -> "0".equals(redis.cli("XLEN", "bytes:tasks")));
        assertThat(store.stored).hasSize(TASKS);
    }

    private static long pending(RedisServer redis) {
        String first = redis.cli("XPENDING", "bytes:tasks", "workers").split("\n")[0].strip();
        return first.matches("\\d+") ? Long.parseLong(first) : 0;
    }

    /** A valid upload of about 6 MiB: one session and padding in fields the worker ignores (strings stay < 1 MiB). */
    private static byte[] bigUpload() {
        String session = new String(Uploads.withMarker("big"), StandardCharsets.UTF_8);
        StringBuilder json = new StringBuilder(session.substring(0, session.length() - 1));
        String pad = "x".repeat(900_000);
        for (int i = 0; i < 7; i++) {
            json.append(",\"pad").append(i).append("\":\"").append(pad).append('"');
        }
        return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }
}
