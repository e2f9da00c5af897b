package io.contextgraph.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pause before trying Redis again, for our own retries and Lettuce's reconnects: 100 ms to 2 s. */
class RetryPauseTest {

    private static List<Long> millis(RetryPause pause, int count) {
        List<Long> pauses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            pauses.add(pause.next().toMillis());
        }
        return pauses;
    }

    @Test
    void staysBetweenOneTenthOfASecondAndTwoSeconds() {
        List<Long> pauses = millis(new RetryPause(), 64);
        assertThat(pauses.getFirst()).isEqualTo(100L);
        assertThat(pauses).allMatch(pause -> pause >= 100 && pause <= 2000).isSorted();
        assertThat(pauses.getLast()).isEqualTo(2000L);
    }

    @Test
    void anAnswerStartsTheNextOutageFromTheFirstPauseAgain() {
        RetryPause pause = new RetryPause();
        millis(pause, 20);
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
