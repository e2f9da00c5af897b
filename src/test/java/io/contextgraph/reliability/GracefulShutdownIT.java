package io.contextgraph.reliability;

import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.S3Relay;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** SIGTERM stops the roles without losing what they hold: in-flight requests finish, in-flight tasks are handed back. */
class GracefulShutdownIT {
    /** The JVM's status after an orderly stop on SIGTERM (128 + 15), whatever the shutdown hook did. */
    static final int STOPPED_BY_SIGTERM = 143;
    private static final String BUCKET = "cg-shutdown";

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void theWebRoleFinishesASlowInFlightUploadAfterSigterm() throws Exception {
        try (RedisServer redis = new RedisServer();
             RoleProcess web = RoleProcess.builder("web").name("graceful-web").redis(redis.port())
                     .env("SHUTDOWN_GRACE", "10s").start().awaitHttp(Duration.ofSeconds(60));
             Socket socket = new Socket(InetAddress.getLoopbackAddress(), web.port())) {
            socket.setSoTimeout(15_000);
            byte[] body = Uploads.withMarker("slow");
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nX-User: " + Uploads.newUser()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            int half = body.length / 2;
            out.write(body, 0, half);
            out.flush();
            Thread.sleep(500); // the request is being read when the signal comes

            long signalled = System.nanoTime();
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> terminate(web));
            await().atMost(Duration.ofSeconds(10)).until(() -> !web.listening());
            long stoppedAccepting = System.nanoTime();
            assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), web.port()).close())
                    .as("no new connections once stopping").isInstanceOf(ConnectException.class);

            for (int i = half; i < body.length; i++) { // the rest slowly, over about two seconds
                out.write(body[i]);
                out.flush();
                Thread.sleep(2_000L / (body.length - half));
            }
            String answer = readAnswer(socket.getInputStream());
            long answered = System.nanoTime();
            assertThat(answer).startsWith("HTTP/1.1 200");
            assertThat(exit.get(20, TimeUnit.SECONDS)).as("exit status").isEqualTo(STOPPED_BY_SIGTERM);
            long exited = System.nanoTime();
            assertThat(redis.cli("XLEN", "cg:tasks").strip()).as("the in-flight upload was queued").isEqualTo("1");
            System.out.printf("web shutdown: stopped accepting %d ms after SIGTERM, in-flight answered after %d ms,"
                    + " exited after %d ms%n", millis(signalled, stoppedAccepting), millis(signalled, answered),
                    millis(signalled, exited));
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aStoppingWorkerHandsItsTaskBackToAnotherWorkerLongBeforeTheVisibilityTimeout() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (RedisServer redis = new RedisServer();
             ServerSocket blackHole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             S3ProxyServer s3 = S3ProxyServer.startTransient();
             RoleProcess web = RoleProcess.builder("web").name("handback-web").redis(redis.port()).start()
                     .awaitHttp(Duration.ofSeconds(60))) {
            s3.createBucket(BUCKET);
            // An S3 that accepts connections and never answers keeps the first worker's task in flight.
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(blackHole.accept());
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            String user = Uploads.newUser();
            try (RoleProcess stuck = worker(redis, "http://127.0.0.1:" + blackHole.getLocalPort(), "handback-stuck")) {
                assertThat(Http.post(web.uri("/v1/upload"), user, Uploads.withMarker("handed-back")).statusCode())
                        .isEqualTo(200);
                await().atMost(Duration.ofSeconds(30)).until(() -> pendingCount(redis) == 1);
                long signalled = System.nanoTime();
                assertThat(stuck.terminate(Duration.ofSeconds(30))).as("exit status").isEqualTo(STOPPED_BY_SIGTERM);
                long exited = System.nanoTime();
                assertThat(stuck.output()).contains("\"handed_back\":1");

                try (RoleProcess taker = worker(redis, s3.endpoint().toString(), "handback-taker")) {
                    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                            .until(() -> !s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/").isEmpty());
                    long stored = System.nanoTime();
                    await().atMost(Duration.ofSeconds(10)).until(() -> "0".equals(redis.cli("XLEN", "cg:tasks").strip()));
                    System.out.printf("worker shutdown: exited %d ms after SIGTERM; the other worker stored the handed-back"
                            + " task %d ms after SIGTERM (visibility timeout 60 s)%n", millis(signalled, exited),
                            millis(signalled, stored));
                }
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    /**
     * operations.md: a stopping worker lets its tasks in flight finish within SHUTDOWN_GRACE. The PUT's answer is held
     * back until the worker has begun to stop, so the task is in flight at SIGTERM whatever the timing.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aStoppingWorkerLetsATaskInFlightFinishWithinTheGrace() throws Exception {
        try (RedisServer redis = new RedisServer();
             S3ProxyServer s3 = S3ProxyServer.startTransient();
             S3Relay gate = new S3Relay(s3.endpoint().getPort());
             RoleProcess web = RoleProcess.builder("web").name("in-flight-web").redis(redis.port()).start()
                     .awaitHttp(Duration.ofSeconds(60))) {
            s3.createBucket(BUCKET);
            String user = Uploads.newUser();
            try (RoleProcess worker = RoleProcess.builder("worker").name("in-flight-worker").redis(redis.port())
                    .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", "http://127.0.0.1:" + gate.port())
                    .env("SHUTDOWN_GRACE", "30s").start()
                    .awaitLog("startup.storage.versioning", Duration.ofSeconds(60))) {
                gate.hold(); // the start-up requests to S3 are answered; from here on only the upload's PUT is
                assertThat(Http.post(web.uri("/v1/upload"), user, Uploads.withMarker("in-flight")).statusCode())
                        .isEqualTo(200);
                await().atMost(Duration.ofSeconds(30)).until(() -> gate.heldAnswers() > 0);
                CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> terminate(worker));
                worker.awaitLog("\"stopping\"", Duration.ofSeconds(30));
                // Stopping, it waits for the task rather than cutting it off (well within the 30 s grace).
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                        .until(() -> worker.alive() && !worker.output().contains("worker.task_interrupted"));
                gate.release();
                assertThat(exit.get(60, TimeUnit.SECONDS)).as("exit status").isEqualTo(STOPPED_BY_SIGTERM);
                assertThat(worker.output()).contains("\"handed_back\":0").doesNotContain("worker.task_interrupted");
            }
            assertThat(s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/")).hasSize(1);
            assertThat(redis.cli("XLEN", "cg:tasks").strip()).isEqualTo("0");
        }
    }

    private static RoleProcess worker(RedisServer redis, String s3Endpoint, String name) throws Exception {
        return RoleProcess.builder("worker").name(name).redis(redis.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3Endpoint)
                .env("QUEUE_VISIBILITY_TIMEOUT", "60s").env("SHUTDOWN_GRACE", "2s")
                .start().awaitLog("worker started", Duration.ofSeconds(60));
    }

    private static long pendingCount(RedisServer redis) {
        String summary = redis.cli("XPENDING", "cg:tasks", "workers").strip();
        return summary.isEmpty() ? 0 : Long.parseLong(summary.lines().findFirst().orElse("0").strip());
    }

    private static int terminate(RoleProcess process) {
        try {
            return process.terminate(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String readAnswer(InputStream in) throws IOException {
        byte[] buffer = new byte[4096];
        int n = in.read(buffer);
        return n < 0 ? "" : new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
    }

    private static long millis(long from, long to) {
        return TimeUnit.NANOSECONDS.toMillis(to - from);
    }
}
