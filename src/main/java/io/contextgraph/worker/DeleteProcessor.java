package io.contextgraph.worker;

import io.contextgraph.data.StorageKeys;
import io.contextgraph.observability.Metrics;
import io.contextgraph.queue.DeadLetters;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.Task;
import io.contextgraph.storage.ObjectStore;
import io.contextgraph.storage.StorageException;

/**
 * Forgets a user: removes every stored object under the user's prefix (and unfinished multipart
 * uploads), and their parked dead letters. Uploads still queued are handled by {@link UploadProcessor}.
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
        try {
            store.deletePrefix(StorageKeys.userPrefix(task.user()), key -> true);
        } catch (StorageException e) {
            return new Outcome.Retry("storage: " + e.getMessage());
        }
        deadLetters.purgeUser(task.user());
        metrics.increment("data.user.delete", 1);
        stats.recordUserDeleted();
        return Outcome.DONE;
    }
}
