package io.contextgraph.web;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerResponseHeaders;

/** The headers every response carries, routed or refused before routing: HSTS and nosniff. */
final class SecurityHeaders {
    /** Built and validated once: a header given as strings is checked again on every request. */
    private static final Header HSTS =
            HeaderValues.createCached(HeaderNames.STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    private static final Header NOSNIFF = HeaderValues.createCached(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");

    private SecurityHeaders() {
    }

    static void addTo(ServerResponseHeaders headers) {
        headers.set(HSTS);
        headers.set(NOSNIFF);
    }
}
