package io.contextgraph.crypto;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.KeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.util.encoders.DecoderException;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * Reads the RSA keys of {@code PUBLIC_KEY} / {@code PRIVATE_KEY} (base64 of a PEM file): SPKI and
 * PKCS#8 through the JDK's {@link KeyFactory}, PKCS#1 through BouncyCastle's ASN.1 structures.
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
        PemObject pem = firstBlock(base64OfPem, List.of(SPKI, PKCS1_PUBLIC));
        byte[] der = pem.getContent();
        KeySpec spec;
        if (pem.getType().equals(SPKI)) {
            requireRsa(decode(pem, () -> SubjectPublicKeyInfo.getInstance(der).getAlgorithm().getAlgorithm()));
            spec = new X509EncodedKeySpec(der);
        } else {
            var pkcs1 = decode(pem, () -> org.bouncycastle.asn1.pkcs.RSAPublicKey.getInstance(der));
            spec = new RSAPublicKeySpec(pkcs1.getModulus(), pkcs1.getPublicExponent());
        }
        return toKey(pem, factory -> factory.generatePublic(spec), RSAPublicKey.class);
    }

    /** Parses a PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) private key. */
    public static RSAPrivateKey privateKeyFromEnv(String base64OfPem) {
        PemObject pem = firstBlock(base64OfPem, List.of(PKCS8, PKCS1_PRIVATE));
        byte[] der = pem.getContent();
        KeySpec spec;
        if (pem.getType().equals(PKCS8)) {
            requireRsa(decode(pem, () -> PrivateKeyInfo.getInstance(der).getPrivateKeyAlgorithm().getAlgorithm()));
            spec = new PKCS8EncodedKeySpec(der);
        } else {
            var k = decode(pem, () -> org.bouncycastle.asn1.pkcs.RSAPrivateKey.getInstance(der));
            spec = new RSAPrivateCrtKeySpec(k.getModulus(), k.getPublicExponent(), k.getPrivateExponent(),
                    k.getPrime1(), k.getPrime2(), k.getExponent1(), k.getExponent2(), k.getCoefficient());
        }
        return toKey(pem, factory -> factory.generatePrivate(spec), RSAPrivateKey.class);
    }

    /** The public half of a private key that carries its CRT parameters (as PKCS#1 and PKCS#8 keys do). */
    public static RSAPublicKey publicOf(RSAPrivateKey privateKey) {
        if (!(privateKey instanceof RSAPrivateCrtKey crt) || crt.getPublicExponent() == null
                || crt.getPublicExponent().signum() <= 0) {
            throw new KeyFormatException("private key has no public exponent (not a CRT key)");
        }
        RSAPublicKeySpec spec = new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent());
        try {
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(spec);
        } catch (GeneralSecurityException e) {
            throw new KeyFormatException("not a valid RSA key");
        }
    }

    /** A new RSA key pair with a modulus of {@code bits} (at least {@link #MIN_BITS}) and exponent 65537. */
    public static KeyPair generate(int bits) {
        requireLength(bits);
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot generate RSA keys", e);
        }
    }

    /** The value of {@code PUBLIC_KEY} for {@code key}: the base64 of its SPKI PEM, as {@link #publicKeyFromEnv} reads it. */
    public static String publicKeyEnv(RSAPublicKey key) {
        return base64OfPem(SPKI, key.getEncoded());
    }

    /** The value of {@code PRIVATE_KEY} for {@code key}: the base64 of its PKCS#8 PEM. */
    public static String privateKeyEnv(RSAPrivateKey key) {
        return base64OfPem(PKCS8, key.getEncoded());
    }

    private static String base64OfPem(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        String pem = "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    /** Whether the two keys belong to the same key pair. */
    public static boolean samePair(RSAPublicKey publicKey, RSAPrivateKey privateKey) {
        return publicKey.getModulus().equals(privateKey.getModulus())
                && publicKey.getPublicExponent().equals(publicOf(privateKey).getPublicExponent());
    }

    /**
     * Decodes an environment value holding the base64 of a PEM file and returns its first block
     * whose label is one of {@code accepted}. Messages name labels only, never content.
     */
    private static PemObject firstBlock(String value, List<String> accepted) {
        if (value == null || value.isBlank()) {
            throw new KeyFormatException("empty value");
        }
        String compact = value.replaceAll("\\s+", "");
        if (compact.startsWith("-----BEGIN")) {
            throw new KeyFormatException("not base64: the value looks like a raw PEM; base64-encode the PEM file");
        }
        String text;
        try {
            text = new String(Base64.getDecoder().decode(compact), StandardCharsets.ISO_8859_1);
        } catch (IllegalArgumentException e) {
            throw new KeyFormatException("not base64");
        }
        List<String> found = new ArrayList<>();
        // PemReader follows RFC 7468's strict syntax; operators' files are often indented or have CRLF line ends.
        String lines = text.lines().map(String::strip).collect(Collectors.joining("\n"));
        try (PemReader reader = new PemReader(new StringReader(lines))) {
            for (PemObject pem = reader.readPemObject(); pem != null; pem = reader.readPemObject()) {
                if (!accepted.contains(pem.getType())) {
                    found.add(pem.getType());
                } else if (!pem.getHeaders().isEmpty()) {
                    // RFC 1421 headers such as "Proc-Type: 4,ENCRYPTED": a passphrase-protected key.
                    throw new KeyFormatException("PEM block " + pem.getType() + " has headers (encrypted keys are not supported)");
                } else if (pem.getContent().length == 0) {
                    throw new KeyFormatException("PEM block " + pem.getType() + " is empty");
                } else {
                    return pem;
                }
            }
        } catch (IOException e) {
            // PemReader's messages name the missing END line, never the content.
            throw new KeyFormatException("malformed PEM block: " + e.getMessage());
        } catch (DecoderException e) {
            throw new KeyFormatException("a PEM block is not base64");
        }
        if (found.isEmpty()) {
            throw new KeyFormatException("no PEM block (expected -----BEGIN " + String.join("----- or -----BEGIN ", accepted) + "-----)");
        }
        throw new KeyFormatException("wrong PEM type: expected " + String.join(" or ", accepted) + ", found " + String.join(", ", found));
    }

    /** Reads an ASN.1 structure; BouncyCastle throws IllegalArgumentException (or worse) on bad DER. */
    private static <T> T decode(PemObject pem, Supplier<T> structure) {
        try {
            return structure.get();
        } catch (RuntimeException e) {
            throw new KeyFormatException("PEM block " + pem.getType() + " is not a valid " + describe(pem.getType()));
        }
    }

    private static String describe(String label) {
        return switch (label) {
            case SPKI -> "SubjectPublicKeyInfo";
            case PKCS1_PUBLIC -> "PKCS#1 RSAPublicKey";
            case PKCS8 -> "PKCS#8 PrivateKeyInfo";
            default -> "PKCS#1 RSAPrivateKey";
        };
    }

    private static void requireRsa(ASN1ObjectIdentifier algorithm) {
        if (!PKCSObjectIdentifiers.rsaEncryption.equals(algorithm)) {
            throw new KeyFormatException("not an RSA key (the PEM holds a key of another algorithm)");
        }
    }

    private static void requireLength(int bits) {
        if (bits < MIN_BITS) {
            throw new KeyFormatException("key shorter than " + MIN_BITS + " bits (" + bits + " bits)");
        }
    }

    private interface KeyStep {
        java.security.Key run(KeyFactory factory) throws GeneralSecurityException;
    }

    /** The key of {@code pem}, made by the JDK's RSA {@link KeyFactory}, long enough. */
    private static <K extends RSAKey> K toKey(PemObject pem, KeyStep step, Class<K> type) {
        K key;
        try {
            key = type.cast(step.run(KeyFactory.getInstance("RSA")));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new KeyFormatException("PEM block " + pem.getType() + " is not a valid RSA key");
        }
        requireLength(key.getModulus().bitLength());
        return key;
    }
}
