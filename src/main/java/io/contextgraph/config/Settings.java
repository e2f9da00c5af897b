package io.contextgraph.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Everything the process is configured with, parsed once from the environment at start. */
public record Settings(
        Role role,
        Redis redis,
        Optional<String> sentryDsn,
        Statsd statsd,
        Web web,
        Storage storage,
        Keys keys,
        Queue queue,
        Worker worker,
        Optional<Path> blocklistFile) {

    /**
     * Where the queue lives; {@code embedded} means the standalone role starts its own Redis. {@code allowEviction}
     * lets a worker run against a Redis whose maxmemory-policy may evict queued work (a loud warning instead of a stop).
     * {@code minReplicas} is how many replicas must acknowledge a write before the web role answers 200.
     * {@code cluster}: host and port are a seed node of a Redis Cluster.
     */
    public record Redis(String host, int port, Optional<String> password, boolean tls, Duration commandTimeout,
                        boolean embedded, boolean allowEviction, int minReplicas, boolean cluster) {
        @Override
        public String toString() {
            return "Redis[" + host + ":" + port + (tls ? " tls" : "") + (password.isPresent() ? " auth" : "")
                    + (embedded ? " embedded" : "") + (allowEviction ? " allow-eviction" : "")
                    + (minReplicas > 0 ? " min-replicas=" + minReplicas : "") + (cluster ? " cluster" : "") + "]";
        }
    }

    /** The StatsD/DogStatsD agent that receives metrics over UDP. */
    public record Statsd(String host, int port) {
    }

    /** The HTTP listener and the limits that protect it. */
    public record Web(int port, int maxConcurrentRequests, Duration readTimeout, int maxHeaderBytes,
                      Duration shutdownGrace, long maxInflightBytes) {
    }

    /**
     * Where uploads are stored: an S3 bucket, or (standalone only) a local folder laid out like it.
     * {@code checksumsWhenRequired} turns off the SDK's newer default checksum headers that
     * S3-compatible stores often reject. {@code dataRetention}: how long the local folder keeps an
     * object after the day it was accepted; empty keeps it (on S3 a lifecycle rule does this).
     */
    public record Storage(Optional<String> bucket, Optional<URI> endpoint, boolean checksumsWhenRequired,
                          Path dataDir, long multipartThreshold, Optional<Duration> dataRetention) {
        public boolean usesS3() {
            return bucket.isPresent();
        }
    }

    /** Base64 of PEM texts as configured; the crypto package parses and validates them. */
    public record Keys(Optional<String> publicKey, Optional<String> privateKey) {
        public boolean encryptionEnabled() {
            return publicKey.isPresent() || privateKey.isPresent();
        }

        @Override
        public String toString() {
            return "Keys[public=" + publicKey.isPresent() + ", private=" + privateKey.isPresent() + "]";
        }
    }

    /**
     * Bounds and timings of the Redis task queue. {@code dedupWindow}: how long a retried identical upload is
     * recognised (zero: never); {@code deadLetterRetention}: how long parked tasks are kept; {@code shards}: how many
     * shards the queue is split into ({@code maxLength} is their total).
     */
    public record Queue(long maxLength, Duration visibilityTimeout, int maxAttempts, Duration retryDelay,
                        Duration forgetMarkerTtl, Duration dedupWindow, Duration deadLetterRetention, int shards) {
    }

    /**
     * How much work one worker process does at once: tasks in progress, and the bytes of task bodies it may hold at
     * once (polled, not finished); a task body is at most {@code maxBodyBytes}.
     */
    public record Worker(int concurrency, int maxBodyBytes, long maxInflightBytes) {
    }
}
