package io.contextgraph.worker;

import io.contextgraph.document.MalformedDocumentException;
import io.contextgraph.document.UploadDocument;

import java.util.Optional;

/** Parses a decrypted upload with the definition the web role checked it against, for the data rules. */
final class UploadParser {
    private final UploadDocument document = new UploadDocument();

    /** The value of the top-level {@code sessions} key, if there is one. */
    Optional<Object> sessions(byte[] json) throws MalformedDocumentException {
        return Optional.ofNullable(document.parse(json).get("sessions"));
    }
}
