package io.contextgraph.api;

import io.contextgraph.testing.HostileBodies;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Body reading within the in-flight budget: memory is taken as bytes arrive, and always given back. */
class BodyReaderTest {
    private static final int LIMIT = 1024 * 1024;

    private static ServerRequestHeaders headers(String... nameValues) {
        WritableHeaders<?> headers = WritableHeaders.create();
        for (int i = 0; i < nameValues.length; i += 2) {
            headers.set(HeaderNames.create(nameValues[i]), nameValues[i + 1]);
        }
        return ServerRequestHeaders.create(headers);
    }

    @Test
    void aDeclaredLengthDoesNotReserveMemoryBeforeTheBytesArrive() throws Exception {
        InflightBudget budget = new InflightBudget(64 * 1024);
        BodyReader reader = new BodyReader(LIMIT, budget);
        // Declares the whole limit but sends ten bytes: only what arrived is held.
        byte[] sent = "{\"a\":1234}".getBytes();
        try (BodyReader.Held body = reader.read(headers("Content-Length", Integer.toString(LIMIT)),
                new ByteArrayInputStream(sent))) {
            assertThat(body.bytes()).isEqualTo(sent);
            assertThat(budget.held()).isEqualTo(sent.length);
        }
        try (BodyReader.Held body = reader.read(headers("Content-Length", Integer.toString(sent.length)),
                new ByteArrayInputStream(sent))) {
            assertThat(body.bytes()).isEqualTo(sent);
            assertThat(budget.held()).isEqualTo(sent.length);
        }
        assertThat(budget.held()).isZero();
    }

    @Test
    void aBodyPastTheBudgetIsRefusedAndGivesEverythingBack() {
        InflightBudget budget = new InflightBudget(100 * 1024);
        BodyReader reader = new BodyReader(LIMIT, budget);
        byte[] big = new byte[512 * 1024];
        Arrays.fill(big, (byte) ' ');
        assertThatThrownBy(() -> reader.read(headers(), new ByteArrayInputStream(big)))
                .isInstanceOf(OverBudgetException.class);
        assertThatThrownBy(() -> reader.read(headers("Content-Encoding", "gzip"),
                new ByteArrayInputStream(HostileBodies.gzip(big)))).isInstanceOf(OverBudgetException.class);
        assertThat(budget.held()).isZero();
    }

    @Test
    void gzipIsInflatedFromTheStreamAndTheCompressedBodyIsNeverHeld() throws Exception {
        InflightBudget budget = new InflightBudget(Long.MAX_VALUE / 2);
        BodyReader reader = new BodyReader(LIMIT, budget);
        byte[] plain = "{\"sessions\":[]}".getBytes();
        try (BodyReader.Held body = reader.read(headers("Content-Encoding", "gzip"),
                new ByteArrayInputStream(HostileBodies.gzip(plain)))) {
            assertThat(body.bytes()).isEqualTo(plain);
            assertThat(budget.held()).isEqualTo(plain.length);
        }
        byte[] bomb = HostileBodies.gzip(new byte[4 * LIMIT]);
        assertThatThrownBy(() -> reader.read(headers("Content-Encoding", "gzip"), new ByteArrayInputStream(bomb)))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("after gzip decoding")
                .extracting(e -> ((BadRequestException) e).status()).isEqualTo(Status.REQUEST_ENTITY_TOO_LARGE_413);
        assertThat(budget.held()).isZero();
    }

    @Test
    void bodiesOverTheLimitAre413BeforeOrWhileReading() {
        BodyReader reader = new BodyReader(LIMIT, new InflightBudget(Long.MAX_VALUE / 2));
        assertThatThrownBy(() -> reader.read(headers("Content-Length", Integer.toString(LIMIT + 1)),
                InputStream.nullInputStream()))
                .extracting(e -> ((BadRequestException) e).status()).isEqualTo(Status.REQUEST_ENTITY_TOO_LARGE_413);
        assertThatThrownBy(() -> reader.read(headers(), new ByteArrayInputStream(new byte[LIMIT + 1])))
                .extracting(e -> ((BadRequestException) e).status()).isEqualTo(Status.REQUEST_ENTITY_TOO_LARGE_413);
        // Compressed data over the limit as sent (random bytes do not compress).
        byte[] incompressible = HostileBodies.gzip(new HostileBodies(7).randomBytes(LIMIT + 4096));
        assertThatThrownBy(() -> reader.read(headers("Content-Encoding", "gzip"), new ByteArrayInputStream(incompressible)))
                .hasMessage("body larger than " + LIMIT + " bytes")
                .extracting(e -> ((BadRequestException) e).status()).isEqualTo(Status.REQUEST_ENTITY_TOO_LARGE_413);
    }

    @Test
    void contentEncodingsOtherThanGzipAre415WhateverTheirSpelling() throws Exception {
        BodyReader reader = new BodyReader(LIMIT, new InflightBudget(Long.MAX_VALUE / 2));
        for (String coding : new String[] {"br", "gzip, br", "gzip;q=1", "deflate", "x-unknown", "gzip, gzip"}) {
            assertThatThrownBy(() -> reader.read(headers("Content-Encoding", coding), new ByteArrayInputStream(new byte[10])))
                    .as(coding).extracting(e -> ((BadRequestException) e).status()).isEqualTo(Status.UNSUPPORTED_MEDIA_TYPE_415);
        }
        byte[] plain = "{}".getBytes();
        for (String coding : new String[] {"GZIP", "x-gzip", " gzip "}) {
            try (BodyReader.Held body = reader.read(headers("Content-Encoding", coding),
                    new ByteArrayInputStream(HostileBodies.gzip(plain)))) {
                assertThat(body.bytes()).as(coding).isEqualTo(plain);
            }
        }
        for (String coding : new String[] {"", "identity", "IDENTITY"}) {
            try (BodyReader.Held body = reader.read(headers("Content-Encoding", coding), new ByteArrayInputStream(plain))) {
                assertThat(body.bytes()).as(coding).isEqualTo(plain);
            }
        }
    }
}
