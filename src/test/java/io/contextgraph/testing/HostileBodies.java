package io.contextgraph.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Seeded generator of hostile request bodies for fuzz tests: random bytes, mutated valid uploads, deep nesting, huge
 * numbers, invalid UTF-8, duplicate keys. The same seed gives the same cases, so a failure can be replayed.
 */
public final class HostileBodies {
    private static final String[] ODD_VALUES = {"1e999999", "-0", "123456789012345678901234567890123456789",
            "9223372036854775808", "-9223372036854775809", "1.5", "NaN", "Infinity", "null", "true", "\"\"",
            "\"\\ud800\"", "\"\\u0000\"", "[]", "{}", "0x10", "01", "\"" + "a".repeat(5000) + "\""};
    private static final byte[] JSON_PUNCTUATION = "{}[]\",:\\0e-".getBytes(StandardCharsets.US_ASCII);
    private final Random random;

    public HostileBodies(long seed) {
        this.random = new Random(seed);
    }

    public Random random() {
        return random;
    }

    /** One hostile body, of a kind chosen at random. */
    public byte[] next() {
        return switch (random.nextInt(8)) {
            case 0 -> randomBytes(random.nextInt(2048));
            case 1 -> mutate(validUpload());
            case 2 -> deepNesting(1 + random.nextInt(random.nextBoolean() ? 64 : 20_000));
            case 3 -> uploadWithOddValues();
            case 4 -> withInvalidUtf8(validUpload());
            case 5 -> "{\"sessions\":[],\"sessions\":[]}".getBytes(StandardCharsets.UTF_8);
            case 6 -> ("{\"sessions\":" + ODD_VALUES[random.nextInt(ODD_VALUES.length)] + "}")
                    .getBytes(StandardCharsets.UTF_8);
            default -> validUpload();
        };
    }

    public byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    public byte[] validUpload() {
        long now = System.currentTimeMillis() / 1000;
        return ("{\"sessions\":[{\"url\":\"https://www.mozilla.org/" + random.nextInt(1000) + "\",\"start_time\":"
                + (now - random.nextInt(100_000)) + ",\"duration\":" + random.nextInt(10_000)
                + ",\"tab_id\":\"-" + random.nextInt(100) + "-2\"}]}").getBytes(StandardCharsets.UTF_8);
    }

    /** Flips, inserts or deletes a few bytes. */
    public byte[] mutate(byte[] body) {
        byte[] copy = body.clone();
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits && copy.length > 0; i++) {
            int at = random.nextInt(copy.length);
            switch (random.nextInt(3)) {
                case 0 -> copy[at] = (byte) random.nextInt(256);
                case 1 -> {
                    byte[] longer = new byte[copy.length + 1];
                    System.arraycopy(copy, 0, longer, 0, at);
                    longer[at] = JSON_PUNCTUATION[random.nextInt(JSON_PUNCTUATION.length)];
                    System.arraycopy(copy, at, longer, at + 1, copy.length - at);
                    copy = longer;
                }
                default -> {
                    byte[] shorter = new byte[copy.length - 1];
                    System.arraycopy(copy, 0, shorter, 0, at);
                    System.arraycopy(copy, at + 1, shorter, at, copy.length - at - 1);
                    copy = shorter;
                }
            }
        }
        return copy;
    }

    public byte[] deepNesting(int depth) {
        StringBuilder json = new StringBuilder("{\"sessions\":");
        for (int i = 0; i < depth; i++) {
            json.append(random.nextBoolean() ? "[" : "{\"a\":");
        }
        return json.toString().getBytes(StandardCharsets.UTF_8); // unclosed on purpose: depth is refused first
    }

    private byte[] uploadWithOddValues() {
        String field = new String[] {"url", "start_time", "duration", "tab_id", "title"}[random.nextInt(5)];
        return ("{\"sessions\":[{\"url\":\"https://a.example/\",\"start_time\":1,\"" + field + "\":"
                + ODD_VALUES[random.nextInt(ODD_VALUES.length)] + "}]}").getBytes(StandardCharsets.UTF_8);
    }

    private byte[] withInvalidUtf8(byte[] body) {
        byte[] copy = body.clone();
        byte[][] invalid = {{(byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                {(byte) 0xF8}, {(byte) 0xE2, (byte) 0x82}};
        byte[] bad = invalid[random.nextInt(invalid.length)];
        int at = Math.max(0, Math.min(copy.length - bad.length, 20 + random.nextInt(Math.max(1, copy.length - 20))));
        System.arraycopy(bad, 0, copy, at, Math.min(bad.length, copy.length - at));
        return copy;
    }

    /** gzip of the given bytes. */
    public static byte[] gzip(byte[] plain) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(plain);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
