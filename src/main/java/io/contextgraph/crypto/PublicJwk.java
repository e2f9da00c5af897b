package io.contextgraph.crypto;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.RSAKey;
import java.security.interfaces.RSAPublicKey;

/**
 * The service's public key as the JWK served at {@code GET /v1/jwk}: only {@code kty}, {@code n},
 * {@code e}, {@code use} and {@code kid}; it is built from an {@link RSAPublicKey} alone, so private
 * parts cannot leak into it. It names no {@code alg}: WebCrypto (and JOSE libraries built on it)
 * refuses to import a JWK for an algorithm other than its {@code alg}, and both RSA-OAEP variants
 * are accepted.
 */
public final class PublicJwk {

    private PublicJwk() {
    }

    /** The JWK as a JSON object. */
    public static String json(RSAPublicKey key) {
        RSAKey jwk = new RSAKey.Builder(key).build();
        // Written by hand to keep the members in this order; base64url values need no JSON escaping.
        return "{\"kty\":\"RSA\",\"n\":\"" + jwk.getModulus() + "\",\"e\":\"" + jwk.getPublicExponent()
                + "\",\"use\":\"enc\",\"kid\":\"" + thumbprint(jwk) + "\"}";
    }

    /** The RFC 7638 SHA-256 thumbprint, base64url: the {@code kid}; safe to log. */
    public static String thumbprint(RSAPublicKey key) {
        return thumbprint(new RSAKey.Builder(key).build());
    }

    private static String thumbprint(RSAKey jwk) {
        try {
            return jwk.computeThumbprint().toString();
        } catch (JOSEException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
