package io.contextgraph.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.contextgraph.testing.FreePorts;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * ElastiCache-style Redis from the real jar: AUTH with REDIS_PASSWORD, and in-transit encryption with REDIS_TLS
 * against redis-server's own TLS port. A self-signed server certificate is trusted the standard JVM way
 * (javax.net.ssl.trustStore in JAVA_TOOL_OPTIONS; JAVA_OPTS in the image), as ElastiCache's certificates are
 * trusted by the JDK's default store without any setting.
 */
class RedisAuthTlsIT {
    private static final String PASSWORD = "auth-" + Uploads.newUser();
    private static final String BUCKET = "cg-redis-auth";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path certs;

    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() {
        s3 = S3ProxyServer.startFilesystem();
        s3.createBucket(BUCKET);
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void webAndWorkerAuthenticateWithThePassword() throws Exception {
        try (RedisServer redis = new RedisServer("--requirepass", PASSWORD);
             RoleProcess wrong = RoleProcess.builder("web").name("redis-wrong-password").redis(redis.port())
                     .env("REDIS_PASSWORD", "not-" + PASSWORD).start();
             RoleProcess web = RoleProcess.builder("web").name("redis-auth-web").redis(redis.port())
                     .env("REDIS_PASSWORD", PASSWORD).start();
             RoleProcess worker = worker("redis-auth-worker", redis.port()).start()) {
            web.awaitHttp(WAIT);
            assertThat(Http.status(web.uri("/__heartbeat__"))).isEqualTo(200);
            uploadAndAwaitStored(web);
            wrong.awaitHttp(WAIT);
            assertThat(Http.status(wrong.uri("/__heartbeat__"))).isEqualTo(503);
            for (RoleProcess role : List.of(web, worker, wrong)) {
                assertThat(role.output()).doesNotContain(PASSWORD);
            }
        }
    }

    @Test
    void webAndWorkerSpeakTlsWithTheServer() throws Exception {
        Path cert = certs.resolve("redis.crt");
        Path key = certs.resolve("redis.key");
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out",
                cert.toString(), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1");
        Path trustStore = certs.resolve("trust.p12");
        run(Path.of(System.getProperty("cg.java", "java")).resolveSibling("keytool").toString(), "-importcert",
                "-noprompt", "-alias", "redis", "-file", cert.toString(), "-keystore", trustStore.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit");
        String trust = "-Djavax.net.ssl.trustStore=" + trustStore + " -Djavax.net.ssl.trustStorePassword=changeit"
                + " -Djavax.net.ssl.trustStoreType=PKCS12";
        int tlsPort = FreePorts.next();
        // The plain port stays for the test's own redis-cli; the roles use only the TLS port.
        try (RedisServer redis = new RedisServer("--requirepass", PASSWORD, "--tls-port", Integer.toString(tlsPort),
                "--tls-cert-file", cert.toString(), "--tls-key-file", key.toString(),
                "--tls-ca-cert-file", cert.toString(), "--tls-auth-clients", "no");
             RoleProcess untrusting = RoleProcess.builder("web").name("redis-tls-untrusted").redis(tlsPort)
                     .env("REDIS_TLS", "true").env("REDIS_PASSWORD", PASSWORD).start();
             RoleProcess web = RoleProcess.builder("web").name("redis-tls-web").redis(tlsPort)
                     .env("REDIS_TLS", "true").env("REDIS_PASSWORD", PASSWORD).env("JAVA_TOOL_OPTIONS", trust).start();
             RoleProcess worker = worker("redis-tls-worker", tlsPort).env("REDIS_TLS", "true")
                     .env("JAVA_TOOL_OPTIONS", trust).start()) {
            web.awaitHttp(WAIT);
            await().atMost(WAIT).until(() -> Http.status(web.uri("/__heartbeat__")) == 200);
            uploadAndAwaitStored(web);
            assertThat(redis.cli("XINFO", "GROUPS", "cg:tasks")).contains("workers");
            untrusting.awaitHttp(WAIT);
            assertThat(Http.status(untrusting.uri("/__heartbeat__"))).as("an untrusted certificate is refused")
                    .isEqualTo(503);
        }
    }

    private static RoleProcess.Builder worker(String name, int redisPort) {
        return RoleProcess.builder("worker").name(name).redis(redisPort).env("REDIS_PASSWORD", PASSWORD)
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString());
    }

    private static void uploadAndAwaitStored(RoleProcess web) {
        String user = Uploads.newUser();
        assertThat(Http.post(web.uri("/v1/upload"), user, Uploads.sessions(1), "Content-Type", "application/json")
                .statusCode()).isEqualTo(200);
        await().atMost(WAIT).until(() -> s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/").size() == 1);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command)).isZero();
    }
}
