/**
 * The durable task queue in Redis: what its parts share (keys, shards, settings, tasks, upload ids, the Lua
 * scripts) and the anonymous stats counters. The parts, in the order data flows through them:
 * <ul>
 *   <li>{@code queue.redis} — the connection (one node or a Redis Cluster), bounded waits, batched and scripted
 *       calls, replication checks; it knows nothing of tasks;</li>
 *   <li>{@code queue.ingest} — the producer of the web role: queues uploads and deletes;</li>
 *   <li>{@code queue.consume} — the consumer of the worker role: reads, leases, retries, completes and parks
 *       tasks;</li>
 *   <li>{@code queue.deadletter} — the parked tasks: list, replay, purge a forgotten user's, expire.</li>
 * </ul>
 *
 * <h2>Redis data (prefix {@code cg:} by default)</h2>
 * With more than one shard ({@link io.contextgraph.queue.Shards}) or on a Redis Cluster, every key below exists once
 * per shard N, its prefix then {@code cg:{N}:}; {@code <prefix>shards} records the shard count.
 * <ul>
 *   <li>{@code <prefix>tasks} — stream of unfinished uploads, consumer group {@code workers}. Fields: {@code type}
 *       ({@code upload}; a delete queued before deletes had their own stream may still be here), {@code user},
 *       {@code upload_id}, {@code order} (the acceptance order, {@code <ms>-<seq>}; absent on entries queued before
 *       orders existed, whose stream ID serves), {@code accepted} (epoch ms), {@code body} (raw bytes). Finished
 *       tasks are acknowledged and deleted, so the stream length is the queue length.</li>
 *   <li>{@code <prefix>deletes} — stream of unfinished deletes (same group, own cap, read first): {@code type}
 *       ({@code delete}), {@code user}, {@code order}, {@code accepted}.</li>
 *   <li>{@code <prefix>order} — the last acceptance order handed out, shared by both streams.</li>
 *   <li>{@code <prefix>dead} — stream of parked tasks: the same fields plus {@code order}, {@code reason} and
 *       {@code failed_at}; trimmed after {@link io.contextgraph.queue.QueueSettings#deadLetterRetention()}.</li>
 *   <li>{@code <prefix>dead:user:<user>} — set of the user's dead-letter IDs, so that a delete finds them without
 *       scanning; {@code <prefix>dead:indexed} notes that older dead letters were added.</li>
 *   <li>{@code <prefix>forget:<user>} — the order of the user's latest accepted delete; expires after
 *       {@link io.contextgraph.queue.QueueSettings#forgetMarkerTtl()}.</li>
 *   <li>{@code <prefix>dedup:<digest>} — the id of an upload accepted within
 *       {@link io.contextgraph.queue.QueueSettings#dedupWindow()}, under the digest of its user and body.</li>
 *   <li>{@code <prefix>stats} (hash of counters), {@code <prefix>stats:contributors} (HyperLogLog of users whose
 *       uploads were accepted) and {@code <prefix>stats:stored_contributors} (HyperLogLog of users whose data was
 *       stored, for the {@code data.user.new} metric). A HyperLogLog keeps no tokens.</li>
 * </ul>
 *
 * <p>Every change that touches more than one key, or reads before it writes, is one Lua script, so Redis applies it
 * atomically. The scripts build per-user and per-digest keys from a shard's prefix: on a Redis Cluster those keys
 * share the hash tag of the keys the script is given, so every script runs on one slot.
 */
package io.contextgraph.queue;
