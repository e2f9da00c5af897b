package io.contextgraph.queue.redis;

/** Redis could not be reached or did not answer in time; the request was not (or not surely) queued. */
public class QueueUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public QueueUnavailableException(String message) {
        super(message);
    }

    public QueueUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
