package io.contextgraph.queue.ingest;

import io.contextgraph.queue.QueueKeys;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.Shards;
import io.contextgraph.queue.StreamScripts;
import io.contextgraph.queue.UploadIds;
import io.contextgraph.queue.redis.QueueFullException;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.queue.redis.Replication;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * The producer side of the queue, used by the web role: atomic scripts check the cap and append the tasks (a delete
 * also sets the user's forget marker, and both bump the stats). A method that returns normally means the task is on
 * the queue; it throws {@link QueueFullException} or {@link QueueUnavailableException} when nothing was written (or,
 * on a timeout, when that cannot be known; the client's retry is then harmless). With {@code REDIS_MIN_REPLICAS} =
 * N, "on the queue" means applied by the primary and acknowledged by N replicas, so that it survives a failover.
 *
 * <p><b>A retry is stored once.</b> A client that got a 503 after the script ran (Redis slow, the reply lost) retries
 * the same body. Each upload is named by a digest of its user and (decoded) body; the script answers an upload whose
 * digest it accepted within {@code dedupWindow} with the first one's id and appends nothing, so the retry ends as the
 * same single stored object, whatever happened in between. A delete of the user accepted after the first one makes
 * the next identical upload a new one (the script compares the first one's order with the forget marker).
 *
 * <p>Thread-safe. Uploads of concurrent callers travel together in one script call (see {@link UploadBatcher}); every
 * caller still returns only after Redis replied for its own upload. Deletes go one script call each. All share the
 * link's single connection, which pipelines their commands.
 *
 * <p><b>Shards.</b> A user's uploads and deletes all go to the user's shard ({@link Shards#of}): its streams, order
 * generator, forget marker and dedup entries share one hash tag, so each script runs on one slot and the delete
 * order guarantees hold per shard, which is all they need (they only ever compare tasks of one user). Each shard
 * has its own batcher and its share of the cap.
 */
public final class TaskQueue {

    private final RedisLink link;
    private final QueueSettings settings;
    private final Shards shards;
    private final Replication replication;
    /** Per shard. */
    private final QueueKeys[] keys;
    private final UploadBatcher[] uploads;
    private final long uploadBoundNanos;
    /** Never updated: only its copies digest (see {@link #digest}). */
    private final MessageDigest unusedSha256;

    public TaskQueue(RedisLink link, QueueSettings settings) {
        this(link, settings, UploadBatcher.MAX_UPLOADS, UploadBatcher.MAX_BYTES);
    }

    /** With other batch limits than the defaults (tests). */
    TaskQueue(RedisLink link, QueueSettings settings, int maxBatchUploads, int maxBatchBytes) {
        this.link = link;
        this.settings = settings;
        this.shards = settings.shards();
        long commandTimeoutNanos = link.commandTimeout().toNanos();
        this.replication = new Replication(link);
        this.keys = new QueueKeys[shards.count()];
        this.uploads = new UploadBatcher[shards.count()];
        for (int shard = 0; shard < shards.count(); shard++) {
            keys[shard] = settings.keys(shard);
            uploads[shard] = new UploadBatcher(link, replication, keys[shard], settings.shardMaxLength(),
                    settings.dedupWindow(), commandTimeoutNanos, maxBatchUploads, maxBatchBytes);
        }
        // Sent within the command timeout, the script's reply within another, and the replicas' WAIT within a third.
        this.uploadBoundNanos = link.boundNanos(replication.required() ? 3 : 2);
        try {
            this.unusedSha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Queues an upload and returns its upload id ({@link UploadIds}); for a retry of an upload accepted within the
     * dedup window, the first one's id (nothing new is queued).
     */
    public String enqueueUpload(String user, byte[] body) {
        PendingUpload upload = new PendingUpload(user, body, digest(user, body), System.currentTimeMillis(),
                System.nanoTime());
        uploads[shards.of(user)].submit(upload);
        return upload.await(link.timer(), uploadBoundNanos);
    }

    /**
     * Queues a request to forget the user, on the delete stream (its own cap: uploads never crowd it out); from now on
     * no upload accepted before it will be stored. Returns the delete's acceptance order.
     */
    public String enqueueDelete(String user) {
        QueueKeys at = keys[shards.of(user)];
        byte[][] scriptKeys = {at.deletes(), at.stats(), at.forget(user), at.order()};
        byte[][] args = {QueueKeys.bytes(settings.shardMaxLength()), QueueKeys.bytes(user),
            QueueKeys.bytes(System.currentTimeMillis()), QueueKeys.bytes(settings.forgetMarkerTtl().toMillis())};
        byte[] order = durably(scriptKeys[0], writer -> StreamScripts.ENQUEUE_DELETE.<byte[]>run(link, writer,
                ScriptOutputType.VALUE, scriptKeys, args));
        if (order == null) {
            throw new QueueFullException("the delete queue is full");
        }
        return QueueKeys.text(order);
    }

    /**
     * Runs a write and, with {@code REDIS_MIN_REPLICAS} set, returns only once that many replicas acknowledged it
     * (see {@link Replication}); otherwise throws {@link QueueUnavailableException}.
     */
    private <T> T durably(byte[] key, Function<RedisClusterAsyncCommands<byte[], byte[]>, T> write) {
        if (!replication.required()) {
            return write.apply(link.commands());
        }
        long mark = replication.mark();
        RedisClusterAsyncCommands<byte[], byte[]> writer = link.awaitWriter(key);
        T result = write.apply(writer);
        replication.await(mark, writer);
        return result;
    }

    /** The number of unfinished tasks, uploads and deletes (finished ones are deleted from the streams). */
    public long length() {
        return Arrays.stream(lengths()).sum();
    }

    /** {@link #length()} per shard, by shard number (all read in one pipelined round). */
    public long[] lengths() {
        List<RedisFuture<Long>> replies = new ArrayList<>();
        for (QueueKeys shard : keys) {
            replies.add(link.commands().xlen(shard.tasks()));
            replies.add(link.commands().xlen(shard.deletes()));
        }
        long[] lengths = new long[keys.length];
        for (int i = 0; i < replies.size(); i++) {
            Long length = link.await(replies.get(i));
            lengths[i / 2] += length == null ? 0 : length;
        }
        return lengths;
    }

    /** How the queue is split. */
    public Shards shards() {
        return shards;
    }

    /**
     * Names an upload by its user and decoded body: 128 bits of SHA-256 over the user token, a zero byte (never part
     * of a token) and the body, base64url. Computed on the request thread, not in the one batch sender. A copy of an
     * unused instance costs about half of looking SHA-256 up among the providers on every upload; copying only reads
     * the unused instance, so request threads may copy it at the same time.
     */
    String digest(String user, byte[] body) {
        MessageDigest sha256;
        try {
            sha256 = (MessageDigest) unusedSha256.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's SHA-256 can be copied", e);
        }
        sha256.update(QueueKeys.bytes(user));
        sha256.update((byte) 0);
        sha256.update(body);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(sha256.digest(), 16));
    }
}
