package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link BufferedStdoutAppender} and {@link LogQueueAppender} wired as logback.xml wires them, writing to a
 * {@link System#out} replaced for the test.
 */
class BufferedStdoutAppenderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream realOut = System.out;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final LoggerContext context = new LoggerContext();
    private BufferedStdoutAppender stdout;
    private Logger log;

    @BeforeEach
    void setUp() {
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        context.setMDCAdapter(new LogbackMDCAdapter());
        MozlogEncoder encoder = new MozlogEncoder();
        encoder.setContext(context);
        encoder.start();
        stdout = new BufferedStdoutAppender();
        stdout.setContext(context);
        stdout.setEncoder(encoder);
        stdout.start();
        log = context.getLogger("request.summary");
        log.setLevel(Level.INFO);
        log.addAppender(stdout);
    }

    @AfterEach
    void tearDown() {
        context.stop();
        System.setOut(realOut);
    }

    private List<String> lines() {
        synchronized (captured) {
            String text = captured.toString(StandardCharsets.UTF_8);
            return text.isEmpty() ? List.of() : List.of(text.split("\n"));
        }
    }

    private void awaitLines(int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (lines().size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private void logRequest(int i) {
        log.atInfo().addKeyValue("type", "request.summary").addKeyValue("path", "/v1/upload")
                .addKeyValue("status", 200).addKeyValue("t", (long) i).log();
    }

    @Test
    void aLoneLineIsWrittenWithoutWaitingForMoreOrForStop() throws Exception {
        logRequest(1);

        awaitLines(1);
        assertThat(lines()).hasSize(1);
        assertThat(JSON.readTree(lines().getFirst()).at("/Fields/t").asLong()).isEqualTo(1);
    }

    @Test
    void manyLinesArriveWholeAndInOrderAndStopWritesTheRest() throws Exception {
        int count = 5_000; // several times the buffer
        IntStream.range(0, count).forEach(this::logRequest);
        context.stop();

        List<String> lines = lines();
        assertThat(lines).hasSize(count);
        for (int i = 0; i < count; i++) {
            JsonNode line = JSON.readTree(lines.get(i));
            assertThat(line.get("Type").asText()).isEqualTo("request.summary");
            assertThat(line.at("/Fields/t").asLong()).isEqualTo(i);
        }
    }

    @Test
    void stoppingLeavesStdoutOpen() {
        logRequest(7);
        context.stop();

        System.out.print("after\n");
        assertThat(System.out.checkError()).isFalse();
        assertThat(lines()).hasSize(2).last().isEqualTo("after");
    }

    @Test
    void theQueueKeepsMessageAndMdcOfTheCallingThread() throws Exception {
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.setContext(context);
        seen.start();
        LogQueueAppender queue = new LogQueueAppender();
        queue.setContext(context);
        queue.addAppender(seen);
        queue.start();
        Logger other = context.getLogger("io.contextgraph.Other");
        other.addAppender(queue);
        StringBuilder mutable = new StringBuilder("before");

        Thread.ofVirtual().start(() -> {
            context.getMDCAdapter().put("k", "v");
            other.info("value {}", mutable);
            mutable.setLength(0); // the line was taken when logged, not when written
            mutable.append("after");
            context.getMDCAdapter().clear();
        }).join();
        queue.stop(); // drains

        assertThat(seen.list).singleElement().satisfies(event -> {
            assertThat(event.getFormattedMessage()).isEqualTo("value before");
            assertThat(event.getMDCPropertyMap()).containsEntry("k", "v");
        });
    }
}
