package io.contextgraph.web;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1ConnectionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cuts connections of clients that send a request too slowly (slowloris). Helidon bounds neither the time to read a
 * request's headers nor its body, so this watches each request from its request line: the headers must be complete
 * within the read timeout, and the whole request must be read and answered within {@link #BODY_FACTOR} read timeouts.
 * Waiting for a request line is bounded by Helidon's idle-connection check.
 */
final class SlowClientGuard implements AutoCloseable {
    /** The whole request gets this many read timeouts: 2 min by default, i.e. ~85 KB/s for a 10 MiB body. */
    static final int BODY_FACTOR = 4;
    private static final Logger LOG = LoggerFactory.getLogger(SlowClientGuard.class);
    /** A connection's clock between requests (waiting for a request line is bounded by Helidon's idle check). */
    private static final long NONE = Long.MIN_VALUE;

    private final long headerNanos;
    private final long requestNanos;
    /**
     * One clock per open connection, dropped by the watcher once the connection is closed: a request only moves its
     * connection's clock, which is cheaper than adding and removing a map entry per request.
     */
    private final Map<ConnectionContext, AtomicLong> deadlines = new ConcurrentHashMap<>();
    private final Thread watcher;
    private volatile boolean closed;

    SlowClientGuard(Duration readTimeout) {
        this.headerNanos = readTimeout.toNanos();
        this.requestNanos = readTimeout.multipliedBy(BODY_FACTOR).toNanos();
        Duration period = checkPeriod(readTimeout);
        this.watcher = Thread.ofPlatform().daemon().name("slow-client-guard").start(() -> watch(period));
    }

    /**
     * How often deadlines (and {@link HttpServer}'s idle connections) are checked: a quarter of the read timeout,
     * at least 100 ms.
     */
    static Duration checkPeriod(Duration readTimeout) {
        Duration quarter = readTimeout.dividedBy(4);
        Duration floor = Duration.ofMillis(100);
        return quarter.compareTo(floor) < 0 ? floor : quarter;
    }

    /** Listens to what the server receives: the request line starts the clock, the headers move the deadline. */
    Http1ConnectionListener receiving() {
        return new Http1ConnectionListener() {
            @Override
            public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
                clock(ctx).set(System.nanoTime() + headerNanos);
            }

            @Override
            public void headers(ConnectionContext ctx, Headers headers) {
                AtomicLong deadline = clock(ctx);
                long set = deadline.get();
                if (set != NONE) {
                    deadline.compareAndSet(set, set - headerNanos + requestNanos);
                }
            }
        };
    }

    /** Listens to what the server sends: once the answer starts, the request is no longer the client's to slow down. */
    Http1ConnectionListener sending() {
        return new Http1ConnectionListener() {
            @Override
            public void status(ConnectionContext ctx, Status status) {
                AtomicLong deadline = deadlines.get(ctx);
                if (deadline != null) {
                    deadline.set(NONE);
                }
            }
        };
    }

    private AtomicLong clock(ConnectionContext ctx) {
        AtomicLong deadline = deadlines.get(ctx);
        return deadline != null ? deadline : deadlines.computeIfAbsent(ctx, c -> new AtomicLong(NONE));
    }

    private void watch(Duration period) {
        while (!closed) {
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            deadlines.forEach((ctx, clock) -> {
                long deadline = clock.get();
                if (!ctx.serverSocket().isConnected()) {
                    deadlines.remove(ctx, clock);
                } else if (deadline != NONE && now - deadline > 0 && clock.compareAndSet(deadline, NONE)) {
                    deadlines.remove(ctx, clock);
                    LOG.atInfo().addKeyValue("type", "web.slow_client").log("closed a connection that sent its request too slowly");
                    try {
                        ctx.serverSocket().close();
                    } catch (RuntimeException e) {
                        // already closing
                    }
                }
            });
        }
    }

    /** Connections this guard holds a clock for (closed ones are dropped within a watch period). */
    int watchedConnections() {
        return deadlines.size();
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
    }
}
