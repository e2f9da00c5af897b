package io.contextgraph.api;

import io.contextgraph.document.UploadDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlainJsonFormatTest {
    private final PlainJsonFormat format = new PlainJsonFormat();

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"sessions\": []}", " {\"sessions\": [{\"url\": \"https://example.com/\"}]} \n",
            "{\"a\": {\"b\": {\"c\": [1, 2.5, -3e10, true, null, \"é\"]}}}"})
    void acceptsOneJsonObject(String json) {
        assertThatCode(() -> format.check(utf8(json))).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "\"text\"", "42", "null", "{", "{\"a\":}", "{\"a\": 1,}", "{} {}", "{}x",
            "{'a': 1}", "{\"a\": NaN}", "{\"a\": \"unterminated}", "{\"a\": 1, \"a\": 2}",
            "/* comment */ {}"})
    void refusesAnythingElse(String json) {
        assertThatThrownBy(() -> format.check(utf8(json))).isInstanceOf(BadRequestException.class);
    }

    @Test
    void judgesObjectsWithVeryManyDistinctNamesByTheirSyntaxOnly() {
        // Names are only skipped, never interned: 200 000 distinct ones are judged by their syntax alone.
        StringBuilder json = new StringBuilder("{");
        for (int i = 0; i < 200_000; i++) {
            json.append(i == 0 ? "" : ",").append("\"\\u0061").append(i).append("\":").append(i);
        }
        byte[] body = utf8(json.append('}').toString());
        assertThatCode(() -> format.check(body)).doesNotThrowAnyException();
        body[body.length - 1] = ',';
        assertThatThrownBy(() -> format.check(body)).hasMessage("body is not valid JSON");
    }

    @Test
    void refusesInvalidUtf8EvenInsideStrings() {
        byte[] body = HexFormat.of().parseHex("7b2261223a2280227d"); // {"a":"\x80"}
        assertThatThrownBy(() -> format.check(body)).hasMessage("body is not valid UTF-8");
    }

    @Test
    void refusesDeepNestingBeforeItCanHurt() {
        String deep = "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertThatThrownBy(() -> format.check(utf8(deep))).hasMessageContaining("nested deeper than 32");
    }

    @Test
    void acceptsNestingUpToTheLimit() {
        int arrays = UploadDocument.MAX_DEPTH - 1;
        String json = "{\"a\":" + "[".repeat(arrays) + "]".repeat(arrays) + "}";
        assertThatCode(() -> format.check(utf8(json))).doesNotThrowAnyException();
    }

    @Test
    void refusesDuplicateKeysAndOverlongNumbersWithAClearMessage() {
        assertThatThrownBy(() -> format.check(utf8("{\"sessions\":[{\"url\":\"a\",\"url\":\"b\"}]}")))
                .hasMessage("JSON object with a duplicate key");
        String number = "9".repeat(UploadDocument.MAX_NUMBER_LENGTH);
        assertThatCode(() -> format.check(utf8("{\"a\":" + number + "}"))).doesNotThrowAnyException();
        assertThatThrownBy(() -> format.check(utf8("{\"a\":" + number + "9}")))
                .hasMessage("JSON number with more than 1000 digits");
    }
}
