package io.contextgraph.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ObjectStore} of the standalone role: files under a local folder, laid out like the bucket
 * ({@code <root>/v1/sessions/user=.../date=.../<id>.json.gz}), each written atomically. With a
 * retention, what a bucket's lifecycle rule does is done by a sweep: objects go once the day they
 * were accepted lies wholly further back than the retention.
 */
public final class LocalFolderStore implements ObjectStore {

    private static final Logger LOG = LoggerFactory.getLogger(LocalFolderStore.class);

    /** Temporary files start with this, which no key segment produced by the service does. */
    private static final String TEMP_PREFIX = ".tmp-";
    private static final String TEMP_SUFFIX = ".part";
    /** Where the storage layout puts each user's folder. */
    private static final String SESSIONS = "v1/sessions/";
    private static final String USER_SEGMENT = "user=";
    private static final String DAY_SEGMENT = "date=";
    /** Days are the unit of retention: an hourly sweep removes a day at most an hour late. */
    private static final Duration SWEEP_INTERVAL = Duration.ofHours(1);

    private final Path root;
    /** Writers share the folder tree; deletes take it alone, since they remove directories writers use. */
    private final ReadWriteLock tree = new ReentrantReadWriteLock();
    private final Optional<Duration> retention;
    private final Clock clock;
    /** Runs the retention sweeps; null when not started. */
    private Thread sweeper;

    /** A store that keeps what it stores until it is deleted. */
    public LocalFolderStore(Path root) {
        this(root, Optional.empty(), Clock.systemUTC());
    }

