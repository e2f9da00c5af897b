package io.contextgraph.observability;

import com.google.common.base.CharMatcher;
import com.timgroup.statsd.NoOpStatsDClient;
import com.timgroup.statsd.NonBlockingStatsDClientBuilder;
import com.timgroup.statsd.StatsDClient;
import com.timgroup.statsd.StatsDClientErrorHandler;
import com.timgroup.statsd.StatsDClientException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's metrics (SPEC "Metrics"), sent to a DogStatsD agent over UDP by Datadog's java-dogstatsd-client,
 * as lines like {@code request:1|c|#path:v1.upload,method:post,status:200}.
 *
 * <p>The client queues each metric without waiting for I/O; its own thread packs the queued lines into datagrams and
 * sends them. It runs with its defaults (non-blocking: the thread looks at the queue every 10 ms when it finds it
 * empty, so a busy role sends a few full datagrams per tick rather than one per request) except: no client telemetry
 * (docs/metrics.md lists every metric sent), no client-side aggregation (one line per event, as documented), and a
 * queue of {@value #QUEUE_SIZE} lines. {@link #close()} does not wait for the client's next tick: the lines of the
 * last ~10 ms may be lost, as any datagram may be.
 */
public final class Metrics implements AutoCloseable {

    /** How often gauges ({@code queue.length}) are read and sent. */
    public static final Duration DEFAULT_POLLING = Duration.ofSeconds(10);
    private static final Duration RETRY_LOOKUP = Duration.ofMinutes(1);
    /**
     * Lines queued unsent beyond this are dropped rather than make a request wait: at two lines per request, about a
     * second of 30 000 requests/s that the client's thread could not keep up with.
     */
    static final int QUEUE_SIZE = 65_536;
    private static final Logger log = LoggerFactory.getLogger(Metrics.class);
    /** What the client writes as is but delimits a DogStatsD line (a method token may contain them). */
    private static final CharMatcher DELIMITERS = CharMatcher.anyOf(":|#,@").or(CharMatcher.whitespace());

    private final Function<StatsDClientErrorHandler, StatsDClient> connect;
    private final ScheduledExecutorService poller;
    private final Map<Gauge, LongSupplier> gauges = new ConcurrentHashMap<>();
    private final AtomicBoolean warned = new AtomicBoolean();
    private volatile StatsDClient client;

    private Metrics(Function<StatsDClientErrorHandler, StatsDClient> connect, Duration polling) {
        this.connect = connect;
        this.poller = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("metrics-gauges").factory());
        this.client = connectOrNothing();
        long every = polling.toNanos();
        poller.scheduleAtFixedRate(this::sendGauges, every, every, TimeUnit.NANOSECONDS);
    }

    /** Metrics sent to the DogStatsD agent at {@code host:port}; gauges every {@link #DEFAULT_POLLING}. */
    public static Metrics statsd(String host, int port) {
        return statsd(host, port, DEFAULT_POLLING);
    }

    /** Metrics sent to the DogStatsD agent at {@code host:port}, gauges read every {@code polling}. */
    public static Metrics statsd(String host, int port, Duration polling) {
        return new Metrics(errors -> client(host, port, errors).build(), polling);
    }

    /** ... with the client's own threads made by {@code clientThreads} (tests hold them back). */
    static Metrics statsd(String host, int port, Duration polling, ThreadFactory clientThreads) {
        return new Metrics(errors -> client(host, port, errors).threadFactory(clientThreads).build(), polling);
    }

    private static NonBlockingStatsDClientBuilder client(String host, int port, StatsDClientErrorHandler errors) {
        return new NonBlockingStatsDClientBuilder()
                .hostname(host)
                .port(port)
                .enableTelemetry(false)
                .enableAggregation(false)
                .queueSize(QUEUE_SIZE)
                .errorHandler(errors);
    }

    /** Metrics that send nothing: tests and local runs without a StatsD agent. */
    public static Metrics none() {
        return new Metrics(errors -> new NoOpStatsDClient(), DEFAULT_POLLING);
    }

    /**
     * The client, or one that sends nothing when the agent's host does not resolve (the client looks it up once);
     * the lookup is tried again every {@link #RETRY_LOOKUP}, so a late DNS record needs no restart.
     */
    private StatsDClient connectOrNothing() {
        try {
            return connect.apply(this::warnOnce);
        } catch (StatsDClientException e) {
            warnOnce(e);
            poller.schedule(this::retryConnect, RETRY_LOOKUP.toNanos(), TimeUnit.NANOSECONDS);
            return new NoOpStatsDClient();
        }
    }

    private void retryConnect() {
        client = connectOrNothing();
    }

    private void warnOnce(Exception e) {
        if (warned.compareAndSet(false, true)) {
            log.atWarn().addKeyValue("type", "metrics.send").log("cannot send metrics to StatsD: {}", e.toString());
        }
    }

    /**
     * One HTTP request that took {@code nanos}: counter {@code request} and timer {@code request} (milliseconds,
     * rounded), tagged path, method (sent in lower case) and status. A negative time (a clock step) is counted, not
     * timed.
     */
    public void request(String path, String method, int status, long nanos) {
        String[] tags = {"path:" + path, "method:" + tagValue(method.toLowerCase(Locale.ROOT)), "status:" + status};
        StatsDClient statsd = client; // both lines to the same client, even while it is being replaced
        statsd.count("request", 1, tags);
        if (nanos >= 0) {
            statsd.time("request", roundedMillis(nanos), tags);
        }
    }

    /** One queue task: timer {@code task} (milliseconds, rounded), tagged {@code task} ({@code upload}, {@code delete}). */
    public void task(String task, Duration took) {
        if (!took.isNegative()) {
            client.time("task", roundedMillis(took.toNanos()), "task:" + task);
        }
    }

    private static long roundedMillis(long nanos) {
        return (nanos + 500_000) / 1_000_000;
    }

    /**
     * Adds {@code amount} to counter {@code name}, with tags given as key, value pairs
     * ({@code "reason", "json"}). An amount of zero or less sends nothing: SPEC forbids zero increments.
     */
    public void increment(String name, long amount, String... tags) {
        requirePairs(tags);
        if (amount > 0) { // most uploads drop nothing: no tag strings built for those
            client.count(name, amount, keyValues(tags));
        }
    }

    /**
     * Gauge {@code name}, read from {@code value} at every polling tick (the supplier should be cheap), with tags given
     * as key, value pairs ({@code "shard", "3"}): one gauge per distinct tag set.
     */
    public void gauge(String name, LongSupplier value, String... tags) {
        requirePairs(tags);
        gauges.put(new Gauge(name, List.of(keyValues(tags))), Objects.requireNonNull(value, "value"));
    }

    private static void requirePairs(String[] tags) {
        if (tags.length % 2 != 0) {
            throw new IllegalArgumentException("tags must be key, value pairs");
        }
    }

    /** Tags given as key, value pairs, as the client takes them: {@code key:value}. */
    private static String[] keyValues(String[] tags) {
        String[] keyValues = new String[tags.length / 2];
        for (int i = 0; i < keyValues.length; i++) {
            keyValues[i] = tags[2 * i] + ":" + tagValue(tags[2 * i + 1]);
        }
        return keyValues;
    }

    /** A gauge's name and tags ({@code key:value}). */
    private record Gauge(String name, List<String> tags) {
    }

    private void sendGauges() {
        gauges.forEach((gauge, value) -> {
            try {
                client.gauge(gauge.name(), value.getAsLong(), gauge.tags().toArray(String[]::new));
            } catch (RuntimeException e) {
                // A gauge that cannot be read this time is skipped; an exception here would end the polling.
            }
        });
    }

    private static String tagValue(String value) {
        return DELIMITERS.replaceFrom(value, '_');
    }

    /** Stops polling the gauges and stops the client (what it has not taken from its queue yet is lost). */
    @Override
    public void close() {
        poller.shutdownNow();
        client.stop();
    }
}
