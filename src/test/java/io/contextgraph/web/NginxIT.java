package io.contextgraph.web;

import com.sun.net.httpserver.HttpServer;
import io.contextgraph.testing.FreePorts;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RawHttp;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The committed {@code deploy/nginx/contextgraph.conf}, run by the real nginx in front of a real web role: only its
 * ports and upstream address are changed (to free loopback ports), everything else is the file as deployed.
 */
class NginxIT {
    private static final Path CONFIG = Path.of(System.getProperty("cg.basedir", "."), "deploy", "nginx",
            "contextgraph.conf");
    private static final int TEN_MIB = 10 * 1024 * 1024;

    @TempDir
    static Path work;

    private static RedisServer redis;
    private static RoleProcess web;
    private static Nginx nginx;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisServer();
        web = RoleProcess.builder("web").name("nginx-web").redis(redis.port()).start().awaitHttp(Duration.ofSeconds(60));
        nginx = Nginx.start(work.resolve("web"), web.port());
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
        if (web != null) {
            web.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void heartbeatsAnswerThroughBothListeners() {
        assertThat(Http.status(nginx.http("/__lbheartbeat__"))).isEqualTo(200);
        assertThat(Http.status(nginx.https("/__heartbeat__"))).isEqualTo(200);
        assertThat(Http.get(nginx.http("/__version__")).body()).contains("\"version\"");
    }

    @Test
    void uploadThroughNginxReachesTheQueueWithTheServiceHeaders() {
        String before = redis.cli("XLEN", "cg:tasks");
        HttpResponse<String> res = Http.post(nginx.https("/v1/upload"), Uploads.newUser(), Uploads.sessions(2),
                "Content-Type", "application/json", "Origin", "https://example.org");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(Long.parseLong(redis.cli("XLEN", "cg:tasks"))).isEqualTo(Long.parseLong(before) + 1);
        assertThat(res.headers().firstValue("Access-Control-Allow-Origin")).isPresent();
        assertThat(res.headers().firstValue("Strict-Transport-Security")).hasValueSatisfying(
                hsts -> assertThat(hsts).contains("max-age="));
        assertThat(res.headers().firstValue("Server")).hasValue("nginx");
    }

    @Test
    void bodyOfExactlyTenMebibytesPassesAndOneByteMoreIsRefusedByNginx() throws Exception {
        // Exactly the limit reaches the web role (which then judges the document itself: not JSON, 400).
        HttpResponse<String> atLimit = Http.post(nginx.http("/v1/upload"), Uploads.newUser(), new byte[TEN_MIB],
                "Content-Type", "application/json");
        assertThat(atLimit.statusCode()).isEqualTo(400);
        String queued = redis.cli("XLEN", "cg:tasks");
        HttpResponse<String> over = Http.post(nginx.http("/v1/upload"), Uploads.newUser(), new byte[TEN_MIB + 1],
                "Content-Type", "application/json", "Content-Encoding", "gzip");
        assertNginxError(over, 413, "larger than");
        assertThat(over.headers().firstValue("Access-Control-Allow-Methods")).hasValue("POST, PUT, HEAD, OPTIONS");
        assertThat(redis.cli("XLEN", "cg:tasks")).isEqualTo(queued);
    }

    @Test
    void aClientThatWritesItsWholeOversizedBodyBeforeReadingReadsNginxs413() throws Exception {
        byte[] body = new byte[TEN_MIB + 1024 * 1024];
        try (Socket socket = new Socket("127.0.0.1", nginx.httpPort)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/upload HTTP/1.1\r\nHost: x\r\nX-User: " + Uploads.newUser()
                    + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 413").containsIgnoringCase("Access-Control-Allow-Origin: *")
                    .containsIgnoringCase("Content-Type: application/json")
                    .endsWith("{\"status\":\"error\",\"message\":\"body larger than 10485760 bytes\"}");
        }
    }

    @Test
    void anUnreachableWebRoleIsAJson502WithCorsAndRetryAfter(@TempDir Path deadWork) throws Exception {
        try (Nginx front = Nginx.start(deadWork, FreePorts.next())) {
            HttpResponse<String> res = Http.post(front.http("/v1/upload"), Uploads.newUser(), Uploads.sessions(1));
            assertNginxError(res, 502, "retry later");
            assertThat(res.headers().firstValue("Retry-After")).hasValue("5");
            HttpResponse<String> stats = Http.get(front.http("/v1/stats"));
            assertNginxError(stats, 502, "retry later");
            assertThat(stats.headers().firstValue("Access-Control-Allow-Methods")).hasValue("GET, HEAD, OPTIONS");
            // Operator paths are not under CORS.
            HttpResponse<String> heartbeat = Http.get(front.http("/__heartbeat__"));
            assertThat(heartbeat.statusCode()).isEqualTo(502);
            assertThat(heartbeat.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        }
    }

    @Test
    void aWebRoleThatDoesNotAnswerIsAJson504WithCorsAndRetryAfter(@TempDir Path slowWork) throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Nginx front = Nginx.start(slowWork, silent.getLocalPort(), "proxy_read_timeout 30s;", "proxy_read_timeout 1s;")) {
            // Accepted by the kernel's backlog and never answered: nginx's read timeout is the only way out.
            HttpResponse<String> res = Http.post(front.http("/v1/upload"), Uploads.newUser(), Uploads.sessions(1));
            assertNginxError(res, 504, "retry later");
            assertThat(res.headers().firstValue("Retry-After")).hasValue("5");
        }
    }

