// panva's oidc-provider as an OAuth 2.0 client credentials server for
// cctoken's interop suite. Loopback only.
//
//   node server.mjs CLIENTS_JSON CERT_DIR READY_FILE TTL_SECONDS
//
// Six listeners on 127.0.0.1, each on a free port:
//   http               plain HTTP
//   https              HTTPS, certificate for localhost/127.0.0.1 from the test CA
//   https_untrusted    HTTPS, certificate from a CA the client does not trust
//   https_wronghost    HTTPS, certificate from the test CA for another host name
//   http_dpop_nonce    plain HTTP, DPoP nonces required (RFC 9449 §8)
//   https_dpop_nonce   HTTPS (as `https`), DPoP nonces required
// Each listener has its own Provider instance, because oidc-provider's issuer
// is fixed when a Provider is made (the constructor's first argument): the
// issuer of a listener is `<scheme>://127.0.0.1:<port>`, and its metadata
// (/.well-known/openid-configuration, and the same document at
// /.well-known/oauth-authorization-server) says so. The instances share one
// store (SharedMemoryAdapter below; the built-in development adapter keeps
// one store per Provider), so a token issued on one listener is found on
// every other one, and a client assertion's or a DPoP proof's jti is
// remembered across all of them. When all listeners are up, the ports and
// issuers go to READY_FILE (written atomically). It stops on SIGTERM/SIGINT,
// when its parent (run.sh) is gone, and after 15 minutes in any case.
//
// Besides the provider's own routes (/token, /token/introspection,
// /.well-known/openid-configuration, ...), on every listener:
//   GET /resource         a protected resource for ClientCredentials tokens,
//                         checked with the provider's own token model
//                         (ClientCredentials.find + isValid, expiry
//                         included). `Authorization: Bearer <token>` for an
//                         unbound token; `Authorization: DPoP <token>` plus
//                         one `DPoP: <proof>` header for a DPoP-bound one
//                         (checks: see checkDpopProof). 200 and the token's
//                         client_id/scope/aud/token_type/jkt, else 401 with a
//                         WWW-Authenticate challenge.
//   GET /_interop/stats   token endpoint requests and issued tokens per client.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';

const [clientsFile, certDir, readyFile, ttlArg] = process.argv.slice(2);
if (!clientsFile || !certDir || !readyFile || !ttlArg) {
  console.error('usage: node server.mjs CLIENTS_JSON CERT_DIR READY_FILE TTL_SECONDS');
  process.exit(2);
}
const ttl = Number(ttlArg);
const clients = JSON.parse(readFileSync(clientsFile, 'utf8'));
const require = createRequire(import.meta.url);
const version = require('oidc-provider/package.json').version;
const joseVersion = require('jose/package.json').version;

const RESOURCE = 'https://api.interop.test/';
const MAX_LIFETIME_MS = 15 * 60 * 1000;
const SCOPES = ['api:read', 'api:write'];
// Algorithms accepted for client assertions (private_key_jwt,
// client_secret_jwt) and for DPoP proofs; the discovery document lists them.
// oidc-provider's defaults are HS256 RS256 PS256 ES256 Ed25519 EdDSA for
// client assertions and ES256 Ed25519 EdDSA for DPoP: both lists are widened
// here to what cctoken can sign (ES384; RSA for DPoP).
const CLIENT_AUTH_ALGS = ['HS256', 'RS256', 'PS256', 'ES256', 'ES384', 'Ed25519', 'EdDSA'];
const DPOP_ALGS = ['ES256', 'ES384', 'RS256', 'PS256', 'Ed25519', 'EdDSA'];
// How far a DPoP proof's iat may be from now at the resource: the window
// oidc-provider itself allows at its endpoints (CHALLENGE_OK_WINDOW, 300 s).
const DPOP_IAT_WINDOW = 300;

const LISTENERS = {
  http: { cert: null, nonce: false },
  https: { cert: 'localhost', nonce: false },
  https_untrusted: { cert: 'untrusted', nonce: false },
  https_wronghost: { cert: 'otherhost', nonce: false },
  http_dpop_nonce: { cert: null, nonce: true },
  https_dpop_nonce: { cert: 'localhost', nonce: true },
};

