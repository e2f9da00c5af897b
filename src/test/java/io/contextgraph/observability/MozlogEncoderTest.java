package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Lines written by {@link MozlogEncoder} through a real Logback logger, read back as JSON. */
class MozlogEncoderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoggerContext context = new LoggerContext();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private Logger log;

    @BeforeEach
    void setUp() {
        context.setMDCAdapter(new LogbackMDCAdapter());
        MozlogEncoder encoder = new MozlogEncoder();
        encoder.setContext(context);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(out);
        appender.start();
        log = context.getLogger("io.contextgraph.worker.TaskLoop");
        log.setLevel(Level.TRACE);
        log.addAppender(appender);
    }

    @AfterEach
    void tearDown() {
        context.stop();
    }

    private List<String> rawLines() {
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).endsWith("\n");
        return List.of(text.split("\n", -1)).subList(0, (int) text.chars().filter(c -> c == '\n').count());
    }

    private List<JsonNode> lines() {
        List<JsonNode> parsed = new ArrayList<>();
        for (String line : rawLines()) {
            try {
                parsed.add(JSON.readTree(line));
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + line, e);
            }
        }
        return parsed;
    }

    private JsonNode onlyLine() {
        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(1);
        return lines.getFirst();
    }

    @Test
    void writesTheMozlogEnvelope() {
        long before = System.currentTimeMillis();
        log.info("worker started");
        long after = System.currentTimeMillis();

        JsonNode line = onlyLine();
        assertThat(line.properties()).extracting(e -> e.getKey())
                .containsExactly("Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid", "Fields");
        assertThat(line.get("Timestamp").isIntegralNumber()).isTrue();
        assertThat(line.get("Timestamp").asLong()).isBetween(before * 1_000_000L, (after + 1) * 1_000_000L);
        assertThat(line.get("Type").asText()).isEqualTo("io.contextgraph.worker.TaskLoop");
        assertThat(line.get("Logger").asText()).isEqualTo("contextgraph");
        assertThat(line.get("Hostname").asText()).isNotBlank();
        assertThat(line.get("EnvVersion").asText()).isEqualTo("2.0");
        assertThat(line.get("Severity").isInt()).isTrue();
        assertThat(line.get("Pid").asLong()).isEqualTo(ProcessHandle.current().pid());
        assertThat(line.get("Fields").toString()).isEqualTo("{\"msg\":\"worker started\"}");
    }

    @ParameterizedTest
    @CsvSource({"ERROR,3", "WARN,4", "INFO,6", "DEBUG,7", "TRACE,7"})
    void mapsLevelsToSyslogSeverities(String level, int severity) {
        log.atLevel(org.slf4j.event.Level.valueOf(level)).log("x");

        assertThat(onlyLine().get("Severity").asInt()).isEqualTo(severity);
    }

    @Test
    void requestSummaryHasTheTypeAndExactlyItsFields() {
        log.atInfo()
                .addKeyValue("type", "request.summary")
                .addKeyValue("path", "v1.upload")
                .addKeyValue("method", "post")
                .addKeyValue("status", 200)
                .addKeyValue("t", 12L)
                .log();

        JsonNode line = onlyLine();
        assertThat(line.get("Type").asText()).isEqualTo("request.summary");
        assertThat(line.get("Fields").toString())
                .isEqualTo("{\"path\":\"v1.upload\",\"method\":\"post\",\"status\":200,\"t\":12}");
    }

    @Test
    void keyValuesKeepTheirJsonTypes() {
        log.atWarn()
                .addKeyValue("count", 3)
                .addKeyValue("ratio", 0.5)
                .addKeyValue("retry", true)
                .addKeyValue("nothing", (Object) null)
                .addKeyValue("reason", "json")
                .addKeyValue("notANumber", Double.NaN)
                .log("dropped {} sessions", 3);

        JsonNode fields = onlyLine().get("Fields");
        assertThat(fields.get("msg").asText()).isEqualTo("dropped 3 sessions");
        assertThat(fields.get("count").isInt()).isTrue();
        assertThat(fields.get("ratio").isDouble()).isTrue();
        assertThat(fields.get("retry").isBoolean()).isTrue();
        assertThat(fields.get("nothing").isNull()).isTrue();
        assertThat(fields.get("reason").asText()).isEqualTo("json");
        assertThat(fields.get("notANumber").asText()).isEqualTo("NaN");
    }

    @Test
    void exceptionsAreDescribedWithoutUrlsOrTokens() {
        Exception cause = new IllegalStateException("PUT https://bucket.s3.amazonaws.com/v1/sessions/user=abc123 failed");
        Exception error = new RuntimeException("storing v1/sessions/user=abc123/date=2026-11-25/x.json.gz", cause);

        log.error("task failed", error);

        JsonNode fields = onlyLine().get("Fields");
        assertThat(fields.get("msg").asText()).isEqualTo("task failed");
        String described = fields.get("error").asText();
        assertThat(described)
                .startsWith("java.lang.RuntimeException: storing v1/sessions/user=<redacted>/date=2026-11-25/x.json.gz")
                .contains("\n\tat io.contextgraph.observability.MozlogEncoderTest.")
                .contains("Caused by: java.lang.IllegalStateException: PUT <url> failed")
                .doesNotContain("abc123")
                .doesNotContain("amazonaws");
    }

    @Test
    void messagesAndValuesAreRedactedToo() {
        log.atInfo().addKeyValue("key", "v1/sessions/user=tok-42/a").log("fetched https://example.com/?q=secret");

        JsonNode fields = onlyLine().get("Fields");
        assertThat(fields.get("msg").asText()).isEqualTo("fetched <url>");
        assertThat(fields.get("key").asText()).isEqualTo("v1/sessions/user=<redacted>/a");
    }

    @Test
    void oneValidLinePerEventWhateverTheMessageContains() {
        log.info("quote \" backslash \\ newline \n tab \t bell \u0007 nul \u0000 end");
        log.info("lone surrogate \uD800 and emoji \uD83D\uDE00");
        log.atInfo().addKeyValue("we\"ird\nkey", "va\r\nlue").log("{}", "line\u2028separator");

        List<String> raw = rawLines();
        assertThat(raw).hasSize(3);
        List<JsonNode> lines = lines();
        assertThat(lines.get(0).get("Fields").get("msg").asText())
                .isEqualTo("quote \" backslash \\ newline \n tab \t bell \u0007 nul \u0000 end");
        assertThat(lines.get(1).get("Fields").get("msg").asText()).isEqualTo("lone surrogate \uFFFD and emoji \uD83D\uDE00");
        assertThat(lines.get(2).get("Fields").get("we\"ird\nkey").asText()).isEqualTo("va\r\nlue");
    }

    @Test
    void theFirstTypeIsTheTypeAndLaterOnesAreFields() {
        log.atInfo().addKeyValue("type", "startup.check").addKeyValue("msg", "ignored").addKeyValue("type", "other")
                .log("redis unreachable");

        JsonNode line = onlyLine();
        assertThat(line.get("Type").asText()).isEqualTo("startup.check");
        assertThat(line.get("Fields").toString()).isEqualTo("{\"msg\":\"redis unreachable\",\"type\":\"other\"}");
    }

    @Test
    void aValueThatCannotBeWrittenCostsTheLineNotTheCaller() {
        Object hostile = new Object() {
            @Override
            public String toString() {
                throw new IllegalStateException("no text for you");
            }
        };

        log.atInfo().addKeyValue("value", hostile).log("will not render");
        log.info("next line");

        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).get("Type").asText()).isEqualTo("log.encoding.error");
        assertThat(lines.get(0).get("Severity").asInt()).isEqualTo(3);
        assertThat(lines.get(1).get("Fields").get("msg").asText()).isEqualTo("next line");
    }

    @Test
    void severityOfEveryLevel() {
        assertThat(MozlogEncoder.severity(Level.ERROR)).isEqualTo(3);
        assertThat(MozlogEncoder.severity(Level.WARN)).isEqualTo(4);
        assertThat(MozlogEncoder.severity(Level.INFO)).isEqualTo(6);
        assertThat(MozlogEncoder.severity(Level.DEBUG)).isEqualTo(7);
        assertThat(MozlogEncoder.severity(Level.TRACE)).isEqualTo(7);
    }
}
