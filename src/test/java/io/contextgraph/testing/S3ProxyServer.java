package io.contextgraph.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real S3 API for integration tests: S3Proxy in its own process, so that tests can stop,
 * kill and restart it on the same port to simulate outages.
 *
 * <p>Startup takes seconds: share one instance per test class.
 */
public final class S3ProxyServer implements AutoCloseable {

    /**
     * Which S3Proxy storage backend to run: S3Proxy's own NIO.2 stores, which (unlike jclouds' older
     * {@code filesystem}) list no directory entries and can list unfinished multipart uploads.
     */
    public enum Backend {
        /** In memory: everything is lost when the process stops. */
        TRANSIENT,
        /** On disk under a folder: objects survive a restart. */
        FILESYSTEM
    }

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private final Backend backend;
    private final Path jar;
    private final Path workDir;
    private final int port;
    private final Path logFile;
    private Process process;
    private boolean acceptUnknownHeaders;
    private S3Client client;

    /** Starts S3Proxy with the in-memory backend. */
    public static S3ProxyServer startTransient() {
        return start(Backend.TRANSIENT);
    }

    /** Starts S3Proxy with the on-disk backend, whose objects survive {@link #stop()} and {@link #start()}. */
    public static S3ProxyServer startFilesystem() {
        return start(Backend.FILESYSTEM);
    }

