"""Proves the interop servers with a client independent of cctoken (PyJWT,
cryptography and urllib), for the cctoken features being written:

- metadata discovery (RFC 8414, OpenID Connect Discovery): every issuer of
  every listener serves a document whose `issuer` is that issuer, and which
  lists its token endpoint and client authentication methods and algorithms;
- RFC 7523 client authentication (private_key_jwt with ES256, ES384, RS256,
  PS256, EdDSA/Ed25519; client_secret_jwt with HS256; an assertion minted
  here, written to a file and read back): a token, accepted by /resource;
  which `aud` values each server takes; `invalid_client` for a wrong key, a
  wrong secret, an expired assertion and a replayed one;
- DPoP (RFC 9449) on oidc-provider: DPoP-bound tokens, with and without
  server nonces (the 400 `use_dpop_nonce` + `DPoP-Nonce` retry), and the
  protected resource accepting a proof made with the token's key and
  refusing one made with another key.

    python prove_servers.py CONFIG_JSON

CONFIG_JSON is interop/work/config.json, written by run.sh (clients, key
files, each server's ports and issuers, the test CA). Every case prints one
line of a table: server, listener, case, what this server is expected to
answer, what it answered. The expectations are per server (see EXPECT), so a
change on either side fails the run. Exit status 1 if any case differs.
Everything goes to 127.0.0.1 only.
"""

import base64
import hashlib
import json
import os
import ssl
import stat
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from importlib.metadata import version

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import ECAlgorithm
from jwt.algorithms import OKPAlgorithm
from jwt.algorithms import RSAAlgorithm

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN = "200 Bearer"
DPOP_TOKEN = "200 DPoP"
USED = ", /resource 200"  # and the token was accepted by /resource

# What each server answers where the servers differ. Keys are case names.
EXPECT = {
    "oidc_provider": {
        # oidc-provider: any of the issuer, the token endpoint URL, the URL
        # of the endpoint called (lib/helpers/oidc_context.js,
        # clientJwtAuthExpectedAudience).
        "aud = issuer": TOKEN,
        "invalid_client": "401 invalid_client",
        # clockTolerance 15 s
        "expired 30 s ago": "401 invalid_client",
        "dpop ignored": None,  # not applicable: oidc-provider does DPoP
        "metadata via localhost": "200 issuer=https://127.0.0.1:<port>",
    },
    "authlib": {
        # Authlib: what get_audiences returns (this server: the token
        # endpoint URL only).
        "aud = issuer": "400 invalid_client",
        "invalid_client": "400 invalid_client",
        # Authlib's leeway is 60 s.
        "expired 30 s ago": TOKEN,
        # No DPoP support: the DPoP header is ignored, a Bearer token issued.
        "dpop ignored": TOKEN,
        "metadata via localhost": "200 issuer=https://127.0.0.1:<port>",
    },
    "dot": {
        "dpop ignored": TOKEN,
        # DOT derives its issuer from the Host header.
        "metadata via localhost": "200 issuer=https://localhost:<port>",
    },
}

LABELS = {"oidc_provider": "oidc-provider", "authlib": "authlib", "dot": "django-oauth-toolkit"}

rows = []
failures = 0
details = []


def record(server, listener, case, expected, got, note=""):
    global failures
    ok = expected == got
    if not ok:
        failures += 1
    rows.append((LABELS[server], listener, case, expected, got, "ok" if ok else "FAIL"))
    details.append(
        f"{LABELS[server]} {listener} {case}: expected {expected!r}, got {got!r} {note}"
    )


# --- HTTP -------------------------------------------------------------------------------
class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text)
        except ValueError:
            self.json = None

    def header(self, name):
        return self.headers.get(name)

    def outcome(self):
        """`200 <token_type>` for a token, `<status> <error>` for an OAuth
        error, `<status>` otherwise."""
        j = self.json if isinstance(self.json, dict) else {}
        if self.status == 200 and "access_token" in j:
            return f"200 {j.get('token_type')}"
        if "error" in j:
            return f"{self.status} {j['error']}"
        return str(self.status)


def request(opener, method, url, form=None, headers=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    h = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, headers=h, method=method)
    try:
        with opener.open(req, timeout=10) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


