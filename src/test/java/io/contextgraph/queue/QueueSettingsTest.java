package io.contextgraph.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.contextgraph.queue.redis.RedisSettings;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QueueSettingsTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        QueueSettings defaults = QueueSettings.defaults();
        assertThat(defaults.keyPrefix()).isEqualTo("cg:");
        assertThat(defaults.maxLength()).isEqualTo(100_000);
        assertThat(defaults.visibilityTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.maxAttempts()).isEqualTo(5);
        assertThat(defaults.retryBaseDelay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(defaults.forgetMarkerTtl()).isEqualTo(Duration.ofDays(30));
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new QueueSettings("cg:", 0, Duration.ofMinutes(5), 5, Duration.ofSeconds(2),
                Duration.ofDays(30))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QueueSettings("cg:", 10, Duration.ofMinutes(5), 0, Duration.ofSeconds(2),
                Duration.ofDays(30))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void redisSettingsNeverPrintThePassword() {
        RedisSettings settings = new RedisSettings("redis.example", 6379, Optional.of("s3cret"), true,
                Duration.ofSeconds(1));
        assertThat(settings.toString()).doesNotContain("s3cret").contains("redis.example");
    }
}
