package io.contextgraph.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * A real S3 API with bucket versioning for integration tests: Adobe's S3Mock in its own process
 * (S3Proxy implements no versioning). Startup takes seconds: share one instance per test class.
 */
public final class S3MockServer implements AutoCloseable {

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private final int port;
    private final Path workDir;
    private final Process process;

    private S3MockServer() {
        Path jar = s3mockJar();
        this.port = FreePorts.next();
        try {
            Path targetDir = Path.of(System.getProperty("cg.basedir", ".")).resolve("target");
            Files.createDirectories(targetDir);
            this.workDir = Files.createTempDirectory(targetDir, "s3mock-");
            Files.createDirectories(workDir.resolve("data"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = List.of(javaBinary(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-jar", jar.toString(),
                "--server.address=127.0.0.1",
                // S3Mock always serves HTTPS too: on a port of its own choosing, unused here.
                "--server.port=0",
                "--com.adobe.testing.s3mock.httpPort=" + port,
                "--com.adobe.testing.s3mock.domain.root=" + workDir.resolve("data"),
                "--spring.main.banner-mode=off");
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(workDir.resolve("s3mock.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start S3Mock", e);
        }
    }

    /** Starts S3Mock on a free loopback port and waits until it answers. */
    public static S3MockServer start() {
        S3MockServer server = new S3MockServer();
        try {
            server.awaitListening();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The S3 endpoint, e.g. {@code http://127.0.0.1:41234}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** A builder for clients of this server: path-style, test credentials, checksums only when required. */
    public S3ClientBuilder clientBuilder() {
        return S3Client.builder()
                .endpointOverride(endpoint())
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create("test-identity", "test-credential")))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .addPlugin(LegacyMd5Plugin.create())
                .httpClientBuilder(Apache5HttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(2))
                        .socketTimeout(Duration.ofSeconds(30)));
    }

    private void awaitListening() {
        HttpRequest probe = HttpRequest.newBuilder(endpoint().resolve("/")).timeout(Duration.ofSeconds(2)).GET().build();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build()) {
            Awaitility.await().atMost(STARTUP_TIMEOUT).pollInterval(Duration.ofMillis(200))
                    .failFast("S3Mock exited; see " + workDir.resolve("s3mock.log"), () -> !process.isAlive())
                    .ignoreExceptionsInstanceOf(IOException.class)
                    .until(() -> http.send(probe, HttpResponse.BodyHandlers.discarding()) != null);
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("S3Mock did not answer within " + STARTUP_TIMEOUT
                    + "; see " + workDir.resolve("s3mock.log"), e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static Path s3mockJar() {
        String configured = System.getProperty("cg.s3mock.jar");
        if ((configured == null || configured.isBlank()) && System.getProperty("surefire.test.class.path") != null) {
            Assumptions.abort("integration test: runs under failsafe (mvn verify), which provides cg.s3mock.jar");
        }
        Path jar = configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("cg.basedir", "."), "target", "it-tools", "s3mock.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("S3Mock jar not found at " + jar + " (run through `mvn verify`)");
        }
        return jar;
    }

    private static String javaBinary() {
        String configured = System.getProperty("cg.java");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