// An oidc-provider adapter (the interface of its adapters/memory_adapter.js,
// without grants, sessions or user codes, which the client credentials grant
// does not use) over one Map for every Provider instance of this process.
// Entries go after their expiry plus a minute; the models check expiry
// themselves.
const store = new Map(); // `${model}:${id}` -> { payload, until (ms) }
class SharedMemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  async upsert(id, payload, expiresIn) {
    const now = Date.now();
    if (store.size > 5000) {
      for (const [k, { until }] of store) if (until < now) store.delete(k);
    }
    const until = typeof expiresIn === 'number' ? now + (expiresIn + 60) * 1000 : Infinity;
    store.set(`${this.model}:${id}`, { payload, until });
  }

  async find(id) {
    const entry = store.get(`${this.model}:${id}`);
    if (!entry) return undefined;
    if (entry.until < Date.now()) {
      store.delete(`${this.model}:${id}`);
      return undefined;
    }
    return entry.payload;
  }

  async consume(id) {
    const payload = await this.find(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(`${this.model}:${id}`);
  }

  async findByUid() { return undefined; }

  async findByUserCode() { return undefined; }

  async revokeByGrantId() {}
}

const stats = { token_requests: {}, tokens_issued: {}, token_errors: {} };
const bump = (table, key) => { table[key] = (table[key] || 0) + 1; };

// Who a token request claims to be, without reading the body (the provider
// reads it): the Basic user, else the client the provider authenticated or
// the client_id parameter it parsed (known once the request is handled).
function basicUser(req) {
  const m = /^basic\s+(\S+)$/i.exec(req.headers.authorization || '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, i).replace(/\+/g, '%20'));
  } catch {
    return decoded.slice(0, i);
  }
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

const tls = (name) => ({
  key: readFileSync(join(certDir, `${name}.key`)),
  cert: readFileSync(join(certDir, `${name}.pem`)),
});

// --- listeners first (the issuers need their ports), then one Provider each ---
const listeners = {};
const servers = {};
const ports = {};
for (const [name, { cert }] of Object.entries(LISTENERS)) {
  const handler = (req, res) => dispatch(listeners[name], req, res).catch((err) => {
    console.error('handler error', err);
    if (!res.headersSent) {
      res.statusCode = 500;
      res.end();
    }
  });
  servers[name] = cert ? https.createServer(tls(cert), handler) : http.createServer(handler);
  ports[name] = await listen(servers[name]);
}

function configuration(nonce) {
  return {
    adapter: SharedMemoryAdapter,
    clients: Object.values(clients).map((c) => ({
      client_id: c.id,
      ...(c.secret !== undefined && { client_secret: c.secret }),
      ...(c.jwks && { jwks: c.jwks }),
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: c.method,
      // RFC 9449 §5.2: a token request of this client without a DPoP proof
      // is refused.
      dpop_bound_access_tokens: Boolean(c.dpop_bound_access_tokens),
      scope: SCOPES.join(' '),
    })),
    scopes: SCOPES,
    enabledJWA: {
      clientAuthSigningAlgValues: CLIENT_AUTH_ALGS,
      dPoPSigningAlgValues: DPOP_ALGS,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      // On by default in oidc-provider 9; the nonce listeners also get a
      // nonce secret and require a server nonce in every DPoP proof.
      dPoP: nonce
        ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true }
        : { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (ctx, resourceIndicator) => {
          if (resourceIndicator !== RESOURCE) {
            throw new errors.InvalidTarget();
          }
          return {
            scope: SCOPES.join(' '),
            audience: RESOURCE,
            accessTokenTTL: ttl,
            accessTokenFormat: 'opaque',
          };
        },
      },
    },
    ttl: { ClientCredentials: () => ttl },
  };
}

