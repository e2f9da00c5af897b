package io.contextgraph.api;

import io.contextgraph.document.UploadDocument;
import io.contextgraph.queue.ingest.TaskQueue;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The public API under {@code /v1/}. */
public final class ApiRoutes {
    /** SPEC: 10 MiB, before and after gzip decoding. */
    public static final int MAX_BODY_BYTES = UploadDocument.MAX_BYTES;
    static final Duration STATS_CACHE = Duration.ofSeconds(10);
    private static final Header JWK_CACHE = HeaderValues.createCached(HeaderNames.CACHE_CONTROL, "public, max-age=3600");

    private final TaskQueue queue;
    private final UploadFormat format;
    private final Optional<byte[]> jwk;
    private final Supplier<Map<String, Long>> stats;
    private final InflightBudget budget;

    /**
     * @param jwk the public key as JWK JSON, or empty when the service runs without encryption
     * @param budget the bytes all request bodies together may hold in memory
     */
    public ApiRoutes(TaskQueue queue, UploadFormat format, Optional<String> jwk, Supplier<Map<String, Long>> stats,
                     InflightBudget budget) {
        this.queue = queue;
        this.format = format;
        this.jwk = jwk.map(text -> text.getBytes(StandardCharsets.UTF_8));
        this.stats = stats;
        this.budget = budget;
    }

    public void register(HttpRules rules) {
        TaskHandlers tasks = new TaskHandlers(new BodyReader(MAX_BODY_BYTES, budget), format, queue);
        new ApiEndpoint("/v1/upload").on(Method.POST, tasks::upload).on(Method.PUT, tasks::upload).register(rules);
        new ApiEndpoint("/v1/delete").on(Method.POST, tasks::delete).on(Method.PUT, tasks::delete).register(rules);
        new ApiEndpoint("/v1/jwk").on(Method.GET, (req, res) -> {
            if (jwk.isEmpty()) {
                ApiResponses.error(res, Status.NOT_FOUND_404, "this service does not use encryption");
            } else {
                ApiResponses.json(res, Status.OK_200, JWK_CACHE, jwk.get());
            }
        }).register(rules);
        new ApiEndpoint("/v1/stats").on(Method.GET, new StatsHandler(stats, STATS_CACHE, Clock.systemUTC())).register(rules);
    }
}
