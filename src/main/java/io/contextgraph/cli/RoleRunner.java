package io.contextgraph.cli;

import com.google.common.io.Closer;
import io.contextgraph.config.ConfigException;
import io.contextgraph.config.Role;
import io.contextgraph.config.Settings;
import io.contextgraph.config.SettingsLoader;
import io.contextgraph.observability.Logging;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs one long-lived role: reads the settings (stopping with one clear line on a config error),
 * starts the role, waits for SIGTERM, and closes everything in order.
 */
final class RoleRunner {
    static final int CONFIG_ERROR = 2;
    static final int START_FAILURE = 1;

    interface Starter {
        /**
         * @param stop   asks the running role to stop with {@link #CONFIG_ERROR} after printing one line (for problems
         *               found after start, e.g. a Redis that came up with an evicting policy)
         * @param opened takes what the role opens; closed in reverse order, on a failed start as on a stop
         */
        void start(Settings settings, Consumer<String> stop, Closer opened) throws Exception;
    }

    private RoleRunner() {
    }

    /** Prints the one line a configuration problem stops the process with. */
    static int configError(String problem) {
        System.err.println("contextgraph: configuration error: " + problem);
        return CONFIG_ERROR;
    }

    static int run(Role role, Starter starter) {
        Settings settings;
        try {
            settings = SettingsLoader.load(role, System.getenv());
        } catch (ConfigException e) {
            return configError(e.getMessage());
        }
        Logging.install();
        Logger log = LoggerFactory.getLogger(RoleRunner.class);
        ShutdownSignal signal = new ShutdownSignal();
        AtomicInteger status = new AtomicInteger(0);
        Consumer<String> stop = line -> {
            if (status.compareAndSet(0, CONFIG_ERROR)) {
                configError(line);
                signal.request();
            }
        };
        Closer opened = Closer.create();
        try {
            starter.start(settings, stop, opened);
        } catch (Exception e) {
            try {
                opened.close();
            } catch (IOException | RuntimeException closing) {
                e.addSuppressed(closing);
            }
            if (e instanceof ConfigException) {
                configError(e.getMessage());
                signal.stopped();
                return CONFIG_ERROR;
            }
            log.atError().addKeyValue("type", "startup.failed").setCause(e).log("could not start");
            Logging.flushAndStop();
            signal.stopped();
            return START_FAILURE;
        }
        try {
            signal.awaitRequest();
            log.atInfo().addKeyValue("type", "shutdown").log("stopping");
            opened.close();
        } catch (Exception e) {
            log.atError().addKeyValue("type", "shutdown.failed").setCause(e).log("did not stop cleanly");
        } finally {
            log.atInfo().addKeyValue("type", "shutdown.done").log("stopped");
            Logging.flushAndStop();
            signal.stopped();
        }
        return status.get();
    }
}
