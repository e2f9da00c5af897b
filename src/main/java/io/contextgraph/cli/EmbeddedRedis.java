package io.contextgraph.cli;

import com.google.common.util.concurrent.Uninterruptibles;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import redis.embedded.RedisServer;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The standalone role's own Redis (a redis-server binary shipped inside a library jar), on
 * loopback only, with an append-only file in its own folder (beside the data folder, see {@link StandaloneState}) so
 * that queued uploads survive a restart of the process.
 */
final class EmbeddedRedis implements Closeable {
    /** How long a JVM shutdown waits for {@link #close()} before Redis is stopped anyway. */
    private static final Duration ORDERLY_STOP_LIMIT = Duration.ofMinutes(2);

    private final RedisServer server;
    private final int port;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Thread keeper;
    private volatile IOException stopFailure;

    private EmbeddedRedis(RedisServer server, int port) throws InterruptedException {
        this.server = server;
        this.port = port;
        // The library always registers a JVM shutdown hook that calls its synchronized stop(), which would stop Redis
        // at SIGTERM under the still-running worker (an error at every clean stop, and a cut-off AOF). Holding the
        // server's monitor until close() makes that hook wait for the role's orderly stop.
        CountDownLatch held = new CountDownLatch(1);
        this.keeper = Thread.ofPlatform().daemon().name("embedded-redis").start(() -> {
            synchronized (server) {
                held.countDown();
                Uninterruptibles.awaitUninterruptibly(closing); // only close() or the shutdown limit ends the wait
                try {
                    server.stop();
                } catch (IOException e) {
                    stopFailure = e;
                }
            }
        });
        held.await();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            Uninterruptibles.awaitUninterruptibly(closing, ORDERLY_STOP_LIMIT); // a role that never closes
            closing.countDown();
        }));
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
                .onShutdownForceStop(false) // SIGTERM: Redis flushes its append-only file
                .build();
        server.start();
        try {
            return new EmbeddedRedis(server, port);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.stop();
            throw new IOException("interrupted while starting the embedded Redis");
        }
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
        closing.countDown();
        try {
            keeper.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (stopFailure != null) {
            throw stopFailure;
        }
    }
}
