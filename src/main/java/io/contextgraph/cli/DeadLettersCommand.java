package io.contextgraph.cli;

import io.contextgraph.config.ConfigException;
import io.contextgraph.config.Role;
import io.contextgraph.config.Settings;
import io.contextgraph.config.SettingsLoader;
import io.contextgraph.observability.Logging;
import io.contextgraph.queue.QueueSettings;
import io.contextgraph.queue.ShardCount;
import io.contextgraph.queue.TaskType;
import io.contextgraph.queue.deadletter.DeadLetter;
import io.contextgraph.queue.deadletter.DeadLetters;
import io.contextgraph.queue.redis.RedisLink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Pattern;

/** {@code contextgraph dead-letters list|replay}: inspect and replay tasks that failed every retry. */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
        description = "List or replay tasks parked after their last retry.",
        subcommands = {DeadLettersCommand.ListCommand.class, DeadLettersCommand.ReplayCommand.class})
final class DeadLettersCommand {
    /** An entry ID, with more than one queue shard prefixed by the shard's number ({@code 3/1764000000000-0}). */
    private static final Pattern STREAM_ID = Pattern.compile("(\\d{1,4}/)?\\d{1,19}-\\d{1,19}");

    /** Opens Redis with the same settings as the roles, waiting briefly for it to answer. */
    private static <T> T withDeadLetters(Function<DeadLetters, T> action) {
        Settings settings = SettingsLoader.load(Role.ADMIN, System.getenv());
        Settings.Redis r = settings.redis();
        String host = r.host();
        int port = r.port();
        // Without REDIS_HOST, a standalone running on DATA_DIR has published where its embedded Redis listens.
        String configuredHost = System.getenv("REDIS_HOST");
        Optional<StandaloneState.RedisAddress> standalone = configuredHost == null || configuredHost.isBlank()
                ? StandaloneState.publishedRedis(settings.storage().dataDir()) : Optional.empty();
        if (standalone.isPresent()) {
            host = standalone.get().host();
            port = standalone.get().port();
            System.err.println("contextgraph: the standalone's embedded Redis at " + host + ":" + port
                    + " (from " + standalone.get().file() + ")");
        }
        // Log lines are written to System.out as it is at each write: while Redis is in use they go to stderr, so that
        // stdout carries only the command's own output (the table), and none is left queued when stdout is back.
        PrintStream stdout = System.out;
        System.setOut(System.err);
        try (RedisLink redis = new RedisLink(QueueConfig.redis(r, host, port))) {
            redis.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!redis.ping()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Redis at " + host + ":" + port + " does not answer");
                }
                Thread.sleep(200);
            }
            QueueSettings queue = QueueConfig.queue(settings);
            // With another QUEUE_SHARDS than the roles' it would look in the wrong shards and find nothing.
            ShardCount count = new ShardCount(redis, queue);
            OptionalInt recorded = count.recorded();
            if (recorded.isPresent() && recorded.getAsInt() != queue.shards().count()) {
                throw new ConfigException(ShardCountCheck.VARIABLE, ShardCountCheck.mismatch(queue.shards().count(),
                        recorded.getAsInt(), count.keyName()));
            }
            return action.apply(new DeadLetters(redis, queue));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } finally {
            Logging.flushAndStop();
            System.setOut(stdout);
        }
    }

    private static int guarded(Callable<Integer> body) {
        try {
            return body.call();
        } catch (ConfigException e) {
            return RoleRunner.configError(e.getMessage());
        } catch (Exception e) {
            System.err.println("contextgraph: " + e.getMessage());
            return 1;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the uploads and deletes still waiting, then parked deletes and parked uploads (no personal data).")
    static final class ListCommand implements Callable<Integer> {
        @Option(names = "--limit", defaultValue = "100",
                description = "At most this many of each kind (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            return guarded(() -> {
                // Read inside withDeadLetters, printed after it: while Redis is in use, System.out carries log lines.
                Listing listing = withDeadLetters(dead -> new Listing(dead.waitingUploads(), dead.waitingDeletes(),
                        dead.list(TaskType.DELETE, limit), dead.list(TaskType.UPLOAD, limit)));
                DeadLetters.WaitingDeletes waiting = listing.waiting();
                System.out.println("uploads waiting: " + listing.uploadsWaiting());
                System.out.println("deletes waiting: " + waiting.count() + (waiting.count() == 0 ? ""
                        : " (oldest accepted " + Instant.ofEpochMilli(waiting.oldestAcceptedAtMillis()) + ")"));
                print("parked deletes", listing.deletes());
                print("parked uploads", listing.uploads());
                System.out.println(listing.deletes().size() + listing.uploads().size() + " dead letter(s)");
                return 0;
            });
        }

        private record Listing(long uploadsWaiting, DeadLetters.WaitingDeletes waiting, List<DeadLetter> deletes,
                List<DeadLetter> uploads) {
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
            if (id != null && !STREAM_ID.matcher(id).matches()) {
                System.err.println("contextgraph: --id takes a dead letter's id as dead-letters list shows it "
                        + "(e.g. 1764000000000-0, or 3/1764000000000-0 with QUEUE_SHARDS above 1)");
                return RoleRunner.CONFIG_ERROR;
            }
            return guarded(() -> {
                int replayed = withDeadLetters(dead -> dead.replay(Optional.ofNullable(id)));
                if (id != null && replayed == 0) {
                    System.err.println("contextgraph: no dead letter with id " + id
                            + " (replayed already, forgotten with its user, or never parked; see dead-letters list)");
                    return 1;
                }
                System.out.println(replayed + " dead letter(s) replayed");
                return 0;
            });
        }
    }
}
