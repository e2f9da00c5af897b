// Encrypts an upload for contextgraph as a JWE compact serialization (RFC 7516), using only
// WebCrypto: RSA-OAEP-256 wraps a random 256-bit content key, A256GCM encrypts the body.
// Works in browsers and in Node 20+ (globalThis.crypto). No dependencies: copy it as it is.

const encoder = new TextEncoder();

/** base64url without padding (RFC 7515 section 2). */
export function base64url(bytes) {
  let binary = '';
  const chunk = 0x8000; // String.fromCharCode takes a bounded number of arguments.
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Imports the JWK served at GET /v1/jwk as an RSA-OAEP (SHA-256) encryption key. */
export function importServiceKey(jwk) {
  const { kty, n, e } = jwk;
  return crypto.subtle.importKey(
    'jwk',
    { kty, n, e, alg: 'RSA-OAEP-256', ext: true },
    { name: 'RSA-OAEP', hash: 'SHA-256' },
    false,
    ['encrypt'],
  );
}

/**
 * Encrypts `plaintext` (a Uint8Array or a string) to the service key.
 * `jwk` is the object from GET /v1/jwk; its kid goes into the header so that key rotation
 * can be recognised. Returns the compact JWE: header.encryptedKey.iv.ciphertext.tag
 */
export async function encryptJwe(jwk, plaintext) {
  const data = typeof plaintext === 'string' ? encoder.encode(plaintext) : plaintext;
  const publicKey = await importServiceKey(jwk);

  const header = { alg: 'RSA-OAEP-256', enc: 'A256GCM' };
  if (jwk.kid) header.kid = jwk.kid;
  const protectedHeader = base64url(encoder.encode(JSON.stringify(header)));

  // A fresh content encryption key and IV for every upload.
  const cek = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const encryptedKey = new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, publicKey, cek));

  const aesKey = await crypto.subtle.importKey('raw', cek, { name: 'AES-GCM' }, false, ['encrypt']);
  const sealed = new Uint8Array(await crypto.subtle.encrypt(
    // The additional authenticated data is the ASCII of the encoded protected header (RFC 7516 5.1).
    { name: 'AES-GCM', iv, additionalData: encoder.encode(protectedHeader), tagLength: 128 },
    aesKey,
    data,
  ));
  // WebCrypto appends the 16-byte tag to the ciphertext; JWE carries them apart.
  const ciphertext = sealed.subarray(0, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);

  return [protectedHeader, base64url(encryptedKey), base64url(iv), base64url(ciphertext), base64url(tag)].join('.');
}
