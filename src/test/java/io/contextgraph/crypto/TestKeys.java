package io.contextgraph.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Key pairs made at test time, and the PEM and environment forms the service reads. */
final class TestKeys {

    /** Generated once per test JVM: RSA key generation is slow on a shared 2-core machine. */
    static final KeyPair SERVICE = rsa(2048);
    static final KeyPair OTHER = rsa(2048);

    private TestKeys() {
    }

    static RSAPublicKey servicePublic() {
        return (RSAPublicKey) SERVICE.getPublic();
    }

    static RSAPrivateKey servicePrivate() {
        return (RSAPrivateKey) SERVICE.getPrivate();
    }

    static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair ec() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RFC 7468 text: 64-character lines between BEGIN and END. */
    static String pem(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }

    /** What an operator puts in PUBLIC_KEY / PRIVATE_KEY: the base64 of the PEM file, on one line. */
    static String env(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    static String spkiEnv(KeyPair pair) {
        return env(pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    }

    static String pkcs8Env(KeyPair pair) {
        return env(pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    }

    /** Runs openssl (an independent producer of PKCS#1 PEMs) and returns its standard output. */
    static String openssl(Path workDir, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("openssl " + String.join(" ", arguments) + " failed");
            }
            return new String(out, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException("openssl is needed for this test and could not be run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Path write(Path dir, String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.US_ASCII);
    }
}
