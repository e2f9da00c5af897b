package io.contextgraph.queue.redis;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.concurrent.CompletableFuture;

/**
 * Makes a producer's write survive a failover: Redis {@code WAIT} until {@code REDIS_MIN_REPLICAS} replicas have
 * acknowledged it, bounded by the command timeout. Fewer acknowledgements fail like an unavailable Redis (503): the
 * write is applied on the primary and will probably reach the replicas, but that cannot be promised.
 *
 * <p><b>Why one WAIT on the shared connection covers the write.</b> Redis answers WAIT once the replicas have
 * acknowledged the replication offset of the last write this <em>connection</em> made before the WAIT. Lettuce puts the
 * commands of every thread onto the link's one connection in the order they are dispatched, and Redis runs one
 * connection's commands in that order. A WAIT dispatched after the write's reply has arrived therefore comes after the
 * write, and the offset it waits for is the write's own or a later one (another thread's write in between); the
 * offset is one stream, so a later offset acknowledged means the write acknowledged too. Sharing only ever makes a
 * WAIT wait for more, never for less, and one WAIT serves all the uploads of a batch.
 *
 * <p>The one case this reasoning misses is the write and the WAIT running on different connections: the connection
 * is lost after the write's reply and Lettuce has reconnected before the WAIT is sent. The new connection has made no
 * write, so its WAIT would answer at once. (Commands unanswered when a connection drops fail with it, the link
 * rejects commands while disconnected, so only this order is possible.) So the link's connection losses are compared
 * before the write and after the WAIT's reply; a loss in between fails the call.
 *
 * <p><b>In cluster mode</b> the routing cluster connection spreads commands over one connection per node, and which
 * one a keyless WAIT takes is not the write's. So a write that must be acknowledged runs on the connection to the
 * master of its slot ({@link RedisLink#writerFor}) and its WAIT is sent on that same connection: the reasoning above
 * holds per node connection. Losses are then counted over all connections of the client (conservative).
 */
public final class Replication {

    private final RedisLink link;
    private final int minReplicas;
    private final long timeoutMillis;

    public Replication(RedisLink link) {
        this.link = link;
        this.minReplicas = link.minReplicas();
        this.timeoutMillis = link.commandTimeout().toMillis();
    }

    /** False when no replica acknowledgement is asked for: a write is accepted once the primary applied it. */
    public boolean required() {
        return minReplicas > 0;
    }

    /** Taken just before dispatching the write; handed to {@link #acknowledged} or {@link #await} afterwards. */
    public long mark() {
        return link.connectionLosses();
    }

    /**
     * Sends a WAIT now on the connection the write ran on ({@code writer}); call only once the write's reply has arrived. Completes normally when enough replicas
     * acknowledged, otherwise with a {@link QueueUnavailableException}. Never throws itself.
     */
    public CompletableFuture<Void> acknowledged(long mark, RedisClusterAsyncCommands<byte[], byte[]> writer) {
        CompletableFuture<Long> reply;
        try {
            reply = writer.waitForReplication(minReplicas, timeoutMillis).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(link.unavailable(e));
        }
        return reply.handle((count, failure) -> {
            if (failure != null) {
                throw link.unavailable(failure);
            }
            check(mark, count);
            return null;
        });
    }

    /** As {@link #acknowledged}, waiting for the outcome. */
    public void await(long mark, RedisClusterAsyncCommands<byte[], byte[]> writer) {
        check(mark, link.await(writer.waitForReplication(minReplicas, timeoutMillis),
                link.commandTimeout()));
    }

    private void check(long mark, Long count) {
        if (link.connectionLosses() != mark) {
            throw new QueueUnavailableException("the Redis connection was lost before the replicas acknowledged");
        }
        if (count == null || count < minReplicas) {
            throw new QueueUnavailableException((count == null ? 0 : count) + " of " + minReplicas
                    + " Redis replicas acknowledged within " + timeoutMillis + " ms");
        }
    }
}
