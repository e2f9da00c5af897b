package io.contextgraph.web;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.util.List;

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
        StringBuilder checksJson = new StringBuilder("{");
        StringBuilder details = new StringBuilder("{");
        boolean allOk = true;
        for (HealthCheck check : checks) {
            boolean ok = check.healthy();
            allOk &= ok;
            if (checksJson.length() > 1) {
                checksJson.append(',');
            }
            checksJson.append('"').append(check.name()).append("\":\"").append(ok ? "ok" : "error").append('"');
            if (!ok) {
                if (details.length() > 1) {
                    details.append(',');
                }
                details.append('"').append(check.name()).append("\":").append(JsonText.quote(check.lastProblem()));
            }
        }
        String body = "{\"status\":\"" + (allOk ? "ok" : "error") + "\",\"checks\":" + checksJson + "},\"details\":"
                + details + "}}";
        json(res, allOk ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503, body);
    }

    private static void json(ServerResponse res, Status status, String body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(body.getBytes(StandardCharsets.UTF_8));
    }
}
