package io.contextgraph.document;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.google.common.base.Utf8;

import java.io.IOException;
import java.util.Map;

/**
 * The one definition of a well-formed upload document: strict UTF-8 holding exactly one JSON object (RFC 8259,
 * no comments, no {@code NaN}, nothing after it but whitespace; a leading UTF-8 byte order mark is ignored), with
 * no duplicate key in any object, nested at most {@value #MAX_DEPTH} deep, and no number of more than
 * {@value #MAX_NUMBER_LENGTH} digits (integer, fraction and exponent digits together, as Jackson counts them).
 * Strings and names are bounded only by the document's size.
 *
 * <p>The web role calls {@link #check} (a token pass, no tree) and the worker {@link #parse}; both read with the
 * same {@link JsonFactory}, so every limit is enforced by the same tokeniser in both, and a body {@code check}
 * accepts is one {@code parse} accepts. What the worker may still drop is decided by the session rules only.
 */
public final class UploadDocument {
    /** The largest document, before and after gzip decoding (SPEC: 10 MiB). */
    public static final int MAX_BYTES = 10 * 1024 * 1024;
    /** The document is three levels deep; anything much deeper is hostile, and bounding it bounds the stack. */
    public static final int MAX_DEPTH = 32;
    /** Jackson's default: ample for any integer or time, and it keeps number parsing linear. */
    public static final int MAX_NUMBER_LENGTH = 1000;
    /** Parsers' buffers kept for reuse: about as many as documents are checked at the same time. */
    private static final int RECYCLED_BUFFERS = 64;

    private final JsonFactory factory = JsonFactory.builder()
            // Names are canonicalized (not interned): only then does Jackson read the bytes with its UTF-8 parser
            // instead of decoding them through a Reader first, about a third of the check's cost. A body full of
            // colliding names makes the parser's symbol table grow rather than throw (which would be an unchecked
            // exception instead of a verdict); what it merges back into the shared table is bounded by Jackson.
            .enable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.FAIL_ON_SYMBOL_HASH_OVERFLOW)
            // Jackson's default pool keeps buffers per thread, and every request runs on a new virtual thread:
            // a shared, bounded pool lets the next request reuse them.
            .recyclerPool(JsonRecyclerPools.newBoundedPool(RECYCLED_BUFFERS))
            // An object with a repeated key has no single meaning (parsers keep the first, the last, or refuse),
            // so it is refused rather than guessed at.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxNumberLength(MAX_NUMBER_LENGTH)
                    // Strings and names are only bounded by the body: a limit below it would be one the token pass
                    // (which skips strings) does not see.
                    .maxStringLength(MAX_BYTES)
                    .maxNameLength(MAX_BYTES)
                    .build())
            .build();
    private final ObjectReader reader = new ObjectMapper(factory)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .readerFor(Map.class);

    /** Checks that {@code body} is a well-formed upload document without building it (the web role's check). */
    public void check(byte[] body) throws MalformedDocumentException {
        requireUtf8(body);
        try (JsonParser parser = factory.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedDocumentException("body must be a JSON object");
            }
            // Skipping still reads every token: syntax, duplicate names, depth and number lengths are all checked.
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw new MalformedDocumentException("body must be exactly one JSON object");
            }
        } catch (IOException e) {
            throw verdict(e);
        }
    }

    /** The document as plain Java values (maps, lists, strings, numbers, booleans, nulls): the worker's parser. */
    public Map<String, Object> parse(byte[] body) throws MalformedDocumentException {
        requireUtf8(body);
        try {
            Map<String, Object> document = reader.readValue(body);
            if (document == null) {
                throw new MalformedDocumentException("body must be a JSON object");
            }
            return document;
        } catch (IOException e) {
            throw verdict(e);
        }
    }

    private static void requireUtf8(byte[] body) throws MalformedDocumentException {
        // Jackson does not check the bytes of strings it skips, nor overlong forms or encoded surrogates. And it
        // reads a body as UTF-16 or UTF-32 when a zero byte is among its first four: zero bytes are well-formed
        // UTF-8, but never the start of a UTF-8 JSON text, so they name the other encodings here.
        if (!Utf8.isWellFormed(body) || startsLikeUtf16Or32(body)) {
            throw new MalformedDocumentException("body is not valid UTF-8");
        }
    }

    private static boolean startsLikeUtf16Or32(byte[] body) {
        for (int i = 0; i < Math.min(4, body.length); i++) {
            if (body[i] == 0) {
                return true;
            }
        }
        return false;
    }

    private static MalformedDocumentException verdict(IOException e) {
        // Jackson's own message may quote the body (a key, a number), so only its kind is passed on.
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (e instanceof StreamConstraintsException) {
            return new MalformedDocumentException(message.startsWith("Document nesting")
                    ? "JSON nested deeper than " + MAX_DEPTH + " levels"
                    : "JSON number with more than " + MAX_NUMBER_LENGTH + " digits");
        }
        if (e instanceof JsonParseException && message.startsWith("Duplicate field")) {
            return new MalformedDocumentException("JSON object with a duplicate key");
        }
        if (e instanceof MismatchedInputException) {
            return new MalformedDocumentException(message.startsWith("Trailing token")
                    ? "body must be exactly one JSON object" : "body must be a JSON object");
        }
        return new MalformedDocumentException("body is not valid JSON");
    }
}
