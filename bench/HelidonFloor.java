import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP stack's own limit, measured next to nginx and contextgraph by bench/run: Helidon SE (the web role's server,
 * same version, virtual threads) reading each request's body and answering 200 with a small JSON body, and nothing
 * else: no validation, no Redis, no log line, no metrics. Run with the Java source launcher:
 * {@code java -cp target/libs/* bench/HelidonFloor.java <port>}.
 */
public final class HelidonFloor {
    private static final byte[] OK = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);

    public static void main(String[] args) {
        // Without a configuration Logback logs everything at DEBUG to the console (Helidon logs every request then).
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        WebServer server = WebServer.builder()
                .host("127.0.0.1")
                .port(Integer.parseInt(args[0]))
                .addProtocol(Http1Config.builder().validateResponseHeaders(false).build())
                .routing(routing -> routing.any((req, res) -> {
                    try (InputStream body = req.content().inputStream()) {
                        // Read whole, as the web role does (sized by Content-Length), then dropped.
                        long length = req.headers().contentLength().orElse(-1);
                        if (length >= 0) {
                            body.readNBytes((int) length);
                        } else {
                            body.readAllBytes();
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    res.header(HeaderNames.CONTENT_TYPE, "application/json");
                    res.send(OK);
                }))
                .build()
                .start();
        System.out.println("helidon floor listening on " + server.port());
    }

}
