package io.contextgraph.web;

import io.contextgraph.observability.Metrics;
import io.helidon.http.Header;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Wraps every request: adds the security headers, then counts and times it ({@code request} metric)
 * and writes one {@code request.summary} log line. Only the path, method, status and duration are
 * recorded; never headers (X-User) or bodies.
 */
public final class RequestObserver implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger("request.summary");
    /** Health checks run every few seconds per load balancer: counting them would drown the signal. */
    private static final Set<String> UNCOUNTED = Set.of("/__lbheartbeat__", "/__heartbeat__", "/__version__", "/robots.txt");
    private static final Map<String, String> METRIC_PATHS = Map.of(
            "/", "index",
            "/v1/upload", "v1.upload",
            "/v1/delete", "v1.delete",
            "/v1/jwk", "v1.jwk",
            "/v1/stats", "v1.stats");

    /** Built and validated once: a header given as a string is checked again on every request. */
    private static final Header HSTS = HeaderValues.createCached("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    private static final Header NO_SNIFF = HeaderValues.createCached("X-Content-Type-Options", "nosniff");

    private final Metrics metrics;

    public RequestObserver(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        res.header(HSTS);
        res.header(NO_SNIFF);
        String path = req.path().path();
        if (UNCOUNTED.contains(path)) {
            chain.proceed();
            return;
        }
        long start = System.nanoTime();
        try {
            chain.proceed();
        } finally {
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            // Unknown paths share one tag value so that scanners cannot blow up metric cardinality.
            String metricPath = METRIC_PATHS.getOrDefault(path, "unknown");
            String method = req.prologue().method().text().toLowerCase(Locale.ROOT);
            int status = res.status().code();
            metrics.request(metricPath, method, status, took);
            if (path.startsWith("/v1/")) {
                LOG.atInfo()
                        .addKeyValue("type", "request.summary")
                        .addKeyValue("path", metricPath.equals("unknown") ? "unknown" : path)
                        .addKeyValue("method", method)
                        .addKeyValue("status", status)
                        .addKeyValue("t", took.toMillis())
                        .log();
            }
        }
    }
}
