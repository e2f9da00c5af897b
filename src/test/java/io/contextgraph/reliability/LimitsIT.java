package io.contextgraph.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The limits that protect the web process, the security headers on every kind of answer, and the user prefix. */
class LimitsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(3);
    private static final int MAX_CONCURRENT = 2;
    private static RedisServer redis;
    private static RoleProcess web;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisServer();
        web = RoleProcess.builder("web").name("limits-web").redis(redis.port())
                .env("READ_TIMEOUT", READ_TIMEOUT.toMillis() + "ms")
                .env("MAX_CONCURRENT_REQUESTS", Integer.toString(MAX_CONCURRENT))
                .start().awaitHttp(Duration.ofSeconds(60));
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

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aClientThatStallsInItsHeadersIsCutAfterTheReadTimeout() throws Exception {
        try (Socket socket = connect()) {
            socket.setSoTimeout(20_000);
            send(socket, "POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Us");
            long start = System.nanoTime();
            String answer = readAll(socket.getInputStream());
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("stalled headers: connection ended after %d ms (READ_TIMEOUT %d ms)%n", tookMs,
                    READ_TIMEOUT.toMillis());
            assertThat(answer).as("no request was served").doesNotContain("200 OK");
            assertThat(tookMs).as("cut well before our own 20 s bound").isLessThan(15_000);
        }
        assertThat(Http.status(web.uri("/__lbheartbeat__"))).isEqualTo(200);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aClientThatDripsItsRequestOneByteAtATimeIsCut() throws Exception {
        // Headers after a complete request line (SlowClientGuard), and a request line itself (Helidon's idle check).
        String[][] drips = {{"POST /v1/upload HTTP/1.1\r\n", "X-Pad: " + "p".repeat(200)},
                {"", "POST /v1/upload/" + "p".repeat(200)}};
        for (String[] prefixAndDrip : drips) {
            String drip = prefixAndDrip[1];
            try (Socket socket = connect()) {
                socket.setSoTimeout(500);
                send(socket, prefixAndDrip[0]);
                long start = System.nanoTime();
                boolean cut = false;
                for (int i = 0; i < drip.length() && !cut; i++) {
                    try {
                        send(socket, drip.substring(i, i + 1));
                        cut = socket.getInputStream().read() < 0;
                    } catch (java.net.SocketTimeoutException stillOpen) {
                        // no answer yet: send the next byte
                    } catch (IOException closed) {
                        cut = true;
                    }
                }
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                System.out.printf("drip (%s): cut after %d ms (READ_TIMEOUT %d ms)%n",
                        prefixAndDrip[0].isEmpty() ? "request line" : "headers", tookMs,
                        READ_TIMEOUT.toMillis());
                assertThat(cut).as("a byte every 500 ms for " + drip.length() / 2 + " s is cut").isTrue();
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aClientThatStallsInItsBodyIsCutAndNothingIsQueued() throws Exception {
        long before = queueLength();
        try (Socket socket = connect()) {
            socket.setSoTimeout(20_000);
            byte[] body = Uploads.withMarker("stalled");
            send(socket, "POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nX-User: " + Uploads.newUser()
                    + "\r\nContent-Length: " + body.length + "\r\n\r\n{\"sessions\":");
            String answer = readAll(socket.getInputStream());
            assertThat(answer).doesNotContain("200 OK");
        }
        assertThat(queueLength()).isEqualTo(before);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void pastTheConcurrencyLimitRequestsGetAJson503WithRetryAfterAndTheOthersFinish() throws Exception {
        byte[] body = Uploads.withMarker("concurrent");
        Socket[] slow = new Socket[MAX_CONCURRENT];
        try {
            for (int i = 0; i < MAX_CONCURRENT; i++) {
                slow[i] = connect();
                slow[i].setSoTimeout(20_000);
                send(slow[i], "POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nX-User: " + Uploads.newUser()
                        + "\r\nContent-Length: " + body.length + "\r\n\r\n");
            }
            // Probes until the slow requests hold every place (a probe before that is simply answered): the first
            // answer that is not a 200 is the one checked.
            HttpResponse<String> busy = await().atMost(Duration.ofSeconds(20))
                    .until(() -> Http.post(web.uri("/v1/upload"), Uploads.newUser(), body), r -> r.statusCode() != 200);
            assertThat(busy.statusCode()).isEqualTo(503);
            assertThat(busy.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(JSON.readTree(busy.body()).path("message").asText()).contains("retry later");
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(busy.headers().allValues("Cache-Control")).containsExactly("no-store");
            assertSecurityHeaders(busy, "503 past the concurrency limit");
            for (Socket socket : slow) {
                socket.getOutputStream().write(body);
                socket.getOutputStream().flush();
                assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200");
            }
        } finally {
            for (Socket socket : slow) {
                if (socket != null) {
                    socket.close();
                }
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.post(web.uri("/v1/upload"), Uploads.newUser(), body)
                .statusCode() == 200);
    }

    @Test
    void everyKindOfAnswerCarriesTheSecurityHeaders() throws Exception {
        assertSecurityHeaders(Http.get(web.uri("/no-such-page")), "404");
        assertSecurityHeaders(Http.send(HttpRequest.newBuilder(web.uri("/v1/upload"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody())), "405");
        assertSecurityHeaders(Http.post(web.uri("/v1/upload"), "a/b", Uploads.withMarker("x")), "400 bad user");
        assertSecurityHeaders(Http.post(web.uri("/v1/upload"), Uploads.newUser(), "{".getBytes()), "400 bad json");
        HttpResponse<String> index = Http.get(web.uri("/"));
        assertSecurityHeaders(index, "index");
        assertThat(index.headers().firstValue("Content-Security-Policy")).isPresent();
        try (Socket socket = connect()) {
            socket.setSoTimeout(10_000);
            send(socket, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "b".repeat(64 * 1024) + "\r\n\r\n");
            String head = readHead(socket.getInputStream());
            assertThat(head).as("oversized headers").matches("(?s)HTTP/1.1 4\\d\\d.*");
            assertThat(head.toLowerCase()).contains("x-content-type-options: nosniff")
                    .contains("strict-transport-security: max-age=");
        } catch (IOException resetWhileSending) {
            // the server may close before reading everything; covered by HostileInputIT's statistics
        }
    }

    @Test
    void whatHelidonRefusesBeforeRoutingIsAJsonErrorABrowserCanRead() throws Exception {
        // Each request is small and sent whole before the server answers, so the answer is always read.
        for (String request : new String[] {
                "POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n",
                "POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: twelve\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"}) {
            try (Socket socket = connect()) {
                socket.setSoTimeout(10_000);
                send(socket, request);
                String answer = readAll(socket.getInputStream());
                String what = request.substring(0, request.indexOf("\r\n\r\n"));
                assertThat(answer).as(what).matches("(?s)HTTP/1.1 4\\d\\d .*");
                String head = answer.substring(0, answer.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
                assertThat(head).as(what).contains("access-control-allow-origin: *",
                        "access-control-expose-headers: retry-after", "content-type: application/json",
                        "x-content-type-options: nosniff", "strict-transport-security: max-age=");
                assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4)).as(what)
                        .startsWith("{\"status\":\"error\",\"message\":\"").doesNotContain("colon", "twelve");
            }
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void theSecurityHeadersAreOnTheRedisOutage503Too() throws Exception {
        try (RedisServer own = new RedisServer();
             RoleProcess outage = RoleProcess.builder("web").name("limits-outage-web").redis(own.port()).start()
                     .awaitHttp(Duration.ofSeconds(60))) {
            own.stop();
            HttpResponse<String> res = Http.post(outage.uri("/v1/upload"), Uploads.newUser(), Uploads.withMarker("x"));
            assertThat(res.statusCode()).isEqualTo(503);
            assertSecurityHeaders(res, "503 Redis down");
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void oddButValidTokensStayUnderTheirOwnUserPrefix() throws Exception {
        String bucket = "cg-prefix";
        try (S3ProxyServer s3 = S3ProxyServer.startTransient()) {
            s3.createBucket(bucket);
            try (RoleProcess worker = RoleProcess.builder("worker").name("prefix-worker").redis(redis.port())
                    .env("S3_BUCKET", bucket).env("S3_ENDPOINT", s3.endpoint().toString()).start()
                    .awaitLog("worker started", Duration.ofSeconds(60))) {
                List<String> tokens = List.of("...", ".-.", "~~~", "..-", "!()*", "._~");
                for (String token : tokens) {
                    assertThat(Http.post(web.uri("/v1/upload"), token, Uploads.withMarker("prefix")).statusCode())
                            .as(token).isEqualTo(200);
                }
                // Earlier tests of this class queued uploads too: wait for these users' objects only.
                await().atMost(Duration.ofSeconds(30)).until(() -> tokens.stream()
                        .allMatch(token -> !s3.listKeys(bucket, "v1/sessions/user=" + token + "/").isEmpty()));
                List<String> keys = s3.listKeys(bucket, "v1/");
                for (String token : tokens) {
                    assertThat(keys).as(token).filteredOn(key -> key.startsWith("v1/sessions/user=" + token + "/date="))
                            .hasSize(1);
                }
                assertThat(keys).allMatch(key -> key.matches("v1/sessions/user=[A-Za-z0-9!()*._~-]{3,36}/date="
                        + "\\d{4}-\\d{2}-\\d{2}/[A-Za-z0-9_-]+\\.json\\.gz"));
            }
        }
    }

    private static void assertSecurityHeaders(HttpResponse<String> res, String what) {
        assertThat(res.headers().firstValue("Strict-Transport-Security")).as(what).hasValueSatisfying(v ->
                assertThat(v).startsWith("max-age="));
        assertThat(res.headers().firstValue("X-Content-Type-Options")).as(what).hasValue("nosniff");
    }

    private static long queueLength() {
        return Long.parseLong(redis.cli("XLEN", "cg:tasks").strip());
    }

    private static Socket connect() throws IOException {
        return new Socket(InetAddress.getLoopbackAddress(), web.port());
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static String readAll(InputStream in) throws IOException {
        try {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException reset) {
            return "";
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                break;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
