package io.contextgraph.worker;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The worker's free places for tasks and its budget of task bytes held at once, and how many tasks the poller asks
 * the queue for at a time.
 *
 * <p>Under a backlog tasks finish one by one, and reading one task per finished task costs a Redis round trip (and a
 * forget-marker lookup) per task. So while there is a backlog the poller waits, for a short bounded time, until a
 * quarter of the places are free and reads them in one go. Without a backlog it reads as soon as one place is free:
 * gathering would only delay work that arrives one task at a time.
 *
 * <p><b>Bytes.</b> A poll cannot say how big the tasks it gets will be, only how many it wants. So a poll asks for no
 * more tasks than the free budget holds at the largest task size, and reserves that much; once the tasks are there,
 * the reservation is given back and each task holds its own body size until it finishes. The bodies held at once
 * therefore never exceed the budget (as long as no body is larger than {@code maxTaskBytes}): a worker full of
 * 10 MiB uploads polls one task at a time as the budget frees up, one full of small uploads is not slowed.
 */
final class TaskSlots {
    private final Semaphore free;
    private final int gather;
    private final long gatherWithinNanos;
    private final long maxTaskBytes;
    private final ReentrantLock bytesLock = new ReentrantLock();
    private final Condition bytesFreed = bytesLock.newCondition();
    private long freeBytes;

    /** Without a byte budget. */
    TaskSlots(int concurrency, Duration gatherWithin) {
        this(concurrency, Long.MAX_VALUE, 1, gatherWithin);
    }

    /**
     * @param maxBytes     the most task body bytes held at once
     * @param maxTaskBytes the largest a task body can be
     */
    TaskSlots(int concurrency, long maxBytes, long maxTaskBytes, Duration gatherWithin) {
        if (maxTaskBytes < 1 || maxBytes < maxTaskBytes) {
            throw new IllegalArgumentException("the byte budget must hold at least one task of the largest size");
        }
        this.free = new Semaphore(concurrency);
        this.gather = Math.max(1, concurrency / 4);
        this.gatherWithinNanos = gatherWithin.toNanos();
        this.maxTaskBytes = maxTaskBytes;
        this.freeBytes = maxBytes;
    }

    /**
     * Waits for at least one free place and takes every free one (at least a quarter of all, if they come free within
     * the gathering time, when {@code backlog}); then waits until the byte budget holds one task of the largest size,
     * and takes no more places than it holds such tasks, reserving their bytes. The caller gives all of it back with
     * {@link #releasePoll} once the poll is over.
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
        int affordable;
        bytesLock.lock();
        try {
            while (freeBytes < maxTaskBytes) {
                try {
                    bytesFreed.await();
                } catch (InterruptedException e) {
                    free.release(taken);
                    throw e;
                }
            }
            affordable = (int) Math.min(taken, freeBytes / maxTaskBytes);
            freeBytes -= affordable * maxTaskBytes;
        } finally {
            bytesLock.unlock();
        }
        free.release(taken - affordable);
        return affordable;
    }

    /** Gives back what {@link #takeForPoll} took: its places and the bytes reserved for them. */
    void releasePoll(int places) {
        release(places, places * maxTaskBytes);
    }

    /** Takes one place for a task (waits if none is free). */
    void take() throws InterruptedException {
        take(0);
    }

    /**
     * Takes one place and {@code bytes} of the budget for a task just polled (waits if no place is free; never for
     * bytes, which the poll reserved).
     */
    void take(long bytes) throws InterruptedException {
        free.acquire();
        bytesLock.lock();
        try {
            freeBytes -= bytes;
        } finally {
            bytesLock.unlock();
        }
    }

    void release(int places) {
        free.release(places);
    }

    /** Gives back the places and bytes of finished tasks. */
    void release(int places, long bytes) {
        if (bytes > 0) {
            bytesLock.lock();
            try {
                freeBytes += bytes;
                bytesFreed.signalAll();
            } finally {
                bytesLock.unlock();
            }
        }
        free.release(places);
    }
}
