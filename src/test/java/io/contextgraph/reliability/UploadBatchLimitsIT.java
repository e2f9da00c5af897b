package io.contextgraph.reliability;

import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * operations.md: "Uploads that arrive while a script call is in flight travel together in the next call (up to 128
 * uploads or 1 MiB of bodies ...)". A web role with the production batch limits; Redis frozen (SIGSTOP) while the
 * first call is in flight and the others wait behind it, each request's thread seen waiting in a thread dump of the
 * role; then Redis runs on and MONITOR (a second connection) shows every script call's uploads and bodies.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class UploadBatchLimitsIT {
    private static final int MAX_UPLOADS = 128;
    private static final int MAX_BYTES = 1 << 20;
    /** A frame of every request thread that waits for its upload's script call. */
    private static final String WAITING_FRAME = "io.contextgraph.queue.ingest.TaskQueue.enqueueUpload";
    /** The markers are the only variable part of a body: {@link Uploads#withMarker}'s URL. */
    private static final Pattern MARKER = Pattern.compile("\\?m=(batch-[0-9]+)-");

    private RedisServer redis;
    private RoleProcess web;
    private Monitor monitor;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void start() throws Exception {
        redis = new RedisServer();
        // Only the command timeout is raised, so that the held calls do not time out; the batch limits are the
        // production ones (they have no setting).
        web = RoleProcess.builder("web").name("batch-limits-web").redis(redis.port()).env("REDIS_TIMEOUT", "30s")
                .start().awaitHttp(Duration.ofSeconds(60));
        assertThat(upload(body("warm-up", 0)).join()).as("the script is loaded").isEqualTo(200);
        monitor = new Monitor(redis.port());
    }

    @AfterEach
    void stop() throws Exception {
        if (monitor != null) {
            monitor.close();
        }
        if (redis != null) {
            redis.resume();
        }
        if (web != null) {
            web.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void uploadsWaitingBehindACallTravelAtMost128ToACall() throws Exception {
        int count = 2 * MAX_UPLOADS + 40;
        List<String> markers = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            markers.add("batch-" + i);
            bodies.add(body("batch-" + i, 0));
        }

        List<Call> calls = heldThenReleased(bodies);

        assertThat(calls).allSatisfy(call -> assertThat(call.uploads()).isLessThanOrEqualTo(MAX_UPLOADS));
        assertThat(calls.stream().mapToInt(Call::uploads).max().orElse(0))
                .as("the waiting uploads filled calls to the limit").isEqualTo(MAX_UPLOADS);
        assertThat(calls.stream().flatMap(call -> call.markers().stream()).toList())
                .as("every upload sent once").containsExactlyInAnyOrderElementsOf(markers);
        assertThat(redis.cli("XLEN", "cg:tasks")).isEqualTo(Integer.toString(count + 1));
    }

    @Test
    void uploadsWaitingBehindACallTravelAtMostOneMebibyteOfBodiesToACall() throws Exception {
        int size = 100_000;
        int count = 40; // about 4 MB: four calls' worth at least
        List<String> markers = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            markers.add("batch-" + i);
            bodies.add(body("batch-" + i, size));
        }
        int perCall = MAX_BYTES / size;

        List<Call> calls = heldThenReleased(bodies);

        assertThat(calls).allSatisfy(call -> assertThat(call.bodyBytes()).isLessThanOrEqualTo(MAX_BYTES));
        assertThat(calls.stream().mapToInt(Call::uploads).max().orElse(0))
                .as("the waiting uploads filled calls to the byte limit").isEqualTo(perCall);
        assertThat(calls.stream().flatMap(call -> call.markers().stream()).toList())
                .as("every upload sent once").containsExactlyInAnyOrderElementsOf(markers);
        assertThat(redis.cli("XLEN", "cg:tasks")).isEqualTo(Integer.toString(count + 1));
    }

    /**
     * Freezes Redis, sends every body at once, waits until each request's thread waits for its upload (one of them
     * in the call written to the frozen Redis, the others behind it), lets Redis run on, and returns the script
     * calls MONITOR saw for these uploads once every request was answered 200.
     */
    private List<Call> heldThenReleased(List<byte[]> bodies) throws Exception {
        redis.pause();
        List<CompletableFuture<Integer>> answers = new ArrayList<>();
        for (byte[] body : bodies) {
            answers.add(upload(body));
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> waitingUploads() >= bodies.size());
        redis.resume();
        for (CompletableFuture<Integer> answer : answers) {
            assertThat(answer.get(60, TimeUnit.SECONDS)).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(30))
                .until(() -> monitor.calls().stream().mapToInt(Call::uploads).sum() >= bodies.size());
        List<Call> calls = monitor.calls();
        System.out.printf("upload script calls (uploads/body bytes): %s%n", calls.stream()
                .map(call -> call.uploads() + "/" + call.bodyBytes()).toList());
        return calls;
    }

    /** Threads of the web role inside {@code TaskQueue.enqueueUpload}, from a thread dump (virtual threads too). */
    private int waitingUploads() throws Exception {
        Path dump = Files.createTempDirectory("cg-dump").resolve("threads.txt");
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), Long.toString(web.pid()), "Thread.dump_to_file",
                "-format=text", dump.toString()).redirectErrorStream(true).start();
        try {
            process.getInputStream().readAllBytes();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            if (!Files.exists(dump)) {
                return 0;
            }
            return (int) Pattern.compile(Pattern.quote(WAITING_FRAME)).matcher(Files.readString(dump)).results().count();
        } finally {
            Files.deleteIfExists(dump);
            Files.delete(dump.getParent());
        }
    }

    private CompletableFuture<Integer> upload(byte[] body) {
        HttpRequest request = HttpRequest.newBuilder(web.uri("/v1/upload")).timeout(Duration.ofSeconds(90))
                .header("X-User", Uploads.newUser()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode);
    }

    /** An upload document carrying {@code marker}, padded (inside its URL) to {@code size} bytes when given. */
    private static byte[] body(String marker, int size) {
        String tagged = marker + "-";
        int plain = Uploads.withMarker(tagged).length;
        return Uploads.withMarker(tagged + "p".repeat(Math.max(0, size - plain)));
    }

    /** One upload script call: how many uploads it carried, their bodies' bytes and their markers. */
    record Call(int uploads, long bodyBytes, List<String> markers) {
    }

    /**
     * A MONITOR connection: collects the upload script calls (EVALSHA or EVAL with the upload stream as first key).
     * Arguments are as Redis quotes them (sdscatrepr): backslash escapes and \xHH, undone here to count bytes.
     */
    private static final class Monitor implements AutoCloseable {
        private static final int FIRST_UPLOAD_ARG = 3 + 4 + 4;
        private final Socket socket;
        private final List<Call> calls = new CopyOnWriteArrayList<>();
        private final Thread reader;

        Monitor(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            OutputStream out = socket.getOutputStream();
            out.write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            String ok = new String(line(in), StandardCharsets.US_ASCII);
            if (!ok.equals("+OK")) {
                throw new IOException("MONITOR answered " + ok);
            }
            reader = Thread.ofPlatform().daemon().name("redis-monitor").start(() -> {
                try {
                    byte[] next;
                    while ((next = line(in)) != null) {
                        Call call = parse(next);
                        if (call != null) {
                            calls.add(call);
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            });
        }

        List<Call> calls() {
            return List.copyOf(calls);
        }

        private static byte[] line(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    return null;
                }
                line.write(b);
            }
            byte[] bytes = line.toByteArray();
            int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
            return java.util.Arrays.copyOf(bytes, length);
        }

        /** {@code <time> [<db> <client>] "EVALSHA" "<sha>" "4" "cg:tasks" ...}; null for any other command. */
        private static Call parse(byte[] line) {
            int at = indexOf(line, (byte) ']');
            if (at < 0) {
                return null;
            }
            List<byte[]> args = new ArrayList<>();
            int i = at + 1;
            while (i < line.length) {
                if (line[i] != '"') {
                    i++;
                    continue;
                }
                ByteArrayOutputStream arg = new ByteArrayOutputStream();
                i++;
                while (line[i] != '"') {
                    if (line[i] == '\\') {
                        char escaped = (char) line[i + 1];
                        switch (escaped) {
                            case 'n' -> arg.write('\n');
                            case 'r' -> arg.write('\r');
                            case 't' -> arg.write('\t');
                            case 'a' -> arg.write(7);
                            case 'b' -> arg.write('\b');
                            case 'x' -> {
                                arg.write(Integer.parseInt(new String(line, i + 2, 2, StandardCharsets.US_ASCII), 16));
                                i += 2;
                            }
                            default -> arg.write(escaped);
                        }
                        i += 2;
                    } else {
                        arg.write(line[i++]);
                    }
                }
                i++;
                args.add(arg.toByteArray());
                if (args.size() == 1 && !isScriptCall(args.getFirst())) {
                    return null;
                }
            }
            if (args.size() < FIRST_UPLOAD_ARG || !text(args.get(3)).equals("cg:tasks")) {
                return null;
            }
            int uploads = (args.size() - FIRST_UPLOAD_ARG) / 5;
            long bytes = 0;
            List<String> markers = new ArrayList<>();
            for (int u = 0; u < uploads; u++) {
                byte[] body = args.get(FIRST_UPLOAD_ARG + 5 * u + 4);
                bytes += body.length;
                Matcher marker = MARKER.matcher(text(body));
                if (marker.find()) {
                    markers.add(marker.group(1));
                }
            }
            return markers.isEmpty() ? null : new Call(uploads, bytes, markers); // the warm-up is not counted
        }

        private static boolean isScriptCall(byte[] command) {
            String name = text(command);
            return name.equalsIgnoreCase("EVALSHA") || name.equalsIgnoreCase("EVAL");
        }

        private static String text(byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        private static int indexOf(byte[] bytes, byte wanted) {
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == wanted) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public void close() throws Exception {
            socket.close();
            reader.join(5_000);
        }
    }
}
