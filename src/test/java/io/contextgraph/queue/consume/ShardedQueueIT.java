package io.contextgraph.queue.consume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.contextgraph.queue.QueueKeys;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.QueueTestBed;
import io.contextgraph.queue.ShardCount;
import io.contextgraph.queue.Shards;
import io.contextgraph.queue.StreamIds;
import io.contextgraph.queue.TaskStream;
import io.contextgraph.queue.TaskType;
import io.contextgraph.queue.deadletter.DeadLetters;
import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.queue.redis.QueueFullException;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.queue.redis.RedisSettings;
import io.contextgraph.testing.RedisCluster;
import io.contextgraph.testing.RedisServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The queue split into shards: on one redis-server with QUEUE_SHARDS=4, and on a Redis Cluster of 3 masters (each
 * with a replica) with the cluster client. Uploads of many users spread over every shard (and master) and are each
 * delivered once; a backlog on one shard does not starve another; deletes are exact per shard; completions are
 * batched per shard; with
 * REDIS_MIN_REPLICAS the WAIT runs on the master that took the write.
 */
@Timeout(180)
class ShardedQueueIT {

    private static final AtomicInteger PREFIXES = new AtomicInteger();

    static QueueSettings settings(Shards shards, int maxAttempts) {
        return new QueueSettings("s" + PREFIXES.incrementAndGet() + ":", 1000, Duration.ofSeconds(2), maxAttempts,
                Duration.ofMillis(100), Duration.ofDays(30)).withShards(shards);
    }

    /** A user token of the given shard. */
    static String userOf(Shards shards, int shard) {
        for (int i = 0; ; i++) {
            String user = "user-" + shard + "-" + i;
            if (shards.of(user) == shard) {
                return user;
            }
        }
    }

    /** Uploads of 200 users, all delivered once to one consumer, and their shards. */
    static void everyUploadIsDeliveredOnce(RedisLink link, QueueSettings settings) {
        TaskQueue queue = new TaskQueue(link, settings);
        Map<String, String> userOfUpload = new HashMap<>();
        Set<Integer> shardsUsed = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            String user = "spread-" + i;
            userOfUpload.put(queue.enqueueUpload(user, new byte[] {(byte) i}), user);
            shardsUsed.add(settings.shards().of(user));
        }
        assertThat(shardsUsed).hasSize(settings.shards().count());
        long[] lengths = queue.lengths();
        assertThat(lengths).hasSize(settings.shards().count()).doesNotContain(0L);
        assertThat(queue.length()).isEqualTo(200);

