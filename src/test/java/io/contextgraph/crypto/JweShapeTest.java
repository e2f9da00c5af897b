package io.contextgraph.crypto;

import static io.contextgraph.crypto.Jwes.ascii;
import static io.contextgraph.crypto.Jwes.b64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JweShapeTest {

    private static final String VALID = Jwes.encrypt("RSA-OAEP-256", ascii("{\"sessions\": []}"));
    private static final Jwes.Parts PARTS = Jwes.Parts.of(VALID);

    private final JweShape shape = new JweShape(TestKeys.servicePublic());

    @ParameterizedTest
    @ValueSource(strings = {"RSA-OAEP", "RSA-OAEP-256"})
    void acceptsJwesOfBothAlgorithms(String alg) {
        String jwe = Jwes.encrypt(alg, ascii("{\"sessions\": []}"));

        assertThatCode(() -> shape.check(ascii(jwe))).doesNotThrowAnyException();
        assertThatCode(() -> shape.check(ascii(jwe + "\n"))).doesNotThrowAnyException();
    }

    @Test
    void refusesEmptyBodies() {
        assertRefused(new byte[0], "empty body");
        assertRefused(ascii("\n"), "empty body");
    }

    @Test
    void refusesPlainJson() {
        assertRefused(ascii("{\"sessions\": []}"), "plain JSON uploads are refused");
    }

    @Test
    void refusesTheWrongNumberOfParts() {
        assertRefused(ascii(String.join(".", PARTS.parts().subList(0, 4))), "found 4");
        assertRefused(ascii(VALID + ".AAAA"), "more than 5 parts");
        assertRefused(ascii("abc"), "found 1");
    }

    @Test
    void refusesCharactersOutsideUnpaddedBase64Url() {
        assertRefused(ascii(PARTS.with(3, PARTS.get(3) + "==").join()), "padding");
        assertRefused(ascii(PARTS.with(3, "AAAA AAAA").join()), "whitespace");
        assertRefused(ascii(VALID + "\n\n"), "whitespace");
        assertRefused(ascii(VALID + "\r\n"), "whitespace");
        assertRefused(ascii(PARTS.with(3, "AAAA+AAA/").join()), "base64url alphabet");
        assertRefused(PARTS.with(3, "AAAAé").join().getBytes(StandardCharsets.UTF_8), "non-ASCII");
    }

    @Test
    void refusesInvalidBase64UrlLengthsAndTrailingBits() {
        assertRefused(ascii(PARTS.with(3, "AAAAA").join()), "ciphertext is not valid base64url");
        // "AB" would decode to one byte with non-zero bits left over: no encoder writes it.
        assertRefused(ascii(PARTS.with(3, "AB").join()), "ciphertext is not valid base64url");
        assertRefused(ascii(PARTS.with(4, PARTS.get(4).substring(0, 21) + "B").join()), "tag is not valid base64url");
    }

    @Test
    void refusesPartsOfTheWrongSize() {
        assertRefused(ascii(PARTS.with(1, b64(new byte[255])).join()), "encrypted key must be 256 bytes");
        assertRefused(ascii(PARTS.with(1, b64(new byte[384])).join()), "encrypted key must be 256 bytes");
        assertRefused(ascii(PARTS.with(1, "").join()), "encrypted key must be 256 bytes");
        assertRefused(ascii(PARTS.with(2, b64(new byte[16])).join()), "IV must be 12 bytes");
        assertRefused(ascii(PARTS.with(4, b64(new byte[12])).join()), "tag must be 16 bytes");
        assertRefused(ascii(PARTS.with(3, "").join()), "empty ciphertext");
    }

    @Test
    void refusesEncryptedKeysSizedForAnotherModulus() throws Exception {
        String forBiggerKey = Jwes.encrypt("RSA-OAEP-256", (RSAPublicKey)
                TestKeys.rsa(3072).getPublic(), ascii("{}"));

        assertRefused(ascii(forBiggerKey), "encrypted key must be 256 bytes");
    }

    @Test
    void refusesHeadersThatAreNotJsonObjects() {
        assertRefused(withHeader(""), "empty protected header");
        assertRefused(withHeader("not json"), "not a JSON object");
        assertRefused(withHeader("[\"alg\", \"RSA-OAEP\"]"), "not a JSON object");
        assertRefused(ascii(PARTS.with(0, b64(new byte[] {'{', (byte) 0xff, '}'})).join()), "not UTF-8");
    }

    @Test
    void refusesHeadersLargerThan8KiB() {
        char[] padding = new char[8200];
        Arrays.fill(padding, 'x');
        assertRefused(withHeader("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\",\"x\":\"" + new String(padding) + "\"}"),
                "larger than 8192 bytes");
    }

    @Test
    void refusesOtherAlgorithms() {
        assertRefused(withHeader("{\"enc\":\"A256GCM\"}"), "\"alg\"");
        assertRefused(withHeader("{\"alg\":\"RSA1_5\",\"enc\":\"A256GCM\"}"), "\"alg\"");
        assertRefused(withHeader("{\"alg\":\"dir\",\"enc\":\"A256GCM\"}"), "\"alg\"");
        assertRefused(withHeader("{\"alg\":\"RSA-OAEP-512\",\"enc\":\"A256GCM\"}"), "\"alg\"");
        assertRefused(withHeader("{\"alg\":[\"RSA-OAEP\"],\"enc\":\"A256GCM\"}"), "\"alg\"");
        assertRefused(withHeader("{\"alg\":\"RSA-OAEP\"}"), "\"enc\"");
        assertRefused(withHeader("{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\"}"), "\"enc\"");
        assertRefused(withHeader("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256CBC-HS512\"}"), "\"enc\"");
    }

    @Test
    void refusesCompressionAndCriticalParameters() {
        assertRefused(withHeader("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\",\"zip\":\"DEF\"}"), "\"zip\"");
        assertRefused(withHeader("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\",\"crit\":[\"exp\"],\"exp\":1}"), "\"crit\"");
    }

    @Test
    void refusesHeadersNimbusCannotRead() {
        assertRefused(withHeader("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\",\"jku\":42}"), "not a valid JWE header");
    }

    @Test
    void acceptsExtraHeaderParameters() {
        assertThatCode(() -> shape.check(withHeader("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\",\"kid\":\"k\",\"cty\":\"json\"}")))
                .doesNotThrowAnyException();
    }

    private static byte[] withHeader(String json) {
        return ascii(PARTS.with(0, b64(json)).join());
    }

    private void assertRefused(byte[] body, String expected) {
        assertThatThrownBy(() -> shape.check(body))
                .isInstanceOf(MalformedJweException.class)
                .hasMessageContaining(expected)
                .satisfies(e -> {
                    // Client-facing: short, and never an echo of the body.
                    assertThat(e.getMessage()).hasSizeLessThan(120);
                    for (String part : Jwes.Parts.of(new String(body, StandardCharsets.ISO_8859_1)).parts()) {
                        if (part.length() >= 8) {
                            assertThat(e.getMessage()).doesNotContain(part);
                        }
                    }
                });
    }
}
