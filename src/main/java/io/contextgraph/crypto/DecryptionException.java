package io.contextgraph.crypto;

/**
 * A JWE could not be decrypted (bad structure, unsupported algorithm, wrong key or tampering).
 * {@link #reason()} tells a JWE addressed to another key (a mismatched key pair) from the rest.
 */
public final class DecryptionException extends Exception {

    private final boolean otherKey;

    /** @param message why decryption failed, without any plaintext or key material */
    public DecryptionException(String message) {
        this(message, false);
    }

    private DecryptionException(String message, boolean otherKey) {
        super(message);
        this.otherKey = otherKey;
    }

    /** The JWE names (in {@code kid}) another key than the decryptor's, and does not decrypt with it. */
    static DecryptionException otherKey(String message) {
        return new DecryptionException(message, true);
    }

    /** {@code key}: encrypted to another key id than the private key's; {@code encryption}: any other failure. */
    public String reason() {
        return otherKey ? "key" : "encryption";
    }
}
