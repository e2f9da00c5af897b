package io.contextgraph.cli;

import io.contextgraph.testing.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The README's commands as typed on a machine whose default {@code java} is older than 21: {@code ./contextgraph}
 * (with bin/jdk.sh, which .ci/run shares) finds a JDK 21+, builds only when needed, runs the tests with that JDK, and
 * says in one line when there is none. Each test runs the real script from a copy of the launcher files, so that it
 * never builds the project under test; the copy's {@code target} is the real build output.
 */
class LauncherIT {
    private static final Path BASEDIR = Path.of(System.getProperty("cg.basedir", ".")).toAbsolutePath();
    private static final Path OLD_JAVA = Path.of("/usr/bin/java");
    private static final Pattern SPEC_VERSION = Pattern.compile("java\\.specification\\.version = (\\d+)");

    @TempDir
    Path tmp;
    private Path clone;
    private Path fakeJavaHome;

    @BeforeEach
    void copyLauncher() throws IOException {
        clone = tmp.resolve("clone");
        Files.createDirectories(clone.resolve("bin"));
        Files.copy(BASEDIR.resolve("contextgraph"), clone.resolve("contextgraph"));
        Files.copy(BASEDIR.resolve("bin/jdk.sh"), clone.resolve("bin/jdk.sh"));
        Files.setPosixFilePermissions(clone.resolve("contextgraph"), PosixFilePermissions.fromString("rwxr-xr-x"));
        fakeJavaHome = tmp.resolve("not-a-jdk");
        Files.createDirectories(fakeJavaHome.resolve("bin"));
        Files.writeString(fakeJavaHome.resolve("release"), "JAVA_VERSION=\"25\"\n"); // claims 25, has no java
    }

    /** JUnit would warn about a link out of its temporary folder; the link is ours, so it goes first. */
    @AfterEach
    void unlinkTarget() throws IOException {
        Files.deleteIfExists(clone.resolve("target"));
    }

    @Test
    void runsTheJarWithAJdk21WhenThePathJavaIsOlderAndJavaHomeHoldsNoJdk() throws Exception {
        assumeOldJavaOnThePath();
        Files.createSymbolicLink(clone.resolve("target"), BASEDIR.resolve("target"));
        Map<String, String> env = baseEnv();
        env.put("JAVA_HOME", fakeJavaHome.toString());
        env.put("JAVA_OPTS", "-XshowSettings:properties");

        Result result = run(env, "--version");

        assertThat(result.status).as(result.toString()).isZero();
        assertThat(result.stdout).contains("\"version\"");
        Matcher spec = SPEC_VERSION.matcher(result.stderr);
        assertThat(spec.find()).as(result.toString()).isTrue();
        assertThat(Integer.parseInt(spec.group(1))).isGreaterThanOrEqualTo(21);
        assertThat(result.stderr).as("no build: the jar is newer than the sources").doesNotContain("building");
    }

    @Test
    void saysInOneLineHowToGetAJdkWhenThereIsNone() throws Exception {
        assumeOldJavaOnThePath();
        Map<String, String> env = baseEnv();
        env.put("JAVA_HOME", fakeJavaHome.toString());
        env.put("CONTEXTGRAPH_JDK_DIRS", Files.createDirectories(tmp.resolve("no-jdks")).toString());

        Result result = run(env, "standalone");

        assertThat(result.status).as(result.toString()).isEqualTo(2);
        assertThat(result.stdout).isEmpty();
        assertThat(result.stderr.strip().lines()).as(result.toString()).hasSize(1);
        assertThat(result.stderr).contains("JDK 21 or newer", "apt-get install openjdk-21-jdk-headless", "JAVA_HOME");
    }

    @Test
    void testRunsMavenVerifyWithTheJdkItFound() throws Exception {
        Path record = tmp.resolve("mvn-calls");
        Map<String, String> env = baseEnv();
        env.put("PATH", stubMaven(record) + ":" + env.get("PATH"));

        Result result = run(env, "test", "-Dit.test=SomeIT");

        assertThat(result.status).as(result.toString()).isZero();
        List<String> call = Files.readAllLines(record);
        assertThat(call).contains("verify", "-Dit.test=SomeIT", "-B", clone.resolve("pom.xml").toString());
        Path javaHome = Path.of(call.getFirst().substring("JAVA_HOME=".length()));
        assertThat(specificationVersion(javaHome)).isGreaterThanOrEqualTo(21);
    }

