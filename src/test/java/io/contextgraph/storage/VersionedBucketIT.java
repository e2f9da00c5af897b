package io.contextgraph.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.contextgraph.storage.S3Clients.S3Options;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3MockServer;
import io.contextgraph.testing.Uploads;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * {@link S3ObjectStore} on versioned buckets, against a real S3 API that keeps versions (S3Mock):
 * a delete leaves no version and no delete marker of the user, and touches nothing of another.
 */
class VersionedBucketIT {

    private static final String ABC = "v1/sessions/user=abc/";
    private static final String ABCD = "v1/sessions/user=abcd/";
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static final Duration ROLE_START = Duration.ofSeconds(90);

    private static S3MockServer s3;
    private static S3Client raw;

    private String bucket;
    private S3ObjectStore store;

    @BeforeAll
    static void startS3() {
        s3 = S3MockServer.start();
        raw = s3.clientBuilder().build();
    }

    @AfterAll
    static void stopS3() {
        if (raw != null) {
            raw.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void createBucket() {
        bucket = "versioned-" + BUCKETS.incrementAndGet();
        raw.createBucket(b -> b.bucket(bucket));
        store = new S3ObjectStore(newClient(), bucket);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void detects_an_unversioned_an_enabled_and_a_suspended_bucket() {
        assertThat(store.versioning()).isEqualTo(BucketVersioning.UNVERSIONED);

        setVersioning(BucketVersioningStatus.ENABLED);
        assertThat(store.versioning()).isEqualTo(BucketVersioning.ENABLED);

        setVersioning(BucketVersioningStatus.SUSPENDED);
        assertThat(store.versioning()).isEqualTo(BucketVersioning.SUSPENDED);
        assertThat(store.versioning().label()).isEqualTo("Suspended");
    }

    @Test
    void removes_every_version_and_delete_marker_of_the_user_and_nothing_of_another() {
        setVersioning(BucketVersioningStatus.ENABLED);
        String three = ABC + "date=2026-11-24/three-versions.json.gz";
        String deleted = ABC + "date=2026-11-25/deleted.json.gz";
        String once = ABC + "date=2026-11-25/once.json.gz";
        for (int v = 1; v <= 3; v++) {
            putRaw(three, "v" + v);
        }
        putRaw(deleted, "gone");
        raw.deleteObject(b -> b.bucket(bucket).key(deleted));
        putRaw(once, "once");
        String othersKey = ABCD + "date=2026-11-25/other.json.gz";
        putRaw(othersKey, "other v1");
        putRaw(othersKey, "other v2");
        raw.deleteObject(b -> b.bucket(bucket).key(othersKey));
        List<String> othersBefore = versionIds(ABCD);
        assertThat(othersBefore).hasSize(3);
        assertThat(versionIds(ABC)).hasSize(6);

        Removal removal = store.deletePrefix(ABC, key -> true);

        // Current objects: three's latest and once; the rest: two older versions of three, the
        // version under the delete marker, and the marker.
        assertThat(removal).isEqualTo(new Removal(2, 4));
        assertThat(versionIds(ABC)).as("no version or delete marker of the user is left").isEmpty();
        assertThat(versionIds(ABCD)).as("the other user is untouched").isEqualTo(othersBefore);
    }

    @Test
    void removes_versions_across_small_pages_and_batches() {
        setVersioning(BucketVersioningStatus.ENABLED);
        for (int k = 0; k < 5; k++) {
            for (int v = 0; v < 3; v++) {
                putRaw(ABC + "date=2026-11-25/" + k + ".json.gz", "v" + v);
            }
        }
        putRaw(ABCD + "date=2026-11-25/keep.json.gz", "keep");
        OperationLog log = new OperationLog();
        Removal removal;
        try (S3ObjectStore smallPages = new S3ObjectStore(loggedClient(log), bucket,
                S3ObjectStore.DEFAULT_MULTIPART_THRESHOLD, S3ObjectStore.DEFAULT_PART_SIZE, 4, 3)) {
            removal = smallPages.deletePrefix(ABC, key -> true);
        }

        assertThat(removal).isEqualTo(new Removal(5, 10));
        // S3Mock cuts a version listing short without saying it is truncated: the passes that follow
        // find the rest. S3 itself pages with markers and confirms with one empty pass.
        assertThat(log.count("ListObjectVersions")).isGreaterThanOrEqualTo(2);
        assertThat(log.count("DeleteObjects")).as("15 versions in batches of 3").isGreaterThanOrEqualTo(5);
        assertThat(log.count("ListObjectsV2")).isZero();
        assertThat(versionIds(ABC)).isEmpty();
        assertThat(versionIds(ABCD)).hasSize(1);
    }

    @Test
    void keeps_every_version_of_a_key_the_predicate_refuses() {
        setVersioning(BucketVersioningStatus.ENABLED);
        String old = ABC + "date=2026-11-24/old.json.gz";
        String newer = ABC + "date=2026-11-26/newer.json.gz";
        putRaw(old, "1");
        putRaw(old, "2");
        putRaw(newer, "1");
        putRaw(newer, "2");
        List<String> newerVersions = versionIds(newer);

        Removal removal = store.deletePrefix(ABC, key -> !key.equals(newer));

        assertThat(removal).isEqualTo(new Removal(1, 1));
        assertThat(versionIds(ABC)).isEqualTo(newerVersions);
    }

    /**
     * S3Mock lists no versioned object at all once versioning is suspended (S3 keeps listing them), so
     * this shows only that a suspended bucket is emptied with version listings, as an enabled one.
     */
    @Test
    void a_suspended_bucket_is_emptied_with_version_listings() {
        setVersioning(BucketVersioningStatus.ENABLED);
        putRaw(ABC + "date=2026-11-25/a.json.gz", "enabled");
        setVersioning(BucketVersioningStatus.SUSPENDED);
        OperationLog log = new OperationLog();
        try (S3ObjectStore logged = new S3ObjectStore(loggedClient(log), bucket)) {
            logged.deletePrefix(ABC, k -> true);
        }
        assertThat(log.operations).contains("GetBucketVersioning", "ListObjectVersions").doesNotContain("ListObjectsV2");
    }

    @Test
    void notices_versioning_turned_on_after_the_store_saw_the_bucket_unversioned() {
        assertThat(store.versioning()).isEqualTo(BucketVersioning.UNVERSIONED);
        setVersioning(BucketVersioningStatus.ENABLED);
        String key = ABC + "date=2026-11-25/a.json.gz";
        putRaw(key, "1");
        putRaw(key, "2");

        assertThat(store.deletePrefix(ABC, k -> true)).isEqualTo(new Removal(1, 1));
        assertThat(versionIds(ABC)).isEmpty();
    }

    @Test
    void delete_of_one_key_removes_its_every_version_and_no_other_key() {
        setVersioning(BucketVersioningStatus.ENABLED);
        String key = ABC + "date=2026-11-25/a.json.gz";
        String longer = key + ".other";
        putRaw(key, "1");
        putRaw(key, "2");
        putRaw(longer, "keep");

        store.delete(key);

        assertThat(versionIds(key)).as("only the longer key's version is left").isEqualTo(versionIds(longer)).hasSize(1);
    }

    @Test
    void a_bucket_that_cannot_be_asked_is_treated_as_versioned() {
        setVersioning(BucketVersioningStatus.ENABLED);
        String key = ABC + "date=2026-11-25/a.json.gz";
        putRaw(key, "1");
        putRaw(key, "2");
        OperationLog log = new OperationLog();
        log.deny("GetBucketVersioning");
        try (S3ObjectStore denied = new S3ObjectStore(loggedClient(log), bucket)) {
            assertThat(denied.deletePrefix(ABC, k -> true)).isEqualTo(new Removal(1, 1));
        }
        assertThat(log.count("ListObjectVersions")).as("one pass and the empty one that confirms it").isEqualTo(2);
        assertThat(versionIds(ABC)).isEmpty();
    }

    @Test
    void an_unversioned_bucket_is_emptied_with_plain_listings() {
        for (int i = 0; i < 3; i++) {
            store.put(ABC + "date=2026-11-25/" + i + ".json.gz", new byte[] {(byte) i});
        }
        OperationLog log = new OperationLog();
        try (S3ObjectStore logged = new S3ObjectStore(loggedClient(log), bucket)) {
            assertThat(logged.deletePrefix(ABC, k -> true)).isEqualTo(new Removal(3, 0));
        }
        assertThat(log.operations).contains("GetBucketVersioning", "ListObjectsV2").doesNotContain("ListObjectVersions");
        assertThat(versionIds(ABC)).isEmpty();
    }

    /**
     * The real jar (standalone: web and worker in one process) on a versioned bucket: the worker logs
     * the versioning it found, and "forget me" leaves no version of the user and touches no other.
     */
    @Test
    void the_worker_logs_the_versioning_and_a_delete_leaves_no_version_of_the_user() throws Exception {
        setVersioning(BucketVersioningStatus.ENABLED);
        String user = Uploads.newUser();
        String other = Uploads.newUser();
        try (RedisServer redis = new RedisServer();
             RoleProcess role = standaloneOn(redis).start()) {
            role.awaitHttp(ROLE_START).awaitLog("storage versioning detected", ROLE_START);
            assertThat(role.output()).contains("\"versioning\":\"Enabled\"");

            for (String who : List.of(user, other)) {
                assertThat(Http.post(role.uri("/v1/upload"), who, Uploads.sessions(1),
                        "Content-Type", "application/json").statusCode()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> keysOf(user).size() == 1 && keysOf(other).size() == 1);
            // Older versions of both users' objects, and a deleted object (a version under a delete marker).
            for (String who : List.of(user, other)) {
                putRaw(keysOf(who).getFirst(), "an older version");
                String gone = prefixOf(who) + "date=2026-01-01/gone.json.gz";
                putRaw(gone, "gone");
                raw.deleteObject(b -> b.bucket(bucket).key(gone));
            }
            List<String> othersBefore = versionIds(prefixOf(other));
            assertThat(versionIds(prefixOf(user))).hasSize(4);

            assertThat(Http.post(role.uri("/v1/delete"), user, new byte[0]).statusCode()).isEqualTo(200);

            await().atMost(Duration.ofSeconds(30)).until(() -> versionIds(prefixOf(user)).isEmpty());
            assertThat(versionIds(prefixOf(other))).isEqualTo(othersBefore);
            assertThat(role.output()).doesNotContain(user, other);
        }
    }

    @Test
    void the_worker_logs_an_unversioned_bucket() throws Exception {
        try (RedisServer redis = new RedisServer();
             RoleProcess role = standaloneOn(redis).start()) {
            role.awaitLog("storage versioning detected", ROLE_START);
            assertThat(role.output()).contains("\"versioning\":\"unversioned\"");
        }
    }

    private RoleProcess.Builder standaloneOn(RedisServer redis) {
        return RoleProcess.builder("standalone").name("versioned-standalone").redis(redis.port())
                .env("S3_BUCKET", bucket).env("S3_ENDPOINT", s3.endpoint().toString());
    }

    private static String prefixOf(String user) {
        return "v1/sessions/user=" + user + "/";
    }

    private List<String> keysOf(String user) {
        return raw.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefixOf(user))).contents().stream()
                .map(o -> o.key()).toList();
    }

    private void setVersioning(BucketVersioningStatus status) {
        raw.putBucketVersioning(b -> b.bucket(bucket).versioningConfiguration(c -> c.status(status)));
    }

    private void putRaw(String key, String body) {
        raw.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body.getBytes(UTF_8)));
    }

    /** Version ids of every version and delete marker under a prefix, in listing order. */
    private List<String> versionIds(String prefix) {
        List<String> ids = new ArrayList<>();
        for (ListObjectVersionsResponse page : raw.listObjectVersionsPaginator(b -> b.bucket(bucket).prefix(prefix))) {
            Stream.concat(page.versions().stream().map(v -> v.key() + "@" + v.versionId()),
                    page.deleteMarkers().stream().map(m -> m.key() + "@" + m.versionId() + " (marker)"))
                    .forEach(ids::add);
        }
        return ids;
    }

    /** Records the operations a client calls, and can answer one with 403 as a missing permission would. */
    private static final class OperationLog implements ExecutionInterceptor {
        final List<String> operations = new CopyOnWriteArrayList<>();
        private volatile String denied;

        long count(String operation) {
            return operations.stream().filter(operation::equals).count();
        }

        void deny(String operation) {
            denied = operation;
        }

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
            operations.add(operation);
            if (operation.equals(denied)) {
                throw S3Exception.builder().statusCode(403)
                        .awsErrorDetails(AwsErrorDetails.builder().errorCode("AccessDenied").build()).build();
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
}
