package io.contextgraph.queue.ingest;

import io.contextgraph.queue.QueueKeys;
import io.contextgraph.queue.StreamScripts;
import io.contextgraph.queue.UploadIds;
import io.contextgraph.queue.redis.CallBatcher;
import io.contextgraph.queue.redis.QueueFullException;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.queue.redis.Replication;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Carries one shard's uploads to Redis in batches ({@link CallBatcher}): one {@code EVALSHA} per batch instead of
 * one per upload saves the client's encode/flush/decode/future work and Redis's per-command overhead, which were most
 * of the cost of an upload.
 *
 * <p>With {@code REDIS_MIN_REPLICAS} set, a batch counts as written only once that many replicas acknowledged it: one
 * {@code WAIT} per batch, so the replication round trip is shared by every upload in it (see {@link Replication}).
 */
final class UploadBatcher implements CallBatcher.Carrier<PendingUpload> {

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
    private final UploadIds ids = new UploadIds();
    private final CallBatcher<PendingUpload> batcher;

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
        this.batcher = new CallBatcher<>(this, sendWithinNanos, maxUploads, maxBytes, upload -> upload.body().length,
                "Redis is answering too slowly: the upload was not sent");
    }

    /** Hands the upload over for sending; its outcome comes through {@link PendingUpload#await}. */
    void submit(PendingUpload upload) {
        batcher.submit(upload);
    }

    @Override
    public CompletableFuture<List<Object>> send(List<PendingUpload> batch) {
        String[] parts = ids.nextRandomParts(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).assignRandomIdPart(parts[i]);
        }
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
    @Override
    public void settle(List<PendingUpload> batch, List<Object> reply, Throwable failure) {
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
                    batch.get(i).succeeded(QueueKeys.text(id));
                } else {
                    batch.get(i).failed(new QueueFullException("the task queue is full"));
                }
            }
        } catch (RuntimeException e) {
            QueueUnavailableException unavailable = new QueueUnavailableException("settling a batch failed", e);
            batch.forEach(upload -> upload.failed(unavailable)); // no effect on uploads already settled
        }
    }
}
