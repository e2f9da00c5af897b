package io.contextgraph.queue;

import io.contextgraph.queue.redis.RedisLink;
import io.lettuce.core.RedisFuture;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Anonymous aggregate counters for {@code GET /v1/stats}, kept in one Redis hash plus a HyperLogLog of users per
 * shard. The figures are the sums over the shards: users are partitioned among them, so the sum of the per-shard
 * HyperLogLog counts estimates the distinct users as well as one HyperLogLog would. Counters not tied to a user are
 * kept in the first shard's hash.
 */
public final class QueueStats {

    private static final String[] COUNTERS = {
        "uploads_accepted", "uploads_retried", "deletes_accepted", "sessions_stored", "sessions_dropped", "users_deleted"};

    private final RedisLink link;
    private final List<QueueKeys> shardKeys;

    public QueueStats(RedisLink link, QueueSettings settings) {
        this.link = Objects.requireNonNull(link, "link");
        this.shardKeys = settings.shardKeys();
    }

    public void recordDropped(long sessions) {
        increment("sessions_dropped", sessions);
    }

    public void recordUserDeleted() {
        increment("users_deleted", 1);
    }

    /**
     * The current figures: the counters (0 when never incremented), {@code contributors_estimate} (distinct users
     * who uploaded, estimated) and {@code queue_length} (uploads and deletes). Four pipelined reads per shard; cache
     * it for serving.
     */
    public Map<String, Long> snapshot() {
        var commands = link.commands();
        List<RedisFuture<Map<byte[], byte[]>>> hashes = new ArrayList<>();
        List<RedisFuture<Long>> contributors = new ArrayList<>();
        List<RedisFuture<Long>> lengths = new ArrayList<>();
        for (QueueKeys keys : shardKeys) {
            hashes.add(commands.hgetall(keys.stats()));
            contributors.add(commands.pfcount(keys.contributors()));
            lengths.add(commands.xlen(keys.tasks()));
            lengths.add(commands.xlen(keys.deletes()));
        }
        Map<String, Long> figures = new LinkedHashMap<>();
        for (String counter : COUNTERS) {
            figures.put(counter, 0L);
        }
        for (RedisFuture<Map<byte[], byte[]>> hash : hashes) {
            Map<byte[], byte[]> raw = link.await(hash);
            if (raw != null) {
                raw.forEach((name, value) -> figures.computeIfPresent(QueueKeys.text(name),
                        (counter, sum) -> sum + Long.parseLong(QueueKeys.text(value))));
            }
        }
        figures.put("contributors_estimate", contributors.stream().mapToLong(reply -> orZero(link.await(reply))).sum());
        figures.put("queue_length", lengths.stream().mapToLong(reply -> orZero(link.await(reply))).sum());
        return figures;
    }

    private void increment(String counter, long amount) {
        if (amount <= 0) {
            return; // never an increment of zero, and counters only grow
        }
        link.await(link.commands().hincrby(shardKeys.get(0).stats(), QueueKeys.bytes(counter), amount));
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
