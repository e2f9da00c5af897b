package io.contextgraph.observability;

import java.time.Duration;
import java.util.Objects;

/**
 * How metric lines are packed into UDP datagrams: at most {@code maxPayloadBytes} per datagram, and no line kept
 * longer than {@code flushEvery} before it is sent.
 */
public record StatsdBatching(int maxPayloadBytes, Duration flushEvery) {

    /**
     * 1432 bytes, the DogStatsD clients' default for UDP over a network: an Ethernet MTU of 1500 minus the IPv6
     * (40) and UDP (8) headers leaves 1452, and a little room for tunnels and options. A bigger datagram is
     * fragmented by IP, and losing any fragment loses every line in it. On loopback or a Unix socket much
     * larger payloads (8 KB) are safe.
     */
    public static final int NETWORK_PAYLOAD_BYTES = 1432;

    /** Short enough that dashboards and tests see a metric promptly, long enough to pack many lines per datagram. */
    public static final Duration FLUSH_EVERY = Duration.ofMillis(100);

    /** The defaults: {@link #NETWORK_PAYLOAD_BYTES}, {@link #FLUSH_EVERY}. */
    public static final StatsdBatching DEFAULT = new StatsdBatching(NETWORK_PAYLOAD_BYTES, FLUSH_EVERY);

    public StatsdBatching {
        Objects.requireNonNull(flushEvery, "flushEvery");
        if (maxPayloadBytes < 1 || maxPayloadBytes > 65_507) {
            throw new IllegalArgumentException("maxPayloadBytes must be 1..65507 (the largest UDP payload over IPv4)");
        }
        if (flushEvery.isNegative() || flushEvery.isZero()) {
            throw new IllegalArgumentException("flushEvery must be positive");
        }
    }
}
