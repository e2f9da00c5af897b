package io.contextgraph.web;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.StringJoiner;

/** The Mozilla Dockerflow endpoints the load balancer and operators use. */
public final class Dockerflow {
    static final String ROBOTS = """
            User-agent: *
            Disallow: /__heartbeat__
            Disallow: /__lbheartbeat__
            Disallow: /__version__
            """;

    private final VersionInfo version;
    private final List<HealthCheck> checks;

    public Dockerflow(VersionInfo version, List<HealthCheck> checks) {
        this.version = version;
        this.checks = List.copyOf(checks);
    }

    public void register(HttpRules rules) {
        rules.get("/__lbheartbeat__", (req, res) -> json(res, Status.OK_200, "{}"))
                .get("/__heartbeat__", (req, res) -> heartbeat(res))
                .get("/__version__", (req, res) -> json(res, Status.OK_200, version.json()))
                .get("/robots.txt", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                    res.send(ROBOTS.getBytes(StandardCharsets.UTF_8));
                });
    }

    private void heartbeat(ServerResponse res) {
        StringJoiner states = new StringJoiner(",", "{", "}");
        StringJoiner details = new StringJoiner(",", "{", "}");
        boolean allOk = true;
        for (HealthCheck check : checks) {
            boolean ok = check.healthy();
            allOk &= ok;
            states.add("\"" + check.name() + "\":\"" + (ok ? "ok" : "error") + "\"");
            if (!ok) {
                details.add("\"" + check.name() + "\":" + quote(check.lastProblem()));
            }
        }
        String body = "{\"status\":\"" + (allOk ? "ok" : "error") + "\",\"checks\":" + states + ",\"details\":"
                + details + "}";
        json(res, allOk ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503, body);
    }

    private static String quote(String text) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(text == null ? "" : text)) + "\"";
    }

    private static void json(ServerResponse res, Status status, String body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(body.getBytes(StandardCharsets.UTF_8));
    }
}
