package io.contextgraph.api;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One API path with its handlers: adds CORS headers to every answer, answers HEAD and OPTIONS with
 * 200, and any other method with 405 and an {@code Allow} header.
 */
final class ApiEndpoint {
    private final String path;
    private final Map<Method, Handler> handlers = new LinkedHashMap<>();

    ApiEndpoint(String path) {
        this.path = path;
    }

    ApiEndpoint on(Method method, Handler handler) {
        handlers.put(method, handler);
        return this;
    }

    void register(HttpRules rules) {
        String allowed = Stream.concat(handlers.keySet().stream().map(Method::text), Stream.of("HEAD", "OPTIONS"))
                .collect(Collectors.joining(", "));
        Cors cors = new Cors(allowed);
        handlers.forEach((method, handler) -> rules.route(method, path, (req, res) -> {
            cors.apply(res);
            handler.handle(req, res);
        }));
        rules.route(Method.HEAD, path, (req, res) -> {
            cors.apply(res);
            res.status(Status.OK_200).send();
        });
        rules.route(Method.OPTIONS, path, (req, res) -> {
            cors.apply(res);
            res.header(HeaderNames.ALLOW, allowed);
            res.status(Status.OK_200).send();
        });
        rules.any(path, (req, res) -> {
            cors.apply(res);
            res.header(HeaderNames.ALLOW, allowed);
            ApiResponses.error(res, Status.METHOD_NOT_ALLOWED_405, "method not allowed; use " + allowed);
        });
    }
}
