package io.contextgraph.worker;

import com.fasterxml.jackson.databind.JsonNode;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole pipeline with real processes: web and worker roles from the built jar, a private Redis,
 * and S3Proxy (on-disk backend, so that it can be stopped and started without losing objects).
 */
class PipelineIT {
    private static final String BUCKET = "cg-pipeline";
    private static RedisServer redis;
    private static S3ProxyServer s3;
    private static RoleProcess web;
    private final List<RoleProcess> workers = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisServer();
        s3 = S3ProxyServer.startFilesystem();
        s3.createBucket(BUCKET);
        web = RoleProcess.builder("web").name("pipeline-web").redis(redis.port()).start()
                .awaitHttp(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        if (web != null) {
            web.close();
        }
        if (s3 != null) {
            s3.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void stopWorkers() throws Exception {
        for (RoleProcess worker : workers) {
            worker.close();
        }
        workers.clear();
    }

    private RoleProcess worker(String name, String... env) throws Exception {
        RoleProcess.Builder builder = RoleProcess.builder("worker").name(name).redis(redis.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                .env("QUEUE_VISIBILITY_TIMEOUT", "3s").env("QUEUE_RETRY_DELAY", "200ms");
        for (int i = 0; i < env.length; i += 2) {
            builder.env(env[i], env[i + 1]);
        }
        RoleProcess worker = builder.start().awaitLog("worker started", Duration.ofSeconds(60));
        workers.add(worker);
        return worker;
    }

    private static int upload(String user, byte[] body, String... headers) {
        return Http.post(web.uri("/v1/upload"), user, body, headers).statusCode();
    }

    private static int delete(String user) {
        return Http.post(web.uri("/v1/delete"), user, new byte[0]).statusCode();
    }

    private static List<String> keys(String user) {
        return s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/");
    }

    private static JsonNode object(String key) {
        ResponseBytes<GetObjectResponse> bytes = s3.getObject(BUCKET, key);
        assertThat(bytes.response().contentType()).isEqualTo("application/json");
        assertThat(bytes.response().contentEncoding()).isEqualTo("gzip");
        return s3.storedDocument(BUCKET, key);
    }

    /** The markers of all stored sessions of these users, one entry per stored object and session. */
    private static List<String> storedMarkers(Collection<String> users) {
        List<String> markers = new ArrayList<>();
        for (String user : users) {
            for (String key : keys(user)) {
                for (JsonNode session : object(key).path("sessions")) {
                    String url = session.path("url").asText();
                    markers.add(url.substring(url.indexOf("?m=") + 3));
                }
            }
        }
        return markers;
    }

    private static long queueLength() {
        return Long.parseLong(redis.cli("XLEN", "cg:tasks").strip());
    }

    @Test
    void anUploadIsStoredUnderTheLayoutWithOnlyKnownFields() throws Exception {
        worker("happy-worker");
        String user = Uploads.newUser();
        long now = System.currentTimeMillis() / 1000;
        String body = "{\"sessions\":[{\"url\":\"https://www.mozilla.org/a\",\"start_time\":" + now
                + ",\"duration\":2400,\"tab_id\":\"-31-2\",\"title\":\"secret title\"},"
                + "{\"url\":\"http://192.168.1.1/admin\",\"start_time\":" + now + "}],"
                + "\"client\":\"unknown top-level field\"}";
        assertThat(upload(user, body.getBytes(), "Content-Type", "application/json")).isEqualTo(200);

        await().atMost(Duration.ofSeconds(30)).until(() -> !keys(user).isEmpty());
        String key = keys(user).getFirst();
        String day = LocalDate.now(ZoneOffset.UTC).toString();
        assertThat(key).matches("v1/sessions/user=" + user + "/date=" + day + "/[A-Za-z0-9_-]+\\.json\\.gz");
        JsonNode stored = object(key);
        assertThat(stored.path("user").asText()).isEqualTo(user);
        assertThat(stored.path("accepted_at").asLong()).isBetween(now - 5, now + 5);
        assertThat(stored.path("sessions")).hasSize(1);
        JsonNode session = stored.path("sessions").get(0);
        assertThat(session.fieldNames()).toIterable().containsExactlyInAnyOrder("url", "start_time", "duration", "tab_id");
        assertThat(session.path("url").asText()).isEqualTo("https://www.mozilla.org/a");
        assertThat(stored.toString()).doesNotContain("secret title", "192.168", "unknown top-level field");
        await().atMost(Duration.ofSeconds(10)).until(() -> queueLength() == 0);
    }

    @Test
    void gzipUploadsAreStored() throws Exception {
        worker("gzip-worker");
        String user = Uploads.newUser();
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
            gzip.write(Uploads.withMarker("gz1"));
        }
        assertThat(upload(user, compressed.toByteArray(), "Content-Encoding", "gzip")).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> storedMarkers(List.of(user)).equals(List.of("gz1")));
    }

    @Test
    void deleteRemovesEverythingOfTheUserAndNothingElse() throws Exception {
        worker("delete-worker");
        String user = Uploads.newUser();
        String neighbour = user.substring(0, 31);
        for (int i = 0; i < 3; i++) {
            assertThat(upload(user, Uploads.withMarker("d" + i))).isEqualTo(200);
        }
        assertThat(upload(neighbour, Uploads.withMarker("n"))).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> keys(user).size() == 3 && keys(neighbour).size() == 1);

        assertThat(delete(user)).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> keys(user).isEmpty());
        assertThat(keys(neighbour)).hasSize(1);

