package io.contextgraph.storage;

/**
 * What removing a user's objects took away.
 *
 * @param objects  distinct keys removed
 * @param versions non-current versions and delete markers removed (0 on an unversioned bucket)
 */
public record Removal(long objects, long versions) {

    /** Nothing removed. */
    public static final Removal NONE = new Removal(0, 0);

    public Removal {
        if (objects < 0 || versions < 0) {
            throw new IllegalArgumentException("counts must not be negative");
        }
    }
}
