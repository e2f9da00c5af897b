package io.contextgraph.web;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The guard on a real Helidon server and real sockets: slow requests are cut, idle keep-alive time is not counted. */
class SlowClientGuardIT {
    private static final Duration READ_TIMEOUT = Duration.ofMillis(400);
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private SlowClientGuard guard;
    private WebServer server;

    @BeforeEach
    void start() {
        guard = new SlowClientGuard(READ_TIMEOUT);
        server = WebServer.builder().host("127.0.0.1").port(0).shutdownHook(false)
                .addProtocol(Http1Config.builder()
                        .addReceiveListener(guard.receiving())
                        .addSendListener(guard.sending())
                        .build())
                .routing(routing -> routing.any((req, res) -> res.send("ok")))
                .build().start();
    }

    @AfterEach
    void stop() {
        server.stop();
        guard.close();
    }

    @Test
    void aKeepAliveConnectionIdleBetweenRequestsIsNotCut() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            for (int i = 0; i < 2; i++) {
                socket.getOutputStream().write(REQUEST);
                assertThat(readAnswer(socket.getInputStream())).startsWith("HTTP/1.1 200");
                // idle past any deadline a request could have left behind
                Thread.sleep(READ_TIMEOUT.multipliedBy(SlowClientGuard.BODY_FACTOR + 2).toMillis());
            }
        }
    }

    @Test
    void headersThatDoNotArriveInTimeCloseTheConnection() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(REQUEST);
            assertThat(readAnswer(socket.getInputStream())).startsWith("HTTP/1.1 200");
            out.write("GET / HTTP/1.1\r\nHost: te".getBytes(StandardCharsets.US_ASCII)); // and then nothing

            long start = System.nanoTime();
            assertThat(socket.getInputStream().read()).as("closed by the server").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(READ_TIMEOUT.minusMillis(50));
        }
    }

    @Test
    void closedConnectionsAreForgotten() throws Exception {
        for (int i = 0; i < 40; i++) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(REQUEST);
                assertThat(readAnswer(socket.getInputStream())).startsWith("HTTP/1.1 200");
            }
        }
        assertThat(guard.watchedConnections()).isPositive();

        await().atMost(Duration.ofSeconds(10)).until(() -> guard.watchedConnections() == 0);
    }

    /** Reads one answer with a Content-Length body; returns its head. */
    private static String readAnswer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head);
            }
            head.append((char) b);
        }
        int length = Integer.parseInt(head.toString().replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
        in.readNBytes(length);
        return head.toString();
    }
}
