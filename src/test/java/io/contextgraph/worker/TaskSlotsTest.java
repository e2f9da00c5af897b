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

    @Test
    void aPollAsksForNoMoreTasksThanTheByteBudgetHoldsAtTheLargestSize() throws Exception {
        TaskSlots slots = new TaskSlots(16, 30, 10, Duration.ofHours(1));

        assertThat(slots.takeForPoll(false)).isEqualTo(3);
        slots.releasePoll(3);
        slots.take(6);
        slots.take(6);
        assertThat(slots.takeForPoll(false)).as("18 of 30 bytes free").isEqualTo(1);
    }

    @Test
    void aPollWaitsUntilTheBudgetHoldsATaskOfTheLargestSize() throws Exception {
        TaskSlots slots = new TaskSlots(16, 30, 10, Duration.ofMillis(1));
        for (int i = 0; i < 3; i++) {
            slots.take(8);
        }

        CompletableFuture<Integer> poll = CompletableFuture.supplyAsync(() -> takeForPoll(slots, false));
        assertThatThrownBy(() -> poll.get(200, TimeUnit.MILLISECONDS)).as("24 of 30 bytes held")
                .isInstanceOf(TimeoutException.class);
        slots.release(1, 8);

        assertThat(poll.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        slots.releasePoll(1);
        slots.take(8);
        CompletableFuture<Integer> next = CompletableFuture.supplyAsync(() -> takeForPoll(slots, false));
        assertThatThrownBy(() -> next.get(200, TimeUnit.MILLISECONDS)).as("the reservation is no longer free")
                .isInstanceOf(TimeoutException.class);
        slots.release(1, 8);
        assertThat(next.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void smallTasksUseEveryPlace() throws Exception {
        TaskSlots slots = new TaskSlots(4, 1000, 10, Duration.ofHours(1));

        assertThat(slots.takeForPoll(false)).isEqualTo(4);
        slots.releasePoll(4);
        for (int i = 0; i < 4; i++) {
            slots.take(1);
        }
        slots.release(1, 1);
        assertThat(slots.takeForPoll(false)).isEqualTo(1);
    }

    @Test
    void theBudgetMustHoldOneTaskOfTheLargestSize() {
        assertThatThrownBy(() -> new TaskSlots(4, 9, 10, Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
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
