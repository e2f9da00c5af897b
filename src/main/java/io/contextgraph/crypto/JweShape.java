package io.contextgraph.crypto;

import java.security.interfaces.RSAPublicKey;

/**
 * Checks that an upload is a JWE this service can decrypt, without decrypting it: the web
 * role holds only the public key. Thread-safe.
 */
public final class JweShape {

    private final int modulusBytes;

    /** @param key the service's public key; encrypted keys must be exactly its modulus long */
    public JweShape(RSAPublicKey key) {
        this.modulusBytes = (key.getModulus().bitLength() + 7) / 8;
    }

    /**
     * Accepts a compact JWE (an optional trailing newline allowed) with {@code alg} RSA-OAEP or
     * RSA-OAEP-256, {@code enc} A256GCM, no {@code zip} and no {@code crit}.
     *
     * @throws MalformedJweException with a message fit for the client, which never echoes the body
     */
    public void check(byte[] body) throws MalformedJweException {
        CompactJwe.parse(body, modulusBytes);
    }
}
