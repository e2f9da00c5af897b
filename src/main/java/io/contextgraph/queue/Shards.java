package io.contextgraph.queue;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * How the queue is split: into {@code count} shards, a user always on the same one. Each shard has its own streams,
 * order generator, forget markers, dedup entries, dead letters and stats, all under one Redis Cluster hash tag
 * {@code {N}}, so that every script runs on one slot.
 *
 * <p>The shard of a user is {@code floorMod(CRC32(UTF-8 bytes of the user token), count)} ({@link java.util.zip.CRC32}).
 * The rule must never change: queued work, forget markers and dedup entries of a user are found by it.
 *
 * @param count  how many shards (1 to {@link #MAX})
 * @param tagged whether key names carry the shard's hash tag ({@code cg:{N}:tasks}); false only for one shard on a
 *               single Redis, whose keys keep the unsharded names ({@code cg:tasks})
 */
public record Shards(int count, boolean tagged) {

    /** The most shards a queue may have. */
    public static final int MAX = 1024;

    public Shards {
        if (count < 1 || count > MAX) {
            throw new IllegalArgumentException("shard count must be 1 to " + MAX + ", got " + count);
        }
        if (count > 1 && !tagged) {
            throw new IllegalArgumentException("more than one shard needs tagged key names");
        }
    }

    /** One shard, the unsharded key names: a single Redis as before sharding. */
    public static Shards single() {
        return new Shards(1, false);
    }

    /** The layout for {@code count} shards, on a Redis Cluster or not: tagged unless one shard on a single Redis. */
    public static Shards of(int count, boolean cluster) {
        return new Shards(count, cluster || count > 1);
    }

    /** The shard of a user (see the class comment: stable forever). */
    public int of(String user) {
        if (count == 1) {
            return 0;
        }
        CRC32 crc = new CRC32();
        crc.update(user.getBytes(StandardCharsets.UTF_8));
        return (int) Math.floorMod(crc.getValue(), (long) count);
    }

    /** The key prefix of a shard: {@code prefix} itself untagged, otherwise {@code prefix{N}:}. */
    String prefix(String prefix, int shard) {
        if (shard < 0 || shard >= count) {
            throw new IllegalArgumentException("no shard " + shard + " of " + count);
        }
        return tagged ? prefix + "{" + shard + "}:" : prefix;
    }

    /**
     * How an operator sees a shard's stream entry (a dead letter): the entry ID alone with one shard,
     * {@code <shard>/<entry-id>} with more.
     */
    public String label(int shard, String entryId) {
        return count == 1 ? entryId : shard + "/" + entryId;
    }

    /** Each shard's part of a total (the queue cap): {@code ceil(total / count)}. */
    public long share(long total) {
        return (total + count - 1) / count;
    }
}
