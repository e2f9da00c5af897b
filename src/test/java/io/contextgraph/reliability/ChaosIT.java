package io.contextgraph.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Faults under load, with real processes: two web roles and workers on a private Redis, S3Proxy with its on-disk
 * backend. While clients upload, a worker is SIGKILLed (and replaced), S3 is down for several seconds, and one web
 * role gets SIGTERM. Afterwards every upload answered 200 is in S3 exactly once.
 */
class ChaosIT {
    private static final String BUCKET = "cg-chaos";
    private static final int CLIENTS = 4;
    private static final Duration PACE = Duration.ofMillis(40);

    /** What one upload attempt got: a status, or the failure of the connection. */
    private record Attempt(String marker, int web, int status, String failure, long sentNanos) {
    }

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T closeable) {
        running.add(closeable);
        return closeable;
    }

    private RoleProcess worker(RedisServer redis, S3ProxyServer s3, String name) throws Exception {
        return keep(RoleProcess.builder("worker").name(name).redis(redis.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                .env("WORKER_CONCURRENCY", "4").env("QUEUE_VISIBILITY_TIMEOUT", "3s")
                .env("QUEUE_RETRY_DELAY", "200ms").env("QUEUE_MAX_ATTEMPTS", "30")
                .start().awaitLog("worker started", Duration.ofSeconds(60)));
    }

    private RoleProcess web(RedisServer redis, String name) throws Exception {
        return keep(RoleProcess.builder("web").name(name).redis(redis.port()).env("SHUTDOWN_GRACE", "5s")
                .start().awaitHttp(Duration.ofSeconds(60)));
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyAcceptedUploadIsStoredExactlyOnceWhateverCrashes() throws Exception {
        RedisServer redis = keep(new RedisServer());
        S3ProxyServer s3 = keep(S3ProxyServer.startFilesystem());
        s3.createBucket(BUCKET);
        List<RoleProcess> webs = List.of(web(redis, "chaos-web-1"), web(redis, "chaos-web-2"));
        RoleProcess doomedWorker = worker(redis, s3, "chaos-worker-1");
        worker(redis, s3, "chaos-worker-2");

        ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
        AtomicBoolean loading = new AtomicBoolean(true);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        ExecutorService load = Executors.newFixedThreadPool(CLIENTS);
        for (int c = 0; c < CLIENTS; c++) {
            int clientNo = c;
            load.submit(() -> upload(client, webs, clientNo, loading, attempts));
        }

        Thread.sleep(3_000);
        doomedWorker.kill();
        worker(redis, s3, "chaos-worker-3");

        s3.stop();
        Thread.sleep(5_000);
        s3.start();

        Thread.sleep(2_000);
        long terminatedAt = System.nanoTime();
        assertThat(webs.get(1).terminate(Duration.ofSeconds(30))).as("web exit status after SIGTERM")
                .isEqualTo(GracefulShutdownIT.STOPPED_BY_SIGTERM);
        Thread.sleep(3_000);

        loading.set(false);
        load.shutdown();
        assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
                .until(() -> "0".equals(redis.cli("XLEN", "cg:tasks").strip()));

        List<Attempt> all = List.copyOf(attempts);
        List<Attempt> accepted = all.stream().filter(a -> a.status() == 200).toList();
        List<Attempt> unexpected = all.stream().filter(a -> a.status() != 200 && a.status() != 503)
                .filter(a -> !(a.failure() != null && a.web() == 1 && a.sentNanos() >= terminatedAt - 1_000_000_000L))
                .toList();
        System.out.printf("chaos: %d attempts, %d accepted, %d answered 503, %d connection failures%n", all.size(),
                accepted.size(), all.stream().filter(a -> a.status() == 503).count(),
                all.stream().filter(a -> a.failure() != null).count());
        assertThat(accepted.size()).as("the load got through").isGreaterThan(100);
        assertThat(unexpected).as("only 503s or refusals from the stopped web role").isEmpty();
        assertThat(redis.cli("XLEN", "cg:dead").strip()).as("nothing parked as a dead letter").isEqualTo("0");

        s3.removeAbandonedUploads();
        Map<String, Integer> stored = storedMarkerCounts(s3);
        List<String> notExactlyOnce = accepted.stream().map(Attempt::marker)
                .filter(marker -> stored.getOrDefault(marker, 0) != 1).toList();
        assertThat(notExactlyOnce).as("accepted uploads not stored exactly once").isEmpty();
        assertThat(stored.values()).as("no upload stored twice").allMatch(count -> count == 1);
    }

    private static void upload(HttpClient client, List<RoleProcess> webs, int clientNo, AtomicBoolean loading,
                               ConcurrentLinkedQueue<Attempt> attempts) {
        String user = Uploads.newUser();
        int n = 0;
        while (loading.get()) {
            int web = (clientNo + n) % webs.size();
            String marker = "c" + clientNo + "n" + n++;
            long sent = System.nanoTime();
            try {
                HttpResponse<Void> res = client.send(HttpRequest.newBuilder(webs.get(web).uri("/v1/upload"))
                        .header("X-User", user).timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Uploads.withMarker(marker))).build(),
                        HttpResponse.BodyHandlers.discarding());
                attempts.add(new Attempt(marker, web, res.statusCode(), null, sent));
            } catch (IOException e) {
                attempts.add(new Attempt(marker, web, 0, e.getClass().getSimpleName(), sent));
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(PACE);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Marker → how many stored sessions carry it, over every object in the bucket. */
    private static Map<String, Integer> storedMarkerCounts(S3ProxyServer s3) {
        Map<String, Integer> counts = new HashMap<>();
        for (String key : s3.listKeys(BUCKET, "v1/sessions/")) {
            for (JsonNode session : s3.storedDocument(BUCKET, key).path("sessions")) {
                String url = session.path("url").asText();
                counts.merge(url.substring(url.indexOf("?m=") + 3), 1, Integer::sum);
            }
        }
        return counts;
    }
}
