package io.contextgraph.queue;

/**
 * Which stream a task was read from, which is where it is acknowledged, retried and parked from. Deletes have their
 * own stream (their own cap; workers read it first); a delete queued before that split still sits in the upload stream
 * and is settled there.
 */
public enum TaskStream {
    UPLOADS,
    DELETES
}
