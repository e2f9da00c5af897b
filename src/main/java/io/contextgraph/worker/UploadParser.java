package io.contextgraph.worker;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * Parses an upload document into plain Java values for the data rules. Nesting depth, number and
 * string lengths are bounded so that hostile input cannot exhaust the stack or memory.
 */
final class UploadParser {
    private final ObjectMapper mapper;

    UploadParser() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(32)
                        .maxNumberLength(100)
                        .maxStringLength(1 << 20)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        this.mapper = new ObjectMapper(factory);
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    /** The value of the top-level {@code sessions} key, or empty when the body is not a JSON object. */
    Optional<Object> sessions(byte[] json) throws IOException {
        Object root = mapper.readValue(json, Object.class);
        if (!(root instanceof Map<?, ?> document)) {
            throw new IOException("upload is not a JSON object");
        }
        return Optional.ofNullable(document.get("sessions"));
    }
}