const issuers = {};
for (const [name, { cert, nonce }] of Object.entries(LISTENERS)) {
  const scheme = cert ? 'https' : 'http';
  issuers[name] = `${scheme}://127.0.0.1:${ports[name]}`;
  const provider = new Provider(issuers[name], configuration(nonce));
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  // The reason behind a token endpoint error (the response says only e.g.
  // "client authentication failed").
  provider.on('grant.error', (ctx, err) => console.log(`token error listener=${name}: ${err.message}: ${err.error_detail ?? err.error_description}`));
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.method === 'POST') {
      const id = ctx.oidc?.client?.clientId
        ?? basicUser(ctx.req)
        ?? ctx.oidc?.params?.client_id
        ?? '(unknown)';
      bump(stats.token_requests, id);
      bump(ctx.status === 200 ? stats.tokens_issued : stats.token_errors, id);
      const error = ctx.status === 200 ? '' : ` error=${ctx.body?.error} (${ctx.body?.error_description})`;
      console.log(`token request listener=${name} client=${id} status=${ctx.status} dpop=${ctx.get('dpop') ? 'yes' : 'no'} content-type=${ctx.get('content-type')}${error}`);
    }
  });
  listeners[name] = { name, scheme, provider, app: provider.callback() };
}

// --- the protected resource ------------------------------------------------------
class Refusal extends Error {
  constructor(error, description) {
    super(description);
    this.error = error;
  }
}

const seenProofs = new Map(); // `${jkt} ${jti}` -> expiry (ms), replay check
function rememberProof(key) {
  const now = Date.now();
  for (const [k, expiry] of seenProofs) if (expiry < now) seenProofs.delete(k);
  if (seenProofs.has(key)) return false;
  seenProofs.set(key, now + 2 * DPOP_IAT_WINDOW * 1000);
  return true;
}

// RFC 9449 §4.3 and §7.1, as oidc-provider checks proofs at its own endpoints
// (lib/helpers/validate_dpop.js), plus the binding to the token: exactly one
// DPoP header; a JWS with typ dpop+jwt, an allowed asymmetric alg and the
// public key in its `jwk` header, which verifies the signature (jose's
// EmbeddedJWK); `jti` a string not seen before for this key; `iat` within
// 300 s of now; `htm` the request method; `htu`, without query and fragment,
// equal to <listener scheme>://<Host header><path>; `ath` the base64url
// SHA-256 of the access token; and the RFC 7638 thumbprint of that `jwk`
// equal to the token's `jkt` (its cnf.jkt), i.e. the key the token was bound
// to when it was issued.
async function checkDpopProof(listener, req, pathname, accessToken, token) {
  const proofs = req.headersDistinct?.dpop ?? [];
  if (proofs.length !== 1) {
    throw new Refusal('invalid_dpop_proof', `exactly one DPoP header is required, got ${proofs.length}`);
  }
  let payload;
  let protectedHeader;
  try {
    ({ payload, protectedHeader } = await jwtVerify(proofs[0], EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: DPOP_ALGS,
    }));
  } catch (err) {
    throw new Refusal('invalid_dpop_proof', `DPoP proof: ${err.message}`);
  }
  if (typeof payload.jti !== 'string' || !payload.jti) {
    throw new Refusal('invalid_dpop_proof', 'DPoP proof must have a jti string');
  }
  if (typeof payload.iat !== 'number'
      || Math.abs(Date.now() / 1000 - payload.iat) > DPOP_IAT_WINDOW) {
    throw new Refusal('invalid_dpop_proof', 'DPoP proof iat is missing or not recent enough');
  }
  if (payload.htm !== req.method) {
    throw new Refusal('invalid_dpop_proof', 'DPoP proof htm mismatch');
  }
  const expected = new URL(`${listener.scheme}://${req.headers.host}${pathname}`).href;
  let actual = null;
  try {
    actual = new URL(payload.htu);
  } catch {
    // not a URL (or not a string): a mismatch
  }
  if (actual) {
    actual.search = '';
    actual.hash = '';
  }
  if (actual?.href !== expected) {
    throw new Refusal('invalid_dpop_proof', `DPoP proof htu mismatch (expected ${expected})`);
  }
  const ath = createHash('sha256').update(accessToken).digest('base64url');
  if (payload.ath !== ath) {
    throw new Refusal('invalid_dpop_proof', 'DPoP proof ath mismatch');
  }
  const jkt = await calculateJwkThumbprint(protectedHeader.jwk);
  if (jkt !== token.jkt) {
    throw new Refusal('invalid_token', 'the DPoP proof is signed by a key the access token is not bound to');
  }
  if (!rememberProof(`${jkt} ${payload.jti}`)) {
    throw new Refusal('invalid_dpop_proof', 'DPoP proof jti replayed');
  }
}

