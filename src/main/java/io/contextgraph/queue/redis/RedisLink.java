package io.contextgraph.queue.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's link to Redis: one shared, pipelined connection for all ordinary commands, plus dedicated
 * connections for blocking reads. On a single Redis these are plain connections; in cluster mode
 * ({@link RedisSettings#cluster()}) they are Lettuce cluster connections, which route each command to the master of its
 * key's slot, follow MOVED and ASK redirections and refresh the topology (periodically and on every adaptive trigger),
 * so slot moves and failovers are followed.
 *
 * <p>{@link #start()} never fails because Redis is down: the first connection is retried in the background until it
 * succeeds; after that Lettuce reconnects by itself. While disconnected, commands are rejected at once
 * ({@code REJECT_COMMANDS}) rather than buffered, so a web request answers 503 promptly instead of hanging. In
 * cluster mode they wait for the node's connection, at most the command timeout (see the cluster options).
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);
    /** Slack on top of Lettuce's own command timeout before the caller gives up waiting. */
    private static final long AWAIT_SLACK_MS = 500;
    private static final int MAX_ERROR_LENGTH = 200;
    private static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(30);
    /** Error replies of a cluster node that does not (or not yet, or no longer) serve the key's slot. */
    private static final List<String> SLOT_ERRORS = List.of("MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN");

    private final RedisSettings settings;
    private final ClientResources resources;
    /** Exactly one of the two is set: the plain client, or the cluster client in cluster mode. */
    private final RedisClient client;
    private final RedisClusterClient clusterClient;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean firstFailureReported = new AtomicBoolean();
    private final Set<StatefulConnection<byte[], byte[]>> dedicated = ConcurrentHashMap.newKeySet();
    private volatile StatefulConnection<byte[], byte[]> connection;
    private volatile RedisClusterAsyncCommands<byte[], byte[]> shared;
    /**
     * The shared connection's losses (in cluster mode: unexpected losses of any connection of the client, its node
     * connections included): a write and a later WAIT ran on one Redis connection iff this is unchanged.
     */
    private final AtomicLong connectionLosses = new AtomicLong();
    private volatile String lastError;
    private volatile Consumer<Throwable> firstFailureHook = failure -> { };
    private volatile Runnable firstConnectHook = () -> { };
    private volatile boolean closed;
    private volatile Thread connector;
    private volatile reactor.core.Disposable topologyWatch;

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
        this.resources = DefaultClientResources.builder()
                .reconnectDelay(RetryPause.forReconnects())
                .nettyCustomizer(new NettyCustomizer() {
                    // Many request threads write to one shared connection; Lettuce flushes after every
                    // command. Consolidating flushes that arrive together cuts one syscall per command.
                    @Override
                    public void afterChannelInitialized(Channel channel) {
                        channel.pipeline().addFirst(new FlushConsolidationHandler(64, true));
                    }
                })
                .build();
        SocketOptions socket = SocketOptions.builder()
                .connectTimeout(connectTimeout(settings))
                .keepAlive(true)
                .build();
        TimeoutOptions timeouts = TimeoutOptions.builder()
                .timeoutSource(new CommandTimeouts(settings.commandTimeout().toMillis()))
                .build();
        if (settings.cluster()) {
            this.client = null;
            this.clusterClient = RedisClusterClient.create(resources, uri.build());
            // Not REJECT_COMMANDS: a cluster connection opens node connections lazily and after topology changes, and
            // rejects what is routed to one still being opened, so a healthy cluster would answer 503 after every
            // refresh. Commands wait for the node instead, never longer than the command timeout (CommandTimeouts).
            clusterClient.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                    .socketOptions(socket)
                    .timeoutOptions(timeouts)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(TOPOLOGY_REFRESH)
                            .enableAllAdaptiveRefreshTriggers()
                            .build())
                    .build());
        } else {
            this.clusterClient = null;
            this.client = RedisClient.create(resources, uri.build());
            client.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(socket)
                    .timeoutOptions(timeouts)
                    .build());
        }
        anyClient().addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                // In cluster mode the write and its WAIT run on a node connection, one of many: count every
                // connection lost while still open (not closed on purpose, as the topology refresh does).
                if (handler == connection || (clusterClient != null && handler.isOpen())) {
                    connectionLosses.incrementAndGet();
                }
            }
        });
    }

    private AbstractRedisClient anyClient() {
        return client != null ? client : clusterClient;
    }

    /**
     * Opens the connection to every master now. A cluster connection opens them lazily, and while one is being
     * opened the commands for it are rejected ({@code REJECT_COMMANDS}): without this the first commands after
     * start or a failover would answer 503 although the node is up. Waits at most the connect timeout.
     */
    private static void connectToEveryMaster(StatefulRedisClusterConnection<byte[], byte[]> cluster,
            Duration within) {
        CompletableFuture<?>[] opening = mastersOf(cluster)
                .map(node -> cluster.getConnectionAsync(node.getNodeId())).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(opening).get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("Not every Redis Cluster master answered yet: {}", describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

    /**
     * The masters as {@code host:port}: the configured Redis itself, or in cluster mode every master of the current
     * topology. Startup checks ask each one ({@link #info(String, String)}).
     */
    public List<String> masters() {
        if (clusterClient == null) {
            return List.of(settings.host() + ":" + settings.port());
        }
        return mastersOf(clusterConnection()).map(RedisLink::address).toList();
    }

    /** The INFO text of one section (e.g. "memory") of one master of {@link #masters()}. */
    String info(String master, String section) {
        if (clusterClient == null) {
            return await(commands().info(section));
        }
        StatefulRedisClusterConnection<byte[], byte[]> cluster = clusterConnection();
        RedisClusterNode node = mastersOf(cluster).filter(candidate -> master.equals(address(candidate))).findFirst()
                .orElseThrow(() -> new QueueUnavailableException("no such Redis master: " + master));
        try {
            return await(cluster.getConnection(node.getNodeId()).async().info(section));
        } catch (RuntimeException e) {
            throw unavailable(e);
        }
    }

    /** The masters that serve slots (a node just added, or being made a replica, holds no queue). */
    private static Stream<RedisClusterNode> mastersOf(StatefulRedisClusterConnection<byte[], byte[]> cluster) {
        return cluster.getPartitions().stream()
                .filter(node -> node.is(RedisClusterNode.NodeFlag.UPSTREAM) || node.is(RedisClusterNode.NodeFlag.MASTER))
                .filter(node -> !node.getSlots().isEmpty());
    }

    private static String address(RedisClusterNode node) {
        return node.getUri().getHost() + ":" + node.getUri().getPort();
    }

    /**
     * True iff a PING round trip succeeds within the command timeout; in cluster mode, also only while
     * {@code CLUSTER INFO} says {@code cluster_state:ok} (every slot served).
     */
    public boolean ping() {
        if (connection == null) {
            return false;
        }
        try {
            boolean ok = "PONG".equals(await(commands().ping()));
            if (ok && clusterClient != null) {
                String info = await(commands().clusterInfo());
                ok = info != null && info.contains("cluster_state:ok");
                if (!ok) {
                    lastError = "Redis Cluster state is not ok";
                }
            }
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

    /** The client's tick-based timer, for bounding waits without a timed park per wait ({@link TimedWait}). */
    public Timer timer() {
        return resources.timer();
    }

    /** How long Lettuce lets a command go unanswered before failing it. */
    public Duration commandTimeout() {
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

    /**
     * Async commands of the shared connection (in cluster mode routed by key to the slot's master); fails fast when
     * no connection has been made yet.
     */
    public RedisClusterAsyncCommands<byte[], byte[]> commands() {
        RedisClusterAsyncCommands<byte[], byte[]> current = shared;
        if (current == null) {
            String why = lastError;
            throw new QueueUnavailableException("not connected to Redis" + (why == null ? "" : ": " + why));
        }
        return current;
    }

    /**
     * The commands to write {@code key}'s slot with and WAIT for it on: the shared connection, or in cluster mode with
     * {@code REDIS_MIN_REPLICAS} the connection to the master that serves the slot now, since a WAIT counts the writes
     * of its own connection only (see {@link Replication}). A MOVED, ASK, TRYAGAIN or
     * CLUSTERDOWN reply there is not followed: it refreshes the topology and fails the call (see {@link #unavailable}).
     * Never throws; a failure completes the future.
     */
    public CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>> writerFor(byte[] key) {
        try {
            if (clusterClient == null || settings.minReplicas() == 0) {
                return CompletableFuture.completedFuture(commands());
            }
            StatefulRedisClusterConnection<byte[], byte[]> current = clusterConnection();
            RedisClusterNode master = current.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
            if (master == null) {
                clusterClient.refreshPartitionsAsync();
                return CompletableFuture.failedFuture(
                        new QueueUnavailableException("no Redis master serves the slot (topology changing)"));
            }
            return current.getConnectionAsync(master.getNodeId())
                    .<RedisClusterAsyncCommands<byte[], byte[]>>thenApply(StatefulRedisConnection::async)
                    .exceptionallyCompose(failure -> CompletableFuture.failedFuture(unavailable(failure)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(unavailable(e));
        }
    }

    /** {@link #writerFor}, waited for as a command is (see {@link #await(RedisFuture)}). */
    public RedisClusterAsyncCommands<byte[], byte[]> awaitWriter(byte[] key) {
        return awaitWithin(writerFor(key), settings.commandTimeout().toMillis() + AWAIT_SLACK_MS);
    }

    /**
     * How long a caller waits for a call that takes {@code commandTimeouts} command timeouts at most (to be sent, for
     * the reply, for a WAIT...), plus the slack every wait here gets: a safety net, since each step fails by itself
     * within its own timeout.
     */
    public long boundNanos(int commandTimeouts) {
        return commandTimeouts * settings.commandTimeout().toNanos() + TimeUnit.MILLISECONDS.toNanos(AWAIT_SLACK_MS);
    }

    private StatefulRedisClusterConnection<byte[], byte[]> clusterConnection() {
        commands(); // fails fast when not connected
        @SuppressWarnings("unchecked")
        StatefulRedisClusterConnection<byte[], byte[]> current = (StatefulRedisClusterConnection<byte[], byte[]>) connection;
        return current;
    }

    /** A connection of the caller's own: a plain one, or a cluster connection with node connections of its own. */
    public record Dedicated(StatefulConnection<byte[], byte[]> connection,
            RedisClusterAsyncCommands<byte[], byte[]> commands) {
    }

    /**
     * Opens a new connection for blocking commands (a blocking read on the shared connection would stall every other
     * command behind it). The caller owns it and closes it; whatever is still open is closed with the link.
     */
    public Dedicated openDedicatedConnection() {
        if (closed) {
            throw new QueueUnavailableException("Redis link is closed");
        }
        try {
            StatefulConnection<byte[], byte[]> opened = connect();
            dedicated.add(opened);
            if (opened instanceof StatefulRedisClusterConnection<byte[], byte[]> cluster) {
                connectToEveryMaster(cluster, connectTimeout(settings));
            }
            return new Dedicated(opened, commandsOf(opened));
        } catch (RuntimeException e) {
            noteFailure(e);
            throw new QueueUnavailableException("cannot open a Redis connection: " + lastError, e);
        }
    }

    public void closeDedicatedConnection(Dedicated opened) {
        dedicated.remove(opened.connection());
        opened.connection().close();
    }

    private StatefulConnection<byte[], byte[]> connect() {
        return client != null ? client.connect(ByteArrayCodec.INSTANCE) : clusterClient.connect(ByteArrayCodec.INSTANCE);
    }

    @SuppressWarnings("unchecked")
    private static RedisClusterAsyncCommands<byte[], byte[]> commandsOf(StatefulConnection<byte[], byte[]> opened) {
        if (opened instanceof StatefulRedisConnection<?, ?> plain) {
            return ((StatefulRedisConnection<byte[], byte[]>) plain).async();
        }
        return ((StatefulRedisClusterConnection<byte[], byte[]>) opened).async();
    }

    /** Waits for a command bounded by the command timeout; any failure becomes {@link QueueUnavailableException}. */
    public <T> T await(RedisFuture<T> future) {
        return await(future, Duration.ZERO);
    }

    /** As {@link #await(RedisFuture)}, for commands that may legitimately take {@code extra} longer (BLOCK). */
    public <T> T await(RedisFuture<T> future, Duration extra) {
        return awaitWithin(future, settings.commandTimeout().toMillis() + extra.toMillis() + AWAIT_SLACK_MS);
    }

    private <T> T awaitWithin(CompletionStage<T> stage, long boundMs) {
        CompletableFuture<T> future = stage.toCompletableFuture();
        try {
            return TimedWait.get(resources.timer(), future, TimeUnit.MILLISECONDS.toNanos(boundMs));
        } catch (ExecutionException e) {
            throw unavailable(e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) { // the future is done: a command not yet written never will be
            noteFailure(e);
            throw new QueueUnavailableException("Redis did not answer within " + boundMs + " ms", e);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new QueueUnavailableException("interrupted while waiting for Redis", e);
        } catch (IllegalStateException stopped) {
            throw new QueueUnavailableException("Redis link is closed", stopped);
        }
    }

    /**
     * The failure of a command that was waited for asynchronously, as {@link #await} would report it; a lost or timed
     * out connection is remembered as the last error, an error reply (OOM, NOSCRIPT) is not.
     */
    public QueueUnavailableException unavailable(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof QueueUnavailableException known) {
            return known;
        }
        if (!(cause instanceof RedisCommandExecutionException)) {
            noteFailure(cause);
        } else if (clusterClient != null && isSlotError(cause.getMessage())) {
            // A write pinned to a node that no longer serves the slot: learn the new topology for the client's retry.
            clusterClient.refreshPartitionsAsync();
        }
        return new QueueUnavailableException("Redis command failed: " + describe(cause), cause);
    }

    private static boolean isSlotError(String message) {
        return message != null && SLOT_ERRORS.stream().anyMatch(code -> message.startsWith(code + " ")
                || message.equals(code));
    }

    /** True if the failure is an error reply from Redis starting with {@code code}, e.g. NOSCRIPT or NOGROUP. */
    public static boolean isErrorReply(QueueUnavailableException failure, String code) {
        return failure.getCause() instanceof RedisCommandExecutionException reply
                && reply.getMessage() != null
                && reply.getMessage().startsWith(code);
    }

    @Override
    public void close() {
        closed = true;
        reactor.core.Disposable watch = topologyWatch;
        if (watch != null) {
            watch.dispose();
        }
        Thread background = connector;
        if (background != null) {
            background.interrupt();
        }
        StatefulConnection<byte[], byte[]> current;
        synchronized (this) {
            current = connection;
            connection = null;
            shared = null;
        }
        for (StatefulConnection<byte[], byte[]> opened : dedicated) {
            opened.close();
        }
        dedicated.clear();
        if (current != null) {
            current.close();
        }
        anyClient().shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    /** A TLS handshake may take longer than a command; connecting never blocks a request, only start() and poll. */
    private static Duration connectTimeout(RedisSettings settings) {
        Duration floor = Duration.ofSeconds(2);
        return settings.commandTimeout().compareTo(floor) > 0 ? settings.commandTimeout() : floor;
    }

    private boolean tryConnect() {
        try {
            StatefulConnection<byte[], byte[]> opened = connect();
            synchronized (this) {
                if (closed) {
                    opened.closeAsync();
                    return true;
                }
                connection = opened;
            }
            if (opened instanceof StatefulRedisClusterConnection<byte[], byte[]> cluster) {
                connectToEveryMaster(cluster, connectTimeout(settings));
                // A new master (failover, resharding): connect to it before commands are routed to it.
                topologyWatch = resources.eventBus().get().filter(ClusterTopologyChangedEvent.class::isInstance)
                        .subscribe(event -> Thread.ofVirtual().name("redis-topology")
                                .start(() -> connectToEveryMaster(cluster, connectTimeout(settings))));
            }
            shared = commandsOf(opened);
            lastError = null;
            LOG.info(clusterClient != null ? "Connected to the Redis Cluster of {}:{}" : "Connected to Redis at {}:{}",
                    settings.host(), settings.port());
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
        RetryPause pause = new RetryPause();
        while (!closed && connection == null) {
            try {
                Thread.sleep(pause.next());
            } catch (InterruptedException e) {
                return;
            }
            if (!closed && tryConnect()) {
                runFirstConnectHookInBackground();
                return;
            }
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
