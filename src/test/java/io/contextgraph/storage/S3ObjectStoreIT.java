package io.contextgraph.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.contextgraph.storage.S3Clients.S3Options;
import io.contextgraph.testing.S3ProxyServer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * {@link S3ObjectStore} against a real S3 API: S3Proxy with its on-disk backend, so that the outage
 * test can stop and restart it without losing the buckets of the other tests.
 */
class S3ObjectStoreIT {

    private static final long MIB = 1024 * 1024;
    private static final String ABC = "v1/sessions/user=abc/";
    private static final String ABCD = "v1/sessions/user=abcd/";
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private static S3ProxyServer s3;

    private String bucket;
    private S3ObjectStore store;

    @BeforeAll
    static void startS3() {
        s3 = S3ProxyServer.startFilesystemLikeS3();
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void createBucket() {
        bucket = "bucket-" + BUCKETS.incrementAndGet();
        s3.createBucket(bucket);
        store = new S3ObjectStore(newClient(), bucket);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void stores_a_small_object_with_a_single_put_and_its_headers() {
        byte[] body = "small gzipped json".getBytes(UTF_8);
        String key = ABC + "date=2026-11-25/small.json.gz";
        OperationLog log = new OperationLog();
        try (S3ObjectStore logged = new S3ObjectStore(loggedClient(log), bucket)) {
            logged.put(key, body);
        }

        assertThat(log.operations).containsExactly("PutObject");
        ResponseBytes<GetObjectResponse> stored = s3.getObject(bucket, key);
        assertThat(stored.asByteArray()).isEqualTo(body);
        assertThat(stored.response().contentType()).isEqualTo("application/json");
        assertThat(stored.response().contentEncoding()).isEqualTo("gzip");
    }

    @Test
    void stores_a_large_object_as_a_multipart_upload_with_its_headers() {
        byte[] body = randomBytes((int) (6 * MIB));
        String key = ABC + "date=2026-11-25/large.json.gz";
        OperationLog log = new OperationLog();
        try (S3ObjectStore lowThreshold = new S3ObjectStore(loggedClient(log), bucket, 5 * MIB, 5 * MIB)) {
            lowThreshold.put(key, body);
        }

        // 5 MiB + 1 MiB.
        assertThat(log.operations).containsExactly(
                "CreateMultipartUpload", "UploadPart", "UploadPart", "CompleteMultipartUpload");
        ResponseBytes<GetObjectResponse> stored = s3.getObject(bucket, key);
        assertThat(stored.asByteArray()).isEqualTo(body);
        assertThat(stored.response().contentType()).isEqualTo("application/json");
        assertThat(stored.response().contentEncoding()).isEqualTo("gzip");
        assertThat(unfinishedUploads("")).isEmpty();
    }

    @Test
    void an_object_exactly_at_the_threshold_goes_multipart_and_one_below_does_not() {
        OperationLog log = new OperationLog();
        try (S3ObjectStore lowThreshold = new S3ObjectStore(loggedClient(log), bucket, 5 * MIB, 5 * MIB)) {
            lowThreshold.put(ABC + "date=2026-11-25/below.json.gz", randomBytes((int) (5 * MIB) - 1));
            assertThat(log.operations).containsExactly("PutObject");
            log.operations.clear();

            lowThreshold.put(ABC + "date=2026-11-25/at.json.gz", randomBytes((int) (5 * MIB)));
            assertThat(log.operations).containsExactly("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload");
        }
        assertThat(s3.getObject(bucket, ABC + "date=2026-11-25/at.json.gz").asByteArray())
                .isEqualTo(randomBytes((int) (5 * MIB)));
    }

    @Test
    void a_failed_multipart_upload_is_aborted_and_stores_nothing() {
        String key = ABC + "date=2026-11-25/large.json.gz";
        OperationLog log = new OperationLog();
        log.failOnSecond("UploadPart");
        try (S3ObjectStore lowThreshold = new S3ObjectStore(loggedClient(log), bucket, 5 * MIB, 5 * MIB)) {
            assertThatThrownBy(() -> lowThreshold.put(key, randomBytes((int) (11 * MIB))))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("UploadPart");
        }

        assertThat(log.operations).containsExactly(
                "CreateMultipartUpload", "UploadPart", "UploadPart", "AbortMultipartUpload");
        assertThat(unfinishedUploads("")).isEmpty();
        assertThat(s3.listKeys(bucket, "")).isEmpty();
    }

    @Test
    void overwrites_an_object_under_the_same_key() {
        String key = ABC + "date=2026-11-25/same.json.gz";
        store.put(key, "first".getBytes(UTF_8));
        store.put(key, "second".getBytes(UTF_8));

        assertThat(s3.getObject(bucket, key).asUtf8String()).isEqualTo("second");
        assertThat(s3.listKeys(bucket, ABC)).containsExactly(key);
    }

    @Test
    void deletes_one_object_and_absent_objects_quietly() {
        String key = ABC + "date=2026-11-25/a.json.gz";
        String other = ABC + "date=2026-11-25/b.json.gz";
        store.put(key, "a".getBytes(UTF_8));
        store.put(other, "b".getBytes(UTF_8));

        store.delete(key);
        store.delete(key);

        assertThat(s3.listKeys(bucket, ABC)).containsExactly(other);
    }

    @Test
    void deletes_more_than_a_page_and_a_batch_of_objects_and_nothing_of_a_neighbour() throws Exception {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 1100; i++) {
            keys.add(ABC + "date=2026-11-" + (10 + i % 3) + "/" + String.format("%05d", i) + ".json.gz");
        }
        putAll(keys);
        store.put(ABCD + "date=2026-11-25/neighbour.json.gz", "keep".getBytes(UTF_8));
        store.put("v1/sessions/user=ab/date=2026-11-25/neighbour.json.gz", "keep".getBytes(UTF_8));
        assertThat(s3.listKeys(bucket, ABC)).hasSize(1100);

        OperationLog log = new OperationLog();
        long deleted;
        try (S3ObjectStore logged = new S3ObjectStore(loggedClient(log), bucket)) {
            deleted = logged.deletePrefix(ABC, key -> true).objects();
        }

        assertThat(deleted).isEqualTo(1100);
        assertThat(log.count("ListObjectsV2")).isEqualTo(2);
        assertThat(log.count("DeleteObjects")).isEqualTo(2);
        assertThat(s3.listKeys(bucket, ABC)).isEmpty();
        assertThat(s3.listKeys(bucket, "")).containsExactlyInAnyOrder(
                ABCD + "date=2026-11-25/neighbour.json.gz",
                "v1/sessions/user=ab/date=2026-11-25/neighbour.json.gz");
    }

    @Test
    void deletes_across_small_pages_and_batches() {
        for (int i = 0; i < 33; i++) {
            store.put(ABC + "date=2026-11-25/" + i + ".json.gz", new byte[] {(byte) i});
        }
        store.put(ABCD + "date=2026-11-25/keep.json.gz", new byte[] {1});
        OperationLog log = new OperationLog();
        try (S3ObjectStore smallPages = new S3ObjectStore(loggedClient(log), bucket,
                S3ObjectStore.DEFAULT_MULTIPART_THRESHOLD, S3ObjectStore.DEFAULT_PART_SIZE, 7, 5)) {
            assertThat(smallPages.deletePrefix(ABC, key -> true)).isEqualTo(new Removal(33, 0));
        }
        // Pages of 7 keys: 5 listings; batches of 5 keys: 7 deletes.
        assertThat(log.count("ListObjectsV2")).isEqualTo(5);
        assertThat(log.count("DeleteObjects")).isEqualTo(7);
        assertThat(s3.listKeys(bucket, ABC)).isEmpty();
        assertThat(s3.listKeys(bucket, ABCD)).hasSize(1);
    }

    @Test
    void a_store_refusing_bulk_deletes_is_emptied_key_by_key() {
        try (S3ProxyServer stock = S3ProxyServer.startFilesystem()) {
            stock.createBucket(bucket);
            OperationLog log = new OperationLog();
            S3Client client = stock.clientBuilder()
                    .overrideConfiguration(o -> o.addExecutionInterceptor(log)).build();
            try (S3ObjectStore onStock = new S3ObjectStore(client, bucket)) {
                for (int i = 0; i < 4; i++) {
                    onStock.put(ABC + "date=2026-11-25/" + i + ".json.gz", new byte[] {(byte) i});
                }
                onStock.put(ABCD + "date=2026-11-25/keep.json.gz", new byte[] {1});
                assertThat(onStock.deletePrefix(ABC, key -> true)).isEqualTo(new Removal(4, 0));
                assertThat(onStock.deletePrefix(ABC, key -> true)).isEqualTo(Removal.NONE);
            }
            assertThat(log.count("DeleteObjects")).as("tried once, then remembered").isEqualTo(1);
            assertThat(log.count("DeleteObject")).isEqualTo(4);
            assertThat(stock.listKeys(bucket, ABC)).isEmpty();
            assertThat(stock.listKeys(bucket, ABCD)).hasSize(1);
        }
    }

    @Test
    void delete_prefix_of_an_unknown_user_deletes_nothing() {
        store.put(ABCD + "date=2026-11-25/keep.json.gz", new byte[] {1});

        assertThat(store.deletePrefix(ABC, key -> true)).isEqualTo(Removal.NONE);
        assertThat(s3.listKeys(bucket, "")).hasSize(1);
    }

    @Test
    void delete_prefix_keeps_the_keys_the_predicate_refuses_across_pages_and_batches() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            keys.add(ABC + "date=2026-11-25/" + String.format("%02d", i) + ".json.gz");
        }
        for (String key : keys) {
            store.put(key, new byte[] {1});
        }
        store.put(ABCD + "date=2026-11-25/neighbour.json.gz", new byte[] {1});
        List<String> kept = List.of(keys.get(0), keys.get(6), keys.get(7), keys.get(19));
        List<String> asked = new CopyOnWriteArrayList<>();
        Removal removal;
        try (S3ObjectStore smallPages = new S3ObjectStore(newClient(), bucket,
                S3ObjectStore.DEFAULT_MULTIPART_THRESHOLD, S3ObjectStore.DEFAULT_PART_SIZE, 7, 3)) {
            removal = smallPages.deletePrefix(ABC, key -> {
                asked.add(key);
                return !kept.contains(key);
            });
        }

