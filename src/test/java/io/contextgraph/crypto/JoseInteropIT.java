package io.contextgraph.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JWEs made by independent code are accepted by {@link JweShape} and decrypted by
 * {@link JweDecryptor}: the npm {@code jose} package, and the WebCrypto example that client
 * developers copy ({@code docs/examples/jwe-webcrypto.mjs}). Needs Node.js 20+ and npm; fails,
 * rather than skips, without them, so that CI cannot pass without running it.
 */
class JoseInteropIT {

    private static final String[] SCRIPT_FILES = {"package.json", "package-lock.json", "encrypt.mjs"};
    private static final long NPM_TIMEOUT_SECONDS = 300;
    private static final long NODE_TIMEOUT_SECONDS = 60;

    private static final Path BASEDIR = Path.of(System.getProperty("cg.basedir", ".")).toAbsolutePath();
    private static final Path WORK = BASEDIR.resolve("target/jose-interop");

    private static final String DOCUMENT = "{\"sessions\": [{\"url\": \"https://www.example.com/ü?q=1\", "
            + "\"start_time\": 1764000000, \"duration\": 2400, \"tab_id\": \"-31-2\"}]}";

    private final String jwk = PublicJwk.json(TestKeys.servicePublic());
    private final JweShape shape = new JweShape(TestKeys.servicePublic());
    private final JweDecryptor decryptor = new JweDecryptor(TestKeys.servicePrivate());

    @BeforeAll
    static void installJose() throws Exception {
        requireNode20();
        Files.createDirectories(WORK);
        for (String file : SCRIPT_FILES) {
            Files.copy(BASEDIR.resolve("src/test/node/jose-interop").resolve(file), WORK.resolve(file),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        if (!joseInstalledAsPinned()) {
            Result npm = run(List.of("npm", "ci", "--no-audit", "--no-fund"), null, NPM_TIMEOUT_SECONDS);
            if (npm.exitCode() != 0 || !joseInstalledAsPinned()) {
                fail("npm ci in " + WORK + " failed (exit " + npm.exitCode() + "): " + npm.stderr());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"RSA-OAEP", "RSA-OAEP-256"})
    void decryptsWhatTheJosePackageEncrypts(String alg) throws Exception {
        String jwe = node(DOCUMENT.getBytes(StandardCharsets.UTF_8), "jose", alg, jwk);

        assertThat(Jwes.Parts.of(jwe).get(0)).isNotEmpty();
        assertThat(new String(Jwes.unb64(Jwes.Parts.of(jwe).get(0)), StandardCharsets.UTF_8)).contains("\"" + alg + "\"");
        shape.check(jwe.getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(decryptor.decrypt(jwe), StandardCharsets.UTF_8)).isEqualTo(DOCUMENT);
    }

    @Test
    void decryptsWhatTheWebCryptoExampleEncrypts() throws Exception {
        String example = BASEDIR.resolve("docs/examples/jwe-webcrypto.mjs").toString();

        String jwe = node(DOCUMENT.getBytes(StandardCharsets.UTF_8), "webcrypto", example, jwk);

        shape.check(jwe.getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(decryptor.decrypt(jwe), StandardCharsets.UTF_8)).isEqualTo(DOCUMENT);
    }

    @Test
    void decryptsLargeUploadsFromTheWebCryptoExample() throws Exception {
        // Larger than the example's base64url chunk, so the chunk joins are exercised.
        String example = BASEDIR.resolve("docs/examples/jwe-webcrypto.mjs").toString();
        byte[] large = "{\"sessions\": [], \"padding\": \"ç€𝄞\"}".repeat(5000).getBytes(StandardCharsets.UTF_8);

        String jwe = node(large, "webcrypto", example, jwk);

        shape.check(jwe.getBytes(StandardCharsets.US_ASCII));
        assertThat(decryptor.decrypt(jwe)).isEqualTo(large);
    }

    @Test
    void aJweForAnotherKeyIsRefused() throws Exception {
        String otherJwk = PublicJwk.json((RSAPublicKey) TestKeys.OTHER.getPublic());

        String jwe = node(DOCUMENT.getBytes(StandardCharsets.UTF_8), "jose", "RSA-OAEP-256", otherJwk);

        shape.check(jwe.getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> decryptor.decrypt(jwe))
                .isInstanceOf(DecryptionException.class);
    }

    private static String node(byte[] stdin, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", "encrypt.mjs"));
        command.addAll(List.of(arguments));
        Result result = run(command, stdin, NODE_TIMEOUT_SECONDS);
        if (result.exitCode() != 0) {
            fail("node encrypt.mjs " + arguments[0] + " failed (exit " + result.exitCode() + "): " + result.stderr());
        }
        return result.stdout();
    }

    private static void requireNode20() throws Exception {
        Result version;
        try {
            version = run(List.of("node", "--version"), null, NODE_TIMEOUT_SECONDS);
            run(List.of("npm", "--version"), null, NODE_TIMEOUT_SECONDS);
        } catch (IOException e) {
            throw new AssertionError("JoseInteropIT needs Node.js 20+ and npm on the PATH (" + e.getMessage()
                    + "); install them, e.g. apt-get install nodejs npm, or from nodejs.org", e);
        }
        String text = version.stdout().trim();
        int major = Integer.parseInt(text.replaceFirst("^v(\\d+).*$", "$1"));
        assertThat(major).as("Node.js major version (JoseInteropIT needs 20+), found " + text).isGreaterThanOrEqualTo(20);
    }

    private static boolean joseInstalledAsPinned() throws IOException {
        Path installed = WORK.resolve("node_modules/jose/package.json");
        if (!Files.exists(installed)) {
            return false;
        }
        ObjectMapper mapper = new ObjectMapper();
        String pinned = mapper.readTree(WORK.resolve("package.json").toFile()).path("dependencies").path("jose").asText();
        return pinned.equals(mapper.readTree(installed.toFile()).path("version").asText());
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }

    /** Runs a command in the work folder; output goes through files, so no pipe can fill up. */
    private static Result run(List<String> command, byte[] stdin, long timeoutSeconds) throws Exception {
        Path in = Files.createTempFile(WORK.getParent(), "jose-in", ".bin");
        Path out = Files.createTempFile(WORK.getParent(), "jose-out", ".txt");
        Path err = Files.createTempFile(WORK.getParent(), "jose-err", ".txt");
        try {
            Files.write(in, stdin == null ? new byte[0] : stdin);
            Files.createDirectories(WORK);
            Process process = new ProcessBuilder(command)
                    .directory(WORK.toFile())
                    .redirectInput(in.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail(String.join(" ", command.subList(0, 2)) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
