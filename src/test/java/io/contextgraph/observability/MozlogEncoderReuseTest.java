package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** {@link MozlogEncoder} keeps a generator per thread: lines must not leak into each other, on one thread or many. */
class MozlogEncoderReuseTest {

    private final LoggerContext context = new LoggerContext();
    private final MozlogEncoder encoder = new MozlogEncoder();

    MozlogEncoderReuseTest() {
        encoder.setContext(context);
        encoder.start();
    }

    private LoggingEvent event(int i) {
        LoggingEvent event = new LoggingEvent("x", context.getLogger("request.summary"), Level.INFO, null, null, null);
        event.addKeyValuePair(new org.slf4j.event.KeyValuePair("type", "request.summary"));
        event.addKeyValuePair(new org.slf4j.event.KeyValuePair("status", i));
        event.addKeyValuePair(new org.slf4j.event.KeyValuePair("path", "p".repeat(i % 700)));
        return event;
    }

    private static String fields(int i) {
        return "\"Fields\":{\"status\":" + i + ",\"path\":\"" + "p".repeat(i % 700) + "\"}}\n";
    }

    @Test
    void eachLineIsExactlyOneObjectWhateverCameBefore() {
        for (int i = 0; i < 2_000; i++) {
            String line = new String(encoder.encode(event(i)), StandardCharsets.UTF_8);
            assertThat(line).startsWith("{\"Timestamp\":").endsWith(fields(i));
            assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
        }
    }

    @Test
    void threadsDoNotShareABuffer() throws Exception {
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int offset = t * 1_000;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = offset; i < offset + 1_000; i++) {
                    String line = new String(encoder.encode(event(i)), StandardCharsets.UTF_8);
                    if (!line.endsWith(fields(i)) || !line.startsWith("{\"Timestamp\":")) {
                        wrong.add(line);
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(wrong).isEmpty();
    }
}
