package io.contextgraph.web;

import io.contextgraph.config.Settings;
import io.contextgraph.observability.ErrorReporter;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/** The web role's HTTP listener (Helidon SE, one virtual thread per request) with its protective limits. */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);
    private static final byte[] NOT_FOUND = "{\"status\":\"error\",\"message\":\"not found\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] INTERNAL_ERROR =
            "{\"status\":\"error\",\"message\":\"internal error\"}".getBytes(StandardCharsets.UTF_8);

    private final WebServer server;
    private final SlowClientGuard slowClients;

    /**
     * @param routes each registers its own paths; a JSON 404 answers everything else
     */
    public HttpServer(Settings.Web settings, RequestObserver observer, ErrorReporter errors,
                      List<Consumer<HttpRouting.Builder>> routes) {
        this.slowClients = new SlowClientGuard(settings.readTimeout());
        HttpRouting.Builder routing = HttpRouting.builder();
        routing.addFilter(observer);
        routes.forEach(route -> route.accept(routing));
        routing.error(RuntimeException.class, (req, res, e) -> {
            LOG.atError().addKeyValue("type", "web.unexpected_error").setCause(e).log("request failed unexpectedly");
            errors.report(e, "web request failed");
            if (!res.isSent()) {
                json(res, Status.INTERNAL_SERVER_ERROR_500, INTERNAL_ERROR);
            }
        });
        routing.any((req, res) -> json(res, Status.NOT_FOUND_404, NOT_FOUND));
        this.server = WebServer.builder()
                .host("0.0.0.0")
                .port(settings.port())
                // SIGTERM is handled by the role, which stops this server after draining.
                .shutdownHook(false)
                // Past the limit Helidon answers 503 at once; ProtocolErrors makes it JSON with Retry-After.
                .maxConcurrentRequests(settings.maxConcurrentRequests())
                .directHandlers(ProtocolErrors.all())
                .shutdownGracePeriod(settings.shutdownGrace())
                // Request bodies are limited by the API while streaming (with a JSON 413 and CORS), not here.
                .maxPayloadSize(-1)
                // The raw body is handed to the API untouched: it decodes gzip itself, with a size limit.
                .contentEncoding(new RawBodies())
                .connectionConfig(conn -> conn.readTimeout(settings.readTimeout()))
                // Helidon applies no read timeout to server sockets: a connection waiting for (or dripping) a request
                // line is closed by its idle check, which by default runs only every 2 minutes. Twice the read timeout,
                // so that the proxy in front (keepalive_timeout below that) closes idle keep-alive connections first.
                .idleConnectionTimeout(settings.readTimeout().multipliedBy(2))
                .idleConnectionPeriod(SlowClientGuard.checkPeriod(settings.readTimeout()))
                .addProtocol(Http1Config.builder()
                        // Every response header is a constant of ours (no request data is echoed into one), so
                        // re-validating them on every response only costs CPU. Request headers stay validated.
                        .validateResponseHeaders(false)
                        .maxHeadersSize(settings.maxHeaderBytes())
                        .maxPrologueLength(4096)
                        .addReceiveListener(slowClients.receiving())
                        .addSendListener(slowClients.sending())
                        .build())
                .routing(routing)
                .build();
    }

    public HttpServer start() {
        server.start();
        LOG.atInfo().addKeyValue("type", "web.started").addKeyValue("port", server.port()).log("listening");
        return this;
    }

    public int port() {
        return server.port();
    }

    public boolean running() {
        return server.isRunning();
    }

    /** Stops accepting connections and waits for in-flight requests (up to the grace period). */
    @Override
    public void close() {
        server.stop();
        slowClients.close();
    }

    private static void json(ServerResponse res, Status status, byte[] body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(body);
    }
}
