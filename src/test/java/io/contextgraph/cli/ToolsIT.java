package io.contextgraph.cli;

import io.contextgraph.config.Role;
import io.contextgraph.config.Variable;
import io.contextgraph.queue.Shards;
import io.contextgraph.testing.FreePorts;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.NodeJose;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The jar's commands explain themselves and fail with one line: help, keygen, dead-letters, early config checks. */
class ToolsIT {

    /** A finished run of the jar, stdout and stderr apart. */
    record Run(int status, String stdout, String stderr) {
        List<String> stderrLines() {
            return stderr.strip().lines().toList();
        }

        /** stderr without the JSON log lines. */
        List<String> stderrMessages() {
            return stderr.lines().filter(line -> !line.startsWith("{")).toList();
        }
    }

    private static Run jar(Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(System.getProperty("cg.java", "java"), "-XX:TieredStopAtLevel=1",
                "-jar", System.getProperty("cg.jar", "target/contextgraph.jar")));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().put("PATH", System.getenv("PATH"));
        builder.environment().put("STATSD_PORT", "9");
        builder.environment().putAll(environment);
        Path out = Files.createTempFile("tool-out", ".txt");
        Path err = Files.createTempFile("tool-err", ".txt");
        try {
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError(String.join(" ", args) + " did not finish:\n" + Files.readString(err));
            }
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @ParameterizedTest
    @CsvSource({"web, WEB", "worker, WORKER", "standalone, STANDALONE", "dead-letters, ADMIN"})
    void helpListsTheVariablesOfTheRoleWithDefaults(String command, Role role) throws Exception {
        Run help = jar(Map.of(), command, "--help");

        assertThat(help.status()).isZero();
        String text = help.stdout().replaceAll("\\s+", " ");
        assertThat(text).contains("Environment variables");
        for (Variable variable : Variable.of(role)) {
            assertThat(text).contains(" " + variable.name() + " ");
            if (!variable.defaultValue().isEmpty()) {
                assertThat(text).contains("[default: " + variable.defaultValue() + "]");
            }
        }
        List<String> others = Variable.TABLE.stream().filter(v -> !v.roles().contains(role)).map(Variable::name).toList();
        assertThat(others).allSatisfy(name -> assertThat(text).doesNotContain(" " + name + " "));
        assertThat(jar(Map.of(), "help", command).stdout()).isEqualTo(help.stdout());
    }

    @Test
    void helpWithoutACommandListsTheCommands() throws Exception {
        Run help = jar(Map.of(), "help");

        assertThat(help.status()).isZero();
        assertThat(help.stdout()).contains("web", "worker", "standalone", "dead-letters", "keygen", "help COMMAND");
    }

    @Test
    void workerWithoutAnAwsRegionStopsNamingAwsRegion() throws Exception {
        // No profile file (HOME points nowhere), no instance metadata: nothing gives a region.
        Run worker = jar(Map.of("S3_BUCKET", "cg-bucket", "HOME", "/nonexistent", "AWS_EC2_METADATA_DISABLED", "true"),
                "worker");

        assertThat(worker.status()).isEqualTo(2);
        assertThat(worker.stdout()).isEmpty();
        assertThat(worker.stderrLines()).singleElement().asString()
                .startsWith("contextgraph: configuration error: AWS_REGION: is required");
    }

    @Test
    void aMissingBlocklistFileStopsTheWorkerBeforeAnyClientIsBuilt() throws Exception {
        // Nothing listens on REDIS_PORT: a Redis client built first would log a startup error.
        Run worker = jar(Map.of("S3_BUCKET", "cg-bucket", "AWS_REGION", "us-east-1", "BLOCKLIST_FILE", "/no/such/list",
                "REDIS_HOST", "127.0.0.1", "REDIS_PORT", Integer.toString(FreePorts.next())), "worker");

        assertThat(worker.status()).isEqualTo(2);
        assertThat(worker.stdout()).isEmpty();
        assertThat(worker.stderrLines())
                .containsExactly("contextgraph: configuration error: BLOCKLIST_FILE: no such file: /no/such/list");
    }

    @Test
    void anUnknownLogLevelStopsWithOneLine() throws Exception {
        Run web = jar(Map.of("LOG_LEVEL", "loud"), "web");

        assertThat(web.status()).isEqualTo(2);
        assertThat(web.stdout()).isEmpty();
        assertThat(web.stderrLines()).containsExactly(
                "contextgraph: configuration error: LOG_LEVEL: must be TRACE, DEBUG, INFO, WARN, ERROR or OFF, got \"loud\"");
    }