# --- keys and JWTs -------------------------------------------------------------------------
def load_key(path):
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise SystemExit(f"{path} is mode {mode:o}: run.sh should have made it 600")
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def public_jwk(key):
    pub = key.public_key()
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return ECAlgorithm.to_jwk(pub, as_dict=True)
    if isinstance(pub, rsa.RSAPublicKey):
        return RSAAlgorithm.to_jwk(pub, as_dict=True)
    if isinstance(pub, ed25519.Ed25519PublicKey):
        return OKPAlgorithm.to_jwk(pub, as_dict=True)
    raise TypeError(type(pub))


def thumbprint(jwk):
    """RFC 7638."""
    members = {
        "EC": ("crv", "kty", "x", "y"),
        "RSA": ("e", "kty", "n"),
        "OKP": ("crv", "kty", "x"),
    }
    canonical = json.dumps(
        {m: jwk[m] for m in members[jwk["kty"]]}, separators=(",", ":"), sort_keys=True
    )
    return b64(hashlib.sha256(canonical.encode()).digest())


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims, key, alg, headers=None):
    if alg == "Ed25519":
        # The RFC 9864 name for EdDSA on Ed25519, which PyJWT 2.x does not
        # have: the same signature under another `alg`.
        header = {"alg": "Ed25519", "typ": "JWT", **(headers or {})}
        signing_input = (
            b64(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64(json.dumps(claims, separators=(",", ":")).encode())
        )
        return signing_input + "." + b64(key.sign(signing_input.encode()))
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def assertion(client_id, aud, key, alg, *, iat=None, lifetime=60, kid=None):
    """A client assertion as cctoken makes them (RFC 7523 §3): iss = sub =
    client_id, one `aud`, a random `jti`, `iat`, `exp`."""
    now = int(time.time()) if iat is None else iat
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + lifetime,
    }
    return sign(claims, key, alg, {"kid": kid} if kid else None)


def dpop_proof(key, method, url, *, nonce=None, access_token=None):
    """RFC 9449 §4.2: typ dpop+jwt, the public jwk, jti, htm, htu, iat,
    the server's nonce if any, ath for a resource request."""
    jwk = public_jwk(key)
    claims = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(time.time())}
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["ath"] = b64(hashlib.sha256(access_token.encode()).digest())
    alg = "ES256" if jwk["kty"] == "EC" else "EdDSA" if jwk["kty"] == "OKP" else "PS256"
    return jwt.encode(claims, key, algorithm=alg, headers={"typ": "dpop+jwt", "jwk": jwk})


def basic(client):
    q = urllib.parse.quote
    return (
        "Basic " + base64.b64encode(f"{q(client['id'])}:{q(client['secret'])}".encode()).decode()
    )


