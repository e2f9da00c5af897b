package io.contextgraph.cli;

import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.StatsdSink;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's run command ({@code ./contextgraph standalone}, which runs {@code java -jar target/contextgraph.jar
 * standalone}) in an empty folder, with neither REDIS_HOST nor S3_BUCKET, runs its own Redis (append-only file under
 * data-state/redis, outside the data/** tree analysts read) and stores under ./data; it holds data-state/lock, and
 * publishes its Redis for dead-letters.
 */
class StandaloneIT {
    private static final Pattern REDIS_ADDRESS = Pattern.compile("Connected to Redis at 127\\.0\\.0\\.1:(\\d+)");
    private static final Duration START = Duration.ofSeconds(90);
    /** The JVM's status after a SIGTERM it handled with its shutdown hooks (128 + 15). */
    private static final int SIGTERM_EXIT = 143;

    @TempDir
    Path cwd;

    @Test
    void storesUnderTheDataFolderDeletesAndStopsItsRedis() throws Exception {
        String user = Uploads.newUser();
        String marker = "sa" + Uploads.newUser();
        try (RoleProcess standalone = standalone("standalone").start()) {
            standalone.awaitHttp(START).awaitLog("standalone.started", START);
            int redisPort = embeddedRedisPort(standalone);
            List<ProcessHandle> children = standalone.descendants();
            assertThat(children).as("the embedded redis-server runs as a child process").isNotEmpty();

            HttpResponse<String> upload = Http.post(standalone.uri("/v1/upload"), user, Uploads.withMarker(marker),
                    "Content-Type", "application/json");
            assertThat(upload.statusCode()).isEqualTo(200);
            Path userFolder = cwd.resolve("data/v1/sessions/user=" + user);
            await().atMost(Duration.ofSeconds(30)).until(() -> objects(userFolder).size() == 1);
            Path object = objects(userFolder).getFirst();
            assertThat(cwd.relativize(object).toString())
                    .matches("data/v1/sessions/user=" + user + "/date=\\d{4}-\\d{2}-\\d{2}/[A-Za-z0-9_-]+\\.json\\.gz");
            assertThat(gunzip(object)).contains(marker);

            assertThat(Http.post(standalone.uri("/v1/delete"), user, new byte[0]).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> objects(userFolder).isEmpty());

            assertThat(standalone.terminate(Duration.ofSeconds(60))).isIn(0, SIGTERM_EXIT);
            assertThat(standalone.output()).contains("\"Type\":\"shutdown.done\"");
            assertThat(children).noneMatch(ProcessHandle::isAlive);
            assertThat(listening(redisPort)).as("embedded redis still listening on " + redisPort).isFalse();
            assertThat(standalone.output()).contains("\"redis\":\"embedded\"").doesNotContain(user, marker);
        }
    }

    @Test
    void queuedUploadsSurviveARestartThroughTheAppendOnlyFile() throws Exception {
        // A file where the worker needs the v1 folder makes every store fail, so the upload stays queued.
        Files.createDirectories(cwd.resolve("data"));
        Files.writeString(cwd.resolve("data/v1"), "not a folder");
        String user = Uploads.newUser();
        String marker = "aof" + Uploads.newUser();
        try (StatsdSink statsd = new StatsdSink();
             RoleProcess first = standalone("standalone-first").env("STATSD_HOST", statsd.host())
                     .env("STATSD_PORT", Integer.toString(statsd.port()))
                     .env("QUEUE_RETRY_DELAY", "10m").env("QUEUE_VISIBILITY_TIMEOUT", "1h").start()) {
            first.awaitHttp(START).awaitLog("standalone.started", START);
            assertThat(Http.post(first.uri("/v1/upload"), user, Uploads.withMarker(marker),
                    "Content-Type", "application/json").statusCode()).isEqualTo(200);
            assertThat(statsd.awaitLine(line -> line.startsWith("data.upload.error:1|c|#reason:storage"),
                    Duration.ofSeconds(30))).as("the store failed and the task waits for a retry").isPresent();
            assertThat(first.terminate(Duration.ofSeconds(60))).isIn(0, SIGTERM_EXIT);
        }
        Path aof = cwd.resolve("data-state/redis/appendonly.aof");
        assertThat(aof).exists();
        assertThat(Files.readString(aof, StandardCharsets.ISO_8859_1)).contains("cg:tasks", "XADD");
        assertThat(cwd.resolve("data/redis")).as("nothing of Redis inside the data folder").doesNotExist();
        assertThat(cwd.resolve("data-state/redis.address")).as("removed on a clean stop").doesNotExist();

        // Where an older version kept it: inside the data folder. The next start moves it out and loads it.
        Files.move(cwd.resolve("data-state/redis"), cwd.resolve("data/redis"));
        Files.delete(cwd.resolve("data/v1"));
        try (RoleProcess second = standalone("standalone-second")
                .env("QUEUE_RETRY_DELAY", "100ms").env("QUEUE_VISIBILITY_TIMEOUT", "1s").start()) {
            second.awaitHttp(START);
            Path userFolder = cwd.resolve("data/v1/sessions/user=" + user);
            await().atMost(Duration.ofSeconds(60)).until(() -> objects(userFolder).size() == 1);
            assertThat(gunzip(objects(userFolder).getFirst())).contains(marker);
            assertThat(second.output()).contains("standalone.redis.moved");
            assertThat(cwd.resolve("data/redis")).doesNotExist();
            assertThat(cwd.resolve("data-state/redis/appendonly.aof")).exists();
        }
    }

    @Test
    void aSecondStandaloneOnTheSameDataFolderIsRefusedAtStart() throws Exception {
        try (RoleProcess first = standalone("standalone-holder").start()) {
            first.awaitHttp(START).awaitLog("standalone.started", START);
            int redisPort = embeddedRedisPort(first);
            // The same folder under another name: through a symlink, given as DATA_DIR.
            Files.createSymbolicLink(cwd.resolve("same-data"), cwd.resolve("data"));
            for (String dataDir : new String[] {null, cwd.resolve("same-data").toString()}) {
                RoleProcess.Builder builder = standalone("standalone-refused");
                if (dataDir != null) {
                    builder.env("DATA_DIR", dataDir);
                }
                try (RoleProcess second = builder.start()) {
                    assertThat(second.awaitExit(START)).as(second.output()).isEqualTo(2);
                    assertThat(second.output().strip().lines()).as(second.output())
                            .filteredOn(line -> line.startsWith("contextgraph:")).singleElement().asString()
                            .contains("DATA_DIR", "in use by another standalone", "pid " + first.pid());
                    assertThat(second.output()).doesNotContain("Connected to Redis");
                }
            }
            assertThat(first.descendants()).as("one embedded redis-server, the first one's").hasSize(1);
            String user = Uploads.newUser();
            assertThat(Http.post(first.uri("/v1/upload"), user, Uploads.sessions(1),
                    "Content-Type", "application/json").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> objects(cwd.resolve("data/v1/sessions/user=" + user)).size() == 1);
            assertThat(Files.readString(cwd.resolve("data-state/redis.address")).strip())
                    .isEqualTo("127.0.0.1:" + redisPort);
        }
    }

    /** A SIGKILL gives the JVM no chance to stop its redis-server child, which keeps the append-only file open. */
    @Test
    void theRedisLeftRunningByAKilledStandaloneIsStoppedBeforeTheNextOneStarts() throws Exception {
        ProcessHandle leftOver = null;
        try {
            try (RoleProcess killed = standalone("standalone-killed").start()) {
                killed.awaitHttp(START).awaitLog("standalone.started", START);
                leftOver = killed.descendants().getFirst();
                killed.kill();
            }
            assertThat(running(leftOver)).as("the killed standalone's redis-server outlives it").isTrue();
            try (RoleProcess next = standalone("standalone-next").start()) {
                next.awaitHttp(START).awaitLog("standalone.started", START);
                assertThat(next.output()).contains("standalone.redis.left_over");
                assertThat(running(leftOver)).as("stopped before the new embedded Redis started").isFalse();
                assertThat(next.descendants()).hasSize(1);
                String user = Uploads.newUser();
                assertThat(Http.post(next.uri("/v1/upload"), user, Uploads.sessions(1),
                        "Content-Type", "application/json").statusCode()).isEqualTo(200);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> objects(cwd.resolve("data/v1/sessions/user=" + user)).size() == 1);
            }
        } finally {
            if (leftOver != null) {
                leftOver.destroyForcibly();
            }
        }
    }

    @Test
    void deadLettersFindsTheRunningStandalonesEmbeddedRedisWithoutRedisHost() throws Exception {
        // Every store fails while data/v1 is a file, and one attempt is all a task gets: it becomes a dead letter.
        Files.createDirectories(cwd.resolve("data"));
        Files.writeString(cwd.resolve("data/v1"), "not a folder");
        String user = Uploads.newUser();
        try (RoleProcess standalone = standalone("standalone-dead").env("QUEUE_MAX_ATTEMPTS", "1").start()) {
            standalone.awaitHttp(START).awaitLog("standalone.started", START);
            assertThat(Http.post(standalone.uri("/v1/upload"), user, Uploads.sessions(1),
                    "Content-Type", "application/json").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters("list").contains("1 dead letter(s)"));

            Files.delete(cwd.resolve("data/v1"));
            assertThat(deadLetters("replay", "--all")).contains("1 dead letter(s) replayed");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> objects(cwd.resolve("data/v1/sessions/user=" + user)).size() == 1);
        }
    }

    /** Alive and not a zombie (an orphan that exited stays one until its new parent, PID 1, reaps it). */
    private static boolean running(ProcessHandle process) throws IOException {
        Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
        if (!process.isAlive() || !Files.exists(stat)) {
            return false;
        }
        String fields = Files.readString(stat);
        return !fields.substring(fields.lastIndexOf(')') + 2).startsWith("Z");
    }

    /** {@code dead-letters ...} in the standalone's folder, with neither REDIS_HOST nor REDIS_PORT. */
    private String deadLetters(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = "dead-letters";
        System.arraycopy(args, 0, command, 1, args.length);
        try (RoleProcess tool = RoleProcess.builder(command).name("dead-letters").directory(cwd).start()) {
            int status = tool.awaitExit(Duration.ofSeconds(60));
            assertThat(status).as(tool.output()).isZero();
            assertThat(tool.output()).contains("the standalone's embedded Redis at 127.0.0.1:");
            return tool.output();
        }
    }

    @Test
    void usesTheConfiguredRedisWhenRedisHostIsSet() throws Exception {
        try (RedisServer redis = new RedisServer();
             RoleProcess standalone = standalone("standalone-configured").redis(redis.port()).start()) {
            standalone.awaitHttp(START).awaitLog("standalone.started", START);
            assertThat(standalone.output()).contains("\"redis\":\"configured\"");
            String user = Uploads.newUser();
            assertThat(Http.post(standalone.uri("/v1/upload"), user, Uploads.sessions(1),
                    "Content-Type", "application/json").statusCode()).isEqualTo(200);
            assertThat(redis.cli("EXISTS", "cg:tasks")).isEqualTo("1");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> objects(cwd.resolve("data/v1/sessions/user=" + user)).size() == 1);
            assertThat(cwd.resolve("data/redis")).doesNotExist();
            assertThat(cwd.resolve("data-state/redis")).doesNotExist();
        }
    }

    private RoleProcess.Builder standalone(String name) {
        return RoleProcess.builder("standalone").name(name).directory(cwd);
    }

    private static int embeddedRedisPort(RoleProcess process) {
        Matcher found = REDIS_ADDRESS.matcher(process.output());
        assertThat(found.find()).as("log names the embedded Redis address:\n" + process.output()).isTrue();
        return Integer.parseInt(found.group(1));
    }

    private static List<Path> objects(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json.gz")).toList();
        }
    }

    private static String gunzip(Path object) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(object))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
