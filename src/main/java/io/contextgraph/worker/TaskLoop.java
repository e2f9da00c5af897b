package io.contextgraph.worker;

import io.contextgraph.crypto.JweDecryptor;
import io.contextgraph.data.SessionFilter;
import io.contextgraph.observability.ErrorReporter;
import io.contextgraph.observability.Metrics;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.consume.Delivery;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.deadletter.DeadLetters;
import io.contextgraph.queue.redis.RetryPause;
import io.contextgraph.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's main loop: takes tasks off the queue and processes up to {@code concurrency} of them
 * at once, each on its own virtual thread, holding no more task bytes at once than its budget
 * ({@link TaskSlots}). A task is acknowledged only after its effect is stored; failures are retried
 * with back-off and parked as dead letters in the end (see the queue package). While a task runs, its
 * lease is renewed ({@link LeaseKeeper}), so only a dead worker's tasks are taken over by others.
 */
public final class TaskLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TaskLoop.class);
    private static final Duration POLL_BLOCK = Duration.ofSeconds(1);
    /** How long the poller may wait under a backlog for more free places (bounded: slow tasks must not starve them). */
    private static final Duration GATHER_SLOTS_WITHIN = Duration.ofMillis(5);

    private final TaskConsumer consumer;
    private final UploadProcessor uploads;
    private final DeleteProcessor deletes;
    private final Metrics metrics;
    private final ErrorReporter errors;
    private final int concurrency;
    private final Duration shutdownGrace;
    private final TaskSlots slots;
    private final LeaseKeeper leases;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Delivery> inFlight = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicInteger handedBack = new AtomicInteger();
    private Thread poller;

    /** Wires the processors of both task types around one consumer. */
    public static TaskLoop create(TaskConsumer consumer, Optional<JweDecryptor> decryptor, SessionFilter filter,
                                  ObjectStore store, DeadLetters deadLetters, QueueStats stats, Metrics metrics,
                                  ErrorReporter errors, int concurrency, long maxInflightBytes, int maxTaskBytes,
                                  Duration shutdownGrace) {
        return new TaskLoop(consumer,
                new UploadProcessor(decryptor, filter, store, consumer, stats, metrics),
                new DeleteProcessor(store, deadLetters, stats, metrics),
                metrics, errors, concurrency, new TaskSlots(concurrency, maxInflightBytes, maxTaskBytes,
                        GATHER_SLOTS_WITHIN), shutdownGrace);
    }

    TaskLoop(TaskConsumer consumer, UploadProcessor uploads, DeleteProcessor deletes, Metrics metrics,
             ErrorReporter errors, int concurrency, TaskSlots slots, Duration shutdownGrace) {
        this.consumer = consumer;
        this.uploads = uploads;
        this.deletes = deletes;
        this.metrics = metrics;
        this.errors = errors;
        this.concurrency = concurrency;
        this.shutdownGrace = shutdownGrace;
        this.slots = slots;
        this.leases = new LeaseKeeper(consumer);
    }

    public void start() {
        if (running.compareAndSet(false, true)) {
            leases.start();
            poller = Thread.ofPlatform().name("task-poller").start(this::pollUntilStopped);
        }
    }

    private void pollUntilStopped() {
        RetryPause pause = new RetryPause();
        boolean outageReported = false;
        boolean backlog = false;
        while (running.get()) {
            try {
                int free = slots.takeForPoll(backlog);
                List<Delivery> batch;
                try {
                    batch = running.get() ? consumer.poll(free, POLL_BLOCK) : List.of();
                } finally {
                    slots.releasePoll(free);
                }
                backlog = batch.size() == free;
                for (Delivery delivery : batch) {
                    slots.take(delivery.task().body().length);
                    leases.hold(delivery);
                    inFlight.put(inFlightKey(delivery), delivery);
                    executor.submit(() -> run(delivery));
                }
                pause.reset();
                outageReported = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // The queue is unreachable (Redis outage): wait and try again; report once per outage.
                if (!outageReported) {
                    LOG.atError().addKeyValue("type", "worker.queue_error").setCause(e).log("cannot read the queue");
                    errors.report(e, "worker cannot read the queue");
                    outageReported = true;
                }
                sleep(pause.next());
            }
        }
    }

    private void run(Delivery delivery) {
        long start = System.nanoTime();
        String taskName = delivery.task().type().name().toLowerCase(java.util.Locale.ROOT);
        try {
            Outcome outcome = switch (delivery.task().type()) {
                case UPLOAD -> uploads.process(delivery);
                case DELETE -> deletes.process(delivery.task());
            };
            leases.release(delivery); // a retry sets the idle time itself; no renewal may undo it
            settle(delivery, outcome);
        } catch (RuntimeException e) {
            leases.release(delivery);
            if (running.get()) {
                LOG.atError().addKeyValue("type", "worker.task_failed").addKeyValue("task", taskName).setCause(e)
                        .log("task failed unexpectedly");
                errors.report(e, "task failed: " + taskName);
                settleQuietly(delivery, new Outcome.Retry("unexpected: " + e.getClass().getSimpleName()));
            } else {
                // Interrupted by shutdown: not the task's fault, so it must not use up an attempt. The interrupt must
                // be cleared first, or the hand-back's own wait for Redis fails at once.
                Thread.interrupted();
                LOG.atInfo().addKeyValue("type", "worker.task_interrupted").addKeyValue("task", taskName)
                        .log("task interrupted by shutdown; handing it back");
                if (handBackQuietly(delivery)) {
                    handedBack.incrementAndGet();
                }
            }
        } finally {
            leases.release(delivery);
            metrics.task(taskName, Duration.ofNanos(System.nanoTime() - start));
            inFlight.remove(inFlightKey(delivery));
            slots.release(1, delivery.task().body().length);
        }
    }

    private void settle(Delivery delivery, Outcome outcome) {
        switch (outcome) {
            case Outcome.Done done -> consumer.complete(delivery);
            case Outcome.Completed completed -> { }
            case Outcome.Retry retry -> consumer.retryLater(delivery, retry.reason());
            case Outcome.Park park -> consumer.deadLetter(delivery, park.reason());
        }
    }

    /** If even settling fails (Redis down), the entry stays pending and is reclaimed after the timeout. */
    private void settleQuietly(Delivery delivery, Outcome outcome) {
        try {
            settle(delivery, outcome);
        } catch (RuntimeException e) {
            LOG.atWarn().addKeyValue("type", "worker.settle_failed").log("could not settle a task; it will be reclaimed");
        }
    }

    private boolean handBackQuietly(Delivery delivery) {
        try {
            consumer.handBack(delivery);
            return true;
        } catch (RuntimeException e) {
            LOG.atWarn().addKeyValue("type", "worker.handback_failed").log("could not hand a task back; it will be reclaimed");
            return false;
        }
    }

    /**
     * Stops taking work, lets running tasks finish within the grace period, and hands the rest back
     * to the queue so another worker can take them at once instead of after the visibility timeout.
     */
    @Override
    public void close() {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        try {
            poller.join(POLL_BLOCK.multipliedBy(3).toMillis());
            executor.shutdown();
            if (!executor.awaitTermination(shutdownGrace.toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
                executor.awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        leases.close(); // the tasks still here are handed back: their idle time must stay as the hand-back sets it
        for (Delivery delivery : inFlight.values()) {
            if (handBackQuietly(delivery)) {
                handedBack.incrementAndGet();
            }
        }
        LOG.atInfo().addKeyValue("type", "worker.stopped").addKeyValue("handed_back", handedBack.get()).log("worker stopped");
    }

    /** Entry IDs are unique per stream only: an upload and a delete can share one. */
    private static String inFlightKey(Delivery delivery) {
        return delivery.stream() + " " + delivery.task().entryId();
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int concurrency() {
        return concurrency;
    }
}
