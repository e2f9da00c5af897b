package io.contextgraph.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StreamIdsTest {

    @Test
    void comparesNumericallyNotAsText() {
        assertThat(StreamIds.compare("10-0", "9-5")).isPositive();
        assertThat(StreamIds.compare("5-10", "5-9")).isPositive();
        assertThat(StreamIds.compare("1700000000000-3", "1700000000000-3")).isZero();
        assertThat(StreamIds.compare("1700000000000-0", "1700000000001-0")).isNegative();
    }

    @Test
    void refusesWhatIsNotAStreamId() {
        assertThatThrownBy(() -> StreamIds.compare("abc", "1-0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StreamIds.compare("1-", "1-0")).isInstanceOf(IllegalArgumentException.class);
    }
}
