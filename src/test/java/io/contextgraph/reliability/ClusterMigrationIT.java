package io.contextgraph.reliability;

import static io.contextgraph.reliability.ClusterBed.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The switch of a running single-node deployment to cluster mode, step by step as docs/deploy.md "Moving a running
 * deployment to cluster mode" writes it: intake stopped, the old node drained by its workers until
 * {@code dead-letters list} shows nothing waiting, then every role restarted in cluster mode. Nothing queued on the
 * old node is lost, a delete accepted there is done there, and a delete accepted by the cluster removes what the user
 * donated before the switch.
 */
class ClusterMigrationIT {
    private ClusterBed bed;
    private RedisServer old;

    @RegisterExtension
    final AfterEachCallback closeAll = context -> {
        if (bed != null) {
            if (context.getExecutionException().isPresent()) {
                System.out.println(bed.describe());
            }
            bed.close();
        }
        if (old != null) {
            old.close();
        }
    };

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void theDocumentedDrainMovesADeploymentToClusterModeLosingNothingAndForgettingExactly() throws Exception {
        bed = new ClusterBed(3, 0);
        old = new RedisServer();

        // Before: a single-node deployment whose workers are behind, so that work is queued at the switch.
        RoleProcess oldWeb = onOldNode(bed.role("web", "migration-old-web")).start().awaitHttp(WAIT);
        List<String> donors = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String user = Uploads.newUser();
            assertThat(upload(oldWeb, user, "before")).isEqualTo(200);
            donors.add(user);
        }
        String forgottenBefore = donors.remove(0);
        assertThat(delete(oldWeb, forgottenBefore)).isEqualTo(200);
        assertThat(old.cli("XLEN", "cg:tasks")).isEqualTo("12");

        // Step 2: intake stopped. Step 3: the old node's workers drain it; dead-letters list says when.
        oldWeb.terminate(Duration.ofSeconds(30));
        RoleProcess oldWorker = bed.keep(onOldNode(bed.role("worker", "migration-old-worker")).start())
                .awaitLog("worker started", WAIT);
        await("dead-letters list shows the old node drained").atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                .until(() -> drained(deadLettersList()));
        oldWorker.terminate(Duration.ofSeconds(30));
        assertThat(bed.storedKeys(forgottenBefore)).as("the delete accepted before the switch was done").isEmpty();
        for (String user : donors) {
            assertThat(bed.markers(user)).as("an upload queued at the switch").containsExactly("before");
        }

        // Step 4: every role in cluster mode.
        RoleProcess web = bed.web("migration-web");
        bed.worker("migration-worker");
        String forgottenAfter = donors.get(0);
        String donatingAgain = donors.get(1);
        assertThat(delete(web, forgottenAfter)).isEqualTo(200);
        assertThat(upload(web, donatingAgain, "after")).isEqualTo(200);
        List<String> newcomers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String user = Uploads.newUser();
            assertThat(upload(web, user, "after")).isEqualTo(200);
            newcomers.add(user);
        }

        await("the cluster's work done").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> bed.totalLength("tasks") == 0 && bed.totalLength("deletes") == 0
                        && bed.storedKeys(forgottenAfter).isEmpty() && bed.markers(donatingAgain).size() == 2
                        && bed.notStoredOnce(newcomers).isEmpty());
        assertThat(bed.storedKeys(forgottenAfter)).as("a cluster delete removes what was stored before the switch")
                .isEmpty();
        assertThat(bed.markers(donatingAgain)).containsExactlyInAnyOrder("before", "after");
        for (String user : donors.subList(2, donors.size())) {
            assertThat(bed.markers(user)).containsExactly("before");
        }
        assertThat(bed.notStoredOnce(newcomers)).isEmpty();
        assertThat(bed.storedKeys(forgottenBefore)).isEmpty();
        assertThat(bed.totalLength("dead")).isZero();
    }

    /** A role of the deployment before the switch: the same bucket, one Redis node, no cluster. */
    private RoleProcess.Builder onOldNode(RoleProcess.Builder role) {
        return role.redis(old.port()).unset("REDIS_CLUSTER").unset("QUEUE_SHARDS");
    }

    private String deadLettersList() throws Exception {
        try (RoleProcess list = onOldNode(RoleProcess.builder("dead-letters", "list").name("migration-dead-letters"))
                .start()) {
            assertThat(list.awaitExit(Duration.ofSeconds(60))).isZero();
            return list.output();
        }
    }

    private static boolean drained(String listing) {
        return listing.contains("uploads waiting: 0") && listing.contains("deletes waiting: 0")
                && listing.contains("parked deletes: 0");
    }

    private static int upload(RoleProcess web, String user, String marker) {
        return Http.post(web.uri("/v1/upload"), user, Uploads.withMarker(marker)).statusCode();
    }

    private static int delete(RoleProcess web, String user) {
        return Http.post(web.uri("/v1/delete"), user, new byte[0]).statusCode();
    }
}
