package io.contextgraph.testing;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.CyclicBufferAppender;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.slf4j.LoggerFactory;

/**
 * Prints the in-JVM log lines of a failed test, and only of a failed one: src/test/resources/logback-test.xml keeps
 * them in memory instead of on the console. Registered for every test (junit-platform.properties, META-INF/services).
 */
public final class LogsOnFailure implements BeforeEachCallback, TestWatcher {

    @Override
    public void beforeEach(ExtensionContext context) {
        memory().ifPresent(CyclicBufferAppender::reset);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        memory().filter(memory -> memory.getLength() > 0).ifPresent(memory -> {
            PatternLayout layout = new PatternLayout();
            layout.setContext(memory.getContext());
            layout.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{30} %msg %kvp%n%ex");
            layout.start();
            StringBuilder lines = new StringBuilder("---- log of " + context.getRequiredTestClass().getSimpleName()
                    + " " + context.getDisplayName() + "\n");
            for (int i = 0; i < memory.getLength(); i++) {
                lines.append(layout.doLayout(memory.get(i)));
            }
            System.out.print(lines);
        });
    }

    private static Optional<CyclicBufferAppender<ILoggingEvent>> memory() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback
                && logback.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("MEMORY")
                        instanceof CyclicBufferAppender<ILoggingEvent> memory) {
            return Optional.of(memory);
        }
        return Optional.empty();
    }
}
