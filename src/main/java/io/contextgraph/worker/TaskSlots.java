package io.contextgraph.worker;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The worker's free places for tasks, and how many of them the poller asks the queue to fill at once.
 *
 * <p>Under a backlog tasks finish one by one, and reading one task per finished task costs a Redis round trip (and a
 * forget-marker lookup) per task. So while there is a backlog the poller waits, for a short bounded time, until a
 * quarter of the places are free and reads them in one go. Without a backlog it reads as soon as one place is free:
 * gathering would only delay work that arrives one task at a time.
 */
final class TaskSlots {
    private final Semaphore free;
    private final int gather;
    private final long gatherWithinNanos;

    TaskSlots(int concurrency, Duration gatherWithin) {
        this.free = new Semaphore(concurrency);
        this.gather = Math.max(1, concurrency / 4);
        this.gatherWithinNanos = gatherWithin.toNanos();
    }

    /**
     * Waits for at least one free place and takes every free one (at least a quarter of all, if they come free within
     * the gathering time, when {@code backlog}). The caller gives back what it does not use with {@link #release}.
     *
     * @return the number of places taken, at least 1
     */
    int takeForPoll(boolean backlog) throws InterruptedException {
        free.acquire();
        int taken = 1 + free.drainPermits();
        if (backlog && taken < gather) {
            if (free.tryAcquire(gather - taken, gatherWithinNanos, TimeUnit.NANOSECONDS)) {
                taken = gather;
            }
            taken += free.drainPermits();
        }
        return taken;
    }

    /** Takes one place for a task (waits if none is free). */
    void take() throws InterruptedException {
        free.acquire();
    }

    void release(int places) {
        free.release(places);
    }
}
