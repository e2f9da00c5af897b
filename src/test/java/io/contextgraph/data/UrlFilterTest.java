package io.contextgraph.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class UrlFilterTest {

    private final UrlFilter filter = new UrlFilter(
            Blocklist.of(List.of("blocked.com", "blockéd.de", "blogspot.com", "sub.partly.org")));

    @ParameterizedTest
    @ValueSource(strings = {
        "https://www.example.com/path?q=1",
        "http://example.com/",
        "https://example.com",
        "https://t.co",
        "HTTPS://WWW.EXAMPLE.COM/",
        "HtTp://example.com/",
        "https://example.com:443/",
        "http://example.com:80/",
        "https://example.com:0443/",          // leading zeros: still the default port
        "https://example.com./",               // trailing dot: the same host
        "https://www.example.com.:443/a",
        "https://example.co.uk/",
        "https://www.ck/",                      // an exception to the *.ck wildcard rule
        "https://bücher.de/",                  // IDN
        "https://BÜCHER.de/",
        "https://xn--bcher-kva.de/",
        "https://пример.рф/",
        "https://example\u3002com/",            // ideographic full stop, as IDNA maps it
        "https://github.io/",                   // private-section suffixes are websites too
        "https://someone.github.io/",
        "https://foo_bar.example.com/",
        "https://1.2.3.4.nip.io/",              // a domain name, not an address
        "https://1a.com/",
        "https://example.com/?q={a}|b^c`d",     // java.net.URI throws on these
        "https://example.com/caf%C3%A9",
        "https://example.com/café",
        "https://example.com/#user@host:1",
        "https://example.com?x=@y",
        "https://example.com#frag",
        "https://example.com/a\\b",             // a backslash after the authority is only a path
        "https://blocked.com.au/",
        "https://notblocked.com/",
        "https://blocked.co/",
        "https://blocked.com.evil.net/",
        "https://partly.org/",
        "https://other.partly.org/",
    })
    void accepts(String url) {
        assertThat(filter.judge(url)).isEqualTo(UrlVerdict.ACCEPTED);
        assertThat(filter.accepts(url)).isTrue();
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                // length
                row("http://", UrlVerdict.BAD_LENGTH),
                row("", UrlVerdict.BAD_LENGTH),
                row(null, UrlVerdict.BAD_LENGTH),
                // characters no browser leaves in a URL
                row("https://exa mple.com/", UrlVerdict.BAD_CHARACTER),
                row("https://example.com/a b", UrlVerdict.BAD_CHARACTER),
                row(" https://example.com/", UrlVerdict.BAD_CHARACTER),
                row("https://example.com/ ", UrlVerdict.BAD_CHARACTER),
                row("https://example.com/\t", UrlVerdict.BAD_CHARACTER),
                row("https://example.com/\n", UrlVerdict.BAD_CHARACTER),
                row("https://exa\u0000mple.com/", UrlVerdict.BAD_CHARACTER),
                row("https://example.com/\u007f", UrlVerdict.BAD_CHARACTER),
                row("https://example.com/\u0085", UrlVerdict.BAD_CHARACTER),
                row("https://example.com/\u00a0", UrlVerdict.BAD_CHARACTER),
                row("https://example.com/\u2028", UrlVerdict.BAD_CHARACTER),
                row("https://example\u3000com/", UrlVerdict.BAD_CHARACTER),
                row("https://example.com/\ud800", UrlVerdict.BAD_CHARACTER),
                // schemes
                row("ftp://example.com/", UrlVerdict.BAD_SCHEME),
                row("javascript:alert(1)//", UrlVerdict.BAD_SCHEME),
                row("javascript://example.com/%0aalert(1)", UrlVerdict.BAD_SCHEME),
                row("data:text/html,<h1>hi</h1>", UrlVerdict.BAD_SCHEME),
                row("file:///etc/passwd", UrlVerdict.BAD_SCHEME),
                row("ws://example.com/", UrlVerdict.BAD_SCHEME),
                row("httpx://example.com/", UrlVerdict.BAD_SCHEME),
                row("mailto:a@example.com", UrlVerdict.BAD_SCHEME),
                row("://example.com/", UrlVerdict.BAD_SCHEME),
                row("about:blank", UrlVerdict.BAD_SCHEME),
                // structure
                row("www.example.com/", UrlVerdict.MALFORMED),
                row("https:example.com/", UrlVerdict.MALFORMED),
                row("https:/example.com/", UrlVerdict.MALFORMED),
                row("https:\\\\example.com/", UrlVerdict.MALFORMED),
                row("https://example.com\\@evil.com/", UrlVerdict.MALFORMED),
                row("https://example.com\\.evil.com/", UrlVerdict.MALFORMED),
                row("http://::1/", UrlVerdict.MALFORMED),
                row("https://example.com:443:443/", UrlVerdict.MALFORMED),
                // user info
                row("https://user@example.com/", UrlVerdict.USER_INFO),
                row("https://user:secret@example.com/", UrlVerdict.USER_INFO),
                row("https://@example.com/", UrlVerdict.USER_INFO),
                row("https://:@example.com/", UrlVerdict.USER_INFO),
                row("https://example.com@evil.com/", UrlVerdict.USER_INFO),
                row("https://user@[::1]/", UrlVerdict.USER_INFO),
                // missing host
                row("https:///path", UrlVerdict.MISSING_HOST),
                row("https://:443/", UrlVerdict.MISSING_HOST),
                row("https://?q=1", UrlVerdict.MISSING_HOST),
                row("https://#frag", UrlVerdict.MISSING_HOST),
                row("https://", UrlVerdict.MISSING_HOST),
                // ports
                row("https://example.com:8080/", UrlVerdict.PORT),
                row("http://example.com:8080/", UrlVerdict.PORT),
                row("https://example.com:80/", UrlVerdict.PORT),
                row("http://example.com:443/", UrlVerdict.PORT),
                row("https://example.com:/", UrlVerdict.PORT),
                row("https://example.com:-443/", UrlVerdict.PORT),
                row("https://example.com:+443/", UrlVerdict.PORT),
                row("https://example.com:0x1bb/", UrlVerdict.PORT),
                row("https://example.com:000443/", UrlVerdict.PORT),
                row("https://example.com:99999999999999999999/", UrlVerdict.PORT),
                row("https://example.com:\uff14\uff14\uff13/", UrlVerdict.PORT),   // full-width digits
                row("https://example.com:0/", UrlVerdict.PORT),
                // IP addresses in every spelling
                row("http://127.0.0.1/", UrlVerdict.IP_ADDRESS),
                row("http://8.8.8.8/", UrlVerdict.IP_ADDRESS),
                row("http://1.2.3.4:80/", UrlVerdict.IP_ADDRESS),
                row("http://127.0.0.1./", UrlVerdict.IP_ADDRESS),
                row("http://2130706433/", UrlVerdict.IP_ADDRESS),
                row("http://0x7f000001/", UrlVerdict.IP_ADDRESS),
                row("http://0x7f.1/", UrlVerdict.IP_ADDRESS),
                row("http://0X7F.0X0.0X0.0X1/", UrlVerdict.IP_ADDRESS),
                row("http://127.1/", UrlVerdict.IP_ADDRESS),
                row("http://0177.0.0.1/", UrlVerdict.IP_ADDRESS),
                row("http://017700000001/", UrlVerdict.IP_ADDRESS),
                row("http://example.0x1/", UrlVerdict.IP_ADDRESS),
                row("http://example.123/", UrlVerdict.IP_ADDRESS),
                row("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", UrlVerdict.IP_ADDRESS), // full-width
                row("http://127\u30020\u30020\u30021/", UrlVerdict.IP_ADDRESS),               // ideographic dots
                row("http://[::1]/", UrlVerdict.IP_ADDRESS),
                row("http://[::1]:80/", UrlVerdict.IP_ADDRESS),
                row("https://[2001:db8::1]/", UrlVerdict.IP_ADDRESS),
                row("http://[::ffff:127.0.0.1]/", UrlVerdict.IP_ADDRESS),
                row("http://[fe80::1%25eth0]/", UrlVerdict.IP_ADDRESS),
                row("http://[v1.fe80::a]/", UrlVerdict.IP_ADDRESS),
                // local names
                row("http://localhost/", UrlVerdict.LOCAL_NAME),
                row("http://LOCALHOST/", UrlVerdict.LOCAL_NAME),
                row("http://localhost./", UrlVerdict.LOCAL_NAME),
                row("http://localhost:80/", UrlVerdict.LOCAL_NAME),
                row("http://app.localhost/", UrlVerdict.LOCAL_NAME),
                row("http://printer.local/", UrlVerdict.LOCAL_NAME),
                row("http://Printer.LOCAL./", UrlVerdict.LOCAL_NAME),
                row("http://local/", UrlVerdict.LOCAL_NAME),
                row("https://router.home.arpa/", UrlVerdict.LOCAL_NAME),
                // not a public domain name
                row("http://a", UrlVerdict.NOT_PUBLIC_DOMAIN),                   // 8 characters: length is fine
                row("http://intranet/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://example/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://co.uk/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://anything.ck/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://test.internal/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://1.0.0.127.in-addr.arpa/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://example.invalid/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://exa%6dple.com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://%65xample.com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://example%2ecom/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://example..com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://example.com../", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://.example.com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://-example.com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://example-.com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://exa!mple.com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://exa<mple.com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://exa\"mple.com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://\ud83d\ude00.com/", UrlVerdict.NOT_PUBLIC_DOMAIN),  // IDN conversion fails
                row("https://" + "a".repeat(64) + ".com/", UrlVerdict.NOT_PUBLIC_DOMAIN),
                row("https://" + "a.".repeat(126) + "com/", UrlVerdict.NOT_PUBLIC_DOMAIN),  // 255 long
                // blocked
                row("https://blocked.com/", UrlVerdict.BLOCKED),
                row("https://www.blocked.com/", UrlVerdict.BLOCKED),
                row("https://WWW.BLOCKED.COM.:443/x", UrlVerdict.BLOCKED),
                row("https://blockéd.de/", UrlVerdict.BLOCKED),
                row("https://" + java.net.IDN.toASCII("blockéd.de") + "/", UrlVerdict.BLOCKED),
                row("https://someone.blogspot.com/", UrlVerdict.BLOCKED),
                row("https://sub.partly.org/", UrlVerdict.BLOCKED),
                row("https://a.sub.partly.org/", UrlVerdict.BLOCKED));
    }

    @ParameterizedTest(name = "[{index}] {1}: {0}")
    @MethodSource("rejected")
    void rejects(String url, UrlVerdict verdict) {
        assertThat(filter.judge(url)).isEqualTo(verdict);
        assertThat(filter.accepts(url)).isFalse();
    }

    @Test
    void lengthBoundsCountCharacters() {
        String base = "https://example.com/";
        assertThat(filter.judge("http://")).as("7").isEqualTo(UrlVerdict.BAD_LENGTH);
        assertThat(filter.judge("http://a")).as("8").isNotEqualTo(UrlVerdict.BAD_LENGTH);
        assertThat(filter.judge(base + "a".repeat(2048 - base.length()))).as("2048").isEqualTo(UrlVerdict.ACCEPTED);
        assertThat(filter.judge(base + "a".repeat(2049 - base.length()))).as("2049").isEqualTo(UrlVerdict.BAD_LENGTH);
        assertThat(filter.judge(base + "a".repeat(100_000))).isEqualTo(UrlVerdict.BAD_LENGTH);
    }

    @Test
    void lengthBoundsCountCodePointsNotUtf16Units() {
        String base = "https://example.com/";
        String smiley = "\ud83d\ude00";
        String longest = base + smiley.repeat(2048 - base.length());
        assertThat(longest.length()).isGreaterThan(2048);
        assertThat(filter.judge(longest)).isEqualTo(UrlVerdict.ACCEPTED);
        assertThat(filter.judge(longest + smiley)).isEqualTo(UrlVerdict.BAD_LENGTH);
    }

    @Test
    void emptyBlocklistAcceptsWhatItWouldOtherwiseBlock() {
        assertThat(new UrlFilter(Blocklist.of(List.of())).judge("https://www.blocked.com/"))
                .isEqualTo(UrlVerdict.ACCEPTED);
    }

    @Test
    void rememberedHostsGetTheSameVerdictAsFreshOnes() {
        List<String> urls = List.of("https://www.blocked.com/a", "https://www.example.com/a", "https://127.1/",
                "https://localhost/", "https://blockéd.de/x", "https://me.blogspot.com/", "https://sub.partly.org/",
                "https://other.partly.org/", "https://example.com:8080/", "https://ex%41mple.com/");
        for (int round = 0; round < 3; round++) {
            for (String url : urls) {
                UrlFilter fresh = new UrlFilter(
                        Blocklist.of(List.of("blocked.com", "blockéd.de", "blogspot.com", "sub.partly.org")));
                assertThat(filter.judge(url)).as(url).isEqualTo(fresh.judge(url));
            }
        }
    }

    @Test
    void theHostMemoryStartsOverWhenFullAndKeepsJudgingCorrectly() {
        for (int i = 0; i < UrlFilter.MAX_REMEMBERED_HOSTS + 10; i++) {
            assertThat(filter.judge("https://h" + i + ".example.com/")).isEqualTo(UrlVerdict.ACCEPTED);
        }
        assertThat(filter.judge("https://www.blocked.com/")).isEqualTo(UrlVerdict.BLOCKED);
        assertThat(filter.judge("https://h1.example.com/")).isEqualTo(UrlVerdict.ACCEPTED);
    }

    private static Arguments row(String url, UrlVerdict verdict) {
        return Arguments.of(url, verdict);
    }
}
