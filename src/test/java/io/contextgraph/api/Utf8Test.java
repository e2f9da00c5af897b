package io.contextgraph.api;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

class Utf8Test {
    @ParameterizedTest
    @ValueSource(strings = {"", "plain ascii", "é", "日本語", "😀 emoji", "\u007f", "\u0080", "\u07ff", "\u0800", "\uffff",
            "\ud800\udc00", "\udbff\udfff"})
    void acceptsValidText(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertThat(Utf8.isValid(bytes, bytes.length)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "80",             // lone continuation byte
            "c0af",           // overlong '/'
            "c1bf",           // overlong
            "e080af",         // overlong 3-byte
            "f08080af",       // overlong 4-byte
            "eda080",         // UTF-16 surrogate D800
            "edbfbf",         // surrogate DFFF
            "f4908080",       // above U+10FFFF
            "f5808080",       // invalid lead byte
            "ff",             // never valid
            "c3",             // truncated 2-byte
            "e282",           // truncated 3-byte
            "f09f98",         // truncated 4-byte
            "c328",           // bad continuation
            "41e28228",       // bad continuation after ASCII
    })
    void refusesInvalidSequences(String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex);
        assertThat(Utf8.isValid(bytes, bytes.length)).isFalse();
    }
}
