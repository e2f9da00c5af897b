/**
 * The connection to Redis, one node or a Redis Cluster ({@link io.contextgraph.queue.redis.RedisLink}), and what
 * every call on it shares: waits bounded by the command timeout, concurrent calls carried together in one script
 * call ({@link io.contextgraph.queue.redis.CallBatcher}), scripts run by digest, the {@code WAIT} for replicas
 * ({@link io.contextgraph.queue.redis.Replication}), and the two ways a call fails. It knows nothing of tasks: the
 * queue's packages above it do.
 */
package io.contextgraph.queue.redis;
