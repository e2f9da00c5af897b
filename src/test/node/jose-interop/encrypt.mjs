// Encrypts standard input to a public JWK and prints the compact JWE, for JoseInteropIT.
//   node encrypt.mjs jose <alg> '<public JWK JSON>'       with the npm jose package
//   node encrypt.mjs webcrypto <module> '<public JWK JSON>'  with docs/examples/jwe-webcrypto.mjs
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CompactEncrypt, importJWK } from 'jose';

const [mode, option, jwkJson] = process.argv.slice(2);
const jwk = JSON.parse(jwkJson);
const plaintext = new Uint8Array(readFileSync(0));

let jwe;
if (mode === 'jose') {
  const alg = option;
  // jose checks the JWK "alg" against the algorithm in use; the service's JWK names RSA-OAEP-256.
  const key = await importJWK({ kty: jwk.kty, n: jwk.n, e: jwk.e }, alg);
  jwe = await new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg, enc: 'A256GCM', kid: jwk.kid })
    .encrypt(key);
} else if (mode === 'webcrypto') {
  const { encryptJwe } = await import(pathToFileURL(option).href);
  jwe = await encryptJwe(jwk, plaintext);
} else {
  console.error('usage: node encrypt.mjs jose <alg> <jwk> | webcrypto <module> <jwk>');
  process.exit(2);
}
process.stdout.write(jwe);
