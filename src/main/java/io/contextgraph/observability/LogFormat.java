package io.contextgraph.observability;

import ch.qos.logback.core.PropertyDefinerBase;
import java.util.Locale;

/**
 * The log format logback.xml includes ({@code logback-json.xml} or {@code logback-text.xml}), from the environment
 * variable {@code LOG_FORMAT}. An unknown value gives the default here; the role's settings refuse it at start.
 */
public final class LogFormat extends PropertyDefinerBase {

    @Override
    public String getPropertyValue() {
        return of(System.getenv("LOG_FORMAT"));
    }

    /** {@code text} for "text" in any case and with spaces around, else {@code json}. */
    static String of(String raw) {
        return raw != null && raw.strip().toLowerCase(Locale.ROOT).equals("text") ? "text" : "json";
    }
}
