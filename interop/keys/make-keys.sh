#!/usr/bin/env bash
# Makes the TEST-ONLY private keys of cctoken's interop suite with openssl and
# writes their public JWKs (RFC 7517, kid = RFC 7638 thumbprint) into
# ../clients.json, which is where the servers read them. Run once; the keys
# are committed. Running it again replaces every key (and every test that
# relies on them must then use the new clients.json).
#
#   bash interop/keys/make-keys.sh
#
# These keys protect nothing: they are published with the suite and are
# registered only on the loopback test servers run.sh starts. Git does not
# keep file modes other than the executable bit, so run.sh runs
# `chmod 600 interop/keys/*.pem` before anything reads them (cctoken refuses a
# key file that others can read).
set -euo pipefail
cd "$(dirname "$0")"
umask 077

ec_pkcs8() { openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$2" -out "$1"; }

# private_key_jwt clients, one PEM form each (cctoken reads all three forms).
ec_pkcs8 test-only-es256.pem P-256                          # PKCS#8 "PRIVATE KEY"
openssl ecparam -name secp384r1 -genkey -noout -out test-only-es384.sec1.pem  # SEC1 "EC PRIVATE KEY"
openssl genrsa -traditional -out test-only-rsa2048.pkcs1.pem 2048             # PKCS#1 "RSA PRIVATE KEY"
openssl genpkey -algorithm ED25519 -out test-only-ed25519.pem                 # PKCS#8
ec_pkcs8 test-only-assertion-file-es256.pem P-256
# DPoP keys (never registered anywhere: DPoP keys are the client's own).
ec_pkcs8 test-only-dpop-es256.pem P-256
ec_pkcs8 test-only-dpop-other-es256.pem P-256
# The key registered for cc-jwt-wrong-key: only its public half is kept.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
ec_pkcs8 "$tmp" P-256
chmod 600 ./*.pem

node - "$tmp" <<'JS'
const { createPrivateKey, createPublicKey, createHash } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const discarded = process.argv[2];
const clientsFile = '../clients.json';
const clients = JSON.parse(readFileSync(clientsFile, 'utf8'));

function jwk(pemFile) {
  const k = createPublicKey(createPrivateKey(readFileSync(pemFile))).export({ format: 'jwk' });
  const members = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] }[k.kty];
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, k[m]])));
  return { ...k, kid: createHash('sha256').update(canonical).digest('base64url') };
}
const registered = {
  jwt_es256: 'test-only-es256.pem',
  jwt_es384: 'test-only-es384.sec1.pem',
  jwt_rsa: 'test-only-rsa2048.pkcs1.pem',
  jwt_ed25519: 'test-only-ed25519.pem',
  jwt_assertion_file: 'test-only-assertion-file-es256.pem',
  jwt_wrong_key: discarded,
};
for (const [role, file] of Object.entries(registered)) {
  if (!clients[role]) throw new Error(`clients.json has no ${role}`);
  clients[role].jwks = { keys: [jwk(file)] };
}
const lines = Object.entries(clients).map(([role, c]) => `  ${JSON.stringify(role)}: ${JSON.stringify(c)}`);
writeFileSync(clientsFile, `{\n${lines.join(',\n')}\n}\n`);
console.log(`public JWKs of ${Object.keys(registered).join(', ')} written to interop/clients.json`);
JS
ls -l ./*.pem
