package io.contextgraph.crypto;

/**
 * A JWE could not be decrypted (bad structure, unsupported algorithm, wrong key or tampering).
 */
public final class DecryptionException extends Exception {

    /** @param message why decryption failed, without any plaintext or key material */
    public DecryptionException(String message) {
        super(message);
    }
}
