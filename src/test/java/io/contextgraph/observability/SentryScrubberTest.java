package io.contextgraph.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentry.Breadcrumb;
import io.sentry.Hint;
import io.sentry.SentryEvent;
import io.sentry.protocol.Mechanism;
import io.sentry.protocol.Message;
import io.sentry.protocol.Request;
import io.sentry.protocol.SentryException;
import io.sentry.protocol.SentryStackFrame;
import io.sentry.protocol.SentryStackTrace;
import io.sentry.protocol.SentryThread;
import io.sentry.protocol.User;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Everything {@link SentryScrubber} removes or redacts from an event, including what the SDK never fills today. */
class SentryScrubberTest {

    private final SentryScrubber scrubber = new SentryScrubber(new Redactor());

    @Test
    void dropsRequestUserExtrasUnknownContextsAndVariables() {
        SentryEvent event = new SentryEvent();
        Request request = new Request();
        request.setUrl("https://service.example/v1/upload");
        request.setHeaders(Map.of("X-User", "tok"));
        request.setData("{\"sessions\":[]}");
        event.setRequest(request);
        User user = new User();
        user.setId("tok");
        event.setUser(user);
        event.setExtra("body", "secret");
        event.getContexts().put("upload", Map.of("user", "tok"));
        event.getContexts().put("runtime", Map.of("name", "java"));
        SentryStackFrame frame = new SentryStackFrame();
        frame.setVars(Map.of("token", "tok"));
        SentryStackTrace trace = new SentryStackTrace(new ArrayList<>(List.of(frame)));
        SentryException exception = new SentryException();
        exception.setValue("failed on https://service.example/?user=tok and user=tok");
        exception.setStacktrace(trace);
        Mechanism mechanism = new Mechanism();
        mechanism.setData(Map.of("url", "https://service.example"));
        exception.setMechanism(mechanism);
        event.setExceptions(List.of(exception));
        SentryStackFrame threadFrame = new SentryStackFrame();
        threadFrame.setVars(Map.of("token", "tok"));
        SentryThread thread = new SentryThread();
        thread.setStacktrace(new SentryStackTrace(new ArrayList<>(List.of(threadFrame))));
        event.setThreads(List.of(thread));
        Message message = new Message();
        message.setFormatted("reading v1/sessions/user=tok/");
        message.setParams(List.of("tok"));
        event.setMessage(message);
        event.setTag("key", "v1/sessions/user=tok/x");

        SentryEvent scrubbed = scrubber.execute(event, new Hint());

        assertThat(scrubbed.getRequest()).isNull();
        assertThat(scrubbed.getUser()).isNull();
        assertThat(scrubbed.getExtras()).isNullOrEmpty();
        assertThat(Collections.list(scrubbed.getContexts().keys())).containsExactly("runtime");
        assertThat(frame.getVars()).isNull();
        assertThat(threadFrame.getVars()).isNull();
        assertThat(exception.getValue()).isEqualTo("failed on <url> and user=<redacted>");
        assertThat(mechanism.getData()).isNull();
        assertThat(scrubbed.getMessage().getFormatted()).isEqualTo("reading v1/sessions/user=<redacted>/");
        assertThat(scrubbed.getMessage().getParams()).isNull();
        assertThat(scrubbed.getTag("key")).isEqualTo("v1/sessions/user=<redacted>/x");
    }

    @Test
    void breadcrumbsLoseTheirDataAndKeepARedactedMessage() {
        Breadcrumb crumb = new Breadcrumb("GET https://private.example/a");
        crumb.setData("X-User", "tok");

        Breadcrumb scrubbed = scrubber.execute(crumb, new Hint());

        assertThat(scrubbed.getData()).isEmpty();
        assertThat(scrubbed.getMessage()).isEqualTo("GET <url>");
    }
}
