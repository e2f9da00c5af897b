package io.contextgraph.data;

import com.google.common.base.CharMatcher;

/**
 * The rules of the {@code X-User} token, the pseudonym a client identifies itself with.
 *
 * <p>A token is 3 to 36 characters from the ASCII letters and digits and {@code ! ( ) * - . _ ~}
 * (the characters RFC 3986 leaves unreserved, plus the few that {@code encodeURIComponent} also
 * leaves alone), so a UUID with or without dashes fits. Tokens such as {@code ...} or {@code ~~~}
 * are valid; they are harmless in a storage key because a token only ever appears there as part
 * of the segment {@code user=<token>}: S3 keys are flat strings that nothing resolves as a path,
 * and in the local-folder store that segment is an ordinary file name, never {@code .} or
 * {@code ..} (see {@link StorageKeys}). The two dot-only names that would matter on a file
 * system, {@code .} and {@code ..}, are shorter than the minimum length anyway.
 */
public final class UserToken {

    static final int MIN_LENGTH = 3;
    static final int MAX_LENGTH = 36;
    /** ASCII only on purpose: Character.isLetterOrDigit would let in every script's letters. */
    private static final CharMatcher ALLOWED = CharMatcher.inRange('a', 'z')
            .or(CharMatcher.inRange('A', 'Z'))
            .or(CharMatcher.inRange('0', '9'))
            .or(CharMatcher.anyOf("!()*-._~"))
            .precomputed();

    private UserToken() {
    }

    /** Whether {@code token} is an acceptable user token; {@code null} is not. */
    public static boolean isValid(String token) {
        return token != null && token.length() >= MIN_LENGTH && token.length() <= MAX_LENGTH
                && ALLOWED.matchesAllOf(token);
    }

    /**
     * Returns {@code token} when it is valid.
     *
     * @throws IllegalArgumentException otherwise; the message never repeats the token, which
     *     may be personal data
     */
    public static String requireValid(String token) {
        if (!isValid(token)) {
            throw new IllegalArgumentException("invalid user token");
        }
        return token;
    }
}
