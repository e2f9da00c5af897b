package io.contextgraph.queue;

import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import io.lettuce.core.SetArgs;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The shard count the queue in Redis was created with, recorded by the first role that starts ({@code <prefix>shards},
 * SET NX): roles that disagree would put a user's tasks, forget markers and dedup entries in different shards, so a
 * role started with another count must refuse to run. Changing the count needs a drain (see docs/operations.md). A
 * queue that holds work under the unsharded names and has no record counts as one shard.
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
        OptionalInt earlier = recorded();
        if (earlier.isPresent()) {
            return earlier.getAsInt();
        }
        // A queue from before shard counts were recorded (or from one shard) that still holds work under the untagged
        // names, which a sharded role would never read, is recorded as what it is: one shard.
        int count = settings.shards().tagged() && unshardedQueueHoldsWork() ? 1 : settings.shards().count();
        link.await(link.commands().set(key(), QueueKeys.bytes(count), SetArgs.Builder.nx()));
        return recorded().orElseThrow(() -> new QueueUnavailableException("the recorded shard count vanished"));
    }

    /**
     * The recorded count without recording one (for tools), empty when no role has recorded one yet.
     *
     * @throws QueueUnavailableException when Redis cannot be asked
     */
    public OptionalInt recorded() {
        byte[] recorded = link.await(link.commands().get(key()));
        if (recorded == null) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(QueueKeys.text(recorded)));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(keyName() + " holds no shard count", e);
        }
    }

    private boolean unshardedQueueHoldsWork() {
        QueueKeys unsharded = new QueueKeys(settings.keyPrefix());
        for (byte[] stream : new byte[][] {unsharded.tasks(), unsharded.deletes(), unsharded.dead()}) {
            Long length = link.await(link.commands().xlen(stream));
            if (length != null && length > 0) {
                return true;
            }
        }
        return false;
    }

    /** The key name, for messages. */
    public String keyName() {
        return QueueKeys.text(key());
    }

    private byte[] key() {
        return QueueKeys.bytes(settings.keyPrefix() + "shards");
    }
}
