package io.contextgraph.data;

import com.google.common.net.InternetDomainName;
import java.net.IDN;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A host name that belongs to the public DNS: lower-case ASCII (IDN converted), without a
 * trailing dot, and under a registry suffix of the Public Suffix List ({@code com},
 * {@code co.uk}, ...).
 *
 * <p>Registry suffixes, rather than all public suffixes, decide whether a name is public so that
 * hosts which are themselves private-section suffixes ({@code github.io}, {@code blogspot.com})
 * stay acceptable websites. {@code registryLevel} is the name one label below the registry
 * suffix ({@code github.io} for {@code me.github.io}); it is where blocklist matching stops.
 *
 * @param name the whole normalised host name
 * @param registryLevel {@code name} or its ancestor directly under the registry suffix
 */
record PublicDomain(String name, String registryLevel) {

    /** DNS limit for a name in text form, without the trailing dot. */
    private static final int MAX_NAME_LENGTH = 253;

    /**
     * Converts a host as written by people or browsers to the form compared everywhere: IDN to
     * ASCII (which also maps full-width dots and drops zero-width characters), lower case, one
     * trailing dot removed ({@code example.com.} names the same host as {@code example.com}).
     *
     * @return empty when the host cannot be converted (empty labels, characters IDNA forbids)
     */
    static Optional<String> normalise(String host) {
        if (host == null || host.isEmpty()) {
            return Optional.empty();
        }
        String ascii;
        try {
            ascii = IDN.toASCII(host);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        ascii = ascii.toLowerCase(Locale.ROOT);
        if (ascii.endsWith(".")) {
            ascii = ascii.substring(0, ascii.length() - 1);
        }
        return ascii.isEmpty() ? Optional.empty() : Optional.of(ascii);
    }

    /** Normalises {@code host} and checks that it is a public domain name. */
    static Optional<PublicDomain> parse(String host) {
        return normalise(host).flatMap(PublicDomain::ofNormalised);
    }

    /** Checks that an already normalised host is a public domain name. */
    static Optional<PublicDomain> ofNormalised(String ascii) {
        InternetDomainName domain = domainName(ascii);
        if (domain == null || !domain.isUnderRegistrySuffix()) {
            return Optional.empty();
        }
        return Optional.of(new PublicDomain(ascii, domain.topDomainUnderRegistrySuffix().toString()));
    }

    /** Guava's syntax check, or {@code null} for a name that is not a syntactically valid domain. */
    static InternetDomainName domainName(String ascii) {
        if (ascii.length() > MAX_NAME_LENGTH || ascii.endsWith(".") || !InternetDomainName.isValid(ascii)) {
            return null;
        }
        return InternetDomainName.from(ascii);
    }

    /** The name itself and its ancestors down to {@link #registryLevel}, most specific first. */
    List<String> selfAndAncestors() {
        List<String> names = new ArrayList<>();
        String current = name;
        names.add(current);
        while (!current.equals(registryLevel)) {
            int dot = current.indexOf('.');
            if (dot < 0) {
                break; // cannot happen: registryLevel is a suffix of name on a label boundary
            }
            current = current.substring(dot + 1);
            names.add(current);
        }
        return names;
    }
}
