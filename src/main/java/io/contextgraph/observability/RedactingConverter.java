package io.contextgraph.observability;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.pattern.CompositeConverter;

/** Logback's {@code %redacted(...)} (logback-text.xml): the enclosed text passed through the {@link Redactor}. */
public final class RedactingConverter extends CompositeConverter<ILoggingEvent> {

    private final Redactor redactor = new Redactor();

    @Override
    protected String transform(ILoggingEvent event, String in) {
        return redactor.redact(in);
    }
}
