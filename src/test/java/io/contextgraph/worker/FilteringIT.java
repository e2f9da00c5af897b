package io.contextgraph.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.StatsdSink;
import io.contextgraph.testing.Uploads;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import software.amazon.awssdk.services.s3.model.S3Exception;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker's filtering as seen from outside: what is stored, and the counters it sends to a real
 * UDP StatsD sink, with a {@code BLOCKLIST_FILE} that replaces the bundled list. Real web and worker
 * processes, a private Redis, S3Proxy.
 */
class FilteringIT {
    private static final String BUCKET = "cg-filtering";
    private static final Duration WAIT = Duration.ofSeconds(30);
    // Polls of the bucket ignore S3Exception: S3Proxy's in-memory store once answered a listing made while the
    // worker was writing with a bare 400; the poll simply asks again, and the assertions after it still hold.
    /** On the bundled list; the test's BLOCKLIST_FILE does not name it, so it must be kept. */
    private static final String BUNDLED_BLOCKED = "tinder.com";
    private static final String FILE_BLOCKED = "blocked-by-test.org";

    private static RedisServer redis;
    private static S3ProxyServer s3;
    private static StatsdSink statsd;
    private static RoleProcess web;
    private static RoleProcess worker;
    private static Path blocklist;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisServer();
        s3 = S3ProxyServer.startTransient();
        s3.createBucket(BUCKET);
        statsd = new StatsdSink();
        Path dir = Files.createDirectories(Path.of(System.getProperty("cg.basedir", "."), "target", "it-blocklists"));
        blocklist = Files.writeString(dir.resolve("filtering-it.txt"),
                "# test list: replaces the bundled one\n" + FILE_BLOCKED + "\n\nEXAMPLE-BLOCKED.net.\n");
        web = RoleProcess.builder("web").name("filtering-web").redis(redis.port()).start()
                .awaitHttp(Duration.ofSeconds(60));
        worker = worker("filtering-worker", blocklist.toString()).awaitLog("worker started", Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable part : new AutoCloseable[] {worker, web, statsd, s3, redis}) {
            if (part != null) {
                part.close();
            }
        }
    }

    @AfterEach
    void neverAZeroIncrement() {
        assertThat(statsd.lines()).noneMatch(line -> line.matches("^[^:]+:-?0+(\\.0+)?\\|c.*"));
    }

    private static RoleProcess worker(String name, String blocklistFile) throws IOException {
        return RoleProcess.builder("worker").name(name).redis(redis.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                .env("BLOCKLIST_FILE", blocklistFile)
                .env("STATSD_HOST", statsd.host()).env("STATSD_PORT", Integer.toString(statsd.port()))
                .env("QUEUE_VISIBILITY_TIMEOUT", "3s").env("QUEUE_RETRY_DELAY", "200ms")
                .start();
    }

    @Test
    void keptAndDroppedSessionsAreStoredAndCounted() {
        String user = Uploads.newUser();
        long now = Instant.now().getEpochSecond();
        String document = "{\"sessions\":["
                + session("https://www.mozilla.org/en-US/?m=kept", now) + ","
                + session("https://" + BUNDLED_BLOCKED + "/app", now) + ","
                + "{\"url\":\"https://www.example.com/b\",\"start_time\":" + now + ",\"title\":\"secret\"},"
                + session("http://127.0.0.1/x", now) + ","
                + session("http://127.0.0.1/x", now) + ","
                + session("https://www." + FILE_BLOCKED + "/page", now) + ","
                + session("https://shop.example-blocked.net/", now) + ","
                + session("https://www.mozilla.org/old", now - Duration.ofDays(15).toSeconds()) + ","
                + "\"not a session\""
                + "],\"client\":\"dropped too\"}";
        int from = statsd.lines().size();

        assertThat(upload(user, document)).isEqualTo(200);

        await().atMost(WAIT).until(() -> linesSince(from).contains("data.user.new:1|c"));
        assertThat(linesSince(from)).contains(
                "data.session.new:3|c", "data.session.drop:6|c", "data.url.drop:4|c", "data.user.new:1|c");
        assertThat(storedUrls(user)).containsExactly("https://www.mozilla.org/en-US/?m=kept",
                "https://" + BUNDLED_BLOCKED + "/app", "https://www.example.com/b");
    }

    @Test
    void onlyTheFirstUploadOfAUserCountsANewUser() {
        String returning = Uploads.newUser();
        String newcomer = Uploads.newUser();
        int from = statsd.lines().size();
        assertThat(upload(returning, new String(Uploads.withMarker("first"), StandardCharsets.UTF_8))).isEqualTo(200);
        await().atMost(WAIT).until(() -> linesSince(from).contains("data.user.new:1|c"));
        int second = statsd.lines().size();

        assertThat(upload(returning, new String(Uploads.withMarker("second"), StandardCharsets.UTF_8))).isEqualTo(200);
        await().atMost(WAIT).ignoreExceptionsInstanceOf(S3Exception.class)
                .until(() -> s3.listKeys(BUCKET, "v1/sessions/user=" + returning + "/").size() == 2);
        assertThat(upload(newcomer, new String(Uploads.withMarker("newcomer"), StandardCharsets.UTF_8))).isEqualTo(200);
        await().atMost(WAIT).until(() -> linesSince(second).contains("data.user.new:1|c"));

        // Both later uploads stored a session, but only the newcomer's counted a new user.
        assertThat(linesSince(second)).filteredOn("data.session.new:1|c"::equals).hasSize(2);
        assertThat(linesSince(second)).filteredOn(line -> line.startsWith("data.user.new")).hasSize(1);
    }

    @Test
    void anUploadWithNoValidSessionStoresNothingAndCountsAValidationError() {
        String user = Uploads.newUser();
        long now = Instant.now().getEpochSecond();
        int from = statsd.lines().size();

        assertThat(upload(user, "{\"sessions\":[" + session("http://localhost/", now) + ","
                + session("https://www.mozilla.org/future", now + Duration.ofDays(2).toSeconds()) + "]}")).isEqualTo(200);
        assertThat(upload(user, "{\"sessions\":\"not a list\"}")).isEqualTo(200);

        await().atMost(WAIT).until(() -> linesSince(from).stream()
                .filter("data.upload.error:1|c|#reason:validation"::equals).count() == 2);
        assertThat(linesSince(from)).contains("data.session.drop:2|c", "data.url.drop:2|c")
                .noneMatch(line -> line.startsWith("data.session.new") || line.startsWith("data.user.new"));
        assertThat(s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/")).isEmpty();
    }

    @Test
    void aBodyTheWorkerCouldNotParseIsRefusedByTheWebAndQueuesNothing() {
        String user = Uploads.newUser();

        // Duplicate keys: the one definition of a document (document/UploadDocument) refuses them in both roles.
        HttpResponse<String> answer = Http.post(web.uri("/v1/upload"), user,
                "{\"sessions\":[],\"sessions\":[]}".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains("duplicate key");
        assertThat(redis.cli("XRANGE", "cg:tasks", "-", "+")).doesNotContain(user);
    }

    @Test
    void startTimesAreJudgedAgainstTheAcceptanceTimeNotTheWorkersClock() {
        // A task accepted 20 days ago (a backlog, a replayed dead letter): its sessions of then are valid, a session
        // of today was more than a day in the future when it was accepted.
        String user = Uploads.newUser();
        Instant accepted = Instant.now().minus(Duration.ofDays(20));
        long then = accepted.getEpochSecond() - 3600;
        String document = "{\"sessions\":[" + session("https://www.mozilla.org/then", then) + ","
                + session("https://www.mozilla.org/today", Instant.now().getEpochSecond()) + "]}";

        redis.cli("XADD", "cg:tasks", "*", "type", "upload", "user", user, "upload_id", "acceptance-window-it",
                "accepted", Long.toString(accepted.toEpochMilli()), "body", document);

        assertThat(storedUrls(user)).containsExactly("https://www.mozilla.org/then");
    }

    @Test
    void theKeysDayIsTheDayTheUploadWasAcceptedNotTheVisitDayNorTheWorkersDay() {
        // docs/data.md: date= is the UTC day of accepted_at. Accepted 20 days ago, its one session visited two days
        // before that: three different days, so a key built from start_time or the worker's clock names another one.
        String user = Uploads.newUser();
        Instant accepted = Instant.now().minus(Duration.ofDays(20));
        long visited = accepted.minus(Duration.ofDays(2)).getEpochSecond();

        redis.cli("XADD", "cg:tasks", "*", "type", "upload", "user", user, "upload_id", "acceptance-day-it",
                "accepted", Long.toString(accepted.toEpochMilli()),
                "body", "{\"sessions\":[" + session("https://www.mozilla.org/visited", visited) + "]}");

        assertThat(storedUrls(user)).containsExactly("https://www.mozilla.org/visited");
        assertThat(s3.listKeys(BUCKET, "v1/sessions/user=" + user + "/")).containsExactly("v1/sessions/user=" + user
                + "/date=" + LocalDate.ofInstant(accepted, ZoneOffset.UTC) + "/acceptance-day-it.json.gz");
    }

    @Test
    void aMissingBlocklistFileStopsTheWorkerNamingTheVariable() throws Exception {
        try (RoleProcess refused = worker("filtering-no-list", blocklist.resolveSibling("missing.txt").toString())) {
            assertThat(refused.awaitExit(Duration.ofSeconds(60))).isNotZero();
            assertThat(refused.output()).contains("BLOCKLIST_FILE: no such file").doesNotContain("worker started");
        }
    }

    @Test
    void aBlocklistWithAWholeSuffixStopsTheWorkerNamingTheVariable() throws Exception {
        Path bad = Files.writeString(blocklist.resolveSibling("suffix.txt"), "example.org\nco.uk\n");
        try (RoleProcess refused = worker("filtering-bad-list", bad.toString())) {
            assertThat(refused.awaitExit(Duration.ofSeconds(60))).isNotZero();
            assertThat(refused.output()).contains("BLOCKLIST_FILE").contains("co.uk").doesNotContain("worker started");
        }
    }

    private static String session(String url, long startTime) {
        return "{\"url\":\"" + url + "\",\"start_time\":" + startTime + ",\"duration\":1000,\"tab_id\":\"-1-2\"}";
    }

    private static int upload(String user, String body) {
        return Http.post(web.uri("/v1/upload"), user, body.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json").statusCode();
    }

    private static List<String> linesSince(int from) {
        List<String> lines = statsd.lines();
        return lines.subList(from, lines.size());
    }

    private static List<String> storedUrls(String user) {
        String prefix = "v1/sessions/user=" + user + "/";
        await().atMost(WAIT).ignoreExceptionsInstanceOf(S3Exception.class)
                .until(() -> !s3.listKeys(BUCKET, prefix).isEmpty());
        List<String> urls = new ArrayList<>();
        for (String key : s3.listKeys(BUCKET, prefix)) {
            JsonNode stored = s3.storedDocument(BUCKET, key);
            assertThat(stored.toString()).doesNotContain("secret", "dropped too");
            stored.path("sessions").forEach(session -> urls.add(session.path("url").asText()));
        }
        return urls;
    }
}