    /**
     * @param retention how long an object is kept after the (UTC) day it was accepted; empty keeps it
     * @param clock     tells the day for {@link #removeExpired()}
     */
    public LocalFolderStore(Path root, Optional<Duration> retention, Clock clock) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        this.retention = Objects.requireNonNull(retention, "retention");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (retention.filter(r -> !r.isPositive()).isPresent()) {
            throw new IllegalArgumentException("retention must be positive");
        }
    }

    @Override
    public void put(String key, byte[] gzippedJson) {
        Objects.requireNonNull(gzippedJson, "gzippedJson");
        Path target = resolve(key, false);
        tree.readLock().lock();
        try {
            Path directory = target.getParent();
            Files.createDirectories(directory);
            writeAtomically(directory, target, gzippedJson);
        } catch (IOException e) {
            throw StorageException.failed("write", e);
        } finally {
            tree.readLock().unlock();
        }
    }

    private static void writeAtomically(Path directory, Path target, byte[] content) throws IOException {
        Path temp = Files.createTempFile(directory, TEMP_PREFIX, TEMP_SUFFIX);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        syncDirectory(directory);
    }

    /** Makes the rename itself durable; not every platform can open a directory, which is then fine. */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Best effort only.
        }
    }

    @Override
    public void delete(String key) {
        Path target = resolve(key, false);
        tree.writeLock().lock();
        try {
            Files.deleteIfExists(target);
            removeEmptyParents(target.getParent());
        } catch (IOException e) {
            throw StorageException.failed("delete", e);
        } finally {
            tree.writeLock().unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A folder holds one version per key, so {@link Removal#versions()} is always 0. Left-over
     * temporary files (of a write cut short by a crash; none is being written while this holds the
     * tree) go too, uncounted: they never become objects.
     */
    @Override
    public Removal deletePrefix(String prefix, Predicate<String> removable) {
        Objects.requireNonNull(removable, "removable");
        Path directory = resolve(prefix, true);
        tree.writeLock().lock();
        try {
            if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
                return Removal.NONE;
            }
            long deleted = deleteTree(directory, removable);
            removeEmptyParents(directory.getParent());
            return new Removal(deleted, 0);
        } catch (IOException e) {
            throw StorageException.failed("delete prefix", e);
        } finally {
            tree.writeLock().unlock();
        }
    }

    /** Removable files first, then the folders left empty, from the deepest up. */
    private long deleteTree(Path directory, Predicate<String> removable) throws IOException {
        List<Path> directories = new ArrayList<>();
        long deleted = 0;
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    directories.add(path);
                } else if (isTemporary(path)) {
                    Files.deleteIfExists(path);
                } else if (removable.test(keyOf(path)) && Files.deleteIfExists(path)) {
                    deleted++;
                }
            }
        }
        directories.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        for (Path dir : directories) {
            try {
                Files.deleteIfExists(dir);
            } catch (DirectoryNotEmptyException e) {
                // Holds a kept object.
            }
        }
        return deleted;
    }

    /** The key of a file under the root: its relative path with {@code /} separators. */
    private String keyOf(Path file) {
        return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    /** Empty folders would still tell that a user once uploaded: remove them up to (not including) the root. */
    private void removeEmptyParents(Path directory) throws IOException {
        Path current = directory;
        while (current != null && current.startsWith(root) && !current.equals(root)) {
            try {
                if (!Files.deleteIfExists(current)) {
                    return;
                }
            } catch (DirectoryNotEmptyException e) {
                return;
            }
            current = current.getParent();
        }
    }

    private static boolean isTemporary(Path path) {
        String name = path.getFileName().toString();
        return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
    }

    /**
     * Removes every object whose accepted day (the {@code date=} folder of its key) ended more than
     * the retention ago, so none is removed before it is that old; keys outside the layout are kept.
     * Without a retention, removes nothing. Each user's folder is swept on its own, so writes wait
     * for one user's sweep at most.
     *
     * @return how many objects were removed
     * @throws StorageException when the folder could not be listed or an object not removed
     */
    public long removeExpired() {
        if (retention.isEmpty()) {
            return 0;
        }
        LocalDate firstKept = LocalDate.ofInstant(clock.instant().minus(retention.get()), ZoneOffset.UTC);
        Path sessions = root.resolve(SESSIONS);
        if (!Files.isDirectory(sessions, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        List<String> users;
        try (Stream<Path> folders = Files.list(sessions)) {
            users = folders.filter(f -> Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS))
                    .map(f -> f.getFileName().toString())
                    .filter(name -> name.startsWith(USER_SEGMENT))
                    .toList();
        } catch (IOException e) {
            throw StorageException.failed("list folder", e);
        }
        long removed = 0;
        for (String user : users) {
            try {
                removed += deletePrefix(SESSIONS + user + "/", key -> acceptedBefore(key, firstKept)).objects();
            } catch (IllegalArgumentException e) {
                // Not a folder the service made (its name is no valid key segment): not ours to remove.
            }
        }
        return removed;
    }

    /** Whether {@code key} is {@code v1/sessions/user=<token>/date=<day>/<name>} with a day before {@code firstKept}. */
    private static boolean acceptedBefore(String key, LocalDate firstKept) {
        String[] segments = key.split("/", -1);
        if (segments.length != 5 || !segments[3].startsWith(DAY_SEGMENT)) {
            return false;
        }
        try {
            return LocalDate.parse(segments[3].substring(DAY_SEGMENT.length())).isBefore(firstKept);
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /**
     * Runs {@link #removeExpired()} now and then every hour in the background, until {@link #close()}.
     * Without a retention, starts nothing.
     */
    public synchronized void startRetentionSweeps() {
        if (retention.isEmpty() || sweeper != null) {
            return;
        }
        sweeper = Thread.ofPlatform().name("data-retention").daemon().start(this::sweepHourly);
    }

    private void sweepHourly() {
        while (true) {
            sweep();
            try {
                Thread.sleep(SWEEP_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sweep() {
        try {
            long removed = removeExpired();
            if (removed > 0) {
                LOG.atInfo().addKeyValue("type", "storage.retention").addKeyValue("objects", removed)
                        .log("removed stored objects older than DATA_RETENTION");
            }
        } catch (RuntimeException e) {
            // Storage messages never name a path (it holds a user token); other exceptions may, so only their type.
            String why = e instanceof StorageException ? e.getMessage() : e.getClass().getSimpleName();
            LOG.atWarn().addKeyValue("type", "storage.retention").log("retention sweep failed, retried within the hour: {}", why);
        }
    }

    @Override
    public void checkReachable() {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw StorageException.failed("create folder", e);
        }
        if (!Files.isDirectory(root) || !Files.isWritable(root)) {
            throw new StorageException("the storage folder is not a writable directory");
        }
    }

    @Override
    public String describe() {
        // Not a URI: log values that look like URLs are redacted, and operators need to see this one.
        return "folder " + root;
    }

    /** Stops the retention sweeps; nothing else is held open between calls. */
    @Override
    public synchronized void close() {
        if (sweeper == null) {
            return;
        }
        sweeper.interrupt();
        try {
            sweeper.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sweeper = null;
    }

    /**
     * The path of a key, or of a prefix (ending with {@code /}); refuses anything that is not a plain
     * relative path of non-empty segments inside the root.
     */
    private Path resolve(String keyOrPrefix, boolean isPrefix) {
        String what = isPrefix ? "prefix" : "key";
        if (keyOrPrefix == null || keyOrPrefix.isEmpty()) {
            throw new IllegalArgumentException(what + " is empty");
        }
        if (isPrefix != keyOrPrefix.endsWith("/")) {
            throw new IllegalArgumentException(isPrefix ? "prefix must end with '/'" : "key must not end with '/'");
        }
        if (keyOrPrefix.indexOf('\\') >= 0 || keyOrPrefix.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a backslash or a NUL character");
        }
        String path = isPrefix ? keyOrPrefix.substring(0, keyOrPrefix.length() - 1) : keyOrPrefix;
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException(what + " has an empty, '.' or '..' segment");
            }
            if (segment.startsWith(TEMP_PREFIX)) {
                throw new IllegalArgumentException(what + " has a segment reserved for temporary files");
            }
        }
        Path resolved;
        try {
            resolved = root.resolve(path).normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(what + " is not a valid path");
        }
        if (!resolved.startsWith(root) || resolved.equals(root)) {
            throw new IllegalArgumentException(what + " resolves outside the storage folder");
        }
        return resolved;
    }
}
