package io.contextgraph.document;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each rule of docs/api.md "Well-formed documents" gives its documented verdict, in both the check and the parse. */
class UploadDocumentTest {
    private static final String NOT_UTF8 = "body is not valid UTF-8";
    private static final String NOT_JSON = "body is not valid JSON";
    private static final String NOT_OBJECT = "body must be a JSON object";
    private static final String NOT_ONE = "body must be exactly one JSON object";
    private static final String DUPLICATE = "JSON object with a duplicate key";
    private static final String TOO_DEEP = "JSON nested deeper than 32 levels";
    private static final String TOO_LONG = "JSON number with more than 1000 digits";

    private final UploadDocument document = new UploadDocument();

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hex(String bytes) {
        return HexFormat.of().parseHex(bytes);
    }

    /** {@code {"a":<value>}} nested {@code depth} levels deep, counting the outer object as the first level. */
    private static String nested(int depth) {
        int arrays = depth - 1;
        return "{\"a\":" + "[".repeat(arrays) + "]".repeat(arrays) + "}";
    }

    private static String withNumber(String number) {
        return "{\"a\":" + number + "}";
    }

    static Stream<Arguments> wellFormed() {
        String digits = "9".repeat(UploadDocument.MAX_NUMBER_LENGTH);
        return Stream.of(
                Arguments.of("a leading UTF-8 byte order mark is ignored", hex("efbbbf") /* BOM */, "{\"a\":1}"),
                Arguments.of("trailing whitespace", null, "{\"a\":1} \t\r\n"),
                Arguments.of("leading whitespace", null, " \t\r\n{\"a\":1}"),
                Arguments.of("valid multi-byte UTF-8 (é, U+10FFFF)", hex("7b2261223a22c3a9f48fbfbf227d"), null),
                Arguments.of("names that differ only in case are distinct", null, "{\"a\":1,\"A\":2}"),
                Arguments.of("equal names in different objects", null, "{\"a\":{\"x\":1},\"b\":{\"x\":1}}"),
                Arguments.of("nested exactly 32 levels", null, nested(UploadDocument.MAX_DEPTH)),
                Arguments.of("a 1000-digit integer", null, withNumber(digits)),
                // Digits are counted, not the sign, the point or the e: each of these has 1000 digits.
                Arguments.of("a 1000-digit negative integer", null, withNumber("-" + digits)),
                Arguments.of("a 1000-digit fraction", null, withNumber("1." + digits.substring(1))),
                Arguments.of("a 1000-digit exponent form", null, withNumber("1e-" + digits.substring(1))),
                Arguments.of("500 + 500 digits around an e", null,
                        withNumber(digits.substring(500) + "E+" + digits.substring(500))),
                Arguments.of("an integer outside 64 bits", null, withNumber("9223372036854775808")));
    }

