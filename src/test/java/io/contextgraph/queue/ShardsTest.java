package io.contextgraph.queue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShardsTest {

    @Test
    void aUsersShardIsTheCrc32OfItsTokenModuloTheCount() {
        Shards sixteen = Shards.of(16, true);
        // Pinned values: the rule must never change, or queued work and forget markers are looked for elsewhere.
        assertThat(sixteen.of("user-a")).isEqualTo(crcMod("user-a", 16));
        assertThat(new CRC32Value("123456789").value()).isEqualTo(0xCBF43926L); // the CRC-32 check value
        assertThat(Shards.of(1024, true).of("123456789")).isEqualTo((int) (0xCBF43926L % 1024));
        assertThat(Shards.of(16, true).of("123456789")).isEqualTo((int) (0xCBF43926L % 16));
        assertThat(Shards.of(16, false).of("123456789")).isEqualTo(6);
        assertThat(Shards.single().of("anyone")).isZero();
    }

    @Test
    void manyUsersSpreadOverEveryShard() {
        Shards four = Shards.of(4, false);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            int shard = four.of("user-" + i);
            assertThat(shard).isBetween(0, 3);
            seen.add(shard);
        }
        assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3);
    }

    @Test
    void oneShardOnASingleRedisKeepsTheUnshardedKeyNames() {
        QueueSettings settings = QueueSettings.defaults();
        QueueKeys keys = settings.keys(0);
        assertThat(QueueKeys.text(keys.tasks())).isEqualTo("cg:tasks");
        assertThat(QueueKeys.text(keys.deletes())).isEqualTo("cg:deletes");
        assertThat(QueueKeys.text(keys.order())).isEqualTo("cg:order");
        assertThat(QueueKeys.text(keys.forget("u"))).isEqualTo("cg:forget:u");
        assertThat(keys.dedupPrefix()).isEqualTo("cg:dedup:");
        assertThat(QueueKeys.text(keys.dead())).isEqualTo("cg:dead");
        assertThat(QueueKeys.text(keys.deadIndex("u"))).isEqualTo("cg:dead:user:u");
        assertThat(QueueKeys.text(keys.stats())).isEqualTo("cg:stats");
        assertThat(QueueKeys.text(keys.contributors())).isEqualTo("cg:stats:contributors");
        assertThat(settings.shardMaxLength()).isEqualTo(100_000);
    }

    @Test
    void everyKeyOfAShardCarriesItsHashTag() {
        QueueSettings settings = QueueSettings.defaults().withShards(Shards.of(16, true));
        QueueKeys keys = settings.keys(7);
        assertThat(QueueKeys.text(keys.tasks())).isEqualTo("cg:{7}:tasks");
        assertThat(QueueKeys.text(keys.deletes())).isEqualTo("cg:{7}:deletes");
        assertThat(QueueKeys.text(keys.order())).isEqualTo("cg:{7}:order");
        assertThat(QueueKeys.text(keys.forget("u"))).isEqualTo("cg:{7}:forget:u");
        assertThat(keys.dedupPrefix()).isEqualTo("cg:{7}:dedup:");
        assertThat(QueueKeys.text(keys.dead())).isEqualTo("cg:{7}:dead");
        assertThat(QueueKeys.text(keys.deadIndex("u"))).isEqualTo("cg:{7}:dead:user:u");
        assertThat(QueueKeys.text(keys.stats())).isEqualTo("cg:{7}:stats");
        assertThat(QueueKeys.text(keys.storedContributors())).isEqualTo("cg:{7}:stats:stored_contributors");
    }

    @Test
    void oneShardInClusterModeIsTaggedToo() {
        QueueSettings settings = QueueSettings.defaults().withShards(Shards.of(1, true));
        assertThat(QueueKeys.text(settings.keys(0).tasks())).isEqualTo("cg:{0}:tasks");
    }

    @Test
    void theCapIsSplitEvenlyRoundingUp() {
        QueueSettings settings = new QueueSettings("cg:", 10, Duration.ofSeconds(30), 5, Duration.ofSeconds(1),
                Duration.ofDays(30)).withShards(Shards.of(4, false));
        assertThat(settings.shardMaxLength()).isEqualTo(3);
        assertThat(Shards.of(3, true).share(100_000)).isEqualTo(33_334);
    }

    @Test
    void deadLetterIdsNameTheirShardOnlyWhenThereAreSeveral() {
        assertThat(Shards.single().label(0, "1-0")).isEqualTo("1-0");
        assertThat(Shards.of(4, false).label(3, "1-0")).isEqualTo("3/1-0");
    }

    @Test
    void refusesImpossibleCounts() {
        assertThatThrownBy(() -> Shards.of(0, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Shards.of(1025, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Shards(2, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Shards.of(4, true).prefix("cg:", 4)).isInstanceOf(IllegalArgumentException.class);
    }

    private static int crcMod(String user, int count) {
        return (int) (new CRC32Value(user).value() % count);
    }

    private record CRC32Value(String text) {
        long value() {
            CRC32 crc = new CRC32();
            crc.update(text.getBytes(StandardCharsets.UTF_8));
            return crc.getValue();
        }
    }
}
