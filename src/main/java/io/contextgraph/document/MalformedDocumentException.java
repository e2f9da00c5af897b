package io.contextgraph.document;

/** An upload body that is not a well-formed upload document; the message says why and never quotes the body. */
public final class MalformedDocumentException extends Exception {
    MalformedDocumentException(String message) {
        super(message, null, false, false);
    }
}