    /**
     * deploy.md: nginx's default access log records the request line, never the X-User token nor the URLs of a body.
     * The committed server block adds no log format of its own, so this is nginx's {@code combined} format.
     */
    @Test
    void theAccessLogHasThePathsButNeverTheTokenNorTheUploadedUrls(@TempDir Path logWork) throws Exception {
        String user = "tok" + Uploads.newUser();
        String marker = "url" + Uploads.newUser();
        try (Nginx front = Nginx.startLogging(logWork, web.port())) {
            assertThat(Http.post(front.https("/v1/upload"), user, Uploads.withMarker(marker),
                    "Content-Type", "application/json").statusCode()).isEqualTo(200);
            assertThat(Http.post(front.http("/v1/upload"), user, ("{\"sessions\":[{\"url\":\"" + marker)
                    .getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json").statusCode()).isEqualTo(400);
            assertThat(Http.post(front.http("/v1/delete"), user, new byte[0]).statusCode()).isEqualTo(200);
            Path log = logWork.resolve("access.log");
            // nginx writes a request's line when it finishes the request, which may be just after the client has the answer.
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log)
                    && Files.readString(log).contains("\"POST /v1/delete HTTP/1.1\" 200"));
            String lines = Files.readString(log);
            assertThat(lines).contains("\"POST /v1/upload HTTP/1.1\" 200", "\"POST /v1/upload HTTP/1.1\" 400")
                    .doesNotContain(user).doesNotContain(marker);
        }
    }

    /**
     * deploy.md: {@code proxy_next_upstream off}, so an upload is never sent twice. With a second (backup) upstream, a
     * first one that reads the whole upload and then drops the connection without an answer leaves the client with
     * nginx's 502, and the second never sees the upload.
     */
    @Test
    void anUploadTheFirstUpstreamDropsIsNotResentToAnother(@TempDir Path twoWork) throws Exception {
        String user = Uploads.newUser();
        try (Dropper first = new Dropper(); Recorder second = new Recorder();
             Nginx front = Nginx.start(twoWork, first.port(), "server 127.0.0.1:" + first.port() + ";",
                     "server 127.0.0.1:" + first.port() + "; server 127.0.0.1:" + second.port() + " backup;")) {
            HttpResponse<String> res = Http.post(front.http("/v1/upload"), user, Uploads.sessions(1),
                    "Content-Type", "application/json");

            assertNginxError(res, 502, "retry later");
            assertThat(first.users()).as("the first upstream read the upload").containsExactly(user);
            assertThat(second.arrivals()).as("nothing was passed to the second upstream").isEmpty();
        }
    }

    /**
     * deploy.md: {@code proxy_request_buffering on}, the whole body is received before the request goes upstream
     * (over 1 MiB spooled to a temporary file). An upload of which 2 of 3 MiB have arrived is in nginx's temporary
     * file (nginx warns that it buffers it there) and not at the upstream; once the rest arrives, the upstream gets it
     * whole.
     */
    @Test
    void anUploadReachesTheUpstreamOnlyOnceItsWholeBodyHasArrived(@TempDir Path bufferWork) throws Exception {
        byte[] body = new byte[3 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) 'x');
        int part = 2 * 1024 * 1024;
        try (Recorder upstream = new Recorder(); Nginx front = Nginx.start(bufferWork, upstream.port());
             Socket socket = new Socket("127.0.0.1", front.httpPort)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/upload HTTP/1.1\r\nHost: x\r\nX-User: " + Uploads.newUser()
                    + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, part);
            out.flush();
            Path errors = bufferWork.resolve("error.log");
            await().atMost(Duration.ofSeconds(20)).until(() -> !upstream.arrivals().isEmpty()
                    || Files.readString(errors).contains("a client request body is buffered to a temporary file"));
            assertThat(upstream.arrivals()).as("while the upload's body is incomplete").isEmpty();

