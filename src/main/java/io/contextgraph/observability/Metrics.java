package io.contextgraph.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.statsd.StatsdConfig;
import io.micrometer.statsd.StatsdFlavor;
import io.micrometer.statsd.StatsdMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The service's metrics (SPEC "Metrics"), sent to a DogStatsD agent over UDP as lines like
 * {@code request:1|c|#path:v1.upload,method:post,status:200}.
 *
 * <p>The {@code request} and {@code task} lines are written here directly, from lines built once per tag
 * combination: recorded through Micrometer they cost a Reactor sink, count/total/max bookkeeping nobody reads
 * and a {@code DecimalFormat} per virtual thread on every request. Counters and gauges go through a Micrometer
 * {@link StatsdMeterRegistry} (flavor DATADOG), which keeps them and polls the gauges, with lines from
 * {@link DogStatsdLines} (names exactly as SPEC writes them, no {@code statistic} tag). All lines go out through
 * {@link UdpLineSender}, packed into datagrams (see {@link StatsdBatching}). Micrometer's own Netty transport is
 * not used: it drops the lines recorded before its channel is connected.
 */
public final class Metrics implements AutoCloseable {

    /** How often gauges ({@code queue.length}) are read and sent. */
    public static final Duration DEFAULT_POLLING = Duration.ofSeconds(10);
    /** Tag combinations kept ready; past this, lines are built per call (odd methods cannot fill the heap). */
    private static final int MAX_KEPT_LINES = 1_000;

    private final StatsdMeterRegistry registry;
    private final Consumer<String> lines;
    private final AutoCloseable transport;
    private final Map<RequestKey, TimedCount> requestLines = new ConcurrentHashMap<>();
    private final Map<String, String> taskTags = new ConcurrentHashMap<>();

    private record RequestKey(String path, String method, int status) {
    }

    /** The constant counter line of one tag combination, and the tag section its timer line ends with. */
    private record TimedCount(String counterLine, String tags) {
    }

    private Metrics(Consumer<String> lines, Duration polling, AutoCloseable transport) {
        this.registry = StatsdMeterRegistry.builder(config(polling))
                .lineBuilder((id, distribution) -> new DogStatsdLines(id))
                .lineSink(lines)
                .build();
        this.lines = lines;
        this.transport = transport;
    }

    /** Metrics sent to the DogStatsD agent at {@code host:port}; gauges every {@link #DEFAULT_POLLING}. */
    public static Metrics statsd(String host, int port) {
        return statsd(host, port, DEFAULT_POLLING);
    }

    /** Metrics sent to the DogStatsD agent at {@code host:port}, gauges read every {@code polling}. */
    public static Metrics statsd(String host, int port, Duration polling) {
        return statsd(host, port, polling, StatsdBatching.DEFAULT);
    }

    /** Metrics sent to the DogStatsD agent at {@code host:port}, packed into datagrams as {@code batching} says. */
    public static Metrics statsd(String host, int port, Duration polling, StatsdBatching batching) {
        UdpLineSender sender;
        try {
            sender = new UdpLineSender(host, port, batching);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a UDP socket for StatsD", e);
        }
        return new Metrics(sender, polling, sender);
    }

    /** Metrics whose DogStatsD lines go to {@code lines}, synchronously; for tests that need no socket. */
    public static Metrics lines(Consumer<String> lines, Duration polling) {
        return new Metrics(lines, polling, () -> { });
    }

    /** Metrics that send nothing: tests and local runs without a StatsD agent. */
    public static Metrics none() {
        return lines(line -> { }, DEFAULT_POLLING);
    }

    private static StatsdConfig config(Duration polling) {
        return new StatsdConfig() {
            @Override
            public String get(String key) {
                return null;
            }

            @Override
            public StatsdFlavor flavor() {
                return StatsdFlavor.DATADOG;
            }

            @Override
            public Duration pollingFrequency() {
                return polling;
            }

            @Override
            public boolean buffered() {
                return false;
            }
        };
    }

    /** One HTTP request: counter {@code request} and timer {@code request} (ms), tagged path, method, status. */
    public void request(String path, String method, int status, Duration took) {
        request(path, method, status, took.toNanos());
    }

    /**
     * One HTTP request that took {@code nanos}: counter {@code request} and timer {@code request} (ms), tagged
     * path, method (sent in lower case) and status.
     */
    public void request(String path, String method, int status, long nanos) {
        TimedCount meter = kept(requestLines, new RequestKey(path, method, status), Metrics::timedCount);
        lines.accept(meter.counterLine());
        timer("request", meter.tags(), nanos);
    }

    private static TimedCount timedCount(RequestKey key) {
        String tags = DogStatsdLines.tagSection("path", key.path(), "method", key.method().toLowerCase(Locale.ROOT),
                "status", Integer.toString(key.status()));
        return new TimedCount("request:1|c" + tags, tags);
    }

    /** One queue task: timer {@code task} (ms), tagged {@code task} (e.g. {@code upload}, {@code delete}). */
    public void task(String task, Duration took) {
        timer("task", kept(taskTags, task, name -> DogStatsdLines.tagSection("task", name)), took.toNanos());
    }

    /** The value kept for {@code key}, built and kept on first use while fewer than {@link #MAX_KEPT_LINES} are. */
    private static <K, V> V kept(Map<K, V> cache, K key, Function<K, V> build) {
        V value = cache.get(key);
        if (value == null) {
            value = build.apply(key);
            if (cache.size() < MAX_KEPT_LINES) {
                cache.putIfAbsent(key, value);
            }
        }
        return value;
    }

    // A negative time (a clock step) is not a duration; Micrometer drops it too.
    private void timer(String name, String tags, long nanos) {
        if (nanos >= 0) {
            StringBuilder line = new StringBuilder(name.length() + tags.length() + 24).append(name).append(':');
            lines.accept(DogStatsdLines.appendMillis(line, nanos).append("|ms").append(tags).toString());
        }
    }

    /**
     * Adds {@code amount} to counter {@code name}, with tags given as key, value pairs
     * ({@code "reason", "json"}). An amount of zero or less sends nothing: SPEC forbids zero increments.
     */
    public void increment(String name, long amount, String... tags) {
        if (tags.length % 2 != 0) {
            throw new IllegalArgumentException("tags must be key, value pairs");
        }
        if (amount <= 0) {
            return;
        }
        Counter.builder(name).tags(tags).register(registry).increment(amount);
    }

    /** Gauge {@code name}, read from {@code value} at every polling tick; the supplier should be cheap. */
    public void gauge(String name, LongSupplier value) {
        Objects.requireNonNull(value, "value");
        Gauge.builder(name, value, supplier -> supplier.getAsLong()).strongReference(true).register(registry);
    }

    /** Sends the gauges one last time, then every line still waiting for its datagram, and closes the socket. */
    @Override
    public void close() {
        registry.close();
        try {
            transport.close();
        } catch (Exception e) {
            // The last datagram is sent before the channel closes; a failure there has nobody left to tell.
        }
    }
}
