package io.contextgraph.cli;

import io.contextgraph.config.Role;
import io.contextgraph.data.Blocklist;
import io.contextgraph.storage.ObjectStore;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code contextgraph worker}: the queue-processing role. */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Process queued uploads and deletes into the S3 bucket S3_BUCKET.")
final class WorkerCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return RoleRunner.run(Role.WORKER, (settings, stop, opened) -> {
            // Settings that only a file or the SDK can judge, before any client (Redis, Sentry, S3) is built.
            Blocklist blocklist = WorkerRole.blocklist(settings);
            Stores.requireRegion(settings.storage());
            Foundation base = opened.register(new Foundation(settings, "worker", stop));
            ObjectStore store = Stores.open(settings.storage(), settings.worker().concurrency());
            opened.register(new WorkerRole(base, store, blocklist).start());
        });
    }
}
