package io.contextgraph.queue;

import java.util.Objects;

/** A task handed to this worker, with the attempt number (Redis delivery count, 1 on first delivery). */
public record Delivery(Task task, long attempt) {

    public Delivery {
        Objects.requireNonNull(task, "task");
    }
}
