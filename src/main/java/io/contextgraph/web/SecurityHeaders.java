package io.contextgraph.web;

import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerResponseHeaders;

/** The headers every response carries, routed or refused before routing: HSTS and nosniff. */
final class SecurityHeaders {
    static final HeaderName HSTS = HeaderNames.STRICT_TRANSPORT_SECURITY;
    static final String HSTS_VALUE = "max-age=31536000; includeSubDomains";
    static final HeaderName NOSNIFF = HeaderNames.X_CONTENT_TYPE_OPTIONS;

    private SecurityHeaders() {
    }

    /** Built and validated once: a header given as strings is checked again on every request. */
    private static final Header HSTS_HEADER = HeaderValues.createCached(HSTS, HSTS_VALUE);
    private static final Header NOSNIFF_HEADER = HeaderValues.createCached(NOSNIFF, "nosniff");

    static void addTo(ServerResponseHeaders headers) {
        headers.set(HSTS_HEADER);
        headers.set(NOSNIFF_HEADER);
    }
}
