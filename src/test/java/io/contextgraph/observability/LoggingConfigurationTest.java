package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * The bundled logback.xml (and logback-text.xml) as Logback loads them, each into a context of its own, writing to
 * a {@link System#out} replaced for the test; and the java.util.logging and System.Logger bridges.
 */
class LoggingConfigurationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream realOut = System.out;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private LoggerContext context;

    @AfterEach
    void tearDown() {
        if (context != null) {
            context.stop();
        }
        System.setOut(realOut);
    }

    /** A fresh context configured from {@code xml}, with stdout captured; fails on any configuration warning. */
    private Logger configured(String xml) throws JoranException {
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        assertThat(context.getStatusManager().getCopyOfStatusList())
                .noneMatch(status -> status.getEffectiveLevel() >= Status.WARN);
        return context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    private Logger bundled() throws Exception {
        try (var in = getClass().getResourceAsStream("/logback.xml")) {
            return configured(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private List<String> lines() {
        String text = captured.toString(StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }

    @Test
    void rootWritesMozlogToTheConsoleThroughANonBlockingQueue() throws Exception {
        Logger root = bundled();

        assertThat(root.getLevel()).isEqualTo(Level.toLevel(System.getenv().getOrDefault("LOG_LEVEL", "INFO")));
        AsyncAppender async = (AsyncAppender) root.getAppender("ASYNC");
        assertThat(async.isNeverBlock()).isTrue();
        assertThat(async.getQueueSize()).isEqualTo(8192);
        assertThat(async.isIncludeCallerData()).isFalse();
        ConsoleAppender<ILoggingEvent> stdout = (ConsoleAppender<ILoggingEvent>) async.getAppender("STDOUT");
        assertThat(stdout.isStarted()).isTrue();
        assertThat(stdout.getEncoder()).isInstanceOf(MozlogEncoder.class);
    }

    @Test
    void manyLinesArriveWholeAndInOrderAndStoppingWritesTheRest() throws Exception {
        Logger log = bundled().getLoggerContext().getLogger("request.summary");
        int count = 5_000; // fewer than the queue holds: none may be dropped
        IntStream.range(0, count).forEach(i -> log.atInfo().addKeyValue("type", "request.summary")
                .addKeyValue("status", 200).addKeyValue("t", (long) i).log());
        context.stop(); // what Logging.flushAndStop does at the end of a role

        List<String> lines = lines();
        assertThat(lines).hasSize(count);
        for (int i = 0; i < count; i++) {
            JsonNode line = JSON.readTree(lines.get(i));
            assertThat(line.get("Type").asText()).isEqualTo("request.summary");
            assertThat(line.at("/Fields/t").asLong()).isEqualTo(i);
        }
    }

    @Test
    void theQueueTakesTheMessageWhenLoggedNotWhenWritten() throws Exception {
        Logger root = bundled();
        StringBuilder mutable = new StringBuilder("before");

        Thread.ofVirtual().start(() -> {
            root.getLoggerContext().getLogger("io.contextgraph.Other").info("value {}", mutable);
            mutable.setLength(0);
            mutable.append("after");
        }).join();
        context.stop(); // drains

        assertThat(lines()).singleElement().satisfies(line ->
                assertThat(JSON.readTree(line).at("/Fields/msg").asText()).isEqualTo("value before"));
    }

    @Test
    void chattyLibrariesAreQuietened() throws Exception {
        bundled();
        for (String name : new String[] {"io.helidon", "io.netty", "io.lettuce", "software.amazon.awssdk"}) {
            assertThat(context.getLogger(name + ".Something").getEffectiveLevel()).as(name).isEqualTo(Level.WARN);
        }
    }

    @Test
    void theTextFormatIsOneReadableLineWithoutUrlsOrUserTokens() throws Exception {
        Logger root = configured("<configuration><include resource=\"logback-text.xml\"/>"
                + "<root level=\"INFO\"><appender-ref ref=\"STDOUT\"/></root></configuration>");

        root.getLoggerContext().getLogger("request.summary").atInfo().addKeyValue("type", "request.summary")
                .addKeyValue("status", 200).log("fetched https://www.example.com/private for X-User: abc123");
        root.getLoggerContext().getLogger("io.contextgraph.worker.Store").atWarn()
                .setCause(new IllegalStateException("no key v1/sessions/user=abc123/1.json.gz")).log("store failed");
        context.stop();

        List<String> lines = lines();
        assertThat(lines.getFirst()).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  request\\.summary fetched <url> for "
                + "X-User: <redacted> type=\"request.summary\" status=\"200\"");
        assertThat(lines.get(1)).matches(".* WARN  .*Store store failed *");
        assertThat(lines.get(2)).isEqualTo("java.lang.IllegalStateException: no key v1/sessions/user=<redacted>/1.json.gz");
        assertThat(String.join("\n", lines)).doesNotContain("abc123", "example.com");
    }

    @ParameterizedTest
    @CsvSource(value = {"NULL, json", "'', json", "json, json", "text, text", "' TEXT ', text", "yaml, json"},
            nullValues = "NULL")
    void logFormatPicksTheIncludedFile(String raw, String file) {
        assertThat(LogFormat.of(raw)).isEqualTo(file);
        assertThat(getClass().getResource("/logback-" + file + ".xml")).isNotNull();
    }

    @Test
    void javaUtilLoggingReachesSlf4j() {
        LoggerContext global = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logging.install();
        Logging.install(); // twice is harmless
        Logger target = global.getLogger("jul.bridge.check");
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.setContext(global);
        seen.start();
        target.addAppender(seen);
        try {
            java.util.logging.Logger.getLogger("jul.bridge.check").warning("from JUL");
            assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("from JUL");
            assertThat(seen.list.getFirst().getLevel()).isEqualTo(Level.WARN);
        } finally {
            target.detachAppender(seen);
        }
    }

    @Test
    void systemLoggerReachesSlf4j() {
        LoggerContext global = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger target = global.getLogger("platform.logger.check");
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.setContext(global);
        seen.start();
        target.addAppender(seen);
        try {
            System.getLogger("platform.logger.check").log(System.Logger.Level.WARNING, "from System.Logger");
            assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("from System.Logger");
        } finally {
            target.detachAppender(seen);
        }
    }
}
