package io.contextgraph.queue;

import java.nio.charset.StandardCharsets;

/** The Redis key names under the configured prefix, and the consumer group name. */
public final class QueueKeys {

    public static final String GROUP = "workers";

    private final String prefix;

    QueueKeys(String prefix) {
        this.prefix = prefix;
    }

    public byte[] tasks() {
        return bytes(prefix + "tasks");
    }

    /** The delete tasks: a stream of their own, with its own cap, read before the uploads. */
    public byte[] deletes() {
        return bytes(prefix + "deletes");
    }

    /** The stream a task of this kind is read from and settled in. */
    public byte[] stream(TaskStream stream) {
        return stream == TaskStream.DELETES ? deletes() : tasks();
    }

    public byte[] dead() {
        return bytes(prefix + "dead");
    }

    /** The last acceptance order handed out ({@code <ms>-<seq>}), shared by uploads and deletes. */
    public byte[] order() {
        return bytes(prefix + "order");
    }

    /** Per user, the IDs of the user's dead letters, so that a delete finds them without scanning every one. */
    public String deadIndexPrefix() {
        return prefix + "dead:user:";
    }

    /** Set once the dead letters parked before the index existed were added to it. */
    public byte[] deadIndexed() {
        return bytes(prefix + "dead:indexed");
    }

    public byte[] deadIndex(String user) {
        return bytes(deadIndexPrefix() + user);
    }

    /** An accepted upload's id under the digest of its user and body, for recognising a client's retry. */
    public String dedupPrefix() {
        return prefix + "dedup:";
    }

    public byte[] stats() {
        return bytes(prefix + "stats");
    }

    public byte[] contributors() {
        return bytes(prefix + "stats:contributors");
    }

    /** Users with stored data, as a HyperLogLog: it answers "new or not" without keeping the tokens. */
    public byte[] storedContributors() {
        return bytes(prefix + "stats:stored_contributors");
    }

    public byte[] forget(String user) {
        return bytes(forgetPrefix() + user);
    }

    public String forgetPrefix() {
        return prefix + "forget:";
    }

    public static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] bytes(long number) {
        return bytes(Long.toString(number));
    }

    public static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
