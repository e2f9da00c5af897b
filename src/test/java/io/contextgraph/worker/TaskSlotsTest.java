package io.contextgraph.worker;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TaskSlotsTest {

    @Test
    void withoutABacklogThePollerTakesWhatIsFreeAtOnce() throws Exception {
        TaskSlots slots = new TaskSlots(16, Duration.ofHours(1));
        takeAll(slots, 16);
        slots.release(1);

        assertThat(slots.takeForPoll(false)).isEqualTo(1);
    }

    @Test
    void anIdleWorkerTakesEveryPlace() throws Exception {
        TaskSlots slots = new TaskSlots(16, Duration.ofHours(1));

        assertThat(slots.takeForPoll(true)).isEqualTo(16);
    }

    @Test
    void underABacklogThePollerGathersAQuarterOfThePlaces() throws Exception {
        TaskSlots slots = new TaskSlots(16, Duration.ofHours(1));
        takeAll(slots, 16);
        slots.release(1);

        CompletableFuture<Integer> poll = CompletableFuture.supplyAsync(() -> takeForPoll(slots, true));
        assertThatThrownBy(() -> poll.get(200, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        slots.release(2);
        assertThatThrownBy(() -> poll.get(200, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        slots.release(1);

        assertThat(poll.get(10, TimeUnit.SECONDS)).isEqualTo(4);
        slots.release(1);
        assertThat(slots.takeForPoll(false)).as("the places gathered were taken, no more").isEqualTo(1);
    }

    @Test
    void gatheringEndsAfterItsTimeWithWhatIsFree() throws Exception {
        TaskSlots slots = new TaskSlots(16, Duration.ofMillis(50));
        takeAll(slots, 16);
        slots.release(2);

        assertThat(slots.takeForPoll(true)).isEqualTo(2);
        slots.release(1);
        assertThat(slots.takeForPoll(false)).as("none was lost by the timed-out wait").isEqualTo(1);
    }

    @Test
    void aPollWaitsForAtLeastOnePlace() throws Exception {
        TaskSlots slots = new TaskSlots(2, Duration.ofMillis(1));
        takeAll(slots, 2);

        CompletableFuture<Integer> poll = CompletableFuture.supplyAsync(() -> takeForPoll(slots, false));
        assertThatThrownBy(() -> poll.get(200, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        slots.release(1);

        assertThat(poll.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    }

    private static void takeAll(TaskSlots slots, int places) throws InterruptedException {
        for (int i = 0; i < places; i++) {
            slots.take();
        }
    }

    private static int takeForPoll(TaskSlots slots, boolean backlog) {
        try {
            return slots.takeForPoll(backlog);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
