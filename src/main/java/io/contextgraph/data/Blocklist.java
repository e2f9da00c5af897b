package io.contextgraph.data;

import com.google.common.collect.ImmutableSet;
import com.google.common.net.InternetDomainName;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Optional;

/**
 * The set of domains whose sessions are never stored (sensitive categories: adult, dating,
 * health, banking...).
 *
 * <p>Matching takes the Public Suffix List into account: an entry {@code example.com} blocks
 * {@code example.com} and every name under it ({@code www.example.com}), but neither
 * {@code example.com.au} (another registrable domain under {@code com.au}) nor
 * {@code notexample.com}. A host is compared by its whole name and each ancestor down to its
 * domain under the registry suffix, so entries may be registrable domains (the usual case),
 * a subdomain ({@code login.example.com} blocks only that part of the site), or a
 * private-section suffix such as {@code blogspot.com} (blocks every blog there).
 *
 * <p>Entries that are registry suffixes themselves ({@code com}, {@code co.uk}) or that are not
 * under one ({@code localhost}) are rejected when the list is loaded: such an entry would block
 * a whole country or nothing at all, and is almost certainly a mistake.
 *
 * <p>File format: one domain per line, in ASCII or Unicode (IDN), any case, an optional trailing
 * dot; {@code #} starts a comment; blank lines are ignored.
 */
public final class Blocklist {

    private static final String BUNDLED_RESOURCE = "blocklist.txt";

    private final ImmutableSet<String> domains;

    private Blocklist(ImmutableSet<String> domains) {
        this.domains = domains;
    }

    /**
     * The default list bundled with the service ({@code io/contextgraph/data/blocklist.txt}).
     *
     * @throws IllegalStateException when the resource is missing or broken (a build error)
     */
    public static Blocklist bundled() {
        try (InputStream in = Blocklist.class.getResourceAsStream(BUNDLED_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("bundled blocklist resource is missing");
            }
            return read(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), "bundled blocklist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled blocklist", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Reads a list from a UTF-8 file (the operator's {@code BLOCKLIST_FILE}).
     *
     * @throws IOException when the file cannot be read or is not UTF-8
     * @throws IllegalArgumentException naming the line number of the first invalid entry
     */
    public static Blocklist fromFile(Path file) throws IOException {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(reader, "blocklist " + file);
        }
    }

    /**
     * A list of the given domains (no comments: each element is one domain).
     *
     * @throws IllegalArgumentException naming the position (from 1) of the first invalid entry
     */
    public static Blocklist of(Collection<String> entries) {
        ImmutableSet.Builder<String> domains = ImmutableSet.builder();
        int position = 0;
        for (String entry : entries) {
            position++;
            String where = "blocklist entry " + position;
            if (entry == null) {
                throw new IllegalArgumentException(where + " is null");
            }
            domains.add(normaliseEntry(entry.strip(), where));
        }
        return new Blocklist(domains.build());
    }

    /** Whether sessions on {@code host} must be dropped; a host that is no public domain is not blocked. */
    public boolean blocks(String host) {
        return PublicDomain.parse(host).map(this::blocksDomain).orElse(false);
    }

    boolean blocksDomain(PublicDomain domain) {
        if (domains.isEmpty()) {
            return false;
        }
        for (String name : domain.selfAndAncestors()) {
            if (domains.contains(name)) {
                return true;
            }
        }
        return false;
    }

    /** How many domains the list holds. */
    public int size() {
        return domains.size();
    }

    @Override
    public String toString() {
        return "Blocklist[" + domains.size() + " domains]";
    }

    private static Blocklist read(BufferedReader reader, String source) throws IOException {
        ImmutableSet.Builder<String> domains = ImmutableSet.builder();
        int lineNumber = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNumber++;
            if (lineNumber == 1 && line.startsWith("\uFEFF")) {
                line = line.substring(1); // a byte order mark left by some editors
            }
            int hash = line.indexOf('#');
            String entry = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (!entry.isEmpty()) {
                domains.add(normaliseEntry(entry, source + " line " + lineNumber));
            }
        }
        return new Blocklist(domains.build());
    }

    private static String normaliseEntry(String entry, String where) {
        Optional<String> ascii = PublicDomain.normalise(entry);
        InternetDomainName name = ascii.map(PublicDomain::domainName).orElse(null);
        if (name == null) {
            throw new IllegalArgumentException(where + ": '" + entry + "' is not a domain name");
        }
        if (name.isRegistrySuffix()) {
            throw new IllegalArgumentException(
                    where + ": '" + entry + "' is a public suffix; it would block every site under it");
        }
        if (!name.isUnderRegistrySuffix()) {
            throw new IllegalArgumentException(where + ": '" + entry + "' is not under a public suffix");
        }
        return ascii.get();
    }
}
