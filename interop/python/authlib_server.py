"""Authlib's AuthorizationServer (Flask integration) with the client
credentials grant, as a token server for cctoken's interop suite. Loopback
only.

    python authlib_server.py CLIENTS_JSON CERT_DIR READY_FILE TTL_SECONDS

Listeners, ready file and stopping: see listeners.py.

Two issuers per listener, sharing clients and tokens: the listener's base
URL, `<scheme>://127.0.0.1:<port>`, and the same with the path `/tenant`
(RFC 8414 §3.1 path insertion: its metadata is at
/.well-known/oauth-authorization-server/tenant). The issuer comes from the
listener (its scheme and port), not from the Host header.

Routes:
  POST /token, /tenant/token
                        authlib's token endpoint (ClientCredentialsGrant;
                        client_secret_basic, client_secret_post, and RFC 7523
                        client_secret_jwt and private_key_jwt through
                        JWTBearerClientAssertion, see JWTClientAuth).
  GET  /.well-known/oauth-authorization-server
  GET  /.well-known/oauth-authorization-server/tenant
                        RFC 8414 metadata of the two issuers.
  GET  /resource        protected by authlib's ResourceProtector with a
                        BearerTokenValidator: 200 and the token's
                        client_id/scope, else 401.
  GET  /_interop/stats  token endpoint requests and issued tokens per client.

Authlib leaves the client and token models to the application; the ones
here follow the semantics of authlib's own SQLAlchemy mixins
(authlib.integrations.sqla_oauth2): integer issued_at, expired when
issued_at + expires_in < now.
"""

import hmac
import threading
import time
from importlib.metadata import version

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.integrations.flask_oauth2 import current_token
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc6749.util import list_to_scope
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7523.client import ASSERTION_TYPE
from flask import Flask
from flask import Response
from flask import abort
from flask import jsonify
from flask import request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwk import OctKey

from listeners import Stats
from listeners import issuers_of
from listeners import listener_issuer
from listeners import serve

SCOPES = ["api:read", "api:write"]
TENANT = "tenant"
# The algorithms accepted in client assertions. Authlib hands the assertion
# to joserfc's jwt.decode, whose default is its "recommended" algorithms
# only (HS256, RS256, ES256): PS256, ES384 and EdDSA would be refused with
# "Algorithm of '...' is not recommended". This server passes its own list.
# "EdDSA" is the RFC 8037 name (deprecated by RFC 9864, joserfc warns);
# "Ed25519" the RFC 9864 one.
PRIVATE_KEY_JWT_ALGS = ["RS256", "PS256", "ES256", "ES384", "EdDSA", "Ed25519"]
CLIENT_SECRET_JWT_ALGS = ["HS256"]


class Client(ClientMixin):
    def __init__(self, client_id, secret, method, jwks=None):
        self.client_id = client_id
        self.client_secret = secret
        self.token_endpoint_auth_method = method
        self.jwks = jwks
        self.scope = " ".join(SCOPES)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        if not scope:
            return ""
        allowed = set(scope_to_list(self.scope))
        return list_to_scope([s for s in scope.split() if s in allowed])

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        if self.client_secret is None:
            return False
        return hmac.compare_digest(
            self.client_secret.encode(), client_secret.encode()
        )

    def check_endpoint_auth_method(self, method, endpoint):
        if endpoint == "token":
            return self.token_endpoint_auth_method == method
        return True

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


class Token(TokenMixin):
    def __init__(self, client_id, data):
        self.client_id = client_id
        self.access_token = data["access_token"]
        self.scope = data.get("scope", "")
        self.expires_in = data.get("expires_in", 0)
        self.issued_at = int(time.time())
        self.revoked = False

    def check_client(self, client):
        return self.client_id == client.get_client_id()

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        if not self.expires_in:
            return False
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self):
        return self.revoked


class Grant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
    ]


