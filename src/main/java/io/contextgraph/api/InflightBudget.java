package io.contextgraph.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request bodies held in memory by all requests together, with a cap ({@code MAX_INFLIGHT_BYTES}): a
 * request that would pass it is answered 503 at once, so that concurrent large bodies cannot exhaust the heap.
 */
public final class InflightBudget {
    private final long capacity;
    private final AtomicLong held = new AtomicLong();

    /** @param capacity positive (the settings keep {@code MAX_INFLIGHT_BYTES} at least one body) */
    public InflightBudget(long capacity) {
        this.capacity = capacity;
    }

    /** Takes {@code bytes} from the budget, or nothing and returns false when that would pass the cap. */
    boolean tryReserve(long bytes) {
        while (true) {
            long now = held.get();
            if (now + bytes > capacity) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        held.addAndGet(-bytes);
    }

    /** Bytes currently held (for tests and metrics). */
    long held() {
        return held.get();
    }
}
