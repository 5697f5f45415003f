// The other side of tests/interop.rs: sigstore's JavaScript implementation
// (@sigstore/sign, @sigstore/verify, versions pinned in package.json and
// package-lock.json) signing and verifying sigstore bundles offline with a
// key, no transparency log, certificate or timestamp.
//
//   node interop.mjs verify BUNDLE.json KEY.pub
//     Verifies the bundle's DSSE signature with the key; prints
//     `verified HINT` (the bundle's key hint), or `failed CODE: MESSAGE`
//     on stderr and exits 1.
//   node interop.mjs sign STATEMENT.json OUT_DIR
//     Makes a P-256 key, writes OUT_DIR/key.pub, and signs the statement
//     as an in-toto DSSE bundle into OUT_DIR/bundle.json.
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DSSEBundleBuilder } from '@sigstore/sign';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

// The key's hint as sigstore clients compute it: base64 of the SHA-256 of
// the SubjectPublicKeyInfo DER.
function hintOf(publicKey) {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

function verify(bundlePath, keyPath) {
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
  const publicKey = createPublicKey(readFileSync(keyPath, 'utf8'));
  let hint = null;
  const trust = toTrustMaterial(
    { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] },
    (h) => {
      hint = h;
      return { publicKey, validFor: () => true };
    },
  );
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  try {
    verifier.verify(toSignedEntity(bundle));
  } catch (e) {
    process.stderr.write(`failed ${e.code ?? e.name}: ${e.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`verified ${hint}\n`);
}

async function signStatement(statementPath, outDir) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(outDir, 'key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  const signer = {
    sign: async (data) => ({
      signature: sign('sha256', data, privateKey),
      key: { $case: 'publicKey', publicKey: publicKey.export({ type: 'spki', format: 'pem' }), hint: hintOf(publicKey) },
    }),
  };
  const builder = new DSSEBundleBuilder({ signer, witnesses: [] });
  const bundle = await builder.create({ data: readFileSync(statementPath), type: 'application/vnd.in-toto+json' });
  writeFileSync(join(outDir, 'bundle.json'), JSON.stringify(bundleToJSON(bundle)));
}

const [command, ...args] = process.argv.slice(2);
if (command === 'verify' && args.length === 2) {
  verify(...args);
} else if (command === 'sign' && args.length === 2) {
  await signStatement(...args);
} else {
  process.stderr.write('usage: node interop.mjs verify BUNDLE KEY.pub | sign STATEMENT OUT_DIR\n');
  process.exit(2);
}