    @Test
    void buildsOnlyWhenTheJarIsMissingOrOlderThanTheSources() throws Exception {
        Path record = tmp.resolve("mvn-calls");
        Path source = clone.resolve("src/main/java/Some.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "class Some {}\n");
        Files.writeString(clone.resolve("pom.xml"), "<project/>\n");
        FileTime longAgo = FileTime.from(Instant.parse("2001-01-01T00:00:00Z"));
        Files.setLastModifiedTime(source, longAgo);
        Files.setLastModifiedTime(clone.resolve("pom.xml"), longAgo);
        Map<String, String> env = baseEnv();
        env.put("PATH", stubMaven(record) + ":" + env.get("PATH"));

        Result missing = run(env, "--version");
        assertThat(missing.status).as(missing.toString()).isZero();
        assertThat(Files.readAllLines(record)).as("the jar was missing").contains("package", "-DskipTests");

        Files.delete(record);
        Result upToDate = run(env, "--version");
        assertThat(upToDate.status).as(upToDate.toString()).isZero();
        assertThat(record).as("nothing newer than the jar").doesNotExist();

        Files.setLastModifiedTime(source, FileTime.from(Instant.now().plusSeconds(5)));
        Result edited = run(env, "--version");
        assertThat(edited.status).as(edited.toString()).isZero();
        assertThat(Files.readAllLines(record)).as("a source is newer than the jar").contains("package");
    }

    /**
     * The README's "try it" block, pasted right after the run command: it must wait for the service and for the
     * stored object by itself, and show the upload just made. Only the port differs from the README.
     */
    @Test
    void theReadmeTryBlockWorksPastedRightAfterTheRunCommand() throws Exception {
        Files.createSymbolicLink(clone.resolve("target"), BASEDIR.resolve("target"));
        int port = FreePorts.next();
        Map<String, String> env = baseEnv();
        env.put("PORT", Integer.toString(port));
        env.put("STATSD_PORT", "9");
        env.put("JAVA_OPTS", "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        Path log = tmp.resolve("standalone.log");
        Process standalone = process(env, List.of(clone.resolve("contextgraph").toString(), "standalone"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String block = readmeBlock("try").replace("localhost:8000", "localhost:" + port);
            Result tried = await(process(env, List.of("bash", "-c", block)).start(), Duration.ofSeconds(120));

            assertThat(tried.status).as(tried + "\nstandalone:\n" + Files.readString(log)).isZero();
            assertThat(tried.stdout).contains("{\"status\":\"success\"}")
                    .containsPattern("data/v1/sessions/user=[0-9a-f]{32}/date=\\d{4}-\\d{2}-\\d{2}/[A-Za-z0-9_-]+\\.json\\.gz")
                    .contains("\"url\":\"https://www.mozilla.org/en-US/\"", "\"upload_id\"")
                    .doesNotContain("not stored yet");
        } finally {
            standalone.destroy();
            if (!standalone.waitFor(60, TimeUnit.SECONDS)) {
                standalone.destroyForcibly().waitFor();
            }
        }
    }

    static String readmeBlock(String name) throws IOException {
        String readme = Files.readString(BASEDIR.resolve("README.md"));
        int begin = readme.indexOf("<!-- " + name + ":begin -->");
        int end = readme.indexOf("<!-- " + name + ":end -->");
        assertThat(begin).as("README marks the block " + name).isNotNegative();
        String marked = readme.substring(begin, end);
        return marked.substring(marked.indexOf("```sh\n") + 6, marked.lastIndexOf("```"));
    }

    /** A mvn that only records its JAVA_HOME and arguments, one a line, and "builds" by linking the real output. */
    private Path stubMaven(Path record) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("stub-bin"));
        Path mvn = bin.resolve("mvn");
        Files.writeString(mvn, """
                #!/bin/sh
                { echo "JAVA_HOME=$JAVA_HOME"; for a in "$@"; do echo "$a"; done; } > '%s'
                [ -e '%s' ] || ln -s '%s' '%s'
                """.formatted(record, clone.resolve("target"), BASEDIR.resolve("target"), clone.resolve("target")));
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private void assumeOldJavaOnThePath() throws Exception {
        assumeTrue(Files.isExecutable(OLD_JAVA), "no /usr/bin/java on this machine");
        Path home = OLD_JAVA.toRealPath().getParent().getParent();
        assumeTrue(specificationVersion(home) < 21, "/usr/bin/java is already 21 or newer here");
    }

    private static int specificationVersion(Path javaHome) throws Exception {
        Process p = new ProcessBuilder(javaHome.resolve("bin/java").toString(), "-XshowSettings:properties", "-version")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Matcher m = SPEC_VERSION.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Integer.parseInt(m.group(1));
    }

    /** What a person's shell would have, with the machine's default java first on the PATH and no JAVA_HOME. */
    private Map<String, String> baseEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", "/usr/bin:/bin");
        env.put("HOME", tmp.toString());
        env.put("LANG", "C.UTF-8");
        return env;
    }

    private ProcessBuilder process(Map<String, String> env, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(clone.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        return pb;
    }

    private Result run(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(clone.resolve("contextgraph").toString()));
        command.addAll(List.of(args));
        return await(process(env, command).start(), Duration.ofSeconds(60));
    }

    private Result await(Process p, Duration timeout) throws Exception {
        Path out = tmp.resolve("out-" + p.pid());
        Path err = tmp.resolve("err-" + p.pid());
        // Read both streams while it runs, so that a full pipe never blocks it.
        Thread stdout = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
        Thread stderr = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
        }
        stdout.join();
        stderr.join();
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static void copy(java.io.InputStream in, Path to) {
        try (in) {
            Files.write(to, in.readAllBytes());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private record Result(int status, String stdout, String stderr) {
        @Override
        public String toString() {
            return "status " + status + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }
}
