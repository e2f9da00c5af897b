package io.contextgraph.queue.consume;

import io.contextgraph.queue.QueueKeys;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.Shards;
import io.contextgraph.queue.StreamIds;
import io.contextgraph.queue.StreamScripts;
import io.contextgraph.queue.Task;
import io.contextgraph.queue.TaskEntries;
import io.contextgraph.queue.TaskStream;
import io.contextgraph.queue.TaskType;
import io.contextgraph.queue.redis.LuaScript;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.queue.redis.Replication;
import io.lettuce.core.Consumer;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.models.stream.ClaimedMessages;
import io.lettuce.core.models.stream.PendingMessage;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker side of the queue: takes tasks from the consumer group, reclaims tasks of dead workers, completes,
 * retries with back-off, dead-letters and hands tasks back.
 *
 * <p><b>Attempts and retries.</b> The attempt of a delivery is Redis's delivery count. A failed task is not put
 * anywhere else: {@link #retryLater} re-claims it to this consumer with an idle time set back by
 * {@code visibilityTimeout - backoff}, so the normal reclaim of idle tasks ({@code XAUTOCLAIM}, which counts one more
 * delivery) hands it out again after {@code backoff}. After {@code maxAttempts} the task is parked in the dead-letter
 * stream. A task whose worker keeps dying while processing it (its delivery count passes
 * {@code maxAttempts + POISON_MARGIN} on reclaim) is parked as well, so it cannot crash-loop the workers forever.
 *
 * <p><b>Two streams, deletes first.</b> Deletes have a stream of their own ({@link TaskStream#DELETES}) with its own
 * cap, so a flood of uploads never refuses a delete. Every poll reclaims and reads the delete stream before the upload
 * stream (with shards, at least every {@link #SHARD_BLOCK}: see below), so a delete overtakes an upload backlog. That
 * changes nothing for the deletion race below: what a delete covers is decided by acceptance orders, not by which
 * task runs first.
 *
 * <p><b>Leases.</b> A delivered task is leased to this consumer for as long as its idle time in the pending list stays
 * below the visibility timeout; {@link #extendLeases} resets it for the tasks still in progress, so only the tasks of
 * a worker that stopped renewing (dead, or cut off from Redis) are reclaimed by others.
 *
 * <p><b>Forget markers, and why checking before and after the S3 write closes the race with a delete.</b> Accepting
 * a delete sets the marker {@code forget:<user>} = the delete's order in the same atomic step as the XADD, i.e.
 * before any worker can even see the delete task. An upload is "covered" when the marker's ID is greater than the
 * upload's order (accepted before the delete). The worker checks before writing (skip the work: {@link #poll} looks
 * up the markers of all uploads it returns in one step, {@link Delivery#coveredWhenPolled}) and again after writing
 * (remove what it just wrote); the second check is part of {@link #completeStored}, which completes the task in the
 * same atomic step only when no marker covers it. If the second check finds no
 * covering marker, the delete was accepted after that check, hence after the write finished, so the delete task
 * (which can only run after its acceptance) lists and removes the object. If the delete was accepted before the
 * check, the check sees the marker. Either way nothing accepted before the delete survives it, whatever order workers
 * pick tasks up in.
 *
 * <p><b>Completions in batches.</b> A busy worker completes many stored uploads of a shard in one call
 * ({@link StoredCompletions}). Each joins only after its own write, so the check after the write is unchanged.
 *
 * <p><b>Failures.</b> When {@link #complete}, {@link #completeStored}, {@link #retryLater}, {@link #deadLetter} or
 * {@link #handBack} throws {@link QueueUnavailableException}, nothing was lost: the task stays pending for this
 * consumer and is reclaimed (by any worker) after the visibility timeout. The caller logs and moves on.
 *
 * <p><b>Shards.</b> Every consumer reads every shard ({@link Shards}), never two shards in one command (their keys are
 * in different slots). Each poll starts at the next shard in turn: deletes of all shards first, then uploads shard by
 * shard until the poll is full, so with a backlog everywhere successive polls serve successive shards and none
 * starves, and work in a single shard is still found in the same poll. Reading the delete streams costs one command
 * per shard, and deletes are rare: so with more than one shard a poll reads them only when the last such read is
 * {@link #SHARD_BLOCK} old or found deletes (its reads sent together, one round trip however many shards). A busy
 * worker on 16 shards would otherwise send 16 reads of empty streams for each handful of uploads. Only when every
 * shard is empty does the poll block, on one shard (its two streams share a slot), a different one each time, and
 * with more than one shard for at most {@link #SHARD_BLOCK}, so that new work elsewhere waits no longer than that.
 * Reclaiming, the consumer group and dead letters are per shard as well.
 *
 * <p>{@link #poll} is meant for one polling thread; the other methods may be called from any thread.
 */
public final class TaskConsumer implements AutoCloseable {

    /** Extra deliveries tolerated beyond maxAttempts before a task that keeps killing workers is parked. */
    static final int POISON_MARGIN = 2;

    private static final Logger LOG = LoggerFactory.getLogger(TaskConsumer.class);
    /** The longest a poll blocks on one shard while the others might receive work. */
    static final Duration SHARD_BLOCK = Duration.ofMillis(250);
    private static final long RECLAIM_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();
    private static final String CURSOR_START = "0-0";
    private static final int MAX_REASON_LENGTH = 200;
    /**
     * Resets the idle time of the given entries that this consumer still owns (XCLAIM with min-idle 0 and JUSTID: no
     * delivery is counted) and returns how many those were. Checking the owner first matters: a plain XCLAIM would take
     * back an entry another worker already reclaimed. KEYS: stream; ARGV: group, consumer, entry ids.
     */
    private static final LuaScript EXTEND_LEASES = new LuaScript("""
            local kept = 0
            for i = 3, #ARGV do
              local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
              if pending[1] and pending[1][2] == ARGV[2] then
                redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
                kept = kept + 1
              end
            end
            return kept
            """);

    private final RedisLink link;
    private final QueueSettings settings;
    private final Shards shards;
    private final Shard[] shardStates;
    private final long completionBoundNanos;
    private final String consumerName;
    private final Consumer<byte[]> me;
    private final Replication replication;
    private final LongSupplier clock;
    private volatile RedisLink.Dedicated blockingConnection;
    /** The shard a poll starts at, and the one it blocks on when all are empty: both go round. */
    private int nextStart;
    private int nextBlock;
    private volatile boolean closed;
    /** When the delete streams of every shard are to be read again, and whether the last read found any. */
    private long nextDeleteReadNanos;
    private boolean deletesFound;

    public TaskConsumer(RedisLink link, QueueSettings settings, String consumerName) {
        this(link, settings, consumerName, System::nanoTime);
    }

    /** @param clock in nanoseconds, as {@link System#nanoTime} (tests pass their own) */
    TaskConsumer(RedisLink link, QueueSettings settings, String consumerName, LongSupplier clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        long now = clock.getAsLong();
        this.nextDeleteReadNanos = now;
        this.link = Objects.requireNonNull(link, "link");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.consumerName = Objects.requireNonNull(consumerName, "consumerName");
        this.shards = settings.shards();
        this.shardStates = new Shard[shards.count()];
        long commandTimeoutNanos = link.commandTimeout().toNanos();
        for (int shard = 0; shard < shards.count(); shard++) {
            QueueKeys keys = settings.keys(shard);
            shardStates[shard] = new Shard(shard, keys,
                    new StoredCompletions(link, keys, settings.forgetMarkerTtl(), commandTimeoutNanos), now);
        }
        // Sent within the command timeout, the reply within another.
        this.completionBoundNanos = link.boundNanos(2);
        this.me = Consumer.from(QueueKeys.bytes(QueueKeys.GROUP), QueueKeys.bytes(consumerName));
        this.replication = new Replication(link);
    }

    /**
     * One shard's keys, whether its consumer group is known to exist, where its reclaims have got to, and the batches
     * its stored uploads are completed in.
     */
    private static final class Shard {
        final int index;
        final QueueKeys keys;
        final StoredCompletions completions;
        /** Deletes first: the order in which streams are reclaimed and read. */
        final List<Reclaim> reclaims;
        volatile boolean groupReady;

        Shard(int index, QueueKeys keys, StoredCompletions completions, long nowNanos) {
            this.index = index;
            this.keys = keys;
            this.completions = completions;
            this.reclaims = List.of(new Reclaim(TaskStream.DELETES, nowNanos),
                    new Reclaim(TaskStream.UPLOADS, nowNanos));
        }
    }

    /** Where the reclaim of idle tasks of one stream has got to. */
    private static final class Reclaim {
        final TaskStream stream;
        String cursor = CURSOR_START;
        long nextNanos;

        Reclaim(TaskStream stream, long nowNanos) {
            this.stream = stream;
            this.nextNanos = nowNanos;
        }
    }

    /** A consumer name unique to this process: hostname-pid-random. */
    public static String uniqueConsumerName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        return host + "-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(random);
    }

    /**
     * Up to {@code max} tasks: first idle tasks of dead workers (looked for at most about once a second), then new
     * ones, waiting up to {@code block} for new work when nothing was reclaimed.
     *
     * @throws QueueUnavailableException when Redis cannot be reached; the caller waits a little and polls again
     */
    public synchronized List<Delivery> poll(int max, Duration block) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1");
        }
        if (closed) {
            throw new QueueUnavailableException("consumer is closed");
        }
        try {
            return pollOnce(max, block);
        } catch (QueueUnavailableException e) {
            if (!RedisLink.isErrorReply(e, "NOGROUP")) {
                throw e;
            }
            // Redis came back empty (restart without persistence, failover): make the group again and carry on.
            LOG.warn("Consumer group missing; creating it again");
            for (Shard shard : shardStates) {
                shard.groupReady = false;
                shard.reclaims.forEach(reclaim -> reclaim.cursor = CURSOR_START);
            }
            return pollOnce(max, block);
        }
    }

    /** The task's effect is done: acknowledge and delete it, so it no longer counts toward the queue length. */
    public void complete(Delivery delivery) {
        StreamScripts.COMPLETE.<Long>run(link, ScriptOutputType.INTEGER, new byte[][] {streamOf(delivery)},
                QueueKeys.bytes(QueueKeys.GROUP), QueueKeys.bytes(delivery.task().entryId()));
    }

    /** What {@link #completeStored} found and did. */
    public enum StoredCompletion {
        /** A delete accepted after the upload covers it: nothing was changed; remove the object, then complete. */
        COVERED,
        /** Counted and completed. */
        COMPLETED,
        /** Counted and completed; the user had (very probably) stored nothing before. */
        COMPLETED_NEW_CONTRIBUTOR
    }

    /**
     * The upload's object has been written: checks the forget marker again (the check after the write, see the class
     * comment) and, unless a delete covers the upload, adds {@code sessions} to {@code sessions_stored}, notes the
     * contributor and completes the task, all in one atomic step (the counters can never be counted twice when
     * completing fails after counting). Uploads finishing together share one call ({@link StoredCompletions}). Waits
     * at most twice the command timeout (to be sent, and for the reply); a failed call fails every upload in it.
     */
    public StoredCompletion completeStored(Delivery delivery, long sessions) {
        return completeStoredLater(delivery, sessions).await(link.timer(), completionBoundNanos);
    }

    /** {@link #completeStored} without waiting for the outcome: the request, handed to the delivery's shard. */
    StoredCompletions.Request completeStoredLater(Delivery delivery, long sessions) {
        if (delivery.task().type() != TaskType.UPLOAD) {
            throw new IllegalArgumentException("only an upload is completed as stored");
        }
        return shardOf(delivery).completions.submit(delivery, sessions);
    }

    /**
     * The attempt failed: deliver the task again after a back-off, or park it when attempts are exhausted.
     *
     * @param reason short, without personal data (kept on the dead letter)
     */
    public void retryLater(Delivery delivery, String reason) {
        if (delivery.attempt() >= settings.maxAttempts()) {
            deadLetter(delivery, reason);
            return;
        }
        long idleMs = settings.visibilityTimeout().toMillis() - backoffMillis(delivery.attempt());
        // JUSTID: this claim must not count as a delivery; the reclaim after the back-off will.
        link.await(link.commands().xclaim(streamOf(delivery), me,
                new XClaimArgs().minIdleTime(0).idle(idleMs).justid(), delivery.task().entryId()));
    }

    /**
     * How often a worker should {@link #extendLeases extend} the leases of the tasks it works on: a third of the
     * visibility timeout, so that two renewals in a row can fail (a Redis blip) before another worker may take over.
     */
    public Duration leaseRenewalInterval() {
        return settings.visibilityTimeout().dividedBy(3);
    }

    /**
     * The lease of a delivered task is its idle time in the group's pending list: {@code XAUTOCLAIM} takes over
     * tasks idle longer than the visibility timeout. Resetting it for the tasks still in progress means a live
     * worker's slow task (a 10 MiB upload to a slow S3) is never taken over, while a dead worker's tasks are taken
     * over within about the visibility timeout. Entries that were completed, handed back or taken over by another
     * worker meanwhile are left alone.
     *
     * @param deliveries the tasks in progress (of either stream)
     * @return how many of them this consumer still owned (the others were finished or taken over)
     * @throws QueueUnavailableException when Redis cannot be reached; the leases then run on and the next renewal
     *                                   tries again
     */
    public long extendLeases(Collection<Delivery> deliveries) {
        return renewLeases(deliveries, null);
    }

    /** {@link #extendLeases}, on a given connection ({@code null}: the link's). */
    private long renewLeases(Collection<Delivery> deliveries, RedisClusterAsyncCommands<byte[], byte[]> on) {
        Map<Integer, Map<TaskStream, List<Delivery>>> byStream = deliveries.stream().collect(Collectors.groupingBy(
                Delivery::shard, TreeMap::new, Collectors.groupingBy(Delivery::stream,
                        () -> new EnumMap<>(TaskStream.class), Collectors.toList())));
        long kept = 0;
        for (List<Delivery> ofStream : byStream.values().stream().flatMap(m -> m.values().stream()).toList()) {
            byte[][] args = Stream.concat(Stream.of(QueueKeys.GROUP, consumerName),
                    ofStream.stream().map(delivery -> delivery.task().entryId())).map(QueueKeys::bytes)
                    .toArray(byte[][]::new);
            Long owned = EXTEND_LEASES.run(link, on == null ? link.commands() : on, ScriptOutputType.INTEGER,
                    new byte[][] {streamOf(ofStream.get(0))}, args);
            kept += owned == null ? 0 : owned;
        }
        return kept;
    }

    /**
     * Parks the task in the dead-letter stream for an operator (an upload that a later delete covers is dropped
     * instead: it must not be stored anyway).
     *
     * @param reason short, without personal data
     * @return the dead letter's ID (the one the worker logs and {@code dead-letters list} shows), or empty when the
     *         task was dropped or no longer exists
     */
    public Optional<String> deadLetter(Delivery delivery, String reason) {
        return deadLetter(shardOf(delivery), delivery.stream(), delivery.task().entryId(), delivery.attempt(), reason);
    }

    /**
     * Gives an unfinished task back (graceful shutdown) so that another worker reclaims it at once; the hand-back does
     * not use up an attempt.
     */
    public void handBack(Delivery delivery) {
        link.await(sendHandBack(delivery));
    }

    private RedisFuture<List<StreamMessage<byte[], byte[]>>> sendHandBack(Delivery delivery) {
        return link.commands().xclaim(streamOf(delivery), me,
                new XClaimArgs().minIdleTime(0).idle(settings.visibilityTimeout().toMillis())
                        .retryCount(Math.max(0, delivery.attempt() - 1)).justid(),
                delivery.task().entryId());
    }

    /**
     * Closes this consumer's blocking connection. Its unfinished tasks stay pending and are reclaimed by others; when
     * it holds none, the consumer is also removed from the group so that names of past processes do not pile up.
     */
    @Override
    public void close() {
        // Not synchronized: closing the connection is what ends a poll blocked in XREADGROUP.
        closed = true;
        RedisLink.Dedicated connection = blockingConnection;
        blockingConnection = null;
        if (connection != null) {
            link.closeDedicatedConnection(connection);
        }
        for (Shard shard : shardStates) {
            if (!shard.groupReady) {
                continue;
            }
            for (TaskStream stream : TaskStream.values()) {
                try {
                    StreamScripts.RETIRE_CONSUMER.<Long>run(link, ScriptOutputType.INTEGER,
                            new byte[][] {shard.keys.stream(stream)}, QueueKeys.bytes(QueueKeys.GROUP),
                            QueueKeys.bytes(consumerName));
                } catch (QueueUnavailableException e) {
                    LOG.debug("Consumer not retired: Redis unavailable");
                }
            }
        }
    }

    private Shard shardOf(Delivery delivery) {
        if (delivery.shard() >= shardStates.length) {
            throw new IllegalArgumentException("no shard " + delivery.shard() + " of " + shardStates.length);
        }
        return shardStates[delivery.shard()];
    }

    private byte[] streamOf(Delivery delivery) {
        return shardOf(delivery).keys.stream(delivery.stream());
    }

    long backoffMillis(long attempt) {
        int doublings = (int) Math.min(Math.max(attempt - 1, 0), 30);
        return Math.min(settings.retryBaseDelay().toMillis() << doublings, settings.visibilityTimeout().toMillis());
    }

    private List<Delivery> pollOnce(int max, Duration block) {
        ensureGroups();
        int start = nextStart;
        nextStart = (start + 1) % shardStates.length;
        List<Delivery> deliveries = new ArrayList<>();
        for (int i = 0; i < shardStates.length; i++) {
            Shard shard = shardFrom(start, i);
            for (Reclaim reclaim : shard.reclaims) {
                if (deliveries.size() < max) {
                    deliveries.addAll(reclaimIdle(shard, reclaim, max - deliveries.size()));
                }
            }
        }
        if (deliveries.size() < max) {
            deliveries.addAll(readNew(start, max - deliveries.size(), deliveries.isEmpty() ? block : Duration.ZERO));
        }
        return withForgetMarkers(replicated(deliveries));
    }

    /**
     * With {@code REDIS_MIN_REPLICAS} = N, only the tasks that N replicas hold: a task the primary has and its replicas
     * do not may be an upload whose client was answered 503 (the web's WAIT failed) and which a failover then loses;
     * storing it would store the client's retry a second time. So the leases of the polled tasks are renewed (a write,
     * on the connection to the shard's master) and a WAIT on that connection tells whether the replicas have reached
     * it, hence the tasks' own earlier writes. Tasks of a shard whose replicas do not acknowledge are handed back
     * (no attempt used) and polled again later.
     */
    private List<Delivery> replicated(List<Delivery> deliveries) {
        if (!replication.required() || deliveries.isEmpty()) {
            return deliveries;
        }
        Map<Integer, List<Delivery>> byShard = deliveries.stream()
                .collect(Collectors.groupingBy(Delivery::shard, TreeMap::new, Collectors.toList()));
        List<Delivery> held = new ArrayList<>(deliveries.size());
        for (List<Delivery> ofShard : byShard.values()) {
            try {
                long mark = replication.mark();
                RedisClusterAsyncCommands<byte[], byte[]> writer = link.awaitWriter(streamOf(ofShard.get(0)));
                renewLeases(ofShard, writer);
                replication.await(mark, writer);
                held.addAll(ofShard);
            } catch (QueueUnavailableException e) {
                LOG.atWarn().addKeyValue("type", "queue.unreplicated").addKeyValue("tasks", ofShard.size())
                        .log("Tasks handed back until the Redis replicas hold them: " + e.getMessage());
                handBackAll(ofShard);
            }
        }
        return held;
    }

    /**
     * The check before the write for a whole poll: one MGET of the uploads' forget markers instead of one GET per task.
     * Checking at poll time rather than just before the write is as safe: the check after the write
     * ({@link #completeStored}) covers any marker that appears later. If the lookup fails, the poll fails: the tasks
     * it read stay pending and are reclaimed after the visibility timeout, as when the reply to XREADGROUP is lost.
     */
    private List<Delivery> withForgetMarkers(List<Delivery> deliveries) {
        List<String> users = deliveries.stream().filter(d -> d.task().type() == TaskType.UPLOAD)
                .map(d -> d.task().user()).distinct().toList();
        if (users.isEmpty()) {
            return deliveries;
        }
        Map<String, Integer> shardOfUser = new HashMap<>();
        deliveries.forEach(d -> shardOfUser.putIfAbsent(d.task().user(), d.shard()));
        byte[][] markerKeys = users.stream().map(user -> shardStates[shardOfUser.get(user)].keys.forget(user))
                .toArray(byte[][]::new);
        // In cluster mode Lettuce splits the MGET by slot and puts the replies back in the keys' order.
        List<KeyValue<byte[], byte[]>> values = link.await(link.commands().mget(markerKeys));
        Map<String, String> markers = new HashMap<>();
        for (int i = 0; i < users.size(); i++) {
            if (values.get(i).hasValue()) {
                markers.put(users.get(i), QueueKeys.text(values.get(i).getValue()));
            }
        }
        long oldestJudged = System.currentTimeMillis() - settings.forgetMarkerTtl().toMillis();
        List<Delivery> marked = new ArrayList<>(deliveries.size());
        for (Delivery delivery : deliveries) {
            Task task = delivery.task();
            String marker = task.type() == TaskType.UPLOAD ? markers.get(task.user()) : null;
            boolean covered = marker != null && StreamIds.compare(marker, task.orderId()) > 0;
            boolean tooOld = task.type() == TaskType.UPLOAD && StreamIds.millis(task.orderId()) <= oldestJudged;
            marked.add(covered || tooOld
                    ? new Delivery(task, delivery.attempt(), true, delivery.stream(), delivery.shard()) : delivery);
        }
        return marked;
    }

    private void ensureGroups() {
        for (Shard shard : shardStates) {
            if (shard.groupReady) {
                continue;
            }
            // From 0, not $: finished tasks are deleted, so everything in the stream is unfinished work, including
            // tasks that a producer added after Redis lost the group and before this consumer noticed.
            for (TaskStream stream : TaskStream.values()) {
                createGroup(shard.keys.stream(stream));
            }
            shard.groupReady = true;
        }
    }

    private void createGroup(byte[] streamKey) {
        try {
            link.await(link.commands().xgroupCreate(XReadArgs.StreamOffset.from(streamKey, "0"),
                    QueueKeys.bytes(QueueKeys.GROUP), XGroupCreateArgs.Builder.mkstream()));
        } catch (QueueUnavailableException e) {
            if (!RedisLink.isErrorReply(e, "BUSYGROUP")) {
                throw e;
            }
        }
    }

    private List<Delivery> reclaimIdle(Shard shard, Reclaim reclaim, int max) {
        long now = clock.getAsLong();
        if (CURSOR_START.equals(reclaim.cursor) && now - reclaim.nextNanos < 0) {
            return List.of();
        }
        byte[] streamKey = shard.keys.stream(reclaim.stream);
        ClaimedMessages<byte[], byte[]> claimed = link.await(link.commands().xautoclaim(streamKey,
                new XAutoClaimArgs<byte[]>().consumer(me).minIdleTime(settings.visibilityTimeout())
                        .startId(reclaim.cursor).count(max)));
        reclaim.cursor = claimed.getId() == null ? CURSOR_START : claimed.getId();
        if (CURSOR_START.equals(reclaim.cursor)) {
            reclaim.nextNanos = now + RECLAIM_INTERVAL_NANOS;
        }
        List<StreamMessage<byte[], byte[]>> messages = claimed.getMessages();
        if (messages == null || messages.isEmpty()) {
            return List.of();
        }
        List<RedisFuture<List<PendingMessage>>> counts = new ArrayList<>();
        for (StreamMessage<byte[], byte[]> message : messages) {
            counts.add(link.commands().xpending(streamKey, QueueKeys.bytes(QueueKeys.GROUP),
                    Range.create(message.getId(), message.getId()), Limit.from(1)));
        }
        List<Delivery> deliveries = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            StreamMessage<byte[], byte[]> message = messages.get(i);
            List<PendingMessage> pending = link.await(counts.get(i));
            if (pending == null || pending.isEmpty() || !consumerName.equals(pending.get(0).getConsumer())) {
                continue; // finished or taken by another worker meanwhile
            }
            long attempt = pending.get(0).getRedeliveryCount();
            if (attempt > (long) settings.maxAttempts() + POISON_MARGIN) {
                deadLetter(shard, reclaim.stream, message.getId(), attempt,
                        "delivered " + attempt + " times without finishing");
                continue;
            }
            toDelivery(shard, reclaim.stream, message, attempt).ifPresent(deliveries::add);
        }
        return deliveries;
    }

    /**
     * Up to {@code count} new tasks, deletes first, from shard {@code start} on (see the class comment, Shards). The
     * blocking read asks both streams of one shard for one task each; if both answer and only one place is free, the
     * upload is handed back at once (no attempt used) rather than held without a place to run in.
     */
    private List<Delivery> readNew(int start, int count, Duration block) {
        long now = clock.getAsLong();
        List<Delivery> deliveries = new ArrayList<>();
        if (shardStates.length == 1 || deletesFound || now - nextDeleteReadNanos >= 0) {
            deliveries = readDeletes(start, count);
            deletesFound = !deliveries.isEmpty();
            nextDeleteReadNanos = now + SHARD_BLOCK.toNanos();
        }
        for (int i = 0; i < shardStates.length && deliveries.size() < count; i++) {
            Shard shard = shardFrom(start, i);
            deliveries.addAll(read(shard, count - deliveries.size(), Duration.ZERO, TaskStream.UPLOADS));
        }
        if (deliveries.isEmpty() && block.isPositive()) {
            Shard shard = shardStates[nextBlock];
            nextBlock = (nextBlock + 1) % shardStates.length;
            Duration wait = shardStates.length > 1 && block.compareTo(SHARD_BLOCK) > 0 ? SHARD_BLOCK : block;
            deliveries.addAll(read(shard, 1, wait, TaskStream.DELETES, TaskStream.UPLOADS));
            while (deliveries.size() > count) {
                handBack(deliveries.remove(deliveries.size() - 1)); // the deletes come first: an upload goes back
            }
        }
        return deliveries;
    }

    /** The {@code i}-th shard of a poll that starts at shard {@code start}. */
    private Shard shardFrom(int start, int i) {
        return shardStates[(start + i) % shardStates.length];
    }

    /**
     * Up to {@code count} new deletes of every shard, from {@code start} on. Every shard's read is sent before the
     * first reply is awaited: one round trip, not one per shard. Each read asks for the whole room, since deletes are
     * rare and usually in one shard at most; those beyond the room (several shards holding deletes at once) are handed
     * back at once, no attempt used, and come again with the next reclaim.
     */
    private List<Delivery> readDeletes(int start, int count) {
        List<RedisFuture<List<StreamMessage<byte[], byte[]>>>> reads = new ArrayList<>(shardStates.length);
        for (int i = 0; i < shardStates.length; i++) {
            Shard shard = shardFrom(start, i);
            reads.add(sendRead(shard, count, Duration.ZERO, TaskStream.DELETES));
        }
        List<Delivery> deletes = new ArrayList<>();
        for (int i = 0; i < shardStates.length; i++) {
            deletes.addAll(deliveriesOf(shardFrom(start, i), link.await(reads.get(i))));
        }
        if (deletes.size() <= count) {
            return deletes;
        }
        handBackAll(deletes.subList(count, deletes.size()));
        return new ArrayList<>(deletes.subList(0, count));
    }

    /** {@link #handBack} for several tasks in one round trip; one that fails stays pending and is reclaimed later. */
    private void handBackAll(List<Delivery> deliveries) {
        List<RedisFuture<List<StreamMessage<byte[], byte[]>>>> claims = new ArrayList<>();
        try {
            deliveries.forEach(delivery -> claims.add(sendHandBack(delivery)));
        } catch (QueueUnavailableException notConnected) {
            // Those not sent stay pending with this consumer and are reclaimed after the visibility timeout.
        }
        for (RedisFuture<List<StreamMessage<byte[], byte[]>>> claim : claims) {
            try {
                link.await(claim);
            } catch (QueueUnavailableException e) {
                // Stays pending with this consumer and is reclaimed after the visibility timeout.
            }
        }
    }

    /** One XREADGROUP of new entries from one or both streams of a shard. */
    private List<Delivery> read(Shard shard, int count, Duration block, TaskStream... streams) {
        return deliveriesOf(shard, link.await(sendRead(shard, count, block, streams), block));
    }

    @SuppressWarnings("unchecked") // Lettuce's varargs of a generic StreamOffset; nothing unsafe
    private RedisFuture<List<StreamMessage<byte[], byte[]>>> sendRead(Shard shard, int count, Duration block,
            TaskStream... streams) {
        XReadArgs args = XReadArgs.Builder.count(count);
        if (block.isPositive()) {
            args.block(block); // never BLOCK 0: that would wait forever
        }
        XReadArgs.StreamOffset<byte[]>[] offsets = Arrays.stream(streams)
                .map(s -> XReadArgs.StreamOffset.lastConsumed(shard.keys.stream(s)))
                .toArray(XReadArgs.StreamOffset[]::new);
        return blockingConnection().commands().xreadgroup(me, args, offsets);
    }

    private List<Delivery> deliveriesOf(Shard shard, List<StreamMessage<byte[], byte[]>> messages) {
        List<Delivery> deliveries = new ArrayList<>();
        if (messages != null) {
            byte[] deletes = shard.keys.deletes();
            for (StreamMessage<byte[], byte[]> message : messages) {
                TaskStream from = Arrays.equals(message.getStream(), deletes)
                        ? TaskStream.DELETES : TaskStream.UPLOADS;
                toDelivery(shard, from, message, 1).ifPresent(deliveries::add);
            }
        }
        return deliveries;
    }

    private Optional<Delivery> toDelivery(Shard shard, TaskStream stream, StreamMessage<byte[], byte[]> message,
            long attempt) {
        Optional<Task> task = TaskEntries.task(message);
        if (task.isEmpty()) {
            deadLetter(shard, stream, message.getId(), attempt, "malformed entry");
            return Optional.empty();
        }
        return Optional.of(new Delivery(task.get(), attempt, false, stream, shard.index));
    }

    private RedisLink.Dedicated blockingConnection() {
        RedisLink.Dedicated connection = blockingConnection;
        if (connection == null) {
            connection = link.openDedicatedConnection();
            blockingConnection = connection;
            if (closed) {
                close();
                throw new QueueUnavailableException("consumer is closed");
            }
        }
        return connection;
    }

    private Optional<String> deadLetter(Shard shard, TaskStream stream, String entryId, long attempt,
            String reason) {
        String shortReason = shorten(reason);
        QueueKeys keys = shard.keys;
        List<Object> reply = StreamScripts.DEAD_LETTER.run(link, ScriptOutputType.MULTI,
                new byte[][] {keys.stream(stream), keys.dead(), keys.deletes()}, QueueKeys.bytes(QueueKeys.GROUP),
                QueueKeys.bytes(entryId), QueueKeys.bytes(shortReason), QueueKeys.bytes(System.currentTimeMillis()),
                QueueKeys.bytes(keys.forgetPrefix()), QueueKeys.bytes(keys.deadIndexPrefix()),
                QueueKeys.bytes(settings.deadIndexTtl().toMillis()));
        long outcome = reply == null || reply.isEmpty() ? 0 : (Long) reply.get(0);
        if (outcome == 1) {
            String parked = shards.label(shard.index, QueueKeys.text((byte[]) reply.get(1)));
            // Both IDs: the task's, as earlier lines about it said, and the dead letter's, as dead-letters list shows.
            LOG.warn("Task {} parked as dead letter {} after attempt {}: {}", entryId, parked, attempt, shortReason);
            return Optional.of(parked);
        }
        if (outcome == 2) {
            LOG.info("Task {} dropped after attempt {}: its user asked to be forgotten since (the delete is queued "
                    + "again to remove anything an attempt wrote)", entryId, attempt);
        }
        return Optional.empty();
    }

    private static String shorten(String reason) {
        String text = reason == null || reason.isBlank() ? "unspecified" : reason;
        return text.length() > MAX_REASON_LENGTH ? text.substring(0, MAX_REASON_LENGTH) : text;
    }
}
