package io.contextgraph.cli;

import io.contextgraph.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The standalone role's own files, kept beside DATA_DIR in {@code <DATA_DIR>-state/} rather than inside it, because
 * analysts glob DATA_DIR: a lock held for the life of the process (one standalone per data folder, so never two
 * embedded Redis servers on one append-only file), the embedded Redis's folder, and that Redis's address for
 * {@code dead-letters}.
 */
final class StandaloneState implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneState.class);
    static final String LOCK = "lock";
    static final String REDIS_ADDRESS = "redis.address";
    static final String REDIS_FOLDER = "redis";

    private final Path dataDir;
    private final Path folder;
    private final FileChannel lockFile;
    private final FileLock lock;

    private StandaloneState(Path dataDir, Path folder, FileChannel lockFile, FileLock lock) {
        this.dataDir = dataDir;
        this.folder = folder;
        this.lockFile = lockFile;
        this.lock = lock;
    }

    /** {@code ./data} → {@code ./data-state}: a sibling, so that {@code data/**} never reaches it. */
    static Path folderOf(Path dataDir) {
        Path absolute = dataDir.toAbsolutePath().normalize();
        if (absolute.getParent() == null) {
            throw new ConfigException("DATA_DIR", "must not be the root of the file system");
        }
        return absolute.resolveSibling(absolute.getFileName() + "-state");
    }

    /**
     * Takes the data folder for this process, or stops the start with one line when another standalone holds it.
     *
     * @throws ConfigException when the folder is in use
     */
    static StandaloneState lock(Path configuredDataDir) throws IOException {
        Path dataDir;
        Path folder;
        try {
            Files.createDirectories(configuredDataDir);
            // The real path, so that a symlink or "data/" vs "./data" still meet at the same lock.
            dataDir = configuredDataDir.toRealPath();
            folder = folderOf(dataDir);
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new ConfigException("DATA_DIR", "cannot create the data folder or its state folder beside it ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        Path lockPath = folder.resolve(LOCK);
        FileChannel channel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String holder = Files.readString(lockPath, StandardCharsets.UTF_8).strip();
            channel.close();
            throw new ConfigException("DATA_DIR", dataDir + " is in use by another standalone"
                    + (holder.isEmpty() ? "" : " (pid " + holder + ")") + ", which holds " + lockPath
                    + "; stop it first, or give this one another DATA_DIR");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        return new StandaloneState(dataDir, folder, channel, lock);
    }

    /**
     * The embedded Redis's folder; one left inside DATA_DIR by an older version is moved here first, or, when that
     * cannot be done in one rename, used where it is.
     */
    Path redisFolder() throws IOException {
        Path current = folder.resolve(REDIS_FOLDER);
        Path old = dataDir.resolve(REDIS_FOLDER);
        if (!Files.isDirectory(old)) {
            return current;
        }
        if (Files.exists(current)) {
            LOG.atWarn().addKeyValue("type", "standalone.redis.old_folder").addKeyValue("ignored", old.toString())
                    .addKeyValue("used", current.toString()).log("an older embedded Redis folder is left inside DATA_DIR");
            return current;
        }
        try {
            Files.move(old, current, StandardCopyOption.ATOMIC_MOVE);
            LOG.atInfo().addKeyValue("type", "standalone.redis.moved").addKeyValue("from", old.toString())
                    .addKeyValue("to", current.toString()).log("moved the embedded Redis folder out of DATA_DIR");
            return current;
        } catch (AtomicMoveNotSupportedException e) {
            LOG.atWarn().addKeyValue("type", "standalone.redis.old_folder").addKeyValue("used", old.toString())
                    .addKeyValue("move_to", current.toString())
                    .log("the embedded Redis folder is inside DATA_DIR and on another file system; move it by hand");
            return old;
        }
    }

    /** Tells {@code dead-letters} where the embedded Redis listens; replaced atomically, gone after a clean stop. */
    void publishRedis(int port) throws IOException {
        Path temp = Files.createTempFile(folder, ".redis-address-", ".tmp");
        Files.writeString(temp, "127.0.0.1:" + port + "\n", StandardCharsets.UTF_8);
        Files.move(temp, folder.resolve(REDIS_ADDRESS), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** The address this folder's last standalone published, still there if it did not stop cleanly. */
    Optional<RedisAddress> leftOverRedis() {
        return read(folder.resolve(REDIS_ADDRESS));
    }

    /** The address a standalone on {@code dataDir} published for its embedded Redis, if one did. */
    static Optional<RedisAddress> publishedRedis(Path dataDir) {
        try {
            return read(folderOf(dataDir.toRealPath()).resolve(REDIS_ADDRESS));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the standalone's Redis address: " + e.getMessage(), e);
        }
    }

    private static Optional<RedisAddress> read(Path file) {
        try {
            return Optional.of(RedisAddress.parse(Files.readString(file, StandardCharsets.UTF_8).strip(), file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the standalone's Redis address: " + e.getMessage(), e);
        }
    }

    /** Where an embedded Redis listens, as written to {@code redis.address}. */
    record RedisAddress(String host, int port, Path file) {
        static RedisAddress parse(String text, Path file) {
            int colon = text.lastIndexOf(':');
            try {
                return new RedisAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)), file);
            } catch (RuntimeException e) {
                throw new IllegalStateException(file + " does not hold a host:port");
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(folder.resolve(REDIS_ADDRESS));
        } finally {
            lock.release();
            lockFile.close();
        }
    }
}
