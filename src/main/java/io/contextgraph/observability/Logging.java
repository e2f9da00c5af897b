package io.contextgraph.observability;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Routes java.util.logging into SLF4J, so that libraries logging through JUL end up as mozlog lines too.
 * (System.Logger, which Helidon uses, reaches SLF4J through {@code slf4j-jdk-platform-logging} already.)
 */
public final class Logging {

    private Logging() {
    }

    /** Replaces JUL's console handler by the SLF4J bridge; calling it again does nothing. */
    public static void install() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /**
     * Drains the asynchronous log queue and stops logging. The roles call this as their very last step
     * of a shutdown: a JVM shutdown hook of Logback's own would race the role's final log lines.
     */
    public static void flushAndStop() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.stop();
        }
    }
}
