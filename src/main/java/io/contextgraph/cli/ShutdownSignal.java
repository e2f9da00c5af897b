package io.contextgraph.cli;

import java.util.concurrent.CountDownLatch;

/**
 * Turns SIGTERM/SIGINT into an orderly stop: the JVM's shutdown hook wakes the role's main thread
 * and then waits until the role has finished stopping, so that in-flight work is not cut off.
 */
final class ShutdownSignal {
    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);

    ShutdownSignal() {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("shutdown").unstarted(() -> {
            requested.countDown();
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }

    /** Asks for an orderly stop from inside the process, as SIGTERM would. */
    void request() {
        requested.countDown();
    }

    void awaitRequest() throws InterruptedException {
        requested.await();
    }

    /** Called by the role once everything is closed; lets the JVM exit. */
    void stopped() {
        finished.countDown();
    }
}
