package io.contextgraph.cli;

import io.contextgraph.config.ConfigException;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.ShardCount;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * Once connected, records QUEUE_SHARDS in Redis or checks it against the recorded count: a role with another count
 * would look for users' tasks and forget markers in the wrong shards. A mismatch stops the role with status 2.
 */
final class ShardCountCheck implements Runnable {
    static final String VARIABLE = "QUEUE_SHARDS";
    private static final Logger LOG = LoggerFactory.getLogger(ShardCountCheck.class);

    private final ShardCount count;
    private final int configured;
    private final Consumer<String> stop;
    private final Thread startingThread = Thread.currentThread();
    private volatile boolean startupDone;

    /** @param stop stops the process with status 2 and the given line (used when Redis came up after start) */
    ShardCountCheck(RedisLink redis, QueueSettings queue, Consumer<String> stop) {
        this.count = new ShardCount(redis, queue);
        this.configured = queue.shards().count();
        this.stop = stop;
    }

    /** From now on a mismatch stops the running process instead of failing its start. */
    void startupDone() {
        startupDone = true;
    }

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
        if (!startupDone && Thread.currentThread() == startingThread) {
            throw new ConfigException(VARIABLE, line);
        }
        stop.accept(VARIABLE + ": " + line);
    }

    static String mismatch(int configured, int recorded, String key) {
        return "is " + configured + " but the queue in Redis has " + recorded + " shards (" + key + "); every role "
                + "must use QUEUE_SHARDS=" + recorded + ": changing it needs a drain (docs/operations.md)";
    }
}
