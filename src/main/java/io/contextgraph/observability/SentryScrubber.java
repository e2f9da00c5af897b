package io.contextgraph.observability;

import io.sentry.Breadcrumb;
import io.sentry.Hint;
import io.sentry.SentryEvent;
import io.sentry.SentryOptions;
import io.sentry.protocol.Contexts;
import io.sentry.protocol.Message;
import io.sentry.protocol.SentryException;
import io.sentry.protocol.SentryStackFrame;
import io.sentry.protocol.SentryStackTrace;
import io.sentry.protocol.SentryThread;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The last step before an error report leaves the process: removes everything that could carry personal data
 * (request, user, extras, unknown contexts, breadcrumb data, stack-frame variables) and redacts the free text
 * that remains (exception messages, the event message, tags, breadcrumb messages).
 */
final class SentryScrubber implements SentryOptions.BeforeSendCallback, SentryOptions.BeforeBreadcrumbCallback {

    // Describe the machine and the trace, never the donor.
    private static final Set<String> KEPT_CONTEXTS = Set.of("os", "runtime", "trace");

    private final Redactor redactor;

    SentryScrubber(Redactor redactor) {
        this.redactor = redactor;
    }

    @Override
    public SentryEvent execute(SentryEvent event, Hint hint) {
        event.setRequest(null);
        event.setUser(null);
        event.setExtras(new HashMap<>());
        event.setUnknown(null);
        scrubContexts(event.getContexts());
        event.setMessage(scrubbed(event.getMessage()));
        event.setTransaction(redactor.redact(event.getTransaction()));
        event.setTags(scrubbedTags(event.getTags()));
        List<Breadcrumb> breadcrumbs = event.getBreadcrumbs();
        if (breadcrumbs != null) {
            breadcrumbs.forEach(this::scrub);
        }
        List<SentryException> exceptions = event.getExceptions();
        if (exceptions != null) {
            for (SentryException exception : exceptions) {
                exception.setValue(redactor.redact(exception.getValue()));
                if (exception.getMechanism() != null) {
                    exception.getMechanism().setData(null);
                    exception.getMechanism().setMeta(null);
                }
                withoutVariables(exception.getStacktrace());
            }
        }
        List<SentryThread> threads = event.getThreads();
        if (threads != null) {
            threads.forEach(thread -> withoutVariables(thread.getStacktrace()));
        }
        return event;
    }

    @Override
    public Breadcrumb execute(Breadcrumb breadcrumb, Hint hint) {
        scrub(breadcrumb);
        return breadcrumb;
    }

    private void scrub(Breadcrumb breadcrumb) {
        breadcrumb.getData().clear();
        breadcrumb.setMessage(redactor.redact(breadcrumb.getMessage()));
    }

    private static void scrubContexts(Contexts contexts) {
        for (String key : Collections.list(contexts.keys())) {
            if (!KEPT_CONTEXTS.contains(key)) {
                contexts.remove(key);
            }
        }
    }

    private Message scrubbed(Message message) {
        if (message == null) {
            return null;
        }
        Message clean = new Message();
        clean.setFormatted(redactor.redact(message.getFormatted()));
        clean.setMessage(redactor.redact(message.getMessage()));
        return clean;
    }

    private Map<String, String> scrubbedTags(Map<String, String> tags) {
        if (tags == null) {
            return null;
        }
        Map<String, String> clean = new LinkedHashMap<>();
        tags.forEach((key, value) -> clean.put(key, redactor.redact(value)));
        return clean;
    }

    private static void withoutVariables(SentryStackTrace stackTrace) {
        if (stackTrace == null || stackTrace.getFrames() == null) {
            return;
        }
        for (SentryStackFrame frame : stackTrace.getFrames()) {
            frame.setVars(null);
        }
    }
}
