package io.contextgraph.crypto;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One PEM block (RFC 7468): its label, e.g. {@code PUBLIC KEY}, and the DER it carries.
 * Error messages name labels and positions only, never content.
 */
record Pem(String label, byte[] der) {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]{1,40})-----(.*?)-----END ([A-Z0-9 ]{1,40})-----", Pattern.DOTALL);
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    /**
     * Decodes an environment value holding the base64 of a PEM file and returns the first
     * block whose label is one of {@code accepted}.
     */
    static Pem fromBase64OfPem(String value, List<String> accepted) {
        if (value == null || value.isBlank()) {
            throw new KeyFormatException("empty value");
        }
        String compact = WHITESPACE.matcher(value).replaceAll("");
        if (compact.startsWith("-----BEGIN")) {
            throw new KeyFormatException("not base64: the value looks like a raw PEM; base64-encode the PEM file");
        }
        byte[] pemBytes;
        try {
            pemBytes = Base64.getDecoder().decode(compact);
        } catch (IllegalArgumentException e) {
            throw new KeyFormatException("not base64");
        }
        return first(new String(pemBytes, StandardCharsets.ISO_8859_1), accepted);
    }

    static Pem first(String text, List<String> accepted) {
        Matcher matcher = BLOCK.matcher(text);
        List<String> found = new ArrayList<>();
        while (matcher.find()) {
            String label = matcher.group(1);
            if (!label.equals(matcher.group(3))) {
                throw new KeyFormatException("PEM block BEGIN " + label + " ends with END " + matcher.group(3));
            }
            if (accepted.contains(label)) {
                return new Pem(label, body(label, matcher.group(2)));
            }
            found.add(label);
        }
        if (found.isEmpty()) {
            throw new KeyFormatException("no PEM block (expected -----BEGIN " + String.join("----- or -----BEGIN ", accepted) + "-----)");
        }
        throw new KeyFormatException("wrong PEM type: expected " + String.join(" or ", accepted) + ", found " + String.join(", ", found));
    }

    private static byte[] body(String label, String body) {
        if (body.contains(":")) {
            // RFC 1421 headers such as "Proc-Type: 4,ENCRYPTED": a passphrase-protected key.
            throw new KeyFormatException("PEM block " + label + " has headers (encrypted keys are not supported)");
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(WHITESPACE.matcher(body).replaceAll(""));
        } catch (IllegalArgumentException e) {
            throw new KeyFormatException("PEM block " + label + " is not base64");
        }
        if (der.length == 0) {
            throw new KeyFormatException("PEM block " + label + " is empty");
        }
        return der;
    }
}
