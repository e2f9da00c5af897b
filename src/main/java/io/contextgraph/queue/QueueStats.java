package io.contextgraph.queue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Anonymous aggregate counters for {@code GET /v1/stats}, kept in one Redis hash plus a HyperLogLog of users. */
public final class QueueStats {

    private static final String[] COUNTERS = {
        "uploads_accepted", "uploads_retried", "deletes_accepted", "sessions_stored", "sessions_dropped", "users_deleted"};

    private final RedisLink link;
    private final QueueKeys keys;

    public QueueStats(RedisLink link, QueueSettings settings) {
        this.link = Objects.requireNonNull(link, "link");
        this.keys = new QueueKeys(Objects.requireNonNull(settings, "settings").keyPrefix());
    }

    public void recordDropped(long sessions) {
        increment("sessions_dropped", sessions);
    }

    public void recordUserDeleted() {
        increment("users_deleted", 1);
    }

    /**
     * The current figures: the counters (0 when never incremented), {@code contributors_estimate} (distinct users
     * who uploaded, estimated) and {@code queue_length} (uploads and deletes). Four pipelined reads; cache it for serving.
     */
    public Map<String, Long> snapshot() {
        var commands = link.commands();
        var hash = commands.hgetall(keys.stats());
        var contributors = commands.pfcount(keys.contributors());
        var length = commands.xlen(keys.tasks());
        var deletes = commands.xlen(keys.deletes());
        Map<String, byte[]> stored = new LinkedHashMap<>();
        Map<byte[], byte[]> raw = link.await(hash);
        if (raw != null) {
            raw.forEach((name, value) -> stored.put(QueueKeys.text(name), value));
        }
        Map<String, Long> figures = new LinkedHashMap<>();
        for (String counter : COUNTERS) {
            byte[] value = stored.get(counter);
            figures.put(counter, value == null ? 0L : Long.parseLong(QueueKeys.text(value)));
        }
        figures.put("contributors_estimate", orZero(link.await(contributors)));
        figures.put("queue_length", orZero(link.await(length)) + orZero(link.await(deletes)));
        return figures;
    }

    private void increment(String counter, long amount) {
        if (amount <= 0) {
            return; // never an increment of zero, and counters only grow
        }
        link.await(link.commands().hincrby(keys.stats(), QueueKeys.bytes(counter), amount));
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
