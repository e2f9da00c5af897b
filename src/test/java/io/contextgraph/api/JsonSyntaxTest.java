package io.contextgraph.api;

import io.contextgraph.testing.FuzzSeed;
import io.contextgraph.testing.HostileBodies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.fail;

/** The fast path may only accept what Jackson accepts; and it must accept ordinary uploads, or it saves nothing. */
class JsonSyntaxTest {
    private static final int CASES = 100_000;
    /** Bytes that matter to JSON syntax, and a few that must never be taken for it. */
    private static final byte[] SYNTAX = "{}[]\",:\\/ \t\r\n0123456789-+.eEuabfnrtlsx\u0000\u001f\u007f"
            .getBytes(StandardCharsets.ISO_8859_1);
    private final PlainJsonFormat format = new PlainJsonFormat();

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", " {\"sessions\": []}\n", "{\"a\":{\"b\":[1,-2.5e+3,0,-0,0.25E-2,true,false,null]}}",
            "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00 é 😀\"}", "{\"a\":[[],{},[{}]],\"b\":{}}",
            "{\"sessions\":[{\"url\":\"https://www.mozilla.org/\",\"start_time\":1764000000,\"duration\":2400,"
                    + "\"tab_id\":\"-31-2\"}]}"})
    void acceptsOrdinaryObjects(String json) {
        assertThat(JsonSyntax.isPlainObject(utf8(json), PlainJsonFormat.MAX_DEPTH)).isTrue();
        assertThatCode(() -> format.tokenise(utf8(json))).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "[]", "\"text\"", "42", "null", "{", "{\"a\":}", "{\"a\": 1,}", "{} {}", "{}x",
            "{'a': 1}", "{\"a\": NaN}", "{\"a\": \"unterminated}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
            "{\"a\":+1}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":tru}", "{\"a\":truex}", "{\"a\":[1 2]}", "{\"a\" 1}",
            "{\"a\":\"\\x\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"tab\there\"}", "{a:1}", "{\"a\":1}}", "{\"a\":[}",
            "\uFEFF{}", "{\"a\":1]", "{\"a\":[1}", "{,}", "{\"a\":1,,\"b\":2}"})
    void leavesEverythingElseToJackson(String json) {
        assertThat(JsonSyntax.isPlainObject(utf8(json), PlainJsonFormat.MAX_DEPTH)).isFalse();
    }

    @Test
    void depthUpToTheLimitOnly() {
        int arrays = PlainJsonFormat.MAX_DEPTH - 1;
        byte[] atLimit = utf8("{\"a\":" + "[".repeat(arrays) + "]".repeat(arrays) + "}");
        byte[] beyond = utf8("{\"a\":" + "[".repeat(arrays + 1) + "]".repeat(arrays + 1) + "}");
        assertThat(JsonSyntax.isPlainObject(atLimit, PlainJsonFormat.MAX_DEPTH)).isTrue();
        assertThat(JsonSyntax.isPlainObject(beyond, PlainJsonFormat.MAX_DEPTH)).isFalse();
    }

    @Test
    @ExtendWith(FuzzSeed.class)
    void acceptsNothingThatJacksonRefuses(long seed) {
        HostileBodies bodies = new HostileBodies(seed);
        Random random = bodies.random();
        int fast = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] body = switch (random.nextInt(4)) {
                case 0 -> bodies.next();
                case 1 -> bodies.mutate(randomDocument(random));
                case 2 -> nearSyntax(random, randomDocument(random));
                default -> randomDocument(random);
            };
            // The fast path only ever sees valid UTF-8 (checked first), as Jackson's verdict depends on it too.
            if (!Utf8.isValid(body, body.length) || !JsonSyntax.isPlainObject(body, PlainJsonFormat.MAX_DEPTH)) {
                continue;
            }
            fast++;
            try {
                format.tokenise(body);
            } catch (BadRequestException e) {
                fail("seed " + seed + ", case " + i + ": fast path accepted what Jackson refuses (" + e.getMessage()
                        + "): " + HexFormat.of().formatHex(body));
            }
        }
        assertThat(fast).as("the fast path takes a good share").isGreaterThan(CASES / 10);
    }

    /** Swaps, inserts or drops a few bytes, picking bytes that matter to the syntax. */
    private static byte[] nearSyntax(Random random, byte[] body) {
        StringBuilder out = new StringBuilder(new String(body, StandardCharsets.ISO_8859_1));
        for (int edits = 1 + random.nextInt(3); edits > 0 && !out.isEmpty(); edits--) {
            int at = random.nextInt(out.length());
            char c = (char) (SYNTAX[random.nextInt(SYNTAX.length)] & 0xff);
            switch (random.nextInt(3)) {
                case 0 -> out.setCharAt(at, c);
                case 1 -> out.insert(at, c);
                default -> out.deleteCharAt(at);
            }
        }
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] randomDocument(Random random) {
        StringBuilder out = new StringBuilder();
        object(random, out, 1 + random.nextInt(PlainJsonFormat.MAX_DEPTH + 2));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void object(Random random, StringBuilder out, int depthLeft) {
        out.append('{').append(space(random));
        int members = random.nextInt(4);
        for (int m = 0; m < members; m++) {
            if (m > 0) {
                out.append(',').append(space(random));
            }
            string(random, out);
            out.append(space(random)).append(':').append(space(random));
            value(random, out, depthLeft - 1);
            out.append(space(random));
        }
        out.append('}');
    }

    private static void value(Random random, StringBuilder out, int depthLeft) {
        int kind = random.nextInt(depthLeft > 0 ? 7 : 5);
        switch (kind) {
            case 0 -> string(random, out);
            case 1 -> number(random, out);
            case 2 -> out.append(random.nextBoolean() ? "true" : "false");
            case 3 -> out.append("null");
            case 4 -> number(random, out);
            case 5 -> object(random, out, depthLeft);
            default -> {
                out.append('[').append(space(random));
                int elements = random.nextInt(4);
                for (int e = 0; e < elements; e++) {
                    if (e > 0) {
                        out.append(',').append(space(random));
                    }
                    value(random, out, depthLeft - 1);
                    out.append(space(random));
                }
                out.append(']');
            }
        }
    }

    private static void number(Random random, StringBuilder out) {
        if (random.nextInt(4) == 0) {
            out.append('-');
        }
        out.append(random.nextInt(5) == 0 ? "0" : Long.toString(1 + random.nextLong(1_000_000_000L)));
        if (random.nextBoolean()) {
            out.append('.').append(random.nextInt(1000));
        }
        if (random.nextInt(4) == 0) {
            out.append(random.nextBoolean() ? 'e' : 'E').append(random.nextBoolean() ? "+" : random.nextBoolean() ? "-" : "")
                    .append(random.nextInt(400));
        }
        if (random.nextInt(50) == 0) {
            out.append("9".repeat(random.nextInt(1500))); // around the length limits
        }
    }

    private static void string(Random random, StringBuilder out) {
        out.append('"');
        int length = random.nextInt(random.nextInt(100) == 0 ? 2000 : 12);
        for (int i = 0; i < length; i++) {
            switch (random.nextInt(12)) {
                case 0 -> out.append("\\u").append(String.format("%04x", random.nextInt(0x10000)));
                case 1 -> out.append('\\').append("\"\\/bfnrt".charAt(random.nextInt(8)));
                case 2 -> out.append("é😀");
                default -> out.append((char) ('a' + random.nextInt(26)));
            }
        }
        out.append('"');
    }

    private static String space(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> " ";
            case 1 -> "\n\t ";
            default -> "";
        };
    }
}
