package io.contextgraph.queue;

import java.nio.charset.StandardCharsets;

/** The Redis key names under the configured prefix, and the consumer group name. */
final class QueueKeys {

    static final String GROUP = "workers";

    private final String prefix;

    QueueKeys(String prefix) {
        this.prefix = prefix;
    }

    byte[] tasks() {
        return bytes(prefix + "tasks");
    }

    /** The delete tasks: a stream of their own, with its own cap, read before the uploads. */
    byte[] deletes() {
        return bytes(prefix + "deletes");
    }

    /** The stream a task of this kind is read from and settled in. */
    byte[] stream(TaskStream stream) {
        return stream == TaskStream.DELETES ? deletes() : tasks();
    }

    byte[] dead() {
        return bytes(prefix + "dead");
    }

    /** The last acceptance order handed out ({@code <ms>-<seq>}), shared by uploads and deletes. */
    byte[] order() {
        return bytes(prefix + "order");
    }

    /** Per user, the IDs of the user's dead letters, so that a delete finds them without scanning every one. */
    String deadIndexPrefix() {
        return prefix + "dead:user:";
    }

    /** Set once the dead letters parked before the index existed were added to it. */
    byte[] deadIndexed() {
        return bytes(prefix + "dead:indexed");
    }

    byte[] deadIndex(String user) {
        return bytes(deadIndexPrefix() + user);
    }

    /** An accepted upload's id under the digest of its user and body, for recognising a client's retry. */
    String dedupPrefix() {
        return prefix + "dedup:";
    }

    byte[] stats() {
        return bytes(prefix + "stats");
    }

    byte[] contributors() {
        return bytes(prefix + "stats:contributors");
    }

    /** Users with stored data, as a HyperLogLog: it answers "new or not" without keeping the tokens. */
    byte[] storedContributors() {
        return bytes(prefix + "stats:stored_contributors");
    }

    byte[] forget(String user) {
        return bytes(forgetPrefix() + user);
    }

    String forgetPrefix() {
        return prefix + "forget:";
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] bytes(long number) {
        return bytes(Long.toString(number));
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
