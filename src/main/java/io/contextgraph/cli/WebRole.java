package io.contextgraph.cli;

import io.contextgraph.api.ApiRoutes;
import io.contextgraph.api.EncryptedFormat;
import io.contextgraph.api.InflightBudget;
import io.contextgraph.api.PlainJsonFormat;
import io.contextgraph.api.UploadFormat;
import io.contextgraph.config.ConfigException;
import io.contextgraph.crypto.JweShape;
import io.contextgraph.crypto.KeyFormatException;
import io.contextgraph.crypto.PublicJwk;
import io.contextgraph.crypto.RsaKeys;
import io.contextgraph.queue.QueueStats;
import io.contextgraph.queue.ingest.TaskQueue;
import io.contextgraph.web.Dockerflow;
import io.contextgraph.web.HttpServer;
import io.contextgraph.web.IndexPage;
import io.contextgraph.web.RequestObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Optional;

/** Wires the web role: HTTP server, API, Dockerflow endpoints, on top of the shared foundation. */
final class WebRole implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(WebRole.class);

    private final HttpServer server;
    private final Optional<String> keyId;
    private final int port;

    WebRole(Foundation base, Optional<RSAPublicKey> publicKey) {
        this.port = base.settings.web().port();
        this.keyId = publicKey.map(PublicJwk::thumbprint);
        TaskQueue queue = new TaskQueue(base.redis, base.queue);
        QueueStats stats = new QueueStats(base.redis, base.queue);
        UploadFormat format = publicKey.<UploadFormat>map(key -> new EncryptedFormat(new JweShape(key)))
                .orElseGet(PlainJsonFormat::new);
        ApiRoutes api = new ApiRoutes(queue, format, publicKey.map(PublicJwk::json), stats::snapshot,
                new InflightBudget(base.settings.web().maxInflightBytes()));
        Dockerflow dockerflow = new Dockerflow(base.version, List.of(new RedisHealth(base.redis)));
        IndexPage index = new IndexPage();
        this.server = new HttpServer(base.settings.web(), new RequestObserver(base.metrics), base.errors,
                List.of(dockerflow::register, index::register, api::register));
    }

    WebRole start() {
        // The worker logs the same line: two different kids mean PUBLIC_KEY and PRIVATE_KEY are not one pair.
        keyId.ifPresent(kid -> LOG.atInfo().addKeyValue("type", "startup.key").addKeyValue("kid", kid)
                .log("uploads must be encrypted to key id " + kid));
        server.start();
        if (!server.running() || server.port() < 0) {
            // Taken between the check and the bind; Helidon has logged why and keeps no listener.
            throw new ConfigException("PORT", "cannot listen on port " + port + " (Address already in use?)");
        }
        return this;
    }

    /**
     * Refuses a port another process listens on, before Redis and the server are built (Helidon would run on
     * without it); the commands call it first thing.
     */
    static void requirePortFree(int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            // "Address already in use", "Permission denied" (below 1024 without the capability)...
            throw new ConfigException("PORT", "cannot listen on port " + port + ": " + e.getMessage());
        }
    }

    static Optional<RSAPublicKey> publicKey(io.contextgraph.config.Settings.Keys keys) {
        try {
            return keys.publicKey().map(RsaKeys::publicKeyFromEnv);
        } catch (KeyFormatException e) {
            throw new ConfigException("PUBLIC_KEY", e.getMessage());
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
