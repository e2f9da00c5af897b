package io.contextgraph.cli;

import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.queue.redis.RedisReplication;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;

/**
 * Once connected, warns when Redis (in cluster mode: any master) has fewer replicas than REDIS_MIN_REPLICAS asks to acknowledge each write: every
 * upload and delete would then answer 503. Only a warning: replicas may connect later (a node being replaced).
 */
final class ReplicaCheck implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaCheck.class);

    private final RedisLink redis;
    private final int minReplicas;

    ReplicaCheck(RedisLink redis, int minReplicas) {
        this.redis = redis;
        this.minReplicas = minReplicas;
    }

    @Override
    public void run() {
        if (minReplicas < 1) {
            return;
        }
        List<String> masters;
        try {
            masters = redis.masters();
        } catch (QueueUnavailableException e) {
            LOG.atWarn().addKeyValue("type", "startup.redis_replicas").log("could not list the Redis masters");
            return;
        }
        for (String master : masters) {
            check(master, masters.size() > 1 ? " (" + master + ")" : "");
        }
    }

    private void check(String master, String where) {
        Optional<RedisReplication> replication;
        try {
            replication = RedisReplication.of(redis, master);
        } catch (QueueUnavailableException e) {
            LOG.atWarn().addKeyValue("type", "startup.redis_replicas").addKeyValue("redis", master)
                    .log("could not read Redis's replicas" + where);
            return;
        }
        int connected = replication.map(RedisReplication::connectedReplicas).orElse(0);
        if (connected < minReplicas) {
            LOG.atError().addKeyValue("type", "startup.redis_replicas").addKeyValue("connected", connected)
                    .addKeyValue("required", minReplicas).addKeyValue("redis", master)
                    .log("WARNING: Redis" + where + " has " + connected + " connected replicas and REDIS_MIN_REPLICAS "
                            + "is " + minReplicas + ": uploads and deletes answer 503 until enough replicas acknowledge");
        } else {
            LOG.atInfo().addKeyValue("type", "startup.redis_replicas").addKeyValue("connected", connected)
                    .addKeyValue("required", minReplicas).addKeyValue("redis", master)
                    .log("Redis replicas acknowledge writes" + where);
        }
    }
}
