package io.contextgraph.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads {@link Settings} from environment variables, once, at start. Any missing or malformed
 * value throws a {@link ConfigException} naming the variable, so the process stops with one line.
 */
public final class SettingsLoader {
    /** Upload bodies are limited to 10 MiB (SPEC); the worker never needs more per task. */
    public static final int MAX_BODY_BYTES = 10 * 1024 * 1024;
    /** QUEUE_SHARDS in cluster mode when unset. */
    private static final int DEFAULT_CLUSTER_SHARDS = 16;
    /** The most shards QUEUE_SHARDS may ask for (the queue package's own bound). */
    private static final int MAX_SHARDS = 1024;

    private SettingsLoader() {
    }

    public static Settings load(Role role, Map<String, String> environment) {
        Env env = new Env(environment);
        boolean embeddedRedis = role == Role.STANDALONE && env.text("REDIS_HOST").isEmpty();
        Settings.Redis redis = new Settings.Redis(
                env.text("REDIS_HOST", "localhost"),
                env.port("REDIS_PORT", 6379),
                env.text("REDIS_PASSWORD"),
                env.flag("REDIS_TLS", false),
                env.duration("REDIS_TIMEOUT", Duration.ofSeconds(1), Duration.ofMillis(50), Duration.ofMinutes(1)),
                embeddedRedis,
                env.flag("REDIS_ALLOW_EVICTION", false),
                env.integer("REDIS_MIN_REPLICAS", 0, 0, 16),
                env.flag("REDIS_CLUSTER", false));
        if (embeddedRedis && redis.minReplicas() > 0) {
            throw new ConfigException("REDIS_MIN_REPLICAS", "needs REDIS_HOST: the embedded Redis has no replicas");
        }
        if (embeddedRedis && redis.cluster()) {
            throw new ConfigException("REDIS_CLUSTER", "needs REDIS_HOST: the embedded Redis is a single node");
        }
        Settings.Statsd statsd = new Settings.Statsd(env.text("STATSD_HOST", "localhost"), env.port("STATSD_PORT", 8125));
        Settings.Web web = new Settings.Web(
                env.port("PORT", 8000),
                env.integer("MAX_CONCURRENT_REQUESTS", 1024, 1, 1_000_000),
                env.duration("READ_TIMEOUT", Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofHours(1)),
                env.integer("MAX_HEADER_BYTES", 16 * 1024, 1024, 1024 * 1024),
                env.duration("SHUTDOWN_GRACE", Duration.ofSeconds(10), Duration.ZERO, Duration.ofMinutes(10)),
                // A quarter of the heap: a body is held about twice while it is read, checked and queued.
                env.text("MAX_INFLIGHT_BYTES").isPresent()
                        ? env.integer("MAX_INFLIGHT_BYTES", 0, 1024 * 1024, Integer.MAX_VALUE)
                        : Runtime.getRuntime().maxMemory() / 4);

        Optional<String> bucket = env.text("S3_BUCKET");
        if (role == Role.WORKER && bucket.isEmpty()) {
            throw new ConfigException("S3_BUCKET", "is required for the worker role (the bucket uploads are stored in)");
        }
        bucket.ifPresent(SettingsLoader::checkBucketName);
        var endpoint = env.httpUri("S3_ENDPOINT");
        Settings.Storage storage = new Settings.Storage(
                bucket,
                endpoint,
                checksumMode(env, endpoint.isPresent()),
                env.path("DATA_DIR").orElse(Path.of("data")),
                env.integer("S3_MULTIPART_THRESHOLD", 8 * 1024 * 1024, 5 * 1024 * 1024, Integer.MAX_VALUE),
                env.optionalDuration("DATA_RETENTION", Duration.ofDays(1), Duration.ofDays(36_500)));
        if (storage.dataRetention().isPresent() && storage.usesS3()) {
            // Silently ignoring it would keep data longer than the operator asked for.
            throw new ConfigException("DATA_RETENTION", "applies to the local data folder only; "
                    + "for S3 give the bucket a lifecycle rule (docs/deploy.md, \"Retention of stored data\")");
        }

        Settings.Keys keys = new Settings.Keys(env.text("PUBLIC_KEY"), env.text("PRIVATE_KEY"));
        if (role == Role.WORKER && keys.publicKey().isPresent() && keys.privateKey().isEmpty()) {
            throw new ConfigException("PRIVATE_KEY", "is required for the worker when PUBLIC_KEY is set "
                    + "(uploads are encrypted and only the worker can decrypt them)");
        }
        if (role == Role.WEB && keys.privateKey().isPresent()) {
            throw new ConfigException("PRIVATE_KEY", "must not be given to the web role: only the worker holds it");
        }

        Settings.Queue queue = new Settings.Queue(
                env.integer("QUEUE_MAX_LENGTH", 100_000, 1, Integer.MAX_VALUE),
                env.duration("QUEUE_VISIBILITY_TIMEOUT", Duration.ofSeconds(30), Duration.ofMillis(200),
                        Duration.ofHours(12)),
                env.integer("QUEUE_MAX_ATTEMPTS", 5, 1, 100),
                env.duration("QUEUE_RETRY_DELAY", Duration.ofSeconds(2), Duration.ofMillis(10), Duration.ofHours(1)),
                env.duration("FORGET_MARKER_TTL", Duration.ofDays(30), Duration.ofMinutes(1), Duration.ofDays(3650)),
                env.duration("UPLOAD_DEDUP_WINDOW", Duration.ofHours(24), Duration.ZERO, Duration.ofDays(365)),
                env.duration("DEAD_LETTER_RETENTION", Duration.ofDays(14), Duration.ofSeconds(1), Duration.ofDays(3650)),
                // Enough shards to spread over the masters of a large cluster; one on a single node.
                env.integer("QUEUE_SHARDS", redis.cluster() ? DEFAULT_CLUSTER_SHARDS : 1, 1, MAX_SHARDS));
        if (queue.retryDelay().compareTo(queue.visibilityTimeout()) >= 0) {
            throw new ConfigException("QUEUE_RETRY_DELAY", "must be shorter than QUEUE_VISIBILITY_TIMEOUT");
        }
        checkForgetMarkerTtl(queue);
        Settings.Worker worker = new Settings.Worker(
                env.integer("WORKER_CONCURRENCY", 64, 1, 1024), MAX_BODY_BYTES,
                env.byteCount("WORKER_MAX_INFLIGHT_BYTES", defaultWorkerInflightBytes(Runtime.getRuntime().maxMemory()),
                        MAX_BODY_BYTES, Long.MAX_VALUE / 4));

        // Logback reads LOG_LEVEL itself and takes a value it does not know for DEBUG: refuse that here.
        env.oneOf("LOG_LEVEL", List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"));
        // LOG_FORMAT likewise (observability.LogFormat reads it for logback.xml, and takes anything else for json).
        env.oneOf("LOG_FORMAT", List.of("json", "text"));
        return new Settings(role, redis, env.text("SENTRY_DSN"), statsd, web, storage, keys, queue, worker,
                env.path("BLOCKLIST_FILE"));
    }

    /**
     * A forget marker must outlive every way an upload accepted before its delete can still be processed: its
     * deliveries (up to QUEUE_MAX_ATTEMPTS plus the two extra ones a task that kills its worker gets, each up to the
     * visibility timeout), then the dead letters (DEAD_LETTER_RETENTION, then a replay), and a client's retry within
     * UPLOAD_DEDUP_WINDOW. A worker also refuses to store an upload older than the marker TTL (it could no longer be
     * judged), so a shorter TTL would drop uploads instead of protecting deletes.
     */
    private static void checkForgetMarkerTtl(Settings.Queue queue) {
        Duration deliveries = queue.visibilityTimeout().multipliedBy(queue.maxAttempts() + 2L);
        Duration processing = queue.deadLetterRetention().plus(deliveries);
        Duration minimum = processing.compareTo(queue.dedupWindow()) >= 0 ? processing : queue.dedupWindow();
        if (queue.forgetMarkerTtl().compareTo(minimum) <= 0) {
            throw new ConfigException("FORGET_MARKER_TTL", "must be longer than DEAD_LETTER_RETENTION + "
                    + "(QUEUE_MAX_ATTEMPTS + 2) x QUEUE_VISIBILITY_TIMEOUT and than UPLOAD_DEDUP_WINDOW (is "
                    + queue.forgetMarkerTtl() + ", needs more than " + minimum + ")");
        }
    }

    /**
     * A tenth of the heap, and at least one maximum-size body: processing a task takes up to ~8 times its body (the
     * decrypted JSON, the parsed document, the gzip output), so the bodies held within this budget fit the heap.
     */
    static long defaultWorkerInflightBytes(long maxHeapBytes) {
        return Math.max(MAX_BODY_BYTES, maxHeapBytes / 10);
    }

    private static boolean checksumMode(Env env, boolean customEndpoint) {
        String mode = env.text("S3_CHECKSUMS", customEndpoint ? "when_required" : "when_supported")
                .toLowerCase(java.util.Locale.ROOT);
        return switch (mode) {
            case "when_required" -> true;
            case "when_supported" -> false;
            default -> throw new ConfigException("S3_CHECKSUMS", "must be when_required or when_supported, got \"" + mode + "\"");
        };
    }

    /** S3 bucket naming rules, so that a typo fails at start rather than at the first upload. */
    private static void checkBucketName(String bucket) {
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new ConfigException("S3_BUCKET", "is not a valid bucket name (3-63 lower-case letters, digits, '.' or '-')");
        }
    }
}
