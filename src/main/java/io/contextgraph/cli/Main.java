package io.contextgraph.cli;

import io.contextgraph.config.Role;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

import java.util.Map;
import java.util.concurrent.Callable;

/** The single entrypoint of the artifact: {@code web} (default), {@code worker}, {@code standalone}, tools. */
@Command(name = "contextgraph",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Data-donation service: accepts browsing sessions, filters them and stores them.",
        subcommands = {WebCommand.class, WorkerCommand.class, StandaloneCommand.class, DeadLettersCommand.class,
            KeygenCommand.class, HelpCommand.class},
        footer = "%nWithout a command: web. Each command's --help (or: contextgraph help COMMAND) lists the "
                + "environment variables it reads, with their defaults.",
        exitCodeOnInvalidInput = 2)
public final class Main implements Callable<Integer> {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        Map.of("web", Role.WEB, "worker", Role.WORKER, "standalone", Role.STANDALONE, "dead-letters", Role.ADMIN)
                .forEach((name, role) -> EnvironmentHelp.addTo(commandLine.getSubcommands().get(name), role));
        // An unknown role prints what went wrong and then the whole usage, as operators expect.
        commandLine.setParameterExceptionHandler((error, arguments) -> {
            CommandLine failed = error.getCommandLine();
            failed.getErr().println("contextgraph: " + error.getMessage());
            failed.usage(failed.getErr());
            return 2;
        });
        return commandLine.execute(args);
    }

    /** No role named: run the web role, as the Docker image's default. */
    @Override
    public Integer call() {
        return new WebCommand().call();
    }
}
