package io.contextgraph.worker;

import java.time.Duration;

/**
 * How long the task loop waits before it polls again while the queue is unreachable: from 100 ms, doubling up to
 * 2 s, the bounds of the Redis client's own reconnect back-off, so a worker resumes within 2 s of Redis being back.
 */
final class OutagePause {
    static final Duration FIRST = Duration.ofMillis(100);
    static final Duration MAX = Duration.ofSeconds(2);

    private Duration next = FIRST;

    /** The pause to make now; the one after it is twice as long, up to {@link #MAX}. */
    Duration next() {
        Duration now = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(MAX) > 0 ? MAX : doubled;
        return now;
    }

    /** The queue answered: the next outage starts again from {@link #FIRST}. */
    void reset() {
        next = FIRST;
    }
}
