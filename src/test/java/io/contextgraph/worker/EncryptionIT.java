package io.contextgraph.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.contextgraph.crypto.PublicJwk;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.NodeJose;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.StatsdSink;
import io.contextgraph.testing.Uploads;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import software.amazon.awssdk.services.s3.model.S3Exception;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * End-to-end encryption with real processes: a web role with PUBLIC_KEY that checks only the JWE
 * structure, a worker with PRIVATE_KEY that decrypts, JWEs made by independent code (npm
 * {@code jose} and the WebCrypto example run with node), a private Redis and S3Proxy.
 */
class EncryptionIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "cg-encryption";
    private static final Duration WAIT = Duration.ofSeconds(30);
    // Polls of the bucket ignore S3Exception: S3Proxy's in-memory store once answered a listing made while the
    // worker was writing with a bare 400; the poll simply asks again, and the assertions after it still hold.

    private static final KeyPair SERVICE = rsa();
    private static final KeyPair OTHER = rsa();

    private static RedisServer redis;
    private static S3ProxyServer s3;
    private static StatsdSink statsd;
    private static NodeJose nodeJose;
    private static RoleProcess web;
    private static RoleProcess worker;
    private static String jwk;

    @BeforeAll
    static void start() throws Exception {
        nodeJose = NodeJose.install();
        redis = new RedisServer();
        s3 = S3ProxyServer.startTransient();
        s3.createBucket(BUCKET);
        statsd = new StatsdSink();
        web = RoleProcess.builder("web").name("encryption-web").redis(redis.port())
                .env("PUBLIC_KEY", env(pem("PUBLIC KEY", SERVICE.getPublic().getEncoded())))
                .start().awaitHttp(Duration.ofSeconds(60));
        worker = startWorker(env(pem("PRIVATE KEY", SERVICE.getPrivate().getEncoded())), "encryption-worker");
        HttpResponse<String> served = Http.get(web.uri("/v1/jwk"));
        assertThat(served.statusCode()).isEqualTo(200);
        jwk = served.body();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable part : new AutoCloseable[] {worker, web, statsd, s3, redis}) {
            if (part != null) {
                part.close();
            }
        }
    }

    private static RoleProcess startWorker(String privateKeyEnv, String name) throws Exception {
        return RoleProcess.builder("worker").name(name).redis(redis.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                .env("PUBLIC_KEY", env(pem("PUBLIC KEY", SERVICE.getPublic().getEncoded())))
                .env("PRIVATE_KEY", privateKeyEnv)
                .env("STATSD_HOST", statsd.host()).env("STATSD_PORT", Integer.toString(statsd.port()))
                .env("QUEUE_VISIBILITY_TIMEOUT", "3s").env("QUEUE_RETRY_DELAY", "200ms")
                .start().awaitLog("worker started", Duration.ofSeconds(60));
    }

    @ParameterizedTest
    @ValueSource(strings = {"RSA-OAEP", "RSA-OAEP-256"})
    void aJweFromTheJosePackageIsDecryptedAndStored(String alg) throws Exception {
        String user = Uploads.newUser();
        String jwe = nodeJose.encryptWithJose(document("jose-" + alg), alg, jwk);

        HttpResponse<String> response = upload(user, jwe);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedUrls(user)).containsExactly("https://www.mozilla.org/en-US/?m=jose-" + alg);
    }

    @Test
    void bothRolesLogTheKeyIdThatTheJwkNames() throws Exception {
        // Comparing these two lines is how an operator spots a mismatched PUBLIC_KEY / PRIVATE_KEY.
        String kid = JSON.readTree(jwk).path("kid").asText();
        assertThat(kid).hasSize(43);
        web.awaitLog("\"kid\":\"" + kid + "\"", Duration.ofSeconds(10));
        worker.awaitLog("\"kid\":\"" + kid + "\"", Duration.ofSeconds(10));
    }

    @ParameterizedTest
    @ValueSource(strings = {"RSA-OAEP", "RSA-OAEP-256"})
    void aJweFromTheNodeJosePackageIsDecryptedAndStored(String alg) throws Exception {
        String user = Uploads.newUser();
        String jwe = nodeJose.encryptWithNodeJose(document("node-jose-" + alg), alg, jwk);

        HttpResponse<String> response = upload(user, jwe);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedUrls(user)).containsExactly("https://www.mozilla.org/en-US/?m=node-jose-" + alg);
    }

    @Test
    void aJweFromTheWebCryptoExampleIsDecryptedAndStored() throws Exception {
        String user = Uploads.newUser();
        String jwe = nodeJose.encryptWithWebCryptoExample(document("webcrypto"), jwk);

        assertThat(upload(user, jwe).statusCode()).isEqualTo(200);
        assertThat(storedUrls(user)).containsExactly("https://www.mozilla.org/en-US/?m=webcrypto");
    }

    @Test
    void plainJsonIsRefusedWithAPointerToTheJwk() {
        HttpResponse<String> response = upload(Uploads.newUser(), new String(document("plain"), StandardCharsets.UTF_8));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("/v1/jwk");
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    }

    @ParameterizedTest
    @ValueSource(strings = {"four parts", "bad base64", "wrong enc", "zip header", "unknown alg"})
    void aStructurallyBrokenJweIsRefused(String breakage) throws Exception {
        String jwe = nodeJose.encryptWithJose(document("broken"), "RSA-OAEP-256", jwk);
        String[] parts = jwe.split("\\.", -1);
        String broken = switch (breakage) {
            case "four parts" -> String.join(".", parts[0], parts[1], parts[2], parts[3]);
            case "bad base64" -> String.join(".", parts[0], parts[1], parts[2], parts[3].substring(1) + "*", parts[4]);
            case "wrong enc" -> withHeader(parts, "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A128GCM\"}");
            case "zip header" -> withHeader(parts, "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\",\"zip\":\"DEF\"}");
            case "unknown alg" -> withHeader(parts, "{\"alg\":\"RSA1_5\",\"enc\":\"A256GCM\"}");
            default -> throw new IllegalArgumentException(breakage);
        };
        String user = Uploads.newUser();

        HttpResponse<String> response = upload(user, broken);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("message").asText()).isNotBlank();
        assertThat(response.body()).doesNotContain(parts[4]);
        assertThat(redis.cli("XRANGE", "cg:tasks", "-", "+")).doesNotContain(user);
    }

    @Test
    void aJweForTheWorkersKeyIdThatDoesNotDecryptIsCountedAsAnEncryptionError() throws Exception {
        // A stale or forged JWK: the kid of the service, the modulus of another key.
        String user = Uploads.newUser();
        String jwe = nodeJose.encryptWithJose(document("other-modulus"), "RSA-OAEP-256", otherJwk());
        int from = statsd.lines().size();

        assertThat(upload(user, jwe).statusCode()).isEqualTo(200);

        await().atMost(WAIT).until(() -> statsdLinesSince(from).contains("data.upload.error:1|c|#reason:encryption"));
        await().atMost(WAIT).until(() -> redis.cli("XRANGE", "cg:dead", "-", "+").contains(user));
        assertParkedAtTheFirstAttempt(user, from, "encryption");
        assertThat(Http.post(web.uri("/v1/delete"), user, new byte[0]).statusCode()).isEqualTo(200);
    }

    @Test
    void aJweForAnotherKeyIsAcceptedThenCountedAsAKeyErrorAndParked() throws Exception {
        String user = Uploads.newUser();
        // What clients encrypt to when the web role's PUBLIC_KEY is not the pair of the worker's PRIVATE_KEY.
        String otherJwk = PublicJwk.json((RSAPublicKey) OTHER.getPublic());
        String jwe = nodeJose.encryptWithJose(document("other-key"), "RSA-OAEP-256", otherJwk);

        int from = statsd.lines().size();

        assertThat(upload(user, jwe).statusCode()).isEqualTo(200);

        await().atMost(WAIT).until(() -> statsdLinesSince(from).contains("data.upload.error:1|c|#reason:key"));
        await().atMost(WAIT).until(() -> redis.cli("XRANGE", "cg:dead", "-", "+").contains(user));
        String dead = redis.cli("XRANGE", "cg:dead", "-", "+");
        assertThat(dead).contains("key: decryption failed: the JWE names another key id");
        assertParkedAtTheFirstAttempt(user, from, "key");
        // Parked as it arrived: the JWE text, nothing of the document in the clear (docs/privacy.md).
        assertThat(dead).contains(jwe).doesNotContain("mozilla.org", "sessions");
        assertThat(s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/")).isEmpty();
        await().atMost(WAIT).until(() -> redis.cli("XLEN", "cg:tasks").strip().equals("0"));
        assertThat(s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/")).isEmpty();

        // Forgetting the user removes the parked upload too.
        assertThat(Http.post(web.uri("/v1/delete"), user, new byte[0]).statusCode()).isEqualTo(200);
        await().atMost(WAIT).until(() -> !redis.cli("XRANGE", "cg:dead", "-", "+").contains(user));
    }

    @Test
    void aParkedUploadIsStoredOnceTheKeyIsFixedAndItIsReplayed() throws Exception {
        String user = Uploads.newUser();
        String jwe = nodeJose.encryptWithJose(document("replayed"), "RSA-OAEP-256", otherJwk());
        assertThat(upload(user, jwe).statusCode()).isEqualTo(200);
        await().atMost(WAIT).until(() -> redis.cli("XRANGE", "cg:dead", "-", "+").contains(user));
        String deadId = deadLetterId(user);

        // The operator deploys the key the clients were given, then replays the dead letter.
        worker.terminate(Duration.ofSeconds(30));
        RoleProcess fixed = null;
        try {
            fixed = startWorker(env(pem("PRIVATE KEY", OTHER.getPrivate().getEncoded())), "encryption-worker-fixed");
            try (RoleProcess replay = RoleProcess.builder("dead-letters", "replay", "--id", deadId)
                    .name("encryption-replay").redis(redis.port()).start()) {
                assertThat(replay.awaitExit(Duration.ofSeconds(60))).as(replay.output()).isZero();
            }
            assertThat(storedUrls(user)).containsExactly("https://www.mozilla.org/en-US/?m=replayed");
            assertThat(redis.cli("XRANGE", "cg:dead", "-", "+")).doesNotContain(user);
        } finally {
            if (fixed != null) {
                fixed.close();
            }
            worker = startWorker(env(pem("PRIVATE KEY", SERVICE.getPrivate().getEncoded())), "encryption-worker");
        }
    }

    /**
     * docs/operations.md: an undecryptable upload is parked at once, since no retry can decrypt it. A retried one
     * would be counted once per attempt and parked only after QUEUE_MAX_ATTEMPTS of them.
     */
    private static void assertParkedAtTheFirstAttempt(String user, int from, String reason) throws Exception {
        String parked = "parked as dead letter " + deadLetterId(user) + " after attempt ";
        worker.awaitLog(parked, WAIT);
        assertThat(worker.output().lines().filter(line -> line.contains(parked)))
                .hasSize(1).allSatisfy(line -> assertThat(line).contains(parked + "1: " + reason + ": "));
        assertThat(statsdLinesSince(from)).filteredOn(line -> line.startsWith("data.upload.error"))
                .containsExactly("data.upload.error:1|c|#reason:" + reason);
    }

    private static List<String> statsdLinesSince(int from) {
        List<String> lines = statsd.lines();
        return lines.subList(from, lines.size());
    }

    /** The public JWK of the other key pair: what a client that was given the wrong key encrypts to. */
    private static String otherJwk() {
        return jwk.replace(b64url(((RSAPublicKey) SERVICE.getPublic()).getModulus()),
                b64url(((RSAPublicKey) OTHER.getPublic()).getModulus()));
    }

    /** The id of the user's dead letter, from redis-cli's one-value-per-line XRANGE output. */
    private static String deadLetterId(String user) {
        List<String> lines = redis.cli("XRANGE", "cg:dead", "-", "+").lines().map(String::strip).toList();
        String id = null;
        for (String line : lines) {
            if (line.matches("\\d+-\\d+")) {
                id = line;
            } else if (line.equals(user)) {
                return id;
            }
        }
        throw new AssertionError("no dead letter of the user");
    }

    @Test
    void theJwkIsTheConfiguredPublicKeyWithoutPrivateMembers() throws Exception {
        HttpResponse<String> response = Http.get(web.uri("/v1/jwk"));
        JsonNode key = JSON.readTree(response.body());
        RSAPublicKey configured = (RSAPublicKey) SERVICE.getPublic();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(key.path("kty").asText()).isEqualTo("RSA");
        assertThat(key.path("n").asText()).isEqualTo(b64url(configured.getModulus()));
        assertThat(key.path("e").asText()).isEqualTo(b64url(configured.getPublicExponent()));
        assertThat(key.path("use").asText()).isEqualTo("enc");
        assertThat(key.path("kid").asText()).isNotBlank();
        List<String> members = new ArrayList<>();
        key.fieldNames().forEachRemaining(members::add);
        assertThat(members).doesNotContain("d", "p", "q", "dp", "dq", "qi", "oth", "k");
    }

    @Test
    void aWorkerWithAPkcs1PrivateKeyDecryptsToo() throws Exception {
        worker.terminate(Duration.ofSeconds(30));
        RoleProcess pkcs1 = null;
        try {
            pkcs1 = startWorker(env(pkcs1Pem(SERVICE)), "encryption-worker-pkcs1");
            String user = Uploads.newUser();
            String jwe = nodeJose.encryptWithJose(document("pkcs1"), "RSA-OAEP", jwk);

            assertThat(upload(user, jwe).statusCode()).isEqualTo(200);

            assertThat(storedUrls(user)).containsExactly("https://www.mozilla.org/en-US/?m=pkcs1");
        } finally {
            if (pkcs1 != null) {
                pkcs1.close();
            }
            worker = startWorker(env(pem("PRIVATE KEY", SERVICE.getPrivate().getEncoded())), "encryption-worker");
        }
    }

    @Test
    void aWebRoleRefusesToStartWithThePrivateKey() throws Exception {
        try (RoleProcess refused = RoleProcess.builder("web").name("encryption-web-private").redis(redis.port())
                .env("PUBLIC_KEY", env(pem("PUBLIC KEY", SERVICE.getPublic().getEncoded())))
                .env("PRIVATE_KEY", env(pem("PRIVATE KEY", SERVICE.getPrivate().getEncoded())))
                .start()) {
            assertThat(refused.awaitExit(Duration.ofSeconds(60))).isNotZero();
            assertThat(refused.output()).contains("PRIVATE_KEY").doesNotContain("MII");
            assertThat(refused.listening()).isFalse();
        }
    }

    /** A document with one session to keep (its URL carries the marker) and one to drop. */
    private static byte[] document(String marker) {
        long now = Instant.now().getEpochSecond();
        return ("{\"sessions\":[{\"url\":\"https://www.mozilla.org/en-US/?m=" + marker + "\",\"start_time\":" + now
                + ",\"duration\":2400,\"tab_id\":\"-31-2\"},{\"url\":\"http://localhost:8080/secret\",\"start_time\":"
                + now + "}]}").getBytes(StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> upload(String user, String body) {
        return Http.post(web.uri("/v1/upload"), user, body.getBytes(StandardCharsets.US_ASCII),
                "Content-Type", "application/jose");
    }

    private static List<String> storedUrls(String user) {
        String prefix = "v1/sessions/user=" + user + "/";
        await().atMost(WAIT).ignoreExceptionsInstanceOf(S3Exception.class)
                .until(() -> !s3.listKeys(BUCKET, prefix).isEmpty());
        List<String> urls = new ArrayList<>();
        for (String key : s3.listKeys(BUCKET, prefix)) {
            JsonNode stored = s3.storedDocument(BUCKET, key);
            assertThat(stored.path("user").asText()).isEqualTo(user);
            stored.path("sessions").forEach(session -> urls.add(session.path("url").asText()));
        }
        return urls;
    }

    private static String withHeader(String[] parts, String header) {
        String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(header.getBytes(StandardCharsets.UTF_8));
        return String.join(".", encoded, parts[1], parts[2], parts[3], parts[4]);
    }

    private static String b64url(BigInteger number) {
        byte[] bytes = number.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }

    /** What an operator puts in PUBLIC_KEY / PRIVATE_KEY: the base64 of the PEM file, on one line. */
    private static String env(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    /** The "RSA PRIVATE KEY" (PKCS#1) PEM of the key, made by openssl from the PKCS#8 one. */
    private static String pkcs1Pem(KeyPair pair) throws Exception {
        Path dir = Files.createTempDirectory("cg-pkcs1");
        Path pkcs8 = Files.writeString(dir.resolve("key.pem"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Path out = dir.resolve("pkcs1.pem");
        try {
            Process openssl = new ProcessBuilder("openssl", "rsa", "-traditional", "-in", pkcs8.toString(),
                    "-out", out.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
            assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(openssl.exitValue()).as(Files.readString(dir.resolve("log"))).isZero();
            String text = Files.readString(out);
            assertThat(text).startsWith("-----BEGIN RSA PRIVATE KEY-----");
            return text;
        } finally {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
    }
}
