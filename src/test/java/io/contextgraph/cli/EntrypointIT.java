package io.contextgraph.cli;

import io.contextgraph.testing.FreePorts;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Docker image's entrypoint script, run directly (no Docker engine here): it picks the role (web, worker,
 * standalone, dead-letters), defaults to web, refuses unknown roles, gives every role the image's JVM settings and
 * the web role its own on top, lets JAVA_OPTS override them, and execs the JVM so that it receives SIGTERM itself.
 */
class EntrypointIT {
    private static final Path SCRIPT = Path.of(System.getProperty("cg.basedir", "."), "docker", "entrypoint.sh");
    private static final Path JVM_OPTIONS = SCRIPT.resolveSibling("jvm.options");

    private static Process run(Path log, List<String> env, String... args) throws IOException {
        return run(log, JVM_OPTIONS, env, args);
    }

    private static Process run(Path log, Path jvmOptions, List<String> env, String... args) throws IOException {
        return run(null, log, jvmOptions, env, args);
    }

    /** Runs the script in {@code dir}, or in the build's folder when it is null. */
    private static Process run(Path dir, Path log, Path jvmOptions, List<String> env, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of("sh", SCRIPT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .directory(dir == null ? null : dir.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv("PATH"));
        pb.environment().put("JAVA_HOME", Path.of(System.getProperty("cg.java")).getParent().getParent().toString());
        pb.environment().put("CONTEXTGRAPH_JAR", System.getProperty("cg.jar"));
        pb.environment().put("CONTEXTGRAPH_JVM_OPTIONS", jvmOptions.toString());
        for (String pair : env) {
            String[] kv = pair.split("=", 2);
            pb.environment().put(kv[0], kv[1]);
        }
        return pb.start();
    }

    private static Path logDir() throws IOException {
        return Files.createDirectories(Path.of(System.getProperty("cg.basedir", "."), "target", "it-logs"));
    }

    private static Path log(String name) throws IOException {
        return Files.createTempFile(logDir(), name + "-", ".log");
    }

    @Test
    void unknownRoleIsRefusedWithUsage() throws Exception {
        Path log = log("entrypoint-unknown");
        Process p = run(log, List.of(), "janitor");
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("usage: entrypoint.sh [web|worker");
    }

    /** The value the JVM ran with, from its -XX:+PrintFlagsFinal table in the log. */
    private static String flag(Path log, String name) throws IOException {
        Matcher m = Pattern.compile("(?m)^\\s*\\S+\\s+" + name + "\\s+=\\s+(\\S+)")
                .matcher(Files.readString(log, StandardCharsets.UTF_8));
        assertThat(m.find()).as("%s in the JVM's flag table", name).isTrue();
        return m.group(1);
    }

    /** docker/jvm.options, which docs/deploy.md promises every role: a heap of 75 % and an exit on OOM. */
    private static void assertEveryRolesFlags(Path log) throws IOException {
        assertThat(flag(log, "UseParallelGC")).isEqualTo("true");
        assertThat(flag(log, "MaxRAMPercentage")).isEqualTo("75.000000");
        assertThat(flag(log, "ExitOnOutOfMemoryError")).isEqualTo("true");
    }

    @Test
    void workerRoleReachesTheJarWithTheSettingsOfEveryRoleOnly() throws Exception {
        Path log = log("entrypoint-worker");
        Process p = run(log, List.of("JAVA_OPTS=-XX:+PrintFlagsFinal"), "worker");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isNotZero();
        assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("S3_BUCKET: is required");
        assertEveryRolesFlags(log);
        assertThat(flag(log, "UseCompactObjectHeaders")).as("the web role's flag").isEqualTo("false");
    }

    @Test
    void javaOptsOverrideTheImagesSettingsForEveryRole() throws Exception {
        // docs/deploy.md: jvm.options (and the web role's jvm-web.options) come before JAVA_OPTS, so the operator's
        // flags win. A bad setting stops each role once the JVM has printed its flags.
        String javaOpts = "JAVA_OPTS=-XX:+PrintFlagsFinal -XX:MaxRAMPercentage=50 -XX:-ExitOnOutOfMemoryError";
        Path worker = log("entrypoint-worker-opts");
        Process w = run(worker, List.of(javaOpts), "worker");
        Path web = log("entrypoint-web-opts");
        Process p = run(web, List.of(javaOpts + " -XX:-UseCompactObjectHeaders", "REDIS_PORT=not-a-port"), "web");
        assertThat(w.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(worker, StandardCharsets.UTF_8)).contains("S3_BUCKET: is required");
        assertThat(Files.readString(web, StandardCharsets.UTF_8)).contains("REDIS_PORT");
        for (Path log : List.of(worker, web)) {
            assertThat(flag(log, "MaxRAMPercentage")).as(log.toString()).isEqualTo("50.000000");
            assertThat(flag(log, "ExitOnOutOfMemoryError")).as(log.toString()).isEqualTo("false");
            assertThat(flag(log, "UseParallelGC")).as("what JAVA_OPTS leaves alone stays").isEqualTo("true");
        }
        assertThat(flag(web, "UseCompactObjectHeaders")).as("over jvm-web.options too").isEqualTo("false");
    }

    @Test
    void deadLettersRunsItsSubcommandWithTheImagesSettings() throws Exception {
        // docs/deploy.md: docker run IMAGE dead-letters list; the words after the role reach the jar's command.
        try (RedisServer redis = new RedisServer()) {
            Path log = log("entrypoint-dead-letters");
            Process p = run(log, List.of("REDIS_HOST=127.0.0.1", "REDIS_PORT=" + redis.port(), "STATSD_PORT=9",
                    "JAVA_OPTS=-XX:+PrintFlagsFinal"), "dead-letters", "list");
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(Files.readString(log, StandardCharsets.UTF_8))
                    .contains("uploads waiting: 0", "deletes waiting: 0", "parked deletes: 0", "parked uploads: 0",
                            "0 dead letter(s)");
            assertEveryRolesFlags(log);
        }
    }

    @Test
    void deadLettersHelpShowsItsUsage() throws Exception {
        Path log = log("entrypoint-dead-letters-help");
        Process p = run(log, List.of(), "dead-letters", "--help");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(Files.readString(log, StandardCharsets.UTF_8))
                .startsWith("Usage: contextgraph dead-letters [-hV] [COMMAND]").contains("  list ", "  replay ");
    }

    @Test
    void standaloneStartsWithItsOwnRedisAndTheImagesSettings(@TempDir Path cwd) throws Exception {
        // docs/deploy.md: docker run IMAGE standalone, with neither REDIS_HOST nor S3_BUCKET: it runs its own
        // Redis and stores under ./data (here a temporary folder).
        int port = FreePorts.next();
        Path log = log("entrypoint-standalone");
        Process p = run(cwd, log, JVM_OPTIONS, List.of("PORT=" + port, "STATSD_PORT=9",
                "JAVA_OPTS=-XX:+PrintFlagsFinal"), "standalone");
        try {
            await().atMost(Duration.ofSeconds(90)).until(() ->
                    Http.status(java.net.URI.create("http://127.0.0.1:" + port + "/__lbheartbeat__")) == 200);
            // Its startup line may follow the first answer.
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(log, StandardCharsets.UTF_8)
                    .contains("\"Type\":\"standalone.started\""));
            assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("\"redis\":\"embedded\"");
            assertEveryRolesFlags(log);
            p.destroy();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void jvmSettingsInAFolderWithSpacesReachTheWebRole() throws Exception {
        Path dir = Files.createTempDirectory(logDir(), "jvm options ");
        Files.copy(JVM_OPTIONS, dir.resolve("jvm.options"));
        Files.copy(JVM_OPTIONS.resolveSibling("jvm-web.options"), dir.resolve("jvm-web.options"));
        Path log = log("entrypoint-spaces");
        // A bad setting stops the role once the JVM has started and printed its flags.
        Process p = run(log, dir.resolve("jvm.options"), List.of("JAVA_OPTS=-XX:+PrintFlagsFinal",
                "REDIS_PORT=not-a-port"), "web");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isNotZero();
        assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("REDIS_PORT");
        assertThat(flag(log, "UseParallelGC")).isEqualTo("true");
        assertThat(flag(log, "UseCompactObjectHeaders")).as("jvm-web.options beside jvm.options").isEqualTo("true");
    }

    @Test
    void noArgumentStartsTheWebRoleWhichStopsOnSigterm() throws Exception {
        try (RedisServer redis = new RedisServer()) {
            int port = FreePorts.next();
            Path log = log("entrypoint-web");
            Process p = run(log, List.of("PORT=" + port, "REDIS_HOST=127.0.0.1", "REDIS_PORT=" + redis.port(),
                    "STATSD_PORT=9", "JAVA_OPTS=-XX:+PrintFlagsFinal"));
            try {
                await().atMost(Duration.ofSeconds(60)).until(() ->
                        Http.status(java.net.URI.create("http://127.0.0.1:" + port + "/__heartbeat__")) == 200);
                // exec: the shell was replaced by the JVM, so SIGTERM reaches the JVM itself.
                String command = Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"))
                        .replace('\0', ' ');
                assertThat(command).contains("java").contains("-jar").doesNotStartWith("sh ");
                // The image's JVM settings reach the JVM (java expands the @argfile before it starts).
                assertThat(command).contains("@" + JVM_OPTIONS);
                assertEveryRolesFlags(log);
                assertThat(flag(log, "UseCompactObjectHeaders")).as("docker/jvm-web.options").isEqualTo("true");
                p.destroy();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("\"stopped\"");
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void theScriptIsExecutable() {
        assertThat(new File(SCRIPT.toString()).canExecute()).isTrue();
    }
}
