package io.contextgraph.reliability;

import io.contextgraph.testing.Http;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Uploads of new users from a few client threads, one upload per user, each retried with the same body until it is
 * answered 200, as a real client does after a 503: the users answered 200 are the ones that must be stored, once
 * each (the service deduplicates the retries). Any answer other than 200 or 503, or an upload still not accepted
 * after {@link #RETRY_FOR}, is a failure the test reports.
 */
final class ClusterLoad implements AutoCloseable {
    static final Duration RETRY_FOR = Duration.ofSeconds(120);

    private final URI upload;
    private final Duration retryFor;
    private final int limit;
    private final Predicate<String> userFilter;
    private final ExecutorService threads;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger started = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();

    private ClusterLoad(RoleProcess web, int clients, Duration retryFor, int limit, Predicate<String> userFilter) {
        this.upload = web.uri("/v1/upload");
        this.retryFor = retryFor;
        this.limit = limit;
        this.userFilter = userFilter;
        this.threads = Executors.newFixedThreadPool(clients);
        for (int i = 0; i < clients; i++) {
            threads.submit(this::run);
        }
    }

    /**
     * {@code users} uploads in all, from {@code clients} threads, none retried (a 503 is a failure: for a healthy
     * service); {@link #awaitDone} waits for them.
     */
    static ClusterLoad ofUsers(RoleProcess web, int clients, int users) {
        return new ClusterLoad(web, clients, Duration.ZERO, users, user -> true);
    }

    /** Uploads from {@code clients} threads until {@link #stop()}. */
    static ClusterLoad open(RoleProcess web, int clients) {
        return new ClusterLoad(web, clients, RETRY_FOR, Integer.MAX_VALUE, user -> true);
    }

    /** Uploads until {@link #stop()}, only of users the filter accepts (e.g. users of one shard). */
    static ClusterLoad open(RoleProcess web, int clients, Predicate<String> userFilter) {
        return new ClusterLoad(web, clients, RETRY_FOR, Integer.MAX_VALUE, userFilter);
    }

    private void run() {
        while (running.get() && started.getAndIncrement() < limit) {
            String user = newUser();
            byte[] body = Uploads.withMarker(user);
            long deadline = System.nanoTime() + retryFor.toNanos();
            while (true) {
                int status = status(user, body);
                statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                if (status == 200) {
                    accepted.add(user);
                    break;
                }
                if (status != 503) {
                    fail("answered " + status);
                    break;
                }
                if (System.nanoTime() - deadline > 0) {
                    fail(retryFor.isZero() ? "answered 503" : "answered 503, and still after retrying for " + retryFor);
                    break;
                }
                pause();
            }
        }
    }

    private void fail(String reason) {
        failures.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
    }

    private String newUser() {
        while (true) {
            String user = Uploads.newUser();
            if (userFilter.test(user)) {
                return user;
            }
        }
    }

    private int status(String user, byte[] body) {
        try {
            return Http.post(upload, user, body).statusCode();
        } catch (UncheckedIOException e) {
            return 0;
        }
    }

    /** The users whose upload was answered 200 so far. */
    List<String> accepted() {
        return List.copyOf(accepted);
    }

    int acceptedCount() {
        return accepted.size();
    }

    /** How many answers of each status the load got (503s of retried uploads included). */
    Map<Integer, Long> statuses() {
        Map<Integer, Long> copy = new TreeMap<>();
        statuses.forEach((status, count) -> copy.put(status, count.get()));
        return copy;
    }

    /** How many answers the load got so far, of any status. */
    long answers() {
        return statuses.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** What went wrong (answers other than 200 or 503, uploads never accepted), with how often. */
    Map<String, Long> failures() {
        Map<String, Long> copy = new TreeMap<>();
        failures.forEach((reason, count) -> copy.put(reason, count.get()));
        return copy;
    }

    /** Stops starting new uploads, waits for the ones under way (retried until 200) and returns the accepted users. */
    List<String> stop() throws InterruptedException {
        running.set(false);
        return awaitDone();
    }

    /** Waits until every thread is done and returns the accepted users. */
    List<String> awaitDone() throws InterruptedException {
        threads.shutdown();
        if (!threads.awaitTermination(RETRY_FOR.toSeconds() * 2, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the upload clients did not finish; statuses " + statuses());
        }
        return accepted();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        threads.shutdownNow();
        threads.awaitTermination(30, TimeUnit.SECONDS);
    }

    private static void pause() {
        try {
            Thread.sleep(100); // a client's back-off before it retries, not a wait for an event
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
