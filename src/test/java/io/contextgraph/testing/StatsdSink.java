package io.contextgraph.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * A StatsD agent for tests: a real UDP socket on a free loopback port that keeps every received line
 * (a datagram may carry several, separated by {@code '\n'}, as DogStatsD reads them) and every datagram.
 */
public final class StatsdSink implements AutoCloseable {

    private final DatagramSocket socket;
    private final List<String> lines = new ArrayList<>();
    private final List<String> datagrams = new ArrayList<>();
    private final Thread receiver;

    public StatsdSink() {
        try {
            socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
            socket.setReceiveBufferSize(4 << 20); // a burst of datagrams must not overflow it (the kernel may cap it)
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
        receiver = Thread.ofPlatform().daemon().name("statsd-sink").start(this::receive);
    }

    /**
     * {@code line} with its tags sorted by key and without the origin fields ({@code |c:container-id},
     * {@code |e:...}, {@code |card:...}) the DogStatsD client may add: the form tests compare with, since DogStatsD
     * reads tags in any order.
     */
    public static String withSortedTags(String line) {
        String withoutContainer = line.replaceAll("\\|(c|e|card):[^|]*", "");
        int tags = withoutContainer.indexOf("|#");
        if (tags < 0) {
            return withoutContainer;
        }
        return withoutContainer.substring(0, tags + 2)
                + String.join(",", new TreeSet<>(List.of(withoutContainer.substring(tags + 2).split(","))));
    }

    /** The loopback port to send metrics to. */
    public int port() {
        return socket.getLocalPort();
    }

    /** The host to send metrics to. */
    public String host() {
        return socket.getLocalAddress().getHostAddress();
    }

    /** A copy of every line received so far, in arrival order. */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** A copy of every datagram received so far, whole, in arrival order. */
    public List<String> datagrams() {
        synchronized (lines) {
            return List.copyOf(datagrams);
        }
    }

    /** Waits up to {@code timeout} for a line matching {@code match}; empty if none came. */
    public Optional<String> awaitLine(Predicate<String> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            while (true) {
                Optional<String> found = lines.stream().filter(match).findFirst();
                long left = deadline - System.nanoTime();
                if (found.isPresent() || left <= 0) {
                    return found;
                }
                try {
                    lines.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Optional.empty();
                }
            }
        }
    }

    /** Waits up to {@code timeout} until at least {@code count} lines have arrived; false if they did not. */
    public boolean awaitLineCount(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            while (lines.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    lines.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    private void receive() {
        byte[] buffer = new byte[65_535];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
            } catch (IOException e) {
                return; // closed
            }
            String datagram = new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8);
            synchronized (lines) {
                datagrams.add(datagram);
                datagram.lines().filter(line -> !line.isEmpty()).forEach(lines::add);
                lines.notifyAll();
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            receiver.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
