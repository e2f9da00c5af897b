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

    byte[] dead() {
        return bytes(prefix + "dead");
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
