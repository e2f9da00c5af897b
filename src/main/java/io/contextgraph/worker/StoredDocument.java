package io.contextgraph.worker;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.contextgraph.data.Session;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The object written to storage for one upload: the user token, when the upload was accepted, and
 * the sessions that passed the rules, with only the known fields. Gzip-compressed JSON on one line, ending with a
 * newline (docs/data.md; docs/schema/stored-upload.schema.json).
 */
final class StoredDocument {
    private final JsonFactory factory = new JsonFactory();
    private final GzipCompressor gzip = new GzipCompressor();

    byte[] gzippedJson(String user, String uploadId, long acceptedAtMillis, List<Session> sessions) {
        Bytes json = new Bytes(256 + sessions.size() * 128);
        try (JsonGenerator out = factory.createGenerator(json, JsonEncoding.UTF8)) {
            out.writeStartObject();
            out.writeStringField("user", user);
            out.writeStringField("upload_id", uploadId);
            out.writeNumberField("accepted_at", acceptedAtMillis / 1000);
            out.writeArrayFieldStart("sessions");
            for (Session session : sessions) {
                out.writeStartObject();
                out.writeStringField("url", session.url());
                out.writeNumberField("start_time", session.startTime());
                out.writeNumberField("duration", session.durationMillis());
                if (session.tabId() != null) {
                    out.writeStringField("tab_id", session.tabId());
                }
                out.writeEndObject();
            }
            out.writeEndArray();
            out.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("in-memory JSON writing failed", e);
        }
        json.write('\n'); // one document per line: the objects read as NDJSON, and concatenate into it
        return gzip.compress(json.buffer(), json.size());
    }

    /** Gives the compressor the written bytes without the copy {@code toByteArray} makes. */
    private static final class Bytes extends ByteArrayOutputStream {
        Bytes(int size) {
            super(size);
        }

        byte[] buffer() {
            return buf;
        }
    }
}
