package io.contextgraph.api;

import io.helidon.http.HeaderNames;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.http.Status;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a request body into memory with a hard size limit, before and after gzip decoding. The
 * limit is enforced while reading, so an oversized or endless body costs at most limit + 1 bytes,
 * and a gzip bomb is refused after inflating only limit + 1 bytes of it.
 */
final class BodyReader {
    private final int limit;

    BodyReader(int limit) {
        this.limit = limit;
    }

    /** The decoded body of the request; never empty. */
    byte[] read(ServerRequestHeaders headers, InputStream raw) throws BadRequestException {
        boolean gzip = gzipEncoded(headers);
        OptionalLong declared = headers.contentLength();
        if (declared.isPresent() && declared.getAsLong() > limit) {
            throw new BadRequestException("body larger than " + limit + " bytes");
        }
        byte[] body;
        try {
            body = readLimited(raw, declared, "body larger than " + limit + " bytes");
        } catch (IOException | RuntimeException e) {
            // Helidon reports broken framing (bad chunk sizes, a body cut short) as unchecked exceptions while the
            // body is read: that is the client's fault, not a server error.
            throw new BadRequestException("could not read the request body");
        }
        if (gzip && body.length > 0) {
            body = inflate(body);
        }
        if (body.length == 0) {
            throw new BadRequestException("empty body");
        }
        return body;
    }

    private boolean gzipEncoded(ServerRequestHeaders headers) throws BadRequestException {
        if (!headers.contains(HeaderNames.CONTENT_ENCODING)) {
            return false;
        }
        List<String> values = headers.get(HeaderNames.CONTENT_ENCODING).allValues(true);
        List<String> codings = values.stream().map(v -> v.strip().toLowerCase(Locale.ROOT))
                .filter(v -> !v.isEmpty() && !v.equals("identity")).toList();
        if (codings.isEmpty()) {
            return false;
        }
        if (codings.size() == 1 && (codings.getFirst().equals("gzip") || codings.getFirst().equals("x-gzip"))) {
            return true;
        }
        throw new BadRequestException(Status.UNSUPPORTED_MEDIA_TYPE_415,
                "unsupported Content-Encoding: only gzip is accepted");
    }

    private byte[] inflate(byte[] compressed) throws BadRequestException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed), 8192)) {
            return readLimited(in, OptionalLong.empty(), "body larger than " + limit + " bytes after gzip decoding");
        } catch (ZipException | EOFException e) {
            throw new BadRequestException("broken gzip body");
        } catch (IOException e) {
            throw new BadRequestException("broken gzip body");
        }
    }

    private byte[] readLimited(InputStream in, OptionalLong sizeHint, String tooLarge)
            throws IOException, BadRequestException {
        byte[] buffer = new byte[(int) Math.max(Math.min(sizeHint.orElse(8192), limit), 1)];
        int length = 0;
        while (true) {
            if (length == buffer.length) {
                // Full, as usual when the size was declared: one more byte tells whether the body goes on, and the
                // buffer is returned as it is, without a trimming copy.
                int probe = in.read();
                if (probe < 0) {
                    return buffer;
                }
                if (buffer.length >= limit) {
                    throw new BadRequestException(tooLarge);
                }
                buffer = Arrays.copyOf(buffer, (int) Math.min((long) buffer.length * 2, limit));
                buffer[length++] = (byte) probe;
                continue;
            }
            int n = in.read(buffer, length, buffer.length - length);
            if (n < 0) {
                return Arrays.copyOf(buffer, length);
            }
            length += n;
        }
    }
}