class JWTClientAuth(JWTBearerClientAssertion):
    """RFC 7523 client authentication with Authlib's JWTBearerClientAssertion,
    registered once per method (client_secret_jwt, private_key_jwt). Authlib
    leaves to the application: the accepted audiences (get_audiences), the
    jti replay check (validate_jti) and the client's key
    (resolve_client_public_key). Here:

    - aud: the token endpoint URL the request was sent to (scheme, Host
      header and path: `request.base_url`), and nothing else: not the issuer.
      That is what Authlib itself checked before 1.8 (`token_url`, now
      deprecated), and what RFC 7523 §3 names.
    - jti: each (client, jti) once while the assertion is valid (+ leeway).
    - key: the client's registered JWKS (private_key_jwt), or its secret as
      an HMAC key (client_secret_jwt).
    - exp: required; Authlib allows a leeway of 60 s (its default).
    """

    def __init__(self, method, algorithms):
        super().__init__(validate_jti=True, leeway=60)
        self.CLIENT_AUTH_METHOD = method
        self.algorithms = algorithms
        self.seen = {}
        self.seen_lock = threading.Lock()

    def __call__(self, query_client, request):
        # Authlib tries the registered methods in turn: step aside (None)
        # for a client registered with the other JWT method, so that its
        # turn comes. Otherwise Authlib's own processing, which raises
        # InvalidClientError (HTTP 400) on any failure.
        data = request.form
        if data.get("client_assertion_type") != ASSERTION_TYPE or not data.get(
            "client_assertion"
        ):
            return None
        _, claims = self.extract_assertion(data["client_assertion"])
        sub = claims.get("sub")
        client = query_client(sub) if isinstance(sub, str) else None
        if client is not None and client.token_endpoint_auth_method != self.CLIENT_AUTH_METHOD:
            return None
        return super().__call__(query_client, request)

    def get_audiences(self):
        return [request.base_url]

    def validate_jti(self, claims, jti):
        now = time.time()
        key = (claims["sub"], jti)
        with self.seen_lock:
            for k in [k for k, expiry in self.seen.items() if expiry < now]:
                del self.seen[k]
            if key in self.seen:
                return False
            self.seen[key] = float(claims["exp"]) + self.leeway
            return True

    def resolve_client_public_key(self, client):
        if self.CLIENT_AUTH_METHOD == "client_secret_jwt":
            return OctKey.import_key(client.client_secret)
        return KeySet.import_key_set(client.jwks)

    def process_assertion_claims(self, assertion, resolve_key):
        # Authlib's own, with this server's algorithms.
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=self.algorithms)
        except JoseError as e:
            raise InvalidClientError(description=e.description) from e
        self.verify_claims(token.claims)
        return token.claims


class Validator(BearerTokenValidator):
    def __init__(self, tokens):
        super().__init__()
        self.tokens = tokens

    def authenticate_token(self, token_string):
        with lock:
            return self.tokens.get(token_string)


lock = threading.Lock()
stats = Stats()


def build_app(clients, ttl):
    app = Flask("cctoken-interop-authlib")
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"client_credentials": ttl}
    app.config["OAUTH2_SCOPES_SUPPORTED"] = SCOPES
    by_id = {
        c["id"]: Client(c["id"], c.get("secret"), c["method"], c.get("jwks"))
        for c in clients.values()
    }
    tokens = {}

    def query_client(client_id):
        return by_id.get(client_id)

    def save_token(data, req):
        with lock:
            tokens[data["access_token"]] = Token(req.client.get_client_id(), data)

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(Grant)
    server.register_client_auth_method(
        "client_secret_jwt", JWTClientAuth("client_secret_jwt", CLIENT_SECRET_JWT_ALGS)
    )
    server.register_client_auth_method(
        "private_key_jwt", JWTClientAuth("private_key_jwt", PRIVATE_KEY_JWT_ALGS)
    )
    require_oauth = ResourceProtector()
    require_oauth.register_token_validator(Validator(tokens))

    @app.route("/token", methods=["POST"])
    @app.route(f"/{TENANT}/token", methods=["POST"])
    def token():
        user, _ = extract_basic_authorization(request.headers)
        claimed = user or request.form.get("client_id") or "(unknown)"
        response = server.create_token_response()
        stats.token_request(claimed, response.status_code, request.content_type)
        return response

    @app.route("/resource")
    @require_oauth()
    def resource():
        return jsonify(
            client_id=current_token.client_id,
            scope=current_token.scope,
            exp=current_token.issued_at + current_token.expires_in,
        )

    @app.route("/.well-known/oauth-authorization-server")
    @app.route("/.well-known/oauth-authorization-server/<path:issuer_path>")
    def metadata(issuer_path=None):
        # RFC 8414: the issuer is the listener's base URL, or with /tenant.
        if issuer_path not in (None, TENANT):
            abort(404)
        issuer = listener_issuer(request.environ, f"/{issuer_path}" if issuer_path else "")
        return jsonify(
            issuer=issuer,
            token_endpoint=f"{issuer}/token",
            token_endpoint_auth_methods_supported=Grant.TOKEN_ENDPOINT_AUTH_METHODS,
            token_endpoint_auth_signing_alg_values_supported=CLIENT_SECRET_JWT_ALGS
            + PRIVATE_KEY_JWT_ALGS,
            grant_types_supported=["client_credentials"],
            # REQUIRED by RFC 8414, and this server has no authorization
            # endpoint, so: none.
            response_types_supported=[],
            scopes_supported=SCOPES,
        )

    @app.route("/_interop/stats")
    def interop_stats():
        return Response(stats.json(), mimetype="application/json")

    return app


def build(clients, ttl, ports, work_dir):
    extra = {
        "version": version("authlib"),
        "joserfc": version("joserfc"),
        "flask": version("flask"),
        "werkzeug": version("werkzeug"),
        # Per listener: the issuer at the root and the one with a path.
        "issuers": issuers_of(ports),
        "path_issuers": issuers_of(ports, f"/{TENANT}"),
        "metadata_paths": ["/.well-known/oauth-authorization-server"],
        "client_auth_signing_algs": CLIENT_SECRET_JWT_ALGS + PRIVATE_KEY_JWT_ALGS,
    }
    return build_app(clients, ttl), extra


if __name__ == "__main__":
    serve("authlib", build)