            out.write(body, part, body.length - part);
            out.flush();
            assertThat(RawHttp.readHead(socket.getInputStream()).status()).isEqualTo(200);
            assertThat(upstream.arrivals()).containsExactly("POST /v1/upload");
            assertThat(upstream.bodies()).containsExactly("POST /v1/upload " + body.length);
        }
    }

    /** An upstream that reads each request whole, then closes the connection without answering. */
    private static final class Dropper implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<String> users = new java.util.concurrent.CopyOnWriteArrayList<>();

        Dropper() throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try (Socket client = server.accept()) {
                        RawHttp.Head head = readRequestHead(client.getInputStream());
                        client.getInputStream().readNBytes(Integer.parseInt(head.header("content-length")));
                        users.add(head.header("x-user"));
                    } catch (IOException | RuntimeException e) {
                        // closed with the test, or a request without a body: dropped all the same
                    }
                }
            });
        }

        /** The head of a request, read as RawHttp reads an answer's (the request line stands for the status line). */
        private static RawHttp.Head readRequestHead(java.io.InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed in the head");
                }
                head.append((char) b);
            }
            return RawHttp.readHead(new java.io.ByteArrayInputStream(
                    ("HTTP/1.1 000 request\r\n" + head.substring(head.indexOf("\r\n") + 2))
                            .getBytes(StandardCharsets.ISO_8859_1)));
        }

        int port() {
            return server.getLocalPort();
        }

        List<String> users() {
            return List.copyOf(users);
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /**
     * An upstream that answers 200 and notes each request when its head is in and again once its body is read; one
     * thread per request, so a request whose body has not ended cannot hold up the others.
     */
    private static final class Recorder implements AutoCloseable {
        private final HttpServer server;
        private final List<String> arrivals = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final List<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();

        Recorder() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", exchange -> {
                try (exchange) {
                    String request = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
                    arrivals.add(request);
                    bodies.add(request + " " + exchange.getRequestBody().readAllBytes().length);
                    byte[] answer = "{\"status\":\"success\"}".getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().add("Content-Type", "application/json");
                    exchange.sendResponseHeaders(200, answer.length);
                    exchange.getResponseBody().write(answer);
                }
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        /** "METHOD path" of each request, noted as soon as its head is in. */
        List<String> arrivals() {
            return List.copyOf(arrivals);
        }

        /** "METHOD path bytes" of each request, noted once its body is read. */
        List<String> bodies() {
            return List.copyOf(bodies);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static void assertNginxError(HttpResponse<String> res, int status, String messagePart) throws IOException {
        assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
        assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(res.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(res.headers().firstValue("Access-Control-Allow-Headers")).hasValue("Content-Encoding, Content-Type, X-User");
        assertThat(res.headers().firstValue("Access-Control-Expose-Headers")).hasValue("Retry-After");
        JsonNode body = new ObjectMapper().readTree(res.body());
        assertThat(body.path("status").asText()).isEqualTo("error");
        assertThat(body.path("message").asText()).contains(messagePart);
    }

    @Test
    void forwardedHeadersHostAndUpstreamKeepaliveReachTheUpstream(@TempDir Path echoWork) throws Exception {
        try (HeaderEcho echo = new HeaderEcho(); Nginx front = Nginx.start(echoWork, echo.port())) {
            Http.send(HttpRequest.newBuilder(front.https("/v1/upload")).header("X-Forwarded-Proto", "https")
                    .header("X-Forwarded-For", "203.0.113.7").POST(HttpRequest.BodyPublishers.ofString("{}")));
            Map<String, String> fromElb = echo.last();
            assertThat(fromElb.get("x-forwarded-proto")).isEqualTo("https");
            assertThat(fromElb.get("x-forwarded-for")).isEqualTo("203.0.113.7, 127.0.0.1");
            assertThat(fromElb.get("host")).isEqualTo("127.0.0.1");
            assertThat(fromElb.get("connection")).as("keepalive to the upstream").isNull();

            Http.get(front.http("/__lbheartbeat__"));
            Map<String, String> direct = echo.last();
            assertThat(direct.get("x-forwarded-proto")).isEqualTo("http");
            assertThat(direct.get("x-forwarded-for")).isEqualTo("127.0.0.1");
        }
    }

    /** An upstream that answers 200 and remembers the request headers of the last request. */
    private static final class HeaderEcho implements AutoCloseable {
        private final HttpServer server;
        private final Map<String, String> last = new ConcurrentHashMap<>();

        HeaderEcho() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                try (exchange) {
                    exchange.getRequestBody().readAllBytes();
                    synchronized (last) {
                        last.clear();
                        exchange.getRequestHeaders().forEach((name, values) ->
                                last.put(name.toLowerCase(java.util.Locale.ROOT), String.join(",", values)));
                    }
                    exchange.sendResponseHeaders(200, -1);
                }
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        Map<String, String> last() {
            synchronized (last) {
                return Map.copyOf(last);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** The real nginx, in the foreground, with the committed server block templated onto free loopback ports. */
    private static final class Nginx implements AutoCloseable {
        private final Process process;
        private final int httpPort;
        private final int httpsPort;
        private final Path directory;

        private Nginx(Process process, int httpPort, int httpsPort, Path directory) {
            this.process = process;
            this.httpPort = httpPort;
            this.httpsPort = httpsPort;
            this.directory = directory;
        }

        /** {@code edits}: pairs of a text of the committed file and what replaces it for one test. */
        static Nginx start(Path directory, int upstreamPort, String... edits) throws IOException, InterruptedException {
            return launch(directory, upstreamPort, "off", edits);
        }

        /** As {@link #start}, with nginx's default access log (format {@code combined}) on in {@code access.log}. */
        static Nginx startLogging(Path directory, int upstreamPort, String... edits)
                throws IOException, InterruptedException {
            return launch(directory, upstreamPort, directory.toAbsolutePath().resolve("access.log").toString(), edits);
        }

        private static Nginx launch(Path directory, int upstreamPort, String accessLog, String... edits)
                throws IOException, InterruptedException {
            Files.createDirectories(directory);
            int httpPort = FreePorts.next();
            int httpsPort = FreePorts.next();
            String committed = Files.readString(CONFIG, StandardCharsets.UTF_8);
            String server = replaceOnce(replaceOnce(replaceOnce(committed,
                    "listen 80;", "listen 127.0.0.1:" + httpPort + ";"),
                    "listen 443;", "listen 127.0.0.1:" + httpsPort + ";"),
                    "server 127.0.0.1:8000;", "server 127.0.0.1:" + upstreamPort + ";");
            for (int i = 0; i < edits.length; i += 2) {
                server = replaceOnce(server, edits[i], edits[i + 1]);
            }
            Files.writeString(directory.resolve("contextgraph.conf"), server);
            // "user root": as root, workers would otherwise run as nobody and could not write the temporary
            // body files into this private folder; without root privileges nginx ignores the directive.
            String main = """
                    daemon off;
                    user root;
                    worker_processes 1;
                    pid %1$s/nginx.pid;
                    error_log %1$s/error.log warn;
                    events { worker_connections 64; }
                    http {
                        access_log %2$s;
                        client_body_temp_path %1$s/body;
                        proxy_temp_path %1$s/proxy;
                        fastcgi_temp_path %1$s/fastcgi;
                        uwsgi_temp_path %1$s/uwsgi;
                        scgi_temp_path %1$s/scgi;
                        include %1$s/contextgraph.conf;
                    }
                    """.formatted(directory.toAbsolutePath(), accessLog);
            Path conf = directory.resolve("nginx.conf");
            Files.writeString(conf, main);
            Process process = new ProcessBuilder(nginxBinary(), "-e", directory.resolve("error.log").toString(),
                    "-p", directory.toString(), "-c", conf.toString())
                    .redirectErrorStream(true).redirectOutput(directory.resolve("nginx.out").toFile()).start();
            Nginx nginx = new Nginx(process, httpPort, httpsPort, directory);
            nginx.awaitListening();
            return nginx;
        }

        private static String replaceOnce(String text, String from, String to) {
            int at = text.indexOf(from);
            assertThat(at).as("deploy/nginx/contextgraph.conf contains \"" + from + "\"").isNotNegative();
            assertThat(text.indexOf(from, at + 1)).as("\"" + from + "\" appears once").isNegative();
            return text.replace(from, to);
        }

        private static String nginxBinary() {
            for (String candidate : List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx")) {
                if (Files.isExecutable(Path.of(candidate))) {
                    return candidate;
                }
            }
            return "nginx";
        }

        private void awaitListening() throws InterruptedException, IOException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!listening(httpPort) || !listening(httpsPort)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    close();
                    throw new IllegalStateException("nginx did not start: " + log());
                }
                Thread.sleep(50);
            }
        }

        private String log() throws IOException {
            Path errors = directory.resolve("error.log");
            return Files.readString(directory.resolve("nginx.out"))
                    + (Files.exists(errors) ? Files.readString(errors) : "");
        }

        private static boolean listening(int port) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        URI http(String path) {
            return URI.create("http://127.0.0.1:" + httpPort + path);
        }

        URI https(String path) {
            // Plain HTTP on the port the ELB's HTTPS listener forwards to.
            return URI.create("http://127.0.0.1:" + httpsPort + path);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy(); // SIGTERM: nginx's fast shutdown
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
