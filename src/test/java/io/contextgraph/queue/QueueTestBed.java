package io.contextgraph.queue;

import io.contextgraph.queue.consume.Delivery;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.queue.redis.RedisSettings;
import io.contextgraph.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A private Redis server with a started link, and settings with a fresh key prefix per test. As a static
 * {@code @RegisterExtension} field it serves a whole test class and is closed after it.
 */
public final class QueueTestBed implements AutoCloseable, AfterAllCallback {

    private static final AtomicInteger PREFIXES = new AtomicInteger();

    public final RedisServer server;
    public final RedisLink link;
    private final List<TaskConsumer> consumers = new ArrayList<>();

    public QueueTestBed() {
        server = new RedisServer();
        link = new RedisLink(settingsFor(server));
        link.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    public static RedisSettings settingsFor(RedisServer server) {
        return new RedisSettings("127.0.0.1", server.port(), Optional.empty(), false, Duration.ofSeconds(1));
    }

    /** Settings with a new prefix; short visibility timeout and back-off so that tests stay quick. */
    public QueueSettings settings(long maxLength, Duration visibility, int maxAttempts) {
        return new QueueSettings("t" + PREFIXES.incrementAndGet() + ":", maxLength, visibility, maxAttempts,
                Duration.ofMillis(100), Duration.ofDays(30));
    }

    public QueueSettings settings() {
        return settings(1000, Duration.ofSeconds(1), 3);
    }

    public TaskConsumer consumer(QueueSettings settings) {
        TaskConsumer consumer = new TaskConsumer(link, settings, TaskConsumer.uniqueConsumerName());
        consumers.add(consumer);
        return consumer;
    }

    /** Polls until {@code wanted} deliveries arrived or {@code within} passed; returns what arrived. */
    public static List<Delivery> pollUntil(TaskConsumer consumer, int wanted, Duration within) {
        List<Delivery> got = new ArrayList<>();
        long deadline = System.nanoTime() + within.toNanos();
        while (got.size() < wanted && System.nanoTime() - deadline < 0) {
            try {
                got.addAll(consumer.poll(wanted - got.size(), Duration.ofMillis(200)));
            } catch (QueueUnavailableException e) {
                sleep(100); // Redis restarting: try again shortly
            }
        }
        return got;
    }

    /** How many scripts a server ran by their SHA1 so far (INFO commandstats). */
    public static long scriptCalls(RedisServer server) {
        return server.commandCalls("evalsha");
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        consumers.forEach(TaskConsumer::close);
        link.close();
        server.close();
    }
}
