package io.contextgraph.worker;

import io.contextgraph.crypto.DecryptionException;
import io.contextgraph.crypto.JweDecryptor;
import io.contextgraph.data.FilterResult;
import io.contextgraph.data.SessionFilter;
import io.contextgraph.data.StorageKeys;
import io.contextgraph.document.MalformedDocumentException;
import io.contextgraph.observability.Metrics;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.Task;
import io.contextgraph.queue.consume.Delivery;
import io.contextgraph.queue.consume.TaskConsumer.StoredCompletion;
import io.contextgraph.queue.consume.TaskConsumer;
import io.contextgraph.storage.ObjectStore;
import io.contextgraph.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Turns one accepted upload into one stored object: decrypt, parse, filter, write. The key is fixed
 * by the upload id, so processing the same task twice rewrites the same object.
 *
 * <p>Deletion race: the web role records a "forget" marker for the user when it accepts a delete,
 * ordered with the uploads by acceptance order. An upload ordered before a marker is never left in
 * storage: it is skipped if the marker exists before the write, and its object is removed again if
 * the marker appears while it is being written. If the marker is set only after our re-check, our
 * write finished before the delete task was even queued, so that delete's listing sees and removes it.
 * The re-check, the stored-session and contributor counts and the completion are one atomic Redis step
 * ({@link TaskConsumer#completeStored}), shared with the uploads of the same shard whose writes finish at the same
 * time, each still checked after its own write. If removing a covered object keeps failing
 * until the task is parked, the queue drops the task and queues the covering delete again, which removes it.
 */
final class UploadProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(UploadProcessor.class);

    private final Optional<JweDecryptor> decryptor;
    private final UploadParser parser = new UploadParser();
    private final SessionFilter filter;
    private final StoredDocument document = new StoredDocument();
    private final ObjectStore store;
    private final TaskConsumer consumer;
    private final QueueStats stats;
    private final Metrics metrics;

    UploadProcessor(Optional<JweDecryptor> decryptor, SessionFilter filter, ObjectStore store, TaskConsumer consumer,
                    QueueStats stats, Metrics metrics) {
        this.decryptor = decryptor;
        this.filter = filter;
        this.store = store;
        this.consumer = consumer;
        this.stats = stats;
        this.metrics = metrics;
    }

    Outcome process(Delivery delivery) {
        Task task = delivery.task();
        String key = StorageKeys.upload(task.user(), acceptanceDay(task), task.uploadId());
        if (delivery.coveredWhenPolled()) {
            // A previous attempt may have written it before the delete was accepted (and that delete ran).
            try {
                store.delete(key);
            } catch (StorageException e) {
                return storageFailed(e);
            }
            LOG.atInfo().addKeyValue("type", "upload.forgotten").log("upload accepted before a delete: not stored");
            return Outcome.DONE;
        }
        byte[] json;
        try {
            json = plaintext(task.body());
        } catch (DecryptionException e) {
            metrics.increment("data.upload.error", 1, "reason", e.reason());
            return new Outcome.Park(e.reason() + ": " + e.getMessage());
        }
        Optional<Object> sessions;
        try {
            sessions = parser.sessions(json);
        } catch (MalformedDocumentException e) {
            metrics.increment("data.upload.error", 1, "reason", "json");
            return Outcome.DONE;
        }
        FilterResult result = filter.filter(sessions.orElse(null), Instant.ofEpochMilli(task.acceptedAtMillis()));
        metrics.increment("data.session.drop", result.droppedSessions());
        metrics.increment("data.url.drop", result.droppedUrls().size());
        stats.recordDropped(result.droppedSessions()); // no-op for zero: counters never get a zero increment
        if (result.kept().isEmpty()) {
            metrics.increment("data.upload.error", 1, "reason", "validation");
            return Outcome.DONE;
        }
        byte[] object = document.gzippedJson(task.user(), task.uploadId(), task.acceptedAtMillis(), result.kept());
        try {
            store.put(key, object);
        } catch (StorageException e) {
            return storageFailed(e);
        }
        StoredCompletion completion = consumer.completeStored(delivery, result.kept().size());
        if (completion == StoredCompletion.COVERED) {
            try {
                store.delete(key);
            } catch (StorageException e) {
                return storageFailed(e);
            }
            return Outcome.DONE;
        }
        metrics.increment("data.session.new", result.kept().size());
        if (completion == StoredCompletion.COMPLETED_NEW_CONTRIBUTOR) {
            metrics.increment("data.user.new", 1);
        }
        return Outcome.COMPLETED;
    }

    /** Storage is unavailable or refused: counted, and the task is tried again later. */
    private Outcome storageFailed(StorageException e) {
        metrics.increment("data.upload.error", 1, "reason", "storage");
        return new Outcome.Retry("storage: " + e.getMessage());
    }

    private byte[] plaintext(byte[] body) throws DecryptionException {
        if (decryptor.isEmpty()) {
            return body;
        }
        return decryptor.get().decrypt(new String(body, StandardCharsets.US_ASCII));
    }

    private static LocalDate acceptanceDay(Task task) {
        return LocalDate.ofInstant(Instant.ofEpochMilli(task.acceptedAtMillis()), ZoneOffset.UTC);
    }
}
