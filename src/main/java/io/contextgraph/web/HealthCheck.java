package io.contextgraph.web;

/** A dependency that {@code /__heartbeat__} asks, such as Redis. */
public interface HealthCheck {
    /** A short name used as the key in the heartbeat's {@code checks}. */
    String name();

    /** True when the dependency answered a real round trip just now; never throws. */
    boolean healthy();

    /** A short, non-personal description of the last problem, for the heartbeat's {@code details}. */
    String lastProblem();
}
