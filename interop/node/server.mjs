// panva's oidc-provider as an OAuth 2.0 client credentials server for
// cctoken's interop suite. Loopback only.
//
//   node server.mjs CLIENTS_JSON CERT_DIR READY_FILE TTL_SECONDS
//
// One provider (one token store) behind four listeners on 127.0.0.1, each on
// a free port: plain HTTP; HTTPS with a certificate for localhost/127.0.0.1
// from the test CA; HTTPS with a certificate from a CA the client does not
// trust; HTTPS with a certificate from the test CA for another host name.
// When all four listen, the ports go to READY_FILE (written atomically).
// It stops on SIGTERM/SIGINT, when its parent (run.sh) is gone, and after 15
// minutes in any case.
//
// Besides the provider's own routes (/token, /token/introspection, ...):
//   GET /resource         a protected resource: 200 and the token's
//                         client_id/scope/aud if the Bearer token is a valid
//                         ClientCredentials token by the provider's own model
//                         (expiry included), else 401.
//   GET /_interop/stats   token endpoint requests and issued tokens per client.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import Provider, { errors } from 'oidc-provider';

const [clientsFile, certDir, readyFile, ttlArg] = process.argv.slice(2);
if (!clientsFile || !certDir || !readyFile || !ttlArg) {
  console.error('usage: node server.mjs CLIENTS_JSON CERT_DIR READY_FILE TTL_SECONDS');
  process.exit(2);
}
const ttl = Number(ttlArg);
const clients = JSON.parse(readFileSync(clientsFile, 'utf8'));
const version = createRequire(import.meta.url)('oidc-provider/package.json').version;

const RESOURCE = 'https://api.interop.test/';
const MAX_LIFETIME_MS = 15 * 60 * 1000;
const SCOPES = ['api:read', 'api:write'];

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

let app = null;
const handler = (req, res) => dispatch(req, res).catch((err) => {
  console.error('handler error', err);
  if (!res.headersSent) {
    res.statusCode = 500;
    res.end();
  }
});

const servers = {
  http: http.createServer(handler),
  https: https.createServer(tls('localhost'), handler),
  https_untrusted: https.createServer(tls('untrusted'), handler),
  https_wronghost: https.createServer(tls('otherhost'), handler),
};
const ports = {};
for (const [name, server] of Object.entries(servers)) {
  ports[name] = await listen(server);
}

const provider = new Provider(`http://127.0.0.1:${ports.http}`, {
  clients: Object.values(clients).map((c) => ({
    client_id: c.id,
    client_secret: c.secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: c.method,
    scope: SCOPES.join(' '),
  })),
  scopes: SCOPES,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
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
});

provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.method === 'POST') {
    const id = ctx.oidc?.client?.clientId
      ?? basicUser(ctx.req)
      ?? ctx.oidc?.params?.client_id
      ?? '(unknown)';
    bump(stats.token_requests, id);
    bump(ctx.status === 200 ? stats.tokens_issued : stats.token_errors, id);
    console.log(`token request client=${id} status=${ctx.status} content-type=${ctx.get('content-type')}`);
  }
});
app = provider.callback();

async function dispatch(req, res) {
  const { pathname } = new URL(req.url, 'http://127.0.0.1');
  if (pathname === '/_interop/stats' && req.method === 'GET') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats));
    return;
  }
  if (pathname === '/resource' && req.method === 'GET') {
    const m = /^bearer\s+(\S+)$/i.exec(req.headers.authorization || '');
    const token = m ? await provider.ClientCredentials.find(m[1]) : undefined;
    res.setHeader('content-type', 'application/json');
    if (!token || !token.isValid) {
      res.statusCode = 401;
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      res.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
    res.end(JSON.stringify({
      client_id: token.clientId, scope: token.scope, aud: token.aud, exp: token.exp,
    }));
    return;
  }
  app(req, res);
}

const ready = {
  server: 'oidc-provider',
  version,
  node: process.version,
  pid: process.pid,
  token_path: '/token',
  resource: RESOURCE,
  ttl,
  ports,
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
