package io.contextgraph.queue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upload between its request thread and the batch that carries it to Redis: the request thread waits for its
 * outcome; the sender claims it for a batch (or skips it when its caller gave up) and settles it with the reply.
 */
final class PendingUpload {

    private static final int WAITING = 0;
    private static final int SENT = 1;
    private static final int WITHDRAWN = 2;

    private final String user;
    private final byte[] body;
    private final String digest;
    private final long acceptedMillis;
    private final long queuedNanos;
    private final AtomicInteger state = new AtomicInteger(WAITING);
    private final CompletableFuture<String> outcome = new CompletableFuture<>();
    /** Set by whichever thread builds the batch, read by whichever sends it. */
    private volatile String randomIdPart;

    /**
     * @param digest of the user and the body, naming the upload for recognising a retry of it (see {@link TaskQueue})
     */
    PendingUpload(String user, byte[] body, String digest, long acceptedMillis, long queuedNanos) {
        this.user = user;
        this.body = body;
        this.digest = digest;
        this.acceptedMillis = acceptedMillis;
        this.queuedNanos = queuedNanos;
    }

    String user() {
        return user;
    }

    byte[] body() {
        return body;
    }

    String digest() {
        return digest;
    }

    long acceptedMillis() {
        return acceptedMillis;
    }

    long queuedNanos() {
        return queuedNanos;
    }

    /** For the sender: true if this upload goes into the batch being built, false if its caller already gave up. */
    boolean claim() {
        return state.compareAndSet(WAITING, SENT);
    }

    /** For the sender, after {@link #claim}: the random part of the id, which Redis completes with the order. */
    void assignRandomIdPart(String part) {
        this.randomIdPart = part;
    }

    String randomIdPart() {
        return randomIdPart;
    }

    /** The script wrote the entry under this id, or found it already written (a retry). */
    void accepted(String uploadId) {
        outcome.complete(uploadId);
    }

    /** Nothing was written (queue full), or the batch's call failed (whether it wrote is then unknown). */
    void failed(RuntimeException failure) {
        outcome.completeExceptionally(failure);
    }

    /**
     * Waits for the outcome: the upload id once the entry is in Redis. Throws {@link QueueFullException} or
     * {@link QueueUnavailableException} (as its own exception, with this thread's stack) otherwise. The sender reports
     * every claimed upload within the command timeout, so {@code boundNanos} is only a safety net.
     */
    String await(long boundNanos) {
        try {
            return outcome.get(boundNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw rethrown(e.getCause());
        } catch (TimeoutException e) {
            if (withdraw()) {
                throw new QueueUnavailableException("the upload could not be sent to Redis in time", e);
            }
            throw new QueueUnavailableException("Redis did not answer within " + boundNanos / 1_000_000 + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // Withdrawn: it will never be sent. Too late to withdraw: the batch goes on for the other uploads in it, and
            // this one may or may not be written, as for any interrupted command.
            withdraw();
            throw new QueueUnavailableException("interrupted while waiting for Redis", e);
        }
    }

    private boolean withdraw() {
        return state.compareAndSet(WAITING, WITHDRAWN);
    }

    private static RuntimeException rethrown(Throwable failure) {
        if (failure instanceof QueueFullException full) {
            return new QueueFullException(full.getMessage());
        }
        if (failure instanceof QueueUnavailableException unavailable) {
            return new QueueUnavailableException(unavailable.getMessage(), unavailable.getCause());
        }
        return new QueueUnavailableException("enqueueing failed unexpectedly", failure);
    }
}