    @Test
    void deadLettersPrintsItsTableOnStdoutAndLogsOnStderr() throws Exception {
        try (RedisServer redis = new RedisServer()) {
            Map<String, String> env = Map.of("REDIS_HOST", "127.0.0.1", "REDIS_PORT", Integer.toString(redis.port()));

            Run list = jar(env, "dead-letters", "list");

            assertThat(list.status()).isZero();
            assertThat(list.stdout().lines().toList())
                    .containsExactly("uploads waiting: 0", "deletes waiting: 0", "parked deletes: 0", "parked uploads: 0", "0 dead letter(s)");
            assertThat(list.stdout()).contains("0 dead letter(s)").doesNotContain("{");
            assertThat(list.stderr()).contains("Connected to Redis");

            Run unknown = jar(env, "dead-letters", "replay", "--id", "1764000000000-0");

            assertThat(unknown.status()).isEqualTo(1);
            assertThat(unknown.stdout()).isEmpty();
            assertThat(unknown.stderrMessages()).containsExactly("contextgraph: no dead letter with id 1764000000000-0 "
                    + "(replayed already, forgotten with its user, or never parked; see dead-letters list)");

            Run malformed = jar(env, "dead-letters", "replay", "--id", "not-an-id");

            assertThat(malformed.status()).isEqualTo(2);
            assertThat(malformed.stderrLines()).singleElement().asString().contains("--id takes a dead letter's id");
        }
    }

    /**
     * operations.md: dead-letters list shows the uploads still on the queue and the deletes still waiting (count,
     * oldest), summed over the shards. Queued by a web role with QUEUE_SHARDS=3 and no worker: 5 uploads over
     * shards 0, 1 and 2, and 4 deletes over all three, the oldest on shard 1.
     */
    @Test
    void deadLettersListSumsTheWaitingUploadsAndDeletesOverTheShards() throws Exception {
        Shards shards = Shards.of(3, false);
        List<List<String>> users = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        while (users.stream().anyMatch(inShard -> inShard.size() < 3)) {
            String user = Uploads.newUser();
            List<String> inShard = users.get(shards.of(user));
            if (inShard.size() < 3) {
                inShard.add(user);
            }
        }
        try (RedisServer redis = new RedisServer();
             RoleProcess web = RoleProcess.builder("web").name("tools-sharded-web").redis(redis.port())
                     .env("QUEUE_SHARDS", "3").start().awaitHttp(Duration.ofSeconds(60))) {
            for (String user : List.of(users.get(0).get(0), users.get(0).get(1), users.get(1).get(0),
                    users.get(2).get(0), users.get(2).get(1))) {
                assertThat(Http.post(web.uri("/v1/upload"), user, Uploads.withMarker("w")).statusCode())
                        .isEqualTo(200);
            }
            for (String user : List.of(users.get(1).get(1), users.get(2).get(2), users.get(0).get(2),
                    users.get(1).get(2))) {
                assertThat(Http.post(web.uri("/v1/delete"), user, new byte[0]).statusCode()).isEqualTo(200);
            }
            assertThat(redis.cli("XLEN", "cg:{0}:deletes") + redis.cli("XLEN", "cg:{1}:deletes")
                    + redis.cli("XLEN", "cg:{2}:deletes")).as("per shard").isEqualTo("121");
            String firstDelete = redis.cli("EVAL", "local e = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1] "
                    + "for i = 1, #e[2], 2 do if e[2][i] == 'accepted' then return e[2][i + 1] end end",
                    "1", "cg:{1}:deletes");
            Map<String, String> env = Map.of("REDIS_HOST", "127.0.0.1", "REDIS_PORT", Integer.toString(redis.port()),
                    "QUEUE_SHARDS", "3");

            Run list = jar(env, "dead-letters", "list");

            assertThat(list.status()).as(list.stderr()).isZero();
            assertThat(list.stdout().lines().toList()).containsExactly("uploads waiting: 5",
                    "deletes waiting: 4 (oldest accepted " + Instant.ofEpochMilli(Long.parseLong(firstDelete)) + ")",
                    "parked deletes: 0", "parked uploads: 0", "0 dead letter(s)");
        }
    }

