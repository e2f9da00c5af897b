package io.contextgraph.queue.redis;

import io.lettuce.core.resource.Delay;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The pause before trying Redis again: from 100 ms, doubling up to 2 s. Every retry keeps to these bounds (the
 * first connection, Lettuce's reconnects, a worker's polls), so the service works again within 2 s of Redis being
 * back; Lettuce's own default grows to 30 s.
 */
public final class RetryPause {
    static final Duration FIRST = Duration.ofMillis(100);
    static final Duration MAX = Duration.ofSeconds(2);

    private Duration next = FIRST;

    /** The same bounds for Lettuce's reconnects (its exponential delay stays at 100 ms for a few attempts first). */
    static Delay forReconnects() {
        return Delay.exponential(FIRST, MAX, 2, TimeUnit.MILLISECONDS);
    }

    /** The pause to make now; the one after it is twice as long, up to 2 s. */
    public Duration next() {
        Duration now = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(MAX) > 0 ? MAX : doubled;
        return now;
    }

    /** Redis answered: the next outage starts again from the first pause. */
    public void reset() {
        next = FIRST;
    }
}
