package io.contextgraph.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
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
import java.util.function.LongSupplier;

/**
 * The service's metrics (SPEC "Metrics"), sent to a DogStatsD agent over UDP as lines like
 * {@code request:1|c|#path:v1.upload,method:post,status:200}.
 *
 * <p>A Micrometer {@link StatsdMeterRegistry} (flavor DATADOG) keeps the meters and polls gauges; the lines
 * themselves come from {@link DogStatsdLines} (names exactly as SPEC writes them, no {@code statistic} tag)
 * and go out through {@link UdpLineSender}, one datagram per line as soon as it is recorded. Micrometer's own
 * Netty transport is not used: it drops the lines recorded before its channel is connected, and its
 * buffering holds lines until the next polling tick.
 */
public final class Metrics implements AutoCloseable {

    /** How often gauges ({@code queue.length}) are read and sent. */
    public static final Duration DEFAULT_POLLING = Duration.ofSeconds(10);

    private final StatsdMeterRegistry registry;
    private final AutoCloseable transport;
    /**
     * The request meters by path, method and status: a handful of combinations, looked up once each instead of
     * building tags and asking the registry on every request (it showed in the web role's profile).
     */
    private final Map<RequestKey, RequestMeters> requestMeters = new ConcurrentHashMap<>();

    private record RequestKey(String path, String method, int status) {
    }

    private record RequestMeters(Counter counter, Timer timer) {
    }

    private Metrics(Consumer<String> lines, Duration polling, AutoCloseable transport) {
        this.registry = StatsdMeterRegistry.builder(config(polling))
                .lineBuilder((id, distribution) -> new DogStatsdLines(id))
                .lineSink(lines)
                .build();
        this.transport = transport;
    }

    /** Metrics sent to the DogStatsD agent at {@code host:port}; gauges every {@link #DEFAULT_POLLING}. */
    public static Metrics statsd(String host, int port) {
        return statsd(host, port, DEFAULT_POLLING);
    }

    /** Metrics sent to the DogStatsD agent at {@code host:port}, gauges read every {@code polling}. */
    public static Metrics statsd(String host, int port, Duration polling) {
        UdpLineSender sender;
        try {
            sender = new UdpLineSender(host, port);
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
        RequestMeters meters = requestMeters.computeIfAbsent(new RequestKey(path, method, status), key -> {
            Tags tags = Tags.of("path", key.path(), "method", key.method().toLowerCase(Locale.ROOT),
                    "status", Integer.toString(key.status()));
            return new RequestMeters(Counter.builder("request").tags(tags).register(registry),
                    Timer.builder("request" + DogStatsdLines.TIMER_SUFFIX).tags(tags).register(registry));
        });
        meters.counter().increment();
        meters.timer().record(took);
    }

    /** One queue task: timer {@code task} (ms), tagged {@code task} (e.g. {@code upload}, {@code delete}). */
    public void task(String task, Duration took) {
        Timer.builder("task" + DogStatsdLines.TIMER_SUFFIX).tag("task", task).register(registry).record(took);
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

    /** Sends the gauges one last time and closes the socket. */
    @Override
    public void close() {
        registry.close();
        try {
            transport.close();
        } catch (Exception e) {
            // Closing a datagram channel has nothing left to flush; there is nothing useful to do here.
        }
    }
}
