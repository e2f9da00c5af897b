package io.contextgraph.queue;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * New upload ids (22 characters of base64url, 128 bits), unique and unguessable, several at a time.
 *
 * <p>Id n is AES-128 of (c + n) under a key k and a start c drawn once from {@link SecureRandom}: the keystream of
 * AES in counter mode. Why that is enough:
 * <ul>
 *   <li>Unique within the process: AES under one key is a permutation, so distinct counters give distinct ids; the
 *       counter would have to wrap 2<sup>128</sup> times to repeat.</li>
 *   <li>Unique across processes (every web role has its own k and c): two ids collide only as two random 128-bit
 *       values do, about 2<sup>-128</sup> per pair.</li>
 *   <li>Unguessable: without k, AES output cannot be told from random (the block cipher's security claim), so ids
 *       seen do not help guess others. Ids are not even shown to clients (the API answers only a status); they
 *       name the stored object, where a collision would overwrite another upload.</li>
 * </ul>
 * The one {@code SecureRandom} call per id this replaces went through NativePRNG's global lock and mixed in
 * {@code /dev/urandom} output on every call; one AES block per id (AES-NI) costs a fraction of that.
 *
 * <p>Not thread-safe: the batch sender, which runs one batch at a time, is its only user.
 */
final class UploadIds {

    private static final int ID_BYTES = 16;

    private final Cipher keystream;
    private final Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();

    UploadIds(SecureRandom seed) {
        byte[] key = new byte[ID_BYTES];
        byte[] start = new byte[ID_BYTES];
        seed.nextBytes(key);
        seed.nextBytes(start);
        try {
            keystream = Cipher.getInstance("AES/CTR/NoPadding");
            keystream.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(start));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has AES/CTR", e);
        }
    }

    UploadIds() {
        this(new SecureRandom());
    }

    /** The next {@code count} ids. */
    String[] next(int count) {
        // Encrypting zeros in counter mode yields the keystream itself, AES(c + n) block after block.
        byte[] blocks = keystream.update(new byte[count * ID_BYTES]);
        String[] ids = new String[count];
        byte[] one = new byte[ID_BYTES];
        for (int i = 0; i < count; i++) {
            System.arraycopy(blocks, i * ID_BYTES, one, 0, ID_BYTES);
            ids[i] = encoder.encodeToString(one);
        }
        return ids;
    }
}
