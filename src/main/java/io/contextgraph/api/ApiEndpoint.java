package io.contextgraph.api;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One API path with its handlers: adds CORS headers to every answer (any origin may call the API: it has no cookies
 * or sessions), answers HEAD and OPTIONS with 200, and any other method with 405 and an {@code Allow} header.
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
        // Built once: a header given as two strings costs a name lookup and a new value on every response.
        List<Header> cors = List.of(
                HeaderValues.createCached(HeaderNames.create("Access-Control-Allow-Origin"), "*"),
                HeaderValues.createCached(HeaderNames.create("Access-Control-Allow-Methods"), allowed),
                HeaderValues.createCached(HeaderNames.create("Access-Control-Allow-Headers"),
                        "Content-Encoding, Content-Type, X-User"),
                HeaderValues.createCached(HeaderNames.create("Access-Control-Expose-Headers"), "Retry-After"),
                HeaderValues.createCached(HeaderNames.create("Access-Control-Max-Age"), "86400"));
        Header allow = HeaderValues.createCached(HeaderNames.ALLOW, allowed);
        String notAllowed = "method not allowed; use " + allowed;
        handlers.forEach((method, handler) -> rules.route(method, path, withCors(cors, handler)));
        rules.route(Method.HEAD, path, withCors(cors, (req, res) -> res.status(Status.OK_200).send()));
        rules.route(Method.OPTIONS, path, withCors(cors, (req, res) -> {
            res.header(allow);
            res.status(Status.OK_200).send();
        }));
        rules.any(path, withCors(cors, (req, res) -> {
            res.header(allow);
            ApiResponses.error(res, Status.METHOD_NOT_ALLOWED_405, notAllowed);
        }));
    }

    private static Handler withCors(List<Header> cors, Handler handler) {
        return (req, res) -> {
            for (Header header : cors) {
                res.header(header);
            }
            handler.handle(req, res);
        };
    }
}
