package io.contextgraph.observability;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each metric line as one UDP datagram to the StatsD agent, without ever blocking or failing the caller.
 *
 * <p>The channel is non-blocking: a full socket buffer drops the line instead of waiting. An absent agent
 * (ICMP port unreachable), an unresolvable host or any other I/O error costs the metric, never the request;
 * it is logged once, not per line. A host that did not resolve is looked up again at most once a minute so
 * that a late DNS record does not need a restart, and the lookup does not happen on every metric.
 */
final class UdpLineSender implements Consumer<String>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UdpLineSender.class);
    private static final long RESOLVE_EVERY_NANOS = Duration.ofMinutes(1).toNanos();

    private final String host;
    private final int port;
    private final DatagramChannel channel;
    private volatile InetSocketAddress agent;
    private volatile long lastResolveNanos;
    private volatile boolean warned;

    UdpLineSender(String host, int port) throws IOException {
        this.host = host;
        this.port = port;
        this.channel = DatagramChannel.open();
        this.channel.configureBlocking(false);
        this.agent = new InetSocketAddress(host, port);
        this.lastResolveNanos = System.nanoTime();
    }

    @Override
    public void accept(String line) {
        InetSocketAddress target = resolved();
        if (target == null) {
            return;
        }
        try {
            channel.send(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)), target);
        } catch (IOException | RuntimeException e) {
            warnOnce(e);
        }
    }

    private InetSocketAddress resolved() {
        InetSocketAddress current = agent;
        if (!current.isUnresolved()) {
            return current;
        }
        long now = System.nanoTime();
        if (now - lastResolveNanos < RESOLVE_EVERY_NANOS) {
            return null;
        }
        lastResolveNanos = now;
        agent = new InetSocketAddress(host, port);
        if (agent.isUnresolved()) {
            warnOnce(new IOException("StatsD host does not resolve"));
            return null;
        }
        return agent;
    }

    private void warnOnce(Exception e) {
        if (!warned) {
            warned = true;
            log.atWarn().addKeyValue("type", "metrics.send").log("cannot send metrics to StatsD: {}", e.toString());
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
