package io.contextgraph.api;

/** What the web role checks of an upload body before queueing it: structure only, never content. */
public interface UploadFormat {
    void check(byte[] body) throws BadRequestException;
}
