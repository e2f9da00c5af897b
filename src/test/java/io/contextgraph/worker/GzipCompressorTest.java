package io.contextgraph.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class GzipCompressorTest {

    private static final int OS_BYTE = 9;

    private final GzipCompressor gzip = new GzipCompressor();

    @Test
    void writesTheSameStreamAsGzipOutputStream() throws IOException {
        for (byte[] input : List.of(new byte[0], "{}".getBytes(), text(300), text(70_000), random(50_000))) {
            byte[] ours = gzip.compress(input, input.length);
            byte[] reference = reference(input);
            ours[OS_BYTE] = reference[OS_BYTE]; // 255 ("unknown") here; older JDKs write 0
            assertThat(ours).isEqualTo(reference);
        }
    }

    @Test
    void compressesOnlyTheGivenLengthAndReusesDeflatersSafely() throws Exception {
        byte[] buffer = text(5000);
        for (int length : new int[] {4000, 10, 5000, 0}) {
            byte[] expected = java.util.Arrays.copyOf(buffer, length);
            assertThat(gunzip(gzip.compress(buffer, length))).isEqualTo(expected);
        }
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> checks = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                byte[] input = i % 3 == 0 ? random(1000 + i) : text(100 + i * 37);
                checks.add(threads.submit(() -> java.util.Arrays.equals(gunzip(gzip.compress(input, input.length)),
                        input)));
            }
            for (Future<Boolean> check : checks) {
                assertThat(check.get()).isTrue();
            }
        } finally {
            threads.shutdown();
        }
    }

    @Test
    void incompressibleInputGrowsTheOutput() throws IOException {
        byte[] input = random(200_000);
        byte[] compressed = gzip.compress(input, input.length);
        assertThat(compressed.length).isGreaterThan(input.length);
        assertThat(gunzip(compressed)).isEqualTo(input);
    }

    private static byte[] reference(byte[] input) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(input);
        }
        return bytes.toByteArray();
    }

    private static byte[] gunzip(byte[] compressed) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        }
    }

    private static byte[] text(int length) {
        StringBuilder text = new StringBuilder();
        while (text.length() < length) {
            text.append("{\"url\":\"https://www.example.org/page").append(text.length() % 97).append("\"},");
        }
        return text.substring(0, length).getBytes();
    }

    private static byte[] random(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }
}
