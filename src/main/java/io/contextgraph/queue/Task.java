package io.contextgraph.queue;

import java.util.Objects;

/**
 * One unit of queued work as read from the stream.
 *
 * @param entryId the stream ID of this entry (what is acknowledged)
 * @param orderId the stream ID of the original acceptance; equals {@code entryId} unless the task is a replayed
 *     dead letter. Compared with forget markers to decide "accepted before a delete".
 * @param uploadId the producer-made upload id, {@code null} for deletes
 * @param body the raw upload bytes, empty for deletes
 */
public record Task(TaskType type, String entryId, String orderId, String user, String uploadId, long acceptedAtMillis,
        byte[] body) {

    public Task {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(entryId, "entryId");
        Objects.requireNonNull(orderId, "orderId");
        Objects.requireNonNull(user, "user");
        body = body == null ? new byte[0] : body;
    }

    /** Leaves out the user token and the body: they are personal data and must never reach a log. */
    @Override
    public String toString() {
        return "Task[type=" + type + ", entryId=" + entryId + ", orderId=" + orderId + ", uploadId=" + uploadId
                + ", acceptedAtMillis=" + acceptedAtMillis + ", bodyBytes=" + body.length + "]";
    }
}
