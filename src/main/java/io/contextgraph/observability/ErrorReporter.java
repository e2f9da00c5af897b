package io.contextgraph.observability;

import io.sentry.DataCollection;
import io.sentry.KeyValueCollectionBehavior;
import io.sentry.Sentry;
import io.sentry.SentryEvent;
import io.sentry.SentryLevel;
import io.sentry.SentryOptions;
import io.sentry.protocol.Message;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Sends unexpected exceptions and failed startup checks to Sentry (SPEC "Errors"), tagged with the role and
 * the release, and scrubbed of personal data by {@link SentryScrubber} before they leave the process.
 *
 * <p>Without a DSN every method does nothing. The Sentry SDK keeps its client in a process-wide singleton
 * (that is also how its uncaught-exception handler finds it), so one process runs one started reporter.
 */
public final class ErrorReporter implements AutoCloseable {

    private final boolean enabled;

    private ErrorReporter(boolean enabled) {
        this.enabled = enabled;
    }

    /** Reporting to {@code dsn} (off when empty or blank), environment from {@code SENTRY_ENVIRONMENT} if set. */
    public static ErrorReporter start(Optional<String> dsn, String release, String role) {
        return start(dsn, release, role, Optional.ofNullable(System.getenv("SENTRY_ENVIRONMENT")));
    }

    /** Reporting to {@code dsn} (off when empty or blank) as {@code release}, tagged {@code role}. */
    public static ErrorReporter start(Optional<String> dsn, String release, String role, Optional<String> environment) {
        Optional<String> target = dsn.map(String::strip).filter(value -> !value.isEmpty());
        if (target.isEmpty()) {
            return off();
        }
        SentryScrubber scrubber = new SentryScrubber(new Redactor());
        SentryOptions options = new SentryOptions();
        options.setDsn(target.get());
        options.setRelease(release);
        environment.map(String::strip).filter(value -> !value.isEmpty()).ifPresent(options::setEnvironment);
        options.setTag("role", role);
        options.setDataCollection(nothingPersonal());
        options.setAttachStacktrace(true);
        options.setEnableExternalConfiguration(false);
        options.addInAppInclude("io.contextgraph");
        options.setBeforeSend(scrubber);
        options.setBeforeBreadcrumb(scrubber);
        try {
            Sentry.init(options);
        } catch (RuntimeException e) {
            // The DSN holds the project key: say what is wrong without repeating it.
            throw new IllegalArgumentException("SENTRY_DSN is not a valid Sentry DSN", e);
        }
        return new ErrorReporter(true);
    }

    // The SDK's own switches for personal data (they replace the deprecated sendDefaultPii, false by default):
    // all off. Our integrations add no request data, but an integration added later would honour these.
    private static DataCollection nothingPersonal() {
        DataCollection collection = new DataCollection();
        collection.setUserInfo(false);
        collection.setCookies(KeyValueCollectionBehavior.off());
        collection.setUrlQueryParams(KeyValueCollectionBehavior.off());
        collection.getHttpHeaders().setRequest(KeyValueCollectionBehavior.off());
        collection.getHttpHeaders().setResponse(KeyValueCollectionBehavior.off());
        collection.setHttpBodies(Set.of());
        collection.setDatabaseQueryData(false);
        collection.setFilePaths(false);
        return collection;
    }

    /** A reporter that sends nothing. */
    public static ErrorReporter off() {
        return new ErrorReporter(false);
    }

    /** Whether reports are sent anywhere. */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Reports {@code error}; {@code what} is a short constant description such as
     * {@code "startup check failed: redis"}, never a value from a request.
     */
    public void report(Throwable error, String what) {
        if (!enabled) {
            return;
        }
        SentryEvent event = new SentryEvent(error);
        event.setLevel(SentryLevel.ERROR);
        Message message = new Message();
        message.setFormatted(what);
        event.setMessage(message);
        Sentry.captureEvent(event);
    }

    /** Waits up to {@code timeout} for the reports taken so far to be sent. */
    public void flush(Duration timeout) {
        if (enabled) {
            Sentry.flush(timeout.toMillis());
        }
    }

    /** Sends what is pending (bounded by the SDK's shutdown timeout) and stops reporting. */
    @Override
    public void close() {
        if (enabled) {
            Sentry.close();
        }
    }
}
