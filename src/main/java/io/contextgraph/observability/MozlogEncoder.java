package io.contextgraph.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * Logback encoder writing one mozlog JSON object per line (SPEC "Logs"): {@code Timestamp} (ns), {@code Type},
 * {@code Logger}, {@code Hostname}, {@code EnvVersion}, {@code Severity} (syslog), {@code Pid}, {@code Fields}.
 *
 * <p>{@code Type} is the value of the event's {@code type} key-value pair, else the logger name. {@code Fields}
 * holds {@code msg} (only when the event has a message), the other key-value pairs as typed JSON values, and
 * {@code error} when there is a throwable. Every string written to {@code Fields} goes through the
 * {@link Redactor}: a URL or a user token slipped into a message or an exception does not reach stdout.
 */
public final class MozlogEncoder extends EncoderBase<ILoggingEvent> {

    static final String TYPE_KEY = "type";
    private static final int MAX_FRAMES = 12;
    private static final int MAX_CAUSES = 5;

    private final JsonFactory json = JsonFactory.builder().build();
    private final ThreadLocal<LineWriter> writers = ThreadLocal.withInitial(() -> {
        try {
            return new LineWriter();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing into memory: does not happen
        }
    });
    private final Redactor redactor = new Redactor();
    private final String hostname = hostname();
    private final long pid = ProcessHandle.current().pid();
    private String loggerName = "contextgraph";

