package io.contextgraph.observability;

import java.util.regex.Pattern;

/**
 * Replaces the pieces of free text that may identify a donor (URLs, {@code user=<token>} path segments,
 * {@code X-User} header values) with placeholders, before the text reaches a log line or an error report.
 *
 * <p>Exception messages are written by libraries we do not control (an S3 key or a request URL inside an
 * SDK message), so they are redacted on the way out rather than trusted.
 */
public final class Redactor {

    /** Placeholder that replaces a URL. */
    public static final String URL = "<url>";
    /** Placeholder that replaces a user token. */
    public static final String TOKEN = "<redacted>";

    // Any scheme://..., not only http(s): s3:// or redis:// addresses carry keys and hosts too.
    // A URL ends at whitespace, quotes or angle brackets, which cannot appear in it unescaped.
    private static final Pattern ANY_URL = Pattern.compile("\\b[A-Za-z][A-Za-z0-9+.-]*://[^\\s\"'<>`]*");
    // user=<token> as in storage keys, also percent-encoded (user%3D) as the AWS SDK sometimes writes it.
    private static final Pattern USER_SEGMENT =
            Pattern.compile("(?i)\\b(user(?:=|%3D))[^\\s/\\\\&?#\"'<>,;`]+");
    // The header as it could appear in a dumped request: "X-User: abc" or "x-user=abc".
    private static final Pattern USER_HEADER = Pattern.compile("(?i)\\b(x-user\\s*[:=]\\s*)[^\\s,;\"'<>]+");

    /** The text with URLs and user tokens replaced; {@code null} stays {@code null}. */
    public String redact(String text) {
        if (text == null || text.isEmpty() || !mayNeedRedaction(text)) {
            return text;
        }
        String withoutUrls = ANY_URL.matcher(text).replaceAll(URL);
        String withoutSegments = USER_SEGMENT.matcher(withoutUrls).replaceAll("$1" + TOKEN);
        return USER_HEADER.matcher(withoutSegments).replaceAll("$1" + TOKEN);
    }

    // Most log lines contain none of the markers: skip the regular expressions for them.
    private static boolean mayNeedRedaction(String text) {
        return text.contains("://") || containsIgnoreCase(text, "user");
    }

    private static boolean containsIgnoreCase(String text, String word) {
        int last = text.length() - word.length();
        for (int i = 0; i <= last; i++) {
            if (text.regionMatches(true, i, word, 0, word.length())) {
                return true;
            }
        }
        return false;
    }
}
