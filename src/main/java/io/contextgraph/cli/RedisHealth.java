package io.contextgraph.cli;

import io.contextgraph.queue.redis.RedisLink;
import io.contextgraph.web.HealthCheck;

/** Lets {@code /__heartbeat__} ask Redis for a real round trip. */
record RedisHealth(RedisLink redis) implements HealthCheck {
    @Override
    public String name() {
        return "redis";
    }

    @Override
    public boolean healthy() {
        return redis.ping();
    }

    @Override
    public String lastProblem() {
        return redis.lastError().orElse("no answer from Redis");
    }
}
