package io.contextgraph.cli;

import io.contextgraph.config.ConfigException;
import io.contextgraph.config.Role;
import io.contextgraph.config.Settings;
import io.contextgraph.config.SettingsLoader;
import io.contextgraph.queue.DeadLetter;
import io.contextgraph.queue.DeadLetters;
import io.contextgraph.queue.RedisLink;
import io.contextgraph.queue.TaskType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code contextgraph dead-letters list|replay}: inspect and replay tasks that failed every retry. */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
        description = "List or replay tasks parked after their last retry.",
        subcommands = {DeadLettersCommand.ListCommand.class, DeadLettersCommand.ReplayCommand.class})
final class DeadLettersCommand {

    /** Opens Redis with the same settings as the roles, waiting briefly for it to answer. */
    static <T> T withDeadLetters(java.util.function.Function<DeadLetters, T> action) {
        Settings settings = SettingsLoader.load(Role.ADMIN, System.getenv());
        Settings.Redis r = settings.redis();
        try (RedisLink redis = new RedisLink(QueueConfig.redis(r, r.host(), r.port()))) {
            redis.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!redis.ping()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Redis at " + r.host() + ":" + r.port() + " does not answer");
                }
                Thread.sleep(200);
            }
            return action.apply(new DeadLetters(redis, QueueConfig.queue(settings.queue())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    static int guarded(PrintStream err, Callable<Integer> body) {
        try {
            return body.call();
        } catch (ConfigException e) {
            err.println("contextgraph: configuration error: " + e.getMessage());
            return RoleRunner.CONFIG_ERROR;
        } catch (Exception e) {
            err.println("contextgraph: " + e.getMessage());
            return 1;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List deletes still waiting, then parked deletes and parked uploads (no personal data).")
    static final class ListCommand implements Callable<Integer> {
        @Option(names = "--limit", defaultValue = "100",
                description = "At most this many of each kind (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            return guarded(System.err, () -> withDeadLetters(dead -> {
                DeadLetters.WaitingDeletes waiting = dead.waitingDeletes();
                System.out.println("deletes waiting: " + waiting.count() + (waiting.count() == 0 ? ""
                        : " (oldest accepted " + Instant.ofEpochMilli(waiting.oldestAcceptedAtMillis()) + ")"));
                List<DeadLetter> deletes = dead.list(TaskType.DELETE, limit);
                List<DeadLetter> uploads = dead.list(TaskType.UPLOAD, limit);
                print("parked deletes", deletes);
                print("parked uploads", uploads);
                System.out.println(deletes.size() + uploads.size() + " dead letter(s)");
                return 0;
            }));
        }

        private static void print(String title, List<DeadLetter> letters) {
            System.out.println(title + ": " + letters.size());
            if (letters.isEmpty()) {
                return;
            }
            System.out.printf("  %-20s %-24s %-24s %8s  %s%n", "ID", "ACCEPTED", "FAILED", "BYTES", "REASON");
            for (DeadLetter letter : letters) {
                System.out.printf("  %-20s %-24s %-24s %8d  %s%n", letter.id(),
                        Instant.ofEpochMilli(letter.acceptedAtMillis()), Instant.ofEpochMilli(letter.failedAtMillis()),
                        letter.bodyBytes(), letter.reason());
            }
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Put parked tasks back on the queue (one with --id, or all with --all).")
    static final class ReplayCommand implements Callable<Integer> {
        @Option(names = "--id", description = "The dead letter's id, as listed.")
        String id;

        @Option(names = "--all", description = "Replay every dead letter.")
        boolean all;

        @Override
        public Integer call() {
            if ((id == null) == !all) {
                System.err.println("contextgraph: give exactly one of --id ID or --all");
                return RoleRunner.CONFIG_ERROR;
            }
            return guarded(System.err, () -> {
                int replayed = withDeadLetters(dead -> dead.replay(Optional.ofNullable(id)));
                System.out.println(replayed + " dead letter(s) replayed");
                return id != null && replayed == 0 ? 1 : 0;
            });
        }
    }
}
