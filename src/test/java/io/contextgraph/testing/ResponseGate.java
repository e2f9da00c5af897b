package io.contextgraph.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP relay in front of a server whose answers can be held back: while held, what the server sends is
 * read but not passed on, so a test knows the request was served and its client still waits for the answer.
 */
public final class ResponseGate implements AutoCloseable {
    private final ServerSocket server;
    private final int upstreamPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger heldAnswers = new AtomicInteger();
    private final Object gate = new Object();
    private boolean holding;

    public ResponseGate(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    public int port() {
        return server.getLocalPort();
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
                Thread.ofVirtual().start(() -> relay(client, upstream, false));
                Thread.ofVirtual().start(() -> relay(upstream, client, true));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void relay(Socket from, Socket to, boolean answers) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (answers) {
                    awaitRelease();
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // a side closed, or the gate is closing
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

    @Override
    public void close() throws IOException {
        release();
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
