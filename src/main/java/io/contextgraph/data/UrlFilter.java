package io.contextgraph.data;

import com.google.common.base.CharMatcher;
import com.google.common.net.InetAddresses;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides whether the URL of a session may be stored.
 *
 * <p>A URL is kept when it is 8 to 2048 characters (code points) long, has the scheme http or
 * https, no user info, no port other than the scheme's default ({@code :443} on https is fine),
 * and a host that is a public domain name whose domain is not blocked. A public domain name is a
 * syntactically valid name under a registry suffix of the Public Suffix List; that rules out
 * {@code localhost}, {@code .local}, {@code .internal}, single labels and IP addresses in every
 * spelling browsers accept ({@code 127.1}, {@code 0x7f.1}, {@code 2130706433}, {@code [::1]}).
 * Internationalised hosts ({@code bücher.de}) are converted with {@link java.net.IDN#toASCII}
 * (IDNA 2003) and rejected when that fails.
 *
 * <p>The URL is split by hand rather than with {@link java.net.URI}, which throws on URLs that
 * browsers produce every day ({@code ?q={a}|b}); only the scheme and the authority are examined,
 * the way the WHATWG URL standard delimits them, and anything ambiguous (a backslash in the
 * authority, a second colon) is rejected rather than guessed at. Hosts are compared in
 * normalised form (IDN to ASCII, lower case, without the trailing dot that
 * {@code example.com.} may carry, which is accepted). The URL string itself is not rewritten.
 *
 * <p>No DNS look-ups, ever: neither {@link java.net.URL} equality nor {@link java.net.InetAddress}
 * name resolution is used, since a look-up would tell a resolver what people browse.
 */
public final class UrlFilter {

    static final int MIN_LENGTH = 8;
    static final int MAX_LENGTH = 2048;
    /** Longest port written in a URL that could still be 80 or 443 with a few leading zeros. */
    private static final int MAX_PORT_DIGITS = 5;
    private static final CharMatcher DIGITS = CharMatcher.inRange('0', '9');
    private static final CharMatcher HEX_DIGITS = DIGITS.or(CharMatcher.inRange('a', 'f'));
    private static final CharMatcher AUTHORITY_END = CharMatcher.anyOf("/?#");

    /** Names of a local network; {@code home.arpa} (RFC 8375) is on the Public Suffix List, so it needs naming. */
    private static final List<String> LOCAL_ZONES = List.of("localhost", "local", "home.arpa");
    /**
     * Zones on the Public Suffix List that hold no public websites: {@code arpa} holds reverse
     * look-up names that spell IP addresses ({@code 1.0.0.127.in-addr.arpa}), {@code onion}
     * (RFC 7686) names Tor services, which are not DNS names at all.
     */
    private static final List<String> NON_WEB_ZONES = List.of("arpa", "onion");

    /** Hosts remembered with their verdict; past this many the memory starts over. */
    static final int MAX_REMEMBERED_HOSTS = 4096;

    private final Blocklist blocklist;
    /**
     * The verdict on each recently seen host (as written in the URL): the host check (IDN conversion, Public Suffix
     * List look-ups, blocklist) was the most expensive step per session, and an upload's sessions mostly share a few
     * hosts. Held in memory only; the verdict of a host never changes for one blocklist.
     */
    private final Map<String, UrlVerdict> hostVerdicts = new ConcurrentHashMap<>();

    public UrlFilter(Blocklist blocklist) {
        this.blocklist = Objects.requireNonNull(blocklist, "blocklist");
    }

    /** Whether a session with this URL may be stored. */
    public boolean accepts(String url) {
        return judge(url) == UrlVerdict.ACCEPTED;
    }

    /** The first rule {@code url} breaks, or {@link UrlVerdict#ACCEPTED}. */
    public UrlVerdict judge(String url) {
        if (url == null || url.length() < MIN_LENGTH || url.length() > 2 * MAX_LENGTH) {
            return UrlVerdict.BAD_LENGTH;
        }
        int codePoints = url.codePointCount(0, url.length());
        if (codePoints < MIN_LENGTH || codePoints > MAX_LENGTH) {
            return UrlVerdict.BAD_LENGTH;
        }
        for (int i = 0; i < url.length(); ) {
            int cp = url.codePointAt(i);
            if (isForbiddenCharacter(cp)) {
                return UrlVerdict.BAD_CHARACTER;
            }
            i += Character.charCount(cp);
        }
        int colon = url.indexOf(':');
        if (colon < 0) {
            return UrlVerdict.MALFORMED;
        }
        String scheme = url.substring(0, colon).toLowerCase(Locale.ROOT);
        int defaultPort;
        switch (scheme) {
            case "http" -> defaultPort = 80;
            case "https" -> defaultPort = 443;
            default -> {
                return UrlVerdict.BAD_SCHEME;
            }
        }
        if (!url.startsWith("//", colon + 1)) {
            return UrlVerdict.MALFORMED;
        }
        int start = colon + 3;
        // The authority runs to the first "/", "?" or "#" (a backslash in it is rejected below).
        int end = AUTHORITY_END.indexIn(url, start);
        if (end < 0) {
            end = url.length();
        }
        String authority = url.substring(start, end);
        if (authority.indexOf('\\') >= 0) {
            // Browsers read "\" as "/" in http(s) URLs: a parser that does not would see another host.
            return UrlVerdict.MALFORMED;
        }
        if (authority.indexOf('@') >= 0) {
            return UrlVerdict.USER_INFO;
        }
        if (authority.startsWith("[")) {
            return UrlVerdict.IP_ADDRESS; // an IPv6 (or IPvFuture) literal
        }
        String host = authority;
        int portColon = authority.indexOf(':');
        if (portColon >= 0) {
            if (authority.indexOf(':', portColon + 1) >= 0) {
                return UrlVerdict.MALFORMED;
            }
            host = authority.substring(0, portColon);
        }
        if (host.isEmpty()) {
            return UrlVerdict.MISSING_HOST;
        }
        if (portColon >= 0 && !isDefaultPort(authority.substring(portColon + 1), defaultPort)) {
            return UrlVerdict.PORT;
        }
        return rememberedJudgement(host);
    }

    private UrlVerdict rememberedJudgement(String host) {
        UrlVerdict known = hostVerdicts.get(host);
        if (known != null) {
            return known;
        }
        UrlVerdict verdict = judgeHost(host);
        if (hostVerdicts.size() >= MAX_REMEMBERED_HOSTS) {
            hostVerdicts.clear();
        }
        hostVerdicts.put(host, verdict);
        return verdict;
    }

    private UrlVerdict judgeHost(String host) {
        if (host.indexOf('%') >= 0) {
            // Percent-encoded hosts are decoded by browsers; serialised URLs never contain them.
            return UrlVerdict.NOT_PUBLIC_DOMAIN;
        }
        // Normalise first: IDN mapping turns full-width digits and dots into ASCII ones.
        Optional<String> normalised = PublicDomain.normalise(host);
        if (normalised.isEmpty()) {
            return UrlVerdict.NOT_PUBLIC_DOMAIN;
        }
        String name = normalised.get();
        if (InetAddresses.isInetAddress(name) || endsInNumber(name)) {
            return UrlVerdict.IP_ADDRESS;
        }
        if (LOCAL_ZONES.stream().anyMatch(zone -> isWithin(name, zone))) {
            return UrlVerdict.LOCAL_NAME;
        }
        if (NON_WEB_ZONES.stream().anyMatch(zone -> isWithin(name, zone))) {
            return UrlVerdict.NOT_PUBLIC_DOMAIN;
        }
        Optional<PublicDomain> domain = PublicDomain.ofNormalised(name);
        if (domain.isEmpty()) {
            return UrlVerdict.NOT_PUBLIC_DOMAIN;
        }
        return blocklist.blocksDomain(domain.get()) ? UrlVerdict.BLOCKED : UrlVerdict.ACCEPTED;
    }

    private static boolean isWithin(String name, String zone) {
        return name.equals(zone) || name.endsWith("." + zone);
    }

    private static boolean isDefaultPort(String port, int defaultPort) {
        return !port.isEmpty() && port.length() <= MAX_PORT_DIGITS && DIGITS.matchesAllOf(port)
                && Integer.parseInt(port) == defaultPort;
    }

    /**
     * The WHATWG URL standard's "ends in a number" test: a host whose last label is decimal
     * digits or {@code 0x} hex is parsed as IPv4 by browsers ({@code 127.1}, {@code 0x7f.1},
     * {@code 2130706433}).
     */
    private static boolean endsInNumber(String name) {
        String last = name.substring(name.lastIndexOf('.') + 1);
        if (last.isEmpty()) {
            return false;
        }
        // The name is lower-case ASCII by now.
        return DIGITS.matchesAllOf(last) || (last.startsWith("0x") && HEX_DIGITS.matchesAllOf(last.substring(2)));
    }

    private static boolean isForbiddenCharacter(int cp) {
        return cp <= 0x20
                || (cp >= 0x7f && cp <= 0x9f)
                || Character.isWhitespace(cp)
                || Character.isSpaceChar(cp)
                || Character.getType(cp) == Character.SURROGATE;
    }
}
