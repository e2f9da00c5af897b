package io.contextgraph.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private local Redis Cluster for integration tests: M masters with R replicas each, every node a
 * {@link RedisServer} with {@code --cluster-enabled yes} on free loopback ports, joined with {@code redis-cli
 * --cluster create}. Nodes can be killed (SIGKILL), paused (SIGSTOP) and resumed, slots moved with {@code redis-cli
 * --cluster reshard}; the cluster's view is read from {@code CLUSTER NODES}. Node logs go to
 * {@code target/redis-cluster/}; the node configuration files live in a temporary folder that {@link #close()}
 * removes. Every node has the reaper of {@link RedisServer}, so none outlives the build.
 */
public final class RedisCluster implements AutoCloseable {
    /** The number of hash slots of every Redis Cluster. */
    public static final int SLOTS = 16384;
    /**
     * Short, so that a killed master is failed over within seconds; not so short that a node starved of CPU on a
     * busy machine is taken for dead.
     */
    public static final Duration NODE_TIMEOUT = Duration.ofSeconds(3);

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CLI_TIMEOUT = Duration.ofMinutes(5);
    /** How long the cluster must stay healthy to count as healthy: longer than a node's rejoin delay. */
    private static final Duration STEADY = NODE_TIMEOUT.plusSeconds(1);

    private final Path configs;
    private final Path logs;
    private final Map<Integer, RedisServer> servers = new LinkedHashMap<>();

    /** One node as the cluster sees it: its id, port, whether it is a master, whose replica it is, its slots. */
    public record Node(String id, int port, boolean master, Optional<String> masterId, boolean failed,
            List<SlotRange> slots) {

        /** How many slots the node serves. */
        public int slotCount() {
            return slots.stream().mapToInt(SlotRange::size).sum();
        }

        /** True if the node serves the slot. */
        public boolean owns(int slot) {
            return slots.stream().anyMatch(range -> range.contains(slot));
        }

        public String address() {
            return "127.0.0.1:" + port;
        }
    }

    /** A range of hash slots, both ends included. */
    public record SlotRange(int first, int last) {
        public int size() {
            return last - first + 1;
        }

        public boolean contains(int slot) {
            return slot >= first && slot <= last;
        }
    }

    private RedisCluster(Path configs, Path logs) {
        this.configs = configs;
        this.logs = logs;
    }

    /**
     * Starts {@code masters} masters with {@code replicasPerMaster} replicas each, creates the cluster and waits
     * until every node reports {@code cluster_state:ok} with all slots served and every replica in sync.
     */
    public static RedisCluster start(int masters, int replicasPerMaster) {
        Path logs = Path.of(System.getProperty("cg.basedir", "."), "target", "redis-cluster");
        Path configs;
        try {
            Files.createDirectories(logs);
            configs = Files.createTempDirectory("cg-redis-cluster-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the cluster's folders", e);
        }
        RedisCluster cluster = new RedisCluster(configs, logs);
        try {
            int total = masters * (1 + replicasPerMaster);
            for (int i = 0; i < total; i++) {
                cluster.startNode();
            }
            cluster.create(replicasPerMaster);
            cluster.awaitReady(masters, replicasPerMaster);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void startNode() {
        int port = FreePorts.next();
        int busPort = FreePorts.next();
        servers.put(port, new RedisServer(logs, port, "--cluster-enabled", "yes",
                "--cluster-config-file", configs.resolve("nodes-" + port + ".conf").toAbsolutePath().toString(),
                "--cluster-port", Integer.toString(busPort),
                "--cluster-node-timeout", Long.toString(NODE_TIMEOUT.toMillis()),
                // A replica takes over however long its link to the master was down: the tests kill masters.
                "--cluster-replica-validity-factor", "0",
                "--repl-diskless-sync-delay", "0",
                // A replica's received snapshot stays with its node: none loads another node's or cluster's data.
                "--dir", configs.toAbsolutePath().toString(), "--dbfilename", "dump-" + port + ".rdb"));
    }

    private void create(int replicasPerMaster) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        servers.keySet().forEach(port -> command.add("127.0.0.1:" + port));
        command.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
        run(command, "create");
    }

    private void awaitReady(int masters, int replicasPerMaster) {
        await("cluster of " + masters + " masters and " + replicasPerMaster + " replicas each ready")
                .atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> masters().size() == masters
                        && masters().stream().allMatch(m -> syncedReplicas(m) == replicasPerMaster));
        awaitHealthy();
    }

    /** The host of the seed node the roles are given (REDIS_HOST). */
    public String seedHost() {
        return "127.0.0.1";
    }

    /** The port of the seed node the roles are given (REDIS_PORT): the first node started, a master at creation. */
    public int seedPort() {
        return servers.keySet().iterator().next();
    }

    /** Every node as a live node sees it, dead ones included (flagged {@link Node#failed()}). */
    public List<Node> nodes() {
        return parseNodes(anyLive().cli("CLUSTER", "NODES"));
    }

    /** The masters that run, in port order. */
    public List<Node> masters() {
        return nodes().stream().filter(n -> n.master() && !n.failed() && running(n))
                .sorted(Comparator.comparingInt(Node::port)).toList();
    }

    /** The replicas of a master that run. */
    public List<Node> replicasOf(Node master) {
        return nodes().stream().filter(n -> n.masterId().equals(Optional.of(master.id())) && !n.failed()
                && running(n)).sorted(Comparator.comparingInt(Node::port)).toList();
    }

    /** The hash slot of a key, as Redis computes it ({@code CLUSTER KEYSLOT}). */
    public int slotOf(String key) {
        return Integer.parseInt(anyLive().cli("CLUSTER", "KEYSLOT", key));
    }

    /** The running master that serves a slot now. */
    public Node masterOfSlot(int slot) {
        return masters().stream().filter(m -> m.owns(slot)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no running master serves slot " + slot));
    }

    /** A master other than {@code master} (the first in {@link #masters()} order). */
    public Node anotherMaster(Node master) {
        return masters().stream().filter(m -> !m.id().equals(master.id())).findFirst().orElseThrow();
    }

    /** The running master that serves a key now. */
    public Node masterOf(String key) {
        return masterOfSlot(slotOf(key));
    }

    /** The node with this id, as the cluster sees it now. */
    public Node node(String id) {
        return nodes().stream().filter(n -> n.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no node " + id));
    }

    /** Runs redis-cli against one node (no redirections followed) and returns its output, trimmed. */
    public String cli(Node node, String... args) {
        return server(node).cli(args);
    }

    /** The number of keys a node holds ({@code DBSIZE}). */
    public long keyCount(Node node) {
        return Long.parseLong(cli(node, "DBSIZE"));
    }

    /** The keys of a node that match a glob pattern ({@code SCAN MATCH}), e.g. {@code cg:*:tasks}. */
    public List<String> keys(Node node, String pattern) {
        String out = cli(node, "--scan", "--pattern", pattern);
        return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    /** The number of keys each running master holds, by master port. */
    public Map<Integer, Long> keysPerMaster() {
        Map<Integer, Long> counts = new LinkedHashMap<>();
        masters().forEach(m -> counts.put(m.port(), keyCount(m)));
        return counts;
    }

    /** SIGKILL: the node dies like a crashed host; the others mark it failed after {@link #NODE_TIMEOUT}. */
    public void kill(Node node) {
        server(node).kill();
    }

    /** SIGSTOP: the node keeps its sockets and answers nothing, like a host that hangs. */
    public void pause(Node node) {
        server(node).pause();
    }

    /**
     * Freezes a replica (SIGSTOP) and has its master drop the replication link ({@code CLIENT KILL TYPE replica}):
     * no write from now on reaches it, not even from socket buffers, until {@link #resume} lets it reconnect. Kill
     * the master meanwhile and the replica takes over without those writes.
     */
    public void freezeReplica(Node replica) {
        Node master = node(replica.masterId().orElseThrow(() -> new IllegalArgumentException(
                replica.address() + " is not a replica")));
        pause(replica);
        String dropped = cli(master, "CLIENT", "KILL", "TYPE", "replica");
        if (!dropped.matches("[1-9]\\d*")) {
            throw new IllegalStateException("the master dropped no replica link: " + dropped);
        }
    }

    /** SIGCONT: a paused node runs on. */
    public void resume(Node node) {
        server(node).resume();
    }

    /** Starts a killed node again on its port; with its configuration file kept, it rejoins the cluster. */
    public void restart(Node node) {
        server(node).start();
    }

    /**
     * Waits until one of the former replicas of a (killed or paused) master serves all of its slots and every live
     * node reports {@code cluster_state:ok} again; returns the promoted node.
     */
    public Node awaitFailover(Node formerMaster) {
        List<String> candidates = nodes().stream()
                .filter(n -> n.masterId().equals(Optional.of(formerMaster.id()))).map(Node::id).toList();
        if (candidates.isEmpty()) {
            throw new IllegalStateException("master " + formerMaster.address() + " has no replica to fail over to");
        }
        await("a replica of " + formerMaster.address() + " promoted").atMost(NODE_TIMEOUT.multipliedBy(20))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> masters().stream().anyMatch(m -> candidates.contains(m.id())
                        && formerMaster.slots().stream().allMatch(r -> m.owns(r.first()) && m.owns(r.last()))));
        awaitHealthy();
        return masters().stream().filter(m -> candidates.contains(m.id())).findFirst().orElseThrow();
    }

    /**
     * Moves {@code slots} slots from one master to another with {@code redis-cli --cluster reshard}, keys included
     * (MIGRATE), and returns its output once done. Blocks; run it on a thread of the test's to move slots under load.
     */
    public String reshard(Node from, Node to, int slots) {
        return run(List.of("redis-cli", "--cluster", "reshard", from.address(), "--cluster-from", from.id(),
                "--cluster-to", to.id(), "--cluster-slots", Integer.toString(slots), "--cluster-yes"), "reshard");
    }

    /**
     * Starts moving one slot by hand, the way {@code redis-cli --cluster reshard} does each slot, and stops half-way:
     * the target is IMPORTING it, the source MIGRATING, and no key moved yet. Until {@link #finishMigration}, clients
     * get ASK redirections for keys already moved and TRYAGAIN for multi-key commands over keys on both sides.
     */
    public void beginMigration(int slot, Node from, Node to) {
        expectOk(cli(to, "CLUSTER", "SETSLOT", Integer.toString(slot), "IMPORTING", from.id()));
        expectOk(cli(from, "CLUSTER", "SETSLOT", Integer.toString(slot), "MIGRATING", to.id()));
    }

    /** Moves some keys of a slot being migrated ({@code MIGRATE ... KEYS}); keys the source lacks are skipped. */
    public void migrateKeys(Node from, Node to, String... keys) {
        List<String> command = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", Integer.toString(to.port()), "", "0",
                "10000", "KEYS"));
        command.addAll(List.of(keys));
        String reply = cli(from, command.toArray(String[]::new));
        if (!reply.equals("OK") && !reply.equals("NOKEY")) {
            throw new IllegalStateException("MIGRATE failed: " + reply);
        }
    }

    /** Moves the slot's remaining keys and assigns the slot to the target on every master. */
    public void finishMigration(int slot, Node from, Node to) {
        while (true) {
            String keys = cli(from, "CLUSTER", "GETKEYSINSLOT", Integer.toString(slot), "100");
            if (keys.isEmpty()) {
                break;
            }
            migrateKeys(from, to, keys.split("\n"));
        }
        // The target first, so that the slot is never owned by no one (redis-cli does it in this order too).
        expectOk(cli(to, "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", to.id()));
        expectOk(cli(from, "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", to.id()));
        for (Node master : masters()) {
            if (!master.id().equals(from.id()) && !master.id().equals(to.id())) {
                expectOk(cli(master, "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", to.id()));
            }
        }
        await("slot " + slot + " served by " + to.address() + " in every node's view").atMost(READY_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> servers.values().stream().filter(RedisServer::running)
                        .allMatch(server -> parseNodes(server.cli("CLUSTER", "NODES")).stream()
                                .anyMatch(n -> n.id().equals(to.id()) && n.owns(slot))));
    }

    private static void expectOk(String reply) {
        if (!reply.equals("OK")) {
            throw new IllegalStateException("expected OK, got " + reply);
        }
    }

    /** True if every running node reports {@code cluster_state:ok} and sees all slots served. */
    public boolean healthy() {
        return servers.values().stream().filter(RedisServer::running).allMatch(server -> {
            String info = server.cli("CLUSTER", "INFO");
            return info.contains("cluster_state:ok") && info.contains("cluster_slots_assigned:" + SLOTS)
                    && info.contains("cluster_slots_ok:" + SLOTS);
        });
    }

    /**
     * Waits until the cluster is {@link #healthy()} and stays so for a while: a node that was frozen or cut off
     * reports {@code cluster_state:ok} for a moment before it notices and sits out its rejoin delay.
     */
    public void awaitHealthy() {
        await("cluster healthy").atMost(READY_TIMEOUT.plus(STEADY)).during(STEADY)
                .pollInterval(Duration.ofMillis(200)).until(this::healthy);
    }

    /** The cluster's view and state for a failure message. */
    public String describe() {
        StringBuilder text = new StringBuilder();
        servers.forEach((port, server) -> {
            text.append("node ").append(port).append(server.running() ? "" : " (not running)").append('\n');
        });
        if (servers.values().stream().anyMatch(RedisServer::running)) {
            text.append(anyLive().cli("CLUSTER", "NODES")).append('\n');
        }
        return text.toString();
    }

    /** Stops every node (SIGKILL: nothing is kept) and removes the configuration folder. */
    @Override
    public void close() {
        servers.values().forEach(RedisServer::close);
        try (Stream<Path> files = Files.walk(configs)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + configs, e);
        }
    }

    private int syncedReplicas(Node master) {
        return (int) replicasOf(master).stream()
                .filter(r -> cli(r, "INFO", "replication").contains("master_link_status:up")).count();
    }

    private boolean running(Node node) {
        RedisServer server = servers.get(node.port());
        return server != null && server.running();
    }

    /** The process of a node, e.g. to run redis-cli on it or to pause it. */
    public RedisServer server(Node node) {
        RedisServer server = servers.get(node.port());
        if (server == null) {
            throw new IllegalArgumentException("not a node of this cluster: " + node.address());
        }
        return server;
    }

    private RedisServer anyLive() {
        RedisServer seed = servers.get(seedPort());
        if (seed != null && seed.running()) {
            return seed;
        }
        return servers.values().stream().filter(RedisServer::running).findFirst()
                .orElseThrow(() -> new IllegalStateException("no node of the cluster runs"));
    }

    /**
     * Lines of {@code CLUSTER NODES}: {@code <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link>
     * <slot>...}; slots being imported or migrated ({@code [slot->-id]}) are left out, they still belong to the
     * node that serves them.
     */
    static List<Node> parseNodes(String clusterNodes) {
        List<Node> nodes = new ArrayList<>();
        for (String line : clusterNodes.split("\n")) {
            String[] fields = line.strip().split(" ");
            if (fields.length < 8) {
                continue;
            }
            String address = fields[1];
            int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1, address.indexOf('@')));
            List<String> flags = List.of(fields[2].split(","));
            List<SlotRange> slots = new ArrayList<>();
            for (int i = 8; i < fields.length; i++) {
                String slot = fields[i];
                if (slot.startsWith("[")) {
                    continue;
                }
                int dash = slot.indexOf('-');
                slots.add(dash < 0 ? new SlotRange(Integer.parseInt(slot), Integer.parseInt(slot))
                        : new SlotRange(Integer.parseInt(slot.substring(0, dash)),
                                Integer.parseInt(slot.substring(dash + 1))));
            }
            nodes.add(new Node(fields[0], port, flags.contains("master"),
                    "-".equals(fields[3]) ? Optional.empty() : Optional.of(fields[3]),
                    flags.contains("fail") || flags.contains("noaddr"), List.copyOf(slots)));
        }
        return nodes;
    }

    /** Runs a redis-cli cluster command to its end; its output goes to a log and is returned. */
    private String run(List<String> command, String name) {
        Path log;
        Process process;
        try {
            log = Files.createTempFile(logs, name + "-", ".log");
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run redis-cli", e);
        }
        try {
            if (!process.waitFor(CLI_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("redis-cli --cluster " + name + " did not finish; see " + log);
            }
            String text = Files.readString(log, StandardCharsets.UTF_8);
            if (process.exitValue() != 0 || text.contains("[ERR]")) {
                throw new IllegalStateException("redis-cli --cluster " + name + " failed (" + process.exitValue()
                        + "):\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + log, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            process.destroyForcibly();
        }
    }
}
