package io.contextgraph.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the RSA keys of {@code PUBLIC_KEY} / {@code PRIVATE_KEY} (base64 of a PEM file).
 *
 * <p>Failures are {@link KeyFormatException}s whose message says what is wrong; no cause is
 * attached, so that nothing derived from key material can reach logs or Sentry.
 */
public final class RsaKeys {

    /** Shorter RSA keys are no longer considered safe (NIST SP 800-131A). */
    public static final int MIN_BITS = 2048;

    private static final String SPKI = "PUBLIC KEY";
    private static final String PKCS1_PUBLIC = "RSA PUBLIC KEY";
    private static final String PKCS8 = "PRIVATE KEY";
    private static final String PKCS1_PRIVATE = "RSA PRIVATE KEY";

    private RsaKeys() {
    }

    /** Parses an SPKI ({@code BEGIN PUBLIC KEY}) or PKCS#1 ({@code BEGIN RSA PUBLIC KEY}) public key. */
    public static RSAPublicKey publicKeyFromEnv(String base64OfPem) {
        Pem pem = Pem.fromBase64OfPem(base64OfPem, List.of(SPKI, PKCS1_PUBLIC));
        RSAPublicKey key;
        if (pem.label().equals(SPKI)) {
            requireRsaAlgorithm(spkiAlgorithm(pem.der()));
            key = generate(RSAPublicKey.class, () -> rsaFactory().generatePublic(new X509EncodedKeySpec(pem.der())));
        } else {
            RSAPublicKeySpec spec = pkcs1PublicSpec(pem.der());
            key = generate(RSAPublicKey.class, () -> rsaFactory().generatePublic(spec));
        }
        requireLength(key.getModulus());
        return key;
    }

    /** Parses a PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) private key. */
    public static RSAPrivateKey privateKeyFromEnv(String base64OfPem) {
        Pem pem = Pem.fromBase64OfPem(base64OfPem, List.of(PKCS8, PKCS1_PRIVATE));
        byte[] pkcs8;
        if (pem.label().equals(PKCS8)) {
            requireRsaAlgorithm(pkcs8Algorithm(pem.der()));
            pkcs8 = pem.der();
        } else {
            pkcs8 = pkcs1PrivateToPkcs8(pem.der());
        }
        RSAPrivateKey key = generate(RSAPrivateKey.class, () -> rsaFactory().generatePrivate(new PKCS8EncodedKeySpec(pkcs8)));
        requireLength(key.getModulus());
        return key;
    }

    /** The public half of a private key that carries its CRT parameters (as PKCS#1 and PKCS#8 keys do). */
    public static RSAPublicKey publicOf(RSAPrivateKey privateKey) {
        if (!(privateKey instanceof RSAPrivateCrtKey crt) || crt.getPublicExponent() == null
                || crt.getPublicExponent().signum() <= 0) {
            throw new KeyFormatException("private key has no public exponent (not a CRT key)");
        }
        RSAPublicKeySpec spec = new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent());
        return generate(RSAPublicKey.class, () -> rsaFactory().generatePublic(spec));
    }

    /** Whether the two keys belong to the same key pair. */
    public static boolean samePair(RSAPublicKey publicKey, RSAPrivateKey privateKey) {
        return publicKey.getModulus().equals(privateKey.getModulus())
                && publicKey.getPublicExponent().equals(publicOf(privateKey).getPublicExponent());
    }

    private static byte[] spkiAlgorithm(byte[] der) {
        try {
            Der.Reader spki = new Der.Reader(der).next(Der.SEQUENCE).children();
            return spki.next(Der.SEQUENCE).children().next(Der.OID).content();
        } catch (IllegalArgumentException e) {
            throw new KeyFormatException("PEM block PUBLIC KEY is not a valid SubjectPublicKeyInfo");
        }
    }

    private static byte[] pkcs8Algorithm(byte[] der) {
        try {
            Der.Reader info = new Der.Reader(der).next(Der.SEQUENCE).children();
            info.next(Der.INTEGER);
            return info.next(Der.SEQUENCE).children().next(Der.OID).content();
        } catch (IllegalArgumentException e) {
            throw new KeyFormatException("PEM block PRIVATE KEY is not a valid PKCS#8 PrivateKeyInfo");
        }
    }

    private static void requireRsaAlgorithm(byte[] oid) {
        if (!Arrays.equals(oid, Der.RSA_ENCRYPTION_OID)) {
            throw new KeyFormatException("not an RSA key (the PEM holds a key of another algorithm)");
        }
    }

    private static RSAPublicKeySpec pkcs1PublicSpec(byte[] der) {
        try {
            Der.Reader fields = new Der.Reader(der).next(Der.SEQUENCE).children();
            BigInteger modulus = fields.next(Der.INTEGER).value();
            BigInteger exponent = fields.next(Der.INTEGER).value();
            if (modulus.signum() <= 0 || exponent.signum() <= 0) {
                throw new IllegalArgumentException("negative");
            }
            return new RSAPublicKeySpec(modulus, exponent);
        } catch (IllegalArgumentException e) {
            throw new KeyFormatException("PEM block RSA PUBLIC KEY is not a valid PKCS#1 RSAPublicKey");
        }
    }

    /**
     * PKCS#8 PrivateKeyInfo = SEQUENCE { version 0, AlgorithmIdentifier { rsaEncryption, NULL },
     * OCTET STRING { the PKCS#1 RSAPrivateKey } } (RFC 5208); the JDK reads only this form.
     */
    private static byte[] pkcs1PrivateToPkcs8(byte[] pkcs1) {
        try {
            Der.Reader fields = new Der.Reader(pkcs1).next(Der.SEQUENCE).children();
            // version, n, e, d, p, q, dp, dq, qi: check the shape before handing it on.
            for (int i = 0; i < 9; i++) {
                fields.next(Der.INTEGER);
            }
        } catch (IllegalArgumentException e) {
            throw new KeyFormatException("PEM block RSA PRIVATE KEY is not a valid PKCS#1 RSAPrivateKey");
        }
        return Der.sequence(
                Der.integer(BigInteger.ZERO),
                Der.sequence(Der.oid(Der.RSA_ENCRYPTION_OID), Der.nullValue()),
                Der.octetString(pkcs1));
    }

    private static void requireLength(BigInteger modulus) {
        if (modulus.bitLength() < MIN_BITS) {
            throw new KeyFormatException("key shorter than " + MIN_BITS + " bits (" + modulus.bitLength() + " bits)");
        }
    }

    private static KeyFactory rsaFactory() throws NoSuchAlgorithmException {
        return KeyFactory.getInstance("RSA");
    }

    private interface KeyStep {
        Key run() throws GeneralSecurityException;
    }

    private static <K extends Key> K generate(Class<K> type, KeyStep step) {
        Key key;
        try {
            key = step.run();
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new KeyFormatException("not a valid RSA key");
        }
        if (!type.isInstance(key)) {
            throw new KeyFormatException("not an RSA key");
        }
        return type.cast(key);
    }
}
