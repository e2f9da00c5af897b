import io.contextgraph.storage.S3Clients;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The storage limit the worker is compared with: counts what the worker stored under a prefix, then PUTs the same
 * number of objects of the same size with the same client settings and concurrency, and prints the rate.
 * The client is built as the worker builds its own (a connection pool of max(50, 2 × concurrency), 30 s per call).
 * Run by bench/run with the Java source launcher: {@code java -cp target/classes:target/libs/* bench/PlainPutLoop.java
 * <endpoint> <bucket> <worker-prefix> <expected> <concurrency>}.
 */
public final class PlainPutLoop {
    public static void main(String[] args) throws Exception {
        URI endpoint = URI.create(args[0]);
        String bucket = args[1];
        String workerPrefix = args[2];
        int count = Integer.parseInt(args[3]);
        int concurrency = Integer.parseInt(args[4]);
        S3Clients.S3Options options = new S3Clients.S3Options(Optional.of(endpoint), true, Duration.ofSeconds(30),
                Math.max(50, concurrency * 2));
        try (S3Client s3 = S3Clients.create(options)) {
            long stored = 0;
            long bytes = 0;
            String token = null;
            do {
                String next = token;
                ListObjectsV2Response page = s3.listObjectsV2(b -> b.bucket(bucket).prefix(workerPrefix)
                        .continuationToken(next));
                for (S3Object object : page.contents()) {
                    stored++;
                    bytes += object.size();
                }
                token = page.isTruncated() ? page.nextContinuationToken() : null;
            } while (token != null);
            int size = stored == 0 ? 512 : (int) (bytes / stored);
            System.out.println("stored_objects " + stored);
            System.out.println("object_bytes " + size);

            byte[] body = new byte[size];
            new java.util.Random(1).nextBytes(body);
            AtomicInteger failed = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(concurrency);
            // Warm the connection pool (every thread's connection) and the JIT, as the worker has been by its own
            // warm-up drain; concurrently, so that a slow store (bench/DelayProxy.java) does not make it long.
            AtomicInteger next = new AtomicInteger();
            int warmup = args.length > 5 ? Integer.parseInt(args[5]) : Math.max(200, 2 * concurrency);
            putAll(pool, s3, bucket, "warmup/", body, next, warmup, concurrency, failed);
            failed.set(0);
            next.set(0);
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpuStart = os.getProcessCpuTime();
            long start = System.nanoTime();
            putAll(pool, s3, bucket, "plain/", body, next, count, concurrency, failed);
            pool.shutdown();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("put_cpu_us %.0f%n", (os.getProcessCpuTime() - cpuStart) / 1e3 / count);
            System.out.printf("put_seconds %.3f%n", seconds);
            System.out.printf("put_rate %.1f%n", count / seconds);
            System.out.println("put_failed " + failed.get());
        }
    }

    /** PUTs {@code count} objects under {@code prefix} with {@code concurrency} tasks on the pool; returns when done. */
    private static void putAll(ExecutorService pool, S3Client s3, String bucket, String prefix, byte[] body,
                               AtomicInteger next, int count, int concurrency, AtomicInteger failed) throws Exception {
        List<Future<?>> tasks = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            tasks.add(pool.submit(() -> {
                int n;
                while ((n = next.getAndIncrement()) < count) {
                    int k = n;
                    try {
                        s3.putObject(b -> b.bucket(bucket).key(prefix + k).contentType("application/json")
                                .contentEncoding("gzip").contentLength((long) body.length), RequestBody.fromBytes(body));
                    } catch (RuntimeException e) {
                        failed.incrementAndGet();
                    }
                }
            }));
        }
        for (Future<?> task : tasks) {
            task.get(10, TimeUnit.MINUTES);
        }
    }
}
