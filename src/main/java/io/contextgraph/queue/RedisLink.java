package io.contextgraph.queue;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's link to Redis: one shared, pipelined connection for all ordinary commands, plus dedicated
 * connections for blocking reads.
 *
 * <p>{@link #start()} never fails because Redis is down: the first connection is retried in the background until it
 * succeeds; after that Lettuce reconnects by itself. While disconnected, commands are rejected at once
 * ({@code REJECT_COMMANDS}) rather than buffered, so a web request answers 503 promptly instead of hanging.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);
    private static final long FIRST_RETRY_DELAY_MS = 100;
    private static final long MAX_RETRY_DELAY_MS = 2_000;
    /** Slack on top of Lettuce's own command timeout before the caller gives up waiting. */
    private static final long AWAIT_SLACK_MS = 500;
    private static final int MAX_ERROR_LENGTH = 200;

    private final RedisSettings settings;
    private final ClientResources resources;
    private final RedisClient client;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean firstFailureReported = new AtomicBoolean();
    private final Set<StatefulRedisConnection<byte[], byte[]>> dedicated = ConcurrentHashMap.newKeySet();
    private volatile StatefulRedisConnection<byte[], byte[]> connection;
    /** The shared connection's losses: a write and a later WAIT ran on one Redis connection iff this is unchanged. */
    private final AtomicLong connectionLosses = new AtomicLong();
    private volatile String lastError;
    private volatile Consumer<Throwable> firstFailureHook = failure -> { };
    private volatile Runnable firstConnectHook = () -> { };
    private volatile boolean closed;
    private volatile Thread connector;

    public RedisLink(RedisSettings settings) {
        this.settings = settings;
        RedisURI.Builder uri = RedisURI.builder()
                .withHost(settings.host())
                .withPort(settings.port())
                .withSsl(settings.tls())
                // Lettuce bounds the connection handshake (TLS, AUTH, HELLO) by the URI timeout: a cold JVM's first
                // TLS handshake can take longer than a command may. Commands keep their own timeout (CommandTimeouts).
                .withTimeout(connectTimeout(settings));
        settings.password().ifPresent(password -> uri.withPassword(password.toCharArray()));
        // Lettuce's default reconnect back-off grows to 30 s: after a long outage the service would keep answering 503
        // for up to 30 s with Redis back. Cap it like the initial connection loop.
        this.resources = DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(FIRST_RETRY_DELAY_MS),
                        Duration.ofMillis(MAX_RETRY_DELAY_MS), 2, TimeUnit.MILLISECONDS))
                .nettyCustomizer(new NettyCustomizer() {
                    // Many request threads write to one shared connection; Lettuce flushes after every
                    // command. Consolidating flushes that arrive together cuts one syscall per command.
                    @Override
                    public void afterChannelInitialized(Channel channel) {
                        channel.pipeline().addFirst(new FlushConsolidationHandler(64, true));
                    }
                })
                .build();
        this.client = RedisClient.create(resources, uri.build());
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(connectTimeout(settings))
                        .keepAlive(true)
                        .build())
                .timeoutOptions(TimeoutOptions.builder()
                        .timeoutSource(new CommandTimeouts(settings.commandTimeout().toMillis()))
                        .build())
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                if (handler == connection) {
                    connectionLosses.incrementAndGet();
                }
            }
        });
    }

    /**
     * Registers what to do (e.g. report to Sentry) when the first connection attempt fails. Called at most once per
     * link, with an exception whose message carries no secret. Register before {@link #start()}.
     */
    public void onFirstConnectFailure(Consumer<Throwable> hook) {
        this.firstFailureHook = hook == null ? failure -> { } : hook;
    }

    /**
     * Registers what to check once the first connection is made (e.g. the eviction policy): run by {@link #start()}
     * itself when Redis answers at once (what it throws then comes out of {@code start()}), otherwise by the background
     * connector when Redis comes up. Register before {@link #start()}.
     */
    public void onFirstConnect(Runnable hook) {
        this.firstConnectHook = hook == null ? () -> { } : hook;
    }

    /**
     * Connects now if Redis answers, otherwise keeps trying in the background. Never throws for Redis being down (only
     * what the {@link #onFirstConnect} hook throws).
     */
    public void start() {
        if (closed || !started.compareAndSet(false, true)) {
            return;
        }
        if (tryConnect()) {
            firstConnectHook.run();
        } else {
            connector = Thread.ofVirtual().name("redis-connector").start(this::connectUntilConnected);
        }
    }

    /** Redis's INFO text of one section, e.g. "memory". */
    String info(String section) {
        return await(commands().info(section));
    }

    /** True iff a PING round trip succeeds within the command timeout. */
    public boolean ping() {
        StatefulRedisConnection<byte[], byte[]> current = connection;
        if (current == null) {
            return false;
        }
        try {
            boolean ok = "PONG".equals(await(current.async().ping()));
            if (ok) {
                lastError = null;
            }
            return ok;
        } catch (QueueUnavailableException e) {
            return false;
        }
    }

    /** The last connection or command failure seen since the last success (no secrets: class and message only). */
    public Optional<String> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** True once the first connection has been made (Lettuce may be reconnecting at the moment, though). */
    public boolean connected() {
        return connection != null;
    }

    /** How long Lettuce lets a command go unanswered before failing it. */
    Duration commandTimeout() {
        return settings.commandTimeout();
    }

    /** How many replicas must acknowledge a producer's write before it counts as accepted (0: none). */
    int minReplicas() {
        return settings.minReplicas();
    }

    /**
     * How often the shared connection has been lost so far (Lettuce then reconnects by itself): unchanged between
     * before a write and after a later command's reply means both ran on the same Redis connection (see
     * {@link Replication}).
     */
    long connectionLosses() {
        return connectionLosses.get();
    }

    /** Async commands of the shared connection; fails fast when no connection has been made yet. */
    RedisAsyncCommands<byte[], byte[]> commands() {
        StatefulRedisConnection<byte[], byte[]> current = connection;
        if (current == null) {
            String why = lastError;
            throw new QueueUnavailableException("not connected to Redis" + (why == null ? "" : ": " + why));
        }
        return current.async();
    }

    /**
     * Opens a new connection for blocking commands (a blocking read on the shared connection would stall every other
     * command behind it). The caller owns it and closes it; whatever is still open is closed with the link.
     */
    StatefulRedisConnection<byte[], byte[]> openDedicatedConnection() {
        if (closed) {
            throw new QueueUnavailableException("Redis link is closed");
        }
        try {
            StatefulRedisConnection<byte[], byte[]> opened = client.connect(ByteArrayCodec.INSTANCE);
            dedicated.add(opened);
            return opened;
        } catch (RuntimeException e) {
            noteFailure(e);
            throw new QueueUnavailableException("cannot open a Redis connection: " + lastError, e);
        }
    }

    void closeDedicatedConnection(StatefulRedisConnection<byte[], byte[]> opened) {
        dedicated.remove(opened);
        opened.close();
    }

    /** Waits for a command bounded by the command timeout; any failure becomes {@link QueueUnavailableException}. */
    <T> T await(RedisFuture<T> future) {
        return await(future, Duration.ZERO);
    }

    /** As {@link #await(RedisFuture)}, for commands that may legitimately take {@code extra} longer (BLOCK). */
    <T> T await(RedisFuture<T> future, Duration extra) {
        long boundMs = settings.commandTimeout().toMillis() + extra.toMillis() + AWAIT_SLACK_MS;
        try {
            return future.get(boundMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unavailable(e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            future.cancel(true);
            noteFailure(e);
            throw new QueueUnavailableException("Redis did not answer within " + boundMs + " ms", e);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new QueueUnavailableException("interrupted while waiting for Redis", e);
        }
    }

    /**
     * The failure of a command that was waited for asynchronously, as {@link #await} would report it; a lost or timed
     * out connection is remembered as the last error, an error reply (OOM, NOSCRIPT) is not.
     */
    QueueUnavailableException unavailable(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof QueueUnavailableException known) {
            return known;
        }
        if (!(cause instanceof RedisCommandExecutionException)) {
            noteFailure(cause);
        }
        return new QueueUnavailableException("Redis command failed: " + describe(cause), cause);
    }

    /** True if the failure is an error reply from Redis starting with {@code code}, e.g. NOSCRIPT or NOGROUP. */
    static boolean isErrorReply(QueueUnavailableException failure, String code) {
        return failure.getCause() instanceof RedisCommandExecutionException reply
                && reply.getMessage() != null
                && reply.getMessage().startsWith(code);
    }

    @Override
    public void close() {
        closed = true;
        Thread background = connector;
        if (background != null) {
            background.interrupt();
        }
        StatefulRedisConnection<byte[], byte[]> current;
        synchronized (this) {
            current = connection;
            connection = null;
        }
        for (StatefulRedisConnection<byte[], byte[]> opened : dedicated) {
            opened.close();
        }
        dedicated.clear();
        if (current != null) {
            current.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    /** A TLS handshake may take longer than a command; connecting never blocks a request, only start() and poll. */
    private static Duration connectTimeout(RedisSettings settings) {
        Duration floor = Duration.ofSeconds(2);
        return settings.commandTimeout().compareTo(floor) > 0 ? settings.commandTimeout() : floor;
    }

    private boolean tryConnect() {
        try {
            StatefulRedisConnection<byte[], byte[]> opened = client.connect(ByteArrayCodec.INSTANCE);
            synchronized (this) {
                if (closed) {
                    opened.closeAsync();
                    return true;
                }
                connection = opened;
            }
            lastError = null;
            LOG.info("Connected to Redis at {}:{}", settings.host(), settings.port());
            return true;
        } catch (RuntimeException e) {
            noteFailure(e);
            if (firstFailureReported.compareAndSet(false, true)) {
                LOG.warn("Cannot connect to Redis at {}:{} ({}); retrying in the background",
                        settings.host(), settings.port(), lastError);
                reportFirstFailure(e);
            }
            return false;
        }
    }

    private void reportFirstFailure(RuntimeException failure) {
        try {
            firstFailureHook.accept(new QueueUnavailableException("startup check failed: cannot connect to Redis: "
                    + describe(failure)));
        } catch (RuntimeException hookFailure) {
            LOG.warn("Reporting the Redis startup failure failed: {}", hookFailure.getClass().getSimpleName());
        }
    }

    private void connectUntilConnected() {
        long delayMs = FIRST_RETRY_DELAY_MS;
        while (!closed && connection == null) {
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            if (tryConnect()) {
                runFirstConnectHookInBackground();
                return;
            }
            delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
        }
    }

    private void runFirstConnectHookInBackground() {
        if (closed) {
            return;
        }
        try {
            firstConnectHook.run();
        } catch (RuntimeException e) {
            LOG.warn("First-connection check failed: {}", describe(e));
        }
    }

    private void noteFailure(Throwable failure) {
        lastError = describe(failure);
    }

    /** Exception class and message, root cause first; Lettuce never puts the password in a message. */
    private static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
        return text.length() > MAX_ERROR_LENGTH ? text.substring(0, MAX_ERROR_LENGTH) : text;
    }

    /**
     * Every command expires after the command timeout, except XREADGROUP: its BLOCK is longer than that, so the
     * caller bounds the wait itself (see {@link #await(RedisFuture, Duration)}); and WAIT, which Redis itself answers
     * after at most the command timeout: Lettuce gives it twice that, so the reply (how many replicas acknowledged)
     * rather than a client-side timeout normally ends it.
     */
    private static final class CommandTimeouts extends TimeoutOptions.TimeoutSource {
        private final long timeoutMs;

        CommandTimeouts(long timeoutMs) {
            this.timeoutMs = timeoutMs;
        }

        @Override
        public long getTimeout(RedisCommand<?, ?, ?> command) {
            if (command.getType() == CommandType.XREADGROUP) {
                return 0;
            }
            return command.getType() == CommandType.WAIT ? 2 * timeoutMs : timeoutMs;
        }

        @Override
        public TimeUnit getTimeUnit() {
            return TimeUnit.MILLISECONDS;
        }
    }
}
