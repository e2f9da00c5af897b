package io.contextgraph.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalFolderStoreTest {

    private static final String ABC = "v1/sessions/user=abc/";
    private static final String ABCD = "v1/sessions/user=abcd/";

    @TempDir
    Path temp;
    private Path root;
    private LocalFolderStore store;

    @BeforeEach
    void setUp() {
        root = temp.resolve("data");
        store = new LocalFolderStore(root);
    }

    @Test
    void lays_objects_out_like_the_bucket() throws IOException {
        byte[] body = gzip("{\"sessions\":[]}");

        store.put(ABC + "date=2026-11-25/0f3c.json.gz", body);

        Path file = root.resolve("v1/sessions/user=abc/date=2026-11-25/0f3c.json.gz");
        assertThat(file).isRegularFile();
        assertThat(Files.readAllBytes(file)).isEqualTo(body);
        assertThat(gunzip(Files.readAllBytes(file))).isEqualTo("{\"sessions\":[]}");
    }

    @Test
    void overwrites_a_key_in_place_and_leaves_no_temporary_file() throws IOException {
        String key = ABC + "date=2026-11-25/0f3c.json.gz";
        store.put(key, gzip("first"));
        store.put(key, gzip("second, longer than the first"));

        Path directory = root.resolve("v1/sessions/user=abc/date=2026-11-25");
        assertThat(gunzip(Files.readAllBytes(directory.resolve("0f3c.json.gz"))))
                .isEqualTo("second, longer than the first");
        assertThat(filesUnder(directory)).containsExactly(directory.resolve("0f3c.json.gz"));
    }

    @Test
    void concurrent_writes_of_one_key_always_leave_one_whole_object() throws Exception {
        String key = ABC + "date=2026-11-25/same.json.gz";
        List<byte[]> bodies = IntStream.range(0, 8).mapToObj(i -> gzip(("body " + i + " ").repeat(1000))).toList();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> writes = bodies.stream()
                    .map(body -> pool.submit(() -> store.put(key, body)))
                    .<Future<?>>map(f -> f)
                    .toList();
            for (Future<?> write : writes) {
                write.get();
            }
        }
        byte[] stored = Files.readAllBytes(root.resolve(key));
        assertThat(bodies).anySatisfy(body -> assertThat(stored).isEqualTo(body));
        assertThat(filesUnder(root.resolve(key).getParent())).hasSize(1);
    }

    @Test
    void deletes_one_key_and_absent_keys_quietly() {
        String key = ABC + "date=2026-11-25/a.json.gz";
        String other = ABC + "date=2026-11-25/b.json.gz";
        store.put(key, gzip("a"));
        store.put(other, gzip("b"));

        store.delete(key);
        store.delete(key);
        store.delete(ABC + "date=2000-01-01/never.json.gz");

        assertThat(root.resolve(key)).doesNotExist();
        assertThat(root.resolve(other)).exists();
    }

    @Test
    void delete_prefix_removes_every_file_and_folder_of_the_user_only() throws IOException {
        store.put(ABC + "date=2026-11-24/1.json.gz", gzip("1"));
        store.put(ABC + "date=2026-11-25/2.json.gz", gzip("2"));
        store.put(ABC + "date=2026-11-25/3.json.gz", gzip("3"));
        store.put(ABCD + "date=2026-11-25/4.json.gz", gzip("4"));
        // A temporary file left behind by a crash mid-write goes too, without being counted.
        Files.writeString(root.resolve(ABC + "date=2026-11-25/.tmp-123.part"), "partial");

        Removal removal = store.deletePrefix(ABC, key -> true);

        assertThat(removal).isEqualTo(new Removal(3, 0));
        assertThat(root.resolve("v1/sessions/user=abc")).doesNotExist();
        assertThat(root.resolve(ABCD + "date=2026-11-25/4.json.gz")).exists();
    }

    @Test
    void delete_prefix_keeps_the_keys_the_predicate_refuses_and_their_folders() throws IOException {
        String old1 = ABC + "date=2026-11-24/1.json.gz";
        String old2 = ABC + "date=2026-11-25/2.json.gz";
        String kept = ABC + "date=2026-11-25/3.json.gz";
        String keptAlone = ABC + "date=2026-11-26/4.json.gz";
        for (String key : List.of(old1, old2, kept, keptAlone)) {
            store.put(key, gzip(key));
        }
        store.put(ABCD + "date=2026-11-25/5.json.gz", gzip("5"));
        List<String> asked = new java.util.ArrayList<>();

        Removal removal = store.deletePrefix(ABC, key -> {
            asked.add(key);
            return !key.equals(kept) && !key.equals(keptAlone);
        });

        assertThat(removal).isEqualTo(new Removal(2, 0));
        assertThat(asked).containsExactlyInAnyOrder(old1, old2, kept, keptAlone);
        assertThat(filesUnder(root)).containsExactlyInAnyOrder(
                root.resolve(kept), root.resolve(keptAlone), root.resolve(ABCD + "date=2026-11-25/5.json.gz"));
        assertThat(root.resolve(ABC + "date=2026-11-24")).as("emptied folder").doesNotExist();
    }

    @Test
    void delete_prefix_of_an_unknown_user_deletes_nothing() {
        store.put(ABCD + "date=2026-11-25/4.json.gz", gzip("4"));

        assertThat(store.deletePrefix(ABC, key -> true)).isEqualTo(Removal.NONE);
        assertThat(root.resolve(ABCD + "date=2026-11-25/4.json.gz")).exists();
    }

    @Test
    void delete_prefix_removes_emptied_parent_folders_but_not_the_root() {
        store.put(ABC + "date=2026-11-25/1.json.gz", gzip("1"));

        assertThat(store.deletePrefix(ABC, key -> true)).isEqualTo(new Removal(1, 0));

        assertThat(root).isDirectory();
        assertThat(root.resolve("v1")).doesNotExist();
    }

    @Test
    void retention_removes_the_objects_of_days_wholly_older_than_it_and_keeps_the_rest() throws IOException {
        // 270 days before 2026-12-01T10:00Z is 2026-03-06T10:00Z: 2026-03-05 ended before it, 2026-03-06 did not.
        LocalFolderStore retaining = new LocalFolderStore(root, Optional.of(Duration.ofDays(270)),
                Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC));
        String expired = ABC + "date=2026-03-05/old.json.gz";
        String expiredToo = ABC + "date=2025-01-01/older.json.gz";
        String kept = ABC + "date=2026-03-06/kept.json.gz";
        String recent = ABC + "date=2026-11-30/recent.json.gz";
        String othersExpired = ABCD + "date=2026-03-05/old.json.gz";
        for (String key : List.of(expired, expiredToo, kept, recent, othersExpired)) {
            retaining.put(key, gzip(key));
        }
        // Outside the layout: no day to judge by, so kept.
        String undated = ABC + "notes/undated.json.gz";
        retaining.put(undated, gzip("?"));

        assertThat(retaining.removeExpired()).isEqualTo(3);

        assertThat(filesUnder(root)).containsExactlyInAnyOrder(
                root.resolve(kept), root.resolve(recent), root.resolve(undated));
        assertThat(root.resolve(ABC + "date=2026-03-05")).doesNotExist();
        assertThat(root.resolve("v1/sessions/user=abcd")).as("an emptied user folder goes").doesNotExist();
        assertThat(retaining.removeExpired()).isZero();
    }

    @Test
    void retention_removes_a_day_once_its_last_moment_is_older_than_the_retention() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-30T23:59:59Z"));
        LocalFolderStore retaining = new LocalFolderStore(root, Optional.of(Duration.ofDays(1)), clock);
        String key = ABC + "date=2026-11-29/a.json.gz";
        retaining.put(key, gzip("a"));

        assertThat(retaining.removeExpired()).as("accepted at 23:59:59 on the 29th, it may be under a day old").isZero();
        assertThat(root.resolve(key)).exists();

        clock.now = Instant.parse("2026-12-01T00:00:00Z");
        assertThat(retaining.removeExpired()).isEqualTo(1);
        assertThat(root.resolve(key)).doesNotExist();
    }

    @Test
    void without_retention_nothing_is_ever_removed() {
        LocalFolderStore keeping = new LocalFolderStore(root, Optional.empty(),
                Clock.fixed(Instant.parse("2126-01-01T00:00:00Z"), ZoneOffset.UTC));
        keeping.put(ABC + "date=2000-01-01/a.json.gz", gzip("a"));

        assertThat(keeping.removeExpired()).isZero();
        keeping.startRetentionSweeps();
        keeping.close();

        assertThat(root.resolve(ABC + "date=2000-01-01/a.json.gz")).exists();
    }

    @Test
    void retention_sweeps_start_with_a_sweep_and_stop_on_close() {
        LocalFolderStore retaining = new LocalFolderStore(root, Optional.of(Duration.ofDays(270)),
                Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC));
        retaining.put(ABC + "date=2026-01-01/old.json.gz", gzip("old"));
        retaining.put(ABC + "date=2026-11-30/new.json.gz", gzip("new"));
        try {
            retaining.startRetentionSweeps();
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(root.resolve(ABC + "date=2026-01-01")));
        } finally {
            retaining.close();
        }
        assertThat(root.resolve(ABC + "date=2026-11-30/new.json.gz")).exists();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("data-retention"));
    }

    /** A clock the test moves by hand. */
    private static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "../escape.json.gz",
            "v1/../../escape.json.gz",
            "v1/sessions/user=abc/../../../../escape.json.gz",
            "/etc/escape.json.gz",
            "v1//sessions/x.json.gz",
            "v1/./sessions/x.json.gz",
            "v1/sessions/..",
            ".",
            "..",
            "",
            "v1/sessions/user=abc/",
            "v1\\..\\..\\escape.json.gz",
            "v1/sessions/user=a\0b/x.json.gz",
            "v1/sessions/.tmp-1.part",
    })
    void refuses_keys_that_are_not_plain_paths_inside_the_root(String key) throws IOException {
        assertThatThrownBy(() -> store.put(key, gzip("x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.delete(key)).isInstanceOf(IllegalArgumentException.class);
        assertThat(filesUnder(temp)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../", "v1/../../", "/", "", "v1//", "v1/./", "v1/sessions/user=abc", "./"})
    void refuses_prefixes_that_are_not_plain_folders_inside_the_root(String prefix) {
        Path outside = temp.resolve("outside.json.gz");
        store.put(ABC + "date=2026-11-25/1.json.gz", gzip("1"));
        writeQuietly(outside);

        assertThatThrownBy(() -> store.deletePrefix(prefix, key -> true)).isInstanceOf(IllegalArgumentException.class);

        assertThat(outside).exists();
        assertThat(root.resolve(ABC + "date=2026-11-25/1.json.gz")).exists();
    }

    @Test
    void error_messages_never_name_the_key() {
        String key = "v1/sessions/user=secret-token/../../../../x.json.gz";
        assertThatThrownBy(() -> store.put(key, gzip("x"))).message().doesNotContain("secret-token");
    }

    @Test
    void storage_errors_never_name_the_path() throws IOException {
        // A file where a folder should be makes the write fail with an exception naming the path.
        Files.createDirectories(root.resolve("v1/sessions"));
        Files.writeString(root.resolve("v1/sessions/user=secret-token"), "in the way");

        assertThatThrownBy(() -> store.put("v1/sessions/user=secret-token/date=2026-11-25/1.json.gz", gzip("1")))
                .isInstanceOf(StorageException.class)
                .hasNoCause()
                .message().doesNotContain("secret-token");
    }

    @Test
    void check_reachable_creates_the_root_and_fails_when_it_is_a_file() throws IOException {
        store.checkReachable();
        assertThat(root).isDirectory();

        Path file = temp.resolve("a-file");
        Files.writeString(file, "not a folder");
        LocalFolderStore broken = new LocalFolderStore(file);
        assertThatThrownBy(broken::checkReachable).isInstanceOf(StorageException.class);
    }

    @Test
    void describes_itself_by_its_folder() {
        assertThat(store.describe()).startsWith("folder /").contains("data");
    }

    private static List<Path> filesUnder(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return List.of();
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            return paths.filter(Files::isRegularFile).toList();
        }
    }

    private static void writeQuietly(Path file) {
        try {
            Files.writeString(file, "must survive");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] gzip(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(text.getBytes(UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static String gunzip(byte[] gzipped) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gzipped))) {
            return new String(in.readAllBytes(), UTF_8);
        }
    }
}
