package io.contextgraph.queue.redis;

import io.lettuce.core.resource.Delay;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The pause before trying Redis again, between 100 ms and 2 s (Lettuce's exponential delay: 100 ms for the first
 * attempts, then doubling). Every retry keeps to it (the first connection, Lettuce's reconnects, a worker's polls),
 * so the service works again within 2 s of Redis being back; Lettuce's own default grows to 30 s.
 */
public final class RetryPause {
    private static final Duration FIRST = Duration.ofMillis(100);
    private static final Duration MAX = Duration.ofSeconds(2);

    private final Delay delay = forReconnects();
    private long attempt;

    /** For Lettuce's reconnects. */
    static Delay forReconnects() {
        return Delay.exponential(FIRST, MAX, 2, TimeUnit.MILLISECONDS);
    }

    /** The pause to make before the next attempt. */
    public Duration next() {
        return delay.createDelay(++attempt);
    }

    /** Redis answered: the next outage starts again from the first pause. */
    public void reset() {
        attempt = 0;
    }
}
