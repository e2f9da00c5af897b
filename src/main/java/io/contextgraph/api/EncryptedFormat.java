package io.contextgraph.api;

import io.contextgraph.crypto.JweShape;
import io.contextgraph.crypto.MalformedJweException;

/** Uploads when the service has keys: a JWE compact serialization to our public key (structure only). */
public final class EncryptedFormat implements UploadFormat {
    private final JweShape shape;

    public EncryptedFormat(JweShape shape) {
        this.shape = shape;
    }

    @Override
    public void check(byte[] body) throws BadRequestException {
        if (body[0] == '{' || body[0] == '[') {
            throw new BadRequestException("uploads must be encrypted: send a JWE compact serialization (see /v1/jwk)");
        }
        try {
            shape.check(body);
        } catch (MalformedJweException e) {
            throw new BadRequestException("malformed JWE: " + e.getMessage());
        }
    }
}