        assertThat(removal).isEqualTo(new Removal(16, 0));
        assertThat(asked).as("asked only about the prefix's keys").containsExactlyInAnyOrderElementsOf(keys);
        assertThat(s3.listKeys(bucket, ABC)).containsExactlyInAnyOrderElementsOf(kept);
        assertThat(s3.listKeys(bucket, ABCD)).hasSize(1);
    }

    @Test
    void delete_prefix_aborts_only_the_unfinished_uploads_the_predicate_allows() {
        S3Client raw = s3.client();
        createUnfinishedUpload(raw, ABC + "date=2026-11-25/old.json.gz");
        String newer = createUnfinishedUpload(raw, ABC + "date=2026-11-26/newer.json.gz");

        store.deletePrefix(ABC, key -> !key.endsWith("newer.json.gz"));

        assertThat(unfinishedUploads(ABC)).extracting(MultipartUpload::uploadId).containsExactly(newer);
    }

    @Test
    void delete_prefix_aborts_unfinished_multipart_uploads_of_the_user_only() {
        S3Client raw = s3.client();
        String mine = createUnfinishedUpload(raw, ABC + "date=2026-11-25/unfinished.json.gz");
        createUnfinishedUpload(raw, ABC + "date=2026-11-26/also-unfinished.json.gz");
        String neighbour = createUnfinishedUpload(raw, ABCD + "date=2026-11-25/unfinished.json.gz");
        assertThat(unfinishedUploads(ABC)).hasSize(2).extracting(MultipartUpload::uploadId).contains(mine);

        store.deletePrefix(ABC, key -> true);

        assertThat(unfinishedUploads(ABC)).isEmpty();
        assertThat(unfinishedUploads(ABCD)).extracting(MultipartUpload::uploadId).containsExactly(neighbour);
        assertThat(s3.listKeys(bucket, ABC)).isEmpty();
    }

    /**
     * S3Proxy answers every unfinished upload in one page and refuses paging parameters, so the
     * key/upload-id marker paging is exercised by AWS only; this checks that many uploads all go.
     */
    @Test
    void delete_prefix_aborts_every_unfinished_upload_and_completes_none() {
        S3Client raw = s3.client();
        for (int i = 0; i < 5; i++) {
            createUnfinishedUpload(raw, ABC + "date=2026-11-25/" + i + ".json.gz");
        }

        assertThat(store.deletePrefix(ABC, key -> true)).isEqualTo(Removal.NONE);

        assertThat(unfinishedUploads(ABC)).isEmpty();
        assertThat(s3.listKeys(bucket, ABC)).isEmpty();
    }

    @Test
    void a_store_without_versioning_is_unversioned_and_asked_only_once() {
        store.put(ABC + "date=2026-11-25/a.json.gz", new byte[] {1});
        OperationLog log = new OperationLog();
        try (S3ObjectStore logged = new S3ObjectStore(loggedClient(log), bucket)) {
            // S3Proxy answers GetBucketVersioning with 501: it keeps no versions.
            assertThat(logged.versioning()).isEqualTo(BucketVersioning.UNVERSIONED);
            assertThat(logged.deletePrefix(ABC, key -> true)).isEqualTo(new Removal(1, 0));
            logged.delete(ABC + "date=2026-11-25/a.json.gz");
        }
        assertThat(log.count("GetBucketVersioning")).isEqualTo(1);
        assertThat(log.count("ListObjectVersions")).isZero();
        assertThat(s3.listKeys(bucket, ABC)).isEmpty();
    }

    @Test
    void refuses_a_prefix_that_could_reach_a_neighbour() {
        store.put(ABCD + "date=2026-11-25/keep.json.gz", new byte[] {1});

        assertThatThrownBy(() -> store.deletePrefix("v1/sessions/user=abc", key -> true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.deletePrefix("", key -> true)).isInstanceOf(IllegalArgumentException.class);
        assertThat(s3.listKeys(bucket, "")).hasSize(1);
    }

    @Test
    void check_reachable_fails_for_a_missing_bucket() {
        store.checkReachable();

        try (S3ObjectStore missing = new S3ObjectStore(newClient(), "no-such-bucket")) {
            assertThatThrownBy(missing::checkReachable)
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("HeadBucket");
        }
    }

    @Test
    void errors_name_the_operation_but_never_the_key() {
        try (S3ObjectStore missing = new S3ObjectStore(newClient(), "no-such-bucket")) {
            assertThatThrownBy(() -> missing.put("v1/sessions/user=secret-token/x.json.gz", new byte[] {1}))
                    .isInstanceOf(StorageException.class)
                    .hasNoCause()
                    .hasMessageContaining("PutObject")
                    .message().doesNotContain("secret-token");
            assertThatThrownBy(() -> missing.deletePrefix("v1/sessions/user=secret-token/", key -> true))
                    .isInstanceOf(StorageException.class)
                    .message().doesNotContain("secret-token");
        }
    }

    @Test
    void check_reachable_fails_while_s3_is_down_and_recovers_after_a_restart() {
        store.put(ABC + "date=2026-11-25/before.json.gz", new byte[] {1});
        s3.stop();
        try {
            assertThatThrownBy(store::checkReachable).isInstanceOf(StorageException.class)
                    .hasMessageContaining("HeadBucket");
            assertThatThrownBy(() -> store.put(ABC + "date=2026-11-25/during.json.gz", new byte[] {2}))
                    .isInstanceOf(StorageException.class);
        } finally {
            s3.start();
        }

        store.checkReachable();
        store.put(ABC + "date=2026-11-25/after.json.gz", new byte[] {3});
        assertThat(s3.listKeys(bucket, ABC)).containsExactly(
                ABC + "date=2026-11-25/after.json.gz", ABC + "date=2026-11-25/before.json.gz");
    }

    @Test
    void describes_itself_by_its_bucket() {
        assertThat(store.describe()).isEqualTo("S3 bucket " + bucket);
    }

    private void putAll(List<String> keys) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> puts = new ArrayList<>();
            for (String key : keys) {
                puts.add(pool.submit(() -> store.put(key, key.getBytes(UTF_8))));
            }
            for (Future<?> put : puts) {
                put.get();
            }
        }
    }

    private String createUnfinishedUpload(S3Client raw, String key) {
        String uploadId = raw.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
        raw.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(1),
                RequestBody.fromBytes("part one".getBytes(UTF_8)));
        return uploadId;
    }

    private List<MultipartUpload> unfinishedUploads(String prefix) {
        return s3.client().listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix))
                .uploads().stream().toList();
    }

    /** Records the operations a client calls (to tell a single PUT from a multipart upload), and can fail one. */
    private static final class OperationLog implements ExecutionInterceptor {
        final List<String> operations = new CopyOnWriteArrayList<>();
        private volatile String failing;
        private final AtomicInteger seen = new AtomicInteger();

        long count(String operation) {
            return operations.stream().filter(operation::equals).count();
        }

        void failOnSecond(String operation) {
            failing = operation;
        }

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
            operations.add(operation);
            if (operation.equals(failing) && seen.incrementAndGet() == 2) {
                throw SdkClientException.create("injected failure");
            }
        }
    }

    private static S3Client loggedClient(OperationLog log) {
        return s3.clientBuilder().overrideConfiguration(o -> o.addExecutionInterceptor(log)).build();
    }

    private static S3Client newClient() {
        return S3Clients.create(
                new S3Options(Optional.of(s3.endpoint()), true, Duration.ofSeconds(20), 16),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("test-identity", "test-credential")));
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(42).nextBytes(bytes);
        return bytes;
    }
}
