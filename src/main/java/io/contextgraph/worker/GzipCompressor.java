package io.contextgraph.worker;

import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Gzip (RFC 1952) of an in-memory byte range, the same stream {@link java.util.zip.GZIPOutputStream} writes (the
 * header's OS byte aside, which JDKs differ in). Deflaters are pooled: a new stream per upload set up zlib's native
 * state every time, which showed in the worker's profile next to compressing a few hundred bytes. Thread-safe.
 */
final class GzipCompressor {
    /** More than the worker's usual concurrency; beyond it, surplus deflaters are released. */
    private static final int POOL_SIZE = 64;
    private static final int HEADER_LENGTH = 10;
    private static final int TRAILER_LENGTH = 8;
    /** Magic, method "deflate", no flags, no modification time, no extra flags, OS "unknown". */
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    private final BlockingQueue<Deflater> idle = new ArrayBlockingQueue<>(POOL_SIZE);

    byte[] compress(byte[] data, int length) {
        Deflater deflater = idle.poll();
        if (deflater == null) {
            deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        }
        try {
            deflater.setInput(data, 0, length);
            deflater.finish();
            // Deflate's worst case is a few bytes per 16 KiB block over the input: one pass almost always suffices.
            byte[] out = new byte[HEADER_LENGTH + length + length / 1000 + 64 + TRAILER_LENGTH];
            System.arraycopy(HEADER, 0, out, 0, HEADER_LENGTH);
            int end = HEADER_LENGTH;
            while (!deflater.finished()) {
                if (end == out.length - TRAILER_LENGTH) {
                    out = Arrays.copyOf(out, out.length * 2);
                }
                end += deflater.deflate(out, end, out.length - TRAILER_LENGTH - end);
            }
            CRC32 crc = new CRC32();
            crc.update(data, 0, length);
            writeIntLittleEndian(out, end, (int) crc.getValue());
            writeIntLittleEndian(out, end + 4, length);
            return end + TRAILER_LENGTH == out.length ? out : Arrays.copyOf(out, end + TRAILER_LENGTH);
        } finally {
            deflater.reset();
            if (!idle.offer(deflater)) {
                deflater.end();
            }
        }
    }

    private static void writeIntLittleEndian(byte[] out, int at, int value) {
        out[at] = (byte) value;
        out[at + 1] = (byte) (value >>> 8);
        out[at + 2] = (byte) (value >>> 16);
        out[at + 3] = (byte) (value >>> 24);
    }
}
