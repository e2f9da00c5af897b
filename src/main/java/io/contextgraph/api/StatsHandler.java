package io.contextgraph.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

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
    private final Header cacheControl;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile Cached cached;

    private record Cached(byte[] body, Instant until) {
    }

    StatsHandler(Supplier<Map<String, Long>> source, Duration ttl, Clock clock) {
        this.source = source;
        this.ttl = ttl;
        this.cacheControl = HeaderValues.createCached(HeaderNames.CACHE_CONTROL, "public, max-age=" + ttl.toSeconds());
        this.clock = clock;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        Cached current = cached;
        Instant now = clock.instant();
        if (current == null || now.isAfter(current.until())) {
            current = refreshed(current, now);
        }
        if (current == null) {
            ApiResponses.unavailable(res, QueueErrors.RETRY_AFTER_UNAVAILABLE_SECONDS,
                    "statistics are temporarily unavailable");
        } else {
            ApiResponses.json(res, Status.OK_200, cacheControl, current.body());
        }
    }

    /**
     * Fresh figures, or {@code stale} while another caller refreshes or when the queue cannot be read. Without a
     * stale copy, a caller waits for the one refreshing and takes what it got rather than ask the queue again.
     */
    private Cached refreshed(Cached stale, Instant now) {
        if (!refreshing.tryLock()) {
            if (stale != null) {
                return stale;
            }
            refreshing.lock();
            refreshing.unlock();
            return cached;
        }
        try {
            Map<String, Long> figures = new TreeMap<>(source.get());
            Cached fresh = new Cached(json.writeValueAsBytes(figures), now.plus(ttl));
            cached = fresh;
            return fresh;
        } catch (QueueUnavailableException e) {
            return stale;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stats could not be written as JSON", e);
        } finally {
            refreshing.unlock();
        }
    }
}
