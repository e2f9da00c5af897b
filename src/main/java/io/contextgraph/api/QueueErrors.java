package io.contextgraph.api;

import io.contextgraph.queue.QueueFullException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.helidon.webserver.http.ServerResponse;

/**
 * Turns "the queue cannot take this now" into a 503 with Retry-After. Both cases are expected
 * operating conditions (an outage is reported by the heartbeat), so they are logged, not sent to Sentry.
 */
final class QueueErrors {
    private static final Logger LOG = LoggerFactory.getLogger(QueueErrors.class);
    static final int RETRY_AFTER_FULL_SECONDS = 30;
    static final int RETRY_AFTER_UNAVAILABLE_SECONDS = 5;

    void answer(ServerResponse res, RuntimeException e) {
        if (e instanceof QueueFullException) {
            LOG.atWarn().addKeyValue("type", "queue.full").log("queue over its cap; answered 503");
            ApiResponses.unavailable(res, RETRY_AFTER_FULL_SECONDS, "the service is busy, retry later");
        } else {
            LOG.atWarn().addKeyValue("type", "queue.unavailable").log("queue unreachable; answered 503");
            ApiResponses.unavailable(res, RETRY_AFTER_UNAVAILABLE_SECONDS, "the service is temporarily unavailable, retry later");
        }
    }
}
