// Encrypts standard input to a public JWK and prints the compact JWE, for the interop tests.
//   node encrypt.mjs jose <alg> '<public JWK JSON>'       with the npm jose package
//   node encrypt.mjs node-jose <alg> '<public JWK JSON>'  with the npm node-jose package
//   node encrypt.mjs webcrypto <module> '<public JWK JSON>'  with docs/examples/jwe-webcrypto.mjs
// The JWK is imported exactly as GET /v1/jwk serves it: a library that refuses it for <alg> fails the test.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CompactEncrypt, importJWK } from 'jose';
import nodeJose from 'node-jose';

const [mode, option, jwkJson] = process.argv.slice(2);
const jwk = JSON.parse(jwkJson);
const plaintext = new Uint8Array(readFileSync(0));

let jwe;
if (mode === 'jose') {
  const alg = option;
  const key = await importJWK(jwk, alg);
  jwe = await new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg, enc: 'A256GCM', kid: jwk.kid })
    .encrypt(key);
} else if (mode === 'node-jose') {
  const key = await nodeJose.JWK.asKey(jwk);
  // node-jose puts the key's kid into the protected header itself.
  jwe = await nodeJose.JWE.createEncrypt({ format: 'compact', contentAlg: 'A256GCM', fields: { alg: option } }, key)
    .update(Buffer.from(plaintext))
    .final();
} else if (mode === 'webcrypto') {
  const { encryptJwe } = await import(pathToFileURL(option).href);
  jwe = await encryptJwe(jwk, plaintext);
} else {
  console.error('usage: node encrypt.mjs jose|node-jose <alg> <jwk> | webcrypto <module> <jwk>');
  process.exit(2);
}
process.stdout.write(jwe);
