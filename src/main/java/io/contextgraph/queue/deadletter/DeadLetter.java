package io.contextgraph.queue.deadletter;

import io.contextgraph.queue.TaskType;

/**
 * An operator's view of a parked task; deliberately without the user token and the body.
 *
 * @param uploadId {@code null} for delete tasks
 */
public record DeadLetter(String id, TaskType type, String uploadId, long acceptedAtMillis, long failedAtMillis,
        String reason, int bodyBytes) {
}
