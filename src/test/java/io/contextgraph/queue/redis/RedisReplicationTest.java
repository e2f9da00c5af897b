package io.contextgraph.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedisReplicationTest {

    @Test
    void readsTheConnectedReplicasFromInfoReplication() {
        assertThat(RedisReplication.parse(
                "# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=10.0.0.1\r\n")).hasValue(2);
        assertThat(RedisReplication.parse("# Replication\r\nrole:master\r\n")).isEmpty();
        assertThat(RedisReplication.parse("connected_slaves:many\n")).isEmpty();
        assertThat(RedisReplication.parse(null)).isEmpty();
    }
}
