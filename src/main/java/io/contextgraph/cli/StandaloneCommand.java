package io.contextgraph.cli;

import io.contextgraph.config.Role;
import io.contextgraph.config.Settings;
import io.contextgraph.crypto.RsaKeys;
import io.contextgraph.storage.ObjectStore;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

import java.security.interfaces.RSAPublicKey;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code contextgraph standalone}: web and worker in one process for a laptop or a demo. Without
 * REDIS_HOST it runs its own Redis; without S3_BUCKET it stores uploads under DATA_DIR (./data).
 */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = "Run web and worker in one process, with embedded Redis and a local data folder by default.")
final class StandaloneCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return RoleRunner.run(Role.STANDALONE, (settings, stop) -> {
            WebRole.requirePortFree(settings.web().port()); // before Redis and the worker start
            EmbeddedRedis embedded = settings.redis().embedded() ? EmbeddedRedis.start(settings.storage().dataDir()) : null;
            Foundation base = embedded == null
                    ? new Foundation(settings, "standalone", stop)
                    : new Foundation(settings, "standalone", "127.0.0.1", embedded.port(), stop);
            try {
                ObjectStore store = Stores.open(settings.storage(), settings.worker().concurrency());
                WorkerRole worker = new WorkerRole(base, store).start();
                WebRole web = new WebRole(base, publicKey(settings)).start();
                LoggerFactory.getLogger(StandaloneCommand.class).atInfo().addKeyValue("type", "standalone.started")
                        .addKeyValue("storage", store.describe())
                        .addKeyValue("redis", embedded == null ? "configured" : "embedded")
                        .log("standalone: web and worker running");
                return () -> {
                    web.close();
                    worker.close();
                    base.close();
                    if (embedded != null) {
                        embedded.close();
                    }
                };
            } catch (RuntimeException e) {
                base.close();
                if (embedded != null) {
                    embedded.close();
                }
                throw e;
            }
        });
    }

    /** With only a private key, the public half is derived from it. */
    private static Optional<RSAPublicKey> publicKey(Settings settings) {
        Optional<RSAPublicKey> configured = WebRole.publicKey(settings.keys());
        if (configured.isPresent()) {
            return configured;
        }
        return WorkerRole.privateKey(settings.keys()).map(RsaKeys::publicOf);
    }
}
