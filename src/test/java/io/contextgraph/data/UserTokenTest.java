package io.contextgraph.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class UserTokenTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "abc",
        "ABC",
        "123",
        "3f2b8c1e-9d4a-4e6b-8f7a-2c1d0e9b8a76",   // UUID 4, 36 characters
        "3f2b8c1e9d4a4e6b8f7a2c1d0e9b8a76",       // without dashes
        "3F2B8C1E-9D4A-4E6B-8F7A-2C1D0E9B8A76",
        "!()*-._~",
        "...",
        "~~~",
        "a.b",
        "___",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",   // 36
    })
    void accepts(String token) {
        assertThat(UserToken.isValid(token)).isTrue();
        assertThat(UserToken.requireValid(token)).isEqualTo(token);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        "a", "ab", ".", "..",                      // too short
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",   // 37
        "3f2b8c1e-9d4a-4e6b-8f7a-2c1d0e9b8a76-",
        "abc/", "../x", "a/b", "a\\b", "a b", " abc", "abc ", "abc\n", "abc\u0000",
        "a@b", "a+b", "a%2f", "a=b", "a,b", "a;b", "a:b", "a'b", "a\"b", "a#b", "a?b", "a&b", "a$b",
        "a[b]", "a{b}", "a|b", "a^b", "a`b", "a<b>",
        "ü12", "abç", "Ωmega", "\u0131ii", "\u212Aab",   // non-ASCII letters (dotless i, Kelvin sign)
        "\uFF11\uFF12\uFF13",                            // full-width digits
        "a\u00A0b", "a\u200Bb",
    })
    void rejects(String token) {
        assertThat(UserToken.isValid(token)).isFalse();
    }

    @Test
    void everyAsciiCharacterIsJudgedByTheCharset() {
        String allowed = "!()*-._~";
        for (char c = 0; c < 128; c++) {
            boolean expected = Character.isLetterOrDigit(c) || allowed.indexOf(c) >= 0;
            assertThat(UserToken.isValid("ab" + c)).as("character %d", (int) c).isEqualTo(expected);
        }
    }

    @Test
    void rejectionNeverRepeatsTheToken() {
        String token = "secret token";
        assertThatThrownBy(() -> UserToken.requireValid(token))
                .isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("secret");
    }
}
