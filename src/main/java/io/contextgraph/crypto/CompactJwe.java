package io.contextgraph.crypto;

import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * A JWE compact serialization whose structure has been checked: where its five parts are,
 * and its parsed protected header. Checking reads the body once and allocates only for the
 * header, so the web role can afford it on every upload.
 */
final class CompactJwe {

    private static final Set<String> ALGORITHMS = Set.of("RSA-OAEP", "RSA-OAEP-256");
    private static final String ENCRYPTION = "A256GCM";
    private static final int MAX_HEADER_BYTES = 8 * 1024;
    private static final int IV_BYTES = 12;
    private static final int TAG_BYTES = 16;

    private static final int PARTS = 5;
    private static final String[] PART_NAMES = {"protected header", "encrypted key", "IV", "ciphertext", "tag"};

    private final byte[] body;
    /** starts[i] and ends[i] bound part i in body. */
    private final int[] starts;
    private final int[] ends;
    private final JWEHeader header;

    private CompactJwe(byte[] body, int[] starts, int[] ends, JWEHeader header) {
        this.body = body;
        this.starts = starts;
        this.ends = ends;
        this.header = header;
    }

    JWEHeader header() {
        return header;
    }

    Base64URL part(int index) {
        return new Base64URL(new String(body, starts[index], ends[index] - starts[index], StandardCharsets.US_ASCII));
    }

    /**
     * Checks {@code body} against the JWEs this service accepts, for an RSA key whose modulus is
     * {@code modulusBytes} long.
     */
    static CompactJwe parse(byte[] body, int modulusBytes) throws MalformedJweException {
        int end = body.length;
        if (end > 0 && body[end - 1] == '\n') {
            end--;
        }
        if (end == 0) {
            throw new MalformedJweException("empty body: expected a JWE compact serialization");
        }
        int[] starts = new int[PARTS];
        int[] ends = new int[PARTS];
        int part = 0;
        for (int i = 0; i < end; i++) {
            byte b = body[i];
            if (b == '.') {
                if (part == PARTS - 1) {
                    throw new MalformedJweException("not a JWE compact serialization: more than 5 parts");
                }
                ends[part] = i;
                starts[++part] = i + 1;
            } else if (sextet(b) < 0) {
                throw new MalformedJweException(describe(b));
            }
        }
        ends[part] = end;
        if (part != PARTS - 1) {
            throw new MalformedJweException("not a JWE compact serialization: expected 5 parts separated by '.', found " + (part + 1));
        }
        for (int i = 0; i < PARTS; i++) {
            requireCanonical(body, starts[i], ends[i], PART_NAMES[i]);
        }
        // The header first: an unsupported "enc" explains odd IV or tag sizes better than they do.
        JWEHeader header = header(body, starts[0], ends[0]);
        requireDecodedLength(starts, ends, 1, modulusBytes, "encrypted key", " (the size of the service's RSA key)");
        requireDecodedLength(starts, ends, 2, IV_BYTES, "IV", "");
        requireDecodedLength(starts, ends, 4, TAG_BYTES, "tag", "");
        if (decodedLength(ends[3] - starts[3]) == 0) {
            throw new MalformedJweException("empty ciphertext");
        }
        return new CompactJwe(body, starts, ends, header);
    }

    private static JWEHeader header(byte[] body, int start, int end) throws MalformedJweException {
        if (start == end) {
            throw new MalformedJweException("empty protected header");
        }
        if (decodedLength(end - start) > MAX_HEADER_BYTES) {
            throw new MalformedJweException("protected header larger than " + MAX_HEADER_BYTES + " bytes");
        }
        String encoded = new String(body, start, end - start, StandardCharsets.US_ASCII);
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Base64.getUrlDecoder().decode(encoded)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MalformedJweException("protected header is not UTF-8");
        }
        Map<String, Object> fields;
        try {
            fields = JSONObjectUtils.parse(json, MAX_HEADER_BYTES);
        } catch (ParseException e) {
            throw new MalformedJweException("protected header is not a JSON object");
        }
        if (!(fields.get("alg") instanceof String alg) || !ALGORITHMS.contains(alg)) {
            throw new MalformedJweException("unsupported or missing \"alg\": expected RSA-OAEP or RSA-OAEP-256");
        }
        if (!ENCRYPTION.equals(fields.get("enc"))) {
            throw new MalformedJweException("unsupported or missing \"enc\": expected A256GCM");
        }
        if (fields.containsKey("zip")) {
            // Compressed payloads can inflate far beyond the upload limit.
            throw new MalformedJweException("compressed JWEs (\"zip\") are not accepted");
        }
        if (fields.containsKey("crit")) {
            throw new MalformedJweException("critical header parameters (\"crit\") are not accepted");
        }
        try {
            return JWEHeader.parse(fields, new Base64URL(encoded));
        } catch (ParseException | RuntimeException e) {
            throw new MalformedJweException("protected header is not a valid JWE header");
        }
    }

    private static void requireDecodedLength(int[] starts, int[] ends, int index, int expected, String name, String why)
            throws MalformedJweException {
        if (decodedLength(ends[index] - starts[index]) != expected) {
            throw new MalformedJweException(name + " must be " + expected + " bytes" + why);
        }
    }

    /**
     * Unpadded base64url: a length of 1 modulo 4 is impossible, and the bits of the last
     * character that fall beyond the data must be zero (RFC 4648 section 3.5).
     */
    private static void requireCanonical(byte[] body, int start, int end, String name) throws MalformedJweException {
        int length = end - start;
        int unusedBitsMask = switch (length % 4) {
            case 0 -> 0;
            case 2 -> 0x0f;
            case 3 -> 0x03;
            default -> -1;
        };
        if (unusedBitsMask == -1 || (unusedBitsMask != 0 && (sextet(body[end - 1]) & unusedBitsMask) != 0)) {
            throw new MalformedJweException(name + " is not valid base64url");
        }
    }

    private static int decodedLength(int encodedLength) {
        return encodedLength / 4 * 3 + Math.max(0, encodedLength % 4 - 1);
    }

    /** The value of a base64url character, or -1 for a byte outside the alphabet. */
    private static int sextet(byte b) {
        if (b >= 'A' && b <= 'Z') {
            return b - 'A';
        }
        if (b >= 'a' && b <= 'z') {
            return b - 'a' + 26;
        }
        if (b >= '0' && b <= '9') {
            return b - '0' + 52;
        }
        if (b == '-') {
            return 62;
        }
        return b == '_' ? 63 : -1;
    }

    private static String describe(byte b) {
        if (b < 0) {
            return "not a JWE compact serialization: non-ASCII byte";
        }
        if (b == '=') {
            return "not a JWE compact serialization: base64url padding ('=') is not allowed";
        }
        if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
            return "not a JWE compact serialization: whitespace is not allowed";
        }
        if (b == '{' || b == '[') {
            return "not a JWE compact serialization (plain JSON uploads are refused: this service requires encryption)";
        }
        return "not a JWE compact serialization: character outside the base64url alphabet";
    }
}
