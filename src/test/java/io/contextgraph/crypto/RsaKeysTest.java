package io.contextgraph.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPrivateKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RsaKeysTest {

    @TempDir
    Path dir;

    @Test
    void readsSpkiPublicKey() {
        RSAPublicKey key = RsaKeys.publicKeyFromEnv(TestKeys.spkiEnv(TestKeys.SERVICE));

        assertThat(key.getModulus()).isEqualTo(TestKeys.servicePublic().getModulus());
        assertThat(key.getPublicExponent()).isEqualTo(TestKeys.servicePublic().getPublicExponent());
    }

    @Test
    void readsPkcs8PrivateKeyAndItsPublicHalf() {
        RSAPrivateKey key = RsaKeys.privateKeyFromEnv(TestKeys.pkcs8Env(TestKeys.SERVICE));

        assertThat(key.getModulus()).isEqualTo(TestKeys.servicePrivate().getModulus());
        assertThat(key.getPrivateExponent()).isEqualTo(TestKeys.servicePrivate().getPrivateExponent());
        assertThat(RsaKeys.publicOf(key)).isEqualTo(TestKeys.servicePublic());
        assertThat(RsaKeys.samePair(TestKeys.servicePublic(), key)).isTrue();
        assertThat(RsaKeys.samePair((RSAPublicKey) TestKeys.OTHER.getPublic(), key)).isFalse();
    }

    @Test
    void readsPkcs1KeysWrittenByOpenssl() throws IOException {
        String privatePem = TestKeys.openssl(dir, "genrsa", "-traditional", "2048");
        assertThat(privatePem).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        TestKeys.write(dir, "key.pem", privatePem);
        String spkiPem = TestKeys.openssl(dir, "rsa", "-in", "key.pem", "-pubout");
        String pkcs1PublicPem = TestKeys.openssl(dir, "rsa", "-in", "key.pem", "-RSAPublicKey_out");
        assertThat(pkcs1PublicPem).startsWith("-----BEGIN RSA PUBLIC KEY-----");

        RSAPrivateKey privateKey = RsaKeys.privateKeyFromEnv(TestKeys.env(privatePem));
        RSAPublicKey fromSpki = RsaKeys.publicKeyFromEnv(TestKeys.env(spkiPem));
        RSAPublicKey fromPkcs1 = RsaKeys.publicKeyFromEnv(TestKeys.env(pkcs1PublicPem));

        assertThat(privateKey).isInstanceOf(RSAPrivateCrtKey.class);
        assertThat(privateKey.getModulus().bitLength()).isEqualTo(2048);
        assertThat(fromPkcs1).isEqualTo(fromSpki);
        assertThat(RsaKeys.publicOf(privateKey)).isEqualTo(fromSpki);
    }

    @Test
    void readsPkcs1PrivateKeyCutOutOfPkcs8() {
        // PKCS#8 of an RSA key ends with OCTET STRING { RSAPrivateKey }: for a 2048-bit key the
        // PrivateKeyInfo is SEQUENCE(long form) INTEGER 0, AlgorithmIdentifier (15 bytes), OCTET STRING.
        byte[] pkcs8 = TestKeys.servicePrivate().getEncoded();
        int octetString = 4 + 3 + 15;
        assertThat(pkcs8[octetString]).isEqualTo((byte) 0x04);
        int lengthBytes = pkcs8[octetString + 1] & 0x7f;
        byte[] pkcs1 = Arrays.copyOfRange(pkcs8, octetString + 2 + lengthBytes, pkcs8.length);

        RSAPrivateKey key = RsaKeys.privateKeyFromEnv(TestKeys.env(TestKeys.pem("RSA PRIVATE KEY", pkcs1)));

        assertThat(key.getPrivateExponent()).isEqualTo(TestKeys.servicePrivate().getPrivateExponent());
        assertThat(RsaKeys.publicOf(key)).isEqualTo(TestKeys.servicePublic());
    }

    @Test
    void toleratesWhitespaceInTheBase64AndInThePem() {
        String pem = TestKeys.pem("PUBLIC KEY", TestKeys.servicePublic().getEncoded())
                .replace("\n", "\r\n   ");
        String wrapped = Base64.getMimeEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
        String value = "\n  " + wrapped.replace("\r\n", "\n\t") + "\n";

        assertThat(RsaKeys.publicKeyFromEnv(value)).isEqualTo(TestKeys.servicePublic());
    }

    @Test
    void skipsOtherBlocksBeforeTheKey() {
        String pem = "# comment\n" + TestKeys.pem("EC PARAMETERS", new byte[] {6, 1, 0})
                + TestKeys.pem("PRIVATE KEY", TestKeys.servicePrivate().getEncoded());

        assertThat(RsaKeys.privateKeyFromEnv(TestKeys.env(pem)).getModulus())
                .isEqualTo(TestKeys.servicePublic().getModulus());
    }

    @Test
    void refusesValuesThatAreNotBase64() {
        assertRefused(RsaKeys::publicKeyFromEnv, "%%% not base64 %%%", "not base64");
        assertRefused(RsaKeys::privateKeyFromEnv, "", "empty");
        assertRefused(RsaKeys::privateKeyFromEnv, null, "empty");
    }

    @Test
    void refusesRawPemWithAHint() {
        String pem = TestKeys.pem("PUBLIC KEY", TestKeys.servicePublic().getEncoded());

        assertRefused(RsaKeys::publicKeyFromEnv, pem, "not base64");
        assertThatThrownBy(() -> RsaKeys.publicKeyFromEnv(pem)).hasMessageContaining("base64-encode");
    }

    @Test
    void refusesBase64OfSomethingElseThanPem() {
        assertRefused(RsaKeys::publicKeyFromEnv, TestKeys.env("hello, world"), "no PEM block");
        String der = Base64.getEncoder().encodeToString(TestKeys.servicePublic().getEncoded());
        assertRefused(RsaKeys::publicKeyFromEnv, der, "no PEM block");
    }

    @Test
    void refusesTheWrongPemType() {
        assertRefused(RsaKeys::publicKeyFromEnv, TestKeys.pkcs8Env(TestKeys.SERVICE), "wrong PEM type");
        assertRefused(RsaKeys::privateKeyFromEnv, TestKeys.spkiEnv(TestKeys.SERVICE), "wrong PEM type");
        assertRefused(RsaKeys::publicKeyFromEnv,
                TestKeys.env(TestKeys.pem("CERTIFICATE", TestKeys.servicePublic().getEncoded())), "wrong PEM type");
    }

    @Test
    void refusesMismatchedOrEncryptedOrBrokenPem() {
        String body = Base64.getEncoder().encodeToString(TestKeys.servicePublic().getEncoded());
        assertRefused(RsaKeys::publicKeyFromEnv,
                TestKeys.env("-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n"),
                "-----END PUBLIC KEY----- not found");
        String encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n"
                + body + "\n-----END RSA PRIVATE KEY-----\n";
        assertRefused(RsaKeys::privateKeyFromEnv, TestKeys.env(encrypted), "encrypted keys are not supported");
        assertRefused(RsaKeys::publicKeyFromEnv,
                TestKeys.env("-----BEGIN PUBLIC KEY-----\n" + body + "!!\n-----END PUBLIC KEY-----\n"), "not base64");
        byte[] truncated = Arrays.copyOf(TestKeys.servicePublic().getEncoded(), 100);
        assertRefused(RsaKeys::publicKeyFromEnv, TestKeys.env(TestKeys.pem("PUBLIC KEY", truncated)), "PUBLIC KEY");
        byte[] truncatedPrivate = Arrays.copyOf(TestKeys.servicePrivate().getEncoded(), 300);
        assertRefused(RsaKeys::privateKeyFromEnv,
                TestKeys.env(TestKeys.pem("RSA PRIVATE KEY", truncatedPrivate)), "RSA PRIVATE KEY");
        assertRefused(RsaKeys::privateKeyFromEnv,
                TestKeys.env(TestKeys.pem("PRIVATE KEY", truncatedPrivate)), "PRIVATE KEY");
    }

    @Test
    void refusesEcKeys() {
        KeyPair ec = TestKeys.ec();

        assertRefused(RsaKeys::publicKeyFromEnv, TestKeys.spkiEnv(ec), "not an RSA key");
        assertRefused(RsaKeys::privateKeyFromEnv, TestKeys.pkcs8Env(ec), "not an RSA key");
    }

    @Test
    void refusesKeysShorterThan2048Bits() {
        KeyPair small = TestKeys.rsa(1024);

        assertRefused(RsaKeys::publicKeyFromEnv, TestKeys.spkiEnv(small), "key shorter than 2048 bits");
        assertRefused(RsaKeys::privateKeyFromEnv, TestKeys.pkcs8Env(small), "key shorter than 2048 bits");
    }

    @Test
    void generatedPairsReadBackFromTheirEnvironmentValues() {
        KeyPair pair = RsaKeys.generate(2048);

        RSAPublicKey publicKey = RsaKeys.publicKeyFromEnv(RsaKeys.publicKeyEnv((RSAPublicKey) pair.getPublic()));
        RSAPrivateKey privateKey = RsaKeys.privateKeyFromEnv(RsaKeys.privateKeyEnv((RSAPrivateKey) pair.getPrivate()));

        assertThat(publicKey).isEqualTo(pair.getPublic());
        assertThat(RsaKeys.samePair(publicKey, privateKey)).isTrue();
        assertThat(publicKey.getPublicExponent()).isEqualTo(BigInteger.valueOf(65537));
        assertThat(RsaKeys.publicKeyEnv(publicKey)).doesNotContain("\n", "=\n", " ");
        assertThatThrownBy(() -> RsaKeys.generate(1024)).isInstanceOf(KeyFormatException.class);
    }

    @Test
    void publicOfNeedsACrtKey() throws Exception {
        RSAPrivateKey bare = (RSAPrivateKey) KeyFactory.getInstance("RSA").generatePrivate(new RSAPrivateKeySpec(
                TestKeys.servicePrivate().getModulus(), TestKeys.servicePrivate().getPrivateExponent()));

        assertThatThrownBy(() -> RsaKeys.publicOf(bare))
                .isInstanceOf(KeyFormatException.class)
                .hasMessageContaining("not a CRT key");
    }

    /** Checks the message, and that it carries nothing of the value nor of the keys' numbers. */
    private static void assertRefused(Function<String, ?> parse, String value, String expected) {
        assertThatThrownBy(() -> parse.apply(value))
                .isInstanceOf(KeyFormatException.class)
                .hasMessageContaining(expected)
                .hasNoCause()
                .satisfies(e -> assertNoKeyMaterial(e.getMessage(), value));
    }

    /** The PEM text inside a value, without labels and whitespace; "" when the value is not base64. */
    private static String decodedPemBody(String compactValue) {
        try {
            return new String(Base64.getDecoder().decode(compactValue), StandardCharsets.ISO_8859_1)
                    .replaceAll("-----[A-Z ]+-----|\\s", "");
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static void assertNoKeyMaterial(String message, String value) {
        assertThat(message).isNotBlank().hasSizeLessThan(200);
        String compactValue = value == null ? "" : value.replaceAll("\\s", "");
        String pemText = decodedPemBody(compactValue);
        for (int i = 0; i + 12 <= message.length(); i++) {
            String window = message.substring(i, i + 12);
            assertThat(compactValue).doesNotContain(window);
            assertThat(pemText).doesNotContain(window);
        }
        for (KeyPair pair : new KeyPair[] {TestKeys.SERVICE, TestKeys.OTHER}) {
            BigInteger modulus = ((RSAPublicKey) pair.getPublic()).getModulus();
            assertThat(message).doesNotContain(modulus.toString().substring(0, 12))
                    .doesNotContain(modulus.toString(16).substring(0, 12));
        }
    }
}
