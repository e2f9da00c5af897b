package io.contextgraph.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the task queue: key prefix, length cap, visibility timeout (how long a delivered task may stay
 * unfinished before another worker reclaims it), retry policy and how long forget markers live.
 */
public record QueueSettings(String keyPrefix, long maxLength, Duration visibilityTimeout, int maxAttempts,
        Duration retryBaseDelay, Duration forgetMarkerTtl) {

    public QueueSettings {
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(visibilityTimeout, "visibilityTimeout");
        Objects.requireNonNull(retryBaseDelay, "retryBaseDelay");
        Objects.requireNonNull(forgetMarkerTtl, "forgetMarkerTtl");
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
    }

    /**
     * cg:, 100000 tasks, 30 s visibility (workers renew the leases of tasks in progress), 5 attempts, 2 s base retry
     * delay, 30 days forget markers.
     */
    public static QueueSettings defaults() {
        return new QueueSettings("cg:", 100_000, Duration.ofSeconds(30), 5, Duration.ofSeconds(2), Duration.ofDays(30));
    }
}
