package io.contextgraph.cli;

import io.contextgraph.testing.RoleProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The standalone role with DATA_RETENTION sweeps its data folder at start: old days go, recent ones stay. */
class DataRetentionIT {
    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path cwd;

    @Test
    void theStandaloneRoleRemovesObjectsOlderThanTheRetentionAtStart() throws Exception {
        String user = "retention-user";
        Path userFolder = cwd.resolve("data/v1/sessions/user=" + user);
        Path old = userFolder.resolve("date=2000-01-01/old.json.gz");
        Path recent = userFolder.resolve("date=" + LocalDate.now(ZoneOffset.UTC) + "/recent.json.gz");
        for (Path object : new Path[] {old, recent}) {
            Files.createDirectories(object.getParent());
            Files.write(object, new byte[] {1});
        }
        try (RoleProcess standalone = RoleProcess.builder("standalone").name("standalone-retention").directory(cwd)
                .env("DATA_RETENTION", "270d").start()) {
            standalone.awaitHttp(START);
            await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(old.getParent()));
            assertThat(recent).exists();
            standalone.awaitLog("storage.retention", Duration.ofSeconds(10));
            assertThat(standalone.output()).contains("\"objects\":1").doesNotContain(user);
        }
    }
}
