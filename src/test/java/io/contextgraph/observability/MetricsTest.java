package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.Uninterruptibles;
import io.contextgraph.testing.StatsdSink;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The DogStatsD lines {@link Metrics} puts on a real loopback UDP socket (compared with their tags sorted). */
class MetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private StatsdSink sink;
    private Metrics metrics;

    @BeforeEach
    void start() {
        sink = new StatsdSink();
        metrics = Metrics.statsd(sink.host(), sink.port(), Duration.ofMillis(200));
    }

    @AfterEach
    void stop() {
        metrics.close();
        sink.close();
    }

    private String awaitLine(String prefix) {
        return sink.awaitLine(line -> StatsdSink.withSortedTags(line).startsWith(prefix), WAIT)
                .map(StatsdSink::withSortedTags)
                .orElseThrow(() -> new AssertionError("no line starting with " + prefix + " in " + sink.lines()));
    }

    @Test
    void requestSendsACounterAndAMillisecondTimerWithTheSameNameAndTags() {
        metrics.request("v1.upload", "POST", 200, Duration.ofMillis(12).toNanos());

        assertThat(awaitLine("request:1|c")).isEqualTo("request:1|c|#method:post,path:v1.upload,status:200");
        assertThat(awaitLine("request:12")).isEqualTo("request:12|ms|#method:post,path:v1.upload,status:200");
    }

    @Test
    void timersAreRoundedToTheNearestMillisecond() {
        metrics.request("v1.delete", "put", 201, 400_000);
        metrics.request("v1.delete", "put", 202, 1_499_999);
        metrics.request("v1.delete", "put", 203, 1_500_000);
        metrics.request("v1.delete", "put", 204, -1); // a clock step: counted, not timed
        metrics.task("upload", Duration.ofNanos(2_600_000));
        metrics.task("delete", Duration.ofNanos(-1));
        metrics.increment("data.user.delete", 1);

        awaitLine("data.user.delete:1|c");
        assertThat(sink.lines()).map(StatsdSink::withSortedTags).filteredOn(line -> line.contains("|ms")).containsExactly(
                "request:0|ms|#method:put,path:v1.delete,status:201",
                "request:1|ms|#method:put,path:v1.delete,status:202",
                "request:2|ms|#method:put,path:v1.delete,status:203",
                "task:3|ms|#task:upload");
        assertThat(sink.lines()).map(StatsdSink::withSortedTags).contains("request:1|c|#method:put,path:v1.delete,status:204");
    }

    @Test
    void taskSendsATimerTaggedWithTheTask() {
        metrics.task("upload", Duration.ofMillis(250));

        assertThat(awaitLine("task:")).isEqualTo("task:250|ms|#task:upload");
    }

    @Test
    void incrementKeepsDottedNamesAndTags() {
        metrics.increment("data.upload.error", 1, "reason", "json");
        metrics.increment("data.session.new", 3);

        assertThat(awaitLine("data.upload.error:")).isEqualTo("data.upload.error:1|c|#reason:json");
        assertThat(awaitLine("data.session.new:")).isEqualTo("data.session.new:3|c");
    }

    @Test
    void zeroOrNegativeIncrementsSendNothing() {
        metrics.increment("data.session.drop", 0);
        metrics.increment("data.url.drop", -2);
        metrics.increment("data.user.delete", 1);

        awaitLine("data.user.delete:1|c");
        // One client thread sends in order, and UDP on loopback keeps it: what came before the marker is here.
        assertThat(sink.lines()).containsExactly("data.user.delete:1|c");
    }

    @Test
    void oddTagListsAreAProgrammingError() {
        assertThatThrownBy(() -> metrics.increment("data.user.new", 1, "reason"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void gaugeIsPolledAndSentRepeatedly() {
        AtomicLong length = new AtomicLong(7);
        metrics.gauge("queue.length", length::get);

        assertThat(awaitLine("queue.length:7")).isEqualTo("queue.length:7|g");
        length.set(42);
        assertThat(awaitLine("queue.length:42")).isEqualTo("queue.length:42|g");
    }

    @Test
    void aGaugeThatFailsIsSkippedAndPollingGoesOn() {
        AtomicLong calls = new AtomicLong();
        metrics.gauge("queue.length", () -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("Redis is away");
            }
            return calls.get();
        });

        assertThat(awaitLine("queue.length:")).isEqualTo("queue.length:2|g");
    }

    @Test
    void lineDelimitersInTagValuesAreReplaced() {
        metrics.increment("data.upload.error", 2, "reason", "a|b,c#d:e f@g");
        metrics.request("unknown", "M|#X", 405, 2_000_000);

        assertThat(awaitLine("data.upload.error:")).isEqualTo("data.upload.error:2|c|#reason:a_b_c_d_e_f_g");
        assertThat(awaitLine("request:1|c")).isEqualTo("request:1|c|#method:m__x,path:unknown,status:405");
    }

    @Test
    void anInterruptedCallerKeepsItsInterruptAndItsMetricIsSent() {
        Thread.currentThread().interrupt(); // a task being stopped records its timer
        metrics.task("upload", Duration.ofMillis(3));
        metrics.increment("data.upload.error", 1, "reason", "storage");
        metrics.request("v1.upload", "post", 503, 1_000_000);
        boolean stillInterrupted = Thread.interrupted();

        assertThat(stillInterrupted).isTrue();
        assertThat(awaitLine("task:")).isEqualTo("task:3|ms|#task:upload");
        assertThat(awaitLine("data.upload.error:")).isEqualTo("data.upload.error:1|c|#reason:storage");
        assertThat(awaitLine("request:1|ms")).isEqualTo("request:1|ms|#method:post,path:v1.upload,status:503");
    }

    @Test
    void aBurstBeyondTheClientsDefaultQueueIsAllSent() {
        int requests = 5_000;
        for (int i = 0; i < requests; i++) {
            metrics.request("v1.upload", "post", 200, 1_000_000);
        }

        // 10 000 lines at once, more than the client's default queue (4096) takes between two of its 10 ms ticks.
        assertThat(sink.awaitLineCount(2 * requests, WAIT)).as("lines received: " + sink.lines().size()).isTrue();
    }

    @Test
    void aCallerNeverWaitsForTheClientEvenWhenItsQueueIsFull() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ThreadFactory heldBack = work -> Thread.ofPlatform().daemon().unstarted(() -> {
            Uninterruptibles.awaitUninterruptibly(release);
            work.run();
        });
        try (StatsdSink held = new StatsdSink();
             Metrics stalled = Metrics.statsd(held.host(), held.port(), Duration.ofMinutes(1), heldBack)) {
            // The client's threads cannot take anything from its queue: beyond its size, a caller that waited for
            // room would wait until the release below, which comes only after the caller has returned.
            Thread caller = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < Metrics.QUEUE_SIZE; i++) {
                    stalled.request("v1.upload", "post", 200, 1_000_000);
                }
            });
            boolean returned = caller.join(Duration.ofSeconds(30));
            release.countDown();
            caller.join();

            assertThat(returned).as("the caller returned while the client's queue was full").isTrue();
        }
    }

    @Test
    void anAbsentAgentCostsNothingButTheMetric() {
        int closedPort;
        try (StatsdSink gone = new StatsdSink()) {
            closedPort = gone.port();
        }
        try (Metrics nobodyListens = Metrics.statsd("127.0.0.1", closedPort, Duration.ofMillis(100))) {
            for (int i = 0; i < 50; i++) {
                nobodyListens.request("v1.upload", "post", 200, 1_000_000);
                nobodyListens.increment("data.user.new", 1);
            }
        }
        try (Metrics unresolvable = Metrics.statsd("statsd.invalid", 8125, Duration.ofMillis(100))) {
            unresolvable.increment("data.user.new", 1);
            unresolvable.gauge("queue.length", () -> 1);
        }
        metrics.increment("data.user.new", 5);
        assertThat(awaitLine("data.user.new:")).isEqualTo("data.user.new:5|c");
    }

    @Test
    void noneAcceptsEverythingAndSendsNothing() {
        try (Metrics none = Metrics.none()) {
            none.request("v1.upload", "post", 200, 1_000_000);
            none.gauge("queue.length", () -> 1);
            none.increment("data.user.new", 1);
        }
        metrics.increment("data.user.new", 1);
        awaitLine("data.user.new:");
        assertThat(sink.lines()).containsExactly("data.user.new:1|c");
    }
}
