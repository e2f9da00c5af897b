package io.contextgraph.crypto;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;

/**
 * The service's public key as the JWK served at {@code GET /v1/jwk}: only {@code kty}, {@code n},
 * {@code e}, {@code use} and {@code kid}; it is built from an {@link RSAPublicKey} alone, so private
 * parts cannot leak into it. It names no {@code alg}: WebCrypto (and JOSE libraries built on it)
 * refuses to import a JWK for an algorithm other than its {@code alg}, and both RSA-OAEP variants
 * are accepted.
 */
public final class PublicJwk {

    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private PublicJwk() {
    }

    /** The JWK as a JSON object. */
    public static String json(RSAPublicKey key) {
        String n = unsigned(key.getModulus());
        String e = unsigned(key.getPublicExponent());
        // base64url values and these fixed names need no JSON escaping.
        return "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"" + e
                + "\",\"use\":\"enc\",\"kid\":\"" + thumbprint(n, e) + "\"}";
    }

    /** The RFC 7638 SHA-256 thumbprint, base64url: the {@code kid}; safe to log. */
    public static String thumbprint(RSAPublicKey key) {
        return thumbprint(unsigned(key.getModulus()), unsigned(key.getPublicExponent()));
    }

    private static String thumbprint(String n, String e) {
        // RFC 7638 section 3.2: required members only, in lexicographic order, no whitespace.
        String canonical = "{\"e\":\"" + e + "\",\"kty\":\"RSA\",\"n\":\"" + n + "\"}";
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return BASE64URL.encodeToString(digest);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", ex);
        }
    }

    /** RFC 7518 section 6.3.1: big-endian unsigned, without the sign byte BigInteger adds. */
    private static String unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return BASE64URL.encodeToString(bytes);
    }
}
