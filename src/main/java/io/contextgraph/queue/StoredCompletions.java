package io.contextgraph.queue;

import io.contextgraph.queue.TaskConsumer.StoredCompletion;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Completes one shard's stored uploads in batches: while one completing script call ({@link
 * StreamScripts#COMPLETE_STORED_ALL}) is on its way to Redis, the uploads whose writes finish meanwhile wait, and the
 * next call carries all of them. A lone upload is sent at once; there is no timer. Every upload is handed in only
 * after its own object was written, so the forget-marker check in the script is still the check after that write
 * (see {@link TaskConsumer}, forget markers).
 *
 * <p>One instance per shard: a batch never mixes shards, so all keys of a call (streams, stats, contributors and the
 * users' forget markers) are in the shard's hash slot.
 *
 * <p>The sender is whoever sets {@link #sending}, as in {@link UploadBatcher}: the first caller that finds nobody
 * sending sends, and the reply's callback settles the batch and sends what waits by then, until nothing does. There is
 * no thread of its own that could die. If sending itself throws (a bug, an {@link Error}), the role is released and
 * the batch failed; a request that nobody sends fails when it has waited longer than the command timeout, and its
 * caller never waits longer than {@link Request#await}'s bound.
 */
final class StoredCompletions {

    /** A call never carries more uploads than this (one script call blocks Redis for all of them). */
    static final int MAX_UPLOADS = 128;

    private final RedisLink link;
    private final QueueKeys keys;
    private final byte[] group = QueueKeys.bytes(QueueKeys.GROUP);
    private final byte[] markerTtl;
    private final long sendWithinNanos;
    private final ConcurrentLinkedQueue<Request> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sending = new AtomicBoolean();

    /**
     * @param sendWithinNanos a request that waited longer than this to be sent fails without being sent (the task
     *                        stays pending)
     */
    StoredCompletions(RedisLink link, QueueKeys keys, Duration forgetMarkerTtl, long sendWithinNanos) {
        this.link = link;
        this.keys = keys;
        this.markerTtl = QueueKeys.bytes(forgetMarkerTtl.toMillis());
        this.sendWithinNanos = sendWithinNanos;
    }

    /** One upload waiting for its completion: the caller waits on it; the sender claims and settles it. */
    static final class Request {
        private static final int WAITING = 0;
        private static final int SENT = 1;
        private static final int WITHDRAWN = 2;

        private final Delivery delivery;
        private final long sessions;
        private final long queuedNanos = System.nanoTime();
        private final AtomicInteger state = new AtomicInteger(WAITING);
        private final CompletableFuture<StoredCompletion> outcome = new CompletableFuture<>();

        private Request(Delivery delivery, long sessions) {
            this.delivery = delivery;
            this.sessions = Math.max(0, sessions);
        }

        /** The outcome as the sender reports it (failed with {@link QueueUnavailableException} when the call failed). */
        CompletableFuture<StoredCompletion> outcome() {
            return outcome;
        }

        /**
         * Waits at most {@code boundNanos} for the outcome; throws {@link QueueUnavailableException} (with this
         * thread's stack) when the call failed, took too long or this thread was interrupted. A request given up
         * before it was sent is withdrawn and never sent.
         */
        StoredCompletion await(long boundNanos) {
            try {
                return outcome.get(boundNanos, TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof QueueUnavailableException unavailable) {
                    throw new QueueUnavailableException(unavailable.getMessage(), unavailable.getCause());
                }
                throw new QueueUnavailableException("completing the task failed unexpectedly", e.getCause());
            } catch (TimeoutException e) {
                if (withdraw()) {
                    throw new QueueUnavailableException("the completion could not be sent to Redis in time", e);
                }
                throw new QueueUnavailableException("Redis did not answer within " + boundNanos / 1_000_000 + " ms", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                withdraw(); // too late to withdraw: the batch goes on, and this task may or may not be completed
                throw new QueueUnavailableException("interrupted while waiting for Redis", e);
            }
        }

        private boolean claim() {
            return state.compareAndSet(WAITING, SENT);
        }

        private boolean withdraw() {
            return state.compareAndSet(WAITING, WITHDRAWN);
        }
    }

    /** Hands the upload over for completion; its outcome comes through the returned request. */
    Request submit(Delivery delivery, long sessions) {
        Request request = new Request(delivery, sessions);
        waiting.add(request);
        if (sending.compareAndSet(false, true)) {
            sendWhileWaiting();
        }
        return request;
    }

    /** Runs only while this thread holds {@link #sending}; returns having released it or handed it to a callback. */
    private void sendWhileWaiting() {
        while (true) {
            List<Request> batch = new ArrayList<>();
            CompletableFuture<List<Object>> reply;
            try {
                takeBatch(batch);
                if (batch.isEmpty()) {
                    sending.set(false);
                    // A request added after takeBatch saw an empty queue, but before the flag was cleared, found the
                    // flag set and left it to us: take the role back, unless another thread already did.
                    if (waiting.isEmpty() || !sending.compareAndSet(false, true)) {
                        return;
                    }
                    continue;
                }
                reply = send(batch);
            } catch (RuntimeException | Error e) {
                // Only a bug or an OutOfMemoryError gets here: fail what was taken and give up the role, so that the
                // next request's caller becomes the sender.
                settle(batch, null, e);
                sending.set(false);
                throw e;
            }
            if (!reply.isDone()) {
                reply.whenComplete((result, failure) -> {
                    try {
                        settle(batch, result, failure);
                    } finally {
                        sendWhileWaiting();
                    }
                });
                return;
            }
            // Failed at once (e.g. disconnected): settle here and go on, rather than nesting callbacks.
            if (reply.isCompletedExceptionally()) {
                settle(batch, null, failureOf(reply));
            } else {
                settle(batch, reply.join(), null);
            }
        }
    }

    private void takeBatch(List<Request> batch) {
        long now = System.nanoTime();
        Request next;
        while (batch.size() < MAX_UPLOADS && (next = waiting.poll()) != null) {
            if (!next.claim()) {
                continue; // its caller gave up waiting
            }
            if (now - next.queuedNanos > sendWithinNanos) {
                next.outcome.completeExceptionally(
                        new QueueUnavailableException("Redis is answering too slowly: the completion was not sent"));
                continue;
            }
            batch.add(next);
        }
    }

    /** KEYS and ARGV as {@link StreamScripts#COMPLETE_STORED_ALL} reads them. */
    private CompletableFuture<List<Object>> send(List<Request> batch) {
        byte[][] scriptKeys = new byte[2 + 2 * batch.size()][];
        scriptKeys[0] = keys.stats();
        scriptKeys[1] = keys.storedContributors();
        byte[][] args = new byte[2 + 4 * batch.size()][];
        args[0] = group;
        args[1] = markerTtl;
        for (int i = 0; i < batch.size(); i++) {
            Request request = batch.get(i);
            Task task = request.delivery.task();
            scriptKeys[2 + 2 * i] = keys.stream(request.delivery.stream());
            scriptKeys[3 + 2 * i] = keys.forget(task.user());
            args[2 + 4 * i] = QueueKeys.bytes(task.entryId());
            args[3 + 4 * i] = QueueKeys.bytes(task.orderId());
            args[4 + 4 * i] = QueueKeys.bytes(request.sessions);
            args[5 + 4 * i] = QueueKeys.bytes(task.user());
        }
        return StreamScripts.COMPLETE_STORED_ALL.runAsync(link, ScriptOutputType.MULTI, scriptKeys, args);
    }

    /** Reports the outcome to every request of the batch; never throws, so that the sending always goes on. */
    private void settle(List<Request> batch, List<Object> reply, Throwable failure) {
        try {
            if (failure == null && (reply == null || reply.size() != batch.size())) {
                failure = new QueueUnavailableException("unexpected reply to the completing script");
            }
            if (failure != null) {
                QueueUnavailableException unavailable = link.unavailable(failure);
                batch.forEach(request -> request.outcome.completeExceptionally(unavailable));
                return;
            }
            for (int i = 0; i < batch.size(); i++) {
                long outcome = reply.get(i) instanceof Long number ? number : 0;
                batch.get(i).outcome.complete(outcome == 0 ? StoredCompletion.COVERED
                        : outcome == 2 ? StoredCompletion.COMPLETED_NEW_CONTRIBUTOR : StoredCompletion.COMPLETED);
            }
        } catch (RuntimeException e) {
            QueueUnavailableException unavailable = new QueueUnavailableException("settling a batch failed", e);
            batch.forEach(request -> request.outcome.completeExceptionally(unavailable)); // no effect once settled
        }
    }

    private static Throwable failureOf(CompletableFuture<?> done) {
        try {
            done.join();
            return new IllegalStateException("not failed");
        } catch (CompletionException | CancellationException e) {
            return e;
        }
    }
}