        // Uploads accepted after the delete are a fresh start and are kept.
        assertThat(upload(user, Uploads.withMarker("after"))).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> storedMarkers(List.of(user)).equals(List.of("after")));
    }

    @Test
    void aDeleteWinsOverUploadsQueuedBeforeItWhateverWorkerTakesThem() throws Exception {
        // Queue first, with no worker running, so that two workers race over the whole backlog at once.
        List<String> users = IntStream.range(0, 4).mapToObj(i -> Uploads.newUser()).toList();
        for (String user : users) {
            for (int i = 0; i < 15; i++) {
                assertThat(upload(user, Uploads.withMarker(user + "-" + i))).isEqualTo(200);
            }
            assertThat(delete(user)).isEqualTo(200);
        }
        String survivor = Uploads.newUser();
        assertThat(upload(survivor, Uploads.withMarker("kept"))).isEqualTo(200);
        worker("race-a", "WORKER_CONCURRENCY", "8");
        worker("race-b", "WORKER_CONCURRENCY", "8");

        await().atMost(Duration.ofSeconds(60)).until(() -> queueLength() == 0);
        for (String user : users) {
            assertThat(keys(user)).as("objects left for a deleted user").isEmpty();
        }
        assertThat(storedMarkers(List.of(survivor))).containsExactly("kept");
    }

    @Test
    void aWorkerKilledMidBatchLosesNothingAndDuplicatesNothing() throws Exception {
        List<String> users = IntStream.range(0, 10).mapToObj(i -> Uploads.newUser()).toList();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 300; i++) {
                String marker = "k" + i;
                String user = users.get(i % users.size());
                clients.submit(() -> {
                    if (upload(user, Uploads.withMarker(marker)) == 200) {
                        accepted.add(marker);
                    }
                });
            }
        }
        assertThat(accepted).hasSize(300);

        RoleProcess victim = worker("victim", "WORKER_CONCURRENCY", "32");
        await().atMost(Duration.ofSeconds(60)).until(() -> queueLength() < 280);
        victim.kill();
        long left = queueLength();
        assertThat(left).as("the kill must land in the middle of the batch").isPositive();

        worker("successor");
        await().atMost(Duration.ofSeconds(90)).until(() -> queueLength() == 0);
        s3.removeAbandonedUploads(); // S3Proxy keeps the half-written temp files of the killed worker
        List<String> stored = storedMarkers(users);
        assertThat(new HashSet<>(stored)).isEqualTo(accepted);
        assertThat(stored).as("each accepted upload stored exactly once").hasSize(accepted.size());
    }

    @Test
    void storageOutageDelaysButLosesNothing() throws Exception {
        worker("outage-worker", "QUEUE_MAX_ATTEMPTS", "50");
        String user = Uploads.newUser();
        s3.stop();
        try {
            for (int i = 0; i < 5; i++) {
                assertThat(upload(user, Uploads.withMarker("o" + i))).isEqualTo(200);
            }
            Thread.sleep(4000); // several failed attempts while S3 is away
        } finally {
            s3.start();
        }
        // While retries still run, a task's object can be written again (same key) between the listing and the read,
        // and a listed key was once found missing for that moment (S3Proxy's filesystem store); the final check reads
        // everything again once all five are there.
        await().atMost(Duration.ofSeconds(60)).ignoreExceptionsInstanceOf(NoSuchKeyException.class)
                .until(() -> storedMarkers(List.of(user)).size() == 5);
        assertThat(new HashSet<>(storedMarkers(List.of(user)))).containsExactlyInAnyOrder("o0", "o1", "o2", "o3", "o4");
        assertThat(redis.cli("XLEN", "cg:dead").strip()).isEqualTo("0");
    }

    @Test
    void exhaustedRetriesAreParkedAndCanBeReplayed() throws Exception {
        String user = Uploads.newUser();
        s3.stop();
        try {
            // operations.md: the warning names the task's ID and the dead letter's ID. The task's is its entry in
            // cg:tasks (the newest), read before a worker runs; the dead letter's is its entry in cg:dead.
            assertThat(upload(user, Uploads.withMarker("parked-body-marker"))).isEqualTo(200);
            String taskId = redis.cli("EVAL", "return redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1][1]",
                    "1", "cg:tasks");
            RoleProcess worker = worker("dead-letter-worker", "QUEUE_MAX_ATTEMPTS", "2",
                    "QUEUE_VISIBILITY_TIMEOUT", "1s", "QUEUE_RETRY_DELAY", "100ms");
            await().atMost(Duration.ofSeconds(60)).until(() -> redis.cli("XLEN", "cg:dead").strip().equals("1"));
            String deadId = redis.cli("EVAL", "return redis.call('XRANGE', KEYS[1], '-', '+')[1][1]", "1", "cg:dead");
            assertThat(taskId).isNotEqualTo(deadId).matches("\\d+-\\d+");
            worker.awaitLog(" parked as dead letter ", Duration.ofSeconds(10));
            assertThat(worker.output().lines().filter(line -> line.contains(" parked as dead letter ")))
                    .singleElement().asString()
                    .contains("Task " + taskId + " parked as dead letter " + deadId + " after attempt 2: ")
                    .doesNotContain(user).doesNotContain("parked-body-marker");
        } finally {
            s3.start();
        }
        assertThat(keys(user)).isEmpty();

        try (RoleProcess list = RoleProcess.builder("dead-letters", "list").name("dl-list").redis(redis.port()).start()) {
            assertThat(list.awaitExit(Duration.ofSeconds(60))).isZero();
            assertThat(list.output()).contains("upload", "storage", "1 dead letter(s)").doesNotContain(user);
        }
        try (RoleProcess replay = RoleProcess.builder("dead-letters", "replay", "--all").name("dl-replay")
                .redis(redis.port()).start()) {
            assertThat(replay.awaitExit(Duration.ofSeconds(60))).isZero();
            assertThat(replay.output()).contains("1 dead letter(s) replayed");
        }
        await().atMost(Duration.ofSeconds(60))
                .until(() -> storedMarkers(List.of(user)).equals(List.of("parked-body-marker")));
        assertThat(redis.cli("XLEN", "cg:dead").strip()).isEqualTo("0");
    }

    @Test
    void workerStopsCleanlyOnSigterm() throws Exception {
        RoleProcess worker = worker("sigterm-worker");
        HttpResponse<String> ok = Http.post(web.uri("/v1/upload"), Uploads.newUser(), Uploads.withMarker("t"));
        assertThat(ok.statusCode()).isEqualTo(200);
        worker.terminate(Duration.ofSeconds(30));
        assertThat(worker.output()).contains("worker stopped");
    }
}