    /**
     * operations.md: without REDIS_HOST, dead-letters uses the Redis a standalone published in
     * {@code <DATA_DIR>-state/redis.address} and says so on stderr; with REDIS_HOST set, that Redis is used and the file
     * is ignored (an empty REDIS_HOST counts as unset). Two real Redis servers, told apart by their queued uploads.
     */
    @Test
    void deadLettersUsesRedisHostWhenSetAndTheStandalonesAddressFileOtherwise(@TempDir Path dir) throws Exception {
        try (RedisServer named = new RedisServer(); RedisServer published = new RedisServer()) {
            for (int i = 0; i < 2; i++) {
                named.cli("XADD", "cg:tasks", "*", "by", "named");
            }
            for (int i = 0; i < 3; i++) {
                published.cli("XADD", "cg:tasks", "*", "by", "published");
            }
            Path dataDir = Files.createDirectories(dir.resolve("data"));
            Path addressFile = Files.createDirectories(dir.resolve("data-state")).resolve("redis.address");
            Files.writeString(addressFile, "127.0.0.1:" + published.port() + "\n");
            String fromFile = "contextgraph: the standalone's embedded Redis at 127.0.0.1:" + published.port()
                    + " (from " + addressFile.toRealPath() + ")";

            Run withHost = jar(Map.of("DATA_DIR", dataDir.toString(), "REDIS_HOST", "127.0.0.1",
                    "REDIS_PORT", Integer.toString(named.port())), "dead-letters", "list");

            assertThat(withHost.status()).as(withHost.stderr()).isZero();
            assertThat(withHost.stdout().lines().toList()).as("REDIS_HOST's Redis").first().isEqualTo("uploads waiting: 2");
            assertThat(withHost.stderr()).doesNotContain("embedded Redis").doesNotContain("redis.address");

            for (Map<String, String> unset : List.of(Map.of("DATA_DIR", dataDir.toString()),
                    Map.of("DATA_DIR", dataDir.toString(), "REDIS_HOST", ""))) {
                Run withoutHost = jar(unset, "dead-letters", "list");

                assertThat(withoutHost.status()).as(withoutHost.stderr()).isZero();
                assertThat(withoutHost.stdout().lines().toList()).as("the published Redis, " + unset).first()
                        .isEqualTo("uploads waiting: 3");
                assertThat(withoutHost.stderrMessages()).contains(fromFile);
            }
        }
    }

    /** The round trip of docs/api.md: keygen, standalone with both keys, encrypt with jose, upload, stored. */
    @Test
    void keygenKeysRunAnEncryptedRoundTrip(@TempDir Path dir) throws Exception {
        Run keygen = jar(Map.of(), "keygen");
        assertThat(keygen.status()).isZero();
        List<String> lines = keygen.stdout().strip().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("PUBLIC_KEY=");
        assertThat(lines.get(1)).startsWith("PRIVATE_KEY=");
        Map<String, String> keys = new HashMap<>();
        lines.forEach(line -> keys.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1)));
        assertThat(keygen.stderr()).contains("key id (kid)");

        NodeJose nodeJose = NodeJose.install();
        String user = Uploads.newUser();
        String marker = "kg" + Uploads.newUser();
        try (RoleProcess standalone = RoleProcess.builder("standalone").name("keygen-standalone").directory(dir)
                .env("PUBLIC_KEY", keys.get("PUBLIC_KEY")).env("PRIVATE_KEY", keys.get("PRIVATE_KEY")).start()) {
            standalone.awaitHttp(Duration.ofSeconds(90));
            HttpResponse<String> jwk = Http.get(standalone.uri("/v1/jwk"));
            assertThat(jwk.statusCode()).isEqualTo(200);
            assertThat(keygen.stderr()).contains(jwk.body().replaceAll(".*\"kid\":\"([^\"]+)\".*", "$1"));

            String jwe = nodeJose.encryptWithJose(Uploads.withMarker(marker), "RSA-OAEP-256", jwk.body());
            assertThat(Http.post(standalone.uri("/v1/upload"), user, jwe.getBytes(StandardCharsets.US_ASCII),
                    "Content-Type", "application/jose").statusCode()).isEqualTo(200);

            Path userFolder = dir.resolve("data/v1/sessions/user=" + user);
            await().atMost(Duration.ofSeconds(30)).until(() -> objects(userFolder).size() == 1);
            assertThat(gunzip(objects(userFolder).getFirst())).contains(marker);
        }
    }

    private static List<Path> objects(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(file -> file.toString().endsWith(".json.gz")).toList();
        }
    }

    private static String gunzip(Path file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
