package io.contextgraph.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.HashedWheelTimer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The wait bounded by a real wheel timer, as every wait on Redis in this package uses it. */
@Timeout(30) // a bound that is not kept would hang the test
class TimedWaitTest {

    private static final long BOUND_NANOS = Duration.ofMillis(50).toNanos();

    private final HashedWheelTimer timer = new HashedWheelTimer(10, TimeUnit.MILLISECONDS);

    @AfterEach
    void stopTimer() {
        timer.stop();
    }

    @Test
    void pastTheBoundTheFutureIsDoneSoThatACommandNotYetWrittenIsNeverWritten() {
        CompletableFuture<String> never = new CompletableFuture<>();

        assertThatThrownBy(() -> TimedWait.get(timer, never, BOUND_NANOS)).isInstanceOf(TimeoutException.class);
        assertThat(never).isCompletedExceptionally(); // Lettuce writes only commands that are not done
    }

    @Test
    void aFutureFailedByItsOwnTimeoutIsNotTakenForTheBound() {
        CompletableFuture<String> failed = CompletableFuture.failedFuture(new TimeoutException("its own"));

        assertThatThrownBy(() -> TimedWait.get(timer, failed, Duration.ofHours(1).toNanos()))
                .isInstanceOf(ExecutionException.class)
                .cause().hasMessage("its own");
    }

    @Test
    void anAnswerInTimeIsReturned() throws Exception {
        assertThat(TimedWait.get(timer, CompletableFuture.completedFuture("OK"), BOUND_NANOS)).isEqualTo("OK");
    }

    @Test
    void aStoppedTimerIsReported() {
        timer.stop();

        assertThatThrownBy(() -> TimedWait.get(timer, new CompletableFuture<>(), BOUND_NANOS))
                .isInstanceOf(IllegalStateException.class);
    }
}
