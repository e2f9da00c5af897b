package io.contextgraph.web;

import io.helidon.http.Headers;
import io.helidon.http.encoding.ContentDecoder;
import io.helidon.http.encoding.ContentEncoder;
import io.helidon.http.encoding.ContentEncodingContext;
import io.helidon.http.encoding.ContentEncodingContextConfig;

import java.util.NoSuchElementException;

/**
 * Hands every request body to the API still encoded, whatever its {@code Content-Encoding} says ({@code GZIP},
 * {@code gzip, br}, {@code gzip;q=1}, unknown or empty codings): the API decodes gzip itself, stopping at the size
 * limit, and answers everything else with its own JSON error and CORS headers. Helidon would otherwise refuse a coding
 * it does not know with a bare 400 before the API sees the request. Responses are never encoded.
 */
final class RawBodies implements ContentEncodingContext {
    private final ContentEncodingContextConfig config =
            ContentEncodingContextConfig.builder().contentEncodingsDiscoverServices(false).buildPrototype();

    @Override
    public boolean contentEncodingEnabled() {
        return false;
    }

    @Override
    public boolean contentDecodingEnabled() {
        return true;
    }

    @Override
    public boolean contentEncodingSupported(String encodingId) {
        return false;
    }

    @Override
    public boolean contentDecodingSupported(String encodingId) {
        return true;
    }

    @Override
    public ContentEncoder encoder(String encodingId) {
        throw new NoSuchElementException("responses are not encoded");
    }

    @Override
    public ContentDecoder decoder(String encodingId) {
        return ContentDecoder.NO_OP;
    }

    @Override
    public ContentEncoder encoder(Headers headers) {
        return ContentEncoder.NO_OP;
    }

    @Override
    public ContentEncodingContextConfig prototype() {
        return config;
    }
}
