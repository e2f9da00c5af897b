package io.contextgraph.web;

import io.contextgraph.observability.Metrics;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private final Metrics metrics;

    public RequestObserver(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        SecurityHeaders.addTo(res.headers());
        String path = req.path().path();
        if (UNCOUNTED.contains(path)) {
            chain.proceed();
            return;
        }
        long start = System.nanoTime();
        try {
            chain.proceed();
        } finally {
            record(path, req.prologue().method().text(), res.status().code(), System.nanoTime() - start);
        }
    }

    /**
     * Counts and times one finished request and logs its {@code request.summary} line (paths under {@code /v1/}).
     * Public so that bench/ObservabilityCost measures exactly what every request costs.
     */
    public void record(String path, String methodText, int status, long nanos) {
        // Unknown paths share one tag value so that scanners cannot blow up metric cardinality.
        String metricPath = METRIC_PATHS.getOrDefault(path, "unknown");
        String method = lowerCase(methodText);
        metrics.request(metricPath, method, status, nanos);
        if (path.startsWith("/v1/")) {
            LOG.atInfo()
                    .addKeyValue("type", "request.summary")
                    .addKeyValue("path", metricPath.equals("unknown") ? "unknown" : path)
                    .addKeyValue("method", method)
                    .addKeyValue("status", status)
                    .addKeyValue("t", nanos / 1_000_000)
                    .log();
        }
    }

    // The usual methods without a new string per request.
    private static String lowerCase(String method) {
        return switch (method) {
            case "GET" -> "get";
            case "POST" -> "post";
            case "PUT" -> "put";
            case "DELETE" -> "delete";
            case "HEAD" -> "head";
            case "OPTIONS" -> "options";
            default -> method.toLowerCase(Locale.ROOT);
        };
    }
}
