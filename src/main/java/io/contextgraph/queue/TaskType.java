package io.contextgraph.queue;

import java.util.Arrays;
import java.util.Optional;

/** The kinds of work on the queue, with the name stored in the stream entry's {@code type} field. */
public enum TaskType {
    UPLOAD("upload"),
    DELETE("delete");

    /** The value of the {@code type} field in Redis. */
    private final String wireName;

    TaskType(String wireName) {
        this.wireName = wireName;
    }

    public static Optional<TaskType> fromWireName(String name) {
        return Arrays.stream(values()).filter(type -> type.wireName.equals(name)).findFirst();
    }
}
