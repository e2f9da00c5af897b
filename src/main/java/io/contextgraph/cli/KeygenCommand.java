package io.contextgraph.cli;

import io.contextgraph.crypto.PublicJwk;
import io.contextgraph.crypto.RsaKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.security.KeyPair;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.concurrent.Callable;

/** {@code contextgraph keygen}: a new RSA key pair, printed as the PUBLIC_KEY= and PRIVATE_KEY= lines to set. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = {"Generate an RSA key pair and print PUBLIC_KEY=... and PRIVATE_KEY=... on stdout, "
                + "ready for an env file (contextgraph keygen > keys.env).",
            "PUBLIC_KEY goes to the web role, PRIVATE_KEY to the worker only; standalone takes both."})
final class KeygenCommand implements Callable<Integer> {
    private static final int MAX_BITS = 16384;

    @Option(names = "--bits", defaultValue = "3072", description = "Modulus size in bits, "
            + RsaKeys.MIN_BITS + " to " + MAX_BITS + " (default ${DEFAULT-VALUE}).")
    int bits;

    @Override
    public Integer call() {
        if (bits < RsaKeys.MIN_BITS || bits > MAX_BITS) {
            System.err.println("contextgraph: --bits must be between " + RsaKeys.MIN_BITS + " and " + MAX_BITS);
            return RoleRunner.CONFIG_ERROR;
        }
        KeyPair pair = RsaKeys.generate(bits);
        RSAPublicKey publicKey = (RSAPublicKey) pair.getPublic();
        System.out.println("PUBLIC_KEY=" + RsaKeys.publicKeyEnv(publicKey));
        System.out.println("PRIVATE_KEY=" + RsaKeys.privateKeyEnv((RSAPrivateKey) pair.getPrivate()));
        System.err.println("contextgraph: key id (kid) " + PublicJwk.thumbprint(publicKey)
                + "; both roles log it at start. Keep PRIVATE_KEY secret.");
        return 0;
    }
}
