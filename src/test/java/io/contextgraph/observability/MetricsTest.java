package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.contextgraph.testing.StatsdSink;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The exact DogStatsD lines {@link Metrics} puts on a real loopback UDP socket (Micrometer sorts tags by key). */
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
        return sink.awaitLine(line -> line.startsWith(prefix), WAIT)
                .orElseThrow(() -> new AssertionError("no line starting with " + prefix + " in " + sink.lines()));
    }

    @Test
    void requestSendsACounterAndAMillisecondTimerWithTheSameNameAndTags() {
        metrics.request("v1.upload", "POST", 200, Duration.ofMillis(12));

        assertThat(awaitLine("request:1|c")).isEqualTo("request:1|c|#method:post,path:v1.upload,status:200");
        assertThat(awaitLine("request:12")).isEqualTo("request:12|ms|#method:post,path:v1.upload,status:200");
    }

    @Test
    void timerKeepsFractionsOfAMillisecond() {
        metrics.request("v1.delete", "Put", 503, Duration.ofNanos(1_500_000));

        assertThat(awaitLine("request:1.5|ms")).isEqualTo("request:1.5|ms|#method:put,path:v1.delete,status:503");
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
        // UDP on loopback keeps order: everything sent before the marker has arrived by now.
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
    void lineDelimitersInTagValuesAreReplaced() {
        metrics.increment("data.upload.error", 2, "reason", "a|b,c#d:e");

        assertThat(awaitLine("data.upload.error:")).isEqualTo("data.upload.error:2|c|#reason:a_b_c_d_e");
    }

    @Test
    void anAbsentAgentCostsNothingButTheMetric() {
        int closedPort;
        try (StatsdSink gone = new StatsdSink()) {
            closedPort = gone.port();
        }
        try (Metrics nobodyListens = Metrics.statsd("127.0.0.1", closedPort, Duration.ofMillis(100))) {
            for (int i = 0; i < 50; i++) {
                nobodyListens.request("v1.upload", "post", 200, Duration.ofMillis(1));
                nobodyListens.increment("data.user.new", 1);
            }
        }
        try (Metrics unresolvable = Metrics.statsd("statsd.invalid", 8125, Duration.ofMillis(100))) {
            unresolvable.increment("data.user.new", 1);
        }
        metrics.increment("data.user.new", 5);
        assertThat(awaitLine("data.user.new:")).isEqualTo("data.user.new:5|c");
    }

    @Test
    void linesMetricsHandsTheSameLinesToAConsumer() {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (Metrics direct = Metrics.lines(lines::add, Duration.ofMinutes(1))) {
            direct.request("v1.jwk", "GET", 404, Duration.ofMillis(3));
            direct.increment("data.user.new", 0);
        }
        assertThat(lines).containsExactly(
                "request:1|c|#method:get,path:v1.jwk,status:404",
                "request:3|ms|#method:get,path:v1.jwk,status:404");
    }

    @ParameterizedTest
    @CsvSource({
        "0, 0",
        "1, 0.000001",
        "50000, 0.05",
        "1234567, 1.234567",
        "12000000, 12",
        "1000000000, 1000",
        "3600000000001, 3600000.000001"})
    void timerMillisecondsAreExactWithoutTrailingZeros(long nanos, String millis) {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (Metrics direct = Metrics.lines(lines::add, Duration.ofMinutes(1))) {
            direct.request("v1.upload", "POST", 200, nanos);
            direct.task("upload", Duration.ofNanos(nanos));
        }
        assertThat(lines).containsExactly(
                "request:1|c|#method:post,path:v1.upload,status:200",
                "request:" + millis + "|ms|#method:post,path:v1.upload,status:200",
                "task:" + millis + "|ms|#task:upload");
    }

    @Test
    void requestTagsAreCleanedAndMethodsLowerCased() {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (Metrics direct = Metrics.lines(lines::add, Duration.ofMinutes(1))) {
            direct.request("unknown", "M|#X", 405, 2_000_000);
            direct.request("unknown", "M|#X", 405, -1); // a clock step: counted, not timed
        }
        assertThat(lines).containsExactly(
                "request:1|c|#method:m__x,path:unknown,status:405",
                "request:2|ms|#method:m__x,path:unknown,status:405",
                "request:1|c|#method:m__x,path:unknown,status:405");
    }

    @Test
    void noneAcceptsEverythingAndSendsNothing() {
        try (Metrics none = Metrics.none()) {
            none.request("v1.upload", "post", 200, Duration.ofMillis(1));
            none.gauge("queue.length", () -> 1);
            none.increment("data.user.new", 1);
        }
        metrics.increment("data.user.new", 1);
        awaitLine("data.user.new:");
        assertThat(sink.lines()).containsExactly("data.user.new:1|c");
    }
}
