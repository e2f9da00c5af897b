package io.contextgraph.queue;

import java.util.Objects;

/**
 * A task handed to this worker, with the attempt number (Redis delivery count, 1 on first delivery).
 *
 * @param coveredWhenPolled for an upload: a delete of its user accepted after it was already known when the task was
 *                          polled, so it must not be stored (see {@link TaskConsumer}, forget markers)
 */
public record Delivery(Task task, long attempt, boolean coveredWhenPolled) {

    public Delivery {
        Objects.requireNonNull(task, "task");
    }
}
