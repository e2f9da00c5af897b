package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.contextgraph.testing.StatsdSink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How {@link UdpLineSender} packs lines into datagrams, read back from a real loopback UDP socket. */
class UdpLineSenderTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    /** Long enough that only a full datagram or close sends anything during a test. */
    private static final Duration NEVER = Duration.ofHours(1);

    private final StatsdSink sink = new StatsdSink();

    @AfterEach
    void stop() {
        sink.close();
    }

    private UdpLineSender sender(int maxPayload, Duration flushEvery) throws Exception {
        return new UdpLineSender(sink.host(), sink.port(), new StatsdBatching(maxPayload, flushEvery));
    }

    private static String line(int i) {
        return "request:" + i + "|ms|#method:post,path:v1.upload,status:200";
    }

    private void awaitLines(int count) {
        assertThat(sink.awaitLineCount(count, WAIT)).as("%d lines arrived: %s", count, sink.lines()).isTrue();
    }

    @Test
    void manyLinesArrivePackedWholeAndInOrder() throws Exception {
        List<String> sent = IntStream.range(0, 500).mapToObj(UdpLineSenderTest::line).toList();
        try (UdpLineSender sender = sender(StatsdBatching.NETWORK_PAYLOAD_BYTES, NEVER)) {
            sent.forEach(sender);
        }
        awaitLines(sent.size());

        assertThat(sink.lines()).containsExactlyElementsOf(sent);
        List<String> datagrams = sink.datagrams();
        assertThat(datagrams.size()).isLessThan(sent.size() / 10);
        for (String datagram : datagrams) {
            assertThat(datagram.getBytes(StandardCharsets.UTF_8).length)
                    .isLessThanOrEqualTo(StatsdBatching.NETWORK_PAYLOAD_BYTES);
            assertThat(datagram).doesNotStartWith("\n").doesNotEndWith("\n").doesNotContain("\n\n");
        }
    }

    @Test
    void aDatagramIsSentWhenTheNextLineWouldNotFit() throws Exception {
        String line = line(1);
        assertThat(line).hasSize(51); // two fit into 110 bytes with their separator, three do not
        try (UdpLineSender sender = sender(110, NEVER)) {
            sender.accept(line);
            sender.accept(line);
            sender.accept(line);
            awaitLines(2);
            assertThat(sink.datagrams()).containsExactly(line + "\n" + line);
        }
        awaitLines(3);
        assertThat(sink.datagrams()).containsExactly(line + "\n" + line, line);
    }

    @Test
    void aLineLongerThanTheLimitGoesAloneAfterWhatWasWaiting() throws Exception {
        String tooLong = "data.session.new:1|c|#reason:" + "x".repeat(200);
        try (UdpLineSender sender = sender(100, NEVER)) {
            sender.accept("a:1|c");
            sender.accept(tooLong);
            sender.accept("b:1|c");
        }
        awaitLines(3);

        assertThat(sink.datagrams()).containsExactly("a:1|c", tooLong, "b:1|c");
    }

    @Test
    void aLoneLineIsSentWithoutWaitingForMore() throws Exception {
        try (UdpLineSender sender = sender(StatsdBatching.NETWORK_PAYLOAD_BYTES, Duration.ofMillis(100))) {
            sender.accept("data.user.new:1|c");

            // Neither full nor closed: only the periodic flush can send it.
            assertThat(sink.awaitLine("data.user.new:1|c"::equals, WAIT)).isPresent();
        }
    }

    @Test
    void closeSendsWhatIsWaitingAndLaterLinesAreDropped() throws Exception {
        UdpLineSender sender = sender(StatsdBatching.NETWORK_PAYLOAD_BYTES, NEVER);
        sender.accept("before:1|c");
        sender.close();
        sender.accept("after:1|c");
        sender.close(); // twice is harmless

        assertThat(sink.awaitLine("before:1|c"::equals, WAIT)).isPresent();
        try (UdpLineSender marker = sender(StatsdBatching.NETWORK_PAYLOAD_BYTES, NEVER)) {
            marker.accept("marker:1|c");
        }
        sink.awaitLine("marker:1|c"::equals, WAIT);
        // UDP on loopback keeps order: everything sent before the marker has arrived by now.
        assertThat(sink.lines()).containsExactly("before:1|c", "marker:1|c");
    }

    @Test
    void concurrentCallersLoseNoLine() throws Exception {
        int threads = 8;
        int perThread = 100;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> callers = new ArrayList<>();
        try (UdpLineSender sender = sender(StatsdBatching.NETWORK_PAYLOAD_BYTES, Duration.ofMillis(1))) {
            for (int t = 0; t < threads; t++) {
                int first = t * perThread;
                callers.add(Thread.ofVirtual().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = first; i < first + perThread; i++) {
                        sender.accept(line(i));
                    }
                }));
            }
            start.countDown();
            for (Thread caller : callers) {
                caller.join();
            }
        }
        awaitLines(threads * perThread);

        assertThat(sink.lines()).containsExactlyInAnyOrderElementsOf(
                IntStream.range(0, threads * perThread).mapToObj(UdpLineSenderTest::line).toList());
    }

    @Test
    void anUnresolvableHostDropsLinesWithoutFailing() throws Exception {
        try (UdpLineSender sender = new UdpLineSender("statsd.invalid", 8125, StatsdBatching.DEFAULT)) {
            sender.accept("data.user.new:1|c");
            sender.flush();
        }
    }
}
