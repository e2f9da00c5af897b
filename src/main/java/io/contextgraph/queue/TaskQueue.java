package io.contextgraph.queue;

import io.lettuce.core.ScriptOutputType;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;

/**
 * The producer side of the queue, used by the web role: one atomic script per request checks the cap and appends
 * the task (a delete also sets the user's forget marker, and both bump the stats). A method that returns normally
 * means the task is on the queue; it throws {@link QueueFullException} or {@link QueueUnavailableException} when
 * nothing was written (or, on a timeout, when that cannot be known; the client's retry is then harmless).
 *
 * <p>Thread-safe. Concurrent callers share the link's single connection, which pipelines their commands.
 */
public final class TaskQueue {

    private static final int UPLOAD_ID_BYTES = 16;

    private final RedisLink link;
    private final QueueSettings settings;
    private final QueueKeys keys;
    private final SecureRandom random = new SecureRandom();
    private final Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();

    public TaskQueue(RedisLink link, QueueSettings settings) {
        this.link = Objects.requireNonNull(link, "link");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.keys = new QueueKeys(settings.keyPrefix());
    }

    /** Queues an upload and returns its new upload id (22 characters of base64url). */
    public String enqueueUpload(String user, byte[] body) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(body, "body");
        String uploadId = newUploadId();
        byte[] id = StreamScripts.ENQUEUE_UPLOAD.run(link, ScriptOutputType.VALUE,
                new byte[][] {keys.tasks(), keys.stats(), keys.contributors()},
                QueueKeys.bytes(settings.maxLength()), QueueKeys.bytes(user),
                QueueKeys.bytes(System.currentTimeMillis()), QueueKeys.bytes(uploadId), body);
        if (id == null) {
            throw new QueueFullException("the task queue is full");
        }
        return uploadId;
    }

    /** Queues a request to forget the user; from now on no upload accepted before it will be stored. */
    public void enqueueDelete(String user) {
        Objects.requireNonNull(user, "user");
        byte[] id = StreamScripts.ENQUEUE_DELETE.run(link, ScriptOutputType.VALUE,
                new byte[][] {keys.tasks(), keys.stats(), keys.forget(user)},
                QueueKeys.bytes(settings.maxLength()), QueueKeys.bytes(user),
                QueueKeys.bytes(System.currentTimeMillis()), QueueKeys.bytes(settings.forgetMarkerTtl().toMillis()));
        if (id == null) {
            throw new QueueFullException("the task queue is full");
        }
    }

    /** The number of unfinished tasks (finished ones are deleted from the stream). */
    public long length() {
        Long length = link.await(link.commands().xlen(keys.tasks()));
        return length == null ? 0 : length;
    }

    private String newUploadId() {
        byte[] bytes = new byte[UPLOAD_ID_BYTES];
        random.nextBytes(bytes);
        return encoder.encodeToString(bytes);
    }
}
