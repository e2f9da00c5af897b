package io.contextgraph.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pause before trying Redis again, for our own retries and Lettuce's reconnects: from 100 ms, never over 2 s. */
class RetryPauseTest {

    private static List<Long> millis(RetryPause pause, int count) {
        List<Long> pauses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            pauses.add(pause.next().toMillis());
        }
        return pauses;
    }

    @Test
    void doublesFromOneTenthOfASecondUpToTwoSeconds() {
        assertThat(millis(new RetryPause(), 9)).containsExactly(100L, 200L, 400L, 800L, 1600L, 2000L, 2000L, 2000L,
                2000L);
    }

    @Test
    void anAnswerStartsTheNextOutageFromTheFirstPauseAgain() {
        RetryPause pause = new RetryPause();
        millis(pause, 7);
        pause.reset();
        assertThat(pause.next()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void lettuceReconnectsWithinTheSameBounds() {
        var delay = RetryPause.forReconnects();
        assertThat(delay.createDelay(1)).isEqualTo(Duration.ofMillis(100));
        for (long attempt = 1; attempt <= 64; attempt++) {
            assertThat(delay.createDelay(attempt)).as("attempt " + attempt)
                    .isBetween(Duration.ofMillis(100), Duration.ofSeconds(2));
        }
        assertThat(delay.createDelay(64)).isEqualTo(Duration.ofSeconds(2));
    }
}
