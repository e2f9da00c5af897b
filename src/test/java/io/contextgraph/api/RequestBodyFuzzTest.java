package io.contextgraph.api;

import io.contextgraph.testing.FuzzSeed;
import io.contextgraph.testing.HostileBodies;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** Seeded random barrage against the web side's body reading and JSON check: only BadRequestException. */
class RequestBodyFuzzTest {
    private static final int CASES = 5_000;
    private static final int LIMIT = 64 * 1024;
    private final PlainJsonFormat format = new PlainJsonFormat();
    private final InflightBudget budget = new InflightBudget(Long.MAX_VALUE / 2);
    private final BodyReader reader = new BodyReader(LIMIT, budget);

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    @ExtendWith(FuzzSeed.class)
    void hostileBodiesAreRefusedOnlyWithBadRequest(long seed) {
        HostileBodies bodies = new HostileBodies(seed);
        Random random = bodies.random();
        int accepted = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] plain = bodies.next();
            WritableHeaders<?> headers = WritableHeaders.create();
            byte[] wire = plain;
            switch (random.nextInt(5)) {
                case 0 -> {
                    headers.set(HeaderNames.CONTENT_ENCODING, "gzip");
                    wire = HostileBodies.gzip(plain);
                }
                case 1 -> {
                    headers.set(HeaderNames.CONTENT_ENCODING, "gzip");
                    wire = bodies.mutate(HostileBodies.gzip(plain)); // broken gzip
                }
                case 2 -> {
                    headers.set(HeaderNames.CONTENT_ENCODING, "gzip");
                    wire = HostileBodies.gzip(new byte[LIMIT * 4]); // a small bomb
                }
                case 3 -> headers.set(HeaderNames.CONTENT_LENGTH, Long.toString(random.nextBoolean()
                        ? wire.length : random.nextLong(LIMIT * 2L)));
                default -> { }
            }
            byte[] onWire = wire;
            try {
                try (BodyReader.Held body = reader.read(ServerRequestHeaders.create(headers), new ByteArrayInputStream(onWire))) {
                    assertThat(body.bytes().length).isBetween(1, LIMIT);
                    assertThat(budget.held()).isEqualTo(body.bytes().length);
                    format.check(body.bytes());
                }
                accepted++;
            } catch (BadRequestException | OverBudgetException expected) {
                // the declared refusal
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                fail("seed " + seed + ", case " + i + " ("
                        + HexFormat.of().formatHex(Arrays.copyOf(onWire, Math.min(onWire.length, 200))) + "): " + e, e);
            }
        }
        assertThat(accepted).as("some cases are valid uploads").isPositive();
        assertThat(budget.held()).as("every byte taken from the budget was given back").isZero();
    }

    @Test
    void deepNestingIsRefusedBeforeTheStackOverflows() {
        byte[] deep = new HostileBodies(1).deepNesting(200_000);
        assertThatThrownBy(() -> format.check(deep)).isInstanceOf(BadRequestException.class);
    }
}
