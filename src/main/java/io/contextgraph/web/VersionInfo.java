package io.contextgraph.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The build's {@code version.json} (written by Maven resource filtering), served at {@code /__version__}. */
public record VersionInfo(String json, String version) {
    private static final Pattern VERSION = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]*)\"");

    public static VersionInfo fromClasspath() {
        try (InputStream in = VersionInfo.class.getResourceAsStream("/version.json")) {
            if (in == null) {
                throw new IllegalStateException("version.json is missing from the build");
            }
            // A value the build could not fill in (no git, no build id) is left as "${...}" by Maven.
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip()
                    .replaceAll("\\$\\{[^}\"]*}", "unknown");
            Matcher m = VERSION.matcher(json);
            return new VersionInfo(json, m.find() ? m.group(1) : "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Sentry release name. */
    public String release() {
        return "contextgraph@" + version;
    }
}
