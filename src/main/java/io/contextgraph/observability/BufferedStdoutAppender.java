package io.contextgraph.observability;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes encoded log lines to stdout in batches: lines collect in a buffer that goes out when full, at least every
 * {@link #FLUSH_EVERY} (from a daemon thread) and when logging stops.
 *
 * <p>Logback's {@code ConsoleAppender} makes one {@code write} system call per line, which was most of the cost
 * of the web role's {@code request.summary} line. Lines are written whole (an event is never split between two
 * writes unless it is larger than the buffer), so a log collector reading the pipe still sees one JSON object per
 * line. Lines go through {@link System#out}, not straight to file descriptor 1, so that whoever replaced it
 * (a test runner) still gets them.
 */
public final class BufferedStdoutAppender extends OutputStreamAppender<ILoggingEvent> {

    /** The longest a line waits in the buffer while nothing else is logged. */
    public static final Duration FLUSH_EVERY = Duration.ofMillis(50);
    private static final int BUFFER_BYTES = 64 * 1024;

    private Thread flusher;

    @Override
    public void start() {
        setImmediateFlush(false);
        setOutputStream(new BufferedOutputStream(new SystemOut(), BUFFER_BYTES));
        super.start();
        if (isStarted()) {
            flusher = Thread.ofPlatform().daemon().name("log-flush").start(this::flushPeriodically);
        }
    }

    private void flushPeriodically() {
        long pause = FLUSH_EVERY.toNanos();
        while (isStarted()) {
            LockSupport.parkNanos(pause);
            flush();
        }
    }

    /** Writes what the buffer holds now. */
    void flush() {
        streamWriteLock.lock();
        try {
            OutputStream out = getOutputStream();
            if (out != null) {
                out.flush();
            }
        } catch (IOException e) {
            // stdout is gone: there is nowhere left to report it, as with Logback's own console appender.
        } finally {
            streamWriteLock.unlock();
        }
    }

    /** Writes the buffer out (closing the buffer, not stdout) and ends the flushing thread. */
    @Override
    public void stop() {
        super.stop();
        if (flusher != null) {
            LockSupport.unpark(flusher);
        }
    }

    /** {@link System#out} as it is at each write; closing it only flushes, stdout stays open. */
    private static final class SystemOut extends OutputStream {
        @Override
        public void write(int b) {
            System.out.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            System.out.write(bytes, offset, length);
        }

        @Override
        public void flush() {
            System.out.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
