package io.contextgraph.cli;

import io.contextgraph.web.VersionInfo;
import picocli.CommandLine;

/** Prints the build's version.json for {@code --version}. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {VersionInfo.fromClasspath().json()};
    }
}
