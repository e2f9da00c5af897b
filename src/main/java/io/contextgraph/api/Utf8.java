package io.contextgraph.api;

/**
 * Strict UTF-8 validation without decoding: rejects overlong forms, surrogates and code points
 * past U+10FFFF. The JSON parser skips string contents it does not need, so it cannot be relied on.
 */
final class Utf8 {
    private Utf8() {
    }

    static boolean isValid(byte[] bytes, int length) {
        int i = 0;
        while (i < length) {
            int b = bytes[i];
            if (b >= 0) {
                i++;
                continue;
            }
            b &= 0xff;
            int needed;
            int min;
            int cp;
            if (b >= 0xc2 && b <= 0xdf) {
                needed = 1;
                min = 0x80;
                cp = b & 0x1f;
            } else if (b >= 0xe0 && b <= 0xef) {
                needed = 2;
                min = 0x800;
                cp = b & 0x0f;
            } else if (b >= 0xf0 && b <= 0xf4) {
                needed = 3;
                min = 0x10000;
                cp = b & 0x07;
            } else {
                return false;
            }
            for (int k = 1; k <= needed; k++) {
                if (i + k >= length) {
                    return false;
                }
                int c = bytes[i + k] & 0xff;
                if ((c & 0xc0) != 0x80) {
                    return false;
                }
                cp = (cp << 6) | (c & 0x3f);
            }
            if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                return false;
            }
            i += needed + 1;
        }
        return true;
    }
}
