/**
 * The producer, used by the web role: queues an upload (concurrent uploads share one script call) or a delete,
 * and answers only once Redis applied it, so an answer of 200 means the task is durably queued.
 */
package io.contextgraph.queue.ingest;
