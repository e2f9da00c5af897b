package io.contextgraph.observability;

import io.contextgraph.queue.Shards;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.StatsdSink;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/metrics.md: with more than one queue shard (QUEUE_SHARDS), the worker sends, beside the total
 * {@code queue.length}, one {@code queue.length} per shard tagged {@code shard:N} ({@code 0} to
 * {@code QUEUE_SHARDS - 1}) with the number of entries in that shard's upload and delete streams; over real UDP.
 *
 * <p>The tasks stay on their streams because the worker runs with REDIS_MIN_REPLICAS=1 against a Redis without
 * replicas: it hands every task it polls back unprocessed (operations.md), so the lengths are the ones queued.
 */
class QueueLengthShardsIT {
    private static final int SHARDS = 3;
    private static final String BUCKET = "cg-gauges";
    /** Gauges are sent every 10 seconds; two ticks and the worker's start fit well within this. */
    private static final Duration GAUGES = Duration.ofSeconds(60);

    @Test
    void theWorkerSendsOneQueueLengthPerShardTaggedWithItsNumber() throws Exception {
        // Shard 0: one upload; shard 1: two uploads and a delete; shard 2: two uploads. Distinct lengths (1, 3, 2),
        // so a gauge read from another shard, or a delete left out, shows.
        Shards shards = Shards.of(SHARDS, false);
        int[] uploads = {1, 2, 2};
        int[] deletes = {0, 1, 0};
        try (StatsdSink statsd = new StatsdSink();
             RedisServer redis = new RedisServer();
             S3ProxyServer s3 = S3ProxyServer.startTransient()) {
            s3.createBucket(BUCKET);
            try (RoleProcess web = RoleProcess.builder("web").name("gauges-web").redis(redis.port())
                    .env("QUEUE_SHARDS", Integer.toString(SHARDS)).start().awaitHttp(Duration.ofSeconds(60))) {
                for (int shard = 0; shard < SHARDS; shard++) {
                    for (int i = 0; i < uploads[shard]; i++) {
                        assertThat(Http.post(web.uri("/v1/upload"), userOn(shards, shard), Uploads.sessions(1),
                                "Content-Type", "application/json").statusCode()).isEqualTo(200);
                    }
                    for (int i = 0; i < deletes[shard]; i++) {
                        assertThat(Http.post(web.uri("/v1/delete"), userOn(shards, shard), new byte[0]).statusCode())
                                .isEqualTo(200);
                    }
                }
            }
            for (int shard = 0; shard < SHARDS; shard++) {
                assertThat(Long.parseLong(redis.cli("XLEN", "cg:{" + shard + "}:tasks"))
                        + Long.parseLong(redis.cli("XLEN", "cg:{" + shard + "}:deletes")))
                        .as("queued on shard " + shard).isEqualTo(uploads[shard] + deletes[shard]);
            }

            try (RoleProcess worker = RoleProcess.builder("worker").name("gauges-worker").redis(redis.port())
                    .env("QUEUE_SHARDS", Integer.toString(SHARDS)).env("REDIS_MIN_REPLICAS", "1")
                    .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                    .env("STATSD_HOST", statsd.host()).env("STATSD_PORT", Integer.toString(statsd.port()))
                    .start().awaitLog("worker started", Duration.ofSeconds(60))) {
                for (int shard = 0; shard < SHARDS; shard++) {
                    String expected = "queue.length:" + (uploads[shard] + deletes[shard]) + "|g|#shard:" + shard;
                    assertThat(awaitLine(statsd, expected)).as(statsd.lines().toString()).hasValue(expected);
                }
                assertThat(awaitLine(statsd, "queue.length:6|g")).as("the total, untagged").hasValue("queue.length:6|g");
                assertThat(worker.output()).as("the tasks were handed back, not processed").contains("queue.unreplicated");
            }

            List<String> gauges = statsd.lines().stream().map(StatsdSink::withSortedTags)
                    .filter(line -> line.startsWith("queue.length:")).toList();
            assertThat(gauges).allSatisfy(line -> assertThat(line)
                    .matches("queue\\.length:\\d+\\|g(\\|#shard:[0-" + (SHARDS - 1) + "])?"));
            List<String> tags = new ArrayList<>(gauges.stream().filter(line -> line.contains("|#"))
                    .map(line -> line.substring(line.indexOf("|#") + 2)).distinct().sorted().toList());
            assertThat(tags).as("one gauge per shard, no other").containsExactly("shard:0", "shard:1", "shard:2");
        }
    }

    private static Optional<String> awaitLine(StatsdSink statsd, String line) {
        return statsd.awaitLine(received -> StatsdSink.withSortedTags(received).equals(line), GAUGES);
    }

    /** A new token that the queue puts on {@code shard}. */
    private static String userOn(Shards shards, int shard) {
        while (true) {
            String user = Uploads.newUser();
            if (shards.of(user) == shard) {
                return user;
            }
        }
    }
}
