package io.contextgraph.queue.ingest;

import io.contextgraph.queue.redis.PendingCall;

/**
 * One upload between its request thread and the batch that carries it to Redis ({@link UploadBatcher}); its outcome
 * is the upload id under which the script wrote the entry, or found it already written (a retry).
 */
final class PendingUpload extends PendingCall<String> {

    private final String user;
    private final byte[] body;
    private final String digest;
    private final long acceptedMillis;
    /** Set by whichever thread builds the batch, read by whichever sends it. */
    private volatile String randomIdPart;

    /**
     * @param digest of the user and the body, naming the upload for recognising a retry of it (see {@link TaskQueue})
     */
    PendingUpload(String user, byte[] body, String digest, long acceptedMillis, long queuedNanos) {
        super("upload", queuedNanos);
        this.user = user;
        this.body = body;
        this.digest = digest;
        this.acceptedMillis = acceptedMillis;
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

    /** For the sender, after {@link #claim}: the random part of the id, which Redis completes with the order. */
    void assignRandomIdPart(String part) {
        this.randomIdPart = part;
    }

    String randomIdPart() {
        return randomIdPart;
    }
}
