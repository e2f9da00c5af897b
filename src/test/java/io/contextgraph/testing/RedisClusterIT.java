package io.contextgraph.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.contextgraph.testing.RedisCluster.Node;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The local Redis Cluster fixture itself: 3 masters with a replica each, all slots served; a SIGKILLed master is
 * replaced by its replica with its data; {@code redis-cli --cluster reshard} moves slots and their keys, and so does
 * a migration held half-way by hand.
 */
class RedisClusterIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void createsFailsOverAndReshards() {
        try (RedisCluster cluster = RedisCluster.start(3, 1)) {
            List<Node> masters = cluster.masters();
            assertThat(masters).hasSize(3).allSatisfy(m -> assertThat(cluster.replicasOf(m)).hasSize(1));
            assertThat(masters.stream().mapToInt(Node::slotCount).sum()).isEqualTo(RedisCluster.SLOTS);
            assertThat(masters).extracting(Node::port).contains(cluster.seedPort());
            assertThat(cluster.healthy()).isTrue();

            // Keys written through the owning master land there, and only there.
            for (int i = 0; i < 300; i++) {
                String key = "k:{" + i + "}";
                assertThat(cluster.cli(cluster.masterOf(key), "SET", key, "v" + i)).isEqualTo("OK");
            }
            assertThat(cluster.keysPerMaster().values()).allSatisfy(count -> assertThat(count).isPositive())
                    .as("keys on all masters").hasSize(3);
            assertThat(cluster.keysPerMaster().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(300);
            assertThat(cluster.slotOf("cg:{7}:tasks")).isEqualTo(cluster.slotOf("cg:{7}:dedup:x"));

            // A killed master (not the seed) is replaced by its replica, which has its keys.
            Node victim = masters.stream().filter(m -> m.port() != cluster.seedPort()).findFirst().orElseThrow();
            Node replica = cluster.replicasOf(victim).getFirst();
            String victimKey = victimKey(cluster, victim);
            long victimKeys = cluster.keyCount(victim);
            await().atMost(WAIT).until(() -> cluster.keyCount(replica) == victimKeys);
            // Frozen first, the replica misses a write to its master; then the master dies and the replica, let run
            // on, takes over without that write: the ordering the failover tests force.
            cluster.freezeReplica(replica);
            String lostKey = victimKey.replace("k:", "lost:");
            assertThat(cluster.masterOf(lostKey).id()).isEqualTo(victim.id());
            assertThat(cluster.cli(victim, "SET", lostKey, "unreplicated")).isEqualTo("OK");
            cluster.kill(victim);
            cluster.resume(replica);
            Node promoted = cluster.awaitFailover(victim);
            assertThat(cluster.cli(promoted, "EXISTS", lostKey)).as("the write the replica missed").isEqualTo("0");
            assertThat(promoted.id()).isEqualTo(replica.id());
            assertThat(cluster.masters()).hasSize(3).extracting(Node::id).contains(replica.id())
                    .doesNotContain(victim.id());
            assertThat(cluster.masterOf(victimKey).id()).isEqualTo(replica.id());
            assertThat(cluster.cli(cluster.masterOf(victimKey), "GET", victimKey)).startsWith("v");
            assertThat(cluster.replicasOf(promoted)).isEmpty();

            // The killed node comes back as a replica of the promoted one.
            cluster.restart(victim);
            await().atMost(WAIT).until(() -> cluster.replicasOf(promoted).stream()
                    .anyMatch(r -> r.id().equals(victim.id())));

            // Reshard: the first 1000 slots of one master move to another, keys included.
            Node from = cluster.masters().get(0);
            Node to = cluster.masters().get(1);
            int movedSlot = from.slots().getFirst().first();
            long before = cluster.keyCount(to);
            cluster.reshard(from, to, 1000);
            cluster.awaitHealthy();
            assertThat(cluster.node(from.id()).slotCount()).isEqualTo(from.slotCount() - 1000);
            assertThat(cluster.node(to.id()).slotCount()).isEqualTo(to.slotCount() + 1000);
            assertThat(cluster.masterOfSlot(movedSlot).id()).isEqualTo(to.id());
            assertThat(cluster.keyCount(to)).isGreaterThan(before);
            assertThat(cluster.keysPerMaster().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(300);

            // A slot held half-way through a migration: a moved key is asked for on the target, then the slot moves.
            String key = victimKey(cluster, to);
            int slot = cluster.slotOf(key);
            Node owner = cluster.masterOf(key);
            Node target = cluster.anotherMaster(owner);
            cluster.beginMigration(slot, owner, target);
            cluster.migrateKeys(owner, target, key);
            assertThat(cluster.cli(owner, "GET", key)).as("a moved key, asked for on the source").contains("ASK");
            assertThat(cluster.masterOfSlot(slot).id()).as("still the source's slot").isEqualTo(owner.id());
            cluster.finishMigration(slot, owner, target);
            assertThat(cluster.masterOf(key).id()).isEqualTo(target.id());
            assertThat(cluster.cli(target, "GET", key)).startsWith("v");
            cluster.awaitHealthy();
        }
    }

    private static String victimKey(RedisCluster cluster, Node master) {
        for (int i = 0; i < 300; i++) {
            String key = "k:{" + i + "}";
            if (master.owns(cluster.slotOf(key))) {
                return key;
            }
        }
        throw new IllegalStateException("no key on " + master.address());
    }
}
