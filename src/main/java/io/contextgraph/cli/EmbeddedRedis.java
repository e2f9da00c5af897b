package io.contextgraph.cli;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The standalone role's own Redis (a redis-server binary shipped inside a library jar), on
 * loopback only, with an append-only file in its own folder (beside the data folder, see {@link StandaloneState}) so
 * that queued uploads survive a restart of the process.
 */
final class EmbeddedRedis implements AutoCloseable {
    private final RedisServer server;
    private final int port;

    private EmbeddedRedis(RedisServer server, int port) {
        this.server = server;
        this.port = port;
    }

    static EmbeddedRedis start(Path folder) throws IOException {
        Path dir = folder.toAbsolutePath();
        Files.createDirectories(dir);
        int port = freePort();
        RedisServer server = RedisServer.newRedisServer()
                .bind("127.0.0.1")
                .port(port)
                .setting("dir " + dir)
                .setting("appendonly yes")
                .setting("appendfsync everysec")
                .setting("save \"\"")
                .setting("maxmemory-policy noeviction")
                .onShutdownForceStop(true)
                .build();
        server.start();
        return new EmbeddedRedis(server, port);
    }

    int port() {
        return port;
    }

    /**
     * Stops a Redis that a killed standalone left running on {@code port} (a SIGKILL skips stopping the child), if it
     * is the one of {@code folder}: two servers must never write one append-only file. {@code SHUTDOWN NOSAVE} still
     * flushes the append-only file. A Redis of another folder on that port is left alone.
     *
     * @return whether one was stopped
     */
    static boolean stopLeftOver(int port, Path folder) throws IOException {
        RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(port)
                .withTimeout(Duration.ofSeconds(2)).build());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            String dir = connection.sync().configGet("dir").get("dir");
            if (dir == null || !Files.isDirectory(Path.of(dir))
                    || !Files.isSameFile(Path.of(dir), folder.toAbsolutePath())) {
                return false;
            }
            connection.sync().shutdown(false);
        } catch (RedisConnectionException e) {
            return false; // nothing listens there any more
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (listening(port)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the Redis left running on 127.0.0.1:" + port + " by an earlier standalone "
                        + "does not stop; stop it by hand");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        return true;
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException {
        server.stop();
    }
}
