package io.contextgraph.observability;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback's {@link AsyncAppender} (a bounded queue in front of the real appender, written by one background
 * thread) that does not capture each event's thread name.
 *
 * <p>Mozlog lines carry no thread name, and for a virtual thread (every HTTP request) Logback works it out with a
 * reflective method lookup per event, a measurable part of the {@code request.summary} line's cost. The message
 * and the MDC are still captured on the calling thread, as before: they may change once it moves on.
 */
public final class LogQueueAppender extends AsyncAppender {

    @Override
    protected void preprocess(ILoggingEvent event) {
        event.getFormattedMessage();
        event.getMDCPropertyMap();
        if (isIncludeCallerData()) {
            event.getCallerData();
        }
    }
}
