package io.contextgraph.cli;

import io.contextgraph.config.ConfigException;
import io.contextgraph.config.Settings;
import io.contextgraph.storage.LocalFolderStore;
import io.contextgraph.storage.ObjectStore;
import io.contextgraph.storage.S3Clients;
import io.contextgraph.storage.S3ObjectStore;
import io.contextgraph.storage.S3Clients.S3Options;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

import java.time.Clock;
import java.time.Duration;

/** Chooses the object store from the settings: the S3 bucket, or the local data folder (standalone). */
final class Stores {
    private static final long PART_SIZE = 8L * 1024 * 1024;

    private Stores() {
    }

    static ObjectStore open(Settings.Storage storage, int concurrency) {
        if (storage.bucket().isEmpty()) {
            LocalFolderStore local = new LocalFolderStore(storage.dataDir().toAbsolutePath(), storage.dataRetention(),
                    Clock.systemUTC());
            local.startRetentionSweeps();
            return local;
        }
        S3Options options = new S3Options(storage.endpoint(), storage.checksumsWhenRequired(), Duration.ofSeconds(30),
                Math.max(50, concurrency * 2));
        return new S3ObjectStore(S3Clients.create(options), storage.bucket().get(), storage.multipartThreshold(), PART_SIZE);
    }

    /**
     * Called before {@link #open}: AWS S3 needs a region, found the way the SDK finds it (AWS_REGION, the aws.region
     * property, the AWS profile, the instance metadata); without one the SDK would fail only when the client is built.
     * An S3_ENDPOINT needs none.
     */
    static void requireRegion(Settings.Storage storage) {
        if (storage.bucket().isEmpty() || storage.endpoint().isPresent()) {
            return;
        }
        try {
            new DefaultAwsRegionProviderChain().getRegion();
        } catch (SdkClientException e) {
            throw new ConfigException("AWS_REGION", "is required for S3_BUCKET on AWS (no region in AWS_REGION, "
                    + "an AWS profile or the instance metadata); set it, e.g. AWS_REGION=eu-west-1, or set S3_ENDPOINT");
        }
    }
}
