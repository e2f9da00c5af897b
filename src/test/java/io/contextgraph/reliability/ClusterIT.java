package io.contextgraph.reliability;

import static io.contextgraph.reliability.ClusterBed.WAIT;
import static io.contextgraph.reliability.ClusterBed.key;
import static io.contextgraph.reliability.ClusterBed.shardOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.testing.BlackHole;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisCluster.Node;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cluster mode end to end (issue 16): web and worker processes with {@code REDIS_CLUSTER=true} against a local
 * Redis Cluster of 3 masters and S3Proxy. The queue's shards spread over every master, and the single-node promises
 * hold: every upload answered 200 is stored exactly once, a delete is exact, and neither a worker SIGKILLed mid-load,
 * nor a master SIGKILLed and failed over to its replica, nor slots moved by {@code redis-cli --cluster reshard}
 * under load lose anything; {@code /__heartbeat__} fails while the cluster's state is not ok. Clients retry a 503 with the same body, as real ones do; the service deduplicates.
 * A failed test prints the cluster's view, each shard's streams and the roles' last log lines.
 */
class ClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private ClusterBed bed;

    @RegisterExtension
    final AfterEachCallback closeBed = context -> {
        if (bed != null) {
            if (context.getExecutionException().isPresent()) {
                System.out.println(bed.describe());
            }
            bed.close();
        }
    };

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void uploadsOfManyUsersLandOnEveryMasterAndAreStoredOnce() throws Exception {
        bed = new ClusterBed(3, 0);
        RoleProcess web = bed.web("spread-web");

        ClusterLoad load = ClusterLoad.ofUsers(web, 4, 200);
        List<String> users = load.awaitDone();
        assertThat(load.failures()).as("a healthy cluster accepts every upload at once").isEmpty();
        assertThat(users).hasSize(200);

        // No worker yet: every upload waits in its user's shard, on the master that serves that shard.
        Map<Integer, Long> expected = new TreeMap<>();
        users.forEach(user -> expected.merge(shardOf(user), 1L, Long::sum));
        for (Node master : bed.cluster.masters()) {
            List<Integer> shards = bed.shardsOn(master);
            long onMaster = 0;
            for (int shard : shards) {
                String found = bed.cluster.cli(master, "XLEN", key(shard, "tasks"));
                assertThat(found).as("XLEN of shard %d on its master %s", shard, master.address())
                        .isEqualTo(Long.toString(expected.getOrDefault(shard, 0L)));
                onMaster += Long.parseLong(found);
            }
            assertThat(onMaster).as("uploads queued on master %s (shards %s)", master.address(), shards)
                    .isPositive();
            assertThat(bed.cluster.keys(master, "cg:*:tasks")).as("upload streams on %s", master.address())
                    .allSatisfy(stream -> assertThat(shards).contains(shardOfKey(stream)));
        }
        assertThat(bed.totalLength("tasks")).isEqualTo(200);

        bed.worker("spread-worker");
        bed.awaitStoredOnce(users);
        System.out.printf("cluster spread: 200 uploads over shards %s, keys per master after the worker %s%n",
                expected, bed.cluster.keysPerMaster());
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void theHeartbeatFailsWhileTheClusterStateIsNotOkThoughEveryNodeAnswersAndRecoversAlone() throws Exception {
        bed = new ClusterBed(3, 0);
        RoleProcess web = bed.web("heartbeat-web");
        assertThat(Http.status(web.uri("/__heartbeat__"))).isEqualTo(200);

        // One slot served by nobody (as after an operator's mistake or a half-done migration): every node still
        // answers PING, whichever one the heartbeat asks, but the cluster refuses commands.
        int slot = 0;
        Node owner = bed.cluster.masterOfSlot(slot);
        List<Node> masters = bed.cluster.masters();
        // The owner drops the slot first: a master that had already dropped it would otherwise take it back from
        // the owner's next ping (a node assigns an unassigned slot to whoever claims it), and the owner alone
        // would then see the cluster fail. Once the owner has let go, no node claims the slot any more.
        List<Node> ownerFirst = new ArrayList<>(List.of(owner));
        masters.stream().filter(m -> !m.id().equals(owner.id())).forEach(ownerFirst::add);
        for (Node master : ownerFirst) {
            assertThat(bed.cluster.cli(master, "CLUSTER", "DELSLOTS", Integer.toString(slot))).isEqualTo("OK");
        }
        await("every master sees the cluster fail").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> masters.stream().allMatch(m -> bed.cluster.cli(m, "CLUSTER", "INFO")
                        .contains("cluster_state:fail")));
        assertThat(masters).allSatisfy(m -> assertThat(bed.cluster.cli(m, "PING")).isEqualTo("PONG"));
        await("the heartbeat fails").atMost(Duration.ofSeconds(30))
                .until(() -> Http.status(web.uri("/__heartbeat__")) == 503);
        JsonNode body = JSON.readTree(Http.get(web.uri("/__heartbeat__")).body());
        assertThat(body.path("status").asText()).isEqualTo("error");
        assertThat(body.path("checks").path("redis").asText()).isEqualTo("error");
        assertThat(body.path("details").path("redis").asText()).isEqualTo("Redis Cluster state is not ok");
        assertThat(Http.status(web.uri("/__lbheartbeat__"))).isEqualTo(200);

        assertThat(bed.cluster.cli(owner, "CLUSTER", "ADDSLOTS", Integer.toString(slot))).isEqualTo("OK");
        await("the heartbeat recovers without a restart").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> Http.status(web.uri("/__heartbeat__")) == 200);
        assertThat(web.alive()).isTrue();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aDeleteRemovesExactlyTheUploadsAcceptedBeforeItOnEveryShard() throws Exception {
        bed = new ClusterBed(3, 0);
        RoleProcess web = bed.web("delete-web");
        List<String> users = usersOnEveryShard(3);
        List<String> keptUsers = usersOnEveryShard(1);

        // Uploads already stored when the delete comes ...
        RoleProcess first = bed.worker("delete-worker-1");
        for (String user : users) {
            assertThat(upload(web, user, "stored")).isEqualTo(200);
        }
        for (String user : keptUsers) {
            assertThat(upload(web, user, "kept")).isEqualTo(200);
        }
        await("the first uploads stored").atMost(WAIT)
                .until(() -> bed.notStoredOnce(users).isEmpty() && bed.notStoredOnce(keptUsers).isEmpty());
        first.terminate(Duration.ofSeconds(30));

        // ... and uploads still queued when it is accepted, then one accepted after it: no worker runs meanwhile.
        for (String user : users) {
            assertThat(upload(web, user, "queued")).isEqualTo(200);
            assertThat(Http.post(web.uri("/v1/delete"), user, new byte[0]).statusCode()).isEqualTo(200);
            assertThat(upload(web, user, "after")).isEqualTo(200);
        }
        for (String user : users) {
            assertThat(bed.length(shardOf(user), "deletes")).as("deletes queued on the user's shard").isPositive();
            assertThat(bed.cluster.cli(bed.cluster.masterOf(key(shardOf(user), "forget:" + user)), "EXISTS",
                    key(shardOf(user), "forget:" + user))).as("forget marker on the user's shard").isEqualTo("1");
        }

        bed.worker("delete-worker-2");
        await("deletes and uploads processed").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> bed.totalLength("deletes") == 0 && bed.totalLength("tasks") == 0);
        for (String user : users) {
            assertThat(bed.markers(user)).as("objects of user on shard %d after the delete", shardOf(user))
                    .containsExactly("after");
        }
        for (String user : keptUsers) {
            assertThat(bed.markers(user)).as("a user who did not delete").containsExactly("kept");
        }
        assertThat(bed.totalLength("dead")).isZero();
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aWorkerKilledMidLoadLosesNothing() throws Exception {
        bed = new ClusterBed(3, 0);
        RoleProcess web = bed.web("crash-web");
        try (BlackHole hole = new BlackHole()) {
            // The doomed worker's S3 never answers: the tasks it takes are certainly in flight when it dies.
            RoleProcess doomed = bed.keep(bed.role("worker", "crash-doomed-worker", "S3_ENDPOINT",
                    "http://127.0.0.1:" + hole.port()).start()).awaitLog("worker started", WAIT);
            try (ClusterLoad load = ClusterLoad.open(web, 4)) {
                await("100 uploads accepted, some in flight in the doomed worker").atMost(WAIT)
                        .until(() -> load.acceptedCount() >= 100 && bed.pendingUploads() > 0);
                bed.worker("crash-survivor-worker");
                int beforeKill = load.acceptedCount();
                doomed.kill();
                long pendingAtKill = bed.pendingUploads();
                await("100 more uploads accepted after the SIGKILL").atMost(WAIT)
                        .until(() -> load.acceptedCount() >= beforeKill + 100);
                List<String> users = load.stop();
                assertThat(load.failures()).as("answers other than 200/503, uploads never accepted").isEmpty();
                Duration visibility = QueueSettings.defaults().visibilityTimeout();
                System.out.printf("cluster worker crash: %d uploads accepted, %d pending at the SIGKILL, "
                        + "statuses %s (visibility timeout %s)%n", users.size(), pendingAtKill, load.statuses(),
                        visibility);
                bed.awaitStoredOnce(users);
            }
        }
    }

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void aMasterKilledAndFailedOverUnderLoadLosesNoUploadAnswered200() throws Exception {
        bed = new ClusterBed(3, 1);
        RoleProcess web = bed.web("failover-web", "REDIS_MIN_REPLICAS", "1");
        // With the setting the worker too, so that it never stores an upload only the doomed master holds: one the web
        // answered 503 for, which the client retries after the failover (stored twice otherwise).
        bed.worker("failover-worker", "REDIS_MIN_REPLICAS", "1");
        Node victim = bed.cluster.masters().stream().filter(m -> m.port() != bed.cluster.seedPort())
                .filter(m -> !bed.shardsOn(m).isEmpty()).findFirst().orElseThrow();
        List<Integer> victimShards = bed.shardsOn(victim);
        Node replica = bed.cluster.replicasOf(victim).getFirst();

        try (ClusterLoad load = ClusterLoad.open(web, 4)) {
            await("150 uploads accepted").atMost(WAIT).until(() -> load.acceptedCount() >= 150);
            // The replica freezes first, so that the master takes writes its replica never gets: with
            // REDIS_MIN_REPLICAS=1 they must be answered 503 (and retried), never 200, or the kill loses them.
            bed.cluster.freezeReplica(replica);
            long unacknowledged = load.statuses().getOrDefault(503, 0L);
            await("20 uploads answered 503 while the replica is cut off").atMost(WAIT)
                    .until(() -> load.statuses().getOrDefault(503, 0L) >= unacknowledged + 20);
            int beforeKill = load.acceptedCount();
            bed.cluster.kill(victim);
            bed.cluster.resume(replica);
            Node promoted = bed.cluster.awaitFailover(victim);
            assertThat(promoted.id()).isEqualTo(replica.id());
            // The dead master comes back as a replica of the promoted one, so that REDIS_MIN_REPLICAS=1 can be met
            // on its shards again (as a replaced node does in a managed cluster).
            bed.cluster.restart(victim);
            await("the old master back as a replica").atMost(WAIT).until(() -> bed.cluster.replicasOf(promoted).stream()
                    .anyMatch(r -> r.id().equals(victim.id())
                            && bed.cluster.cli(r, "INFO", "replication").contains("master_link_status:up")));
            int afterFailover = load.acceptedCount();
            await("150 more uploads accepted after the failover, some on its shards").atMost(WAIT)
                    .until(() -> load.acceptedCount() >= afterFailover + 150
                    && victimShards.stream().anyMatch(shard -> load.accepted().stream()
                            .skip(afterFailover).anyMatch(user -> shardOf(user) == shard)));
            List<String> users = load.stop();
            assertThat(load.failures()).as("answers other than 200/503, uploads never accepted").isEmpty();
            System.out.printf("cluster failover: %d uploads accepted (%d before the SIGKILL of %s, shards %s), "
                    + "statuses %s%n", users.size(), beforeKill, victim.address(), victimShards, load.statuses());
            bed.awaitStoredOnce(users);
        }
    }

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void slotsMovedByAReshardUnderLoadLoseNothing() throws Exception {
        bed = new ClusterBed(3, 0);
        RoleProcess web = bed.web("reshard-web");
        bed.worker("reshard-worker");
        int moving = 3000;
        // The first master by slot: redis-cli moves a source's lowest slots first, and shard tags sit among them.
        Node from = bed.cluster.masterOfSlot(0);
        Node to = bed.cluster.anotherMaster(from);
        Set<Integer> movedShards = bed.shardSlots().entrySet().stream()
                .filter(e -> from.owns(e.getValue()) && e.getValue() < lowestSlots(from, moving))
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        assertThat(movedShards).as("shards whose slot the reshard moves").isNotEmpty();

        try (ClusterLoad load = ClusterLoad.open(web, 4)) {
            await("100 uploads accepted").atMost(WAIT).until(() -> load.acceptedCount() >= 100);
            int beforeReshard = load.acceptedCount();
            String output = bed.cluster.reshard(from, to, moving);
            int afterReshard = load.acceptedCount();
            await("100 more uploads accepted after the reshard").atMost(WAIT)
                    .until(() -> load.acceptedCount() >= afterReshard + 100);
            List<String> users = load.stop();
            assertThat(load.failures()).as("answers other than 200/503, uploads never accepted").isEmpty();
            bed.cluster.awaitHealthy();
            for (int shard : movedShards) {
                assertThat(bed.cluster.masterOf(key(shard, "tasks")).id()).as("shard %d moved", shard)
                        .isEqualTo(to.id());
            }
            System.out.printf("cluster reshard: %d slots (shards %s) moved, %d uploads accepted during it, "
                    + "%d in all, statuses %s, %d lines of redis-cli%n", moving, movedShards,
                    afterReshard - beforeReshard, users.size(), load.statuses(), output.lines().count());
            bed.awaitStoredOnce(users);
        }
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aShardHeldHalfWayThroughASlotMigrationLosesNothing() throws Exception {
        bed = new ClusterBed(3, 0);
        RoleProcess web = bed.web("migration-web");
        bed.worker("migration-worker");
        int shard = 3;
        int slot = bed.shardSlots().get(shard);
        Node from = bed.cluster.masterOfSlot(slot);
        Node to = bed.cluster.anotherMaster(from);

        try (ClusterLoad load = ClusterLoad.open(web, 4)) {
            await("20 uploads accepted on the shard").atMost(WAIT).until(() -> onShard(load.accepted(), shard) >= 20);
            // Half-way: the shard's upload stream is on the target, its other keys (dedup, forget markers) still on
            // the source, so the shard's scripts are asked to retry (TRYAGAIN) until the migration ends.
            bed.cluster.beginMigration(slot, from, to);
            bed.cluster.migrateKeys(from, to, key(shard, "tasks"));
            long heldAt = load.answers();
            int acceptedOnShardWhileHeld = onShard(load.accepted(), shard);
            await("300 more answers while the slot is held").atMost(WAIT).until(() -> load.answers() >= heldAt + 300);
            int acceptedOnShardAtEnd = onShard(load.accepted(), shard);
            bed.cluster.finishMigration(slot, from, to);
            int afterMigration = onShard(load.accepted(), shard);
            await("20 more uploads accepted on the shard after the migration").atMost(WAIT)
                    .until(() -> onShard(load.accepted(), shard) >= afterMigration + 20);
            List<String> users = load.stop();
            assertThat(load.failures()).as("answers other than 200/503, uploads never accepted").isEmpty();
            assertThat(bed.cluster.masterOf(key(shard, "tasks")).id()).isEqualTo(to.id());
            System.out.printf("cluster held migration: shard %d (slot %d) accepted %d uploads while held, "
                    + "%d in all, statuses %s%n", shard, slot, acceptedOnShardAtEnd - acceptedOnShardWhileHeld,
                    users.size(), load.statuses());
            bed.awaitStoredOnce(users);
        }
    }

    private static int onShard(List<String> users, int shard) {
        return (int) users.stream().filter(user -> shardOf(user) == shard).count();
    }

    /** The slot below which the master's lowest {@code count} slots lie. */
    private static int lowestSlots(Node master, int count) {
        int left = count;
        for (var range : master.slots().stream().sorted((a, b) -> Integer.compare(a.first(), b.first())).toList()) {
            if (left <= range.size()) {
                return range.first() + left;
            }
            left -= range.size();
        }
        return Integer.MAX_VALUE;
    }

    private static int upload(RoleProcess web, String user, String marker) {
        return Http.post(web.uri("/v1/upload"), user, Uploads.withMarker(marker)).statusCode();
    }

    /** {@code perShard} new users on each shard. */
    private static List<String> usersOnEveryShard(int perShard) {
        int[] found = new int[ClusterBed.SHARDS];
        List<String> users = new ArrayList<>();
        while (users.size() < perShard * ClusterBed.SHARDS) {
            String user = Uploads.newUser();
            if (found[shardOf(user)] < perShard) {
                found[shardOf(user)]++;
                users.add(user);
            }
        }
        return users;
    }

    private static int shardOfKey(String key) {
        return Integer.parseInt(key.substring(key.indexOf('{') + 1, key.indexOf('}')));
    }
}
