package io.contextgraph.reliability;

import static org.awaitility.Awaitility.await;

import io.contextgraph.data.StorageKeys;
import io.contextgraph.testing.RedisCluster;
import io.contextgraph.testing.RedisCluster.Node;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.zip.CRC32;

/**
 * What the cluster integration tests run on: a local {@link RedisCluster}, an S3Proxy bucket, and web and worker
 * processes from the jar in cluster mode ({@code REDIS_CLUSTER=true}, the first node as the seed). Knows the sharded
 * key layout of the queue ({@code cg:{N}:tasks}, ...; a user's shard is CRC32 of the user modulo
 * {@code QUEUE_SHARDS}), so that tests can look at each shard on the master that serves it.
 */
final class ClusterBed implements AutoCloseable {
    static final int SHARDS = 16;
    static final Duration WAIT = Duration.ofSeconds(90);
    private static final String BUCKET = "cg-cluster";

    final RedisCluster cluster;
    final S3ProxyServer s3;
    private final List<RoleProcess> roles = new ArrayList<>();

    ClusterBed(int masters, int replicasPerMaster) {
        cluster = RedisCluster.start(masters, replicasPerMaster);
        S3ProxyServer started = null;
        try {
            started = S3ProxyServer.startTransient();
            started.createBucket(BUCKET);
        } catch (RuntimeException e) {
            if (started != null) {
                started.close();
            }
            cluster.close();
            throw e;
        }
        s3 = started;
    }

    /** A role in cluster mode, seeded with the cluster's first node; {@code env} is pairs of name and value. */
    RoleProcess.Builder role(String role, String name, String... env) {
        RoleProcess.Builder builder = RoleProcess.builder(role).name("cluster-" + name).redis(cluster.seedPort())
                .env("REDIS_CLUSTER", "true").env("QUEUE_SHARDS", Integer.toString(SHARDS))
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString());
        for (int i = 0; i + 1 < env.length; i += 2) {
            builder.env(env[i], env[i + 1]);
        }
        return builder;
    }

    RoleProcess web(String name, String... env) throws IOException, InterruptedException {
        return keep(role("web", name, env).start()).awaitHttp(WAIT);
    }

    RoleProcess worker(String name, String... env) throws IOException, InterruptedException {
        return keep(role("worker", name, env).start()).awaitLog("worker started", WAIT);
    }

    /** A role this bed stops on close and whose log it shows on failure. */
    RoleProcess keep(RoleProcess role) {
        roles.add(role);
        return role;
    }

    static int shardOf(String user) {
        CRC32 crc = new CRC32();
        crc.update(user.getBytes(StandardCharsets.UTF_8));
        return Math.floorMod(crc.getValue(), SHARDS);
    }

    static String key(int shard, String name) {
        return "cg:{" + shard + "}:" + name;
    }

    /** The hash slot of each shard's keys, by shard. */
    Map<Integer, Integer> shardSlots() {
        Map<Integer, Integer> slots = new TreeMap<>();
        IntStream.range(0, SHARDS).forEach(shard -> slots.put(shard, cluster.slotOf(key(shard, "tasks"))));
        return slots;
    }

    /** The shards whose keys the master serves now. */
    List<Integer> shardsOn(Node master) {
        return shardSlots().entrySet().stream().filter(e -> master.owns(e.getValue())).map(Map.Entry::getKey)
                .toList();
    }

    /** XLEN of a shard's stream, read on the master that serves it (0 if it does not exist). */
    long length(int shard, String stream) {
        String key = key(shard, stream);
        String out = cluster.cli(cluster.masterOf(key), "XLEN", key);
        if (!out.matches("\\d+")) {
            throw new IllegalStateException("XLEN " + key + ": " + out);
        }
        return Long.parseLong(out);
    }

    /** The sum of a stream's length over all shards. */
    long totalLength(String stream) {
        return IntStream.range(0, SHARDS).mapToLong(shard -> length(shard, stream)).sum();
    }

    /** Entries delivered to a worker and not yet acknowledged, over all shards' upload streams. */
    long pendingUploads() {
        long pending = 0;
        for (int shard = 0; shard < SHARDS; shard++) {
            String key = key(shard, "tasks");
            String first = cluster.cli(cluster.masterOf(key), "XPENDING", key, "workers").split("\n")[0].strip();
            pending += first.matches("\\d+") ? Long.parseLong(first) : 0;
        }
        return pending;
    }

    List<String> storedKeys(String user) {
        return s3.listKeys(BUCKET, StorageKeys.userPrefix(user));
    }

    int storedObjects() {
        return s3.listKeys(BUCKET, StorageKeys.ROOT).size();
    }

    /** The markers ({@code Uploads.withMarker}) of the user's stored objects, in key order. */
    List<String> markers(String user) {
        List<String> markers = new ArrayList<>();
        for (String key : storedKeys(user)) {
            String url = s3.storedDocument(BUCKET, key).path("sessions").get(0).path("url").asText();
            markers.add(url.substring(url.indexOf("?m=") + 3));
        }
        return markers;
    }

    /** The users among these that do not have exactly one stored object. */
    List<String> notStoredOnce(Collection<String> users) {
        return users.stream().filter(user -> storedKeys(user).size() != 1).toList();
    }

    /**
     * Waits until every one of the users has exactly one object, the upload streams are drained and the bucket holds
     * nothing else; nothing is parked as a dead letter.
     */
    void awaitStoredOnce(Collection<String> users) {
        await("every upload answered 200 stored once").atMost(WAIT.multipliedBy(2))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> totalLength("tasks") == 0 && notStoredOnce(users).isEmpty());
        if (storedObjects() != users.size() || totalLength("dead") != 0) {
            throw new AssertionError(storedObjects() + " objects stored for " + users.size()
                    + " uploads answered 200; dead letters: " + totalLength("dead"));
        }
    }

    /** The state of the cluster, the shards and the roles, for a failed test's output. */
    String describe() {
        StringBuilder text = new StringBuilder("---- cluster\n");
        try {
            text.append(cluster.describe());
            text.append("keys per master ").append(cluster.keysPerMaster()).append('\n');
            for (int shard = 0; shard < SHARDS; shard++) {
                text.append("shard ").append(shard).append(" on ")
                        .append(cluster.masterOf(key(shard, "tasks")).address())
                        .append(" tasks=").append(length(shard, "tasks"))
                        .append(" deletes=").append(length(shard, "deletes"))
                        .append(" dead=").append(length(shard, "dead")).append('\n');
            }
        } catch (RuntimeException e) {
            text.append("(cannot read the cluster: ").append(e.getMessage()).append(")\n");
        }
        for (RoleProcess role : roles) {
            String log = role.output();
            text.append("---- role on port ").append(role.port()).append(role.alive() ? "" : " (exited)")
                    .append(", last lines:\n").append(log.substring(Math.max(0, log.length() - 4000))).append('\n');
        }
        return text.toString();
    }

    @Override
    public void close() throws Exception {
        for (int i = roles.size() - 1; i >= 0; i--) {
            roles.get(i).close();
        }
        s3.close();
        cluster.close();
    }
}
