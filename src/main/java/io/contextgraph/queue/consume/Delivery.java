package io.contextgraph.queue.consume;

import io.contextgraph.queue.Shards;
import io.contextgraph.queue.Task;
import io.contextgraph.queue.TaskStream;
import java.util.Objects;

/**
 * A task handed to this worker, with the attempt number (Redis delivery count, 1 on first delivery).
 *
 * @param coveredWhenPolled for an upload: a delete of its user accepted after it was already known when the task was
 *                          polled (or the upload is too old to be judged), so it must not be stored (see
 *                          {@link TaskConsumer}, forget markers)
 * @param stream            the stream the task was read from, where it is settled
 * @param shard             the shard whose stream that is ({@link Shards})
 */
public record Delivery(Task task, long attempt, boolean coveredWhenPolled, TaskStream stream, int shard) {

    public Delivery {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(stream, "stream");
        if (shard < 0) {
            throw new IllegalArgumentException("shard must not be negative");
        }
    }
}
