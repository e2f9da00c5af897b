package io.contextgraph.crypto;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.crypto.RSADecrypter;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.text.ParseException;
import java.util.Optional;

/**
 * Decrypts uploads in the worker: JWE compact serializations with RSA-OAEP or RSA-OAEP-256 key
 * wrapping and A256GCM, never compressed. Thread-safe: nothing mutable is shared between calls.
 */
public final class JweDecryptor {

    private final RSAPrivateKey key;
    private final int modulusBytes;
    private final Optional<String> keyId;

    /** @param key the service's private key */
    public JweDecryptor(RSAPrivateKey key) {
        this.key = key;
        this.modulusBytes = (key.getModulus().bitLength() + 7) / 8;
        this.keyId = key instanceof RSAPrivateCrtKey ? Optional.of(PublicJwk.thumbprint(RsaKeys.publicOf(key))) : Optional.empty();
    }

    /** The key id ({@code kid} of the matching public JWK) of the private key; empty for a key without CRT parameters. */
    public Optional<String> keyId() {
        return keyId;
    }

    /** Decrypts a compact JWE given as text. */
    public byte[] decrypt(String compact) throws DecryptionException {
        // Non-ASCII characters become '?', which the structure check refuses.
        return decrypt(compact.getBytes(StandardCharsets.US_ASCII));
    }

    /** Decrypts a compact JWE given as the bytes of the upload body (an optional trailing newline allowed). */
    public byte[] decrypt(byte[] body) throws DecryptionException {
        CompactJwe jwe;
        try {
            // The same rules as the web role, so that nothing Nimbus would also accept slips by (zip, crit, RSA1_5).
            jwe = CompactJwe.parse(body, modulusBytes);
        } catch (MalformedJweException e) {
            throw new DecryptionException(e.getMessage());
        }
        try {
            JWEObject object = new JWEObject(jwe.part(0), jwe.part(1), jwe.part(2), jwe.part(3), jwe.part(4));
            // A decrypter per call: cheap, and keeps thread safety independent of Nimbus internals.
            object.decrypt(new RSADecrypter(key));
            return object.getPayload().toBytes();
        } catch (ParseException e) {
            throw new DecryptionException("not a valid JWE");
        } catch (JOSEException | IllegalStateException | IllegalArgumentException e) {
            String named = jwe.header().getKeyID();
            if (named != null && keyId.isPresent() && !named.equals(keyId.get())) {
                // The client's kid is not echoed: it is client input. Ours is a public thumbprint.
                throw DecryptionException.otherKey("decryption failed: the JWE names another key id (\"kid\") than "
                        + "this worker's " + keyId.get() + " (is PUBLIC_KEY of the web role the pair of PRIVATE_KEY?)");
            }
            throw new DecryptionException("decryption failed (wrong key or tampered JWE)");
        }
    }
}
