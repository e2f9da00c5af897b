package io.contextgraph.api;

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
            "{'a': 1}", "{\"a\": NaN}", "{\"a\": \"unterminated}"})
    void refusesAnythingElse(String json) {
        assertThatThrownBy(() -> format.check(utf8(json))).isInstanceOf(BadRequestException.class);
    }

    @Test
    void judgesObjectsWithVeryManyDistinctNamesByTheirSyntaxOnly() {
        // Escaped names send the body past the fast path to Jackson, which must only skip them, not intern 200 000.
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
        assertThatThrownBy(() -> format.check(utf8(deep))).hasMessageContaining("nested too deeply");
    }

    @Test
    void acceptsNestingUpToTheLimit() {
        int arrays = PlainJsonFormat.MAX_DEPTH - 1;
        String json = "{\"a\":" + "[".repeat(arrays) + "]".repeat(arrays) + "}";
        assertThatCode(() -> format.check(utf8(json))).doesNotThrowAnyException();
    }
}
