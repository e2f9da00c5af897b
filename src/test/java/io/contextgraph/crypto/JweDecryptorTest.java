package io.contextgraph.crypto;

import static io.contextgraph.crypto.Jwes.ascii;
import static io.contextgraph.crypto.Jwes.b64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.CompressionAlgorithm;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JweDecryptorTest {

    private static final byte[] DOCUMENT = "{\"sessions\": [{\"url\": \"https://www.example.com/é\", \"start_time\": 1764000000}]}"
            .getBytes(StandardCharsets.UTF_8);

    private final JweDecryptor decryptor = new JweDecryptor(TestKeys.servicePrivate());

    @ParameterizedTest
    @ValueSource(strings = {"RSA-OAEP", "RSA-OAEP-256"})
    void roundTripsThroughTheShapeCheck(String alg) throws Exception {
        String jwe = Jwes.encrypt(alg, DOCUMENT);

        new JweShape(TestKeys.servicePublic()).check(ascii(jwe));
        assertThat(decryptor.decrypt(jwe)).isEqualTo(DOCUMENT);
        assertThat(decryptor.decrypt(ascii(jwe + "\n"))).isEqualTo(DOCUMENT);
    }

    @Test
    void decryptsLargePayloads() throws Exception {
        byte[] large = new byte[3 * 1024 * 1024 + 7];
        new Random(7).nextBytes(large);

        assertThat(decryptor.decrypt(Jwes.encrypt("RSA-OAEP-256", large))).isEqualTo(large);
    }

    @Test
    void decryptsWithKeysReadFromTheEnvironment() throws Exception {
        JweDecryptor fromEnv = new JweDecryptor(RsaKeys.privateKeyFromEnv(TestKeys.pkcs8Env(TestKeys.SERVICE)));
        RSAPublicKey publicKey = RsaKeys.publicKeyFromEnv(TestKeys.spkiEnv(TestKeys.SERVICE));

        assertThat(fromEnv.decrypt(Jwes.encrypt("RSA-OAEP-256", publicKey, DOCUMENT))).isEqualTo(DOCUMENT);
    }

    @Test
    void refusesTheWrongKey() {
        String jwe = Jwes.encrypt("RSA-OAEP-256", (RSAPublicKey) TestKeys.OTHER.getPublic(), DOCUMENT);

        assertFails(jwe, "decryption failed");
        assertThatThrownBy(() -> decryptor.decrypt(jwe))
                .isInstanceOfSatisfying(DecryptionException.class, e -> assertThat(e.reason()).isEqualTo("encryption"));
    }

    @Test
    void tellsAJweForAnotherKeyIdApart() {
        RSAPublicKey other = (RSAPublicKey) TestKeys.OTHER.getPublic();
        JWEHeader header = new JWEHeader.Builder(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM)
                .keyID(PublicJwk.thumbprint(other)).build();

        assertThatThrownBy(() -> decryptor.decrypt(Jwes.encrypt(header, other, DOCUMENT)))
                .isInstanceOfSatisfying(DecryptionException.class, e -> assertThat(e.reason()).isEqualTo("key"))
                .hasMessageContaining(PublicJwk.thumbprint(TestKeys.servicePublic()));
        assertThat(decryptor.keyId()).contains(PublicJwk.thumbprint(TestKeys.servicePublic()));
    }

    @Test
    void aForeignKidDoesNotMatterWhenTheJweDecrypts() throws Exception {
        JWEHeader header = new JWEHeader.Builder(JWEAlgorithm.RSA_OAEP, EncryptionMethod.A256GCM).keyID("label").build();

        assertThat(decryptor.decrypt(Jwes.encrypt(header, TestKeys.servicePublic(), DOCUMENT))).isEqualTo(DOCUMENT);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void refusesTamperedParts(int part) {
        // encrypted key, IV, ciphertext, tag: each is covered by RSA-OAEP or GCM authentication.
        Jwes.Parts parts = Jwes.Parts.of(Jwes.encrypt("RSA-OAEP", DOCUMENT));

        assertFails(parts.flipped(part).join(), "decryption failed");
    }

    @Test
    void refusesATamperedProtectedHeader() {
        // The header is the additional authenticated data of GCM: changing it breaks the tag.
        Jwes.Parts parts = Jwes.Parts.of(Jwes.encrypt("RSA-OAEP-256", DOCUMENT));

        assertFails(parts.with(0, b64("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\",\"kid\":\"x\"}")).join(),
                "decryption failed");
    }

    @Test
    void refusesAHeaderSwappedToTheOtherOaepVariant() {
        Jwes.Parts parts = Jwes.Parts.of(Jwes.encrypt("RSA-OAEP-256", DOCUMENT));

        assertFails(parts.with(0, b64("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\"}")).join(), "decryption failed");
    }

    @Test
    void refusesAlgorithmsNimbusWouldOtherwiseAccept() {
        assertFails(Jwes.encrypt("RSA1_5", DOCUMENT), "\"alg\"");
        assertFails(Jwes.encrypt("RSA-OAEP-512", DOCUMENT), "\"alg\"");
        assertFails(Jwes.encrypt(new JWEHeader(JWEAlgorithm.parse("RSA-OAEP-256"), EncryptionMethod.A128GCM),
                TestKeys.servicePublic(), DOCUMENT), "\"enc\"");
        assertFails(Jwes.encrypt(new JWEHeader(JWEAlgorithm.parse("RSA-OAEP-256"), EncryptionMethod.A256CBC_HS512),
                TestKeys.servicePublic(), DOCUMENT), "\"enc\"");
    }

    @Test
    void refusesCompressedJwes() {
        JWEHeader zipped = new JWEHeader.Builder(JWEAlgorithm.parse("RSA-OAEP-256"), EncryptionMethod.A256GCM)
                .compressionAlgorithm(CompressionAlgorithm.DEF)
                .build();

        assertFails(Jwes.encrypt(zipped, TestKeys.servicePublic(), DOCUMENT), "\"zip\"");
    }

    @Test
    void refusesBrokenStructure() {
        assertFails("", "empty body");
        assertFails("{\"sessions\": []}", "plain JSON");
        assertFails(Jwes.encrypt("RSA-OAEP-256", DOCUMENT) + "é", "not a JWE");
    }

    @Test
    void decryptsInParallelOnVirtualThreads() throws Exception {
        List<byte[]> plaintexts = new ArrayList<>();
        List<String> jwes = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            byte[] plaintext = ("{\"n\": " + i + "}").getBytes(StandardCharsets.US_ASCII);
            plaintexts.add(plaintext);
            jwes.add(Jwes.encrypt(i % 2 == 0 ? "RSA-OAEP" : "RSA-OAEP-256", plaintext));
        }
        List<Future<byte[]>> results = new ArrayList<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String jwe : jwes) {
                results.add(executor.submit(() -> decryptor.decrypt(jwe)));
            }
            for (int i = 0; i < results.size(); i++) {
                assertThat(results.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(plaintexts.get(i));
            }
        }
    }

    @Test
    void decryptionErrorsDoNotEchoTheInput() {
        String jwe = Jwes.encrypt("RSA-OAEP-256", (RSAPublicKey) TestKeys.OTHER.getPublic(), DOCUMENT);

        assertThatThrownBy(() -> decryptor.decrypt(jwe))
                .isInstanceOf(DecryptionException.class)
                .satisfies(e -> Jwes.Parts.of(jwe).parts().forEach(part -> assertThat(e.getMessage()).doesNotContain(part)));
        assertThatCode(() -> decryptor.decrypt(Jwes.encrypt("RSA-OAEP-256", DOCUMENT))).doesNotThrowAnyException();
    }

    private void assertFails(String jwe, String expected) {
        assertThatThrownBy(() -> decryptor.decrypt(jwe))
                .isInstanceOf(DecryptionException.class)
                .hasMessageContaining(expected);
    }
}
