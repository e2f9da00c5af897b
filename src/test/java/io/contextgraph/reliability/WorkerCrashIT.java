package io.contextgraph.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.queue.redis.RedisSettings;
import io.contextgraph.testing.BlackHole;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A worker SIGKILLed with tasks in flight, under the default settings (no {@code QUEUE_VISIBILITY_TIMEOUT} given): a
 * second worker stores every one of them within about the visibility timeout, not minutes later. The doomed worker's
 * S3 endpoint accepts connections and never answers, so its tasks are certainly mid-PUT when it dies and only the
 * second worker can store them.
 */
class WorkerCrashIT {
    private static final String BUCKET = "cg-crash";
    private static final int TASKS = 8;
    private static final Duration DEFAULT_VISIBILITY = QueueSettings.defaults().visibilityTimeout();

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

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aKilledWorkersTasksAreStoredByAnotherWithinAboutTheVisibilityTimeout() throws Exception {
        RedisServer redis = keep(new RedisServer());
        S3ProxyServer s3 = keep(S3ProxyServer.startTransient());
        s3.createBucket(BUCKET);
        BlackHole hole = keep(new BlackHole());
        RoleProcess doomed = keep(RoleProcess.builder("worker").name("crash-doomed-worker").redis(redis.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", "http://127.0.0.1:" + hole.port())
                .start().awaitLog("worker started", Duration.ofSeconds(60)));

        RedisLink link = keep(new RedisLink(RedisSettings.of("127.0.0.1", redis.port())));
        link.start();
        TaskQueue queue = new TaskQueue(link, QueueSettings.defaults());
        List<String> users = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
            String user = Uploads.newUser();
            queue.enqueueUpload(user, Uploads.withMarker("crash-" + i));
            users.add(user);
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> pendingCount(redis) == TASKS);
        String doomedConsumer = owners(redis).get(0);
        assertThat(owners(redis)).as("all tasks in flight in the doomed worker").containsOnly(doomedConsumer)
                .hasSize(TASKS);

        keep(RoleProcess.builder("worker").name("crash-survivor-worker").redis(redis.port())
                .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                .start().awaitLog("worker started", Duration.ofSeconds(60)));
        assertThat(owners(redis)).as("a live worker's tasks are not taken over").containsOnly(doomedConsumer);
        long killedAt = System.nanoTime();
        doomed.kill();

        await().atMost(DEFAULT_VISIBILITY.multipliedBy(3)).pollInterval(Duration.ofMillis(250))
                .until(() -> users.stream()
                        .allMatch(u -> s3.listKeys(BUCKET, "v1/sessions/user=" + u + "/").size() == 1));
        System.out.printf("worker crash: %d tasks stored by the other worker %.1f s after the SIGKILL "
                + "(visibility timeout %s)%n", TASKS, (System.nanoTime() - killedAt) / 1e9, DEFAULT_VISIBILITY);
        await().atMost(Duration.ofSeconds(10)).until(() -> "0".equals(redis.cli("XLEN", "cg:tasks")));
    }

    private static int pendingCount(RedisServer redis) {
        String first = redis.cli("XPENDING", "cg:tasks", "workers").split("\n")[0].strip();
        return first.matches("\\d+") ? Integer.parseInt(first) : 0;
    }

    /** The consumer of each pending entry. */
    private static List<String> owners(RedisServer redis) {
        String[] lines = redis.cli("XPENDING", "cg:tasks", "workers", "-", "+", "100").split("\n");
        List<String> owners = new ArrayList<>();
        for (int i = 1; i < lines.length; i += 4) {
            owners.add(lines[i].strip());
        }
        return owners;
    }
}