# --- the cases --------------------------------------------------------------------------------
class Prover:
    def __init__(self, config):
        self.config = config
        self.clients = config["clients"]
        ctx = ssl.create_default_context(cafile=config["ca"])
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx)
        )
        self.keys = {}
        self.work = os.path.join(config["work"], "prove")
        os.makedirs(self.work, mode=0o700, exist_ok=True)

    def key(self, path):
        if path not in self.keys:
            self.keys[path] = load_key(path)
        return self.keys[path]

    def post(self, url, form, headers=None):
        return request(self.opener, "POST", url, form, headers)

    def get(self, url, headers=None):
        return request(self.opener, "GET", url, None, headers)

    def check_registered_keys(self):
        """The public JWK each server registered is the key file's, except
        for cc-jwt-wrong-key, whose registered key must differ."""
        for role, c in self.clients.items():
            if "key" not in c:
                continue
            derived = thumbprint(public_jwk(self.key(c["key"])))
            registered = thumbprint(c["jwks"]["keys"][0])
            if (derived == registered) == (role == "jwt_wrong_key"):
                raise SystemExit(
                    f"clients.json: the registered key of {role} does not fit its key file"
                )

    # -- metadata
    def metadata(self, key, server, listener, issuer):
        """RFC 8414 §3.1: /.well-known/oauth-authorization-server inserted
        between the host and the issuer's path; then OpenID Connect Discovery
        (issuer + /.well-known/openid-configuration). Returns the document
        whose issuer matched."""
        u = urllib.parse.urlsplit(issuer)
        path = u.path.rstrip("/")
        rfc8414 = f"{u.scheme}://{u.netloc}/.well-known/oauth-authorization-server{path}"
        oidc = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
        found = None
        for kind, url in (("RFC 8414", rfc8414), ("OIDC", oidc)):
            r = self.get(url)
            doc = r.json if r.status == 200 and isinstance(r.json, dict) else None
            got = (
                f"200 issuer={'match' if doc.get('issuer') == issuer else doc.get('issuer')}"
                if doc
                else str(r.status)
            )
            want = "200 issuer=match" if kind in server["metadata_kinds"] else "404"
            record(key, listener, f"metadata {kind}{' ' + path if path else ''}", want, got)
            if doc and doc.get("issuer") == issuer and found is None:
                found = doc
        if found is None:
            return None
        endpoint = found.get("token_endpoint")
        record(
            key,
            listener,
            "  token_endpoint",
            "issuer + /token",
            "issuer + /token" if endpoint == issuer + "/token" else endpoint,
        )
        record(
            key,
            listener,
            "  auth methods",
            " ".join(server["auth_methods"]),
            " ".join(found.get("token_endpoint_auth_methods_supported", [])),
        )
        if server.get("client_auth_signing_algs"):
            record(
                key,
                listener,
                "  auth signing algs",
                " ".join(server["client_auth_signing_algs"]),
                " ".join(found.get("token_endpoint_auth_signing_alg_values_supported", [])),
            )
        if server.get("dpop_signing_algs"):
            record(
                key,
                listener,
                "  dpop signing algs",
                " ".join(server["dpop_signing_algs"]),
                " ".join(found.get("dpop_signing_alg_values_supported", [])),
            )
        return found

    # -- token requests
    def jwt_token(
        self,
        token_url,
        role,
        *,
        alg=None,
        aud=None,
        kid=False,
        assertion_value=None,
        extra_headers=None,
    ):
        c = self.clients[role]
        if assertion_value is None:
            alg = alg or c["algs"][0]
            key = (
                c["secret"].encode() if c["method"] == "client_secret_jwt" else self.key(c["key"])
            )
            kid_value = c["jwks"]["keys"][0]["kid"] if kid else None
            assertion_value = assertion(c["id"], aud or token_url, key, alg, kid=kid_value)
        form = {
            "grant_type": "client_credentials",
            "client_id": c["id"],
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion_value,
        }
        return self.post(token_url, form, extra_headers)

    def used(self, base, response, role):
        """The token response's outcome, and for a token what /resource at
        `base` answers to it as a Bearer token (200 only if it is this
        client's). The callers use the plain-HTTP listener's /resource
        whatever listener issued the token, as the Rust suite does: one
        server, one token store."""
        got = response.outcome()
        if response.status != 200:
            return got
        token = response.json["access_token"]
        r = self.get(f"{base}/resource", {"Authorization": f"Bearer {token}"})
        ok = r.status == 200 and r.json.get("client_id") == self.clients[role]["id"]
        return f"{got}, /resource {'200' if ok else r.outcome()}"

    def jwt_cases(self, key, listener, issuer, token_url, resource_base, other_token_url):
        e = EXPECT[key]
        for role in ("jwt_es256", "jwt_es384", "jwt_rsa", "jwt_ed25519", "jwt_secret"):
            for alg in self.clients[role]["algs"]:
                case = f"{self.clients[role]['method']} {alg}"
                r = self.jwt_token(token_url, role, alg=alg)
                record(
                    key,
                    listener,
                    case,
                    TOKEN + USED,
                    self.used(resource_base, r, role),
                    r.text[:200],
                )
        r = self.jwt_token(token_url, "jwt_es256", kid=True)
        record(key, listener, "ES256 with kid", TOKEN, r.outcome(), r.text[:200])
        r = self.jwt_token(token_url, "jwt_es256", aud=issuer)
        record(key, listener, "aud = issuer", e["aud = issuer"], r.outcome(), r.text[:200])
        r = self.jwt_token(token_url, "jwt_es256", aud=other_token_url)
        record(
            key,
            listener,
            "aud = other listener's URL",
            e["invalid_client"],
            r.outcome(),
            r.text[:200],
        )
        r = self.jwt_token(token_url, "jwt_wrong_key")
        record(key, listener, "wrong key", e["invalid_client"], r.outcome(), r.text[:200])
        c = self.clients["jwt_secret"]
        wrong = assertion(c["id"], token_url, (c["secret"] + "-wrong").encode(), "HS256")
        r = self.jwt_token(token_url, "jwt_secret", assertion_value=wrong)
        record(
            key, listener, "HS256, wrong secret", e["invalid_client"], r.outcome(), r.text[:200]
        )

        # The workload-identity shape: an assertion minted outside the
        # client, handed over in a file, read back for the request.
        c = self.clients["jwt_assertion_file"]
        k = self.key(c["key"])
        path = os.path.join(self.work, f"{key}-{listener}-assertion.jwt")

        def via_file(value):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(value + "\n")
            with open(path) as f:
                return f.read().strip()

        fresh = via_file(assertion(c["id"], token_url, k, "ES256", lifetime=300))
        r = self.jwt_token(token_url, "jwt_assertion_file", assertion_value=fresh)
        got = self.used(resource_base, r, "jwt_assertion_file")
        record(key, listener, "assertion from file", TOKEN + USED, got, r.text[:200])
        r = self.jwt_token(token_url, "jwt_assertion_file", assertion_value=via_file(fresh))
        record(
            key,
            listener,
            "same file again (jti replay)",
            e["invalid_client"],
            r.outcome(),
            r.text[:200],
        )
        now = int(time.time())
        expired = via_file(assertion(c["id"], token_url, k, "ES256", iat=now - 600, lifetime=300))
        r = self.jwt_token(token_url, "jwt_assertion_file", assertion_value=expired)
        record(
            key,
            listener,
            "expired 5 min ago, from file",
            e["invalid_client"],
            r.outcome(),
            r.text[:200],
        )
        recent = via_file(assertion(c["id"], token_url, k, "ES256", iat=now - 90, lifetime=60))
        r = self.jwt_token(token_url, "jwt_assertion_file", assertion_value=recent)
        record(key, listener, "expired 30 s ago", e["expired 30 s ago"], r.outcome(), r.text[:200])

    def dpop_token(self, token_url, role, dpop_key, nonce=None, assertion_value=None):
        headers = {"DPoP": dpop_proof(dpop_key, "POST", token_url, nonce=nonce)}
        c = self.clients[role]
        if c["method"] == "private_key_jwt":
            return self.jwt_token(
                token_url, role, assertion_value=assertion_value, extra_headers=headers
            )
        headers["Authorization"] = basic(c)
        return self.post(token_url, {"grant_type": "client_credentials"}, headers)

    def dpop_resource(self, base, token, key, *, ath=True, scheme="DPoP"):
        url = f"{base}/resource"
        proof = dpop_proof(key, "GET", url, access_token=token if ath else None)
        return self.get(url, {"Authorization": f"{scheme} {token}", "DPoP": proof})

    def dpop_cases(self, key, listener, token_url, base, nonce_required, http_base):
        dpop = self.key(self.config["keys"]["dpop-es256"])
        other = self.key(self.config["keys"]["dpop-other-es256"])
        role = "dpop_nonce" if nonce_required else "dpop"
        jkt = thumbprint(public_jwk(dpop))

        r = self.dpop_token(token_url, role, dpop)
        if nonce_required:
            nonce = r.header("DPoP-Nonce")
            got = r.outcome() + (" +DPoP-Nonce" if nonce else "")
            record(
                key,
                listener,
                "DPoP, no nonce",
                "400 use_dpop_nonce +DPoP-Nonce",
                got,
                r.text[:200],
            )
            bogus = self.dpop_token(token_url, role, dpop, nonce="not-a-nonce-from-this-server")
            record(
                key,
                listener,
                "DPoP, made-up nonce",
                "400 use_dpop_nonce",
                bogus.outcome(),
                bogus.text[:200],
            )
            r = self.dpop_token(token_url, role, dpop, nonce=nonce)
            record(
                key,
                listener,
                "DPoP, retried with the nonce",
                DPOP_TOKEN,
                r.outcome(),
                r.text[:200],
            )
        else:
            got = r.outcome() + (" +DPoP-Nonce" if r.header("DPoP-Nonce") else "")
            record(key, listener, "DPoP", DPOP_TOKEN, got, r.text[:200])
        if r.status != 200:
            return
        token = r.json["access_token"]
        res = self.dpop_resource(base, token, dpop)
        got = "200" if res.status == 200 and res.json.get("jkt") == jkt else res.outcome()
        record(key, listener, "  /resource, DPoP proof (token's key)", "200", got, res.text[:200])
        if base != http_base:
            res = self.dpop_resource(http_base, token, dpop)
            got = "200" if res.status == 200 and res.json.get("jkt") == jkt else res.outcome()
            record(
                key, listener, "  /resource on the http listener, DPoP", "200", got, res.text[:200]
            )
        res = self.dpop_resource(base, token, other)
        record(
            key,
            listener,
            "  /resource, proof by another key",
            "401 invalid_token",
            res.outcome(),
            res.text[:200],
        )
        res = self.dpop_resource(base, token, dpop, ath=False)
        record(
            key,
            listener,
            "  /resource, proof without ath",
            "401 invalid_dpop_proof",
            res.outcome(),
            res.text[:200],
        )
        res = self.get(f"{base}/resource", {"Authorization": f"Bearer {token}"})
        record(
            key,
            listener,
            "  /resource, as a Bearer token",
            "401 invalid_token",
            res.outcome(),
            res.text[:200],
        )

        if not nonce_required:
            r = self.post(
                token_url,
                {"grant_type": "client_credentials"},
                {"Authorization": basic(self.clients[role])},
            )
            record(
                key,
                listener,
                "no proof, dpop_bound client",
                "400 invalid_grant",
                r.outcome(),
                r.text[:200],
            )
            r = self.dpop_token(token_url, "jwt_es256", dpop)
            record(key, listener, "DPoP + private_key_jwt", DPOP_TOKEN, r.outcome(), r.text[:200])
            return
        # private_key_jwt + DPoP with nonces: the client assertion is checked
        # (and its jti spent) before the DPoP proof.
        c = self.clients["jwt_es256"]
        first = assertion(c["id"], token_url, self.key(c["key"]), "ES256")
        r = self.dpop_token(token_url, "jwt_es256", dpop, assertion_value=first)
        nonce = r.header("DPoP-Nonce")
        record(
            key,
            listener,
            "DPoP + private_key_jwt, no nonce",
            "400 use_dpop_nonce",
            r.outcome(),
            r.text[:200],
        )
        r = self.dpop_token(token_url, "jwt_es256", dpop, nonce=nonce, assertion_value=first)
        record(
            key,
            listener,
            "  retry, same assertion",
            "401 invalid_client",
            r.outcome(),
            r.text[:200],
        )
        r = self.dpop_token(token_url, "jwt_es256", dpop, nonce=nonce)
        record(key, listener, "  retry, new assertion", DPOP_TOKEN, r.outcome(), r.text[:200])

    # -- one server
    def prove(self, key):
        server = self.config["servers"][key]
        ports = server["ports"]
        kinds = {
            "oidc_provider": ("RFC 8414", "OIDC"),
            "authlib": ("RFC 8414",),
            "dot": ("RFC 8414",),
        }
        server["metadata_kinds"] = kinds[key]
        server["auth_methods"] = {
            "oidc_provider": [
                "client_secret_basic",
                "client_secret_jwt",
                "client_secret_post",
                "private_key_jwt",
                "none",
            ],
            "authlib": [
                "client_secret_basic",
                "client_secret_post",
                "client_secret_jwt",
                "private_key_jwt",
            ],
            "dot": ["client_secret_post", "client_secret_basic"],
        }[key]
        started = time.monotonic()
        listeners = ["http", "https"] + server.get("dpop_nonce_listeners", [])
        for listener in listeners:
            issuer = server["issuers"][listener]
            base = issuer
            doc = self.metadata(key, server, listener, issuer)
            if doc is None:
                continue
            token_url = doc["token_endpoint"]
            nonce_listener = listener in server.get("dpop_nonce_listeners", [])
            if key in ("oidc_provider", "authlib") and not nonce_listener:
                other = "https" if listener == "http" else "http"
                other_url = server["issuers"][other] + "/token"
                self.jwt_cases(
                    key, listener, issuer, token_url, server["issuers"]["http"], other_url
                )
            if key == "oidc_provider":
                self.dpop_cases(
                    key, listener, token_url, base, nonce_listener, server["issuers"]["http"]
                )
            else:
                r = self.dpop_token(token_url, "dpop", self.key(self.config["keys"]["dpop-es256"]))
                record(
                    key,
                    listener,
                    "DPoP proof sent",
                    EXPECT[key]["dpop ignored"],
                    r.outcome(),
                    r.text[:200],
                )
            if listener == "https":
                # The same listener reached by its DNS name: which issuer?
                r = self.get(
                    f"https://localhost:{ports['https']}/.well-known/oauth-authorization-server"
                )
                got = f"200 issuer={r.json.get('issuer')}" if r.status == 200 else r.outcome()
                got = got.replace(f":{ports['https']}", ":<port>")
                record(
                    key,
                    listener,
                    "metadata via https://localhost",
                    EXPECT[key]["metadata via localhost"],
                    got,
                )
        for listener, issuer in server.get("path_issuers", {}).items():
            if listener not in ("http", "https"):
                continue
            label = f"{listener}{urllib.parse.urlsplit(issuer).path}"
            doc = self.metadata(key, server, label, issuer)
            if doc is None:
                continue
            token_url = doc["token_endpoint"]
            r = self.jwt_token(token_url, "jwt_es256")
            got = self.used(server["issuers"][listener], r, "jwt_es256")
            record(key, label, "ES256, aud = its token URL", TOKEN + USED, got, r.text[:200])
            r = self.jwt_token(token_url, "jwt_es256", aud=server["issuers"][listener] + "/token")
            record(
                key,
                label,
                "aud = the root issuer's token URL",
                "400 invalid_client",
                r.outcome(),
                r.text[:200],
            )
        if key == "dot":
            # DOT reflects any path into the issuer (no tenants configured).
            issuer = server["issuers"]["http"] + "/any/path"
            r = self.get(
                f"{server['issuers']['http']}/.well-known/oauth-authorization-server/any/path"
            )
            doc = r.json if r.status == 200 and isinstance(r.json, dict) else {}
            got = "200 issuer=match" if doc.get("issuer") == issuer else r.outcome()
            record(
                key, "http/any/path", "metadata RFC 8414 (no such issuer)", "200 issuer=match", got
            )
        return time.monotonic() - started


