package io.contextgraph.api;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;

/** The JSON bodies of the API: {@code {"status": "success"}} and errors with a human-readable message. */
final class ApiResponses {
    private static final byte[] SUCCESS = "{\"status\":\"success\"}".getBytes(StandardCharsets.UTF_8);
    /** Built and validated once: a header given as a string is checked again on every request. */
    private static final Header JSON_TYPE = HeaderValues.createCached(HeaderNames.CONTENT_TYPE, "application/json");
    private static final Header NO_STORE = HeaderValues.createCached(HeaderNames.CACHE_CONTROL, "no-store");

    private ApiResponses() {
    }

    static void success(ServerResponse res) {
        json(res, Status.OK_200, NO_STORE, SUCCESS);
    }

    static void error(ServerResponse res, Status status, String message) {
        String body = "{\"status\":\"error\",\"message\":\""
                + new String(JsonStringEncoder.getInstance().quoteAsString(message)) + "\"}";
        json(res, status, NO_STORE, body.getBytes(StandardCharsets.UTF_8));
    }

    /** 503 with Retry-After: the client keeps the data and tries again; nothing was accepted. */
    static void unavailable(ServerResponse res, int retryAfterSeconds, String message) {
        res.header(HeaderNames.RETRY_AFTER, Integer.toString(retryAfterSeconds));
        error(res, Status.SERVICE_UNAVAILABLE_503, message);
    }

    /** A JSON body with its {@code Cache-Control}: {@code no-store} for answers about one request, else public. */
    static void json(ServerResponse res, Status status, Header cacheControl, byte[] body) {
        res.status(status);
        res.header(JSON_TYPE);
        res.header(cacheControl);
        res.send(body);
    }
}
