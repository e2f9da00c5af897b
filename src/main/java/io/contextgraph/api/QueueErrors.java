package io.contextgraph.api;

import io.contextgraph.queue.redis.QueueFullException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.helidon.webserver.http.ServerResponse;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns "the queue cannot take this now" into a 503 with Retry-After. Both cases are expected
 * operating conditions (an outage is reported by the heartbeat), so they are logged, not sent to
 * Sentry, and at most once per {@link #LOG_EVERY_NANOS}: under load an outage would otherwise write
 * one line per refused request.
 */
final class QueueErrors {
    private static final Logger LOG = LoggerFactory.getLogger(QueueErrors.class);
    static final int RETRY_AFTER_FULL_SECONDS = 30;
    static final int RETRY_AFTER_UNAVAILABLE_SECONDS = 5;
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
    private final AtomicLong refusedSinceLog = new AtomicLong();

    void answer(ServerResponse res, RuntimeException e) {
        boolean full = e instanceof QueueFullException;
        log(full ? "queue.full" : "queue.unavailable",
                full ? "queue over its cap; answered 503" : "queue unreachable; answered 503");
        if (full) {
            ApiResponses.unavailable(res, RETRY_AFTER_FULL_SECONDS, "the service is busy, retry later");
        } else {
            ApiResponses.unavailable(res, RETRY_AFTER_UNAVAILABLE_SECONDS, "the service is temporarily unavailable, retry later");
        }
    }

    private void log(String type, String message) {
        long refused = refusedSinceLog.incrementAndGet();
        long last = lastLogged.get();
        long now = System.nanoTime();
        if (now - last >= LOG_EVERY_NANOS && lastLogged.compareAndSet(last, now)) {
            refusedSinceLog.addAndGet(-refused);
            LOG.atWarn().addKeyValue("type", type).addKeyValue("refused", refused).log(message);
        }
    }
}
