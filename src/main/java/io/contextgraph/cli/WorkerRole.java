package io.contextgraph.cli;

import com.google.common.collect.Comparators;
import io.contextgraph.config.ConfigException;
import io.contextgraph.config.Settings;
import io.contextgraph.crypto.JweDecryptor;
import io.contextgraph.crypto.KeyFormatException;
import io.contextgraph.crypto.RsaKeys;
import io.contextgraph.data.Blocklist;
import io.contextgraph.data.SessionFilter;
import io.contextgraph.data.UrlFilter;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.queue.deadletter.DeadLetters;
import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.storage.ObjectStore;
import io.contextgraph.worker.DeadLetterExpiry;
import io.contextgraph.worker.TaskLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Wires the worker role: queue consumer, data rules, decryption and storage. */
final class WorkerRole implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerRole.class);

    private final Foundation base;
    private final ObjectStore store;
    private final TaskConsumer consumer;
    private final TaskLoop loop;
    private final DeadLetterExpiry expiry;
    private final Thread storageCheck;

    WorkerRole(Foundation base, ObjectStore store, Blocklist blocklist) {
        this.base = base;
        this.store = store;
        Settings settings = base.settings;
        Optional<JweDecryptor> decryptor = privateKey(settings.keys()).map(JweDecryptor::new);
        decryptor.flatMap(JweDecryptor::keyId).ifPresent(kid -> LOG.atInfo().addKeyValue("type", "startup.key")
                .addKeyValue("kid", kid).log("decrypting uploads encrypted to key id " + kid));
        SessionFilter filter = new SessionFilter(new UrlFilter(blocklist));
        this.consumer = new TaskConsumer(base.redis, base.queue, TaskConsumer.uniqueConsumerName());
        QueueStats stats = new QueueStats(base.redis, base.queue);
        TaskQueue queue = new TaskQueue(base.redis, base.queue);
        QueueLengthGauges.register(base.metrics, queue);
        DeadLetters deadLetters = new DeadLetters(base.redis, base.queue);
        this.expiry = new DeadLetterExpiry(deadLetters, base.metrics, base.queue.deadLetterRetention());
        this.loop = TaskLoop.create(consumer, decryptor, filter, store, deadLetters, stats,
                base.metrics, base.errors, settings.worker().concurrency(), settings.worker().maxInflightBytes(),
                settings.worker().maxBodyBytes(), settings.web().shutdownGrace());
        // The startup check must not block or stop the worker: S3 may come up later than we do.
        this.storageCheck = Thread.ofVirtual().name("storage-check").unstarted(this::checkStorageUntilReachable);
    }

    WorkerRole start() {
        storageCheck.start();
        loop.start();
        expiry.start();
        LOG.atInfo().addKeyValue("type", "worker.started").addKeyValue("storage", store.describe())
                .addKeyValue("concurrency", loop.concurrency())
                .addKeyValue("max_inflight_bytes", base.settings.worker().maxInflightBytes()).log("worker started");
        return this;
    }

    private void checkStorageUntilReachable() {
        Duration pause = Duration.ofSeconds(1);
        boolean reported = false;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                store.checkReachable();
                if (reported) {
                    LOG.atInfo().addKeyValue("type", "startup.storage").log("storage reachable again");
                }
                logVersioning();
                return;
            } catch (RuntimeException e) {
                if (!reported) {
                    LOG.atError().addKeyValue("type", "startup.storage").setCause(e)
                            .log("startup check failed: storage not reachable; retrying in the background");
                    base.errors.report(e, "startup check failed: storage");
                    reported = true;
                }
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
            pause = Comparators.min(pause.multipliedBy(2), Duration.ofSeconds(30));
        }
    }

    /** Deletes remove every version on a versioned bucket whatever this says; operators see which kind it is. */
    private void logVersioning() {
        try {
            LOG.atInfo().addKeyValue("type", "startup.storage.versioning")
                    .addKeyValue("versioning", store.versioning().label()).log("storage versioning detected");
        } catch (RuntimeException e) {
            LOG.atWarn().addKeyValue("type", "startup.storage.versioning").setCause(e)
                    .log("could not detect storage versioning; deletes remove every version");
        }
    }

    static Optional<java.security.interfaces.RSAPrivateKey> privateKey(Settings.Keys keys) {
        try {
            return keys.privateKey().map(RsaKeys::privateKeyFromEnv);
        } catch (KeyFormatException e) {
            throw new ConfigException("PRIVATE_KEY", e.getMessage());
        }
    }

    static Blocklist blocklist(Settings settings) {
        if (settings.blocklistFile().isEmpty()) {
            return Blocklist.bundled();
        }
        Path file = settings.blocklistFile().get();
        try {
            return Blocklist.fromFile(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("BLOCKLIST_FILE", "no such file: " + file);
        } catch (CharacterCodingException e) {
            throw new ConfigException("BLOCKLIST_FILE", file + " is not UTF-8 text");
        } catch (IOException e) {
            // Some IOExceptions (AccessDeniedException...) carry only the path as their message.
            throw new ConfigException("BLOCKLIST_FILE", "cannot read " + file + " ("
                    + e.getClass().getSimpleName() + ")");
        } catch (IllegalArgumentException e) {
            throw new ConfigException("BLOCKLIST_FILE", e.getMessage());
        }
    }

    @Override
    public void close() {
        storageCheck.interrupt();
        expiry.close();
        loop.close();
        consumer.close();
        try {
            store.close();
        } catch (Exception e) {
            LOG.atWarn().addKeyValue("type", "worker.close").log("storage client did not close cleanly");
        }
    }
}
