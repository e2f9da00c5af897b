package io.contextgraph.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * {@code GET /v1/stats}: aggregate counters only. Cached for a short time so that the endpoint
 * stays cheap however often it is called; one caller refreshes while others get the cached copy.
 */
final class StatsHandler implements Handler {
    private final Supplier<Map<String, Long>> source;
    private final Duration ttl;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile Cached cached;

    private record Cached(byte[] body, Instant until) {
    }

    StatsHandler(Supplier<Map<String, Long>> source, Duration ttl, Clock clock) {
        this.source = source;
        this.ttl = ttl;
        this.clock = clock;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        Cached current = cached;
        Instant now = clock.instant();
        if (current == null || now.isAfter(current.until())) {
            if (refreshing.tryLock()) {
                try {
                    current = refresh(now);
                } catch (QueueUnavailableException e) {
                    if (current == null) {
                        ApiResponses.unavailable(res, QueueErrors.RETRY_AFTER_UNAVAILABLE_SECONDS,
                                "statistics are temporarily unavailable");
                        return;
                    }
                } finally {
                    refreshing.unlock();
                }
            } else if (current == null) {
                refreshing.lock();
                refreshing.unlock();
                current = cached;
                if (current == null) {
                    ApiResponses.unavailable(res, QueueErrors.RETRY_AFTER_UNAVAILABLE_SECONDS,
                            "statistics are temporarily unavailable");
                    return;
                }
            }
        }
        res.header("Cache-Control", "public, max-age=" + ttl.toSeconds());
        res.status(Status.OK_200);
        res.header("Content-Type", "application/json");
        res.send(current.body());
    }

    private Cached refresh(Instant now) {
        Map<String, Long> figures = new TreeMap<>(source.get());
        try {
            Cached fresh = new Cached(json.writeValueAsString(figures).getBytes(StandardCharsets.UTF_8), now.plus(ttl));
            cached = fresh;
            return fresh;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stats could not be written as JSON", e);
        }
    }
}
