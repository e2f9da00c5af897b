package io.contextgraph.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.QueueTestBed;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.testing.RedisServer;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RedisLinkIT {

    private static final String PASSWORD = "correct-horse-battery";

    @Test
    void connectsWithAPassword() {
        try (RedisServer server = new RedisServer("--requirepass", PASSWORD);
                RedisLink link = new RedisLink(new RedisSettings("127.0.0.1", server.port(), Optional.of(PASSWORD),
                        false, Duration.ofSeconds(1)))) {
            link.start();

            assertThat(link.ping()).isTrue();
            new TaskQueue(link, QueueSettings.defaults()).enqueueDelete("user-1");
            assertThat(server.cli("XLEN", "cg:deletes")).isEqualTo("1");
        }
    }

    @Test
    void aWrongPasswordIsReportedWithoutRevealingIt() {
        try (RedisServer server = new RedisServer("--requirepass", PASSWORD);
                RedisLink link = new RedisLink(new RedisSettings("127.0.0.1", server.port(),
                        Optional.of("wrong-secret-value"), false, Duration.ofSeconds(1)))) {
            link.start();

            assertThat(link.ping()).isFalse();
            assertThat(link.lastError()).hasValueSatisfying(error -> assertThat(error)
                    .doesNotContain("wrong-secret-value").doesNotContain(PASSWORD));
            assertThatThrownBy(() -> new TaskQueue(link, QueueSettings.defaults()).length())
                    .isInstanceOf(QueueUnavailableException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-secret-value"));
        }
    }

    @Test
    void aBlockingReadDoesNotStallOtherCommands() throws Exception {
        try (QueueTestBed bed = new QueueTestBed()) {
            QueueSettings settings = bed.settings();
            TaskConsumer consumer = bed.consumer(settings);
            assertThat(consumer.poll(1, Duration.ofMillis(10))).isEmpty(); // creates the group
            Thread poller = Thread.ofVirtual().start(() -> consumer.poll(1, Duration.ofSeconds(4)));
            QueueTestBed.sleep(300);

            // the command timeout is 1 s: a PING stuck behind the 4 s block would fail
            assertThat(bed.link.ping()).isTrue();
            assertThat(new TaskQueue(bed.link, bed.settings()).length()).isZero();
            assertThat(poller.isAlive()).isTrue();
            poller.join(Duration.ofSeconds(10));
        }
    }

    /** Replication relies on this to tell whether a write and its WAIT ran on the same Redis connection. */
    @Test
    void countsTheLossesOfTheSharedConnection() {
        try (QueueTestBed bed = new QueueTestBed()) {
            long before = bed.link.connectionLosses();
            assertThat(bed.link.ping()).isTrue();
            assertThat(bed.link.connectionLosses()).isEqualTo(before);

            bed.server.cli("CLIENT", "KILL", "TYPE", "normal");

            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> bed.link.connectionLosses() > before && bed.link.ping());
        }
    }
}
