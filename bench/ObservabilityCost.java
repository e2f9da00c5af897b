import io.contextgraph.observability.Logging;
import io.contextgraph.observability.Metrics;
import io.contextgraph.web.RequestObserver;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * CPU cost of the web role's per-request observability (the {@code request} counter and timer, the
 * {@code request.summary} log line), measured as process CPU time per request while 32 virtual threads record
 * requests at a fixed total rate, as the web role's request threads do.
 *
 * <p>Run from the repository root after {@code mvn -o -q -DskipTests package}, with stdout (the log lines, as in
 * the web role) going to a file:
 * {@code java -cp target/classes:target/libs/* bench/ObservabilityCost.java MODE [rate/s] [seconds] > /tmp/log}.
 * MODE is {@code idle} (the pacing alone: subtract it), {@code metrics}, {@code log} or {@code request} (both,
 * through {@link RequestObserver#record}). Metrics go to 127.0.0.1:9 (nobody listens), as in
 * bench/run; with {@code AGENT=1} to a bound socket that never reads. It prints to
 * stderr: requests, rate, CPU µs per request. Count the log lines in the file to check that none was dropped.
 */
public final class ObservabilityCost {
    private static final int THREADS = 32;

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        Logging.install();
        // Port 9 as in bench/run: nobody listens, so every datagram also costs the kernel an ICMP "port
        // unreachable". AGENT=1 binds a socket that never reads instead (full buffer: the kernel drops quietly).
        java.net.DatagramSocket agent = "1".equals(System.getenv("AGENT"))
                ? new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress()) : null;
        Metrics metrics = Metrics.statsd("127.0.0.1", agent == null ? 9 : agent.getLocalPort());
        RequestObserver observer = new RequestObserver(metrics);
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("request.summary");
        Runnable op = switch (mode) {
            case "idle" -> () -> { };
            case "metrics" -> () -> observer.record("/__other__", "POST", 200, 1_234_567);
            case "log" -> () -> log.atInfo()
                    .addKeyValue("type", "request.summary")
                    .addKeyValue("path", "/v1/upload")
                    .addKeyValue("method", "post")
                    .addKeyValue("status", 200)
                    .addKeyValue("t", 1L)
                    .log();
            case "request" -> () -> observer.record("/v1/upload", "POST", 200, 1_234_567);
            default -> throw new IllegalArgumentException("mode: idle, metrics, log or request");
        };
        // "metrics" uses a path outside /v1/, which is counted and timed but not logged (tag "unknown").

        long pauseNanos = TimeUnit.SECONDS.toNanos(1) * THREADS / rate;
        AtomicBoolean running = new AtomicBoolean(true);
        LongAdder done = new LongAdder();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                while (running.get()) {
                    op.run();
                    done.increment();
                    LockSupport.parkNanos(pauseNanos);
                }
            }));
        }
        Thread.sleep(Math.max(5_000, seconds * 500L)); // warm-up: JIT
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long n0 = done.sum();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        running.set(false);
        for (Thread t : threads) {
            t.join();
        }
        long n = done.sum() - n0;
        double wall = (System.nanoTime() - t0) / 1e9;
        metrics.close();
        Logging.flushAndStop();
        long cpu = os.getProcessCpuTime() - cpu0;
        System.err.printf("%-8s %9d requests %8.0f/s  CPU %6.2f us/request  (total %d requests)%n",
                mode, n, n / wall, cpu / 1e3 / n, done.sum());
    }
}
