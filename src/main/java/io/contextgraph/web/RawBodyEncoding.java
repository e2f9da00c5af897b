package io.contextgraph.web;

import io.helidon.http.encoding.ContentDecoder;
import io.helidon.http.encoding.ContentEncoder;
import io.helidon.http.encoding.ContentEncoding;

import java.util.Set;

/**
 * Tells the server to hand request bodies over still encoded. The API decodes gzip itself because it
 * must stop inflating at the size limit (a gzip bomb) and answer with a clear JSON error; other
 * codings reach the API too, so that it can refuse them with a 415 rather than a bare 400.
 */
final class RawBodyEncoding implements ContentEncoding {
    private static final Set<String> CODINGS = Set.of("gzip", "x-gzip", "deflate", "br", "compress", "zstd");

    @Override
    public Set<String> ids() {
        return CODINGS;
    }

    @Override
    public boolean supportsEncoding() {
        return false;
    }

    @Override
    public boolean supportsDecoding() {
        return true;
    }

    @Override
    public ContentDecoder decoder() {
        return ContentDecoder.NO_OP;
    }

    @Override
    public ContentEncoder encoder() {
        return ContentEncoder.NO_OP;
    }

    @Override
    public String name() {
        return "raw-body";
    }

    @Override
    public String type() {
        return "raw-body";
    }
}
