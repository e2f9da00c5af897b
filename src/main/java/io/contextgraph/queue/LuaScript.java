package io.contextgraph.queue;

import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A server-side script run by its SHA1 (EVALSHA), sent in full only when Redis does not know it (NOSCRIPT). */
final class LuaScript {

    private final byte[] source;
    private final String sha1;

    LuaScript(String source) {
        this.source = source.getBytes(StandardCharsets.UTF_8);
        try {
            this.sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(this.source));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-1", e);
        }
    }

    <T> T run(RedisLink link, ScriptOutputType output, byte[][] keys, byte[]... args) {
        try {
            return link.await(link.commands().<T>evalsha(sha1, output, keys, args));
        } catch (QueueUnavailableException e) {
            if (!RedisLink.isErrorReply(e, "NOSCRIPT")) {
                throw e;
            }
            // A restarted or failed-over Redis has an empty script cache: EVAL loads it again.
            return link.await(link.commands().<T>eval(source, output, keys, args));
        }
    }
}
