package io.contextgraph.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker's pause between polls while Redis is unreachable: doubling from 100 ms, never over 2 s. */
class OutagePauseTest {

    private static List<Long> millis(OutagePause pause, int count) {
        List<Long> pauses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            pauses.add(pause.next().toMillis());
        }
        return pauses;
    }

    @Test
    void doublesFromOneTenthOfASecondUpToTwoSeconds() {
        assertThat(millis(new OutagePause(), 9)).containsExactly(100L, 200L, 400L, 800L, 1600L, 2000L, 2000L, 2000L,
                2000L);
    }

    @Test
    void anAnswerStartsTheNextOutageFromTheFirstPauseAgain() {
        OutagePause pause = new OutagePause();
        millis(pause, 7);
        pause.reset();
        assertThat(pause.next()).isEqualTo(Duration.ofMillis(100));
    }
}
