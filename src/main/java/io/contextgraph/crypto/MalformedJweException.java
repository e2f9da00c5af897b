package io.contextgraph.crypto;

/**
 * An upload body is not a JWE this service accepts; the message is safe to show to the client.
 */
public final class MalformedJweException extends Exception {

    /** @param message a client-facing explanation that never echoes the body */
    public MalformedJweException(String message) {
        super(message);
    }
}
