package io.contextgraph.crypto;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The few DER operations key parsing needs: read one element, and write a SEQUENCE, INTEGER,
 * NULL, OID or OCTET STRING. Enough to tell key algorithms apart and to wrap PKCS#1 in PKCS#8
 * without a third-party ASN.1 library.
 */
final class Der {

    static final int INTEGER = 0x02;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int SEQUENCE = 0x30;

    /** DER content of the OID 1.2.840.113549.1.1.1 (rsaEncryption). */
    static final byte[] RSA_ENCRYPTION_OID = {
        0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01
    };

    private Der() {
    }

    /** One decoded element: its tag, and where its content sits in the source array. */
    record Element(int tag, byte[] source, int contentStart, int contentEnd) {

        byte[] content() {
            return Arrays.copyOfRange(source, contentStart, contentEnd);
        }

        /** A reader over the elements inside this constructed element. */
        Reader children() {
            return new Reader(source, contentStart, contentEnd);
        }

        BigInteger value() {
            if (contentEnd == contentStart) {
                throw new IllegalArgumentException("empty INTEGER");
            }
            return new BigInteger(source, contentStart, contentEnd - contentStart);
        }
    }

    /** Reads consecutive elements from a range of bytes; throws IllegalArgumentException on bad DER. */
    static final class Reader {
        private final byte[] source;
        private int position;
        private final int end;

        Reader(byte[] source) {
            this(source, 0, source.length);
        }

        Reader(byte[] source, int start, int end) {
            this.source = source;
            this.position = start;
            this.end = end;
        }

        boolean hasNext() {
            return position < end;
        }

        Element next(int expectedTag) {
            Element element = next();
            if (element.tag() != expectedTag) {
                throw new IllegalArgumentException("unexpected DER tag");
            }
            return element;
        }

        Element next() {
            if (end - position < 2) {
                throw new IllegalArgumentException("truncated DER");
            }
            int tag = source[position++] & 0xff;
            int length = source[position++] & 0xff;
            if (length >= 0x80) {
                int lengthBytes = length & 0x7f;
                if (lengthBytes == 0 || lengthBytes > 3 || end - position < lengthBytes) {
                    throw new IllegalArgumentException("unsupported DER length");
                }
                length = 0;
                for (int i = 0; i < lengthBytes; i++) {
                    length = (length << 8) | (source[position++] & 0xff);
                }
            }
            if (length > end - position) {
                throw new IllegalArgumentException("truncated DER");
            }
            Element element = new Element(tag, source, position, position + length);
            position += length;
            return element;
        }
    }

    static byte[] sequence(byte[]... children) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] child : children) {
            content.writeBytes(child);
        }
        return element(SEQUENCE, content.toByteArray());
    }

    static byte[] integer(BigInteger value) {
        return element(INTEGER, value.toByteArray());
    }

    static byte[] nullValue() {
        return element(NULL, new byte[0]);
    }

    static byte[] oid(byte[] content) {
        return element(OID, content);
    }

    static byte[] octetString(byte[] content) {
        return element(OCTET_STRING, content);
    }

    static byte[] element(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            byte[] digits = BigInteger.valueOf(length).toByteArray();
            int skip = digits[0] == 0 ? 1 : 0;
            out.write(0x80 | (digits.length - skip));
            out.write(digits, skip, digits.length - skip);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
