package io.contextgraph.storage;

/** Whether a store keeps earlier versions of its objects, as S3's GetBucketVersioning tells. */
public enum BucketVersioning {
    ENABLED("Enabled"),
    /** New writes replace the current version, but versions made while enabled are still kept. */
    SUSPENDED("Suspended"),
    UNVERSIONED("unversioned");

    private final String label;

    BucketVersioning(String label) {
        this.label = label;
    }

    /** For logs: S3's own word for the state ({@code Enabled}, {@code Suspended}), or {@code unversioned}. */
    public String label() {
        return label;
    }

    /**
     * Whether objects may have versions or delete markers besides their current version. A bucket
     * that was ever versioned stays so: S3 can suspend versioning but never turn it off.
     */
    public boolean mayHoldVersions() {
        return this != UNVERSIONED;
    }
}
