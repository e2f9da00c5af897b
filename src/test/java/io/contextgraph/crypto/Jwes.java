package io.contextgraph.crypto;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSAEncrypter;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.List;

/** JWEs made with Nimbus's encrypter, and their parts, for the tests to take apart and tamper with. */
final class Jwes {

    private Jwes() {
    }

    static String encrypt(JWEHeader header, RSAPublicKey key, byte[] plaintext) {
        JWEObject jwe = new JWEObject(header, new Payload(plaintext));
        try {
            jwe.encrypt(new RSAEncrypter(key));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwe.serialize();
    }

    static String encrypt(String alg, RSAPublicKey key, byte[] plaintext) {
        return encrypt(new JWEHeader(JWEAlgorithm.parse(alg), EncryptionMethod.A256GCM), key, plaintext);
    }

    static String encrypt(String alg, byte[] plaintext) {
        return encrypt(alg, TestKeys.servicePublic(), plaintext);
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String b64(String text) {
        return b64(text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] unb64(String text) {
        return Base64.getUrlDecoder().decode(text);
    }

    /** The five parts of a compact serialization, still base64url. */
    record Parts(List<String> parts) {

        static Parts of(String compact) {
            return new Parts(List.of(compact.split("\\.", -1)));
        }

        String get(int index) {
            return parts.get(index);
        }

        Parts with(int index, String part) {
            String[] copy = parts.toArray(String[]::new);
            copy[index] = part;
            return new Parts(List.of(copy));
        }

        /** Flips one bit in the decoded part. */
        Parts flipped(int index) {
            byte[] decoded = unb64(get(index));
            decoded[decoded.length / 2] ^= 0x01;
            return with(index, b64(decoded));
        }

        String join() {
            return String.join(".", parts);
        }
    }
}
