package io.contextgraph.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real contextgraph process started from the built jar ({@code java -jar target/contextgraph.jar
 * <role>}) with a controlled environment; output goes to a log file that tests can read.
 */
public final class RoleProcess implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final int port;

    private RoleProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    public static Builder builder(String... args) {
        return new Builder(List.of(args));
    }

    /** Fluent construction of the environment a role runs with. */
    public static final class Builder {
        private final List<String> args;
        private final Map<String, String> env = new HashMap<>();
        private String name = "role";
        private Path directory;
        private final List<String> jvmFlags = new ArrayList<>();

        private Builder(List<String> args) {
            this.args = args;
            env.put("AWS_ACCESS_KEY_ID", "test");
            env.put("AWS_SECRET_ACCESS_KEY", "test");
            env.put("AWS_REGION", "us-east-1");
            env.put("STATSD_PORT", "9"); // discard port: metrics go nowhere unless a test asks for them
            env.put("PATH", System.getenv("PATH"));
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        /** Leaves a variable out of the environment (e.g. one of the AWS defaults above). */
        public Builder unset(String key) {
            env.remove(key);
            return this;
        }

        public Builder redis(int redisPort) {
            env.put("REDIS_HOST", "127.0.0.1");
            env.put("REDIS_PORT", Integer.toString(redisPort));
            return this;
        }

        /** The working directory of the process (default: the test's own). */
        public Builder directory(Path workingDirectory) {
            this.directory = workingDirectory;
            return this;
        }

        /** JVM flags after the defaults, so that e.g. {@code -Xmx256m} overrides the default heap. */
        public Builder jvm(String... flags) {
            jvmFlags.addAll(List.of(flags));
            return this;
        }

        public Builder name(String logName) {
            this.name = logName;
            return this;
        }

        /** Starts the process on a free port (PORT) and returns at once. */
        public RoleProcess start() throws IOException {
            int port = env.containsKey("PORT") ? Integer.parseInt(env.get("PORT")) : FreePorts.next();
            env.put("PORT", Integer.toString(port));
            Path logs = Path.of(System.getProperty("cg.basedir", "."), "target", "it-logs");
            Files.createDirectories(logs);
            Path log = Files.createTempFile(logs, name + "-", ".log");
            List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx512m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1"));
            command.addAll(jvmFlags);
            command.addAll(List.of("-jar", jar()));
            command.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            if (directory != null) {
                pb.directory(directory.toFile());
            }
            pb.environment().clear();
            pb.environment().putAll(env);
            return new RoleProcess(pb.start(), log, port);
        }
    }

    static String javaBinary() {
        return System.getProperty("cg.java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    static String jar() {
        return System.getProperty("cg.jar", Path.of("target", "contextgraph.jar").toAbsolutePath().toString());
    }

    public int port() {
        return port;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public long pid() {
        return process.pid();
    }

    /** The processes this one started (e.g. an embedded redis-server), while they run. */
    public List<ProcessHandle> descendants() {
        return process.descendants().toList();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Waits until the HTTP port answers {@code /__lbheartbeat__} with 200. */
    public RoleProcess awaitHttp(Duration timeout) throws InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("process exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                HttpResponse<Void> res = client.send(HttpRequest.newBuilder(uri("/__lbheartbeat__"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
                if (res.statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no HTTP answer within " + timeout + ":\n" + output());
    }

    /** Waits until the log contains the text (e.g. a startup line of the worker). */
    public RoleProcess awaitLog(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (output().contains(text)) {
                return this;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("process exited with " + process.exitValue() + ":\n" + output());
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("log never contained \"" + text + "\" within " + timeout + ":\n" + output());
    }

    public boolean listening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits for the process to exit by itself and returns its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("process still running after " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    /** SIGTERM, then wait for the process to exit; returns the exit code. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("did not stop within " + timeout + " of SIGTERM:\n" + output());
        }
        return process.exitValue();
    }

    /** SIGKILL: the process gets no chance to clean up. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
