package io.contextgraph.data;

/**
 * Why {@link UrlFilter} accepts or rejects a URL; the checks run in the order of the constants.
 */
public enum UrlVerdict {
    /** The URL may be stored. */
    ACCEPTED,
    /** Not a string of 8 to 2048 characters (Unicode code points). */
    BAD_LENGTH,
    /** Contains whitespace, a control character or a lone surrogate: no browser serialises such a URL. */
    BAD_CHARACTER,
    /** The scheme is not http or https. */
    BAD_SCHEME,
    /** No {@code //} authority after the scheme, or a structure that parsers disagree on. */
    MALFORMED,
    /** Has user info ({@code user:password@}). */
    USER_INFO,
    /** The authority has no host. */
    MISSING_HOST,
    /** Has a port other than the scheme's default. */
    PORT,
    /** The host is an IP address, in any spelling a browser would read as one. */
    IP_ADDRESS,
    /** The host is {@code localhost} or under {@code .localhost}, {@code .local} or {@code .home.arpa}. */
    LOCAL_NAME,
    /**
     * The host is not a syntactically valid domain name under a public suffix, or is in a zone
     * without public websites ({@code .arpa}, {@code .onion}).
     */
    NOT_PUBLIC_DOMAIN,
    /** The host's domain is on the blocklist. */
    BLOCKED
}
