package io.contextgraph.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The HTTP API of a real web process: every accepted and refused request, and what reaches the queue. */
class UploadApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LIMIT = 10 * 1024 * 1024;
    private static RedisServer redis;
    private static RoleProcess web;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisServer();
        web = RoleProcess.builder("web").name("api-web").redis(redis.port()).start().awaitHttp(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        if (web != null) {
            web.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** Tasks on the queue: uploads and deletes (deletes have a stream of their own). */
    private static long queued() {
        return Long.parseLong(redis.cli("XLEN", "cg:tasks").strip())
                + Long.parseLong(redis.cli("XLEN", "cg:deletes").strip());
    }

    private static HttpResponse<String> upload(String user, byte[] body, String... headers) {
        return Http.post(web.uri("/v1/upload"), user, body, headers);
    }

    /** A refused request answers with a JSON message and leaves the queue exactly as it was. */
    private static void assertRefused(HttpResponse<String> res, int status, String messagePart) throws IOException {
        assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
        assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(res.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        JsonNode body = JSON.readTree(res.body());
        assertThat(body.path("status").asText()).isEqualTo("error");
        assertThat(body.path("message").asText()).contains(messagePart);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(data);
        }
        return out.toByteArray();
    }

    @Test
    void anAcceptedUploadIsOnTheQueueWhenTheAnswerComes() throws Exception {
        long before = queued();
        String user = Uploads.newUser();
        HttpResponse<String> res = upload(user, Uploads.sessions(10), "Content-Type", "application/json");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(res.body())).isEqualTo(JSON.readTree("{\"status\": \"success\"}"));
        assertThat(res.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(queued()).isEqualTo(before + 1);
        String last = redis.cli("XREVRANGE", "cg:tasks", "+", "-", "COUNT", "1");
        assertThat(last).contains("upload", user, "mozilla.org/en-US/firefox/page9");
    }

    @Test
    void putIsAcceptedLikePost() {
        long before = queued();
        HttpResponse<String> res = Http.send(HttpRequest.newBuilder(web.uri("/v1/upload")).header("X-User", Uploads.newUser())
                .PUT(HttpRequest.BodyPublishers.ofByteArray(Uploads.sessions(1))));
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(queued()).isEqualTo(before + 1);
    }

    @Test
    void gzipBodiesAreDecodedBeforeQueueing() throws Exception {
        String user = Uploads.newUser();
        assertThat(upload(user, gzip(Uploads.sessions(2)), "Content-Encoding", "gzip").statusCode()).isEqualTo(200);
        assertThat(redis.cli("XREVRANGE", "cg:tasks", "+", "-", "COUNT", "1")).contains("\"sessions\"", user);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ab", "0123456789012345678901234567890123456", "has space", "slash/token", "dot,comma",
            "ümlaut", "semi;colon", "quote\"d", "percent%20"})
    void invalidUserTokensAreRefused(String token) throws Exception {
        long before = queued();
        HttpRequest.Builder request = HttpRequest.newBuilder(web.uri("/v1/upload"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(Uploads.sessions(1)));
        try {
            request.header("X-User", token);
        } catch (IllegalArgumentException notSendableByThisClient) {
            return;
        }
        assertRefused(Http.send(request), 400, "X-User");
        assertThat(queued()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "0123456789abcdef0123456789abcdef0123", "a6c6fc92-6dbd-465f-b200-905cb1abe5c1",
            "!()*-._~", "..."})
    void validUserTokensAreAccepted(String token) {
        assertThat(upload(token, Uploads.sessions(1)).statusCode()).isEqualTo(200);
    }

    @Test
    void missingUserIsRefused() throws Exception {
        long before = queued();
        assertRefused(upload(null, Uploads.sessions(1)), 400, "missing X-User");
        assertThat(queued()).isEqualTo(before);
    }

    @Test
    void repeatedUserHeadersAreRefused() throws Exception {
        HttpResponse<String> res = Http.send(HttpRequest.newBuilder(web.uri("/v1/upload"))
                .header("X-User", Uploads.newUser()).header("X-User", Uploads.newUser())
                .POST(HttpRequest.BodyPublishers.ofByteArray(Uploads.sessions(1))));
        assertRefused(res, 400, "X-User");
    }

    @Test
    void emptyBodiesAreRefused() throws Exception {
        long before = queued();
        assertRefused(upload(Uploads.newUser(), new byte[0]), 400, "empty body");
        assertRefused(upload(Uploads.newUser(), gzip(new byte[0]), "Content-Encoding", "gzip"), 400, "empty body");
        assertThat(queued()).isEqualTo(before);
    }

    @Test
    void bodiesOverTheLimitAreRefused() throws Exception {
        long before = queued();
        byte[] big = new byte[LIMIT + 1];
        Arrays.fill(big, (byte) ' ');
        big[0] = '{';
        big[LIMIT] = '}';
        assertRefused(upload(Uploads.newUser(), big), 413, "larger than");
        assertThat(queued()).isEqualTo(before);
    }

    @Test
    void aBodyOfExactlyTheLimitIsAccepted() {
        byte[] body = new byte[LIMIT];
        Arrays.fill(body, (byte) ' ');
        byte[] doc = Uploads.sessions(1);
        System.arraycopy(doc, 0, body, 0, doc.length);
        assertThat(upload(Uploads.newUser(), body).statusCode()).isEqualTo(200);
    }

    @Test
    void chunkedBodiesOverTheLimitAreRefusedWhileReading() throws Exception {
        long before = queued();
        HttpRequest.BodyPublisher endless = HttpRequest.BodyPublishers.ofInputStream(() -> new InputStream() {
            private long sent;

            @Override
            public int read() {
                return sent++ < 3L * LIMIT ? ' ' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (sent >= 3L * LIMIT) {
                    return -1;
                }
                Arrays.fill(b, off, off + len, (byte) ' ');
                sent += len;
                return len;
            }
        });
        HttpResponse<String> res;
        try {
            res = Http.send(HttpRequest.newBuilder(web.uri("/v1/upload")).header("X-User", Uploads.newUser()).POST(endless));
        } catch (RuntimeException closedWhileSending) {
            // The server may close the connection as soon as it has answered: also a refusal.
            assertThat(queued()).isEqualTo(before);
            return;
        }
        assertRefused(res, 413, "larger than");
        assertThat(queued()).isEqualTo(before);
    }

    @Test
    void gzipBombsAreRefusedAfterTheLimit() throws Exception {
        long before = queued();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++) { // 1 GiB of zeros in about 1 MiB
                gzip.write(zeros);
            }
        }
        assertThat(out.size()).isLessThan(LIMIT);
        assertRefused(upload(Uploads.newUser(), out.toByteArray(), "Content-Encoding", "gzip"), 413, "after gzip decoding");
        assertThat(queued()).isEqualTo(before);
        assertThat(Http.status(web.uri("/__lbheartbeat__"))).isEqualTo(200);
    }

    @Test
    void brokenGzipIsRefused() throws Exception {
        byte[] valid = gzip(Uploads.sessions(1));
        byte[] truncated = Arrays.copyOf(valid, valid.length / 2);
        assertRefused(upload(Uploads.newUser(), truncated, "Content-Encoding", "gzip"), 400, "broken gzip");
        assertRefused(upload(Uploads.newUser(), Uploads.sessions(1), "Content-Encoding", "gzip"), 400, "broken gzip");
    }

    @ParameterizedTest
    @ValueSource(strings = {"br", "gzip, br", "gzip;q=1", "deflate", "x-unknown-coding", "gzip, gzip", "compress"})
    void otherContentEncodingsAreRefusedWithTheApisAnswer(String coding) throws Exception {
        long before = queued();
        assertRefused(upload(Uploads.newUser(), gzip(Uploads.sessions(1)), "Content-Encoding", coding), 415, "gzip");
        assertThat(queued()).isEqualTo(before);
    }

    @Test
    void gzipInAnySpellingAndEmptyOrIdentityCodingsAreAccepted() throws Exception {
        long before = queued();
        for (String coding : new String[] {"GZIP", "Gzip", "x-gzip", "gzip, identity"}) {
            assertThat(upload(Uploads.newUser(), gzip(Uploads.sessions(1)), "Content-Encoding", coding).statusCode())
                    .as(coding).isEqualTo(200);
        }
        for (String coding : new String[] {"identity", "IDENTITY"}) {
            assertThat(upload(Uploads.newUser(), Uploads.sessions(1), "Content-Encoding", coding).statusCode())
                    .as(coding).isEqualTo(200);
        }
        // An empty Content-Encoding (the JDK client refuses to send one, so over a socket): no coding.
        assertThat(rawExchange("POST /v1/upload HTTP/1.1\r\nHost: x\r\nX-User: " + Uploads.newUser()
                + "\r\nContent-Encoding: \r\nContent-Length: " + Uploads.sessions(1).length + "\r\nConnection: close\r\n\r\n",
                Uploads.sessions(1))).startsWith("HTTP/1.1 200");
        assertThat(queued()).isEqualTo(before + 7);
    }

    @Test
    void aClientThatWritesItsWholeOversizedBodyBeforeReadingReadsThe413() throws Exception {
        // Like Python's urllib: the whole body goes out first, the answer is read afterwards.
        byte[] body = new byte[LIMIT + 1024 * 1024];
        Arrays.fill(body, (byte) ' ');
        String declared = rawExchange("POST /v1/upload HTTP/1.1\r\nHost: x\r\nX-User: " + Uploads.newUser()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n", body);
        assertReadable413(declared);

        ByteArrayOutputStream chunked = new ByteArrayOutputStream();
        for (int i = 0; i < 24; i++) { // 24 MiB in 1 MiB chunks
            chunked.write(("100000\r\n").getBytes(StandardCharsets.US_ASCII));
            chunked.write(new byte[1024 * 1024]);
            chunked.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunked.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String streamed = rawExchange("POST /v1/upload HTTP/1.1\r\nHost: x\r\nX-User: " + Uploads.newUser()
                + "\r\nTransfer-Encoding: chunked\r\n\r\n", chunked.toByteArray());
        assertReadable413(streamed);
        assertThat(Http.status(web.uri("/__lbheartbeat__"))).isEqualTo(200);
    }

    @Test
    void pythonUrllibReadsThe413() throws Exception {
        String script = String.join("\n",
                "import sys, urllib.request, urllib.error",
                "req = urllib.request.Request(sys.argv[1], data=b' ' * (11 * 1024 * 1024), method='POST',",
                "    headers={'X-User': sys.argv[2], 'Content-Type': 'application/json'})",
                "try:",
                "    urllib.request.urlopen(req, timeout=60)",
                "    print('no error')",
                "except urllib.error.HTTPError as e:",
                "    print(e.code, e.headers.get('Access-Control-Allow-Origin'), e.read().decode())");
        Process python = new ProcessBuilder("python3", "-c", script, web.uri("/v1/upload").toString(), Uploads.newUser())
                .redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(python.waitFor()).as(output).isZero();
        assertThat(output).startsWith("413 * {").contains("\"status\":\"error\"", "larger than");
    }

    private static void assertReadable413(String answer) {
        assertThat(answer).startsWith("HTTP/1.1 413");
        String head = answer.substring(0, answer.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
        assertThat(head).contains("access-control-allow-origin: *", "content-type: application/json",
                "connection: close");
        assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4)).startsWith("{\"status\":\"error\",\"message\":")
                .contains("larger than");
    }

    /** Writes the request head and the whole body, and only then reads the answer: its head and Content-Length bytes. */
    private static String rawExchange(String head, byte[] body) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", web.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder answer = new StringBuilder();
            while (!answer.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed before the answer's head: " + answer);
                }
                answer.append((char) b);
            }
            java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(answer);
            int bodyLength = length.find() ? Integer.parseInt(length.group(1)) : 0;
            answer.append(new String(in.readNBytes(bodyLength), StandardCharsets.ISO_8859_1));
            return answer.toString();
        }
    }

    @Test
    void invalidUtf8IsRefused() throws Exception {
        byte[] body = "{\"sessions\":[{\"url\":\"https://example.com/\u0001\"}]}".getBytes(StandardCharsets.UTF_8);
        body[body.length - 6] = (byte) 0xC0;
        assertRefused(upload(Uploads.newUser(), body), 400, "UTF-8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"sessions\": [", "[1, 2]", "\"string\"", "{} {}", "{\"a\":1,}"})
    void invalidJsonIsRefused(String text) throws Exception {
        long before = queued();
        HttpResponse<String> res = upload(Uploads.newUser(), text.getBytes(StandardCharsets.UTF_8));
        assertThat(res.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(res.body()).path("message").asText()).containsIgnoringCase("json");
        assertThat(queued()).isEqualTo(before);
    }

    @Test
    void deeplyNestedJsonIsRefused() throws Exception {
        String deep = "{\"a\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}";
        assertRefused(upload(Uploads.newUser(), deep.getBytes(StandardCharsets.UTF_8)), 400, "nested deeper than 32");
    }

    @Test
    void headAndOptionsAnswer200WithCors() {
        for (String path : new String[] {"/v1/upload", "/v1/delete", "/v1/jwk", "/v1/stats"}) {
            HttpResponse<String> options = Http.send(HttpRequest.newBuilder(web.uri(path))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("Origin", "moz-extension://abc").header("Access-Control-Request-Method", "POST"));
            assertThat(options.statusCode()).as(path).isEqualTo(200);
            assertThat(options.headers().firstValue("Access-Control-Allow-Origin")).as(path).hasValue("*");
            assertThat(options.headers().firstValue("Access-Control-Allow-Headers").orElse(""))
                    .as(path).containsIgnoringCase("X-User").containsIgnoringCase("Content-Encoding");
            assertThat(options.headers().firstValue("Access-Control-Max-Age")).as(path).hasValue("86400");
            HttpResponse<String> head = Http.send(HttpRequest.newBuilder(web.uri(path))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertThat(head.statusCode()).as(path).isEqualTo(200);
            assertThat(head.headers().firstValue("Access-Control-Allow-Origin")).as(path).hasValue("*");
        }
        assertThat(Http.send(HttpRequest.newBuilder(web.uri("/v1/upload")).method("OPTIONS",
                HttpRequest.BodyPublishers.noBody())).headers().firstValue("Access-Control-Allow-Methods").orElse(""))
                .contains("POST", "PUT");
    }

    @Test
    void otherMethodsAre405() throws Exception {
        assertRefused(Http.get(web.uri("/v1/upload")), 405, "method not allowed");
        HttpResponse<String> delete = Http.send(HttpRequest.newBuilder(web.uri("/v1/delete")).DELETE());
        assertRefused(delete, 405, "method not allowed");
        assertThat(delete.headers().firstValue("Allow").orElse("")).contains("POST", "PUT");
        assertRefused(Http.post(web.uri("/v1/stats"), null, new byte[0]), 405, "method not allowed");
    }

    @Test
    void deleteNeedsAValidUserAndIsQueued() throws Exception {
        long before = queued();
        assertRefused(Http.post(web.uri("/v1/delete"), null, new byte[0]), 400, "X-User");
        assertRefused(Http.post(web.uri("/v1/delete"), "x", new byte[0]), 400, "X-User");
        assertThat(queued()).isEqualTo(before);
        String user = Uploads.newUser();
        HttpResponse<String> res = Http.post(web.uri("/v1/delete"), user, new byte[0]);
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(queued()).isEqualTo(before + 1);
        assertThat(redis.cli("EXISTS", "cg:forget:" + user).strip()).isEqualTo("1");
    }

    @Test
    void jwkIs404WithoutKeys() throws Exception {
        assertRefused(Http.get(web.uri("/v1/jwk")), 404, "encryption");
    }

    @Test
    void statsAreAggregateFigures() throws Exception {
        HttpResponse<String> res = Http.get(web.uri("/v1/stats"));
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode stats = JSON.readTree(res.body());
        assertThat(stats.fieldNames()).toIterable().contains("uploads_accepted", "sessions_stored", "sessions_dropped",
                "users_deleted", "contributors_estimate");
        stats.fields().forEachRemaining(e -> assertThat(e.getValue().isIntegralNumber()).as(e.getKey()).isTrue());
        assertThat(res.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    }

    @Test
    void oversizedHeadersAreRefusedWithoutHarm() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", web.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/upload HTTP/1.1\r\nHost: x\r\nX-Junk: " + "a".repeat(64 * 1024) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(answer).matches("HTTP/1.1 4\\d\\d");
        } catch (IOException resetByServer) {
            // Closing the connection on an oversized header block is also a refusal.
        }
        assertThat(Http.status(web.uri("/__lbheartbeat__"))).isEqualTo(200);
    }

    @Test
    void aFullQueueAnswers503WithRetryAfterAndKeepsNothing() throws Exception {
        try (RedisServer ownRedis = new RedisServer();
             RoleProcess capped = RoleProcess.builder("web").name("capped-web").redis(ownRedis.port())
                     .env("QUEUE_MAX_LENGTH", "2").start().awaitHttp(Duration.ofSeconds(60))) {
            for (int i = 0; i < 2; i++) {
                assertThat(Http.post(capped.uri("/v1/upload"), Uploads.newUser(), Uploads.sessions(1)).statusCode())
                        .isEqualTo(200);
            }
            HttpResponse<String> full = Http.post(capped.uri("/v1/upload"), Uploads.newUser(), Uploads.sessions(1));
            assertRefused(full, 503, "retry later");
            assertThat(full.headers().firstValue("Retry-After")).hasValue("30");
            assertThat(ownRedis.cli("XLEN", "cg:tasks").strip()).isEqualTo("2");
        }
    }

    @Test
    void redisDownAnswers503QuicklyAndRecovers() throws Exception {
        try (RedisServer ownRedis = new RedisServer();
             RoleProcess web2 = RoleProcess.builder("web").name("outage-web").redis(ownRedis.port()).start()
                     .awaitHttp(Duration.ofSeconds(60))) {
            ownRedis.stop();
            long start = System.nanoTime();
            HttpResponse<String> res = Http.post(web2.uri("/v1/upload"), Uploads.newUser(), Uploads.sessions(1));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertRefused(res, 503, "retry later");
            assertThat(res.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(took).as("no request hangs while Redis is down").isLessThan(Duration.ofSeconds(5));
            assertRefused(Http.post(web2.uri("/v1/delete"), Uploads.newUser(), new byte[0]), 503, "retry later");
            ownRedis.start();
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    Http.post(web2.uri("/v1/upload"), Uploads.newUser(), Uploads.sessions(1)).statusCode() == 200);
        }
    }
}
