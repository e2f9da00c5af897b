package io.contextgraph.reliability;

import io.contextgraph.testing.RawHttp;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** How long the web role keeps a connection open: after a 413 while the client still sends, and when idle. */
class ConnectionBoundsIT {
    private static final long MIB = 1024 * 1024;
    /** api.md and operations.md: after a 413 the rest is read and discarded up to 40 MiB (or 30 s). */
    private static final long DISCARD_BOUND = 40 * MIB;

    /**
     * api.md: the 413 is sent at once, and "the service then goes on reading and discarding what the client still
     * sends (up to 40 MiB or 30 s) before it closes the connection". A client declaring 200 MiB and sending as fast
     * as it can reads the 413 while it sends, and its writes fail once the server has closed: it wrote at least the
     * 40 MiB the server read, and no more than that plus what the kernel's buffers between them hold. (The 30 s bound
     * is not tested here: it would need a client sending slowly for 30 s.)
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void afterA413TheServerReadsAtMost40MiBOfWhatTheClientStillSendsThenCloses() throws Exception {
        long declared = 200 * MIB;
        try (RedisServer redis = new RedisServer();
             RoleProcess web = RoleProcess.builder("web").name("discard-web").redis(redis.port()).start()
                     .awaitHttp(Duration.ofSeconds(60));
             Socket socket = new Socket()) {
            socket.setSendBufferSize(64 * 1024);
            socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), web.port()));
            socket.setSoTimeout(60_000);
            // A write blocked on a server that neither reads nor closes would hang the test: close it from here.
            AtomicBoolean cutByTheTest = new AtomicBoolean();
            ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
            watchdog.schedule(() -> {
                cutByTheTest.set(true);
                close(socket);
            }, 60, TimeUnit.SECONDS);
            InputStream in = socket.getInputStream();
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                try {
                    RawHttp.Head head = RawHttp.readHead(in);
                    String body = RawHttp.readBody(in, head);
                    readToTheEnd(in);
                    return head.statusLine() + "\n" + head.headers() + "\n" + body;
                } catch (IOException e) {
                    return "no answer: " + e;
                }
            });

            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/upload HTTP/1.1\r\nHost: x\r\nX-User: " + Uploads.newUser()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + declared + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) ' ');
            long written = 0;
            boolean failed = false;
            try {
                while (written < declared) {
                    out.write(chunk);
                    written += chunk.length;
                }
            } catch (IOException e) {
                failed = true; // reset or broken pipe: the server closed
            } finally {
                watchdog.shutdownNow();
            }

            String read = answer.get(60, TimeUnit.SECONDS);
            assertThat(read).startsWith("HTTP/1.1 413");
            assertThat(read).contains("access-control-allow-origin=*", "content-type=application/json",
                    "connection=close", "{\"status\":\"error\",\"message\":\"body larger than");
            assertThat(cutByTheTest).as("the server neither read nor closed for a minute").isFalse();
            assertThat(failed).as("the server closed before the client had sent its whole body (%d bytes written)",
                    written).isTrue();
            long slack = socket.getSendBufferSize() + maxReceiveBuffer() + MIB;
            System.out.printf("413 discard: the client wrote %.1f MiB before the close (bound 40 MiB + %.1f MiB)%n",
                    written / (double) MIB, slack / (double) MIB);
            assertThat(written).as("the server read the 40 MiB before closing").isGreaterThanOrEqualTo(DISCARD_BOUND);
            assertThat(written).as("the server stopped reading at about 40 MiB").isLessThanOrEqualTo(DISCARD_BOUND + slack);
        }
    }

    /**
     * operations.md: a connection waiting for a request line, here a keep-alive one after an answered request, is
     * closed by Helidon's idle check after 2 × READ_TIMEOUT; it is still open after READ_TIMEOUT.
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void anIdleKeepAliveConnectionIsClosedAfterTwiceTheReadTimeoutAndNotBefore() throws Exception {
        Duration readTimeout = Duration.ofSeconds(1);
        try (RedisServer redis = new RedisServer();
             RoleProcess web = RoleProcess.builder("web").name("idle-web").redis(redis.port())
                     .env("READ_TIMEOUT", readTimeout.toMillis() + "ms").start().awaitHttp(Duration.ofSeconds(60));
             Socket socket = new Socket(InetAddress.getLoopbackAddress(), web.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /__lbheartbeat__ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawHttp.Head head = RawHttp.readHead(socket.getInputStream());
            RawHttp.readBody(socket.getInputStream(), head);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Connection")).as("kept alive").isNotEqualToIgnoringCase("close");
            long answered = System.nanoTime();

            await().during(readTimeout).atMost(readTimeout.multipliedBy(2)).pollInterval(Duration.ofMillis(100))
                    .until(() -> open(socket));
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> !open(socket));
            System.out.printf("idle keep-alive connection closed %d ms after the answer (READ_TIMEOUT %d ms)%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - answered), readTimeout.toMillis());
        }
    }

    /** True while the server keeps the connection open: a short read times out instead of seeing the end. */
    private static boolean open(Socket socket) throws IOException {
        socket.setSoTimeout(20);
        try {
            int b = socket.getInputStream().read();
            if (b >= 0) {
                throw new AssertionError("the server sent something unasked on an idle connection");
            }
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        } catch (SocketException e) {
            return false; // reset: closed too
        }
    }

    private static void readToTheEnd(InputStream in) {
        byte[] sink = new byte[8192];
        try {
            while (in.read(sink) >= 0) {
                // until the server closes
            }
        } catch (IOException e) {
            // reset: closed too
        }
    }

    /** The most the kernel lets a TCP receive buffer grow to (autotuning), which the server's side may hold unread. */
    private static long maxReceiveBuffer() {
        try {
            // Read as a stream: /proc files report a size of 0.
            String[] values;
            try (InputStream in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/tcp_rmem"))) {
                values = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
            }
            return Long.parseLong(values[2]);
        } catch (IOException | RuntimeException e) {
            return 8 * MIB;
        }
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
