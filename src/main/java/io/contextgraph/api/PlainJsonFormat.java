package io.contextgraph.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

import java.io.IOException;

/**
 * Uploads without encryption (no keys configured): strict UTF-8 and one well-formed JSON object.
 * Never builds a tree: the worker does the real parsing. The common case (a plain object) is recognised by
 * {@link JsonSyntax} without allocating; everything else is tokenised by Jackson, whose verdict and message stand.
 */
public final class PlainJsonFormat implements UploadFormat {
    /** The document is three levels deep; anything much deeper is hostile. */
    static final int MAX_DEPTH = 32;

    private final JsonFactory factory = JsonFactory.builder()
            // Names are only skipped here: interning them would cost CPU and let a body full of colliding names hit
            // Jackson's symbol-table guard, an unchecked exception instead of a verdict.
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxNumberLength(1000)
                    .build())
            .build();

    @Override
    public void check(byte[] body) throws BadRequestException {
        if (!Utf8.isValid(body, body.length)) {
            throw new BadRequestException("body is not valid UTF-8");
        }
        if (!JsonSyntax.isPlainObject(body, MAX_DEPTH)) {
            tokenise(body);
        }
    }

    /** The full check by Jackson: the verdict and message for everything the fast path does not accept. */
    void tokenise(byte[] body) throws BadRequestException {
        try (JsonParser parser = factory.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new BadRequestException("body must be a JSON object");
            }
            // Skipping still tokenises everything, so syntax errors are found; depth is bounded above.
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw new BadRequestException("body must be exactly one JSON object");
            }
        } catch (StreamConstraintsException e) {
            throw new BadRequestException("JSON nested too deeply or number too long");
        } catch (IOException e) {
            throw new BadRequestException("body is not valid JSON");
        }
    }
}
