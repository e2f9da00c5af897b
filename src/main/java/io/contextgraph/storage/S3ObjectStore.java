package io.contextgraph.storage;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
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

    private static final String CONTENT_TYPE = "application/json";
    private static final String CONTENT_ENCODING = "gzip";
    private static final int HTTP_NOT_FOUND = 404;

    private final S3Client client;
    private final String bucket;
    private final long multipartThreshold;
    private final long partSize;
    private final int listPageSize;
    private final int deleteBatchSize;
    private volatile boolean bulkDeleteSupported = true;

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
     * @param prefix must end with {@code /}, so that {@code user=abc/} never reaches {@code user=abcd/}
     */
    @Override
    public Removal deletePrefix(String prefix, Predicate<String> removable) {
        requirePrefix(prefix);
        Objects.requireNonNull(removable, "removable");
        int aborted = abortUploads(prefix, removable);
        long deleted = deleteObjects(prefix, removable);
        LOG.debug("Deleted {} objects and aborted {} multipart uploads under a prefix", deleted, aborted);
        return new Removal(deleted, 0);
    }

    private long deleteObjects(String prefix, Predicate<String> removable) {
        long deleted = 0;
        List<ObjectIdentifier> batch = new ArrayList<>(deleteBatchSize);
        String continuation = null;
        do {
            String token = continuation;
            ListObjectsV2Response page;
            try {
                page = client.listObjectsV2(b -> b.bucket(bucket).prefix(prefix)
                        .maxKeys(listPageSize).continuationToken(token));
            } catch (SdkException e) {
                throw StorageException.failed("ListObjectsV2", e);
            }
            for (S3Object object : page.contents()) {
                if (!removable.test(object.key())) {
                    continue;
                }
                batch.add(ObjectIdentifier.builder().key(object.key()).build());
                if (batch.size() == deleteBatchSize) {
                    deleted += deleteBatch(batch);
                    batch.clear();
                }
            }
            // Deleting listed keys does not disturb the listing: the token continues after the last key.
            continuation = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (continuation != null);
        if (!batch.isEmpty()) {
            deleted += deleteBatch(batch);
        }
        return deleted;
    }

    private int deleteBatch(List<ObjectIdentifier> keys) {
        List<ObjectIdentifier> toDelete = List.copyOf(keys);
        if (!bulkDeleteSupported) {
            return deleteOneByOne(toDelete);
        }
        DeleteObjectsResponse response;
        try {
            response = client.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(toDelete).quiet(true)));
        } catch (S3Exception e) {
            if (e.statusCode() != 501) {
                throw StorageException.failed("DeleteObjects", e);
            }
            // Some S3-compatible stores (a stock S3Proxy) refuse the checksum header the SDK always
            // puts on DeleteObjects. Deleting key by key needs no checksum; remember the answer.
            LOG.warn("The store does not implement DeleteObjects as the SDK sends it; deleting key by key");
            bulkDeleteSupported = false;
            return deleteOneByOne(toDelete);
        } catch (SdkException e) {
            throw StorageException.failed("DeleteObjects", e);
        }
        // A DeleteObjects answer is 200 even when keys failed: the failures are listed in its body.
        List<S3Error> errors = response.errors();
        if (!errors.isEmpty()) {
            throw new StorageException("DeleteObjects failed for " + errors.size() + " of " + toDelete.size()
                    + " keys (first error code: " + errors.get(0).code() + ")");
        }
        return toDelete.size();
    }

    private int deleteOneByOne(List<ObjectIdentifier> keys) {
        for (ObjectIdentifier key : keys) {
            try {
                client.deleteObject(b -> b.bucket(bucket).key(key.key()));
            } catch (SdkException e) {
                throw StorageException.failed("DeleteObject", e);
            }
        }
        return keys.size();
    }

    private int abortUploads(String prefix, Predicate<String> removable) {
        int aborted = 0;
        String keyMarker = null;
        String uploadIdMarker = null;
        boolean more;
        do {
            String keyFrom = keyMarker;
            String uploadFrom = uploadIdMarker;
            ListMultipartUploadsResponse page;
            try {
                // No max-uploads: S3's page is 1000 anyway, and S3Proxy refuses the parameter (501).
                page = client.listMultipartUploads(b -> b.bucket(bucket).prefix(prefix)
                        .keyMarker(keyFrom).uploadIdMarker(uploadFrom));
            } catch (SdkException e) {
                throw StorageException.failed("ListMultipartUploads", e);
            }
            for (MultipartUpload upload : page.uploads()) {
                if (!removable.test(upload.key())) {
                    continue;
                }
                abort(upload.key(), upload.uploadId());
                aborted++;
            }
            more = Boolean.TRUE.equals(page.isTruncated());
            keyMarker = page.nextKeyMarker();
            uploadIdMarker = page.nextUploadIdMarker();
            if (more && keyMarker == null && uploadIdMarker == null) {
                throw new StorageException("ListMultipartUploads answered a truncated page without markers");
            }
        } while (more);
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
