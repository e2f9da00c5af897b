package io.contextgraph.queue;

import io.lettuce.core.SetArgs;
import java.util.Objects;

/**
 * The shard count the queue in Redis was created with, recorded by the first role that starts ({@code <prefix>shards},
 * SET NX): roles that disagree would put a user's tasks, forget markers and dedup entries in different shards, so a
 * role started with another count must refuse to run. Changing the count needs a drain (see docs/operations.md).
 */
public final class ShardCount {

    private final RedisLink link;
    private final QueueSettings settings;

    public ShardCount(RedisLink link, QueueSettings settings) {
        this.link = Objects.requireNonNull(link, "link");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * Records this process's count unless one is recorded already, and returns the recorded count (this one, or the
     * earlier one; compare with {@link QueueSettings#shards()}).
     *
     * @throws QueueUnavailableException when Redis cannot be asked
     */
    public int recordOrRead() {
        byte[] key = key();
        byte[] mine = QueueKeys.bytes(settings.shards().count());
        link.await(link.commands().set(key, mine, SetArgs.Builder.nx()));
        byte[] recorded = link.await(link.commands().get(key));
        if (recorded == null) {
            throw new QueueUnavailableException("the recorded shard count vanished");
        }
        try {
            return Integer.parseInt(QueueKeys.text(recorded));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(QueueKeys.text(key) + " holds no shard count", e);
        }
    }

    /**
     * The recorded count without recording one (for tools), empty when no role has recorded one yet.
     *
     * @throws QueueUnavailableException when Redis cannot be asked
     */
    public java.util.OptionalInt recorded() {
        byte[] recorded = link.await(link.commands().get(key()));
        if (recorded == null) {
            return java.util.OptionalInt.empty();
        }
        try {
            return java.util.OptionalInt.of(Integer.parseInt(QueueKeys.text(recorded)));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(keyName() + " holds no shard count", e);
        }
    }

    /** The key name, for messages. */
    public String keyName() {
        return QueueKeys.text(key());
    }

    private byte[] key() {
        return QueueKeys.bytes(settings.keyPrefix() + "shards");
    }
}
