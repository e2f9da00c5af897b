package io.contextgraph.queue;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Tuning of the task queue: key prefix, length cap (of the upload stream, and separately of the delete stream),
 * visibility timeout (how long a delivered task may stay unfinished before another worker reclaims it), retry
 * policy, how long forget markers live, how long a retried upload is recognised as the same one, and how long dead
 * letters are kept, and how the queue is split into shards ({@link Shards}). {@code maxLength} is the total: each shard
 * takes {@link Shards#share its share}.
 */
public record QueueSettings(String keyPrefix, long maxLength, Duration visibilityTimeout, int maxAttempts,
        Duration retryBaseDelay, Duration forgetMarkerTtl, Duration dedupWindow, Duration deadLetterRetention,
        Shards shards) {

    public QueueSettings {
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(shards, "shards");
        Objects.requireNonNull(visibilityTimeout, "visibilityTimeout");
        Objects.requireNonNull(retryBaseDelay, "retryBaseDelay");
        Objects.requireNonNull(forgetMarkerTtl, "forgetMarkerTtl");
        Objects.requireNonNull(dedupWindow, "dedupWindow");
        Objects.requireNonNull(deadLetterRetention, "deadLetterRetention");
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be at least 1");
        }
        if (visibilityTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("visibilityTimeout must be at least 1 ms");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        if (retryBaseDelay.isNegative()) {
            throw new IllegalArgumentException("retryBaseDelay must not be negative");
        }
        if (forgetMarkerTtl.toMillis() < 1) {
            throw new IllegalArgumentException("forgetMarkerTtl must be at least 1 ms");
        }
        if (dedupWindow.isNegative()) {
            throw new IllegalArgumentException("dedupWindow must not be negative");
        }
        if (deadLetterRetention.toMillis() < 1) {
            throw new IllegalArgumentException("deadLetterRetention must be at least 1 ms");
        }
    }

    /** One shard with the unsharded key names (a single Redis). */
    public QueueSettings(String keyPrefix, long maxLength, Duration visibilityTimeout, int maxAttempts,
            Duration retryBaseDelay, Duration forgetMarkerTtl, Duration dedupWindow, Duration deadLetterRetention) {
        this(keyPrefix, maxLength, visibilityTimeout, maxAttempts, retryBaseDelay, forgetMarkerTtl, dedupWindow,
                deadLetterRetention, Shards.single());
    }

    /** The same, split into other shards. */
    public QueueSettings withShards(Shards split) {
        return new QueueSettings(keyPrefix, maxLength, visibilityTimeout, maxAttempts, retryBaseDelay, forgetMarkerTtl,
                dedupWindow, deadLetterRetention, split);
    }

    /** The keys of one shard. */
    public QueueKeys keys(int shard) {
        return new QueueKeys(shards.prefix(keyPrefix, shard));
    }

    /** The keys of every shard, in shard order. */
    public List<QueueKeys> shardKeys() {
        return IntStream.range(0, shards.count()).mapToObj(this::keys).toList();
    }

    /** How long a user's dead-letter index lives: a day longer than the newest of its letters. */
    public Duration deadIndexTtl() {
        return deadLetterRetention.plusDays(1);
    }

    /** The cap of each shard's streams. */
    public long shardMaxLength() {
        return shards.share(maxLength);
    }

    /** With the default dedup window (24 h) and dead-letter retention (14 days). */
    public QueueSettings(String keyPrefix, long maxLength, Duration visibilityTimeout, int maxAttempts,
            Duration retryBaseDelay, Duration forgetMarkerTtl) {
        this(keyPrefix, maxLength, visibilityTimeout, maxAttempts, retryBaseDelay, forgetMarkerTtl,
                Duration.ofHours(24), Duration.ofDays(14));
    }

    /**
     * cg:, 100000 tasks, 30 s visibility (workers renew the leases of tasks in progress), 5 attempts, 2 s base retry
     * delay, 30 days forget markers, 24 h dedup window, 14 days dead-letter retention.
     */
    public static QueueSettings defaults() {
        return new QueueSettings("cg:", 100_000, Duration.ofSeconds(30), 5, Duration.ofSeconds(2), Duration.ofDays(30));
    }
}
