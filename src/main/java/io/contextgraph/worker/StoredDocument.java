package io.contextgraph.worker;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.contextgraph.data.Session;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * The object written to storage for one upload: the user token, when the upload was accepted, and
 * the sessions that passed the rules, with only the known fields. Gzip-compressed JSON on one line, ending with a
 * newline (docs/data.md; docs/schema/stored-upload.schema.json).
 */
final class StoredDocument {
    private final JsonFactory factory = new JsonFactory();

    byte[] gzippedJson(String user, String uploadId, long acceptedAtMillis, List<Session> sessions) {
        ByteArrayOutputStream gzipped = new ByteArrayOutputStream(128 + sessions.size() * 64);
        // Closing the generator finishes the gzip stream (trailer included).
        try (JsonGenerator out = factory.createGenerator(new GZIPOutputStream(gzipped), JsonEncoding.UTF8)) {
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
            out.writeRaw('\n'); // one document per line: the objects read as NDJSON, and concatenate into it
        } catch (IOException e) {
            throw new UncheckedIOException("in-memory JSON writing failed", e);
        }
        return gzipped.toByteArray();
    }
}
