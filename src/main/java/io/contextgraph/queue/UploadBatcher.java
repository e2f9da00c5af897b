package io.contextgraph.queue;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Carries uploads to Redis in batches ("smart batching"): while one script call is in flight, the uploads that arrive
 * wait, and the next call carries all of them (up to a count and a byte size) in one {@code EVALSHA}. A lone upload
 * is sent at once: there is no timer, batches form only from uploads that would otherwise queue up behind the
 * connection anyway. One command per batch instead of per upload saves the client's encode/flush/decode/future work
 * and Redis's per-command overhead, which were most of the cost of an upload.
 *
 * <p>With {@code REDIS_MIN_REPLICAS} set, a batch counts as written only once that many replicas acknowledged it: one
 * {@code WAIT} per batch, so the replication round trip is shared by every upload in it (see {@link Replication}).
 *
 * <p>One batcher per shard: a batch never mixes shards, so each script call writes one hash-tagged slot.
 *
 * <p>Exactly one thread at a time is the sender: whoever sets {@link #sending}. It sends a batch and hands the role
 * over to the reply's callback, which settles every upload of the batch (success or failure alike) and sends the next
 * batch, until nothing waits. A thread that adds an upload and finds the flag set relies on the current sender, which
 * looks at the queue again after clearing the flag, so no upload is left behind. A failed batch fails its uploads and
 * the sending goes on; a request thread that gives up (timeout, interrupt) only withdraws its own upload.
 */
final class UploadBatcher {

    /** A batch never carries more uploads than this (one script call blocks Redis for all of them). */
    static final int MAX_UPLOADS = 128;
    /** ... nor more body bytes than this, except that a single larger upload is sent alone. */
    static final int MAX_BYTES = 1 << 20;

    private final RedisLink link;
    private final Replication replication;
    private final byte[][] keys;
    private final byte[] cap;
    private final byte[] dedupWindow;
    private final byte[] forgetPrefix;
    private final byte[] dedupPrefix;
    private final long sendWithinNanos;
    private final int maxUploads;
    private final int maxBytes;
    private final UploadIds ids = new UploadIds();
    private final ConcurrentLinkedQueue<PendingUpload> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sending = new AtomicBoolean();

    /**
     * @param sendWithinNanos an upload that waited longer than this to be sent (Redis answering slowly or not at all)
     *                        fails without being sent: its caller gets a prompt 503 and nothing is written
     */
    UploadBatcher(RedisLink link, Replication replication, QueueKeys keys, long maxLength, Duration dedupWindow,
            long sendWithinNanos, int maxUploads, int maxBytes) {
        this.link = link;
        this.replication = replication;
        this.keys = new byte[][] {keys.tasks(), keys.stats(), keys.contributors(), keys.order()};
        this.cap = QueueKeys.bytes(maxLength);
        this.dedupWindow = QueueKeys.bytes(dedupWindow.toMillis());
        this.forgetPrefix = QueueKeys.bytes(keys.forgetPrefix());
        this.dedupPrefix = QueueKeys.bytes(keys.dedupPrefix());
        this.sendWithinNanos = sendWithinNanos;
        this.maxUploads = maxUploads;
        this.maxBytes = maxBytes;
    }

    /** Hands the upload over for sending; its outcome comes through {@link PendingUpload#await}. */
    void submit(PendingUpload upload) {
        waiting.add(upload);
        if (sending.compareAndSet(false, true)) {
            sendWhileWaiting();
        }
    }

    /** Runs only while this thread holds {@link #sending}; returns having released it or handed it to a callback. */
    private void sendWhileWaiting() {
        while (true) {
            List<PendingUpload> batch;
            CompletableFuture<List<Object>> reply;
            try {
                batch = takeBatch();
            } catch (RuntimeException | Error e) {
                // Only a bug or an OutOfMemoryError gets here; keep the role of sender consistent all the same.
                sending.set(false);
                throw e;
            }
            if (batch.isEmpty()) {
                sending.set(false);
                // An upload added after takeBatch saw an empty queue, but before the flag was cleared, found the flag
                // set and left it to us: take the role back, unless another thread already did.
                if (waiting.isEmpty() || !sending.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            reply = send(batch);
            if (!reply.isDone()) {
                reply.whenComplete((result, failure) -> {
                    settle(batch, result, failure);
                    sendWhileWaiting();
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

    private List<PendingUpload> takeBatch() {
        List<PendingUpload> batch = new ArrayList<>();
        long bytes = 0;
        long now = System.nanoTime();
        PendingUpload next;
        while (batch.size() < maxUploads && (next = waiting.peek()) != null) {
            if (!batch.isEmpty() && bytes + next.body().length > maxBytes) {
                break;
            }
            waiting.poll(); // the sender is the only thread that removes, so this is the one just peeked at
            if (!next.claim()) {
                continue; // its caller gave up waiting
            }
            if (now - next.queuedNanos() > sendWithinNanos) {
                next.failed(new QueueUnavailableException("Redis is answering too slowly: the upload was not sent"));
                continue;
            }
            batch.add(next);
            bytes += next.body().length;
        }
        if (!batch.isEmpty()) {
            String[] parts = ids.nextRandomParts(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).assignRandomIdPart(parts[i]);
            }
        }
        return batch;
    }

    private CompletableFuture<List<Object>> send(List<PendingUpload> batch) {
        byte[][] args = new byte[4 + 5 * batch.size()][];
        args[0] = cap;
        args[1] = dedupWindow;
        args[2] = forgetPrefix;
        args[3] = dedupPrefix;
        int at = 4;
        for (PendingUpload upload : batch) {
            args[at++] = QueueKeys.bytes(upload.user());
            args[at++] = QueueKeys.bytes(upload.acceptedMillis());
            args[at++] = QueueKeys.bytes(upload.randomIdPart());
            args[at++] = QueueKeys.bytes(upload.digest());
            args[at++] = upload.body();
        }
        if (!replication.required()) {
            return StreamScripts.ENQUEUE_UPLOADS.runAsync(link, ScriptOutputType.MULTI, keys, args);
        }
        long mark = replication.mark();
        return link.writerFor(keys[0]).thenCompose(writer -> durably(writer, mark, args));
    }

    /**
     * The script and one WAIT for the whole batch on the same connection, the WAIT sent when the script's reply is
     * back rather than pipelined behind it: after a NOSCRIPT the EVAL that loads the script again is sent later and
     * would not be covered by an earlier WAIT.
     */
    private CompletableFuture<List<Object>> durably(RedisClusterAsyncCommands<byte[], byte[]> writer, long mark,
            byte[][] args) {
        CompletableFuture<List<Object>> written =
                StreamScripts.ENQUEUE_UPLOADS.runAsync(link, writer, ScriptOutputType.MULTI, keys, args);
        return written.thenCompose(reply -> replication.acknowledged(mark, writer).thenApply(acknowledged -> reply));
    }

    /** Reports the outcome to every upload of the batch; never throws, so that the sending always goes on. */
    private void settle(List<PendingUpload> batch, List<Object> reply, Throwable failure) {
        try {
            if (failure == null && (reply == null || reply.size() != batch.size())) {
                failure = new QueueUnavailableException("unexpected reply to the enqueue script");
            }
            if (failure != null) {
                QueueUnavailableException unavailable = link.unavailable(failure);
                batch.forEach(upload -> upload.failed(unavailable));
                return;
            }
            for (int i = 0; i < batch.size(); i++) {
                if (reply.get(i) instanceof byte[] id) {
                    batch.get(i).accepted(QueueKeys.text(id));
                } else {
                    batch.get(i).failed(new QueueFullException("the task queue is full"));
                }
            }
        } catch (RuntimeException e) {
            QueueUnavailableException unavailable = new QueueUnavailableException("settling a batch failed", e);
            batch.forEach(upload -> upload.failed(unavailable)); // no effect on uploads already settled
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
