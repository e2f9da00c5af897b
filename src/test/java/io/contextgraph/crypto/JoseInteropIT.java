package io.contextgraph.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.contextgraph.testing.NodeJose;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JWEs made by independent code from the JWK as {@code /v1/jwk} serves it are accepted by
 * {@link JweShape} and decrypted by {@link JweDecryptor}, for every accepted algorithm: the npm
 * {@code jose} and {@code node-jose} packages (two independent JOSE implementations), and the
 * WebCrypto example that client developers copy ({@code docs/examples/jwe-webcrypto.mjs}), all run
 * by {@link NodeJose}.
 */
class JoseInteropIT {

    private static final String DOCUMENT = "{\"sessions\": [{\"url\": \"https://www.example.com/ü?q=1\", "
            + "\"start_time\": 1764000000, \"duration\": 2400, \"tab_id\": \"-31-2\"}]}";

    private final String jwk = PublicJwk.json(TestKeys.servicePublic());
    private final JweShape shape = new JweShape(TestKeys.servicePublic());
    private final JweDecryptor decryptor = new JweDecryptor(TestKeys.servicePrivate());

    private static NodeJose nodeJose;

    @BeforeAll
    static void installJose() throws Exception {
        nodeJose = NodeJose.install();
    }

    @ParameterizedTest
    @ValueSource(strings = {"RSA-OAEP", "RSA-OAEP-256"})
    void decryptsWhatTheJosePackageEncrypts(String alg) throws Exception {
        String jwe = nodeJose.encryptWithJose(DOCUMENT.getBytes(StandardCharsets.UTF_8), alg, jwk);

        assertThat(Jwes.Parts.of(jwe).get(0)).isNotEmpty();
        assertThat(new String(Jwes.unb64(Jwes.Parts.of(jwe).get(0)), StandardCharsets.UTF_8)).contains("\"" + alg + "\"");
        shape.check(jwe.getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(decryptor.decrypt(jwe), StandardCharsets.UTF_8)).isEqualTo(DOCUMENT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"RSA-OAEP", "RSA-OAEP-256"})
    void decryptsWhatTheNodeJosePackageEncrypts(String alg) throws Exception {
        String jwe = nodeJose.encryptWithNodeJose(DOCUMENT.getBytes(StandardCharsets.UTF_8), alg, jwk);

        String header = new String(Jwes.unb64(Jwes.Parts.of(jwe).get(0)), StandardCharsets.UTF_8);
        assertThat(header).contains("\"" + alg + "\"", PublicJwk.thumbprint(TestKeys.servicePublic()));
        shape.check(jwe.getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(decryptor.decrypt(jwe), StandardCharsets.UTF_8)).isEqualTo(DOCUMENT);
    }

    @Test
    void aJweForAnotherKeyIdIsToldApartFromOtherFailures() throws Exception {
        // node-jose writes the JWK's kid into the header: the mismatched pair case of a misconfiguration.
        String otherJwk = PublicJwk.json((RSAPublicKey) TestKeys.OTHER.getPublic());

        String jwe = nodeJose.encryptWithNodeJose(DOCUMENT.getBytes(StandardCharsets.UTF_8), "RSA-OAEP", otherJwk);

        shape.check(jwe.getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> decryptor.decrypt(jwe))
                .isInstanceOfSatisfying(DecryptionException.class, e -> assertThat(e.reason()).isEqualTo("key"))
                .hasMessageContaining(PublicJwk.thumbprint(TestKeys.servicePublic()))
                .hasMessageNotContaining(PublicJwk.thumbprint((RSAPublicKey) TestKeys.OTHER.getPublic()));
    }

    @Test
    void decryptsWhatTheWebCryptoExampleEncrypts() throws Exception {
        String jwe = nodeJose.encryptWithWebCryptoExample(DOCUMENT.getBytes(StandardCharsets.UTF_8), jwk);

        shape.check(jwe.getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(decryptor.decrypt(jwe), StandardCharsets.UTF_8)).isEqualTo(DOCUMENT);
    }

    @Test
    void decryptsLargeUploadsFromTheWebCryptoExample() throws Exception {
        // Larger than the example's base64url chunk, so the chunk joins are exercised.
        byte[] large = "{\"sessions\": [], \"padding\": \"ç€𝄞\"}".repeat(5000).getBytes(StandardCharsets.UTF_8);

        String jwe = nodeJose.encryptWithWebCryptoExample(large, jwk);

        shape.check(jwe.getBytes(StandardCharsets.US_ASCII));
        assertThat(decryptor.decrypt(jwe)).isEqualTo(large);
    }

    @Test
    void aJweForAnotherKeyIsRefused() throws Exception {
        String otherJwk = PublicJwk.json((RSAPublicKey) TestKeys.OTHER.getPublic());

        String jwe = nodeJose.encryptWithJose(DOCUMENT.getBytes(StandardCharsets.UTF_8), "RSA-OAEP-256", otherJwk);

        shape.check(jwe.getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> decryptor.decrypt(jwe))
                .isInstanceOf(DecryptionException.class);
    }
}
