package io.contextgraph.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * JWE producers independent of our Java code, run with Node.js: the npm {@code jose} and
 * {@code node-jose} packages, two independent JOSE implementations (pinned in
 * {@code src/test/node/jose-interop/package-lock.json}), and the WebCrypto example that
 * client developers copy ({@code docs/examples/jwe-webcrypto.mjs}). Needs Node.js 20+ and npm;
 * fails, rather than skips, without them, so that CI cannot pass without running the interop tests.
 */
public final class NodeJose {

    private static final String[] SCRIPT_FILES = {"package.json", "package-lock.json", "encrypt.mjs"};
    private static final long NPM_TIMEOUT_SECONDS = 300;
    private static final long NODE_TIMEOUT_SECONDS = 60;

    private final Path basedir;
    private final Path work;

    private NodeJose(Path basedir) {
        this.basedir = basedir;
        this.work = basedir.resolve("target/jose-interop");
    }

    /** Checks Node.js, copies the scripts to {@code target/jose-interop} and runs {@code npm ci} when needed. */
    public static NodeJose install() throws Exception {
        NodeJose node = new NodeJose(Path.of(System.getProperty("cg.basedir", ".")).toAbsolutePath());
        node.requireNode20();
        Files.createDirectories(node.work);
        for (String file : SCRIPT_FILES) {
            Files.copy(node.basedir.resolve("src/test/node/jose-interop").resolve(file), node.work.resolve(file),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        if (!node.installedAsPinned()) {
            Result npm = node.run(List.of("npm", "ci", "--no-audit", "--no-fund"), null, NPM_TIMEOUT_SECONDS);
            if (npm.exitCode() != 0 || !node.installedAsPinned()) {
                fail("npm ci in " + node.work + " failed (exit " + npm.exitCode() + "): " + npm.stderr());
            }
        }
        return node;
    }

    /** A compact JWE of {@code plaintext} made by the npm {@code jose} package: {@code alg} key wrapping, A256GCM. */
    public String encryptWithJose(byte[] plaintext, String alg, String publicJwkJson) throws Exception {
        return node(plaintext, "jose", alg, publicJwkJson);
    }

    /** A compact JWE of {@code plaintext} made by the npm {@code node-jose} package: {@code alg} key wrapping, A256GCM. */
    public String encryptWithNodeJose(byte[] plaintext, String alg, String publicJwkJson) throws Exception {
        return node(plaintext, "node-jose", alg, publicJwkJson);
    }

    /** A compact JWE of {@code plaintext} made by {@code docs/examples/jwe-webcrypto.mjs} (WebCrypto, as in a browser). */
    public String encryptWithWebCryptoExample(byte[] plaintext, String publicJwkJson) throws Exception {
        String example = basedir.resolve("docs/examples/jwe-webcrypto.mjs").toString();
        return node(plaintext, "webcrypto", example, publicJwkJson);
    }

    private String node(byte[] stdin, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", "encrypt.mjs"));
        command.addAll(List.of(arguments));
        Result result = run(command, stdin, NODE_TIMEOUT_SECONDS);
        if (result.exitCode() != 0) {
            fail("node encrypt.mjs " + arguments[0] + " failed (exit " + result.exitCode() + "): " + result.stderr());
        }
        return result.stdout();
    }

    private void requireNode20() throws Exception {
        Result version;
        try {
            version = run(List.of("node", "--version"), null, NODE_TIMEOUT_SECONDS);
            run(List.of("npm", "--version"), null, NODE_TIMEOUT_SECONDS);
        } catch (IOException e) {
            throw new AssertionError("the JOSE interop tests need Node.js 20+ and npm on the PATH (" + e.getMessage()
                    + "); install them, e.g. apt-get install nodejs npm, or from nodejs.org", e);
        }
        String text = version.stdout().trim();
        int major = Integer.parseInt(text.replaceFirst("^v(\\d+).*$", "$1"));
        assertThat(major).as("Node.js major version (20+ needed), found " + text).isGreaterThanOrEqualTo(20);
    }

    /** Whether every dependency of package.json is installed at its pinned version. */
    private boolean installedAsPinned() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        var pinned = mapper.readTree(work.resolve("package.json").toFile()).path("dependencies").properties();
        for (var dependency : pinned) {
            Path installed = work.resolve("node_modules").resolve(dependency.getKey()).resolve("package.json");
            if (!Files.exists(installed)
                    || !dependency.getValue().asText().equals(mapper.readTree(installed.toFile()).path("version").asText())) {
                return false;
            }
        }
        return true;
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }

    /** Runs a command in the work folder; output goes through files, so no pipe can fill up. */
    private Result run(List<String> command, byte[] stdin, long timeoutSeconds) throws Exception {
        Files.createDirectories(work);
        Path in = Files.createTempFile(work.getParent(), "jose-in", ".bin");
        Path out = Files.createTempFile(work.getParent(), "jose-out", ".txt");
        Path err = Files.createTempFile(work.getParent(), "jose-err", ".txt");
        try {
            Files.write(in, stdin == null ? new byte[0] : stdin);
            Process process = new ProcessBuilder(command)
                    .directory(work.toFile())
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
