package io.contextgraph.queue.redis;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where and how to reach Redis: host, port, optional password, TLS, the per-command timeout, and how many replicas
 * must acknowledge a producer's write before it counts as accepted ({@code WAIT}, bounded by the command timeout);
 * {@code cluster}: the host and port are a seed node of a Redis Cluster (Lettuce's cluster client).
 */
public record RedisSettings(String host, int port, Optional<String> password, boolean tls, Duration commandTimeout,
        int minReplicas, boolean cluster) {

    public RedisSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException("commandTimeout must be positive");
        }
        if (minReplicas < 0) {
            throw new IllegalArgumentException("minReplicas must not be negative");
        }
    }

    /** A single Redis, not a cluster. */
    public RedisSettings(String host, int port, Optional<String> password, boolean tls, Duration commandTimeout,
            int minReplicas) {
        this(host, port, password, tls, commandTimeout, minReplicas, false);
    }

    /** Without waiting for replicas. */
    public RedisSettings(String host, int port, Optional<String> password, boolean tls, Duration commandTimeout) {
        this(host, port, password, tls, commandTimeout, 0);
    }

    /** Plain connection without password or TLS, with the default 1 s command timeout. */
    public static RedisSettings of(String host, int port) {
        return new RedisSettings(host, port, Optional.empty(), false, Duration.ofSeconds(1));
    }

    /** Never prints the password. */
    @Override
    public String toString() {
        return "RedisSettings[host=" + host + ", port=" + port + ", password=" + (password.isPresent() ? "***" : "none")
                + ", tls=" + tls + ", commandTimeout=" + commandTimeout + ", minReplicas=" + minReplicas + ", cluster=" + cluster + "]";
    }
}
