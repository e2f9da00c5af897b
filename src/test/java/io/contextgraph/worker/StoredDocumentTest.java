package io.contextgraph.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.data.Session;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** The stored object: gzip (RFC 1952) of one JSON line, read back with the JDK's own gzip reader. */
class StoredDocumentTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final StoredDocument document = new StoredDocument();

    @Test
    void isGzipOfTheJsonDocumentWithTheKnownFieldsOnly() throws IOException {
        byte[] stored = document.gzippedJson("user-token", "upload-1", 1_700_000_123_456L, List.of(
                new Session("https://www.mozilla.org/en-US/", 1_699_999_000L, 1500, "-31-2"),
                new Session("https://www.example.com/ü", 1_699_999_100L, 0, null)));

        assertThat(stored[0] & 0xff).isEqualTo(0x1f);
        assertThat(stored[1] & 0xff).isEqualTo(0x8b);
        assertThat(JSON.readTree(gunzip(stored)).toString()).isEqualTo("{\"user\":\"user-token\",\"upload_id\":\"upload-1\","
                + "\"accepted_at\":1700000123,\"sessions\":[{\"url\":\"https://www.mozilla.org/en-US/\","
                + "\"start_time\":1699999000,\"duration\":1500,\"tab_id\":\"-31-2\"},"
                + "{\"url\":\"https://www.example.com/ü\",\"start_time\":1699999100,\"duration\":0}]}");
    }

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

    @Test
    void aLargeDocumentRoundTrips() throws IOException {
        List<Session> sessions = IntStream.range(0, 5_000)
                .mapToObj(i -> new Session("https://www.example.org/page/" + i, 1_699_000_000L + i, i, null)).toList();

        byte[] stored = document.gzippedJson("u", "id", 0, sessions);

        JsonNode json = JSON.readTree(gunzip(stored));
        assertThat(json.get("sessions")).hasSize(5_000);
        assertThat(json.at("/sessions/4999/url").asText()).isEqualTo("https://www.example.org/page/4999");
        assertThat(stored.length).isLessThan(json.toString().length() / 4); // compressed, not stored
    }

    private static String gunzip(byte[] gzipped) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
