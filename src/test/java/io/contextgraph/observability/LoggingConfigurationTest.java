package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.status.Status;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The bundled logback.xml as Logback actually loads it, and the java.util.logging bridge. */
class LoggingConfigurationTest {

    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();

    @Test
    void logbackXmlLoadsWithoutErrors() {
        assertThat(context.getStatusManager().getCopyOfStatusList())
                .noneMatch(status -> status.getEffectiveLevel() >= Status.WARN);
    }

    @Test
    void rootWritesMozlogToStdoutThroughANonBlockingQueue() {
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.toLevel(System.getenv().getOrDefault("LOG_LEVEL", "INFO")));
        AsyncAppender async = (AsyncAppender) root.getAppender("ASYNC");
        assertThat(async.isNeverBlock()).isTrue();
        assertThat(async.getQueueSize()).isPositive();
        assertThat(async).isInstanceOf(LogQueueAppender.class);
        BufferedStdoutAppender stdout = (BufferedStdoutAppender) async.getAppender("STDOUT");
        assertThat(stdout.isStarted()).isTrue();
        assertThat(stdout.getEncoder()).isInstanceOf(MozlogEncoder.class);
    }

    @Test
    void chattyLibrariesAreQuietened() {
        for (String name : new String[] {"io.helidon", "io.netty", "io.lettuce", "software.amazon.awssdk"}) {
            assertThat(context.getLogger(name + ".Something").getEffectiveLevel()).as(name).isEqualTo(Level.WARN);
        }
    }

    @Test
    void javaUtilLoggingReachesSlf4j() {
        Logging.install();
        Logging.install(); // twice is harmless
        Logger target = context.getLogger("jul.bridge.check");
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.setContext(context);
        seen.start();
        target.addAppender(seen);
        try {
            java.util.logging.Logger.getLogger("jul.bridge.check").warning("from JUL");
            assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("from JUL");
            assertThat(seen.list.getFirst().getLevel()).isEqualTo(Level.WARN);
        } finally {
            target.detachAppender(seen);
        }
    }

    @Test
    void systemLoggerReachesSlf4j() {
        Logger target = context.getLogger("platform.logger.check");
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.setContext(context);
        seen.start();
        target.addAppender(seen);
        try {
            System.getLogger("platform.logger.check").log(System.Logger.Level.WARNING, "from System.Logger");
            assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("from System.Logger");
        } finally {
            target.detachAppender(seen);
        }
    }
}
