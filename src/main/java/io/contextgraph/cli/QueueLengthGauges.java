package io.contextgraph.cli;

import io.contextgraph.observability.Metrics;
import io.contextgraph.queue.ingest.TaskQueue;

import java.time.Duration;
import java.util.Arrays;

/**
 * The {@code queue.length} gauges: the total, and with more than one shard one per shard tagged {@code shard:N}. All
 * of one polling tick are served from one read of the streams' lengths (a read is reused for up to a second).
 */
final class QueueLengthGauges {
    private static final long REUSE_NANOS = Duration.ofSeconds(1).toNanos();

    private final TaskQueue queue;
    private long[] lengths;
    private long readAtNanos;

    private QueueLengthGauges(TaskQueue queue) {
        this.queue = queue;
    }

    static void register(Metrics metrics, TaskQueue queue) {
        QueueLengthGauges gauges = new QueueLengthGauges(queue);
        metrics.gauge("queue.length", gauges::total);
        int shards = queue.shards().count();
        if (shards > 1) {
            for (int shard = 0; shard < shards; shard++) {
                int of = shard;
                metrics.gauge("queue.length", () -> gauges.shard(of), "shard", Integer.toString(shard));
            }
        }
    }

    private long total() {
        return Arrays.stream(lengths()).sum();
    }

    private long shard(int shard) {
        long[] current = lengths();
        return shard < current.length ? current[shard] : 0;
    }

    /** Zeros while Redis does not answer. */
    private synchronized long[] lengths() {
        long now = System.nanoTime();
        if (lengths == null || now - readAtNanos > REUSE_NANOS) {
            try {
                lengths = queue.lengths();
            } catch (RuntimeException e) {
                lengths = new long[queue.shards().count()];
            }
            readAtNanos = now;
        }
        return lengths;
    }
}
