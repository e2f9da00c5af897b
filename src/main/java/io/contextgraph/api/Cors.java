package io.contextgraph.api;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerResponse;

import java.util.List;

/** CORS headers on every API response: any origin may call the API (it has no cookies or sessions). */
final class Cors {
    /** Built once: a header given as two strings costs a name lookup and a new value on every response. */
    private final List<Header> headers;

    Cors(String methods) {
        this.headers = List.of(
                HeaderValues.createCached(HeaderNames.create("Access-Control-Allow-Origin"), "*"),
                HeaderValues.createCached(HeaderNames.create("Access-Control-Allow-Methods"), methods),
                HeaderValues.createCached(HeaderNames.create("Access-Control-Allow-Headers"),
                        "Content-Encoding, Content-Type, X-User"),
                HeaderValues.createCached(HeaderNames.create("Access-Control-Expose-Headers"), "Retry-After"),
                HeaderValues.createCached(HeaderNames.create("Access-Control-Max-Age"), "86400"));
    }

    void apply(ServerResponse res) {
        for (Header header : headers) {
            res.header(header);
        }
    }
}
