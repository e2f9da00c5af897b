package io.contextgraph.cli;

import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

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
