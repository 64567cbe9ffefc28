"""Authlib's AuthorizationServer (Flask integration) with the client
credentials grant, as a token server for cctoken's interop suite. Loopback
only.

    python authlib_server.py CLIENTS_JSON CERT_DIR READY_FILE TTL_SECONDS

Listeners, ready file and stopping: see listeners.py.

Routes:
  POST /token           authlib's token endpoint (ClientCredentialsGrant,
                        client_secret_basic and client_secret_post).
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
from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc6749.util import list_to_scope
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Flask
from flask import Response
from flask import jsonify
from flask import request

from listeners import Stats
from listeners import serve

SCOPES = ["api:read", "api:write"]


class Client(ClientMixin):
    def __init__(self, client_id, secret, method):
        self.client_id = client_id
        self.client_secret = secret
        self.token_endpoint_auth_method = method
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
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


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
        c["id"]: Client(c["id"], c["secret"], c["method"]) for c in clients.values()
    }
    tokens = {}

    def query_client(client_id):
        return by_id.get(client_id)

    def save_token(data, req):
        with lock:
            tokens[data["access_token"]] = Token(req.client.get_client_id(), data)

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(Grant)
    require_oauth = ResourceProtector()
    require_oauth.register_token_validator(Validator(tokens))

    @app.route("/token", methods=["POST"])
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

    @app.route("/_interop/stats")
    def interop_stats():
        return Response(stats.json(), mimetype="application/json")

    return app


def build(clients, ttl, ports, work_dir):
    extra = {
        "version": version("authlib"),
        "flask": version("flask"),
        "werkzeug": version("werkzeug"),
    }
    return build_app(clients, ttl), extra


if __name__ == "__main__":
    serve("authlib", build)
