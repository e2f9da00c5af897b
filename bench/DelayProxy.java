import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * A TCP proxy on loopback that makes a local S3Proxy answer as slowly as real S3 does: each HTTP response is held back
 * by a random delay (uniform between two bounds in ms, e.g. 20–40) before its first byte is forwarded, like the
 * server time of a small PUT to S3. Interim {@code 100 Continue} answers pass at once, so a PUT with
 * {@code Expect: 100-continue} is delayed once, as on S3. Works for HTTP/1.1 without pipelining (the AWS SDK's
 * clients): the first bytes that come back after the client sent something are the start of a response.
 * Run by bench/run with the Java source launcher:
 * {@code java bench/DelayProxy.java <listen-port|0> <upstream-host> <upstream-port> <min-ms> <max-ms>}; it prints
 * {@code delay proxy listening on <port>} once ready, and on exit how many responses it delayed.
 */
public final class DelayProxy {
    private static final byte[] INTERIM = "HTTP/1.1 1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    public static void main(String[] args) throws IOException {
        int listenPort = Integer.parseInt(args[0]);
        InetSocketAddress upstream = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        int minMs = Integer.parseInt(args[3]);
        int maxMs = Integer.parseInt(args[4]);
        LongAdder delayed = new LongAdder();
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
                System.out.println("delay proxy delayed " + delayed.sum() + " responses")));
        try (ServerSocket server = new ServerSocket(listenPort, 1024, InetAddress.getLoopbackAddress())) {
            System.out.println("delay proxy listening on " + server.getLocalPort());
            System.out.flush();
            while (true) {
                Socket client = server.accept();
                Thread.ofVirtual().start(() -> serve(client, upstream, minMs, maxMs, delayed));
            }
        }
    }

    private static void serve(Socket client, InetSocketAddress upstream, int minMs, int maxMs, LongAdder delayed) {
        try (client; Socket server = new Socket()) {
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
            server.connect(upstream, 5_000);
            AtomicBoolean awaitingResponse = new AtomicBoolean();
            Thread requests = Thread.ofVirtual().start(() -> {
                try {
                    pump(client.getInputStream(), server.getOutputStream(), () -> awaitingResponse.set(true));
                    server.shutdownOutput();
                } catch (IOException e) {
                    closeQuietly(server);
                }
            });
            InputStream in = server.getInputStream();
            OutputStream out = client.getOutputStream();
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (!startsWith(buffer, n, INTERIM) && awaitingResponse.getAndSet(false)) {
                    Thread.sleep(ThreadLocalRandom.current().nextInt(minMs, maxMs + 1));
                    delayed.increment();
                }
                out.write(buffer, 0, n);
            }
            client.shutdownOutput();
            requests.join();
        } catch (IOException e) {
            // A connection closed by either side: nothing to do but let both go.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Copies until end of stream; {@code beforeWrite} runs before each chunk is forwarded. */
    private static void pump(InputStream in, OutputStream out, Runnable beforeWrite) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = in.read(buffer)) > 0) {
            // Set before the write: the answer may come back before a flag set afterwards.
            beforeWrite.run();
            out.write(buffer, 0, n);
        }
    }

    private static boolean startsWith(byte[] data, int length, byte[] prefix) {
        if (length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
