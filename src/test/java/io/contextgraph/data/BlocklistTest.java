package io.contextgraph.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BlocklistTest {

    @ParameterizedTest(name = "{0} blocks {1}: {2}")
    @CsvSource({
        "example.com,        example.com,             true",
        "example.com,        www.example.com,         true",
        "example.com,        a.b.c.example.com,       true",
        "example.com,        WWW.Example.COM,         true",
        "example.com,        www.example.com.,        true",
        "Example.COM.,       www.example.com,         true",
        "example.com,        example.com.au,          false",
        "example.com,        www.example.com.au,      false",
        "example.com,        notexample.com,          false",
        "example.com,        example.co,              false",
        "example.com,        example.com.evil.net,    false",
        "example.com,        com,                     false",
        "example.co.uk,      shop.example.co.uk,      true",
        "example.co.uk,      example.uk,              false",
        "example.co.uk,      co.uk,                   false",
        // a subdomain entry blocks only that part of the site
        "login.example.com,  login.example.com,       true",
        "login.example.com,  a.login.example.com,     true",
        "login.example.com,  www.example.com,         false",
        "login.example.com,  example.com,             false",
        // a private-section suffix as an entry blocks every site under it
        "blogspot.com,       blogspot.com,            true",
        "blogspot.com,       someone.blogspot.com,    true",
        "someone.blogspot.com, someone.blogspot.com,  true",
        "someone.blogspot.com, other.blogspot.com,    false",
        // IDN entries and hosts meet in ASCII form
        "bücher.de,          www.bücher.de,           true",
        "bücher.de,          xn--bcher-kva.de,        true",
        "xn--bcher-kva.de,   BÜCHER.de,               true",
        "bücher.de,          bucher.de,               false",
        // hosts that are no public domain are never blocked (the URL rules reject them anyway)
        "example.com,        127.0.0.1,               false",
        "example.com,        localhost,               false",
        "example.com,        example..com,            false",
    })
    void blocksByDomainAndSubdomain(String entry, String host, boolean blocked) {
        assertThat(Blocklist.of(List.of(entry)).blocks(host)).isEqualTo(blocked);
    }

    @Test
    void blocksNothingForEmptyOrNullHosts() {
        Blocklist list = Blocklist.of(List.of("example.com"));
        assertThat(list.blocks("")).isFalse();
        assertThat(list.blocks(null)).isFalse();
        assertThat(list.blocks(".")).isFalse();
    }

    @Test
    void emptyListBlocksNothing() {
        assertThat(Blocklist.of(List.of()).blocks("www.example.com")).isFalse();
        assertThat(Blocklist.of(List.of()).size()).isZero();
    }

    @Test
    void equalEntriesCountOnce() {
        assertThat(Blocklist.of(List.of("example.com", "EXAMPLE.com.", " example.com ")).size()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"com", "co.uk", "uk", "COM.", "com.au", "anything.ck"})
    void rejectsPublicSuffixEntries(String entry) {
        assertThatThrownBy(() -> Blocklist.of(List.of("fine.com", entry)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("entry 2")
                .hasMessageContaining("is a public suffix");
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "printer.local", "intranet", "example.internal", "ck"})
    void rejectsEntriesOutsideThePublicSuffixList(String entry) {
        assertThatThrownBy(() -> Blocklist.of(List.of(entry)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("entry 1")
                .hasMessageContaining("is not under a public suffix");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", ".", "*.example.com", "https://example.com", "example.com/path",
        "example..com", "-example.com", "exa mple.com", "127.0.0.1", "::1", "example.com:443", "user@example.com"})
    void rejectsEntriesThatAreNoDomainName(String entry) {
        assertThatThrownBy(() -> Blocklist.of(List.of(entry)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("entry 1")
                .hasMessageContaining("is not a domain name");
    }

    @Test
    void rejectsNullEntry() {
        assertThatThrownBy(() -> Blocklist.of(Arrays.asList("example.com", null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("entry 2");
    }

    @Test
    void readsAFileWithCommentsBlankLinesAndCrLf(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("blocklist.txt");
        Files.writeString(file, "\uFEFF# sensitive sites\r\n"
                + "\r\n"
                + "  example.com   \r\n"
                + "shop.example.org # only the shop\r\n"
                + "\t# indented comment\r\n"
                + "BÜCHER.de.\r\n", StandardCharsets.UTF_8);
        Blocklist list = Blocklist.fromFile(file);
        assertThat(list.size()).isEqualTo(3);
        assertThat(list.blocks("www.example.com")).isTrue();
        assertThat(list.blocks("shop.example.org")).isTrue();
        assertThat(list.blocks("example.org")).isFalse();
        assertThat(list.blocks("xn--bcher-kva.de")).isTrue();
    }

    @Test
    void anEmptyFileIsAnEmptyList(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("empty.txt"), "# nothing blocked\n\n");
        assertThat(Blocklist.fromFile(file).size()).isZero();
    }

    @Test
    void namesTheLineOfAnInvalidEntry(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("bad.txt"), "# header\nexample.com\n\nco.uk\nfine.org\n");
        assertThatThrownBy(() -> Blocklist.fromFile(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 4")
                .hasMessageContaining("co.uk");
    }

    @Test
    void namesTheLineOfAGarbledEntry(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("bad.txt"), "example.com\nhttp://x.com/\n");
        assertThatThrownBy(() -> Blocklist.fromFile(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2");
    }

    @Test
    void aMissingFileIsAnIoError(@TempDir Path dir) {
        assertThatThrownBy(() -> Blocklist.fromFile(dir.resolve("absent.txt")))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aFileThatIsNotUtf8IsAnIoError(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("latin1.txt"), "b\u00fccher.de\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> Blocklist.fromFile(file)).isInstanceOf(IOException.class);
    }

    @Test
    void bundledListLoadsAndBlocksSensitiveSites() {
        Blocklist bundled = Blocklist.bundled();
        assertThat(bundled.size()).isGreaterThanOrEqualTo(20);
        assertThat(bundled.blocks("www.pornhub.com")).isTrue();
        assertThat(bundled.blocks("tinder.com")).isTrue();
        assertThat(bundled.blocks("www.plannedparenthood.org")).isTrue();
        assertThat(bundled.blocks("www.paypal.com")).isTrue();
        assertThat(bundled.blocks("www.example.com")).isFalse();
        assertThat(bundled.blocks("www.mozilla.org")).isFalse();
    }

    @Test
    void toStringShowsOnlyTheSize() {
        assertThat(Blocklist.of(List.of("example.com"))).hasToString("Blocklist[1 domains]");
    }
}
