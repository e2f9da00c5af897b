package io.contextgraph.queue.redis;

import java.util.Objects;
import java.util.Optional;

/**
 * Redis's {@code maxmemory-policy}, read from {@code INFO memory} (ElastiCache disables CONFIG GET): any policy other
 * than {@code noeviction} lets Redis silently drop queued tasks and forget markers when memory runs out.
 */
public record RedisPolicy(String evictionPolicy) {

    /** The only policy under which Redis refuses writes instead of dropping keys when memory is full. */
    public static final String NO_EVICTION = "noeviction";
    private static final String FIELD = "maxmemory_policy:";

    public RedisPolicy {
        Objects.requireNonNull(evictionPolicy, "evictionPolicy");
    }

    /**
     * The policy of one master of {@link RedisLink#masters()} (in cluster mode each master has its own), empty when
     * the INFO text has no such field (an old or restricted server).
     *
     * @throws QueueUnavailableException when that master cannot be asked
     */
    public static Optional<RedisPolicy> of(RedisLink link, String master) {
        return parse(link.info(master, "memory"));
    }

    /** The policy in an {@code INFO memory} text. */
    static Optional<RedisPolicy> parse(String info) {
        if (info == null) {
            return Optional.empty();
        }
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(FIELD)) {
                String value = line.substring(FIELD.length()).strip();
                return value.isEmpty() ? Optional.empty() : Optional.of(new RedisPolicy(value));
            }
        }
        return Optional.empty();
    }

    /** True when Redis may evict keys, queued work included, under memory pressure. */
    public boolean mayEvictQueuedWork() {
        return !NO_EVICTION.equals(evictionPolicy);
    }
}
