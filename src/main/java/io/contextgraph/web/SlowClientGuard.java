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

    private final long headerNanos;
    private final long requestNanos;
    private final Map<ConnectionContext, Long> deadlines = new ConcurrentHashMap<>();
    private final Thread watcher;
    private volatile boolean closed;

    SlowClientGuard(Duration readTimeout) {
        this.headerNanos = readTimeout.toNanos();
        this.requestNanos = readTimeout.multipliedBy(BODY_FACTOR).toNanos();
        Duration quarter = readTimeout.dividedBy(4);
        Duration period = quarter.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100) : quarter;
        this.watcher = Thread.ofPlatform().daemon().name("slow-client-guard").start(() -> watch(period));
    }

    /** Listens to what the server receives: the request line starts the clock, the headers move the deadline. */
    Http1ConnectionListener receiving() {
        return new Http1ConnectionListener() {
            @Override
            public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
                deadlines.put(ctx, System.nanoTime() + headerNanos);
            }

            @Override
            public void headers(ConnectionContext ctx, Headers headers) {
                deadlines.computeIfPresent(ctx, (c, deadline) -> deadline - headerNanos + requestNanos);
            }
        };
    }

    /** Listens to what the server sends: once the answer starts, the request is no longer the client's to slow down. */
    Http1ConnectionListener sending() {
        return new Http1ConnectionListener() {
            @Override
            public void status(ConnectionContext ctx, Status status) {
                deadlines.remove(ctx);
            }
        };
    }

    private void watch(Duration period) {
        while (!closed) {
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            deadlines.forEach((ctx, deadline) -> {
                if (!ctx.serverSocket().isConnected()) {
                    deadlines.remove(ctx, deadline);
                } else if (now - deadline > 0) {
                    deadlines.remove(ctx, deadline);
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

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
    }
}
