package io.contextgraph.queue;

import io.lettuce.core.StreamMessage;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Reads the fields of a stream entry (byte[] keys hash by identity, so they are turned into strings here). */
public final class TaskEntries {

    private static final java.util.regex.Pattern ORDER = java.util.regex.Pattern.compile("[0-9]{1,19}-[0-9]{1,19}");

    private TaskEntries() {
    }

    public static Map<String, byte[]> fields(StreamMessage<byte[], byte[]> message) {
        Map<String, byte[]> fields = new HashMap<>();
        if (message.getBody() != null) {
            message.getBody().forEach((name, value) -> fields.put(QueueKeys.text(name), value));
        }
        return fields;
    }

    /** The task of an entry, or empty when the entry is malformed (it is then dead-lettered, never retried). */
    public static Optional<Task> task(StreamMessage<byte[], byte[]> message) {
        Map<String, byte[]> fields = fields(message);
        Optional<TaskType> type = Optional.ofNullable(fields.get("type")).map(QueueKeys::text)
                .flatMap(TaskType::fromWireName);
        byte[] user = fields.get("user");
        if (type.isEmpty() || user == null) {
            return Optional.empty();
        }
        byte[] uploadId = fields.get("upload_id");
        byte[] order = fields.get("order");
        if (type.get() == TaskType.UPLOAD && uploadId == null) {
            return Optional.empty();
        }
        if (order != null && !ORDER.matcher(QueueKeys.text(order)).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Task(
                    type.get(),
                    message.getId(),
                    order == null ? message.getId() : QueueKeys.text(order),
                    QueueKeys.text(user),
                    uploadId == null ? null : QueueKeys.text(uploadId),
                    number(fields.get("accepted")),
                    fields.getOrDefault("body", new byte[0])));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    public static long number(byte[] value) {
        return value == null ? 0 : Long.parseLong(QueueKeys.text(value));
    }
}
