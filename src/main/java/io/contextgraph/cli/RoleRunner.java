package io.contextgraph.cli;

import io.contextgraph.config.ConfigException;
import io.contextgraph.config.Role;
import io.contextgraph.config.Settings;
import io.contextgraph.config.SettingsLoader;
import io.contextgraph.observability.Logging;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
         * @param stop asks the running role to stop with {@link #CONFIG_ERROR} after printing one line (for problems
         *             found after start, e.g. a Redis that came up with an evicting policy)
         */
        AutoCloseable start(Settings settings, Consumer<String> stop) throws Exception;
    }

    private RoleRunner() {
    }

    /** Starts a role on top of its foundation; if starting fails, the foundation is closed again. */
    static AutoCloseable onTopOf(Foundation base, java.util.concurrent.Callable<AutoCloseable> role) throws Exception {
        try {
            AutoCloseable started = role.call();
            return () -> {
                started.close();
                base.close();
            };
        } catch (Exception e) {
            base.close();
            throw e;
        }
    }

    static int run(Role role, Starter starter) {
        Settings settings;
        try {
            settings = SettingsLoader.load(role, System.getenv());
        } catch (ConfigException e) {
            System.err.println("contextgraph: configuration error: " + e.getMessage());
            return CONFIG_ERROR;
        }
        Logging.install();
        Logger log = LoggerFactory.getLogger(RoleRunner.class);
        ShutdownSignal signal = new ShutdownSignal();
        AtomicInteger status = new AtomicInteger(0);
        Consumer<String> stop = line -> {
            if (status.compareAndSet(0, CONFIG_ERROR)) {
                System.err.println("contextgraph: configuration error: " + line);
                signal.request();
            }
        };
        AutoCloseable running;
        try {
            running = starter.start(settings, stop);
        } catch (ConfigException e) {
            System.err.println("contextgraph: configuration error: " + e.getMessage());
            signal.stopped();
            return CONFIG_ERROR;
        } catch (Exception e) {
            log.atError().addKeyValue("type", "startup.failed").setCause(e).log("could not start");
            Logging.flushAndStop();
            signal.stopped();
            return START_FAILURE;
        }
        try {
            signal.awaitRequest();
            log.atInfo().addKeyValue("type", "shutdown").log("stopping");
            running.close();
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
