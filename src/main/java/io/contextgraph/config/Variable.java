package io.contextgraph.config;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One environment variable a role reads, with its default: the table behind every role's {@code --help}.
 * {@code VariableTest} checks it against what {@link SettingsLoader} really reads and defaults to.
 *
 * @param defaultValue the value used when unset, exactly as it could be written ("" when there is none)
 * @param meaning      what it sets; conditions on the default are said here
 */
public record Variable(String name, Set<Role> roles, String defaultValue, String meaning) {

    private static final Set<Role> ALL = EnumSet.allOf(Role.class);
    private static final Set<Role> RUNNING = EnumSet.of(Role.WEB, Role.WORKER, Role.STANDALONE);
    private static final Set<Role> WEB = EnumSet.of(Role.WEB, Role.STANDALONE);
    private static final Set<Role> WORKER = EnumSet.of(Role.WORKER, Role.STANDALONE);

    /** Every variable, in the order the help lists them. */
    public static final List<Variable> TABLE = List.of(
            new Variable("REDIS_HOST", ALL, "localhost", "Redis host (standalone without it: its own embedded Redis)"),
            new Variable("REDIS_PORT", ALL, "6379", "Redis port"),
            new Variable("REDIS_PASSWORD", ALL, "", "Redis AUTH password"),
            new Variable("REDIS_TLS", ALL, "false", "TLS to Redis"),
            new Variable("REDIS_CLUSTER", ALL, "false", "REDIS_HOST:REDIS_PORT is a seed node of a Redis Cluster "
                    + "(cluster mode enabled)"),
            new Variable("REDIS_TIMEOUT", ALL, "1s", "Redis command timeout; requests answer 503 past it"),
            new Variable("REDIS_MIN_REPLICAS", RUNNING, "0", "replicas that must acknowledge a write before the 200 "
                    + "(and hold a task before a worker stores it)"),
            new Variable("REDIS_ALLOW_EVICTION", WORKER, "false",
                    "run on a Redis whose maxmemory-policy may evict queued work"),
            new Variable("SENTRY_DSN", RUNNING, "", "error reports to Sentry (off when unset)"),
            new Variable("SENTRY_ENVIRONMENT", RUNNING, "", "the environment tag of Sentry reports"),
            new Variable("STATSD_HOST", RUNNING, "localhost", "DogStatsD agent host (UDP)"),
            new Variable("STATSD_PORT", RUNNING, "8125", "DogStatsD agent port"),
            new Variable("PORT", WEB, "8000", "HTTP listening port"),
            new Variable("MAX_CONCURRENT_REQUESTS", WEB, "1024", "requests served at once; more get 503"),
            new Variable("READ_TIMEOUT", WEB, "30s", "time a client has to send its headers, and each part of its body"),
            new Variable("MAX_HEADER_BYTES", WEB, "16384", "largest request head"),
            new Variable("MAX_INFLIGHT_BYTES", WEB, "", "request-body bytes held in memory by all requests together; "
                    + "past it uploads get 503 (unset: a quarter of the heap)"),
            new Variable("SHUTDOWN_GRACE", RUNNING, "10s", "time in-flight requests and tasks get after SIGTERM"),
            new Variable("PUBLIC_KEY", WEB, "", "base64 of the PEM of the RSA public key; uploads must then be JWEs"),
            new Variable("PRIVATE_KEY", WORKER, "", "base64 of the PEM of the RSA private key that decrypts uploads"),
            new Variable("QUEUE_MAX_LENGTH", WEB, "100000", "queued tasks at most; past it uploads get 503"),
            new Variable("QUEUE_SHARDS", ALL, "1", "shards the queue is split into, each user on one (1 to 1024; "
                    + "16 when REDIS_CLUSTER=true); all roles must agree"),
            new Variable("FORGET_MARKER_TTL", WEB, "30d", "how long a delete fences older queued uploads"),
            new Variable("UPLOAD_DEDUP_WINDOW", WEB, "24h", "an identical upload (same X-User and body) retried "
                    + "within it is stored once (0: off)"),
            new Variable("QUEUE_VISIBILITY_TIMEOUT", WORKER, "30s", "when a dead worker's task is taken over (live "
                    + "workers renew the leases of their tasks)"),
            new Variable("QUEUE_MAX_ATTEMPTS", WORKER, "5", "attempts before a task is parked as a dead letter"),
            new Variable("QUEUE_RETRY_DELAY", WORKER, "2s", "first back-off after a failed attempt (doubles)"),
            new Variable("DEAD_LETTER_RETENTION", WORKER, "14d", "how long parked uploads are kept (parked deletes stay)"),
            new Variable("WORKER_CONCURRENCY", WORKER, "64", "tasks processed at once (in flight to S3)"),
            new Variable("WORKER_MAX_INFLIGHT_BYTES", WORKER, "", "task bodies held at once, e.g. 256MiB (unset: a "
                    + "tenth of the heap)"),
            new Variable("BLOCKLIST_FILE", WORKER, "", "replaces the bundled blocklist (one domain per line)"),
            new Variable("S3_BUCKET", WORKER, "", "bucket uploads are stored in (required by the worker; "
                    + "standalone without it: DATA_DIR)"),
            new Variable("S3_ENDPOINT", WORKER, "", "S3-compatible endpoint instead of AWS"),
            new Variable("S3_MULTIPART_THRESHOLD", WORKER, "8388608", "objects from this size up use multipart upload"),
            new Variable("S3_CHECKSUMS", WORKER, "", "when_required (default with S3_ENDPOINT) or when_supported "
                    + "(default on AWS)"),
            new Variable("AWS_REGION", WORKER, "", "AWS region of the bucket (required with S3_BUCKET and no "
                    + "S3_ENDPOINT, unless an AWS profile or instance metadata gives one)"),
            new Variable("AWS_ACCESS_KEY_ID", WORKER, "", "with AWS_SECRET_ACCESS_KEY: AWS credentials (unset: the "
                    + "SDK's default chain, e.g. the task or instance role)"),
            new Variable("DATA_DIR", EnumSet.of(Role.STANDALONE), "data", "local folder laid out like the bucket, "
                    + "when S3_BUCKET is unset"),
            new Variable("DATA_RETENTION", EnumSet.of(Role.STANDALONE), "", "remove local objects this long after "
                    + "their accepted day, e.g. 270d (unset: keep)"),
            new Variable("LOG_LEVEL", ALL, "INFO", "TRACE, DEBUG, INFO, WARN, ERROR or OFF"),
            new Variable("LOG_FORMAT", ALL, "json", "json (mozlog lines) or text (one plain line per event, for "
                    + "reading a local run)"));

    /** The variables {@code role} reads, in table order. */
    public static List<Variable> of(Role role) {
        return TABLE.stream().filter(variable -> variable.roles().contains(role)).toList();
    }
}
