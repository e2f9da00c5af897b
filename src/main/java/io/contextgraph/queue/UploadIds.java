package io.contextgraph.queue;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Upload ids: {@code <ms:13>-<seq:6>-<random:22>}, e.g. {@code 1796146946435-000007-q3Vb0...}. The first two parts
 * are the upload's acceptance order (see {@link StreamScripts}), zero-padded so that ids sort as uploads were
 * accepted; Redis writes them in the script that accepts the upload, so the id is fixed at acceptance. The random
 * part (128 bits from {@link SecureRandom}, base64url) makes ids unique even across a Redis that came back empty with
 * a clock set back. Every character is in {@code [0-9A-Za-z_-]}: safe in a URL, a path and an S3 key, and within the
 * storage layout's id pattern.
 *
 * <p>The order in the key is what lets a delete remove exactly the uploads accepted before it: see
 * {@link #acceptedBefore}. Ids made before orders existed (22 random characters) carry none.
 *
 * <p>One {@code SecureRandom} call per batch of uploads, not per id: its lock and system calls are paid once per
 * script call. Thread-safe, as {@code SecureRandom} is.
 */
public final class UploadIds {

    private static final int RANDOM_BYTES = 16;
    private static final Pattern ORDERED = Pattern.compile("(\\d{13})-(\\d{6})-[0-9A-Za-z_-]{22}");

    private final SecureRandom random;
    private final Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();

    UploadIds(SecureRandom random) {
        this.random = random;
    }

    public UploadIds() {
        this(new SecureRandom());
    }

    /** The random parts of the next {@code count} ids (one call into the generator per batch, not per id). */
    public String[] nextRandomParts(int count) {
        byte[] bytes = new byte[count * RANDOM_BYTES];
        random.nextBytes(bytes);
        String[] parts = new String[count];
        byte[] one = new byte[RANDOM_BYTES];
        for (int i = 0; i < count; i++) {
            System.arraycopy(bytes, i * RANDOM_BYTES, one, 0, RANDOM_BYTES);
            parts[i] = encoder.encodeToString(one);
        }
        return parts;
    }

    /** The acceptance order in an upload id ({@code <ms>-<seq>}), or empty for an id made before orders existed. */
    public static Optional<String> order(String uploadId) {
        Matcher m = uploadId == null ? null : ORDERED.matcher(uploadId);
        if (m == null || !m.matches()) {
            return Optional.empty();
        }
        return Optional.of(Long.parseLong(m.group(1)) + "-" + Long.parseLong(m.group(2)));
    }

    /**
     * Whether the upload was accepted before the task of {@code order} (a delete's order): what a delete may remove.
     * Ids without an order were all made before any order existed, hence before any delete that has one.
     */
    public static boolean acceptedBefore(String uploadId, String order) {
        return order(uploadId).map(own -> StreamIds.compare(own, order) < 0).orElse(true);
    }
}
