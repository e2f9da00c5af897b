package io.contextgraph.cli;

import io.contextgraph.config.ConfigException;
import io.contextgraph.observability.ErrorReporter;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.queue.redis.RedisPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;

/**
 * Checks Redis's eviction policy once connected (in cluster mode, of every master): a worker refuses to run on a Redis that may drop queued work (unless
 * REDIS_ALLOW_EVICTION=true), the web role only warns, since it must keep answering health checks.
 */
final class EvictionCheck implements Runnable {
    static final String VARIABLE = "REDIS_ALLOW_EVICTION";
    private static final Logger LOG = LoggerFactory.getLogger(EvictionCheck.class);

    private final RedisLink redis;
    private final ErrorReporter errors;
    private final boolean refuse;

    /** @param refuse throw on an evicting policy (worker roles without REDIS_ALLOW_EVICTION) */
    EvictionCheck(RedisLink redis, ErrorReporter errors, boolean refuse) {
        this.redis = redis;
        this.errors = errors;
        this.refuse = refuse;
    }

    /** @throws ConfigException when refusing a master's evicting policy */
    @Override
    public void run() {
        List<String> masters;
        try {
            masters = redis.masters();
        } catch (QueueUnavailableException e) {
            LOG.atWarn().addKeyValue("type", "startup.redis_policy").log("could not list the Redis masters");
            return;
        }
        for (String master : masters) {
            check(master, masters.size() > 1 ? " (" + master + ")" : "");
        }
    }

    private void check(String master, String where) {
        Optional<RedisPolicy> policy;
        try {
            policy = RedisPolicy.of(redis, master);
        } catch (QueueUnavailableException e) {
            LOG.atWarn().addKeyValue("type", "startup.redis_policy").addKeyValue("redis", master)
                    .log("could not read Redis's maxmemory-policy" + where);
            return;
        }
        if (policy.isEmpty()) {
            LOG.atWarn().addKeyValue("type", "startup.redis_policy").addKeyValue("redis", master)
                    .log("Redis does not report its maxmemory-policy" + where);
            return;
        }
        String name = policy.get().evictionPolicy();
        if (!policy.get().mayEvictQueuedWork()) {
            LOG.atInfo().addKeyValue("type", "startup.redis_policy").addKeyValue("policy", name)
                    .addKeyValue("redis", master).log("Redis maxmemory-policy is noeviction" + where);
            return;
        }
        String problem = "Redis maxmemory-policy is " + name + where + ", which can silently drop queued uploads and "
                + "forget markers; set it to noeviction";
        if (!refuse) {
            LOG.atError().addKeyValue("type", "startup.redis_policy").addKeyValue("policy", name)
                    .log("WARNING: " + problem + " (running anyway)");
            return;
        }
        String line = problem + " (or set " + VARIABLE + "=true to run anyway)";
        LOG.atError().addKeyValue("type", "startup.redis_policy").addKeyValue("policy", name).log(line);
        errors.report(new IllegalStateException("startup check failed: " + problem), "startup check failed: redis policy");
        throw new ConfigException(VARIABLE, line);
    }
}
