package io.contextgraph.cli;

import io.contextgraph.config.Role;
import io.contextgraph.config.Settings;
import io.contextgraph.crypto.RsaKeys;
import io.contextgraph.storage.ObjectStore;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code contextgraph standalone}: web and worker in one process for a laptop or a demo. Without
 * REDIS_HOST it runs its own Redis; without S3_BUCKET it stores uploads under DATA_DIR (./data). Either way it
 * holds {@code <DATA_DIR>-state/lock}, so a second standalone on the same folder stops at start.
 */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = {"Run web and worker in one process, with embedded Redis and a local data folder by default.",
                "Takes both PUBLIC_KEY and PRIVATE_KEY (PRIVATE_KEY alone is enough: the public half is derived).",
                "Keeps its lock, embedded Redis and that Redis's address in <DATA_DIR>-state/, beside DATA_DIR."})
final class StandaloneCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return RoleRunner.run(Role.STANDALONE, (settings, stop) -> {
            WebRole.requirePortFree(settings.web().port()); // before Redis and the worker start
            // Closed in reverse order of opening, on a failed start as on a stop.
            Deque<AutoCloseable> opened = new ArrayDeque<>();
            try {
                boolean usesDataDir = settings.redis().embedded() || !settings.storage().usesS3();
                StandaloneState state = usesDataDir ? StandaloneState.lock(settings.storage().dataDir()) : null;
                if (state != null) {
                    opened.push(state);
                }
                EmbeddedRedis embedded = null;
                if (settings.redis().embedded()) {
                    Path redisFolder = state.redisFolder();
                    Optional<StandaloneState.RedisAddress> leftOver = state.leftOverRedis();
                    if (leftOver.isPresent() && EmbeddedRedis.stopLeftOver(leftOver.get().port(), redisFolder)) {
                        LoggerFactory.getLogger(StandaloneCommand.class).atWarn()
                                .addKeyValue("type", "standalone.redis.left_over")
                                .log("stopped the embedded Redis that a killed standalone had left running");
                    }
                    embedded = EmbeddedRedis.start(redisFolder);
                    opened.push(embedded);
                    state.publishRedis(embedded.port());
                }
                Foundation base = embedded == null
                        ? new Foundation(settings, "standalone", stop)
                        : new Foundation(settings, "standalone", "127.0.0.1", embedded.port(), stop);
                opened.push(base);
                ObjectStore store = Stores.open(settings.storage(), settings.worker().concurrency());
                WorkerRole worker = new WorkerRole(base, store).start();
                opened.push(worker);
                WebRole web = new WebRole(base, publicKey(settings)).start();
                opened.push(web);
                LoggerFactory.getLogger(StandaloneCommand.class).atInfo().addKeyValue("type", "standalone.started")
                        .addKeyValue("storage", store.describe())
                        .addKeyValue("redis", embedded == null ? "configured" : "embedded")
                        .log("standalone: web and worker running");
                return () -> closeAll(opened);
            } catch (Exception e) {
                try {
                    closeAll(opened);
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        });
    }

    private static void closeAll(Deque<AutoCloseable> opened) throws Exception {
        Exception first = null;
        while (!opened.isEmpty()) {
            try {
                opened.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
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
