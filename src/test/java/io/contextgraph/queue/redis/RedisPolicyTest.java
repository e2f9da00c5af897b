package io.contextgraph.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedisPolicyTest {
    private static final String INFO = "# Memory\r\nused_memory:1000\r\nmaxmemory:0\r\nmaxmemory_human:0B\r\n"
            + "maxmemory_policy:%s\r\nallocator_frag_ratio:1.0\r\n";

    @Test
    void readsThePolicyFromInfoMemory() {
        assertThat(RedisPolicy.parse(INFO.formatted("allkeys-lru"))).contains(new RedisPolicy("allkeys-lru"));
        assertThat(RedisPolicy.parse(INFO.formatted("noeviction").replace("\r\n", "\n")))
                .contains(new RedisPolicy("noeviction"));
    }

    @Test
    void onlyNoEvictionKeepsQueuedWork() {
        assertThat(new RedisPolicy("noeviction").mayEvictQueuedWork()).isFalse();
        for (String policy : new String[] {"allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu",
                "allkeys-random", "volatile-random", "volatile-ttl"}) {
            assertThat(new RedisPolicy(policy).mayEvictQueuedWork()).as(policy).isTrue();
        }
    }

    @Test
    void aMissingFieldIsUnknownNotSafe() {
        assertThat(RedisPolicy.parse("# Memory\r\nused_memory:1\r\n")).isEmpty();
        assertThat(RedisPolicy.parse("maxmemory_policy:\r\n")).isEmpty();
        assertThat(RedisPolicy.parse(null)).isEmpty();
    }
}
