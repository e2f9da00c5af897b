package io.contextgraph.api;

/**
 * A fast, allocation-free recogniser of the common case: one plain JSON object (RFC 8259) with short numbers and
 * names, nested at most {@link PlainJsonFormat#MAX_DEPTH} deep. It only ever says "certainly valid": anything it does
 * not recognise (errors, but also legal oddities such as a byte order mark) is left to the full parser, which gives
 * the exact answer. So it must accept nothing that Jackson, as {@link PlainJsonFormat} configures it, refuses; the
 * differential fuzz test checks exactly that.
 */
final class JsonSyntax {
    /** Longer names and numbers go to the full parser, which enforces its own length limits. */
    private static final int MAX_NUMBER_LENGTH = 100;
    private static final int MAX_NAME_LENGTH = 1000;

    private final byte[] in;
    private int at;

    private JsonSyntax(byte[] in) {
        this.in = in;
    }

    /** True only if {@code body} is certainly exactly one well-formed JSON object, surrounded by whitespace at most. */
    static boolean isPlainObject(byte[] body, int maxDepth) {
        return new JsonSyntax(body).object(maxDepth);
    }

    private boolean object(int maxDepth) {
        skipSpace();
        if (at >= in.length || in[at] != '{') {
            return false;
        }
        // One bit per open container below the current one: 1 = object, 0 = array (maxDepth is at most 63).
        long outer = 0;
        int depth = 1;
        boolean inObject = true;
        at++;
        skipSpace();
        if (peek() == '}') {
            at++;
            depth = 0;
        }
        while (depth > 0) {
            // Here: at the start of a member (object) or element (array) of a non-empty container.
            if (inObject) {
                if (peek() != '"' || !string(MAX_NAME_LENGTH, false)) {
                    return false;
                }
                skipSpace();
                if (peek() != ':') {
                    return false;
                }
                at++;
                skipSpace();
            }
            int c = peek();
            if (c == '{' || c == '[') {
                if (depth == maxDepth) {
                    return false;
                }
                outer = (outer << 1) | (inObject ? 1 : 0);
                depth++;
                inObject = c == '{';
                at++;
                skipSpace();
                if (peek() != (inObject ? '}' : ']')) {
                    continue;
                }
                // An empty container is a complete value: fall through to what follows it.
            } else if (!scalar(c)) {
                return false;
            }
            // After a complete value: a separator, or the end of one or more containers.
            while (true) {
                skipSpace();
                int next = peek();
                if (next == ',') {
                    at++;
                    skipSpace();
                    break;
                }
                if (next != (inObject ? '}' : ']')) {
                    return false;
                }
                at++;
                depth--;
                if (depth == 0) {
                    break;
                }
                inObject = (outer & 1) == 1;
                outer >>>= 1;
            }
        }
        skipSpace();
        return at == in.length;
    }

    /** A string, number or literal starting with {@code c}; leaves {@link #at} just after it. */
    private boolean scalar(int c) {
        if (c == '"') {
            return string(Integer.MAX_VALUE, true);
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
        }
        return switch (c) {
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> false;
        };
    }

    /**
     * From an opening quote to just after the closing one; escapes checked, raw control characters refused. Names go
     * without escapes: Jackson decodes them (and refuses, e.g., an escaped lone surrogate), while it only skips values.
     */
    private boolean string(int maxLength, boolean escapes) {
        int start = ++at;
        while (at < in.length) {
            int b = in[at];
            if (b == '"') {
                at++;
                return at - start <= maxLength;
            }
            if (b == '\\') {
                if (!escapes || !escape()) {
                    return false;
                }
            } else if (b >= 0 && b < 0x20) {
                return false;
            } else {
                at++; // bytes of multi-byte characters are negative; UTF-8 validity is checked separately
            }
        }
        return false;
    }

    private boolean escape() {
        if (at + 1 >= in.length) {
            return false;
        }
        switch (in[at + 1]) {
            case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
                at += 2;
                return true;
            }
            case 'u' -> {
                if (at + 5 >= in.length) {
                    return false;
                }
                for (int i = at + 2; i < at + 6; i++) {
                    if (Character.digit(in[i], 16) < 0) {
                        return false;
                    }
                }
                at += 6;
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /** -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? and then a delimiter. */
    private boolean number() {
        int start = at;
        if (peek() == '-') {
            at++;
        }
        if (peek() == '0') {
            at++;
        } else if (digits() == 0) {
            return false;
        }
        if (peek() == '.') {
            at++;
            if (digits() == 0) {
                return false;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            at++;
            if (peek() == '+' || peek() == '-') {
                at++;
            }
            if (digits() == 0) {
                return false;
            }
        }
        return at - start <= MAX_NUMBER_LENGTH && delimiterFollows();
    }

    private int digits() {
        int start = at;
        while (at < in.length && in[at] >= '0' && in[at] <= '9') {
            at++;
        }
        return at - start;
    }

    private boolean literal(String word) {
        int length = word.length();
        if (at + length > in.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (in[at + i] != word.charAt(i)) {
                return false;
            }
        }
        at += length;
        return delimiterFollows();
    }

    private boolean delimiterFollows() {
        int c = peek();
        return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t';
    }

    private void skipSpace() {
        while (at < in.length) {
            byte b = in[at];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return;
            }
            at++;
        }
    }

    /** The byte at the cursor, or -1 at the end. Bytes of non-ASCII characters come out negative too: never syntax. */
    private int peek() {
        return at < in.length ? in[at] : -1;
    }
}
