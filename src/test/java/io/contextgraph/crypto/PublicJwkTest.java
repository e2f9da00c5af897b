package io.contextgraph.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.RSAKey;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PublicJwkTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void hasExactlyThePublicMembers() throws Exception {
        JsonNode jwk = mapper.readTree(PublicJwk.json(TestKeys.servicePublic()));

        List<String> names = new ArrayList<>();
        jwk.fieldNames().forEachRemaining(names::add);
        // No "alg": WebCrypto refuses a JWK whose alg differs from the algorithm it is imported for.
        assertThat(names).containsExactlyInAnyOrder("kty", "n", "e", "use", "kid");
        assertThat(jwk.get("kty").asText()).isEqualTo("RSA");
        assertThat(jwk.get("use").asText()).isEqualTo("enc");
    }

    @Test
    void carriesNoPrivatePartsWhenMadeFromAPrivateKey() throws Exception {
        RSAPublicKey publicHalf = RsaKeys.publicOf(RsaKeys.privateKeyFromEnv(TestKeys.pkcs8Env(TestKeys.SERVICE)));

        JsonNode jwk = mapper.readTree(PublicJwk.json(publicHalf));

        for (String member : List.of("d", "p", "q", "dp", "dq", "qi", "oth", "k")) {
            assertThat(jwk.has(member)).as(member).isFalse();
        }
        assertThat(RSAKey.parse(jwk.toString()).isPrivate()).isFalse();
    }

    @Test
    void encodesModulusAndExponentAsUnsignedBase64Url() throws Exception {
        // A 2048-bit modulus has its top bit set, so BigInteger adds a sign byte that must go.
        JsonNode jwk = mapper.readTree(PublicJwk.json(TestKeys.servicePublic()));

        byte[] n = Jwes.unb64(jwk.get("n").asText());
        assertThat(n).hasSize(256);
        assertThat(n[0]).isNotZero();
        assertThat(new BigInteger(1, n)).isEqualTo(TestKeys.servicePublic().getModulus());
        assertThat(jwk.get("e").asText()).isEqualTo("AQAB");
        assertThat(jwk.get("n").asText()).doesNotContain("=", "+", "/");
    }

    @Test
    void kidIsTheRfc7638ThumbprintNimbusComputes() throws Exception {
        String json = PublicJwk.json(TestKeys.servicePublic());
        RSAKey parsed = RSAKey.parse(json);

        assertThat(parsed.toRSAPublicKey()).isEqualTo(TestKeys.servicePublic());
        assertThat(parsed.getKeyID()).isEqualTo(new RSAKey.Builder(TestKeys.servicePublic()).build().computeThumbprint().toString());
        assertThat(PublicJwk.thumbprint(TestKeys.servicePublic())).isEqualTo(parsed.getKeyID());
    }

    @Test
    void thumbprintMatchesTheRfc7638Example() throws Exception {
        // RFC 7638 section 3.1.
        String n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPeb"
                + "WKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQ"
                + "MicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2Nc"
                + "Rwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(
                new RSAPublicKeySpec(new BigInteger(1, Jwes.unb64(n)), BigInteger.valueOf(65537)));

        assertThat(PublicJwk.thumbprint(key)).isEqualTo("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    @Test
    void differentKeysGetDifferentKids() throws Exception {
        String kid = mapper.readTree(PublicJwk.json(TestKeys.servicePublic())).get("kid").asText();
        String otherKid = mapper.readTree(PublicJwk.json((RSAPublicKey) TestKeys.OTHER.getPublic())).get("kid").asText();

        assertThat(kid).isNotEqualTo(otherKid).hasSize(43);
    }
}