        try (TaskConsumer consumer = new TaskConsumer(link, settings, "spread")) {
            Set<String> delivered = new HashSet<>();
            List<Delivery> got = QueueTestBed.pollUntil(consumer, 200, Duration.ofSeconds(60));
            for (Delivery delivery : got) {
                assertThat(delivered.add(delivery.task().uploadId())).as("delivered once").isTrue();
                assertThat(delivery.task().user()).isEqualTo(userOfUpload.get(delivery.task().uploadId()));
                assertThat(delivery.shard()).isEqualTo(settings.shards().of(delivery.task().user()));
                consumer.completeStored(delivery, 1);
            }
            assertThat(delivered).isEqualTo(userOfUpload.keySet());
            assertThat(consumer.poll(10, Duration.ofMillis(300))).isEmpty();
        }
        assertThat(queue.length()).isZero();
        Map<String, Long> stats = new QueueStats(link, settings).snapshot();
        assertThat(stats).containsEntry("uploads_accepted", 200L).containsEntry("sessions_stored", 200L)
                .containsEntry("queue_length", 0L);
        assertThat(stats.get("contributors_estimate")).isBetween(190L, 210L);
    }

    /** A backlog of 20 on one shard, then one upload on another: it comes within as many polls as there are shards. */
    static void aBacklogOnOneShardDoesNotStarveAnother(RedisLink link, QueueSettings settings) {
        Shards shards = settings.shards();
        TaskQueue queue = new TaskQueue(link, settings);
        String busy = userOf(shards, 1);
        for (int i = 0; i < 20; i++) {
            queue.enqueueUpload(busy, new byte[] {(byte) i});
        }
        String other = userOf(shards, 2);
        String lone = queue.enqueueUpload(other, new byte[] {42});
        try (TaskConsumer consumer = new TaskConsumer(link, settings, "fair")) {
            List<String> seen = new ArrayList<>();
            for (int poll = 0; poll < shards.count(); poll++) {
                List<Delivery> got = consumer.poll(1, Duration.ZERO);
                assertThat(got).hasSize(1);
                seen.add(got.get(0).task().uploadId());
            }
            assertThat(seen).as("the lone upload within " + shards.count() + " polls").contains(lone);
        }
    }

    /**
     * A delete in every shard and a poll with room for two: two come, the others are handed back rather than held
     * beyond the room, and each comes once later, still at its first attempt (a delete held or dropped by the consumer
     * would come back only after the visibility timeout, at its second).
     */
    static void deletesBeyondAPollsRoomAreHandedBackAndComeLaterAtTheirFirstAttempt(RedisLink link,
            QueueSettings settings) {
        Shards shards = settings.shards();
        TaskQueue queue = new TaskQueue(link, settings);
        List<String> users = new ArrayList<>();
        for (int shard = 0; shard < shards.count(); shard++) {
            users.add(userOf(shards, shard));
            queue.enqueueDelete(users.get(shard));
        }
        try (TaskConsumer consumer = new TaskConsumer(link, settings, "room")) {
            List<Delivery> got = new ArrayList<>(consumer.poll(2, Duration.ZERO));
            assertThat(got).hasSize(2).allSatisfy(d -> assertThat(d.task().type()).isEqualTo(TaskType.DELETE));
            got.addAll(QueueTestBed.pollUntil(consumer, shards.count() - 2, Duration.ofSeconds(20)));
            assertThat(got).extracting(d -> d.task().user()).containsExactlyInAnyOrderElementsOf(users);
            assertThat(got).extracting(Delivery::attempt).containsOnly(1L);
            assertThat(consumer.poll(10, Duration.ofMillis(300))).isEmpty();
        }
    }

    /**
     * With shards, a poll reads the delete streams only when the last such read is {@link TaskConsumer#SHARD_BLOCK}
     * old (on the consumer's clock, driven here by hand) or found deletes: a delete on another shard than the upload
     * backlog is not looked for by the polls within that time, and is the first task of the poll after it.
     */
    static void withShardsTheDeleteStreamsAreReadWhenTheLastReadIsAShardBlockOld(RedisLink link,
            QueueSettings settings) {
        Shards shards = settings.shards();
        TaskQueue queue = new TaskQueue(link, settings);
        String uploader = userOf(shards, 1);
        for (int i = 0; i < 10; i++) {
            queue.enqueueUpload(uploader, new byte[] {(byte) i});
        }
        AtomicLong now = new AtomicLong(1_000_000_000L);
        long block = TaskConsumer.SHARD_BLOCK.toNanos();
        try (TaskConsumer consumer = new TaskConsumer(link, settings, "sweep", now::get)) {
            assertThat(consumer.poll(1, Duration.ZERO)).singleElement()
                    .satisfies(d -> assertThat(d.task().type()).isEqualTo(TaskType.UPLOAD));
            queue.enqueueDelete(userOf(shards, 2));
            now.addAndGet(block - 1);
            assertThat(consumer.poll(1, Duration.ZERO)).as("within the time: uploads only").singleElement()
                    .satisfies(d -> assertThat(d.task().type()).isEqualTo(TaskType.UPLOAD));
            now.addAndGet(1);
            assertThat(consumer.poll(1, Duration.ZERO)).as("then the delete first").singleElement()
                    .satisfies(d -> assertThat(d.task().type()).isEqualTo(TaskType.DELETE));
            queue.enqueueDelete(userOf(shards, 3));
            assertThat(consumer.poll(1, Duration.ZERO)).as("after a read that found one, at once").singleElement()
                    .satisfies(d -> assertThat(d.task().type()).isEqualTo(TaskType.DELETE));
        }
    }

    /** A delete covers exactly its user's earlier uploads, in the user's shard; other users stay. */
    static void aDeleteIsExactPerShard(RedisLink link, QueueSettings settings, RedisServer anyNode) {
        Shards shards = settings.shards();
        TaskQueue queue = new TaskQueue(link, settings);
        String forgotten = userOf(shards, 0);
        String kept = userOf(shards, 3);
        String before = queue.enqueueUpload(forgotten, new byte[] {1});
        String keptId = queue.enqueueUpload(kept, new byte[] {2});
        String order = queue.enqueueDelete(forgotten);
        String after = queue.enqueueUpload(forgotten, new byte[] {3});
        assertThat(StreamIds.compare(order, "0-1")).isPositive();

        try (TaskConsumer consumer = new TaskConsumer(link, settings, "deletes")) {
            List<Delivery> got = QueueTestBed.pollUntil(consumer, 4, Duration.ofSeconds(20));
            assertThat(got).hasSize(4);
            assertThat(got.get(0).task().type()).as("the delete first").isEqualTo(TaskType.DELETE);
            assertThat(got.get(0).shard()).isZero();
            assertThat(got.get(0).stream()).isEqualTo(TaskStream.DELETES);
            Map<String, Delivery> uploads = new HashMap<>();
            got.stream().filter(d -> d.task().type() == TaskType.UPLOAD).forEach(d -> uploads.put(d.task().uploadId(), d));
            assertThat(uploads.get(before).coveredWhenPolled()).isTrue();
            assertThat(uploads.get(after).coveredWhenPolled()).isFalse();
            assertThat(uploads.get(keptId).coveredWhenPolled()).isFalse();
            assertThat(consumer.completeStored(uploads.get(before), 1)).isEqualTo(TaskConsumer.StoredCompletion.COVERED);
            assertThat(consumer.completeStored(uploads.get(after), 1)).isNotEqualTo(TaskConsumer.StoredCompletion.COVERED);
            assertThat(consumer.completeStored(uploads.get(keptId), 1)).isNotEqualTo(TaskConsumer.StoredCompletion.COVERED);
        }
        // The marker lives in the user's shard only (redis-cli -c follows the cluster's redirections).
        String prefix = settings.keyPrefix();
        assertThat(cliFollowing(anyNode, "GET", prefix + "{0}:forget:" + forgotten)).isEqualTo(order);
        for (int shard = 1; shard < shards.count(); shard++) {
            assertThat(cliFollowing(anyNode, "EXISTS", prefix + "{" + shard + "}:forget:" + forgotten)).isEqualTo("0");
        }
    }

    /** A user token of the given shard other than {@link #userOf(Shards, int)}'s. */
    static String otherUserOf(Shards shards, int shard) {
        for (int i = 0; ; i++) {
            String user = "other-" + shard + "-" + i;
            if (shards.of(user) == shard) {
                return user;
            }
        }
    }

    /**
     * Completions of users of several shards handed in while each shard's first call is on its way (Redis paused):
     * each shard's others go in one call of their own, every upload is completed exactly once, and an upload covered by
     * a delete is reported covered inside its batch (left pending for its object's removal) while the others complete.
     */
    static void aBatchOfCompletionsOfSeveralShardsCompletesEachOnce(RedisLink link, QueueSettings settings,
            List<RedisServer> masters) {
        Shards shards = settings.shards();
        int used = Math.min(shards.count(), 4);
        TaskQueue queue = new TaskQueue(link, settings);
        Map<String, Integer> shardOfUpload = new HashMap<>();
        for (int shard = 0; shard < used; shard++) {
            shardOfUpload.put(queue.enqueueUpload(userOf(shards, shard), new byte[] {0}), shard);
        }
        String forgotten = otherUserOf(shards, 0);
        String covered = queue.enqueueUpload(forgotten, new byte[] {9});
        try (TaskConsumer consumer = new TaskConsumer(link, settings, "batches")) {
            // One completion per shard first: each loads the script on its master and makes its user a contributor.
            Map<String, Delivery> firsts = new HashMap<>();
            QueueTestBed.pollUntil(consumer, used + 1, Duration.ofSeconds(20))
                    .forEach(d -> firsts.put(d.task().uploadId(), d));
            assertThat(firsts).hasSize(used + 1);
            for (String uploadId : shardOfUpload.keySet()) {
                assertThat(consumer.completeStored(firsts.get(uploadId), 1))
                        .isEqualTo(TaskConsumer.StoredCompletion.COMPLETED_NEW_CONTRIBUTOR);
            }
            queue.enqueueDelete(forgotten); // while the covered upload is being written
            List<String> leads = new ArrayList<>();
            List<String> others = new ArrayList<>();
            for (int shard = 0; shard < used; shard++) {
                leads.add(queue.enqueueUpload(userOf(shards, shard), new byte[] {1}));
                others.add(queue.enqueueUpload(userOf(shards, shard), new byte[] {2}));
                others.add(queue.enqueueUpload(userOf(shards, shard), new byte[] {3}));
            }
            Map<String, Delivery> uploads = new HashMap<>();
            List<Delivery> got = QueueTestBed.pollUntil(consumer, 3 * used + 1, Duration.ofSeconds(20));
            got.stream().filter(d -> d.task().type() == TaskType.UPLOAD).forEach(d -> uploads.put(d.task().uploadId(), d));
            assertThat(uploads).hasSize(3 * used);
            Delivery delete = got.stream().filter(d -> d.task().type() == TaskType.DELETE).findFirst().orElseThrow();
            long callsBefore = masters.stream().mapToLong(QueueTestBed::scriptCalls).sum();

            StoredCompletions.Request coveredRequest;
            Map<String, StoredCompletions.Request> requests = new HashMap<>();
            masters.forEach(RedisServer::pause);
            try {
                for (String lead : leads) {
                    requests.put(lead, consumer.completeStoredLater(uploads.get(lead), 1));
                }
                coveredRequest = consumer.completeStoredLater(firsts.get(covered), 1);
                for (String other : others) {
                    requests.put(other, consumer.completeStoredLater(uploads.get(other), 1));
                }
            } finally {
                masters.forEach(RedisServer::resume);
            }

            assertThat(coveredRequest.outcome().join()).isEqualTo(TaskConsumer.StoredCompletion.COVERED);
            requests.forEach((uploadId, request) -> assertThat(request.outcome().join()).as(uploadId)
                    .isEqualTo(TaskConsumer.StoredCompletion.COMPLETED));
            long calls = masters.stream().mapToLong(QueueTestBed::scriptCalls).sum() - callsBefore;
            assertThat(calls).as("per shard: its first call alone, then one for the rest").isEqualTo(2L * used);
            // Only the covered upload (its object is removed, then it is completed) and the delete are left.
            assertThat(queue.length()).isEqualTo(2);
            consumer.complete(firsts.get(covered));
            consumer.complete(delete);
            assertThat(queue.length()).isZero();
            assertThat(consumer.poll(10, Duration.ofMillis(300))).as("nothing delivered again").isEmpty();
        }
        Map<String, Long> stats = new QueueStats(link, settings).snapshot();
        assertThat(stats).containsEntry("sessions_stored", 4L * used);
    }

    /** A parked task's ID names its shard, in the consumer's answer, in the listing, and for replay. */
    static void deadLettersNameTheirShard(RedisLink link, QueueSettings settings) {
        Shards shards = settings.shards();
        TaskQueue queue = new TaskQueue(link, settings);
        String user = userOf(shards, 3);
        String uploadId = queue.enqueueUpload(user, new byte[] {9});
        DeadLetters deadLetters = new DeadLetters(link, settings);
        try (TaskConsumer consumer = new TaskConsumer(link, settings, "parks")) {
            Delivery delivery = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(10)).get(0);
            Optional<String> parked = consumer.deadLetter(delivery, "test");
            assertThat(parked).hasValueSatisfying(id -> assertThat(id).startsWith("3/"));
            assertThat(deadLetters.list(TaskType.UPLOAD, 10)).singleElement()
                    .satisfies(letter -> assertThat(letter.id()).isEqualTo(parked.get()));
            assertThat(deadLetters.replay(Optional.of(parked.get().substring(2)))).as("without its shard").isZero();
            assertThat(deadLetters.replay(parked)).isEqualTo(1);
            List<Delivery> again = QueueTestBed.pollUntil(consumer, 1, Duration.ofSeconds(10));
            assertThat(again).singleElement().satisfies(d -> {
                assertThat(d.task().uploadId()).isEqualTo(uploadId);
                assertThat(d.shard()).isEqualTo(3);
            });
            consumer.complete(again.get(0));
        }
        assertThat(deadLetters.list(10)).isEmpty();
    }

    private static String cliFollowing(RedisServer node, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "-c";
        System.arraycopy(args, 0, all, 1, args.length);
        return node.cli(all);
    }

    /** The length of a command in RESP, as a client sends it: an array of bulk strings. */
    static long respLength(String... args) {
        long length = ("*" + args.length + "\r\n").length();
        for (String arg : args) {
            int bytes = arg.getBytes(StandardCharsets.UTF_8).length;
            length += ("$" + bytes + "\r\n").length() + bytes + 2;
        }
        return length;
    }

    /** Bytes received and not yet read by the server side of every TCP connection to a local port (Linux). */
    static long bytesWaitingAt(int port) throws IOException {
        String local = String.format(":%04X", port);
        long waiting = 0;
        for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length > 4 && fields[1].endsWith(local)) {
                waiting += Long.parseLong(fields[4].substring(fields[4].indexOf(':') + 1), 16);
            }
        }
        return waiting;
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class OnOneRedisServer {
        private final Shards shards = Shards.of(4, false);
        private RedisServer server;
        private RedisLink link;

        @BeforeAll
        void start() {
            server = new RedisServer();
            link = new RedisLink(QueueTestBed.settingsFor(server));
            link.start();
        }

        @AfterAll
        void stop() {
            link.close();
            server.close();
        }

        @Test
        void uploadsOfManyUsersSpreadOverEveryShardAndAreDeliveredOnce() {
            QueueSettings settings = settings(shards, 3);
            everyUploadIsDeliveredOnce(link, settings);
            for (int shard = 0; shard < 4; shard++) {
                assertThat(server.cli("EXISTS", settings.keyPrefix() + "{" + shard + "}:tasks")).isEqualTo("1");
            }
            assertThat(server.cli("EXISTS", settings.keyPrefix() + "tasks")).isEqualTo("0");
        }

        @Test
        void aBacklogOnOneShardDoesNotStarveAnother() {
            ShardedQueueIT.aBacklogOnOneShardDoesNotStarveAnother(link, settings(shards, 3));
        }

        @Test
        void aDeleteIsExactPerShard() {
            ShardedQueueIT.aDeleteIsExactPerShard(link, settings(shards, 3), server);
        }

        @Test
        void deletesBeyondAPollsRoomAreHandedBackAndComeLaterAtTheirFirstAttempt() {
            ShardedQueueIT.deletesBeyondAPollsRoomAreHandedBackAndComeLaterAtTheirFirstAttempt(link, settings(shards, 3));
        }

        @Test
        void withShardsTheDeleteStreamsAreReadWhenTheLastReadIsAShardBlockOld() {
            ShardedQueueIT.withShardsTheDeleteStreamsAreReadWhenTheLastReadIsAShardBlockOld(link, settings(shards, 3));
        }

        /**
         * The delete reads of all shards are sent before the first reply is awaited. Forced with Redis frozen
         * (SIGSTOP): a consumer that awaits each read before sending the next gets one read into Redis's socket and no
         * further; this one gets all of them there, byte for byte, while Redis answers nothing.
         */
        @Test
        void theDeleteReadsOfAllShardsAreSentBeforeTheFirstReplyIsAwaited() throws Exception {
            QueueSettings settings = settings(shards, 3);
            AtomicLong now = new AtomicLong(1_000_000_000L);
            try (TaskConsumer consumer = new TaskConsumer(link, settings, "pipelined", now::get);
                    ExecutorService poller = Executors.newSingleThreadExecutor()) {
                assertThat(consumer.poll(1, Duration.ZERO)).isEmpty(); // groups made, reclaims done for a second
                now.addAndGet(TaskConsumer.SHARD_BLOCK.toNanos()); // the delete reads are due again, reclaims not
                long reads = 0;
                for (int shard = 0; shard < shards.count(); shard++) {
                    reads += respLength("XREADGROUP", "GROUP", QueueKeys.GROUP, "pipelined", "COUNT", "1", "STREAMS",
                            QueueKeys.text(settings.keys(shard).deletes()), ">");
                }
                long expected = reads;
                server.pause();
                Future<?> poll;
                try {
                    poll = poller.submit(() -> consumer.poll(1, Duration.ZERO));
                    await().atMost(Duration.ofSeconds(5)).until(() -> bytesWaitingAt(server.port()) >= expected);
                } finally {
                    server.resume();
                }
                try {
                    poll.get(10, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    // The poll may have timed out while Redis was frozen: what it sent is the point here.
                    assertThat(e.getCause()).isInstanceOf(QueueUnavailableException.class);
                }
            }
        }

        @Test
        void deadLettersNameTheirShard() {
            ShardedQueueIT.deadLettersNameTheirShard(link, settings(shards, 1));
        }

        @Test
        void aBatchOfCompletionsOfSeveralShardsCompletesEachOnce() {
            ShardedQueueIT.aBatchOfCompletionsOfSeveralShardsCompletesEachOnce(link, settings(shards, 3),
                    List.of(server));
        }

        @Test
        void theCapIsSplitOverTheShards() {
            QueueSettings settings = new QueueSettings("cap" + PREFIXES.incrementAndGet() + ":", 8,
                    Duration.ofSeconds(2), 3, Duration.ofMillis(100), Duration.ofDays(30)).withShards(shards);
            TaskQueue queue = new TaskQueue(link, settings);
            String user = userOf(shards, 1);
            queue.enqueueUpload(user, new byte[] {1});
            queue.enqueueUpload(user, new byte[] {2});
            assertThatThrownBy(() -> queue.enqueueUpload(user, new byte[] {3})).isInstanceOf(QueueFullException.class);
            queue.enqueueUpload(userOf(shards, 2), new byte[] {4}); // another shard has room
        }

        @Test
        void theFirstShardCountIsRecordedAndAnotherOneSeesIt() {
            QueueSettings four = settings(shards, 3);
            assertThat(new ShardCount(link, four).recordOrRead()).isEqualTo(4);
            QueueSettings two = four.withShards(Shards.of(2, false));
            assertThat(new ShardCount(link, two).recordOrRead()).isEqualTo(4);
            assertThat(server.cli("GET", four.keyPrefix() + "shards")).isEqualTo("4");
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class OnARedisCluster {
        private final Shards shards = Shards.of(16, true);
        private RedisCluster cluster;
        private RedisLink link;

        @BeforeAll
        void start() {
            cluster = RedisCluster.start(3, 1);
            link = clusterLink(0);
        }

        private RedisLink clusterLink(int minReplicas) {
            RedisLink opened = new RedisLink(new RedisSettings("127.0.0.1", cluster.seedPort(), Optional.empty(),
                    false, Duration.ofSeconds(1), minReplicas, true));
            opened.start();
            assertThat(opened.connected()).isTrue();
            return opened;
        }

        @AfterAll
        void stop() {
            if (link != null) {
                link.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        }

        @Test
        void uploadsOfManyUsersLandOnEveryMasterAndAreDeliveredOnce() {
            QueueSettings settings = settings(shards, 3);
            everyUploadIsDeliveredOnce(link, settings);
            Set<Integer> mastersOfShards = new HashSet<>();
            for (int shard = 0; shard < shards.count(); shard++) {
                mastersOfShards.add(cluster.masterOf(settings.keyPrefix() + "{" + shard + "}:tasks").port());
            }
            assertThat(mastersOfShards).hasSize(3);
            for (RedisCluster.Node master : cluster.masters()) {
                assertThat(cluster.keyCount(master)).as("keys on " + master.port()).isPositive();
            }
            assertThat(link.masters()).hasSize(3);
            assertThat(link.ping()).as("heartbeat: cluster_state ok").isTrue();
        }

        @Test
        void aBacklogOnOneShardDoesNotStarveAnother() {
            ShardedQueueIT.aBacklogOnOneShardDoesNotStarveAnother(link, settings(shards, 3));
        }

        @Test
        void aDeleteIsExactPerShard() {
            ShardedQueueIT.aDeleteIsExactPerShard(link, settings(shards, 3), cluster.server(cluster.masters().get(0)));
        }

        @Test
        void deletesBeyondAPollsRoomAreHandedBackAndComeLaterAtTheirFirstAttempt() {
            ShardedQueueIT.deletesBeyondAPollsRoomAreHandedBackAndComeLaterAtTheirFirstAttempt(link, settings(shards, 3));
        }

        @Test
        void deadLettersNameTheirShard() {
            ShardedQueueIT.deadLettersNameTheirShard(link, settings(shards, 1));
        }

        @Test
        void aBatchOfCompletionsOfSeveralShardsCompletesEachOnce() {
            ShardedQueueIT.aBatchOfCompletionsOfSeveralShardsCompletesEachOnce(link, settings(shards, 3),
                    cluster.masters().stream().map(cluster::server).toList());
        }

        @Test
        void withMinReplicasAWriteToAMasterThatLostTheSlotIsRefusedAndItsRetryIsStoredOnceOnTheNewMaster() {
            QueueSettings settings = settings(shards, 3);
            int shard = 7;
            String user = userOf(shards, shard);
            String tasks = settings.keyPrefix() + "{" + shard + "}:tasks";
            int slot = cluster.slotOf(tasks);
            try (RedisLink durable = clusterLink(1)) {
                TaskQueue queue = new TaskQueue(durable, settings);
                assertThat(queue.enqueueUpload(user, new byte[] {1})).isNotBlank();
                RedisCluster.Node from = cluster.masterOfSlot(slot);
                RedisCluster.Node to = cluster.anotherMaster(from);
                // The slot moves with its keys while this link is idle. Its topology is refreshed only every 30 s from
                // its start and on adaptive triggers, none of which this link has met yet: it still names the old
                // master, so the next pinned write gets MOVED there.
                cluster.beginMigration(slot, from, to);
                cluster.finishMigration(slot, from, to);

                assertThatThrownBy(() -> queue.enqueueUpload(user, new byte[] {2}))
                        .as("a pinned write is not redirected (its WAIT would count another connection's writes)")
                        .isInstanceOf(QueueUnavailableException.class).hasMessageContaining("MOVED");
                // The MOVED made the link refresh its topology: the client's retry of the same upload lands on the
                // new master, once (the refused attempt wrote nothing).
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> !queue.enqueueUpload(user, new byte[] {2}).isBlank());
                assertThat(queue.enqueueUpload(user, new byte[] {2})).as("a repeat is deduplicated").isNotBlank();
                assertThat(cluster.cli(to, "XLEN", tasks)).isEqualTo("2");
                assertThat(cluster.cli(from, "CLUSTER", "COUNTKEYSINSLOT", Integer.toString(slot))).isEqualTo("0");
            }
        }

        @Test
        void withMinReplicasTheWaitRunsOnTheMasterOfTheUsersShard() {
            QueueSettings settings = settings(shards, 3);
            String user = userOf(shards, 5);
            RedisCluster.Node master = cluster.masterOf(settings.keyPrefix() + "{5}:tasks");
            String elsewhere = null;
            for (int shard = 0; shard < shards.count() && elsewhere == null; shard++) {
                if (!cluster.masterOf(settings.keyPrefix() + "{" + shard + "}:tasks").id().equals(master.id())) {
                    elsewhere = userOf(shards, shard);
                }
            }
            RedisServer replica = cluster.server(cluster.replicasOf(master).getFirst());
            try (RedisLink durable = clusterLink(1)) {
                TaskQueue queue = new TaskQueue(durable, settings);
                assertThat(queue.enqueueUpload(user, new byte[] {1})).isNotBlank();
                assertThat(queue.enqueueDelete(user)).isNotBlank();
                replica.pause();
                try {
                    // Only the paused replica can acknowledge this master's writes: a WAIT sent to any other node
                    // (whose replica runs) would answer 1 and the upload would wrongly count as replicated.
                    assertThatThrownBy(() -> queue.enqueueUpload(user, new byte[] {2}))
                            .isInstanceOf(QueueUnavailableException.class).hasMessageContaining("acknowledged");
                    assertThatThrownBy(() -> queue.enqueueDelete(user))
                            .isInstanceOf(QueueUnavailableException.class).hasMessageContaining("acknowledged");
                    String other = elsewhere;
                    assertThat(queue.enqueueUpload(other, new byte[] {3})).isNotBlank();
                    assertThat(queue.enqueueDelete(other)).isNotBlank();
                } finally {
                    replica.resume();
                }
            }
        }
    }
}
