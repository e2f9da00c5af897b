package io.contextgraph.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code redis-server} process on a free loopback port, for integration and fault-injection tests: start,
 * stop (SIGTERM), kill (SIGKILL) and start again on the same port. Never persists anything ({@code --save ''
 * --appendonly no}), so a restart comes back empty. Output goes to {@code target/redis/redis-<port>.log}.
 */
public final class RedisServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final int port;
    private final List<String> extraArgs;
    private final Path directory;
    /** Kills the server if the test JVM exits without closing it, so that no redis-server outlives the build. */
    private final Thread reaper = new Thread(this::kill, "redis-server-reaper");
    private Process process;

    /** Starts a server now; {@code extraArgs} are passed to redis-server as they are (e.g. "--requirepass", "x"). */
    public RedisServer(String... extraArgs) {
        this(FreePorts.next(), extraArgs);
    }

    /** Starts a server now on a given port, e.g. one a role was already told to use before Redis existed. */
    public RedisServer(int port, String... extraArgs) {
        this(Path.of(System.getProperty("cg.basedir", "."), "target", "redis"), port, extraArgs);
    }

    /** Starts a server now on a given port, with its working directory and log in {@code directory}. */
    public RedisServer(Path directory, int port, String... extraArgs) {
        this.port = port;
        this.extraArgs = List.of(extraArgs);
        this.directory = directory;
        Runtime.getRuntime().addShutdownHook(reaper);
        start();
    }

    public int port() {
        return port;
    }

    /** True while the process runs. */
    public synchronized boolean running() {
        return process != null && process.isAlive();
    }

    /** Starts the server (again) on the same port and waits until it answers PING. */
    public synchronized void start() {
        if (running()) {
            return;
        }
        // A replica writes the snapshot of its initial sync to disk whatever --save says, and any server started
        // later in the same folder would load a shared dump.rdb: each port has its own file, removed before a start.
        String dump = "dump-" + port + ".rdb";
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory.toString(),
                "--dbfilename", dump));
        command.addAll(extraArgs);
        try {
            Files.createDirectories(directory);
            Files.deleteIfExists(directory.resolve(dump));
            Path log = directory.resolve("redis-" + port + ".log");
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server", e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!answersPing()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + "; see "
                        + directory.resolve("redis-" + port + ".log"));
            }
            if (System.nanoTime() - deadline > 0) {
                kill();
                throw new IllegalStateException("redis-server did not answer on port " + port);
            }
            sleep(50);
        }
    }

    /** A replica of {@code primary} on a free port, started now; its initial sync may still be running. */
    public static RedisServer replicaOf(RedisServer primary) {
        return new RedisServer("--replicaof", "127.0.0.1", Integer.toString(primary.port()),
                "--repl-diskless-sync-delay", "0");
    }

    /**
     * Freezes the process (SIGSTOP): it keeps its sockets but answers nothing, like a host that hangs. Returns once
     * the kernel reports it stopped, so that nothing sent after this call is read by it.
     */
    public synchronized void pause() {
        signal("STOP");
        Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        while (!stopped(stat)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("redis-server did not stop on SIGSTOP");
            }
            Thread.onSpinWait();
        }
    }

    /** The state field of /proc/<pid>/stat, which follows the parenthesised command name: T when stopped. */
    private static boolean stopped(Path stat) {
        try {
            String line = Files.readString(stat);
            return line.charAt(line.lastIndexOf(')') + 2) == 'T';
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + stat, e);
        }
    }

    /** Lets a paused process run on (SIGCONT). */
    public synchronized void resume() {
        signal("CONT");
    }

    /** Graceful stop (SIGTERM; nothing is saved). */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        awaitExit();
    }

    /** Abrupt stop (SIGKILL), like a crash; also ends a paused process. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        awaitExit();
    }

    /** How many times this server has run {@code command} (lower case) so far, from INFO commandstats. */
    public long commandCalls(String command) {
        String prefix = "cmdstat_" + command + ":calls=";
        return cli("INFO", "commandstats").lines().filter(line -> line.startsWith(prefix))
                .mapToLong(line -> Long.parseLong(line.substring(prefix.length(), line.indexOf(','))))
                .findFirst().orElse(0);
    }

    /** Runs redis-cli against this server and returns its output, trimmed. */
    public String cli(String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        password().ifPresent(password -> command.addAll(List.of("--no-auth-warning", "-a", password)));
        command.addAll(List.of(args));
        try {
            Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output;
            try (InputStream in = cli.getInputStream()) {
                output = in.readAllBytes();
            }
            if (!cli.waitFor(10, TimeUnit.SECONDS)) {
                cli.destroyForcibly();
                throw new IllegalStateException("redis-cli did not finish");
            }
            return new String(output, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run redis-cli", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down; the hook is running or has run
        }
    }

    private void signal(String name) {
        if (process == null) {
            throw new IllegalStateException("redis-server is not running");
        }
        try {
            // The shell's own kill: no dependency on a kill binary (procps) being installed.
            Process kill = new ProcessBuilder("sh", "-c", "kill -s " + name + " " + process.pid()).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private java.util.Optional<String> password() {
        int at = extraArgs.indexOf("--requirepass");
        return at >= 0 && at + 1 < extraArgs.size() ? java.util.Optional.of(extraArgs.get(at + 1))
                : java.util.Optional.empty();
    }

    private void awaitExit() {
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** A raw RESP PING, so that waiting for the server does not spawn processes; answers -NOAUTH count as up. */
    private boolean answersPing() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] reply = new byte[64];
            int read = socket.getInputStream().read(reply);
            String text = read > 0 ? new String(reply, 0, read, StandardCharsets.US_ASCII) : "";
            return text.startsWith("+PONG") || text.startsWith("-NOAUTH");
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
