package io.contextgraph.cli;

import io.contextgraph.config.ConfigException;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.ShardCount;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Once connected, records QUEUE_SHARDS in Redis or checks it against the recorded count: a role with another count
 * would look for users' tasks and forget markers in the wrong shards. A mismatch stops the role with status 2.
 */
final class ShardCountCheck implements Runnable {
    static final String VARIABLE = "QUEUE_SHARDS";
    private static final Logger LOG = LoggerFactory.getLogger(ShardCountCheck.class);

    private final ShardCount count;
    private final int configured;

    ShardCountCheck(RedisLink redis, QueueSettings queue) {
        this.count = new ShardCount(redis, queue);
        this.configured = queue.shards().count();
    }

    /** @throws ConfigException on a mismatch */
    @Override
    public void run() {
        int recorded;
        try {
            recorded = count.recordOrRead();
        } catch (QueueUnavailableException e) {
            LOG.atWarn().addKeyValue("type", "startup.queue_shards").log("could not check the recorded shard count");
            return;
        }
        if (recorded == configured) {
            LOG.atInfo().addKeyValue("type", "startup.queue_shards").addKeyValue("shards", configured)
                    .log("queue split into " + configured + " shard(s)");
            return;
        }
        String line = mismatch(configured, recorded, count.keyName());
        LOG.atError().addKeyValue("type", "startup.queue_shards").addKeyValue("shards", configured)
                .addKeyValue("recorded", recorded).log(VARIABLE + " " + line);
        throw new ConfigException(VARIABLE, line);
    }

    static String mismatch(int configured, int recorded, String key) {
        return "is " + configured + " but the queue in Redis has " + recorded + " shards (" + key + "); every role "
                + "must use QUEUE_SHARDS=" + recorded + ": changing it needs a drain (docs/operations.md)";
    }
}
