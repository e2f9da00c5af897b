package io.contextgraph.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.data.Session;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** The stored object: gzip (RFC 1952) of the JSON document, read back with the JDK's own gzip reader. */
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
        JsonNode json = JSON.readTree(gunzip(stored));
        assertThat(json.toString()).isEqualTo("{\"user\":\"user-token\",\"upload_id\":\"upload-1\",\"accepted_at\":1700000123,"
                + "\"sessions\":[{\"url\":\"https://www.mozilla.org/en-US/\",\"start_time\":1699999000,\"duration\":1500,"
                + "\"tab_id\":\"-31-2\"},{\"url\":\"https://www.example.com/ü\",\"start_time\":1699999100,\"duration\":0}]}");
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

    private static byte[] gunzip(byte[] compressed) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        }
    }
}
