package io.contextgraph.queue;

import java.util.Optional;

/** The kinds of work on the queue, with the name stored in the stream entry's {@code type} field. */
public enum TaskType {
    UPLOAD("upload"),
    DELETE("delete");

    private final String wireName;

    TaskType(String wireName) {
        this.wireName = wireName;
    }

    /** The value of the {@code type} field in Redis. */
    public String wireName() {
        return wireName;
    }

    public static Optional<TaskType> fromWireName(String name) {
        for (TaskType type : values()) {
            if (type.wireName.equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
