package io.contextgraph.config;

/** The ways the one artifact can run; decides which settings are required. */
public enum Role {
    WEB, WORKER, STANDALONE,
    /** Operator tools (dead letters): need only Redis. */
    ADMIN
}
