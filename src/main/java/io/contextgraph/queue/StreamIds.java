package io.contextgraph.queue;

/** Orders Redis stream IDs and acceptance orders ({@code <ms>-<seq>}) numerically, which is their acceptance order. */
public final class StreamIds {

    private StreamIds() {
    }

    public static int compare(String a, String b) {
        long[] left = parse(a);
        long[] right = parse(b);
        int byTime = Long.compareUnsigned(left[0], right[0]);
        return byTime != 0 ? byTime : Long.compareUnsigned(left[1], right[1]);
    }

    /** The milliseconds part: for an acceptance order, when (on the Redis clock) the task was accepted. */
    public static long millis(String id) {
        return parse(id)[0];
    }

    private static long[] parse(String id) {
        int dash = id.indexOf('-');
        if (dash <= 0 || dash == id.length() - 1) {
            throw new IllegalArgumentException("not a stream ID: " + id);
        }
        return new long[] {
            Long.parseUnsignedLong(id, 0, dash, 10), Long.parseUnsignedLong(id, dash + 1, id.length(), 10)};
    }
}
