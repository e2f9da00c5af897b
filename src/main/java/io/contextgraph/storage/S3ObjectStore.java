package io.contextgraph.storage;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeleteMarkerEntry;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetBucketVersioningResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * The {@link ObjectStore} of the worker: one S3 bucket, written with PutObject or, for large objects,
 * a multipart upload.
 *
 * <p>Owns its {@link S3Client}: {@link #close()} closes it.
 */
public final class S3ObjectStore implements ObjectStore {

    private static final Logger LOG = LoggerFactory.getLogger(S3ObjectStore.class);

    private static final long MIB = 1024 * 1024;
    /** S3's smallest part, except the last one. */
    public static final long MIN_PART_SIZE = 5 * MIB;
    public static final long DEFAULT_MULTIPART_THRESHOLD = 8 * MIB;
    public static final long DEFAULT_PART_SIZE = 8 * MIB;
    /** S3 answers at most 1000 keys or uploads per listing page, and deletes at most 1000 keys per request. */
    static final int MAX_PAGE_SIZE = 1000;
    private static final int MAX_PARTS = 10_000;
    /** Bounds a versioned delete when a store keeps listing what it was told to delete. */
    private static final int MAX_VERSION_PASSES = 100;

    private static final String CONTENT_TYPE = "application/json";
    private static final String CONTENT_ENCODING = "gzip";
    private static final int HTTP_NOT_FOUND = 404;
    private static final int HTTP_NOT_IMPLEMENTED = 501;

    private final S3Client client;
    private final String bucket;
    private final long multipartThreshold;
    private final long partSize;
    private final int listPageSize;
    private final int deleteBatchSize;
    private volatile boolean bulkDeleteSupported = true;
    /** What GetBucketVersioning last answered; null until asked. */
    private volatile BucketVersioning lastSeenVersioning;
    /** False once the store answered GetBucketVersioning with 501: it has no versions to remove. */
    private volatile boolean versioningImplemented = true;
    private volatile boolean versioningDenialReported;

    /** A store with the default multipart threshold and part size (8 MiB each). */
    public S3ObjectStore(S3Client client, String bucket) {
        this(client, bucket, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE);
    }

    /**
     * @param multipartThreshold objects of at least this many bytes go up as a multipart upload
     * @param partSize           size of each part but the last; at least {@link #MIN_PART_SIZE}
     */
    public S3ObjectStore(S3Client client, String bucket, long multipartThreshold, long partSize) {
        this(client, bucket, multipartThreshold, partSize, MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    }

    /**
     * Smaller object listing pages and delete batches let tests exercise paging without thousands of
     * objects. (Unfinished uploads are always listed in S3's own pages of 1000.)
     */
    S3ObjectStore(S3Client client, String bucket, long multipartThreshold, long partSize,
                  int listPageSize, int deleteBatchSize) {
        this.client = Objects.requireNonNull(client, "client");
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("bucket name is empty");
        }
        if (multipartThreshold < 1) {
            throw new IllegalArgumentException("multipart threshold must be positive");
        }
        if (partSize < MIN_PART_SIZE || partSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("part size must be from 5 MiB to 2 GiB");
        }
        if (listPageSize < 1 || listPageSize > MAX_PAGE_SIZE || deleteBatchSize < 1 || deleteBatchSize > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("page and batch sizes must be from 1 to " + MAX_PAGE_SIZE);
        }
        this.bucket = bucket;
        this.multipartThreshold = multipartThreshold;
        this.partSize = partSize;
        this.listPageSize = listPageSize;
        this.deleteBatchSize = deleteBatchSize;
    }

    @Override
    public void put(String key, byte[] gzippedJson) {
        requireKey(key);
        Objects.requireNonNull(gzippedJson, "gzippedJson");
        if (gzippedJson.length >= multipartThreshold) {
            putMultipart(key, gzippedJson);
        } else {
            putSingle(key, gzippedJson);
        }
    }

    private void putSingle(String key, byte[] body) {
        try {
            client.putObject(b -> b.bucket(bucket).key(key)
                            .contentType(CONTENT_TYPE).contentEncoding(CONTENT_ENCODING)
                            .contentLength((long) body.length),
                    // The same body type as the plain SDK loop of bench/run: the SDK holds the whole payload
                    // and needs no stream to reopen. Its copy is of one small object.
                    RequestBody.fromBytes(body));
        } catch (SdkException e) {
            throw StorageException.failed("PutObject", e);
        }
    }

    private void putMultipart(String key, byte[] body) {
        long partCount = (body.length + partSize - 1) / partSize;
        if (partCount > MAX_PARTS) {
            throw new StorageException("multipart upload would need more than " + MAX_PARTS + " parts");
        }
        String uploadId;
        try {
            uploadId = client.createMultipartUpload(b -> b.bucket(bucket).key(key)
                    .contentType(CONTENT_TYPE).contentEncoding(CONTENT_ENCODING)).uploadId();
        } catch (SdkException e) {
            throw StorageException.failed("CreateMultipartUpload", e);
        }
        String operation = "UploadPart";
        try {
            List<CompletedPart> parts = new ArrayList<>((int) partCount);
            for (int partNumber = 1; partNumber <= partCount; partNumber++) {
                int offset = (int) ((partNumber - 1) * partSize);
                int length = (int) Math.min(partSize, body.length - (long) offset);
                int number = partNumber;
                UploadPartResponse uploaded = client.uploadPart(b -> b.bucket(bucket).key(key)
                                .uploadId(uploadId).partNumber(number).contentLength((long) length),
                        slice(body, offset, length));
                parts.add(CompletedPart.builder().partNumber(number).eTag(uploaded.eTag()).build());
            }
            operation = "CompleteMultipartUpload";
            client.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts)));
        } catch (SdkException e) {
            abortAfterFailure(key, uploadId);
            throw StorageException.failed(operation, e);
        } catch (RuntimeException e) {
            abortAfterFailure(key, uploadId);
            throw e;
        }
    }

    /** Best effort: an upload left behind costs storage until a lifecycle rule or a user delete removes it. */
    private void abortAfterFailure(String key, String uploadId) {
        try {
            abort(key, uploadId);
        } catch (StorageException e) {
            LOG.warn("Could not abort a failed multipart upload: {}", e.getMessage());
        }
    }

    @Override
    public void delete(String key) {
        requireKey(key);
        if (mayHoldVersions()) {
            // The key is its own prefix; keys that merely start with it are left alone.
            deleteVersions(key, key::equals);
            return;
        }
        try {
            client.deleteObject(b -> b.bucket(bucket).key(key));
        } catch (SdkException e) {
            throw StorageException.failed("DeleteObject", e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Unfinished multipart uploads go first, so that one completing meanwhile leaves an object the
     * object pass then removes.
     *
     * <p>On a bucket that is or was versioned, every version and delete marker of a removable key is
     * deleted by its version id (ListObjectVersions, DeleteObjects with version ids); a plain delete
     * there would only add a delete marker and keep every byte. Until the bucket has been seen
     * versioned, each call asks GetBucketVersioning first, since versioning can be turned on at any
     * time; once seen versioned it stays so, as S3 cannot turn versioning off again.
     */
    @Override
    public Removal deletePrefix(String prefix, Predicate<String> removable) {
        requirePrefix(prefix);
        Objects.requireNonNull(removable, "removable");
        int aborted = abortUploads(prefix, removable);
        Removal removal = mayHoldVersions()
                ? deleteVersions(prefix, removable)
                : new Removal(deleteObjects(prefix, removable), 0);
        LOG.debug("Deleted {} objects and {} other versions and aborted {} multipart uploads under a prefix",
                removal.objects(), removal.versions(), aborted);
        return removal;
    }

    /**
     * {@inheritDoc}
     *
     * <p>A store that does not implement GetBucketVersioning (501, e.g. S3Proxy) keeps no versions:
     * it is unversioned, and is not asked again.
     */
    @Override
    public BucketVersioning versioning() {
        if (!versioningImplemented) {
            return BucketVersioning.UNVERSIONED;
        }
        GetBucketVersioningResponse response;
        try {
            response = client.getBucketVersioning(b -> b.bucket(bucket));
        } catch (S3Exception e) {
            if (e.statusCode() != HTTP_NOT_IMPLEMENTED) {
                throw StorageException.failed("GetBucketVersioning", e);
            }
            versioningImplemented = false;
            return BucketVersioning.UNVERSIONED;
        } catch (SdkException e) {
            throw StorageException.failed("GetBucketVersioning", e);
        }
        // No status at all: versioning was never turned on. A status this SDK does not know counts as
        // enabled, so that deletes look for versions.
        String status = response.statusAsString();
        BucketVersioning versioning = status == null || status.isEmpty() ? BucketVersioning.UNVERSIONED
                : response.status() == BucketVersioningStatus.SUSPENDED ? BucketVersioning.SUSPENDED
                : BucketVersioning.ENABLED;
        lastSeenVersioning = versioning;
        return versioning;
    }

    /**
     * Whether deletes must remove versions. When the bucket cannot be asked (no s3:GetBucketVersioning),
     * the answer is yes: listing versions then either works, or fails the delete loudly, where
     * assuming no versions could silently keep data.
     */
    private boolean mayHoldVersions() {
        BucketVersioning seen = lastSeenVersioning;
        if (seen != null && seen.mayHoldVersions()) {
            return true;
        }
        try {
            return versioning().mayHoldVersions();
        } catch (StorageException e) {
            if (!versioningDenialReported) {
                versioningDenialReported = true;
                LOG.warn("Could not ask whether the bucket is versioned ({}); deletes remove every version", e.getMessage());
            }
            return true;
        }
    }

    /**
     * Deletes every version and delete marker under {@code prefix} whose key passes {@code removable},
     * in passes over the listing until a pass finds nothing left to remove. On S3 the second pass
     * finds nothing; it is the check, and it also covers S3-compatible stores that cut a version
     * listing short without saying it is truncated.
     */
    private Removal deleteVersions(String prefix, Predicate<String> removable) {
        Tally tally = new Tally();
        for (int pass = 1; pass <= MAX_VERSION_PASSES; pass++) {
            long before = tally.removed();
            versionPass(prefix, removable, tally);
            if (tally.removed() == before) {
                return new Removal(tally.objects, tally.versions);
            }
        }
        throw new StorageException("versions were still listed after " + MAX_VERSION_PASSES + " delete passes");
    }

    private void versionPass(String prefix, Predicate<String> removable, Tally tally) {
        List<ObjectIdentifier> batch = new ArrayList<>(deleteBatchSize);
        // Deleting listed versions does not disturb the listing: the markers continue after the last entry.
        try {
            for (ListObjectVersionsResponse page : client.listObjectVersionsPaginator(
                    b -> b.bucket(bucket).prefix(prefix).maxKeys(listPageSize))) {
                for (ObjectVersion version : page.versions()) {
                    if (removable.test(version.key())) {
                        tally.count(version.key(), Boolean.TRUE.equals(version.isLatest()));
                        addToBatch(batch, version.key(), version.versionId());
                    }
                }
                for (DeleteMarkerEntry marker : page.deleteMarkers()) {
                    if (removable.test(marker.key())) {
                        tally.count(marker.key(), false);
                        addToBatch(batch, marker.key(), marker.versionId());
                    }
                }
                // The paginator would start over from the first page.
                if (Boolean.TRUE.equals(page.isTruncated()) && page.nextKeyMarker() == null) {
                    throw new StorageException("ListObjectVersions answered a truncated page without a key marker");
                }
            }
        } catch (SdkException e) {
            throw StorageException.failed("ListObjectVersions", e);
        }
        if (!batch.isEmpty()) {
            deleteBatch(batch);
        }
    }

    /**
     * What a versioned delete removed: a key's current version is an object, every other version and
     * delete marker a version. A version that became current when a newer one was deleted (between
     * passes) is still a version: each key counts as an object once.
     */
    private static final class Tally {
        private final Set<String> keys = new HashSet<>();
        private long objects;
        private long versions;

        void count(String key, boolean current) {
            if (keys.add(key) && current) {
                objects++;
            } else {
                versions++;
            }
        }

        long removed() {
            return objects + versions;
        }
    }

    /** A versionId of null names the key's only (unversioned) object. */
    private void addToBatch(List<ObjectIdentifier> batch, String key, String versionId) {
        batch.add(ObjectIdentifier.builder().key(key).versionId(versionId).build());
        if (batch.size() == deleteBatchSize) {
            deleteBatch(batch);
            batch.clear();
        }
    }

    private long deleteObjects(String prefix, Predicate<String> removable) {
        long deleted = 0;
        List<ObjectIdentifier> batch = new ArrayList<>(deleteBatchSize);
        // Deleting listed keys does not disturb the listing: the token continues after the last key.
        try {
            for (S3Object object : client.listObjectsV2Paginator(
                    b -> b.bucket(bucket).prefix(prefix).maxKeys(listPageSize)).contents()) {
                if (removable.test(object.key())) {
                    addToBatch(batch, object.key(), null);
                    deleted++;
                }
            }
        } catch (SdkException e) {
            throw StorageException.failed("ListObjectsV2", e);
        }
        if (!batch.isEmpty()) {
            deleteBatch(batch);
        }
        return deleted;
    }

    private void deleteBatch(List<ObjectIdentifier> keys) {
        List<ObjectIdentifier> toDelete = List.copyOf(keys);
        if (!bulkDeleteSupported) {
            deleteOneByOne(toDelete);
            return;
        }
        DeleteObjectsResponse response;
        try {
            response = client.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(toDelete).quiet(true)));
        } catch (S3Exception e) {
            if (e.statusCode() != HTTP_NOT_IMPLEMENTED) {
                throw StorageException.failed("DeleteObjects", e);
            }
            // Some S3-compatible stores (a stock S3Proxy) refuse the checksum header the SDK always
            // puts on DeleteObjects. Deleting key by key needs no checksum; remember the answer.
            LOG.warn("The store does not implement DeleteObjects as the SDK sends it; deleting key by key");
            bulkDeleteSupported = false;
            deleteOneByOne(toDelete);
            return;
        } catch (SdkException e) {
            throw StorageException.failed("DeleteObjects", e);
        }
        // A DeleteObjects answer is 200 even when keys failed: the failures are listed in its body.
        List<S3Error> errors = response.errors();
        if (!errors.isEmpty()) {
            throw new StorageException("DeleteObjects failed for " + errors.size() + " of " + toDelete.size()
                    + " keys (first error code: " + errors.get(0).code() + ")");
        }
    }

    private void deleteOneByOne(List<ObjectIdentifier> keys) {
        for (ObjectIdentifier key : keys) {
            try {
                client.deleteObject(b -> b.bucket(bucket).key(key.key()).versionId(key.versionId()));
            } catch (SdkException e) {
                throw StorageException.failed("DeleteObject", e);
            }
        }
    }

    private int abortUploads(String prefix, Predicate<String> removable) {
        int aborted = 0;
        try {
            // No max-uploads: S3's page is 1000 anyway, and S3Proxy refuses the parameter (501).
            for (ListMultipartUploadsResponse page : client.listMultipartUploadsPaginator(
                    b -> b.bucket(bucket).prefix(prefix))) {
                for (MultipartUpload upload : page.uploads()) {
                    if (removable.test(upload.key())) {
                        abort(upload.key(), upload.uploadId());
                        aborted++;
                    }
                }
                // The paginator would start over from the first page.
                if (Boolean.TRUE.equals(page.isTruncated()) && page.nextKeyMarker() == null
                        && page.nextUploadIdMarker() == null) {
                    throw new StorageException("ListMultipartUploads answered a truncated page without markers");
                }
            }
        } catch (SdkException e) {
            throw StorageException.failed("ListMultipartUploads", e);
        }
        return aborted;
    }

    private void abort(String key, String uploadId) {
        try {
            client.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
        } catch (NoSuchUploadException e) {
            // Completed or aborted meanwhile: nothing left to abort.
        } catch (S3Exception e) {
            if (e.statusCode() != HTTP_NOT_FOUND) {
                throw StorageException.failed("AbortMultipartUpload", e);
            }
        } catch (SdkException e) {
            throw StorageException.failed("AbortMultipartUpload", e);
        }
    }

    @Override
    public void checkReachable() {
        try {
            client.headBucket(b -> b.bucket(bucket));
        } catch (SdkException e) {
            throw StorageException.failed("HeadBucket", e);
        }
    }

    @Override
    public String describe() {
        // Not an s3:// URL: log values that look like URLs are redacted, and operators need to see this one.
        return "S3 bucket " + bucket;
    }

    @Override
    public void close() {
        client.close();
    }

    /** The array is not copied: the SDK reads the slice again from the start when it retries. */
    private static RequestBody slice(byte[] body, int offset, int length) {
        return RequestBody.fromContentProvider(
                () -> new ByteArrayInputStream(body, offset, length), length, CONTENT_TYPE);
    }

    private static void requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("key is empty");
        }
    }

    private static void requirePrefix(String prefix) {
        if (prefix == null || prefix.isEmpty() || !prefix.endsWith("/")) {
            throw new IllegalArgumentException("prefix must be non-empty and end with '/'");
        }
    }
}
