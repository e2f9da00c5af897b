package io.contextgraph.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.testing.OpenedInTest;
import io.contextgraph.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The producer's WAIT for replicas with a real primary and replica: accepted writes are on the replica when the call
 * returns; a frozen replica makes uploads and deletes fail as unavailable; and a connection lost while the WAIT is
 * blocked is no acknowledgement.
 */
@Timeout(60)
class ReplicationIT {
    @RegisterExtension
    final OpenedInTest opened = new OpenedInTest();

    private RedisServer primary;
    private RedisServer replica;
    private TaskQueue queue;
    private QueueSettings settings;

    private void start() {
        primary = opened.keep(new RedisServer());
        replica = opened.keep(RedisServer.replicaOf(primary));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> replica.cli("INFO", "replication").contains("master_link_status:up")
                        && primary.cli("INFO", "replication").contains("connected_slaves:1"));
        RedisLink link = opened.keep(new RedisLink(new RedisSettings("127.0.0.1", primary.port(), Optional.empty(), false,
                Duration.ofSeconds(1), 1)));
        link.start();
        settings = new QueueSettings("repl:", 1000, Duration.ofSeconds(30), 3, Duration.ofMillis(100),
                Duration.ofDays(1));
        queue = new TaskQueue(link, settings);
    }

    @Test
    void concurrentUploadsAndDeletesAreOnTheReplicaWhenTheyReturn() throws Exception {
        start();
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String user = "user-" + (i % 8);
            boolean delete = i % 16 == 0;
            // Distinct bodies: identical ones would be one upload (a retry).
            byte[] body = ("{\"n\":" + i + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            calls.add(CompletableFuture.runAsync(() -> {
                if (delete) {
                    queue.enqueueDelete(user);
                } else {
                    queue.enqueueUpload(user, body);
                }
            }, task -> Thread.ofVirtual().start(task)));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        // Killed at once: the replica can only have what it had when the calls returned.
        primary.kill();
        assertThat(replica.cli("XLEN", "repl:tasks")).isEqualTo("60");
        assertThat(replica.cli("XLEN", "repl:deletes")).isEqualTo("4");
        assertThat(replica.cli("EXISTS", "repl:forget:user-0")).isEqualTo("1");
    }

    @Test
    void aFrozenReplicaMakesUploadsAndDeletesUnavailable() {
        start();
        replica.pause();

        assertThatThrownBy(() -> queue.enqueueUpload("user-1", new byte[] {'{', '}'}))
                .isInstanceOf(QueueUnavailableException.class).hasMessageContaining("replicas acknowledged");
        assertThatThrownBy(() -> queue.enqueueDelete("user-1"))
                .isInstanceOf(QueueUnavailableException.class).hasMessageContaining("replicas acknowledged");
        replica.resume();
        queue.enqueueUpload("user-1", new byte[] {'{', '}'});
    }

    @Test
    void aWorkerIsNotGivenATaskTheReplicasDoNotHoldAndGetsItOnceTheyDo() {
        start();
        TaskConsumer consumer = opened.keep(new TaskConsumer(linkToPrimary(), settings, "fenced-worker"));
        assertThat(consumer.poll(10, Duration.ZERO)).isEmpty(); // the group exists
        replica.pause();
        // On the primary alone, as an upload whose WAIT failed (its client was answered 503 and will retry).
        primary.cli("XADD", "repl:tasks", "*", "type", "upload", "user", "user-1", "upload_id",
                "1764000000000-000000-AAAAAAAAAAAAAAAAAAAAAA", "accepted", "1764000000000", "body", "{}");

        assertThat(consumer.poll(10, Duration.ZERO)).as("handed back while no replica holds it").isEmpty();
        assertThat(primary.cli("XPENDING", "repl:tasks", "workers").split("\n")[0].strip())
                .as("still pending, its delivery not counted as an attempt").isEqualTo("1");

        replica.resume();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> !consumer.poll(10, Duration.ZERO).isEmpty());
        assertThat(replica.cli("XLEN", "repl:tasks")).isEqualTo("1");
    }

    private RedisLink linkToPrimary() {
        RedisLink link = opened.keep(new RedisLink(new RedisSettings("127.0.0.1", primary.port(), Optional.empty(),
                false, Duration.ofSeconds(1), 1)));
        link.start();
        return link;
    }

    @Test
    void aConnectionLostDuringTheWaitIsNoAcknowledgement() throws Exception {
        start();
        replica.pause();
        CompletableFuture<String> upload = CompletableFuture.supplyAsync(
                () -> queue.enqueueUpload("user-1", new byte[] {'{', '}'}), task -> Thread.ofVirtual().start(task));
        // The script has run and the WAIT is blocked on the frozen replica: cut the connection under it.
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                .until(() -> primary.cli("INFO", "clients").contains("blocked_clients:1"));
        primary.cli("CLIENT", "KILL", "TYPE", "normal");

        assertThatThrownBy(() -> upload.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(QueueUnavailableException.class);
        replica.resume();
    }
}
