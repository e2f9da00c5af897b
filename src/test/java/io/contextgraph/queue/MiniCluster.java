package io.contextgraph.queue;

import io.contextgraph.testing.RedisServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A small Redis Cluster of this test package's own (3 masters, optionally a replica each) on free loopback ports,
 * made with {@code redis-cli --cluster create}: enough for queue-level tests of sharding.
 */
final class MiniCluster implements AutoCloseable {

    private final List<RedisServer> nodes = new ArrayList<>();

    MiniCluster(int masters, int replicasEach) {
        Path dir;
        try {
            dir = Files.createTempDirectory("cg-minicluster");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            for (int i = 0; i < masters * (1 + replicasEach); i++) {
                // A directory of each node's own: a replica's first sync writes dump.rdb there, which a node started
                // later in the same directory would load.
                Path own = Files.createDirectories(dir.resolve("node-" + i));
                nodes.add(new RedisServer("--cluster-enabled", "yes", "--cluster-node-timeout", "2000",
                        "--dir", own.toString(), "--cluster-config-file", own.resolve("nodes.conf").toString()));
            }
            List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            nodes.forEach(node -> command.add("127.0.0.1:" + node.port()));
            command.addAll(List.of("--cluster-replicas", Integer.toString(replicasEach), "--cluster-yes"));
            Process create = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(create.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!create.waitFor(60, TimeUnit.SECONDS) || create.exitValue() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed: " + output);
            }
            // Every node agrees on the masters, and every replica has finished its first sync (WAIT counts it).
            Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() ->
                    nodes.stream().allMatch(node -> node.cli("CLUSTER", "INFO").contains("cluster_state:ok")
                                    && mastersSeenBy(node) == masters)
                            && masters().size() == masters
                            && masters().stream().allMatch(master -> onlineReplicas(master) == replicasEach));
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    RedisServer seed() {
        return nodes.get(0);
    }

    List<RedisServer> masters() {
        return nodes.stream().filter(node -> node.cli("ROLE").startsWith("master")).toList();
    }

    /** The master that serves the slot of {@code key}. */
    RedisServer masterOf(String key) {
        int slot = Integer.parseInt(seed().cli("CLUSTER", "KEYSLOT", key));
        for (RedisServer master : masters()) {
            for (String line : master.cli("CLUSTER", "NODES").split("\n")) {
                String[] fields = line.strip().split(" ");
                if (!fields[2].contains("myself")) {
                    continue;
                }
                for (int i = 8; i < fields.length; i++) {
                    String[] range = fields[i].split("-");
                    if (range[0].startsWith("[")) {
                        continue; // a slot being migrated
                    }
                    int from = Integer.parseInt(range[0]);
                    int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
                    if (slot >= from && slot <= to) {
                        return master;
                    }
                }
            }
        }
        throw new IllegalStateException("no master serves slot " + slot);
    }

    /** The replica of a master (with one replica each). */
    RedisServer replicaOf(RedisServer master) {
        return nodes.stream().filter(node -> node != master)
                .filter(node -> node.cli("INFO", "replication").contains("master_port:" + master.port()))
                .findFirst().orElseThrow();
    }

    private static long onlineReplicas(RedisServer master) {
        return master.cli("INFO", "replication").lines()
                .filter(line -> line.startsWith("slave") && line.contains("state=online")).count();
    }

    private static long mastersSeenBy(RedisServer node) {
        return node.cli("CLUSTER", "NODES").lines().map(line -> line.strip().split(" "))
                .filter(fields -> fields.length > 8 && fields[2].contains("master")).count();
    }

    @Override
    public void close() {
        nodes.forEach(RedisServer::close);
    }
}
