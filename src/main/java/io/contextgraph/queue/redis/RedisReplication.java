package io.contextgraph.queue.redis;

import java.util.Optional;
import java.util.OptionalInt;

/** How many replicas Redis reports as connected ({@code INFO replication}, field {@code connected_slaves}). */
public record RedisReplication(int connectedReplicas) {
    private static final String FIELD = "connected_slaves:";

    /**
     * The count of one master of {@link RedisLink#masters()} (in cluster mode each master has its own replicas), empty
     * when the INFO text has no such field.
     *
     * @throws QueueUnavailableException when that master cannot be asked
     */
    public static Optional<RedisReplication> of(RedisLink link, String master) {
        OptionalInt count = parse(link.info(master, "replication"));
        return count.isPresent() ? Optional.of(new RedisReplication(count.getAsInt())) : Optional.empty();
    }

    /** The count in an {@code INFO replication} text. */
    static OptionalInt parse(String info) {
        if (info == null) {
            return OptionalInt.empty();
        }
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(FIELD)) {
                try {
                    return OptionalInt.of(Integer.parseInt(line.substring(FIELD.length()).strip()));
                } catch (NumberFormatException e) {
                    return OptionalInt.empty();
                }
            }
        }
        return OptionalInt.empty();
    }
}
