package io.contextgraph.api;

import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.queue.redis.QueueFullException;
import io.contextgraph.queue.redis.QueueUnavailableException;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.InputStream;

/** {@code POST/PUT /v1/upload} and {@code /v1/delete}: check the request and answer 200 only once its task is queued. */
final class TaskHandlers {
    /** Seconds to wait after the in-flight memory budget was full: other uploads finish within about that. */
    static final int BUSY_RETRY_AFTER_SECONDS = 1;

    private final BodyReader reader;
    private final UploadFormat format;
    private final TaskQueue queue;
    private final QueueErrors queueErrors = new QueueErrors();

    TaskHandlers(BodyReader reader, UploadFormat format, TaskQueue queue) {
        this.reader = reader;
        this.format = format;
        this.queue = queue;
    }

    /** Queues the upload of the body. */
    void upload(ServerRequest req, ServerResponse res) {
        String user;
        InputStream raw = req.content().inputStream();
        try {
            user = UserHeader.from(req.headers());
        } catch (BadRequestException e) {
            // The body is small or the server reads it after the answer (keep-alive): nothing else to do.
            ApiResponses.error(res, e.status(), e.getMessage());
            return;
        }
        try (BodyReader.Held body = reader.read(req.headers(), raw)) {
            format.check(body.bytes());
            queue.enqueueUpload(user, body.bytes());
        } catch (BadRequestException e) {
            if (e.status() == Status.REQUEST_ENTITY_TOO_LARGE_413) {
                refuseWhileSending(res, raw, () -> ApiResponses.error(res, e.status(), e.getMessage()));
            } else {
                ApiResponses.error(res, e.status(), e.getMessage());
            }
            return;
        } catch (OverBudgetException e) {
            refuseWhileSending(res, raw,
                    () -> ApiResponses.unavailable(res, BUSY_RETRY_AFTER_SECONDS, e.getMessage()));
            return;
        } catch (QueueFullException | QueueUnavailableException e) {
            queueErrors.answer(res, e);
            return;
        }
        ApiResponses.success(res);
    }

    /** Queues the removal of everything stored for the caller's token. */
    void delete(ServerRequest req, ServerResponse res) {
        try {
            queue.enqueueDelete(UserHeader.from(req.headers()));
        } catch (BadRequestException e) {
            ApiResponses.error(res, e.status(), e.getMessage());
            return;
        } catch (QueueFullException | QueueUnavailableException e) {
            queueErrors.answer(res, e);
            return;
        }
        ApiResponses.success(res);
    }

    /**
     * Answers while the client may still be sending a body that will not be read to its end: the connection is then
     * closed, but only after the rest has been discarded for a bounded time and size, so that a client that reads only
     * once it has sent everything still reads the answer rather than a reset connection.
     */
    private static void refuseWhileSending(ServerResponse res, InputStream raw, Runnable answer) {
        res.header(HeaderValues.CONNECTION_CLOSE);
        answer.run();
        BodyReader.discardRest(raw);
        // Helidon would otherwise wait on this connection for another request; what is left of the body is not one.
        throw new CloseConnectionException("closed after refusing a body that was not read to its end");
    }
}
