package io.contextgraph.api;

import io.contextgraph.document.MalformedDocumentException;
import io.contextgraph.document.UploadDocument;

/**
 * Uploads without encryption (no keys configured): the body must be a well-formed upload document, exactly as the
 * worker will parse it ({@link UploadDocument}), so that a 200 is never followed by a parse failure.
 */
public final class PlainJsonFormat implements UploadFormat {
    private final UploadDocument document = new UploadDocument();

    @Override
    public void check(byte[] body) throws BadRequestException {
        try {
            document.check(body);
        } catch (MalformedDocumentException e) {
            throw new BadRequestException(e.getMessage());
        }
    }
}
