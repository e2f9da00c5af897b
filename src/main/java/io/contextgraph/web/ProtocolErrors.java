package io.contextgraph.web;

import io.helidon.http.DirectHandler;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;

import java.nio.charset.StandardCharsets;

/**
 * Answers what Helidon refuses before routing (malformed requests, oversized headers, too many concurrent requests)
 * like the API does: a small JSON error with the security headers and CORS (so that a browser's script can read why),
 * and Retry-After on 503. Helidon's own message is never echoed, since it may quote request data (header values,
 * paths).
 */
final class ProtocolErrors implements DirectHandler {
    /** Seconds a client should wait after the server was too busy. */
    static final String RETRY_AFTER_SECONDS = "1";
    private static final Header ALLOW_ORIGIN =
            HeaderValues.createCached(HeaderNames.create("Access-Control-Allow-Origin"), "*");
    private static final Header EXPOSE_HEADERS =
            HeaderValues.createCached(HeaderNames.create("Access-Control-Expose-Headers"), "Retry-After");
    /** A refusal is about this one request at this moment: no cache may answer a later request with it. */
    private static final Header NO_STORE = HeaderValues.createCached(HeaderNames.CACHE_CONTROL, "no-store");

    /** Direct handlers for every kind of event. */
    static DirectHandlers all() {
        DirectHandlers.Builder builder = DirectHandlers.builder();
        ProtocolErrors handler = new ProtocolErrors();
        for (EventType type : EventType.values()) {
            builder.addHandler(type, handler);
        }
        return builder.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status,
                                    ServerResponseHeaders headers, String message) {
        // Helidon answers 501 to transfer codings it does not know (e.g. "gzip, chunked"): for this API that is
        // simply a bad request, and a 5xx would page an operator for the client's mistake.
        Status answer = status.code() == Status.NOT_IMPLEMENTED_501.code() ? Status.BAD_REQUEST_400 : status;
        SecurityHeaders.addTo(headers);
        // The request was not understood, so no route's CORS applies: what a browser needs to read this answer.
        headers.set(ALLOW_ORIGIN);
        headers.set(EXPOSE_HEADERS);
        headers.set(HeaderNames.CONTENT_TYPE, "application/json");
        headers.set(NO_STORE);
        if (answer.code() == Status.SERVICE_UNAVAILABLE_503.code()) {
            headers.set(HeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        byte[] body = ("{\"status\":\"error\",\"message\":\""  + describe(answer) + "\"}").getBytes(StandardCharsets.UTF_8);
        return TransportResponse.builder()
                .status(answer)
                .headers(headers)
                .entity(body)
                // After a protocol error the rest of the connection cannot be trusted; a busy server sheds it too.
                .keepAlive(false)
                .build();
    }

    private static String describe(Status status) {
        return switch (status.code()) {
            case 503 -> "too many requests, retry later";
            case 413 -> "request too large";
            case 414 -> "request line too long";
            case 431 -> "request headers too large";
            case 505 -> "HTTP version not supported";
            default -> status.code() >= 500 ? "internal error" : "bad request";
        };
    }
}
