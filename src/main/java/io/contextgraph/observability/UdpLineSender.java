package io.contextgraph.observability;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends metric lines to the StatsD agent over UDP, several lines per datagram, without ever blocking on I/O or
 * failing the caller.
 *
 * <p>Lines are packed into one datagram separated by {@code '\n'} (DogStatsD reads each line of a datagram as
 * one metric): a send system call per line was the largest part of the web role's metrics cost. The datagram
 * goes out when the next line would not fit into {@link StatsdBatching#maxPayloadBytes()}, at least every
 * {@link StatsdBatching#flushEvery()} (from a daemon thread, so that no line waits longer) and on
 * {@link #close()}. A single line longer than the payload limit goes alone.
 *
 * <p>The channel is non-blocking: a full socket buffer drops the datagram instead of waiting. An absent agent
 * (ICMP port unreachable), an unresolvable host or any other I/O error costs the metrics, never the request;
 * it is logged once, not per line. A host that did not resolve is looked up again at most once a minute so
 * that a late DNS record does not need a restart, and the lookup does not happen on every metric.
 */
final class UdpLineSender implements Consumer<String>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UdpLineSender.class);
    private static final long RESOLVE_EVERY_NANOS = Duration.ofMinutes(1).toNanos();

    private final String host;
    private final int port;
    private final DatagramChannel channel;
    private final long flushEveryNanos;
    /**
     * Guards {@link #pending} and the sends. Held only to copy a line's bytes and for at most one non-blocking
     * send; a lock rather than {@code synchronized} so that a virtual thread never pins its carrier on Java 21.
     */
    private final ReentrantLock lock = new ReentrantLock();
    private final ByteBuffer pending;
    private final Thread flusher;
    private volatile boolean closed;
    private volatile InetSocketAddress agent;
    private volatile long lastResolveNanos;
    private volatile boolean warned;

    UdpLineSender(String host, int port, StatsdBatching batching) throws IOException {
        this.host = host;
        this.port = port;
        this.channel = DatagramChannel.open();
        this.channel.configureBlocking(false);
        this.agent = new InetSocketAddress(host, port);
        this.lastResolveNanos = System.nanoTime();
        this.flushEveryNanos = batching.flushEvery().toNanos();
        // Direct: a heap buffer would be copied into a temporary direct one on every send.
        this.pending = ByteBuffer.allocateDirect(batching.maxPayloadBytes());
        this.flusher = Thread.ofPlatform().daemon().name("statsd-flush").start(this::flushPeriodically);
    }

    @Override
    public void accept(String line) {
        if (resolved() == null) {
            return; // nothing to send to: do not even keep the line
        }
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        lock.lock();
        try {
            if (closed) {
                return;
            }
            int separator = pending.position() > 0 ? 1 : 0;
            if (separator + bytes.length > pending.remaining()) {
                sendPending();
                separator = 0;
            }
            if (bytes.length > pending.capacity()) {
                send(ByteBuffer.wrap(bytes)); // too long to share a datagram: alone, and the agent may still take it
                return;
            }
            if (separator == 1) {
                pending.put((byte) '\n');
            }
            pending.put(bytes);
        } finally {
            lock.unlock();
        }
    }

    /** Sends the lines kept so far, if any. */
    void flush() {
        lock.lock();
        try {
            sendPending();
        } finally {
            lock.unlock();
        }
    }

    private void flushPeriodically() {
        while (!closed) {
            LockSupport.parkNanos(flushEveryNanos);
            flush();
        }
    }

    // Called with the lock held.
    private void sendPending() {
        if (pending.position() == 0) {
            return;
        }
        pending.flip();
        try {
            send(pending);
        } finally {
            pending.clear();
        }
    }

    // Called with the lock held.
    private void send(ByteBuffer datagram) {
        InetSocketAddress target = resolved();
        if (target == null) {
            return;
        }
        try {
            channel.send(datagram, target);
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

    /** Sends what is kept and closes the socket; lines accepted afterwards are dropped. Calling it again does nothing. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            sendPending();
            closed = true;
        } finally {
            lock.unlock();
        }
        LockSupport.unpark(flusher);
        try {
            flusher.join(Duration.ofSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channel.close();
    }
}
