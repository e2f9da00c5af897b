package io.contextgraph.worker;

import io.contextgraph.data.StorageKeys;
import io.contextgraph.observability.Metrics;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.Task;
import io.contextgraph.queue.UploadIds;
import io.contextgraph.queue.deadletter.DeadLetters;
import io.contextgraph.storage.ObjectStore;
import io.contextgraph.storage.Removal;
import io.contextgraph.storage.StorageException;

/**
 * Forgets a user: removes the stored objects (every version, and unfinished multipart uploads) of every upload of the
 * user accepted before the delete, and the user's parked dead letters accepted before it. Uploads still queued are
 * handled by {@link UploadProcessor}.
 *
 * <p><b>Exactly what was accepted before.</b> Each object's key holds its upload id, which starts with the upload's
 * acceptance order; the delete has an order from the same generator ({@link Task#orderId()}). The delete removes a
 * key only when its order is earlier than the delete's ({@link UploadIds#acceptedBefore}), so it removes the same
 * set whenever it runs: first try, retry after a storage error, reclaim from a dead worker, or a dead-letter replay
 * days later, after newer uploads were stored. Keys without an order predate orders, hence every such delete.
 */
final class DeleteProcessor {
    private final ObjectStore store;
    private final DeadLetters deadLetters;
    private final QueueStats stats;
    private final Metrics metrics;

    DeleteProcessor(ObjectStore store, DeadLetters deadLetters, QueueStats stats, Metrics metrics) {
        this.store = store;
        this.deadLetters = deadLetters;
        this.stats = stats;
        this.metrics = metrics;
    }

    Outcome process(Task task) {
        String order = task.orderId();
        Removal removal;
        try {
            removal = store.deletePrefix(StorageKeys.userPrefix(task.user()), key -> acceptedBefore(key, order));
        } catch (StorageException e) {
            return new Outcome.Retry("storage: " + e.getMessage());
        }
        deadLetters.purgeUser(task.user(), order);
        metrics.increment("data.user.delete", 1);
        metrics.increment("data.user.delete.objects", removal.objects());
        metrics.increment("data.user.delete.versions", removal.versions());
        stats.recordUserDeleted();
        return Outcome.DONE;
    }

    /** Keys that are not upload keys sit under the user's prefix all the same: they go too. */
    static boolean acceptedBefore(String key, String deleteOrder) {
        return StorageKeys.uploadIdOf(key).map(id -> UploadIds.acceptedBefore(id, deleteOrder)).orElse(true);
    }
}
