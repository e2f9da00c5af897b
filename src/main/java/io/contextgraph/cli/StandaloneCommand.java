package io.contextgraph.cli;

import io.contextgraph.config.Role;
import io.contextgraph.config.Settings;
import io.contextgraph.crypto.RsaKeys;
import io.contextgraph.storage.ObjectStore;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.security.interfaces.RSAPublicKey;
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
        return RoleRunner.run(Role.STANDALONE, (settings, stop, opened) -> {
            WebRole.requirePortFree(settings.web().port()); // before Redis and the worker start
            boolean usesDataDir = settings.redis().embedded() || !settings.storage().usesS3();
            StandaloneState state = usesDataDir ? StandaloneState.lock(settings.storage().dataDir()) : null;
            opened.register(state);
            EmbeddedRedis embedded = null;
            if (settings.redis().embedded()) {
                Path redisFolder = state.redisFolder();
                Optional<StandaloneState.RedisAddress> leftOver = state.leftOverRedis();
                if (leftOver.isPresent() && EmbeddedRedis.stopLeftOver(leftOver.get().port(), redisFolder)) {
                    LoggerFactory.getLogger(StandaloneCommand.class).atWarn()
                            .addKeyValue("type", "standalone.redis.left_over")
                            .log("stopped the embedded Redis that a killed standalone had left running");
                }
                embedded = opened.register(EmbeddedRedis.start(redisFolder));
                state.publishRedis(embedded.port());
            }
            Foundation base = opened.register(embedded == null
                    ? new Foundation(settings, "standalone", stop)
                    : new Foundation(settings, "standalone", "127.0.0.1", embedded.port(), stop));
            Stores.requireRegion(settings.storage());
            ObjectStore store = Stores.open(settings.storage(), settings.worker().concurrency());
            opened.register(new WorkerRole(base, store, WorkerRole.blocklist(settings)).start());
            opened.register(new WebRole(base, publicKey(settings)).start());
            LoggerFactory.getLogger(StandaloneCommand.class).atInfo().addKeyValue("type", "standalone.started")
                    .addKeyValue("storage", store.describe())
                    .addKeyValue("redis", embedded == null ? "configured" : "embedded")
                    .log("standalone: web and worker running");
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
