package io.contextgraph.queue;

import io.lettuce.core.ScriptOutputType;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The producer side of the queue, used by the web role: atomic scripts check the cap and append the tasks (a delete
 * also sets the user's forget marker, and both bump the stats). A method that returns normally means the task is on
 * the queue; it throws {@link QueueFullException} or {@link QueueUnavailableException} when nothing was written (or,
 * on a timeout, when that cannot be known; the client's retry is then harmless). With {@code REDIS_MIN_REPLICAS} =
 * N, "on the queue" means applied by the primary and acknowledged by N replicas, so that it survives a failover.
 *
 * <p>Thread-safe. Uploads of concurrent callers travel together in one script call (see {@link UploadBatcher}); every
 * caller still returns only after Redis replied for its own upload. Deletes go one script call each. All share the
 * link's single connection, which pipelines their commands.
 */
public final class TaskQueue {

    /** Slack on top of the sender's own bounds (send within the command timeout, reply within another). */
    private static final long AWAIT_SLACK_NANOS = 500_000_000L;

    private final RedisLink link;
    private final QueueSettings settings;
    private final QueueKeys keys;
    private final Replication replication;
    private final UploadBatcher uploads;
    private final long uploadBoundNanos;

    public TaskQueue(RedisLink link, QueueSettings settings) {
        this(link, settings, UploadBatcher.MAX_UPLOADS, UploadBatcher.MAX_BYTES);
    }

    /** With other batch limits than the defaults (tests). */
    TaskQueue(RedisLink link, QueueSettings settings, int maxBatchUploads, int maxBatchBytes) {
        this.link = Objects.requireNonNull(link, "link");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.keys = new QueueKeys(settings.keyPrefix());
        long commandTimeoutNanos = link.commandTimeout().toNanos();
        this.replication = new Replication(link);
        this.uploads = new UploadBatcher(link, replication, keys, settings.maxLength(), commandTimeoutNanos,
                maxBatchUploads, maxBatchBytes);
        // Sent within the command timeout, the script's reply within another, and the replicas' WAIT within a third.
        this.uploadBoundNanos = (replication.required() ? 3 : 2) * commandTimeoutNanos + AWAIT_SLACK_NANOS;
    }

    /** Queues an upload and returns its new upload id (22 characters of base64url). */
    public String enqueueUpload(String user, byte[] body) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(body, "body");
        PendingUpload upload = new PendingUpload(user, body, System.currentTimeMillis(), System.nanoTime());
        uploads.submit(upload);
        return upload.await(uploadBoundNanos);
    }

    /** Queues a request to forget the user; from now on no upload accepted before it will be stored. */
    public void enqueueDelete(String user) {
        Objects.requireNonNull(user, "user");
        byte[] id = durably(() -> StreamScripts.ENQUEUE_DELETE.<byte[]>run(link, ScriptOutputType.VALUE,
                new byte[][] {keys.tasks(), keys.stats(), keys.forget(user)},
                QueueKeys.bytes(settings.maxLength()), QueueKeys.bytes(user),
                QueueKeys.bytes(System.currentTimeMillis()), QueueKeys.bytes(settings.forgetMarkerTtl().toMillis())));
        if (id == null) {
            throw new QueueFullException("the task queue is full");
        }
    }

    /**
     * Runs a write and, with {@code REDIS_MIN_REPLICAS} set, returns only once that many replicas acknowledged it
     * (see {@link Replication}); otherwise throws {@link QueueUnavailableException}.
     */
    private <T> T durably(Supplier<T> write) {
        if (!replication.required()) {
            return write.get();
        }
        long mark = replication.mark();
        T result = write.get();
        replication.await(mark);
        return result;
    }

    /** The number of unfinished tasks (finished ones are deleted from the stream). */
    public long length() {
        Long length = link.await(link.commands().xlen(keys.tasks()));
        return length == null ? 0 : length;
    }
}
