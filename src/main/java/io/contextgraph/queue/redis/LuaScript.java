package io.contextgraph.queue.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

/** A server-side script run by its SHA1 (EVALSHA), sent in full only when Redis does not know it (NOSCRIPT). */
public final class LuaScript {

    private final byte[] source;
    private final String sha1;

    public LuaScript(String source) {
        this.source = source.getBytes(StandardCharsets.UTF_8);
        try {
            this.sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(this.source));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-1", e);
        }
    }

    public <T> T run(RedisLink link, ScriptOutputType output, byte[][] keys, byte[]... args) {
        return run(link, link.commands(), output, keys, args);
    }

    /** As {@link #run(RedisLink, ScriptOutputType, byte[][], byte[]...)}, on the given commands (a node's). */
    public <T> T run(RedisLink link, RedisClusterAsyncCommands<byte[], byte[]> target, ScriptOutputType output,
            byte[][] keys, byte[]... args) {
        try {
            return link.await(target.<T>evalsha(sha1, output, keys, args));
        } catch (QueueUnavailableException e) {
            if (!RedisLink.isErrorReply(e, "NOSCRIPT")) {
                throw e;
            }
            // A restarted or failed-over Redis has an empty script cache: EVAL loads it again.
            return link.await(target.<T>eval(source, output, keys, args));
        }
    }

    /**
     * As {@link #run}, without waiting: the reply, or the failure as {@link RedisLink#await} would throw it. Never
     * throws itself (not even when no connection was ever made), so that a caller can always attach what follows.
     */
    public <T> CompletableFuture<T> runAsync(RedisLink link, ScriptOutputType output, byte[][] keys, byte[]... args) {
        RedisClusterAsyncCommands<byte[], byte[]> target;
        try {
            target = link.commands();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(link.unavailable(e));
        }
        return runAsync(link, target, output, keys, args);
    }

    /** As {@link #runAsync(RedisLink, ScriptOutputType, byte[][], byte[]...)}, on the given commands (a node's). */
    public <T> CompletableFuture<T> runAsync(RedisLink link, RedisClusterAsyncCommands<byte[], byte[]> target,
            ScriptOutputType output, byte[][] keys, byte[]... args) {
        CompletableFuture<T> reply;
        try {
            reply = target.<T>evalsha(sha1, output, keys, args).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(link.unavailable(e));
        }
        return reply.exceptionallyCompose(failure -> {
            QueueUnavailableException unavailable = link.unavailable(failure);
            if (!RedisLink.isErrorReply(unavailable, "NOSCRIPT")) {
                return CompletableFuture.failedFuture(unavailable);
            }
            try {
                return target.<T>eval(source, output, keys, args).toCompletableFuture()
                        .exceptionallyCompose(again -> CompletableFuture.failedFuture(link.unavailable(again)));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(link.unavailable(e));
            }
        });
    }
}
