package io.contextgraph.queue;

import java.util.Objects;

/**
 * A task handed to this worker, with the attempt number (Redis delivery count, 1 on first delivery).
 *
 * @param coveredWhenPolled for an upload: a delete of its user accepted after it was already known when the task was
 *                          polled (or the upload is too old to be judged), so it must not be stored (see
 *                          {@link TaskConsumer}, forget markers)
 * @param stream            the stream the task was read from, where it is settled
 */
public record Delivery(Task task, long attempt, boolean coveredWhenPolled, TaskStream stream) {

    public Delivery {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(stream, "stream");
    }

    /** A task read from the stream of its kind. */
    public Delivery(Task task, long attempt, boolean coveredWhenPolled) {
        this(task, attempt, coveredWhenPolled,
                task.type() == TaskType.DELETE ? TaskStream.DELETES : TaskStream.UPLOADS);
    }
}
