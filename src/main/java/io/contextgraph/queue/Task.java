package io.contextgraph.queue;

import java.util.Objects;

/**
 * One unit of queued work as read from the stream.
 *
 * @param entryId the stream ID of this entry (what is acknowledged)
 * @param orderId the acceptance order ({@code <ms>-<seq>}, see {@link StreamScripts}), kept by dead-letter replays;
 *     for an entry queued before orders existed, its original stream ID. Compared with forget markers to decide
 *     "accepted before a delete", and by a delete with the order in each stored key.
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
