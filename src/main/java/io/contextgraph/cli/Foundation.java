package io.contextgraph.cli;

import io.contextgraph.config.Settings;
import io.contextgraph.observability.ErrorReporter;
import io.contextgraph.observability.Metrics;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.RedisLink;
import io.contextgraph.queue.RedisSettings;
import io.contextgraph.web.VersionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every role needs: error reports, metrics and the Redis link, started in that order so that a
 * failed Redis startup check is both logged and reported, and closed in reverse order.
 */
final class Foundation implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Foundation.class);

    final Settings settings;
    final VersionInfo version;
    final ErrorReporter errors;
    final Metrics metrics;
    final RedisLink redis;
    final QueueSettings queue;

    Foundation(Settings settings, String role, String redisHost, int redisPort) {
        this.settings = settings;
        this.version = VersionInfo.fromClasspath();
        this.errors = ErrorReporter.start(settings.sentryDsn(), version.release(), role);
        this.metrics = Metrics.statsd(settings.statsd().host(), settings.statsd().port());
        Settings.Redis r = settings.redis();
        this.redis = new RedisLink(new RedisSettings(redisHost, redisPort, r.password(), r.tls(), r.commandTimeout()));
        this.queue = new QueueSettings("cg:", settings.queue().maxLength(), settings.queue().visibilityTimeout(),
                settings.queue().maxAttempts(), settings.queue().retryDelay(), settings.queue().forgetMarkerTtl());
        redis.onFirstConnectFailure(e -> {
            LOG.atError().addKeyValue("type", "startup.redis").addKeyValue("redis", redisHost + ":" + redisPort)
                    .setCause(e).log("startup check failed: Redis does not answer; retrying in the background");
            errors.report(e, "startup check failed: redis");
        });
        LOG.atInfo().addKeyValue("type", "startup").addKeyValue("role", role)
                .addKeyValue("version", version.version()).log("starting");
        redis.start();
    }

    Foundation(Settings settings, String role) {
        this(settings, role, settings.redis().host(), settings.redis().port());
    }

    @Override
    public void close() {
        redis.close();
        metrics.close();
        errors.close();
    }
}
