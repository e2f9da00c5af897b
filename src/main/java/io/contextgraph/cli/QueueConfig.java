package io.contextgraph.cli;

import io.contextgraph.config.Settings;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.Shards;
import io.contextgraph.queue.redis.RedisSettings;

/** Turns the configured settings into the queue package's own settings, for the roles and the tools alike. */
final class QueueConfig {
    /** All Redis keys of the service start with this; one place, so that roles and tools agree. */
    static final String KEY_PREFIX = "cg:";

    private QueueConfig() {
    }

    /** The configured Redis, or another host and port (the standalone role's embedded one). */
    static RedisSettings redis(Settings.Redis redis, String host, int port) {
        return new RedisSettings(host, port, redis.password(), redis.tls(), redis.commandTimeout(),
                redis.minReplicas(), redis.cluster());
    }

    static QueueSettings queue(Settings settings) {
        Settings.Queue queue = settings.queue();
        return new QueueSettings(KEY_PREFIX, queue.maxLength(), queue.visibilityTimeout(), queue.maxAttempts(),
                queue.retryDelay(), queue.forgetMarkerTtl(), queue.dedupWindow(), queue.deadLetterRetention(),
                Shards.of(queue.shards(), settings.redis().cluster()));
    }
}
