package io.contextgraph.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.util.HashedWheelTimer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bound on waiting for a call's outcome, kept by a real wheel timer: what is given up, and what is not left. */
@Timeout(30) // a bound that is not kept would hang the test
class PendingCallTest {

    private static final long BOUND_NANOS = Duration.ofMillis(50).toNanos();

    private final HashedWheelTimer timer = new HashedWheelTimer(10, TimeUnit.MILLISECONDS);

    @AfterEach
    void stopTimer() {
        timer.stop();
    }

    /** The smallest call there is: an upload's id as its outcome, as the producer's calls have. */
    private static final class Upload extends PendingCall<String> {
        Upload() {
            super("upload", System.nanoTime());
        }
    }

    private static Upload upload() {
        return new Upload();
    }

    @Test
    void aCallNotSentWithinTheBoundIsWithdrawnAndNeverSent() {
        Upload upload = upload();

        assertThatThrownBy(() -> upload.await(timer, BOUND_NANOS))
                .isInstanceOf(QueueUnavailableException.class)
                .hasMessage("the upload could not be sent to Redis in time");
        assertThat(upload.claim()).as("a sender that comes later skips it").isFalse();
    }

    @Test
    void aCallSentButNeverAnsweredFailsAfterTheBound() {
        Upload upload = upload();
        assertThat(upload.claim()).isTrue();

        assertThatThrownBy(() -> upload.await(timer, BOUND_NANOS))
                .isInstanceOf(QueueUnavailableException.class)
                .hasMessage("Redis did not answer within 50 ms");
    }

    @Test
    void anAnsweredCallReturnsItsOutcomeAndLeavesNoTimeoutBehind() throws InterruptedException {
        Upload upload = upload();
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread waiter = Thread.ofVirtual().start(() -> outcome.set(upload.await(timer, Duration.ofHours(1).toNanos())));
        await().until(() -> timer.pendingTimeouts() == 1);

        assertThat(upload.claim()).isTrue();
        upload.succeeded("1-0-abc");
        waiter.join();

        assertThat(outcome.get()).isEqualTo("1-0-abc");
        // Cancelled, not left in the wheel for an hour: at thousands of uploads a second that would be memory.
        await().until(() -> timer.pendingTimeouts() == 0);
    }

    @Test
    void aFullQueueIsReportedAsSuch() {
        Upload upload = upload();
        upload.claim();
        upload.failed(new QueueFullException("the task queue is full"));

        assertThatThrownBy(() -> upload.await(timer, BOUND_NANOS))
                .isInstanceOf(QueueFullException.class)
                .hasMessage("the task queue is full");
    }

    @Test
    void aStoppedTimerWithdrawsTheCallAndReportsRedisUnavailable() {
        timer.stop();
        Upload upload = upload();

        assertThatThrownBy(() -> upload.await(timer, BOUND_NANOS))
                .isInstanceOf(QueueUnavailableException.class)
                .hasMessage("the connection to Redis is closed");
        assertThat(upload.claim()).isFalse();
    }

    @Test
    void anInterruptedWaitWithdrawsTheCall() throws InterruptedException {
        Upload upload = upload();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                upload.await(timer, Duration.ofHours(1).toNanos());
            } catch (RuntimeException e) {
                thrown.set(e);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        await().until(() -> timer.pendingTimeouts() == 1);

        waiter.interrupt();
        waiter.join();

        assertThat(thrown.get()).isInstanceOf(QueueUnavailableException.class)
                .hasMessage("interrupted while waiting for Redis");
        assertThat(stillInterrupted.get()).as("the interrupt is kept for the caller").isTrue();
        assertThat(upload.claim()).isFalse();
    }
}
