package io.contextgraph.queue.redis;

import io.netty.util.Timer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One piece of work between the thread that waits for it and the batch that carries it to Redis ({@link
 * CallBatcher}): the waiting thread gets its outcome; the sender claims it for a batch (or skips it when its caller
 * gave up) and settles it with the reply.
 *
 * @param <T> the outcome
 */
public abstract class PendingCall<T> {

    private static final int WAITING = 0;
    private static final int SENT = 1;
    private static final int WITHDRAWN = 2;

    private final String what;
    private final long queuedNanos;
    private final AtomicInteger state = new AtomicInteger(WAITING);
    private final CompletableFuture<T> outcome = new CompletableFuture<>();

    /** @param what names the work in failure messages, e.g. "upload" */
    protected PendingCall(String what, long queuedNanos) {
        this.what = what;
        this.queuedNanos = queuedNanos;
    }

    public long queuedNanos() {
        return queuedNanos;
    }

    /** The outcome as the sender reports it. */
    public CompletableFuture<T> outcome() {
        return outcome;
    }

    /** For the sender: true if this goes into the batch being built, false if its caller already gave up. */
    public boolean claim() {
        return state.compareAndSet(WAITING, SENT);
    }

    public void succeeded(T result) {
        outcome.complete(result);
    }

    /** Nothing was written (e.g. the queue is full), or the batch's call failed (whether it wrote is then unknown). */
    public void failed(RuntimeException failure) {
        outcome.completeExceptionally(failure);
    }

    /**
     * Waits at most about {@code boundNanos} (plus up to a tick of {@code timer}: {@link TimedWait}) for the outcome.
     * Throws {@link QueueFullException} or {@link QueueUnavailableException} (as its own exception, with this thread's
     * stack) otherwise. A call given up before it was sent is withdrawn and never sent; the sender settles every
     * claimed call within the command timeout, so the bound is only a safety net.
     */
    public T await(Timer timer, long boundNanos) {
        try {
            return TimedWait.get(timer, outcome, boundNanos);
        } catch (ExecutionException e) {
            throw rethrown(e.getCause());
        } catch (TimeoutException e) {
            if (withdraw()) {
                throw new QueueUnavailableException("the " + what + " could not be sent to Redis in time", e);
            }
            throw new QueueUnavailableException("Redis did not answer within " + boundNanos / 1_000_000 + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // Withdrawn: it will never be sent. Too late to withdraw: the batch goes on for the others in it, and this
            // one may or may not be applied, as for any interrupted command.
            withdraw();
            throw new QueueUnavailableException("interrupted while waiting for Redis", e);
        } catch (IllegalStateException stopped) {
            withdraw();
            throw new QueueUnavailableException("the connection to Redis is closed", stopped);
        }
    }

    private boolean withdraw() {
        return state.compareAndSet(WAITING, WITHDRAWN);
    }

    private RuntimeException rethrown(Throwable failure) {
        if (failure instanceof QueueFullException full) {
            return new QueueFullException(full.getMessage());
        }
        if (failure instanceof QueueUnavailableException unavailable) {
            return new QueueUnavailableException(unavailable.getMessage(), unavailable.getCause());
        }
        return new QueueUnavailableException("the " + what + " failed unexpectedly", failure);
    }
}
