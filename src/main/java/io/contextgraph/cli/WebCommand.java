package io.contextgraph.cli;

import io.contextgraph.config.Role;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code contextgraph web}: the HTTP role. */
@Command(name = "web", mixinStandardHelpOptions = true, description = "Serve the HTTP API on PORT (default 8000).")
final class WebCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return RoleRunner.run(Role.WEB, (settings, stop, opened) -> {
            WebRole.requirePortFree(settings.web().port()); // before Redis and Sentry clients say anything
            Foundation base = opened.register(new Foundation(settings, "web", stop));
            opened.register(new WebRole(base, WebRole.publicKey(settings.keys())).start());
        });
    }
}
