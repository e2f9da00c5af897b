import io.contextgraph.storage.S3Clients;

import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The storage limit the worker is compared with: counts what the worker stored under a prefix, then PUTs the same
 * number of objects of the same size with the same client settings and concurrency, and prints the rate.
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
        try (S3Client s3 = S3Clients.create(S3Clients.S3Options.at(endpoint))) {
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
            AtomicInteger next = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            // Warm the connection pool and the JIT like the worker has been warmed by its own start.
            for (int i = 0; i < 200; i++) {
                int n = i;
                s3.putObject(b -> b.bucket(bucket).key("warmup/" + n).contentType("application/json")
                        .contentEncoding("gzip").contentLength((long) size), RequestBody.fromBytes(body));
            }
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpuStart = os.getProcessCpuTime();
            long start = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(concurrency);
            for (int t = 0; t < concurrency; t++) {
                pool.submit(() -> {
                    int n;
                    while ((n = next.getAndIncrement()) < count) {
                        int k = n;
                        try {
                            s3.putObject(b -> b.bucket(bucket).key("plain/" + k).contentType("application/json")
                                    .contentEncoding("gzip").contentLength((long) size), RequestBody.fromBytes(body));
                        } catch (RuntimeException e) {
                            failed.incrementAndGet();
                        }
                    }
                });
            }
            pool.shutdown();
            pool.awaitTermination(10, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("put_cpu_us %.0f%n", (os.getProcessCpuTime() - cpuStart) / 1e3 / count);
            System.out.printf("put_seconds %.3f%n", seconds);
            System.out.printf("put_rate %.1f%n", count / seconds);
            System.out.println("put_failed " + failed.get());
        }
    }
}
