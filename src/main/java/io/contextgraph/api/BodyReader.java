package io.contextgraph.api;

import io.contextgraph.document.UploadDocument;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.http.Status;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Reads a request body into memory with a hard size limit, before and after gzip decoding, within the
 * {@link InflightBudget}. The buffer grows only as bytes arrive (at most doubling, never past the declared length),
 * every growth is taken from the budget first, and gzip is inflated straight from the connection, so the compressed
 * body is never held. An oversized or endless body costs at most limit + 1 bytes; a gzip bomb is refused after
 * inflating limit + 1 bytes of it.
 */
final class BodyReader {
    private static final int FIRST_BUFFER = 8192;
    /** What is read and thrown away after an early refusal, so that a client still sending can read the answer. */
    static final long DISCARD_BYTES = 4L * UploadDocument.MAX_BYTES;
    static final long DISCARD_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final int limit;
    private final InflightBudget budget;
    private final String tooLarge;
    private final String tooLargeDecoded;

    BodyReader(int limit, InflightBudget budget) {
        this.limit = limit;
        this.budget = budget;
        this.tooLarge = "body larger than " + limit + " bytes";
        this.tooLargeDecoded = tooLarge + " after gzip decoding";
    }

    /** A decoded body held in memory; closing it gives its bytes back to the budget. */
    record Held(byte[] bytes, InflightBudget budget) implements AutoCloseable {
        @Override
        public void close() {
            budget.release(bytes.length);
        }
    }

    /** The decoded body of the request; never empty. */
    Held read(ServerRequestHeaders headers, InputStream raw) throws BadRequestException, OverBudgetException {
        boolean gzip = gzipEncoded(headers);
        OptionalLong declared = headers.contentLength();
        if (declared.isPresent() && declared.getAsLong() > limit) {
            throw tooLarge(tooLarge);
        }
        byte[] body;
        if (gzip) {
            LimitedStream limited = new LimitedStream(raw, limit);
            try (InputStream in = new GZIPInputStream(limited, FIRST_BUFFER)) {
                body = readLimited(in, OptionalLong.empty(), tooLargeDecoded);
            } catch (IOException | RuntimeException e) {
                throw limited.passedLimit ? tooLarge(tooLarge)
                        : limited.failed ? unreadable()
                        : limited.count == 0 ? new BadRequestException("empty body")
                        : new BadRequestException("broken gzip body");
            }
        } else {
            try {
                body = readLimited(raw, declared, tooLarge);
            } catch (IOException | RuntimeException e) {
                throw unreadable();
            }
        }
        if (body.length == 0) {
            throw new BadRequestException("empty body");
        }
        return new Held(body, budget);
    }

    /**
     * Reads and throws away what the client is still sending, up to {@link #DISCARD_BYTES} or {@link #DISCARD_NANOS},
     * after an answer given before the body was read: a client that writes its whole body before it reads (most
     * HTTP libraries) would otherwise have its connection reset under it and never see the answer.
     */
    static void discardRest(InputStream raw) {
        byte[] sink = new byte[FIRST_BUFFER];
        long deadline = System.nanoTime() + DISCARD_NANOS;
        long discarded = 0;
        try {
            int n;
            while (discarded < DISCARD_BYTES && System.nanoTime() - deadline < 0 && (n = raw.read(sink)) >= 0) {
                discarded += n;
            }
        } catch (IOException | RuntimeException e) {
            // the client went away or broke the framing: nothing more to read
        }
    }

    private static BadRequestException tooLarge(String message) {
        return new BadRequestException(Status.REQUEST_ENTITY_TOO_LARGE_413, message);
    }

    /** Helidon reports broken framing (bad chunk sizes, a body cut short) as unchecked exceptions: the client's fault. */
    private static BadRequestException unreadable() {
        return new BadRequestException("could not read the request body");
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

    private byte[] readLimited(InputStream in, OptionalLong declared, String tooLargeMessage)
            throws IOException, BadRequestException, OverBudgetException {
        // A declared length bounds the growth, so that a correct one ends in a buffer of exactly the body's size.
        long ceiling = Math.min(limit, declared.orElse(limit));
        byte[] buffer = new byte[0];
        int length = 0;
        try {
            while (true) {
                if (length == buffer.length) {
                    // Full: grow only once another byte has arrived.
                    int probe = in.read();
                    if (probe < 0) {
                        return buffer;
                    }
                    if (buffer.length >= limit) {
                        throw tooLarge(tooLargeMessage);
                    }
                    int capacity = (int) Math.min(Math.max(ceiling, buffer.length + 1),
                            Math.max(FIRST_BUFFER, 2L * buffer.length));
                    capacity = Math.min(capacity, limit);
                    buffer = grow(buffer, capacity);
                    buffer[length++] = (byte) probe;
                    continue;
                }
                int n = in.read(buffer, length, buffer.length - length);
                if (n < 0) {
                    return length == buffer.length ? buffer : grow(buffer, length);
                }
                length += n;
            }
        } catch (IOException | BadRequestException | OverBudgetException | RuntimeException e) {
            budget.release(buffer.length);
            throw e;
        }
    }

    /** A copy of {@code buffer} of {@code capacity} bytes; the budget holds both while both exist. */
    private byte[] grow(byte[] buffer, int capacity) throws OverBudgetException {
        if (!budget.tryReserve(capacity)) {
            throw new OverBudgetException();
        }
        byte[] grown = Arrays.copyOf(buffer, capacity);
        budget.release(buffer.length);
        return grown;
    }

    /** Counts the bytes as sent and stops at the limit; remembers why it stopped, since GZIPInputStream may hide it. */
    private static final class LimitedStream extends FilterInputStream {
        private final long limit;
        private long count;
        boolean passedLimit;
        boolean failed;

        LimitedStream(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (count > limit) {
                passedLimit = true;
                throw new IOException("body larger than the limit");
            }
            int n;
            try {
                // One byte more than the limit may be read: that is how a body over it is told from one at it.
                n = super.read(b, off, (int) Math.min(len, limit + 1 - count));
            } catch (IOException | RuntimeException e) {
                failed = true;
                throw e;
            }
            if (n > 0) {
                count += n;
                if (count > limit) {
                    passedLimit = true;
                    throw new IOException("body larger than the limit");
                }
            }
            return n;
        }

        /** The connection's stream stays open: what is left of the body may still have to be discarded. */
        @Override
        public void close() {
        }
    }
}