async function resource(listener, req, res, pathname) {
  const m = /^(bearer|dpop)\s+(\S+)$/i.exec(req.headers.authorization || '');
  const scheme = m ? (m[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer') : 'Bearer';
  res.setHeader('content-type', 'application/json');
  try {
    if (!m) throw new Refusal('invalid_token', 'no Bearer or DPoP access token');
    const token = await listener.provider.ClientCredentials.find(m[2]);
    if (!token || !token.isValid) throw new Refusal('invalid_token', 'unknown or expired access token');
    if (scheme === 'Bearer' && token.jkt) {
      // RFC 9449 §7.2: a DPoP-bound token is not a bearer token.
      throw new Refusal('invalid_token', 'a DPoP-bound access token must be sent with the DPoP scheme and a proof');
    }
    if (scheme === 'DPoP') {
      if (!token.jkt) throw new Refusal('invalid_token', 'the access token is not DPoP-bound');
      await checkDpopProof(listener, req, pathname, m[2], token);
    }
    res.end(JSON.stringify({
      client_id: token.clientId,
      scope: token.scope,
      aud: token.aud,
      exp: token.exp,
      token_type: token.tokenType,
      jkt: token.jkt,
    }));
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    res.statusCode = 401;
    if (scheme === 'DPoP') {
      res.setHeader('www-authenticate', `DPoP error="${err.error}", algs="${DPOP_ALGS.join(' ')}"`);
    } else {
      // As before DPoP: the same challenge for every Bearer refusal.
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
    }
    res.end(JSON.stringify({ error: err.error, error_description: err.message }));
  }
}

async function dispatch(listener, req, res) {
  if (!listener) { // a request before start-up is over (nobody knows the port yet)
    res.statusCode = 503;
    res.end();
    return;
  }
  const { pathname } = new URL(req.url, 'http://127.0.0.1');
  if (pathname === '/_interop/stats' && req.method === 'GET') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats));
    return;
  }
  if (pathname === '/resource' && req.method === 'GET') {
    await resource(listener, req, res, pathname);
    return;
  }
  listener.app(req, res);
}

const ready = {
  server: 'oidc-provider',
  version,
  jose: joseVersion,
  node: process.version,
  pid: process.pid,
  token_path: '/token',
  resource: RESOURCE,
  ttl,
  ports,
  // Per listener: the issuer. oidc-provider serves the same metadata
  // document at both well-known paths (its issuers have no path).
  issuers,
  metadata_paths: ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'],
  client_auth_signing_algs: CLIENT_AUTH_ALGS,
  dpop_signing_algs: DPOP_ALGS,
  dpop_nonce_listeners: Object.keys(LISTENERS).filter((l) => LISTENERS[l].nonce),
};
writeFileSync(`${readyFile}.tmp`, JSON.stringify(ready));
renameSync(`${readyFile}.tmp`, readyFile);
console.log(`oidc-provider ${version} ready: ${JSON.stringify(ports)}`);

const stop = () => {
  for (const server of Object.values(servers)) server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// Never outlive run.sh (even if it is killed with SIGKILL), nor 15 minutes.
const parent = process.ppid;
const startedAt = Date.now();
setInterval(() => {
  if (process.ppid !== parent || Date.now() - startedAt > MAX_LIFETIME_MS) {
    console.log('parent gone or lifetime over: stopping');
    stop();
  }
}, 1000).unref();
