package io.contextgraph.queue.redis;

/** The queue holds its configured maximum of unfinished tasks; nothing was written. */
public class QueueFullException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public QueueFullException(String message) {
        super(message);
    }
}
