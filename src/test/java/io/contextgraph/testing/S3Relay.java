package io.contextgraph.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP relay in front of an S3 API that notes the shape of every HTTP request passing through and can hold
 * back the answers.
 *
 * <p>A request's shape is its method, whether it names an object or only a bucket, and the names of its query
 * parameters. Keys and values are not kept, so nothing of an upload's user or content ends up in a test's output.
 * While answers are held, what the server sends is read but not passed on, so a test knows the request was served
 * and its client still waits for the answer.
 */
public final class S3Relay implements AutoCloseable {
    /** One request as S3 saw it, e.g. {@code PUT object} or {@code GET bucket ?list-type,prefix}. */
    public record Request(String method, boolean object, List<String> queryNames) {
        @Override
        public String toString() {
            return method + (object ? " object" : " bucket") + (queryNames.isEmpty() ? "" : " ?" + String.join(",", queryNames));
        }
    }

    private final ServerSocket server;
    private final int upstreamPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger heldAnswers = new AtomicInteger();
    private final Object gate = new Object();
    private boolean holding;

    public S3Relay(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The requests so far, in the order their heads arrived. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Forgets the requests so far (e.g. a client's start-up checks). */
    public void clear() {
        requests.clear();
    }

    /** From now on, answers wait until {@link #release()}. */
    public void hold() {
        synchronized (gate) {
            holding = true;
        }
    }

    /** Passes on the answers held so far and every later one. */
    public void release() {
        synchronized (gate) {
            holding = false;
            gate.notifyAll();
        }
    }

    /** How many pieces of an answer arrived from the server while held (at least one per answer held). */
    public int heldAnswers() {
        return heldAnswers.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofVirtual().start(() -> relayRequests(client, upstream));
                Thread.ofVirtual().start(() -> relayAnswers(upstream, client));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Reads the client's stream request by request (head, then its body by length or chunks), passing it all on. */
    private void relayRequests(Socket client, Socket upstream) {
        try (InputStream in = new BufferedInputStream(client.getInputStream());
             OutputStream out = upstream.getOutputStream()) {
            while (true) {
                byte[] head = readHead(in);
                if (head == null) {
                    return;
                }
                out.write(head);
                out.flush(); // an Expect: 100-continue client sends its body only after the answer to the head
                String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
                requests.add(shape(lines[0]));
                long length = 0;
                boolean chunked = false;
                for (int i = 1; i < lines.length; i++) {
                    String line = lines[i].toLowerCase(Locale.ROOT);
                    if (line.startsWith("content-length:")) {
                        length = Long.parseLong(line.substring("content-length:".length()).strip());
                    } else if (line.startsWith("transfer-encoding:") && line.contains("chunked")) {
                        chunked = true;
                    }
                }
                if (chunked) {
                    copyChunks(in, out);
                } else {
                    copy(in, out, length);
                }
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // a side closed, or the relay is closing
        }
    }

    private void relayAnswers(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                awaitRelease();
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // a side closed, or the relay is closing
        }
    }

    private void awaitRelease() throws InterruptedException {
        synchronized (gate) {
            if (holding) {
                heldAnswers.incrementAndGet();
            }
            while (holding) {
                gate.wait();
            }
        }
    }

    private static Request shape(String requestLine) {
        String[] parts = requestLine.split(" ");
        String target = parts.length > 1 ? parts[1] : "/";
        int question = target.indexOf('?');
        String path = question < 0 ? target : target.substring(0, question);
        TreeSet<String> names = new TreeSet<>();
        if (question >= 0) {
            for (String pair : target.substring(question + 1).split("&")) {
                if (!pair.isEmpty()) {
                    names.add(pair.split("=", 2)[0]);
                }
            }
        }
        // Path-style addressing: /<bucket> or /<bucket>/<key>.
        String trimmed = path.startsWith("/") ? path.substring(1) : path;
        int slash = trimmed.indexOf('/');
        boolean object = slash >= 0 && slash < trimmed.length() - 1;
        return new Request(parts[0], object, List.copyOf(names));
    }

    /** The bytes up to and including the blank line; null when the connection ends between requests. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new EOFException("connection ended inside a request head");
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toByteArray();
    }

    private static void copyChunks(InputStream in, OutputStream out) throws IOException {
        while (true) {
            String sizeLine = copyLine(in, out);
            long size = Long.parseLong(sizeLine.split(";", 2)[0].strip(), 16);
            if (size == 0) {
                while (!copyLine(in, out).isEmpty()) {
                    // trailers
                }
                return;
            }
            copy(in, out, size + 2); // the chunk and its CRLF
        }
    }

    private static String copyLine(InputStream in, OutputStream out) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection ended inside a chunked body");
            }
            out.write(b);
            if (previous == '\r' && b == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
            previous = b;
        }
    }

    private static void copy(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[16 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("connection ended inside a body");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    @Override
    public void close() throws IOException {
        release();
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