    /**
     * Like {@link #startFilesystem()}, but S3Proxy ignores headers it does not know, as S3 itself
     * accepts the SDK's checksum headers: for tests of the bulk {@code DeleteObjects} path.
     */
    public static S3ProxyServer startFilesystemLikeS3() {
        S3ProxyServer server = new S3ProxyServer(Backend.FILESYSTEM);
        server.acceptUnknownHeaders = true;
        try {
            server.start();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static S3ProxyServer start(Backend backend) {
        S3ProxyServer server = new S3ProxyServer(backend);
        try {
            server.start();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** Prepares a server on a free loopback port without starting it; call {@link #start()}. */
    public S3ProxyServer(Backend backend) {
        this.backend = backend;
        this.jar = s3proxyJar();
        this.port = FreePorts.next();
        try {
            Path targetDir = Path.of(System.getProperty("cg.basedir", ".")).resolve("target");
            Files.createDirectories(targetDir);
            this.workDir = Files.createTempDirectory(targetDir, "s3proxy-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.logFile = workDir.resolve("s3proxy.log");
    }

    /** Starts the process (again, on the same port after {@link #stop()}) and waits until it answers. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("S3Proxy is already running");
        }
        Path properties = writeProperties();
        List<String> command = new ArrayList<>(List.of(
                javaBinary(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-jar", jar.toString(), "--properties", properties.toString()));
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start S3Proxy", e);
        }
        awaitListening();
    }

    /** Stops the process gracefully (SIGTERM) and waits for it to end. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        awaitExit();
    }

    /** Kills the process at once (SIGKILL), as a crash would. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        awaitExit();
    }

    /** Whether the process is running. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The S3 endpoint, e.g. {@code http://127.0.0.1:41234}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The loopback port, stable across restarts. */
    public int port() {
        return port;
    }

    /** The backend this server runs. */
    public Backend backend() {
        return backend;
    }

    /** Where the process writes its output. */
    public Path logFile() {
        return logFile;
    }

    /** A client for test setup and inspection (request checksums only when required, as S3Proxy needs). */
    public synchronized S3Client client() {
        if (client == null) {
            client = newClient();
        }
        return client;
    }

    /** Builds a new client of the same kind as {@link #client()}; the caller closes it. */
    public S3Client newClient() {
        return clientBuilder().build();
    }

    /**
     * A builder for clients of this server, for tests that add to it (e.g. an execution interceptor):
     * path-style, fixed test credentials, checksums only when required and sent as Content-MD5.
     */
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
                        .maxConnections(16)
                        .connectionTimeout(Duration.ofSeconds(2))
                        .socketTimeout(Duration.ofSeconds(30)));
    }

    /** Creates a bucket. */
    public void createBucket(String name) {
        client().createBucket(b -> b.bucket(name));
    }

    /** Every key under a prefix, in key order (follows continuation tokens). */
    public List<String> listKeys(String bucket, String prefix) {
        // S3Proxy's backends now and then fail a listing (400 or 500) that races a PUT into the same
        // folder; S3 does not. Tests read through this glitch instead of each polling around it.
        for (int attempt = 1; ; attempt++) {
            try {
                return client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))
                        .contents().stream().map(S3Object::key).toList();
            } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
                if (attempt == 5 || (e.statusCode() != 400 && e.statusCode() != 500)) {
                    throw e;
                }
                try {
                    Thread.sleep(100L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** One object as the worker stores it: gzip-compressed JSON, parsed. */
    public com.fasterxml.jackson.databind.JsonNode storedDocument(String bucket, String key) {
        try (java.io.InputStream in = new java.util.zip.GZIPInputStream(getObject(bucket, key).asInputStream())) {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytes and metadata of one object. */
    public ResponseBytes<GetObjectResponse> getObject(String bucket, String key) {
        return client().getObjectAsBytes(b -> b.bucket(bucket).key(key));
    }

    /**
     * Removes the temporary files S3Proxy's on-disk backend leaves behind when a client dies in the
     * middle of a PUT ({@code <key>-<uuid>}). S3Proxy then fails every listing of that folder with a
     * 500; real S3 simply discards an upload whose connection broke, so tests that kill a writer
     * call this to get S3's behaviour back. Returns how many were removed.
     */
    public int removeAbandonedUploads() {
        Path data = workDir.resolve("data");
        if (!Files.isDirectory(data)) {
            return 0;
        }
        java.util.regex.Pattern abandoned = java.util.regex.Pattern.compile(".*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        try (var files = Files.walk(data)) {
            List<Path> leftovers = files.filter(Files::isRegularFile)
                    .filter(f -> abandoned.matcher(f.getFileName().toString()).matches()).toList();
            for (Path leftover : leftovers) {
                Files.deleteIfExists(leftover);
            }
            return leftovers.size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
        stop();
        deleteData();
    }

    /** The stored objects go; the log stays under target/ for a failed test to be looked into. */
    private void deleteData() {
        Path data = workDir.resolve("data");
        if (!Files.exists(data)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(data)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // Left for mvn clean.
        }
    }

    private Path writeProperties() {
        Properties props = new Properties();
        props.setProperty("s3proxy.endpoint", endpoint().toString());
        props.setProperty("s3proxy.authorization", "none");
        // By default a stock S3Proxy, as operators would run it: it refuses the checksum header the
        // SDK puts on DeleteObjects, and the service must cope (S3ObjectStore falls back).
        if (acceptUnknownHeaders) {
            props.setProperty("s3proxy.ignore-unknown-headers", "true");
        }
        props.setProperty("jclouds.identity", "test-identity");
        props.setProperty("jclouds.credential", "test-credential");
        switch (backend) {
            case TRANSIENT -> props.setProperty("jclouds.provider", "transient-nio2");
            case FILESYSTEM -> {
                Path data = workDir.resolve("data");
                try {
                    Files.createDirectories(data);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                props.setProperty("jclouds.provider", "filesystem-nio2");
                props.setProperty("jclouds.filesystem.basedir", data.toString());
            }
        }
        Path file = workDir.resolve("s3proxy.properties");
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            props.store(out, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private void awaitListening() {
        Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Proxy exited with " + process.exitValue() + "; see " + logFile);
            }
            if (answers()) {
                return;
            }
            pause(Duration.ofMillis(200));
        }
        process.destroyForcibly();
        throw new IllegalStateException("S3Proxy did not answer within " + STARTUP_TIMEOUT + "; see " + logFile);
    }

    /** Any HTTP answer will do: S3Proxy serves requests only once its blob store is ready. */
    private boolean answers() {
        HttpRequest probe = HttpRequest.newBuilder(endpoint().resolve("/"))
                .timeout(Duration.ofSeconds(2))
                .GET()
                .build();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build()) {
            http.send(probe, HttpResponse.BodyHandlers.discarding());
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for S3Proxy", e);
        }
    }

    private void awaitExit() {
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

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for S3Proxy", e);
        }
    }

    private static String javaBinary() {
        String configured = System.getProperty("cg.java");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path s3proxyJar() {
        String configured = System.getProperty("cg.s3proxy.jar");
        if ((configured == null || configured.isBlank()) && System.getProperty("surefire.test.class.path") != null) {
            // A -Dtest filter also hands *IT classes to surefire, before the jar is copied: they run under failsafe.
            Assumptions.abort("integration test: runs under failsafe (mvn verify), which provides cg.s3proxy.jar");
        }
        Path jar = configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("cg.basedir", "."), "target", "it-tools", "s3proxy.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("S3Proxy jar not found at " + jar + " (run through `mvn verify`)");
        }
        return jar;
    }
}
