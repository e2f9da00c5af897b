package io.contextgraph.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsLoaderTest {

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void defaultsMatchTheSpecTable() {
        Settings s = SettingsLoader.load(Role.WEB, env());
        assertThat(s.redis().host()).isEqualTo("localhost");
        assertThat(s.redis().port()).isEqualTo(6379);
        assertThat(s.redis().embedded()).isFalse();
        assertThat(s.redis().allowEviction()).as("a Redis that may evict queued work stops the worker").isFalse();
        assertThat(s.statsd().host()).isEqualTo("localhost");
        assertThat(s.statsd().port()).isEqualTo(8125);
        assertThat(s.web().port()).isEqualTo(8000);
        assertThat(s.sentryDsn()).isEmpty();
        assertThat(s.storage().bucket()).isEmpty();
        assertThat(s.keys().encryptionEnabled()).isFalse();
        assertThat(s.queue().maxAttempts()).isEqualTo(5);
        assertThat(s.redis().minReplicas()).as("no replica acknowledgement unless asked for").isZero();
        assertThat(s.queue().visibilityTimeout()).as("workers renew leases, so a crash costs seconds")
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(s.worker().maxInflightBytes())
                .isEqualTo(SettingsLoader.defaultWorkerInflightBytes(Runtime.getRuntime().maxMemory()));
    }

    @Test
    void requestHeadsUpTo16KiBByDefault() {
        // docs/deploy.md: MAX_HEADER_BYTES defaults to 16384.
        assertThat(SettingsLoader.load(Role.WEB, env()).web().maxHeaderBytes()).isEqualTo(16384);
        assertThat(SettingsLoader.load(Role.STANDALONE, env()).web().maxHeaderBytes()).isEqualTo(16384);
        assertThat(SettingsLoader.load(Role.WEB, env("MAX_HEADER_BYTES", "8192")).web().maxHeaderBytes())
                .isEqualTo(8192);
    }

    @Test
    void checksumsDefaultToWhenSupportedOnAwsAndWhenRequiredWithAnEndpoint() {
        // docs/deploy.md: S3_CHECKSUMS defaults to when_required with S3_ENDPOINT, else when_supported.
        assertThat(SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket")).storage().checksumsWhenRequired())
                .as("no S3_ENDPOINT: when_supported").isFalse();
        assertThat(SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket", "S3_ENDPOINT", "http://127.0.0.1:9000"))
                .storage().checksumsWhenRequired()).as("with S3_ENDPOINT: when_required").isTrue();
        assertThat(SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket", "S3_CHECKSUMS", "when_required"))
                .storage().checksumsWhenRequired()).as("set without an endpoint").isTrue();
        assertThat(SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket", "S3_ENDPOINT", "http://127.0.0.1:9000",
                "S3_CHECKSUMS", "when_supported")).storage().checksumsWhenRequired()).as("set with an endpoint")
                .isFalse();
    }

    @Test
    void theMultipartThresholdDefaultsTo8MiBAndIsAtLeast5MiB() {
        // docs/deploy.md: S3_MULTIPART_THRESHOLD defaults to 8388608, min 5 MiB (S3's smallest part but the last).
        assertThat(SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket")).storage().multipartThreshold())
                .isEqualTo(8L * 1024 * 1024);
        assertThat(SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket", "S3_MULTIPART_THRESHOLD", "5242880"))
                .storage().multipartThreshold()).isEqualTo(5L * 1024 * 1024);
        assertThatThrownBy(() -> SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket",
                "S3_MULTIPART_THRESHOLD", "5242879")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("S3_MULTIPART_THRESHOLD: must be between 5242880 and 2147483647, got 5242879")
                .extracting(e -> ((ConfigException) e).variable()).isEqualTo("S3_MULTIPART_THRESHOLD");
    }

    @Test
    void workerInflightBytesDefaultToATenthOfTheHeapAndHoldAtLeastOneBody() {
        assertThat(SettingsLoader.defaultWorkerInflightBytes(1L << 30)).isEqualTo((1L << 30) / 10);
        assertThat(SettingsLoader.defaultWorkerInflightBytes(64L << 20)).isEqualTo(SettingsLoader.MAX_BODY_BYTES);
        assertThat(SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket", "WORKER_MAX_INFLIGHT_BYTES", "64MiB"))
                .worker().maxInflightBytes()).isEqualTo(64L << 20);
        assertThat(SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket", "WORKER_MAX_INFLIGHT_BYTES", "20000000"))
                .worker().maxInflightBytes()).isEqualTo(20_000_000L);
        assertThatThrownBy(() -> SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket",
                "WORKER_MAX_INFLIGHT_BYTES", "1MiB"))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("WORKER_MAX_INFLIGHT_BYTES: must be between");
        assertThatThrownBy(() -> SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket",
                "WORKER_MAX_INFLIGHT_BYTES", "lots"))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("WORKER_MAX_INFLIGHT_BYTES: must be a number of bytes");
    }

    @Test
    void minReplicasNeedsARealRedis() {
        assertThat(SettingsLoader.load(Role.WEB, env("REDIS_MIN_REPLICAS", "1")).redis().minReplicas()).isEqualTo(1);
        assertThat(SettingsLoader.load(Role.STANDALONE, env("REDIS_HOST", "cache", "REDIS_MIN_REPLICAS", "2"))
                .redis().minReplicas()).isEqualTo(2);
        assertThatThrownBy(() -> SettingsLoader.load(Role.STANDALONE, env("REDIS_MIN_REPLICAS", "1")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("REDIS_MIN_REPLICAS: needs REDIS_HOST");
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, env("REDIS_MIN_REPLICAS", "-1")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("REDIS_MIN_REPLICAS");
    }

    @Test
    void clusterModeDefaultsToSixteenShardsAndNeedsARealRedis() {
        Settings single = SettingsLoader.load(Role.WEB, env());
        assertThat(single.redis().cluster()).isFalse();
        assertThat(single.queue().shards()).isEqualTo(1);
        Settings cluster = SettingsLoader.load(Role.WEB, env("REDIS_CLUSTER", "true"));
        assertThat(cluster.redis().cluster()).isTrue();
        assertThat(cluster.queue().shards()).isEqualTo(16);
        assertThat(SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket", "REDIS_CLUSTER", "true",
                "QUEUE_SHARDS", "3")).queue().shards()).isEqualTo(3);
        assertThat(SettingsLoader.load(Role.ADMIN, env("QUEUE_SHARDS", "1024")).queue().shards()).isEqualTo(1024);
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, env("QUEUE_SHARDS", "0")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("QUEUE_SHARDS");
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, env("QUEUE_SHARDS", "1025")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("QUEUE_SHARDS");
        assertThatThrownBy(() -> SettingsLoader.load(Role.STANDALONE, env("REDIS_CLUSTER", "true")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("REDIS_CLUSTER: needs REDIS_HOST");
        assertThat(SettingsLoader.load(Role.STANDALONE, env("REDIS_HOST", "cache", "REDIS_CLUSTER", "true"))
                .redis().cluster()).isTrue();
    }

    @Test
    void theInflightBudgetIsAQuarterOfTheHeapUnlessSet() {
        assertThat(SettingsLoader.load(Role.WEB, env()).web().maxInflightBytes())
                .isEqualTo(Runtime.getRuntime().maxMemory() / 4);
        assertThat(SettingsLoader.load(Role.WEB, env("MAX_INFLIGHT_BYTES", "33554432")).web().maxInflightBytes())
                .isEqualTo(32L * 1024 * 1024);
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, env("MAX_INFLIGHT_BYTES", "1000")))
                .hasMessageContaining("MAX_INFLIGHT_BYTES");
    }

    @Test
    void readsEveryVariable() {
        Settings s = SettingsLoader.load(Role.WORKER, env(
                "REDIS_HOST", "cache.example.com", "REDIS_PORT", "6380", "REDIS_PASSWORD", "pw", "REDIS_TLS", "true",
                "SENTRY_DSN", "https://public@sentry.example.com/1", "STATSD_HOST", "172.17.42.1", "STATSD_PORT", "8126",
                "S3_BUCKET", "com-example-dev-us-west-2-contextgraph", "S3_ENDPOINT", "http://127.0.0.1:9000",
                "PORT", "8080", "PUBLIC_KEY", "cHVi", "PRIVATE_KEY", "cHJpdg==", "BLOCKLIST_FILE", "/etc/blocklist.txt",
                "QUEUE_MAX_LENGTH", "10", "QUEUE_VISIBILITY_TIMEOUT", "90s", "QUEUE_MAX_ATTEMPTS", "3",
                "QUEUE_RETRY_DELAY", "500ms", "WORKER_CONCURRENCY", "4", "REDIS_ALLOW_EVICTION", "true"));
        assertThat(s.redis()).extracting(Settings.Redis::host, Settings.Redis::port, Settings.Redis::tls)
                .containsExactly("cache.example.com", 6380, true);
        assertThat(s.redis().password()).contains("pw");
        assertThat(s.redis().allowEviction()).isTrue();
        assertThat(s.sentryDsn()).contains("https://public@sentry.example.com/1");
        assertThat(s.statsd()).isEqualTo(new Settings.Statsd("172.17.42.1", 8126));
        assertThat(s.storage().bucket()).contains("com-example-dev-us-west-2-contextgraph");
        assertThat(s.storage().endpoint()).contains(URI.create("http://127.0.0.1:9000"));
        assertThat(s.storage().checksumsWhenRequired()).as("a custom endpoint turns the newer checksums off").isTrue();
        assertThat(s.web().port()).isEqualTo(8080);
        assertThat(s.keys().publicKey()).contains("cHVi");
        assertThat(s.blocklistFile()).contains(Path.of("/etc/blocklist.txt"));
        assertThat(s.queue().maxLength()).isEqualTo(10);
        assertThat(s.queue().visibilityTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(s.queue().retryDelay()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.worker().concurrency()).isEqualTo(4);
    }

    @Test
    void workerWithoutBucketNamesTheVariable() {
        assertThatThrownBy(() -> SettingsLoader.load(Role.WORKER, env()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("S3_BUCKET: is required")
                .extracting(e -> ((ConfigException) e).variable()).isEqualTo("S3_BUCKET");
    }

    @Test
    void emptyValuesCountAsUnset() {
        Settings s = SettingsLoader.load(Role.WEB, env("SENTRY_DSN", "", "REDIS_HOST", " ", "PORT", ""));
        assertThat(s.sentryDsn()).isEmpty();
        assertThat(s.redis().host()).isEqualTo("localhost");
        assertThat(s.web().port()).isEqualTo(8000);
        assertThatThrownBy(() -> SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "")))
                .hasMessageContaining("S3_BUCKET");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "PORT|eighty|PORT: must be a whole number",
            "PORT|0|PORT: must be between 1 and 65535",
            "PORT|70000|PORT: must be between 1 and 65535",
            "REDIS_PORT|63 79|REDIS_PORT: must be a whole number",
            "STATSD_PORT|-1|STATSD_PORT: must be between",
            "REDIS_TLS|maybe|REDIS_TLS: must be true or false",
            "REDIS_ALLOW_EVICTION|sure|REDIS_ALLOW_EVICTION: must be true or false",
            "S3_ENDPOINT|localhost:9000|S3_ENDPOINT: must be an http(s) URL",
            "S3_ENDPOINT|http://|S3_ENDPOINT:",
            "S3_CHECKSUMS|sometimes|S3_CHECKSUMS: must be when_required or when_supported",
            "QUEUE_VISIBILITY_TIMEOUT|5 minutes|QUEUE_VISIBILITY_TIMEOUT: must be a duration",
            "QUEUE_MAX_ATTEMPTS|0|QUEUE_MAX_ATTEMPTS: must be between 1 and 100",
            "WORKER_CONCURRENCY|lots|WORKER_CONCURRENCY: must be a whole number",
            "LOG_FORMAT|yaml|LOG_FORMAT: must be json or text",
    })
    void malformedValuesNameTheVariable(String variable, String value, String message) {
        Map<String, String> env = env(variable, value, "S3_BUCKET", "bucket-name");
        assertThatThrownBy(() -> SettingsLoader.load(Role.WORKER, env))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message)
                .extracting(e -> ((ConfigException) e).variable()).isEqualTo(variable);
    }

    @Test
    void badBucketNameIsRefused() {
        assertThatThrownBy(() -> SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "Not_A_Bucket")))
                .hasMessageStartingWith("S3_BUCKET: is not a valid bucket name");
    }

    @Test
    void theWebRoleNeverTakesThePrivateKey() {
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, env("PRIVATE_KEY", "cHJpdg==")))
                .hasMessageStartingWith("PRIVATE_KEY: must not be given to the web role");
    }

    @Test
    void anEncryptingWorkerNeedsThePrivateKey() {
        assertThatThrownBy(() -> SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket-name", "PUBLIC_KEY", "cHVi")))
                .hasMessageStartingWith("PRIVATE_KEY: is required");
    }

    @Test
    void standaloneUsesEmbeddedRedisOnlyWithoutRedisHost() {
        assertThat(SettingsLoader.load(Role.STANDALONE, env()).redis().embedded()).isTrue();
        assertThat(SettingsLoader.load(Role.STANDALONE, env("REDIS_HOST", "127.0.0.1")).redis().embedded()).isFalse();
        assertThat(SettingsLoader.load(Role.STANDALONE, env()).storage().usesS3()).isFalse();
        assertThat(SettingsLoader.load(Role.STANDALONE, env("DATA_DIR", "/tmp/cg")).storage().dataDir())
                .isEqualTo(Path.of("/tmp/cg"));
    }

    @Test
    void dataRetentionIsUnsetByDefaultAndReadAsADuration() {
        assertThat(SettingsLoader.load(Role.STANDALONE, env()).storage().dataRetention())
                .as("unset keeps stored data").isEmpty();
        assertThat(SettingsLoader.load(Role.STANDALONE, env("DATA_RETENTION", "270d")).storage().dataRetention())
                .contains(Duration.ofDays(270));
        assertThatThrownBy(() -> SettingsLoader.load(Role.STANDALONE, env("DATA_RETENTION", "270 days")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("DATA_RETENTION");
        assertThatThrownBy(() -> SettingsLoader.load(Role.STANDALONE, env("DATA_RETENTION", "2h")))
                .as("shorter than a day").isInstanceOf(ConfigException.class).hasMessageContaining("DATA_RETENTION");
    }

    @Test
    void dataRetentionIsRefusedWithABucket() {
        assertThatThrownBy(() -> SettingsLoader.load(Role.STANDALONE,
                env("DATA_RETENTION", "270d", "S3_BUCKET", "com-example-dev-us-west-2-contextgraph")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("DATA_RETENTION").hasMessageContaining("lifecycle rule");
    }

    @Test
    void retryDelayMustBeShorterThanTheVisibilityTimeout() {
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, env("QUEUE_VISIBILITY_TIMEOUT", "1s", "QUEUE_RETRY_DELAY", "2s")))
                .hasMessageStartingWith("QUEUE_RETRY_DELAY:");
    }

    @Test
    void dedupWindowAndDeadLetterRetentionHaveTheirDefaultsAndCanBeSet() {
        Settings defaults = SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket"));
        assertThat(defaults.queue().dedupWindow()).isEqualTo(Duration.ofHours(24));
        assertThat(defaults.queue().deadLetterRetention()).isEqualTo(Duration.ofDays(14));
        Settings set = SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket", "UPLOAD_DEDUP_WINDOW", "0",
                "DEAD_LETTER_RETENTION", "2d"));
        assertThat(set.queue().dedupWindow()).isZero();
        assertThat(set.queue().deadLetterRetention()).isEqualTo(Duration.ofDays(2));
    }

    @Test
    void theForgetMarkerMustOutliveEveryWayAnOlderUploadCanStillBeProcessed() {
        // 14 days of dead letters + 7 deliveries of 5 minutes: a 14-day marker could expire before a replay.
        assertThatThrownBy(() -> SettingsLoader.load(Role.WORKER, env("S3_BUCKET", "bucket",
                "FORGET_MARKER_TTL", "14d")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("FORGET_MARKER_TTL:")
                .extracting(e -> ((ConfigException) e).variable()).isEqualTo("FORGET_MARKER_TTL");
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, env("DEAD_LETTER_RETENTION", "30d")))
                .hasMessageStartingWith("FORGET_MARKER_TTL:");
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, env("FORGET_MARKER_TTL", "2d",
                "DEAD_LETTER_RETENTION", "1d", "UPLOAD_DEDUP_WINDOW", "3d")))
                .hasMessageStartingWith("FORGET_MARKER_TTL:");
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, env("QUEUE_VISIBILITY_TIMEOUT", "12h",
                "QUEUE_MAX_ATTEMPTS", "100")))
                .hasMessageStartingWith("FORGET_MARKER_TTL:");
        Settings fits = SettingsLoader.load(Role.WEB, env("FORGET_MARKER_TTL", "15d"));
        assertThat(fits.queue().forgetMarkerTtl()).isEqualTo(Duration.ofDays(15));
    }

    @Test
    void secretsAreNotEchoedInFull() {
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, env("REDIS_PORT", "supersecretpassword-that-is-long")))
                .hasMessageNotContaining("that-is-long");
    }
}