    static Stream<Arguments> malformed() {
        String digits = "9".repeat(UploadDocument.MAX_NUMBER_LENGTH);
        return Stream.of(
                // strict UTF-8
                Arguments.of("UTF-16BE with its BOM", hex("feff007b007d"), NOT_UTF8),
                Arguments.of("UTF-16LE with its BOM", hex("fffe7b007d00"), NOT_UTF8),
                Arguments.of("UTF-32LE with its BOM", hex("fffe00007b0000007d000000"), NOT_UTF8),
                // Well-formed UTF-8 byte by byte (ASCII and zeros), and what Jackson would read as UTF-16/32.
                Arguments.of("UTF-16LE without a BOM", hex("7b002200610022003a0031007d00"), NOT_UTF8),
                Arguments.of("UTF-16BE without a BOM", hex("007b002200610022003a0031007d"), NOT_UTF8),
                Arguments.of("UTF-32LE without a BOM", hex("7b0000007d000000"), NOT_UTF8),
                Arguments.of("UTF-32BE without a BOM", hex("0000007b0000007d"), NOT_UTF8),
                Arguments.of("a zero byte inside a string", hex("7b2261223a220022207d"), "body is not valid JSON"),
                Arguments.of("overlong '/' (C0 AF)", hex("7b2261223a22c0af227d"), NOT_UTF8),
                Arguments.of("overlong form in a name", hex("7b22c0af223a317d"), NOT_UTF8),
                Arguments.of("an encoded surrogate (ED A0 80)", hex("7b2261223a22eda080227d"), NOT_UTF8),
                Arguments.of("above U+10FFFF (F4 90 80 80)", hex("7b2261223a22f4908080227d"), NOT_UTF8),
                Arguments.of("a lone continuation byte", hex("7b2261223a2280227d"), NOT_UTF8),
                Arguments.of("a lead byte without its continuation", hex("7b2261223a22c328227d"), NOT_UTF8),
                Arguments.of("a truncated sequence", hex("7b2261223a22e282227d"), NOT_UTF8),
                Arguments.of("an invalid byte after the object", hex("7b7d80"), NOT_UTF8),
                // duplicate keys
                Arguments.of("a repeated key", utf8("{\"a\":1,\"a\":2}"), DUPLICATE),
                Arguments.of("a repeated key, once escaped (\\u0061)", utf8("{\"a\":1,\"\\u0061\":2}"), DUPLICATE),
                Arguments.of("a repeated key deep down", utf8("{\"s\":[{\"b\":{\"url\":\"a\",\"url\":\"b\"}}]}"),
                        DUPLICATE),
                // RFC 8259 only
                Arguments.of("NaN", utf8(withNumber("NaN")), NOT_JSON),
                Arguments.of("Infinity", utf8(withNumber("Infinity")), NOT_JSON),
                Arguments.of("-Infinity", utf8(withNumber("-Infinity")), NOT_JSON),
                Arguments.of("an unquoted name", utf8("{a:1}"), NOT_JSON),
                Arguments.of("a single-quoted name", utf8("{'a':1}"), NOT_JSON),
                Arguments.of("a single-quoted value", utf8("{\"a\":'b'}"), NOT_JSON),
                Arguments.of("a block comment", utf8("/* c */{\"a\":1}"), NOT_JSON),
                Arguments.of("a comment inside", utf8("{\"a\":1 /* c */}"), NOT_JSON),
                Arguments.of("a line comment after", utf8("{\"a\":1} // c"), NOT_JSON),
                Arguments.of("a hash comment", utf8("# c\n{\"a\":1}"), NOT_JSON),
                Arguments.of("a trailing comma in an object", utf8("{\"a\":1,}"), NOT_JSON),
                Arguments.of("a trailing comma in an array", utf8("{\"a\":[1,]}"), NOT_JSON),
                // exactly one object
                Arguments.of("a top-level array", utf8("[{\"a\":1}]"), NOT_OBJECT),
                Arguments.of("a top-level string", utf8("\"text\""), NOT_OBJECT),
                Arguments.of("a top-level number", utf8("42"), NOT_OBJECT),
                Arguments.of("a top-level null", utf8("null"), NOT_OBJECT),
                Arguments.of("two objects in a row", utf8("{\"a\":1}{\"b\":2}"), NOT_ONE),
                Arguments.of("two objects apart", utf8("{\"a\":1} {\"b\":2}"), NOT_ONE),
                Arguments.of("trailing garbage", utf8("{\"a\":1}x"), NOT_JSON),
                Arguments.of("a trailing bracket", utf8("{\"a\":1}}"), NOT_JSON),
                Arguments.of("a trailing NUL", utf8("{\"a\":1}\u0000"), NOT_JSON),
                Arguments.of("an unterminated object", utf8("{\"a\":1"), NOT_JSON),
                Arguments.of("an empty body", new byte[0], NOT_OBJECT),
                Arguments.of("whitespace only", utf8(" \n"), NOT_OBJECT),
                // limits
                Arguments.of("nested 33 levels", utf8(nested(UploadDocument.MAX_DEPTH + 1)), TOO_DEEP),
                Arguments.of("nested 33 levels of objects", utf8("{\"a\":".repeat(UploadDocument.MAX_DEPTH)
                        + "{}" + "}".repeat(UploadDocument.MAX_DEPTH)), TOO_DEEP),
                Arguments.of("a 1001-digit integer", utf8(withNumber(digits + "9")), TOO_LONG),
                Arguments.of("a 1001-digit negative integer", utf8(withNumber("-" + digits + "9")), TOO_LONG),
                Arguments.of("a 1001-digit fraction", utf8(withNumber("1." + digits)), TOO_LONG),
                Arguments.of("1001 digits with a point and an exponent",
                        utf8(withNumber(digits.substring(500) + "." + digits.substring(500) + "e5")), TOO_LONG),
                Arguments.of("a 1001-digit exponent form", utf8(withNumber("1e" + digits)), TOO_LONG));
    }

    @ParameterizedTest(name = "accepts {0}")
    @MethodSource("wellFormed")
    void acceptsAWellFormedDocument(String what, byte[] prefix, String json) throws MalformedDocumentException {
        byte[] body = body(prefix, json);
        assertThatCode(() -> document.check(body)).as("check").doesNotThrowAnyException();
        // Every accepted case has a top-level "a": the parse must have read the document, not just passed it.
        assertThat(document.parse(body)).as("parse").containsKey("a");
    }

    @ParameterizedTest(name = "refuses {0}")
    @MethodSource("malformed")
    void refusesAMalformedDocumentNamingTheRule(String what, byte[] body, String rule) {
        assertThatThrownBy(() -> document.check(body)).as("check")
                .isInstanceOf(MalformedDocumentException.class).hasMessage(rule);
        assertThatThrownBy(() -> document.parse(body)).as("parse")
                .isInstanceOf(MalformedDocumentException.class).hasMessage(rule);
    }

    /** The accepted cases are {@code prefix} bytes then {@code json}, either of which may be absent. */
    private static byte[] body(byte[] prefix, String json) {
        byte[] head = prefix == null ? new byte[0] : prefix;
        byte[] tail = json == null ? new byte[0] : utf8(json);
        byte[] body = new byte[head.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(tail, 0, body, head.length, tail.length);
        return body;
    }
}
