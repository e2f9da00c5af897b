package io.contextgraph.queue.redis;

import io.netty.util.Timeout;
import io.netty.util.Timer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code Future.get(timeout)} with the timeout kept by a tick-based timer (Lettuce's, Netty's {@code HashedWheelTimer})
 * instead of a timed park: on JDK 25 a timed park of a virtual thread, and its cancellation, each wake the scheduler's
 * delay thread, which took about 10 % of the web role's CPU at one wait per upload (docs/performance.md). Adding and
 * cancelling a timeout on the wheel only queues it for the next tick, so a bound may be kept up to a tick late.
 */
final class TimedWait {

    private TimedWait() {
    }

    /**
     * Waits for {@code future} at most about {@code nanos}. Past the bound the future is completed with a {@link
     * TimeoutException}, which this throws: a Redis command not yet written is then not written at all (Lettuce skips
     * commands that are done). Throws {@link IllegalStateException} when the timer is stopped (the link is closed).
     */
    static <T> T get(Timer timer, CompletableFuture<T> future, long nanos)
            throws ExecutionException, InterruptedException, TimeoutException {
        Timeout bound = timer.newTimeout(expired -> future.completeExceptionally(new Expired()), nanos,
                TimeUnit.NANOSECONDS);
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Expired expired) {
                throw expired;
            }
            throw e;
        } finally {
            bound.cancel();
        }
    }

    /** Ours alone, so that a future failed by its own timeout is not taken for the bound passing. */
    private static final class Expired extends TimeoutException {
        Expired() {
            super("the bound passed");
        }
    }
}
