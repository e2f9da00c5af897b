package io.contextgraph.worker;

import io.contextgraph.testing.FuzzSeed;
import io.contextgraph.data.Blocklist;
import io.contextgraph.data.FilterResult;
import io.contextgraph.data.SessionFilter;
import io.contextgraph.data.UrlFilter;
import io.contextgraph.document.MalformedDocumentException;
import io.contextgraph.testing.HostileBodies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** Seeded random barrage against the worker's parser and the data rules: only its declared refusal, never anything else. */
class UploadParserFuzzTest {
    private static final int CASES = 5_000;
    private final UploadParser parser = new UploadParser();
    private final SessionFilter filter = new SessionFilter(new UrlFilter(Blocklist.bundled()));

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    @ExtendWith(FuzzSeed.class)
    void hostileDocumentsFailOnlyWithIoExceptions(long seed) {
        HostileBodies bodies = new HostileBodies(seed);
        int parsed = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] body = bodies.next();
            try {
                Optional<Object> sessions = parser.sessions(body);
                FilterResult result = filter.filter(sessions.orElse(null), Instant.now());
                assertThat(result.kept().size() + result.droppedSessions()).isGreaterThanOrEqualTo(0);
                parsed++;
            } catch (MalformedDocumentException expected) {
                // the declared refusal
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                fail("seed " + seed + ", case " + i + " (" + HexFormat.of().formatHex(body, 0, Math.min(body.length, 200))
                        + "): " + e, e);
            }
        }
        assertThat(parsed).as("some cases are valid documents").isPositive();
    }

    @Test
    void deepNestingIsRefusedBeforeTheStackOverflows() {
        byte[] deep = new HostileBodies(1).deepNesting(200_000);
        assertThatThrownBy(() -> parser.sessions(deep)).isInstanceOf(MalformedDocumentException.class).hasMessageContaining("nested deeper");
    }
}
