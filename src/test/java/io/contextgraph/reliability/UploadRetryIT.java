package io.contextgraph.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.Uploads;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ambiguous 503 (issue "Every promise exact", point 2): Redis is slow, so the web role gives up waiting and
 * answers 503 although the enqueue script then runs; the client retries the same body. Exactly one object is stored.
 * Real processes: web and worker from the jar, a redis-server made slow with {@code DEBUG SLEEP}, S3Proxy.
 */
@Timeout(240)
class UploadRetryIT {
    private static final String BUCKET = "cg-retry";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aRetryAfterA503WhoseUploadWasQueuedAnywayIsStoredOnce() throws Exception {
        try (RedisServer redis = new RedisServer("--enable-debug-command", "yes");
             S3ProxyServer s3 = S3ProxyServer.startFilesystem()) {
            s3.createBucket(BUCKET);
            try (RoleProcess web = RoleProcess.builder("web").name("retry-web").redis(redis.port())
                    .env("REDIS_TIMEOUT", "1s").start().awaitHttp(WAIT)) {
                // The script is loaded and the connection up, so the upload below is one EVALSHA on the wire.
                assertThat(Http.post(web.uri("/v1/upload"), Uploads.newUser(), Uploads.withMarker("warm"))
                        .statusCode()).isEqualTo(200);
                String user = Uploads.newUser();
                byte[] body = Uploads.withMarker("once");

                Thread sleeper = Thread.ofVirtual().start(() -> redis.cli("DEBUG", "SLEEP", "4"));
                await().atMost(WAIT).until(() -> !answersWithin(redis.port(), Duration.ofMillis(300)));
                int first = Http.post(web.uri("/v1/upload"), user, body).statusCode();
                assertThat(first).as("the web gave up waiting for Redis").isEqualTo(503);
                sleeper.join();
                // ... but Redis ran the script once it woke up: the upload is queued although the client saw 503.
                await().atMost(WAIT).until(() -> redis.cli("XLEN", "cg:tasks").equals("2"));

                assertThat(Http.post(web.uri("/v1/upload"), user, body).statusCode()).isEqualTo(200);
                assertThat(redis.cli("XLEN", "cg:tasks")).as("the retry queued nothing new").isEqualTo("2");

                try (RoleProcess worker = RoleProcess.builder("worker").name("retry-worker").redis(redis.port())
                        .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                        .start().awaitLog("worker started", WAIT)) {
                    await().atMost(WAIT).until(() -> redis.cli("XLEN", "cg:tasks").equals("0"));
                    assertThat(s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/")).hasSize(1);
                }
            }
        }
    }

    /** A raw PING with a short read timeout: false while Redis is busy sleeping. */
    private static boolean answersWithin(int port, Duration timeout) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return socket.getInputStream().read(new byte[16]) > 0;
        } catch (IOException e) {
            return false;
        }
    }
}
