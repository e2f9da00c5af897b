package io.contextgraph.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * A Sentry server for tests: a real loopback HTTP server that accepts what the SDK POSTs to
 * {@code /api/<project>/envelope/} (and the older {@code /store/}), un-gzips it and keeps the raw bodies.
 */
public final class SentrySink implements AutoCloseable {

    private static final Pattern INGEST_PATH = Pattern.compile("/api/\\d+/(envelope|store)/?");

    private final HttpServer server;
    private final List<String> bodies = new ArrayList<>();

    public SentrySink() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/api/", this::handle);
        server.start();
    }

    /** A DSN pointing the SDK at this server, project 1. */
    public String dsn() {
        return "http://publickey@127.0.0.1:" + server.getAddress().getPort() + "/1";
    }

    /** A copy of every body received so far (envelopes as their newline-separated JSON text). */
    public List<String> bodies() {
        synchronized (bodies) {
            return List.copyOf(bodies);
        }
    }

    /** Waits up to {@code timeout} for a body matching {@code match}; empty if none came. */
    public Optional<String> awaitEnvelope(Predicate<String> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (bodies) {
            while (true) {
                Optional<String> found = bodies.stream().filter(match).findFirst();
                long left = deadline - System.nanoTime();
                if (found.isPresent() || left <= 0) {
                    return found;
                }
                try {
                    bodies.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Optional.empty();
                }
            }
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())
                    || !INGEST_PATH.matcher(exchange.getRequestURI().getPath()).matches()) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String body = new String(read(exchange), StandardCharsets.UTF_8);
            synchronized (bodies) {
                bodies.add(body);
                bodies.notifyAll();
            }
            byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
        }
    }

    private static byte[] read(HttpExchange exchange) throws IOException {
        boolean gzip = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
        try (InputStream in = gzip ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
            return in.readAllBytes();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
