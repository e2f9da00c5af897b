package io.contextgraph.worker;

import io.contextgraph.observability.Metrics;
import io.contextgraph.queue.deadletter.DeadLetters;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes dead letters older than the retention, now and then, and counts them ({@code queue.dead_letters.expired}).
 * Every worker runs one; each removal happens once (Redis trims atomically), so the counts add up across workers.
 * At start it also indexes dead letters parked before the per-user index existed, once per Redis.
 */
public final class DeadLetterExpiry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterExpiry.class);

    private final DeadLetters deadLetters;
    private final Metrics metrics;
    private final Duration every;
    private volatile Thread thread;

    /** Looks every quarter of the retention, at least once a second and at most once a minute apart. */
    public DeadLetterExpiry(DeadLetters deadLetters, Metrics metrics, Duration retention) {
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        Duration quarter = retention.dividedBy(4);
        this.every = quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : quarter.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : quarter;
    }

    public void start() {
        thread = Thread.ofVirtual().name("dead-letter-expiry").start(this::run);
    }

    private void run() {
        boolean indexed = false;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (!indexed) {
                    int count = deadLetters.indexUnindexed();
                    if (count > 0) {
                        LOG.atInfo().addKeyValue("type", "worker.dead_letters_indexed").addKeyValue("count", count)
                                .log("dead letters from before the per-user index were indexed");
                    }
                    indexed = true;
                }
                metrics.increment("queue.dead_letters.expired", deadLetters.expire());
            } catch (RuntimeException e) {
                // Redis unavailable: the task loop reports outages; try again next time.
                LOG.atDebug().log("dead-letter expiry skipped: Redis unavailable");
            }
            try {
                Thread.sleep(every);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        Thread running = thread;
        if (running != null) {
            running.interrupt();
        }
    }
}
