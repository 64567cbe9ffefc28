"""django-oauth-toolkit (DOT, on oauthlib) with the client credentials grant,
as a token server for cctoken's interop suite. Loopback only.

    python dot_server.py CLIENTS_JSON CERT_DIR READY_FILE TTL_SECONDS

Listeners, ready file and stopping: see listeners.py. A minimal Django
project in this one file: settings, an SQLite database in the run's work
directory (migrated at start), one Application per client.

Routes:
  POST /token           DOT's TokenView (client_secret_basic and
                        client_secret_post for every confidential client).
  GET  /.well-known/oauth-authorization-server[/<path>]
                        DOT's own RFC 8414 view (OAuthServerMetadataView,
                        served with or without OIDC). DOT derives
                        the issuer from the request URL (scheme and Host
                        header), and reflects any path after the well-known
                        prefix into it (RFC 8414 §3.1 path form); the
                        token_endpoint is always /token.
  GET  /resource        checked by DOT's own OAuthLibCore.verify_request, as
                        its @protected_resource decorator does (expiry and
                        RFC 8707 audience included): 200 and the token's
                        client_id/scope/aud, else 401/403.
  GET  /_interop/stats  token endpoint requests and issued tokens per client.
"""

import base64
import json
import os
from importlib.metadata import version
from urllib.parse import unquote_plus

import django
from django.conf import settings

from listeners import Stats
from listeners import issuers_of
from listeners import serve

SCOPES = ["api:read", "api:write"]
stats = Stats()


def claimed_client(request):
    """Who a token request claims to be (for the counters only)."""
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            user = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
            return unquote_plus(user)
        except (ValueError, UnicodeDecodeError):
            pass
    return request.POST.get("client_id") or "(unknown)"


def build(clients, ttl, ports, work_dir):
    db = os.path.join(work_dir, "dot.sqlite3")
    if os.path.exists(db):
        os.remove(db)
    settings.configure(
        DEBUG=False,
        SECRET_KEY="cctoken-interop-only",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "oauth2_provider",
        ],
        MIDDLEWARE=[],
        ROOT_URLCONF=__name__,
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": db,
                # WAL and IMMEDIATE transactions: the token writes must not
                # wait on (or fail against) the many concurrent token reads.
                "OPTIONS": {
                    "timeout": 30,
                    "init_command": "PRAGMA journal_mode=WAL;",
                    "transaction_mode": "IMMEDIATE",
                },
            }
        },
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        # DOT hashes client secrets with Django's password hasher: the
        # default (PBKDF2, a million rounds) costs ~0.6 s per token request
        # here; Django's own advice for tests is MD5.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        OAUTH2_PROVIDER={
            "ACCESS_TOKEN_EXPIRE_SECONDS": ttl,
            "SCOPES": {s: s for s in SCOPES},
            "DEFAULT_SCOPES": SCOPES,
            # What the RFC 8414 document lists: this server has the client
            # credentials grant only, and no authorization endpoint.
            "OAUTH2_GRANT_TYPES_SUPPORTED": ["client_credentials"],
            "OAUTH2_RESPONSE_TYPES_SUPPORTED": [],
        },
        LOGGING_CONFIG=None,
    )
    django.setup()

    from django.core.management import call_command
    from django.http import HttpResponse
    from django.http import JsonResponse
    from django.urls import include
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt
    from oauth2_provider.models import Application
    from oauth2_provider.oauth2_backends import OAuthLibCore
    from oauth2_provider.oauth2_validators import OAuth2Validator
    from oauth2_provider.urls import metadata_urlpatterns
    from oauth2_provider.views import TokenView
    from oauthlib.oauth2 import Server

    call_command("migrate", verbosity=0)
    # Secret clients only: DOT has no RFC 7523 client authentication.
    for c in clients.values():
        if c["method"] not in ("client_secret_basic", "client_secret_post"):
            continue
        Application.objects.create(
            name=c["id"],
            client_id=c["id"],
            client_secret=c["secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        )

    token_view = TokenView.as_view()

    @csrf_exempt
    def token(request):
        claimed = claimed_client(request)
        response = token_view(request)
        stats.token_request(claimed, response.status_code, request.content_type)
        return response

    def resource(request):
        valid, r = OAuthLibCore(Server(OAuth2Validator())).verify_request(request, scopes=[])
        if not valid:
            error = getattr(r, "oauth2_error", None) or {"error": "invalid_token"}
            return JsonResponse(dict(error), status=401)
        t = r.access_token
        return JsonResponse(
            {
                "client_id": t.application.client_id,
                "scope": t.scope,
                "aud": t.resource or None,
                "exp": t.expires.timestamp(),
            }
        )

    def interop_stats(request):
        return HttpResponse(stats.json(), content_type="application/json")

    global urlpatterns
    # DOT's metadata view finds the token endpoint as "oauth2_provider:token":
    # that name is given to the counting wrapper at /token.
    rfc8414 = [
        p
        for p in metadata_urlpatterns
        if p.name in ("oauth-server-metadata", "oauth-server-metadata-issuer")
    ]
    urlpatterns = [
        path("", include((rfc8414 + [path("token", token, name="token")], "oauth2_provider"))),
        path("resource", resource),
        path("_interop/stats", interop_stats),
    ]

    from django.core.wsgi import get_wsgi_application

    extra = {
        "version": version("django-oauth-toolkit"),
        "django": version("django"),
        "oauthlib": version("oauthlib"),
        # RFC 8707: DOT accepts any absolute URI and checks it against the
        # request URL at the resource (prefix match).
        "resource": f"http://127.0.0.1:{ports['http']}/resource",
        # Per listener: the issuer DOT gives when reached as 127.0.0.1 (it
        # follows the Host header).
        "issuers": issuers_of(ports),
        "metadata_paths": ["/.well-known/oauth-authorization-server"],
    }
    return get_wsgi_application(), extra


urlpatterns = []

if __name__ == "__main__":
    serve("django-oauth-toolkit", build)
