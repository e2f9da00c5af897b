package io.contextgraph.worker;

import io.contextgraph.data.Session;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

class StoredDocumentTest {
    private final StoredDocument document = new StoredDocument();

    @Test
    void isOneJsonLineEndingWithANewline() throws IOException {
        List<List<Session>> cases = List.of(List.of(),
                List.of(new Session("https://example.com/a\nb", 1_764_000_000L, 2400, "-31-2"),
                        new Session("https://example.com/", 1_764_000_001L, 0, null)));
        for (List<Session> sessions : cases) {
            String json = gunzip(document.gzippedJson("user-1", "id_1", 1_764_000_123_456L, sessions));

            assertThat(json).endsWith("}\n");
            assertThat(json.chars().filter(c -> c == '\n').count()).as(json).isEqualTo(1);
            assertThat(json).startsWith("{\"user\":\"user-1\",\"upload_id\":\"id_1\",\"accepted_at\":1764000123,");
        }
    }

    /** Concatenated objects (cat, or S3 Select over many) are NDJSON: one document per line. */
    @Test
    void concatenatedObjectsAreNewlineDelimitedJson() throws IOException {
        String joined = gunzip(document.gzippedJson("u1", "a", 0, List.of()))
                + gunzip(document.gzippedJson("u2", "b", 0, List.of()));
        assertThat(joined.lines()).hasSize(2).allSatisfy(line -> assertThat(line).startsWith("{").endsWith("}"));
    }

    private static String gunzip(byte[] gzipped) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
