package io.contextgraph.api;

import io.helidon.webserver.http.ServerResponse;

/** CORS headers on every API response: any origin may call the API (it has no cookies or sessions). */
final class Cors {
    private final String methods;

    Cors(String methods) {
        this.methods = methods;
    }

    void apply(ServerResponse res) {
        res.header("Access-Control-Allow-Origin", "*");
        res.header("Access-Control-Allow-Methods", methods);
        res.header("Access-Control-Allow-Headers", "Content-Encoding, Content-Type, X-User");
        res.header("Access-Control-Expose-Headers", "Retry-After");
        res.header("Access-Control-Max-Age", "86400");
    }
}
