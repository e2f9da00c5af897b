package io.contextgraph.api;

import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.queue.redis.QueueFullException;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code POST/PUT /v1/delete}: queues the removal of everything stored for the caller's token. */
final class DeleteHandler implements Handler {
    private final TaskQueue queue;
    private final QueueErrors queueErrors;

    DeleteHandler(TaskQueue queue, QueueErrors queueErrors) {
        this.queue = queue;
        this.queueErrors = queueErrors;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        String user;
        try {
            user = UserHeader.from(req.headers());
        } catch (BadRequestException e) {
            ApiResponses.error(res, e.status(), e.getMessage());
            return;
        }
        try {
            queue.enqueueDelete(user);
        } catch (QueueFullException | QueueUnavailableException e) {
            queueErrors.answer(res, e);
            return;
        }
        ApiResponses.success(res);
    }
}
