package io.contextgraph.api;

import io.contextgraph.queue.QueueFullException;
import io.contextgraph.queue.QueueUnavailableException;
import io.contextgraph.queue.TaskQueue;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code POST/PUT /v1/upload}: checks the request and answers 200 only once the upload is queued. */
final class UploadHandler implements Handler {
    private final BodyReader reader;
    private final UploadFormat format;
    private final TaskQueue queue;
    private final QueueErrors queueErrors;

    UploadHandler(BodyReader reader, UploadFormat format, TaskQueue queue, QueueErrors queueErrors) {
        this.reader = reader;
        this.format = format;
        this.queue = queue;
        this.queueErrors = queueErrors;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        byte[] body;
        String user;
        try {
            user = UserHeader.from(req.headers());
            body = reader.read(req.headers(), req.content().inputStream());
            format.check(body);
        } catch (BadRequestException e) {
            ApiResponses.error(res, e.status(), e.getMessage());
            return;
        }
        try {
            queue.enqueueUpload(user, body);
        } catch (QueueFullException | QueueUnavailableException e) {
            queueErrors.answer(res, e);
            return;
        }
        ApiResponses.success(res);
    }
}
