package io.contextgraph.data;

import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The object keys of the storage layout:
 * {@code v1/sessions/user=<token>/date=<yyyy-mm-dd>/<upload id>.json.gz}.
 *
 * <p>The user comes first so that forgetting a user is one prefix listing. Every key is built
 * from validated parts only, which is what keeps a key inside its user's prefix:
 * <ul>
 *   <li>S3 keys are flat strings: nothing resolves {@code .} or {@code ..} in them, so
 *       {@code v1/sessions/user=.../} is simply another prefix that starts with
 *       {@code v1/sessions/user=}.</li>
 *   <li>The local-folder store maps the {@code /}-separated segments to directories. No segment
 *       can be {@code .} or {@code ..} or contain a {@code /}: the token only appears after
 *       {@code user=}, the day after {@code date=}, and the upload id is followed by
 *       {@code .json.gz}; neither a token nor an upload id may contain {@code /}.</li>
 * </ul>
 */
public final class StorageKeys {

    /** The prefix of every stored upload. */
    public static final String ROOT = "v1/sessions/";

    private static final Pattern UPLOAD_ID = Pattern.compile("[0-9A-Za-z_-]{1,64}");

    private StorageKeys() {
    }

    /**
     * The prefix of every object stored for {@code token}: {@code v1/sessions/user=<token>/}.
     *
     * @throws IllegalArgumentException when the token is invalid
     */
    public static String userPrefix(String token) {
        return ROOT + "user=" + UserToken.requireValid(token) + "/";
    }

    /**
     * The key of one accepted upload.
     *
     * @param token the user token
     * @param day the UTC day the upload was accepted, a year from 0000 to 9999
     * @param uploadId the id fixed when the web role accepted the upload (it starts with the acceptance order, so
     *                 keys sort in acceptance order and a delete can tell what was accepted before it)
     * @throws IllegalArgumentException when a part is invalid
     */
    public static String upload(String token, LocalDate day, String uploadId) {
        Objects.requireNonNull(day, "day");
        if (!isValidUploadId(uploadId)) {
            throw new IllegalArgumentException("invalid upload id");
        }
        // LocalDate.toString would write "+10000-01-01" or "-0001-01-01": not yyyy-mm-dd.
        if (day.getYear() < 0 || day.getYear() > 9999) {
            throw new IllegalArgumentException("day outside the years 0000 to 9999");
        }
        return userPrefix(token) + "date=" + day + "/" + uploadId + ".json.gz";
    }

    /**
     * The upload id in a key built by {@link #upload}, or empty when the key is not one (its last segment does not
     * end in {@code .json.gz} or holds no valid id).
     */
    public static Optional<String> uploadIdOf(String key) {
        String suffix = ".json.gz";
        if (key == null || !key.endsWith(suffix)) {
            return Optional.empty();
        }
        String id = key.substring(key.lastIndexOf('/') + 1, key.length() - suffix.length());
        return isValidUploadId(id) ? Optional.of(id) : Optional.empty();
    }

    /** Whether {@code uploadId} is 1 to 64 characters from ASCII letters, digits, {@code _} and {@code -}. */
    public static boolean isValidUploadId(String uploadId) {
        return uploadId != null && UPLOAD_ID.matcher(uploadId).matches();
    }
}