    /** The {@code Logger} field of every line; {@code contextgraph} unless set in logback.xml. */
    public void setLoggerName(String loggerName) {
        this.loggerName = loggerName;
    }

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        LineWriter writer = writers.get();
        try {
            return writer.line(event);
        } catch (IOException | RuntimeException e) {
            writers.remove(); // the generator may be stuck in the middle of an object
            // A log line must never take the application down; say that one was lost instead.
            return fallbackLine(e);
        }
    }

    /**
     * A generator and its buffer, kept for the next line of the same thread (in the service: the one thread
     * behind the log queue) instead of being set up again for every line, which was most of the encoding cost.
     */
    private final class LineWriter {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        private final List<String> written = new ArrayList<>();
        private final JsonGenerator gen;

        LineWriter() throws IOException {
            gen = json.createGenerator(out);
            gen.setRootValueSeparator(null); // one object per line, no space before the next
        }

        byte[] line(ILoggingEvent event) throws IOException {
            out.reset();
            written.clear();
            writeLine(gen, event, written);
            gen.flush();
            out.write('\n');
            return out.toByteArray();
        }
    }

    private void writeLine(JsonGenerator gen, ILoggingEvent event, List<String> written) throws IOException {
        gen.writeStartObject();
        gen.writeNumberField("Timestamp", nanos(event.getInstant()));
        gen.writeStringField("Type", clean(type(event)));
        gen.writeStringField("Logger", loggerName);
        gen.writeStringField("Hostname", hostname);
        gen.writeStringField("EnvVersion", "2.0");
        gen.writeNumberField("Severity", severity(event.getLevel()));
        gen.writeNumberField("Pid", pid);
        gen.writeObjectFieldStart("Fields");
        writeFields(gen, event, written);
        gen.writeEndObject();
        gen.writeEndObject();
    }

    // written: the field names so far (a handful: a list is cheaper than a set), empty on entry.
    private void writeFields(JsonGenerator gen, ILoggingEvent event, List<String> written) throws IOException {
        String message = event.getFormattedMessage();
        if (message != null && !message.isEmpty()) {
            gen.writeStringField("msg", text(message));
            written.add("msg");
        }
        boolean typeSeen = false;
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair pair : pairs) {
                if (pair == null || pair.key == null) {
                    continue;
                }
                if (!typeSeen && TYPE_KEY.equals(pair.key)) {
                    typeSeen = true; // it is the line's Type, not a field
                    continue;
                }
                if (pair.key.equals("error") && event.getThrowableProxy() != null) {
                    continue;
                }
                if (!written.contains(pair.key)) {
                    written.add(pair.key);
                    gen.writeFieldName(clean(pair.key));
                    writeValue(gen, pair.value);
                }
            }
        }
        IThrowableProxy error = event.getThrowableProxy();
        if (error != null) {
            gen.writeStringField("error", text(describe(error)));
        }
    }

    private void writeValue(JsonGenerator gen, Object value) throws IOException {
        switch (value) {
            case null -> gen.writeNull();
            case Boolean b -> gen.writeBoolean(b);
            case Integer i -> gen.writeNumber(i);
            case Long l -> gen.writeNumber(l);
            case Short s -> gen.writeNumber(s);
            case Byte b -> gen.writeNumber(b);
            case Double d when Double.isFinite(d) -> gen.writeNumber(d);
            case Float f when Float.isFinite(f) -> gen.writeNumber(f);
            case java.math.BigInteger b -> gen.writeNumber(b);
            case java.math.BigDecimal b -> gen.writeNumber(b);
            default -> gen.writeString(text(String.valueOf(value)));
        }
    }

    private static String type(ILoggingEvent event) {
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair pair : pairs) {
                if (pair != null && TYPE_KEY.equals(pair.key)) {
                    return pair.value == null ? event.getLoggerName() : String.valueOf(pair.value);
                }
            }
        }
        return event.getLoggerName();
    }

    /** Syslog severity of a Logback level: ERROR 3, WARN 4, INFO 6, DEBUG and TRACE 7. */
    static int severity(Level level) {
        return switch (level.toInt()) {
            case Level.ERROR_INT -> 3;
            case Level.WARN_INT -> 4;
            case Level.INFO_INT -> 6;
            default -> 7;
        };
    }

    private static long nanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    /** Class, redacted message and the first frames of a throwable and of a few of its causes. */
    private String describe(IThrowableProxy error) {
        StringBuilder text = new StringBuilder();
        IThrowableProxy current = error;
        for (int depth = 0; current != null && depth <= MAX_CAUSES; depth++) {
            if (depth > 0) {
                text.append("\nCaused by: ");
            }
            text.append(current.getClassName());
            if (current.getMessage() != null) {
                text.append(": ").append(redactor.redact(current.getMessage()));
            }
            StackTraceElementProxy[] frames = current.getStackTraceElementProxyArray();
            int shown = frames == null ? 0 : Math.min(frames.length, MAX_FRAMES);
            for (int i = 0; i < shown; i++) {
                text.append("\n\tat ").append(frames[i].getStackTraceElement());
            }
            if (frames != null && frames.length > shown) {
                text.append("\n\t... ").append(frames.length - shown).append(" more");
            }
            current = current.getCause() == current ? null : current.getCause();
        }
        return text.toString();
    }

    private String text(String raw) {
        return clean(redactor.redact(raw));
    }

    // Jackson refuses to write a lone surrogate; a broken string must still give a valid line.
    private static String clean(String raw) {
        if (raw == null) {
            return "";
        }
        StringBuilder out = null;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < raw.length() && Character.isLowSurrogate(raw.charAt(i + 1));
            if (paired) {
                if (out != null) {
                    out.append(c).append(raw.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (out == null) {
                    out = new StringBuilder(raw.length()).append(raw, 0, i);
                }
                out.append('\uFFFD');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? raw : out.toString();
    }

    private byte[] fallbackLine(Exception e) {
        String line = "{\"Timestamp\":" + nanos(Instant.now())
                + ",\"Type\":\"log.encoding.error\",\"Logger\":\"" + loggerName
                + "\",\"EnvVersion\":\"2.0\",\"Severity\":3,\"Pid\":" + pid
                + ",\"Fields\":{\"error\":\"" + e.getClass().getName() + "\"}}\n";
        return line.getBytes(StandardCharsets.UTF_8);
    }

    private static String hostname() {
        String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }
}
