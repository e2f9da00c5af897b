package io.contextgraph.cli;

import io.contextgraph.config.ConfigException;
import io.contextgraph.config.Role;
import io.contextgraph.config.Settings;
import io.contextgraph.observability.ErrorReporter;
import io.contextgraph.observability.Metrics;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.web.VersionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.util.List;
import java.util.function.Consumer;

/**
 * What every role needs: error reports, metrics and the Redis link, started in that order so that a
 * failed Redis startup check is both logged and reported, and closed in reverse order.
 */
final class Foundation implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(Foundation.class);

    final Settings settings;
    final VersionInfo version;
    final ErrorReporter errors;
    final Metrics metrics;
    final RedisLink redis;
    final QueueSettings queue;

    /**
     * @param stop stops the running process with status 2 and one line (a worker found an evicting Redis after start)
     */
    Foundation(Settings settings, String role, String redisHost, int redisPort, Consumer<String> stop) {
        this.settings = settings;
        this.version = VersionInfo.fromClasspath();
        this.errors = ErrorReporter.start(settings.sentryDsn(), version.release(), role);
        this.metrics = Metrics.statsd(settings.statsd().host(), settings.statsd().port());
        this.redis = new RedisLink(QueueConfig.redis(settings.redis(), redisHost, redisPort));
        this.queue = QueueConfig.queue(settings);
        redis.onFirstConnectFailure(e -> {
            LOG.atError().addKeyValue("type", "startup.redis").addKeyValue("redis", redisHost + ":" + redisPort)
                    .setCause(e).log("startup check failed: Redis does not answer; retrying in the background");
            errors.report(e, "startup check failed: redis");
        });
        // Workers refuse a Redis that may evict queued work; the web role must keep answering health checks, so warns.
        boolean refuse = settings.role() != Role.WEB && !settings.redis().allowEviction();
        List<Runnable> checks = List.of(new ShardCountCheck(redis, queue), new EvictionCheck(redis, errors, refuse),
                new ReplicaCheck(redis, settings.role() == Role.WORKER ? 0 : settings.redis().minReplicas()));
        Thread starting = Thread.currentThread();
        redis.onFirstConnect(() -> {
            for (Runnable check : checks) {
                try {
                    check.run();
                } catch (ConfigException refusal) {
                    if (Thread.currentThread() == starting) {
                        throw refusal; // Redis answered at start: fail the start itself
                    }
                    stop.accept(refusal.getMessage()); // Redis came up later, on the connector's thread
                }
            }
        });
        LOG.atInfo().addKeyValue("type", "startup").addKeyValue("role", role)
                .addKeyValue("version", version.version()).log("starting");
        try {
            redis.start();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    Foundation(Settings settings, String role, Consumer<String> stop) {
        this(settings, role, settings.redis().host(), settings.redis().port(), stop);
    }

    @Override
    public void close() {
        redis.close();
        metrics.close();
        errors.close();
    }
}
