package io.contextgraph.reliability;

import io.contextgraph.testing.FuzzSeed;
import io.contextgraph.testing.HostileBodies;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded random barrage of hostile requests over raw sockets against a real web process: no 5xx, no hang, the
 * process survives, and the queue grows only by the uploads answered 200. Replay with {@code -Dfuzz.seed=<seed>}.
 */
class HostileInputIT {
    private static final int CASES = 2_400;
    private static final int THREADS = 8;
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(1);
    /** Every connection must be answered or closed within this (a request gets at most 4 READ_TIMEOUTs). */
    private static final int ANSWER_BOUND_MS = 20_000;
    private static final String[] PATHS = {"/v1/upload", "/v1/upload", "/v1/delete", "/v1/../v1/upload",
            "/v1/%2e%2e/v1/upload", "/v1/%2E%2E/upload", "//v1//upload", "/v1/upload/", "/v1/upload?x=1&x=2",
            "/V1/UPLOAD", "/v1/upload%00", "/v1/upload%", "/%ff%fe", "/v1/upload/..%2f..%2fetc/passwd", "/./v1/upload",
            "/v1/upload#frag", "*", "http://evil.example/v1/upload", "/__lbheartbeat__", "/__heartbeat__", "/",
            "/v1/jwk", "/v1/stats", "/x".repeat(3_000), "/v1/" + "a".repeat(20_000), "/\u00e9", "/v1/upload\t"};
    private static final String[] METHODS = {"POST", "POST", "POST", "PUT", "GET", "HEAD", "OPTIONS", "DELETE",
            "PATCH", "TRACE", "CONNECT", "post", "FOO", "P OST", "", "X".repeat(5_000)};
    private static final String[] VERSIONS = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9.9",
            "", "http/1.1", "HTTP/1.1 extra"};

    private static RedisServer redis;
    private static RoleProcess web;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisServer();
        web = RoleProcess.builder("web").name("hostile-web").redis(redis.port())
                .env("READ_TIMEOUT", READ_TIMEOUT.toMillis() + "ms").start().awaitHttp(Duration.ofSeconds(60));
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

    /** The first status line and headers of an answer, or what happened instead. */
    private record Answer(int status, String head, String failure) {
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    @ExtendWith(FuzzSeed.class)
    void aRandomBarrageHarmsNothing(long seed) throws Exception {
        long queuedBefore = queueLength();
        AtomicLong queuedByUs = new AtomicLong();
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> unanswered = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        for (int t = 0; t < THREADS; t++) {
            long threadSeed = seed + t;
            pool.submit(() -> {
                Random random = new Random(threadSeed);
                HostileBodies bodies = new HostileBodies(threadSeed);
                for (int i = 0; i < CASES / THREADS; i++) {
                    Case hostile = Case.random(random, bodies);
                    Answer answer = send(hostile.bytes());
                    statuses.computeIfAbsent(answer.status(), s -> new AtomicInteger()).incrementAndGet();
                    if (answer.failure() != null) {
                        unanswered.computeIfAbsent(answer.failure(), s -> new AtomicInteger()).incrementAndGet();
                    }
                    String where = "seed " + threadSeed + " case " + i + " [" + hostile.description() + "]";
                    if (answer.status() >= 500) {
                        problems.add(where + ": answered " + answer.head().lines().findFirst().orElse(""));
                    }
                    if ("timeout".equals(answer.failure())) {
                        problems.add(where + ": neither answered nor closed within " + ANSWER_BOUND_MS + " ms");
                    }
                    // A 1xx (100 Continue to an Expect header) is an interim answer with no content to protect.
                    if (answer.status() >= 200 && !answer.head().toLowerCase().contains("x-content-type-options: nosniff")) {
                        problems.add(where + ": " + answer.status() + " without nosniff");
                    }
                    if (answer.status() == 200 && hostile.mayQueue()) {
                        queuedByUs.incrementAndGet();
                    }
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(150, TimeUnit.SECONDS)).as("barrage finished in time").isTrue();
        System.out.println("HostileInputIT statuses (0 = closed without an answer): " + statuses + "; unanswered: "
                + unanswered);

        assertThat(problems).as("problems (replay with the seed)").isEmpty();
        assertThat(web.alive()).isTrue();
        assertThat(Http.status(web.uri("/__lbheartbeat__"))).isEqualTo(200);
        assertThat(queueLength() - queuedBefore).as("the queue grew only by the uploads answered 200")
                .isEqualTo(queuedByUs.get());
        assertThat(statuses.keySet()).as("the barrage reached the API").contains(200, 400);
    }

    /**
     * Uploads and deletes answered 200 so far: queued (deletes on a stream of their own), or a retry of an identical
     * upload answered from its dedup entry (the barrage repeats bodies, and a repeat is stored once).
     */
    private static long queueLength() {
        String retried = redis.cli("HGET", "cg:stats", "uploads_retried").strip();
        return Long.parseLong(redis.cli("XLEN", "cg:tasks").strip())
                + Long.parseLong(redis.cli("XLEN", "cg:deletes").strip())
                + (retried.isEmpty() ? 0 : Long.parseLong(retried));
    }

    /** Sends raw bytes on a new connection and reads the answer's head (or notes the close). */
    private static Answer send(byte[] request) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), web.port())) {
            socket.setSoTimeout(ANSWER_BOUND_MS);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException closedWhileSending) {
                // the server may refuse early (e.g. oversized headers) and close: read what it said
            }
            InputStream in = socket.getInputStream();
            Answer answer = readHead(in);
            // 100 Continue (to an Expect header) is interim: the body was sent anyway, so the final answer follows,
            // and it may be a 200 that queued the upload.
            while (answer.status() >= 100 && answer.status() < 200) {
                answer = readHead(in);
            }
            return answer;
        } catch (SocketTimeoutException e) {
            return new Answer(0, "", "timeout");
        } catch (IOException e) {
            return new Answer(0, "", e.getClass().getSimpleName());
        }
    }

    private static Answer readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            if (head.size() >= 4 && head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                break;
            }
            if (head.size() > 64 * 1024) {
                break;
            }
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        if (!text.startsWith("HTTP/1.")) {
            return new Answer(0, text, "closed");
        }
        return new Answer(Integer.parseInt(text.substring(9, 12)), text, null);
    }

    /** One hostile request: its bytes, a short description for the failure message, and whether a 200 queues it. */
    private record Case(byte[] bytes, String description, boolean mayQueue) {

        static Case random(Random random, HostileBodies bodies) {
            if (random.nextInt(20) == 0) {
                // At least one byte: a client that connects and sends nothing is not closed by the service itself
                // (docs/deploy.md, READ_TIMEOUT), so it could not be told from a hang here.
                return new Case(bodies.randomBytes(1 + random.nextInt(4095)), "random bytes", false);
            }
            String method = pick(random, METHODS);
            String path = pick(random, PATHS);
            String version = pick(random, VERSIONS);
            byte[] body = bodies.next();
            List<String> headers = new ArrayList<>();
            headers.add("Host: 127.0.0.1");
            int users = random.nextInt(10) == 0 ? 2 : random.nextInt(12) == 0 ? 0 : 1;
            for (int u = 0; u < users; u++) {
                headers.add((random.nextBoolean() ? "X-User: " : "x-user:") + pickUser(random));
            }
            if (random.nextInt(4) == 0) {
                headers.add("Content-Type: " + pick(random, new String[] {"application/json", "text/plain",
                        "application/jose", "multipart/form-data; boundary=x", "\u0000", ";;;"}));
            }
            String encoding = "plain";
            switch (random.nextInt(10)) {
                case 0 -> {
                    headers.add("Content-Encoding: gzip");
                    body = HostileBodies.gzip(random.nextBoolean() ? body : new byte[32 * 1024 * 1024]);
                    encoding = "gzip";
                }
                case 1 -> {
                    headers.add("Content-Encoding: gzip");
                    body = bodies.mutate(HostileBodies.gzip(body));
                    encoding = "broken gzip";
                }
                case 2 -> {
                    headers.add("Content-Encoding: " + pick(random, new String[] {"br", "gzip, gzip", "identity",
                            "deflate", "GZIP", "x-gzip", ""}));
                    encoding = "odd encoding";
                }
                default -> { }
            }
            String framing;
            byte[] wire = body;
            switch (random.nextInt(12)) {
                case 0 -> {
                    headers.add("Content-Length: " + pick(random, new String[] {"-1", "99999999999999999999999",
                            "1e3", " 12", "0x10", "", "+5", "18446744073709551616"}));
                    framing = "odd content-length";
                }
                case 1 -> {
                    headers.add("Content-Length: " + body.length);
                    headers.add("Content-Length: " + (random.nextBoolean() ? body.length : body.length + 1));
                    framing = "duplicate content-length";
                }
                case 2 -> {
                    headers.add("Transfer-Encoding: chunked");
                    headers.add("Content-Length: " + body.length);
                    wire = chunked(random, body, true);
                    framing = "chunked and content-length";
                }
                case 3, 4 -> {
                    headers.add(pick(random, new String[] {"Transfer-Encoding: chunked", "Transfer-Encoding: CHUNKED",
                            "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: chunked, chunked"}));
                    wire = chunked(random, body, random.nextBoolean());
                    framing = "chunked";
                }
                case 5 -> {
                    if (random.nextInt(4) != 0) {
                        headers.add("Content-Length: " + body.length);
                        framing = "content-length";
                        break;
                    }
                    // Declares more than is sent: the server must give up after READ_TIMEOUT, not hang.
                    headers.add("Content-Length: " + (body.length + 1 + random.nextInt(1000)));
                    framing = "short body";
                }
                case 6 -> {
                    for (int h = 0; h < 100 + random.nextInt(400); h++) {
                        headers.add("X-Pad-" + h + ": " + "v".repeat(random.nextInt(200)));
                    }
                    headers.add("Content-Length: " + body.length);
                    framing = "many headers";
                }
                case 7 -> {
                    headers.add(pick(random, new String[] {"No-Colon-Header", ": empty name", " Folded: x",
                            "X-Bad\u0000: nul", "X-Utf8: \u00ff\u00fe", "X-Big: " + "b".repeat(40_000),
                            "Expect: 100-continue", "Connection: upgrade, close", "Upgrade: h2c", "Host: a",
                            "Content-Type: application/json; charset=latin1"}));
                    headers.add("Content-Length: " + body.length);
                    framing = "odd header";
                }
                default -> {
                    headers.add("Content-Length: " + body.length);
                    framing = "content-length";
                }
            }
            if (random.nextBoolean()) {
                headers.add("Connection: close");
            }
            StringBuilder head = new StringBuilder(method).append(' ').append(path);
            if (!version.isEmpty()) {
                head.append(' ').append(version);
            }
            head.append("\r\n");
            for (String header : headers) {
                head.append(header).append("\r\n");
            }
            head.append("\r\n");
            byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] bytes = new byte[headBytes.length + wire.length];
            System.arraycopy(headBytes, 0, bytes, 0, headBytes.length);
            System.arraycopy(wire, 0, bytes, headBytes.length, wire.length);
            // Helidon reads methods case-insensitively: "post" is a POST.
            boolean mayQueue = method.equalsIgnoreCase("POST") || method.equalsIgnoreCase("PUT");
            return new Case(bytes, method + " " + abbreviate(path) + " " + version + ", " + framing + ", " + encoding
                    + ", " + users + " user header(s)", mayQueue);
        }

        private static byte[] chunked(Random random, byte[] body, boolean wellFormed) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int at = 0;
            while (at < body.length) {
                int size = Math.min(body.length - at, 1 + random.nextInt(4096));
                String sizeLine = wellFormed ? Integer.toHexString(size) : pick(random, new String[] {
                        "ffffffffffffffff", "-1", "zz", Integer.toHexString(size) + ";ext=" + "e".repeat(5000),
                        Integer.toHexString(size + 7), "", " " + Integer.toHexString(size)});
                out.writeBytes((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body, at, size);
                out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                at += size;
            }
            if (wellFormed || random.nextBoolean()) {
                out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            return out.toByteArray();
        }

        private static String pickUser(Random random) {
            return switch (random.nextInt(8)) {
                case 0 -> "..";
                case 1 -> "../../etc";
                case 2 -> "a/b";
                case 3 -> "x".repeat(1000);
                case 4 -> "\u00e9t\u00e9";
                default -> Uploads.newUser();
            };
        }

        private static String pick(Random random, String[] choices) {
            return choices[random.nextInt(choices.length)];
        }

        private static String abbreviate(String text) {
            return text.length() > 40 ? text.substring(0, 40) + "...(" + text.length() + ")" : text;
        }
    }
}
