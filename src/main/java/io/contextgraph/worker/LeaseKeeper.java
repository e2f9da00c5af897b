package io.contextgraph.worker;

import io.contextgraph.queue.consume.Delivery;
import io.contextgraph.queue.consume.TaskConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps the leases of the tasks this worker is working on: every {@link TaskConsumer#leaseRenewalInterval} it resets
 * their idle time in Redis, so that no other worker takes over a slow task while this process lives, and a crashed
 * worker's tasks are taken over after the visibility timeout.
 *
 * <p>A task must leave the lease set <em>before</em> it is retried or handed back: both set the entry's idle time on
 * purpose, and a renewal after them would undo that (delaying the retry by a whole visibility timeout). A renewal
 * runs under {@link #lock} from snapshot to reply, and {@link #release} takes the same lock, so once {@code release}
 * returns no renewal that includes the task can still reach Redis after the caller's next command.
 */
final class LeaseKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

    private final TaskConsumer consumer;
    private final Duration interval;
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<Delivery> held = new HashSet<>();
    private volatile boolean stopped;
    private Thread renewer;

    LeaseKeeper(TaskConsumer consumer) {
        this.consumer = consumer;
        this.interval = consumer.leaseRenewalInterval();
    }

    void start() {
        renewer = Thread.ofVirtual().name("lease-keeper").start(this::renewUntilStopped);
    }

    /** The task is now in progress here. */
    void hold(Delivery delivery) {
        lock.lock();
        try {
            held.add(delivery);
        } finally {
            lock.unlock();
        }
    }

    /** The task is no longer renewed; returns once no renewal including it can still be on its way to Redis. */
    void release(Delivery delivery) {
        lock.lock();
        try {
            held.remove(delivery);
        } finally {
            lock.unlock();
        }
    }

    /** Renews the leases of every task held now. */
    void renewNow() {
        lock.lock();
        try {
            if (held.isEmpty()) {
                return;
            }
            List<Delivery> tasks = List.copyOf(held);
            long kept = consumer.extendLeases(tasks);
            if (kept < tasks.size()) {
                // Normal for a task finishing at this moment; many means this worker was stalled past the timeout.
                LOG.atDebug().addKeyValue("type", "worker.lease_lost").addKeyValue("held", tasks.size())
                        .addKeyValue("kept", kept).log("some leases were no longer ours");
            }
        } finally {
            lock.unlock();
        }
    }

    private void renewUntilStopped() {
        boolean failing = false;
        while (!stopped) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            try {
                renewNow();
                failing = false;
            } catch (RuntimeException e) {
                // Redis unreachable: the poller reports the outage; the leases run on until the next renewal.
                if (!failing) {
                    LOG.atWarn().addKeyValue("type", "worker.lease_renewal_failed")
                            .log("could not renew task leases; retrying");
                    failing = true;
                }
            }
        }
    }

    /** Stops renewing; call after the tasks have finished or before they are handed back. */
    @Override
    public void close() {
        stopped = true;
        Thread thread = renewer;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
