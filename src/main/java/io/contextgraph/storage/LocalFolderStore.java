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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The {@link ObjectStore} of the standalone role: files under a local folder, laid out like the bucket
 * ({@code <root>/v1/sessions/user=.../date=.../<id>.json.gz}), each written atomically.
 */
public final class LocalFolderStore implements ObjectStore {

    /** Temporary files start with this, which no key segment produced by the service does. */
    private static final String TEMP_PREFIX = ".tmp-";
    private static final String TEMP_SUFFIX = ".part";

    private final Path root;
    /** Writers share the folder tree; deletes take it alone, since they remove directories writers use. */
    private final ReadWriteLock tree = new ReentrantReadWriteLock();

    public LocalFolderStore(Path root) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    /** The folder the objects are under. */
    public Path root() {
        return root;
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
     *
     * @param prefix must end with {@code /}, so that {@code user=abc/} never reaches {@code user=abcd/}
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
        Path relative = root.relativize(file);
        StringBuilder key = new StringBuilder();
        for (Path segment : relative) {
            if (!key.isEmpty()) {
                key.append('/');
            }
            key.append(segment);
        }
        return key.toString();
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

    @Override
    public void close() {
        // Nothing held open between calls.
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
