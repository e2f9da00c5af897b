package io.contextgraph.web;

import io.contextgraph.testing.HostileBodies;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RawHttp;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A web role with a small heap ({@code -Xmx256m}, exit on OutOfMemoryError, as in the image) under dozens of concurrent
 * near-10 MiB bodies and gzip bombs: it never runs out of memory, answers every client (200 within the budget, 503
 * with {@code Retry-After: 1} past it, 413 for bombs), and serves a normal upload afterwards.
 */
class MemoryBudgetIT {
    private static final int CLIENTS = 36;
    private static final int NEAR_LIMIT = 10 * 1024 * 1024 - 1024;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void concurrentLargeBodiesAndBombsStayWithinTheHeap() throws Exception {
        byte[] large = largeDocument();
        byte[] bomb = bomb();
        try (RedisServer redis = new RedisServer();
             RoleProcess web = RoleProcess.builder("web").name("memory-web").redis(redis.port())
                     .jvm("-Xmx256m", "-XX:+ExitOnOutOfMemoryError").start().awaitHttp(Duration.ofSeconds(60))) {
            // Every client sends the first half of its body, waits until all have, then sends the rest: the server
            // holds the first halves of all of them at once (about 180 MiB of bodies), whatever the scheduling.
            CyclicBarrier halfway = new CyclicBarrier(CLIENTS);
            List<Future<Answer>> answers = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < CLIENTS; i++) {
                    boolean isBomb = i % 4 == 0;
                    answers.add(clients.submit(() -> send(web.port(), isBomb ? bomb : large, isBomb, halfway)));
                }
            }
            List<String> statuses = new ArrayList<>();
            List<String> retryAfters = new ArrayList<>();
            for (Future<Answer> future : answers) {
                Answer answer = future.get();
                statuses.add(answer.status());
                if (answer.status().equals("503")) {
                    retryAfters.add(answer.retryAfter());
                }
            }
            assertThat(web.alive()).as(web.output()).isTrue();
            assertThat(web.output()).doesNotContain("OutOfMemoryError");
            assertThat(statuses).as("every client read an answer: 200, 413 (bomb) or 503 (over the budget)")
                    .allMatch(status -> status.equals("200") || status.equals("413") || status.equals("503"));
            assertThat(statuses).as("the budget was reached").contains("503");
            // docs/api.md: a full memory budget for bodies (or the request limit) is retried after 1 second.
            assertThat(retryAfters).as("Retry-After of every 503").containsOnly("1");
            for (int i = 0; i < answers.size(); i += 4) {
                assertThat(statuses.get(i)).as("a bomb").isIn("413", "503");
            }
            assertThat(Http.post(web.uri("/v1/upload"), Uploads.newUser(), Uploads.sessions(3)).statusCode()).isEqualTo(200);
            assertThat(Http.post(web.uri("/v1/upload"), Uploads.newUser(), large).statusCode()).isEqualTo(200);
        }
    }

    /** The status code of an answer and its Retry-After header (null when there is none). */
    private record Answer(String status, String retryAfter) {
    }

    /** Sends one upload in two halves around the barrier and returns the status code and Retry-After it reads. */
    private static Answer send(int port, byte[] body, boolean gzip, CyclicBarrier halfway) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/upload HTTP/1.1\r\nHost: x\r\nX-User: " + Uploads.newUser() + "\r\nContent-Length: "
                    + body.length + (gzip ? "\r\nContent-Encoding: gzip" : "") + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            int half = body.length / 2;
            out.write(body, 0, half);
            out.flush();
            halfway.await(2, TimeUnit.MINUTES);
            try {
                out.write(body, half, body.length - half);
                out.flush();
            } catch (IOException closedAfterAnEarlyAnswer) {
                // a bomb's 413 may close the connection once the discard bound is reached: the answer is read below
            }
            RawHttp.Head head = RawHttp.readHead(socket.getInputStream());
            if (head.status() == 0) {
                return new Answer("no answer: '" + head.statusLine() + "'", null);
            }
            return new Answer(Integer.toString(head.status()), head.header("Retry-After"));
        }
    }

    private static byte[] largeDocument() {
        byte[] prefix = "{\"sessions\":[],\"pad\":\"".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[NEAR_LIMIT];
        Arrays.fill(body, (byte) 'x');
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        body[body.length - 2] = '"';
        body[body.length - 1] = '}';
        return body;
    }

    /** 256 MiB of zeros in about 256 KiB. */
    private static byte[] bomb() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) {
                gzip.write(zeros);
            }
        }
        return out.toByteArray();
    }
}
