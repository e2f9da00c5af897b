package io.contextgraph.crypto;

/**
 * A configured key cannot be used; the message says why and never contains key material.
 */
public final class KeyFormatException extends IllegalArgumentException {

    /** @param message what is wrong with the key, free of key material */
    public KeyFormatException(String message) {
        super(message);
    }
}