def main():
    if len(sys.argv) != 2:
        print(f"usage: python {sys.argv[0]} CONFIG_JSON", file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        config = json.load(f)
    prover = Prover(config)
    prover.check_registered_keys()
    timings = {}
    for key in ("oidc_provider", "authlib", "dot"):
        timings[key] = prover.prove(key)

    # One line per server and case; the listeners that answered alike share it.
    grouped = {}
    for server, listener, case, expected, got, status in rows:
        grouped.setdefault((server, case), {}).setdefault((expected, got, status), []).append(
            listener
        )
    lines = []
    for (server, case), outcomes in grouped.items():
        for (expected, got, status), listeners in outcomes.items():
            verdict = "ok" if status == "ok" else f"FAIL, expected {expected}"
            lines.append((server, case.strip(), ",".join(listeners), got, verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    print(
        f"prove_servers.py (PyJWT {version('pyjwt')}, cryptography {version('cryptography')}):"
        " what each server answered an independent client"
    )
    for line in [("server", "case", "listeners", "answer", "")] + lines:
        print("  ".join(v.ljust(w) for v, w in zip(line[:4], widths)) + "  " + line[4])
    with open(os.path.join(prover.work, "details.txt"), "w") as f:
        f.write("\n".join(details) + "\n")
    print(
        "timings: "
        + ", ".join(f"{LABELS[k]} {t:.1f} s" for k, t in timings.items())
        + f"; details in {os.path.join(prover.work, 'details.txt')}"
    )
    print(f"prove: {len(rows) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
