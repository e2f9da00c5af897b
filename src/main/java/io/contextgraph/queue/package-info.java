/**
 * The durable task queue in Redis: connection handling, producing, consuming, retries, dead letters, forget markers
 * and the anonymous stats counters.
 *
 * <h2>Redis data (prefix {@code cg:} by default)</h2>
 * <ul>
 *   <li>{@code <prefix>tasks} — stream of unfinished tasks, consumer group {@code workers}. Fields: {@code type}
 *       ({@code upload}|{@code delete}), {@code user}, {@code upload_id} (uploads), {@code accepted} (epoch ms),
 *       {@code body} (uploads, raw bytes), {@code order} (only on replayed dead letters: the stream ID of the first
 *       acceptance). Finished tasks are acknowledged and deleted, so the stream length is the queue length.</li>
 *   <li>{@code <prefix>dead} — stream of parked tasks: the same fields plus {@code order}, {@code reason} and
 *       {@code failed_at}.</li>
 *   <li>{@code <prefix>forget:<user>} — the stream ID of the user's latest accepted delete; expires after
 *       {@link io.contextgraph.queue.QueueSettings#forgetMarkerTtl()}.</li>
 *   <li>{@code <prefix>stats} (hash of counters), {@code <prefix>stats:contributors} (HyperLogLog of users whose
 *       uploads were accepted) and {@code <prefix>stats:stored_contributors} (HyperLogLog of users whose data was
 *       stored, for the {@code data.user.new} metric). A HyperLogLog keeps no tokens.</li>
 * </ul>
 *
 * <p>Every change that touches more than one key, or reads before it writes, is one Lua script, so Redis applies it
 * atomically. The scripts build forget-marker keys from a prefix, which assumes a single (non-cluster) Redis.
 */
package io.contextgraph.queue;
