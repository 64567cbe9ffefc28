"""What the Python servers of cctoken's interop suite share: arguments,
four Werkzeug listeners on 127.0.0.1, the ready file, per-client request
counters, and stopping.

    python SERVER.py CLIENTS_JSON CERT_DIR READY_FILE TTL_SECONDS

One WSGI app (one token store) behind four listeners, each on a free port:
plain HTTP; HTTPS with a certificate for localhost/127.0.0.1 from the test
CA; HTTPS with a certificate from a CA the client does not trust; HTTPS with
a certificate from the test CA for another host name. When all four listen,
the ports go to READY_FILE (written atomically). The process stops on
SIGTERM/SIGINT, when its parent (run.sh) is gone, and after 15 minutes in any
case.
"""

import json
import logging
import os
import signal
import ssl
import sys
import threading
import time

from werkzeug.serving import make_server

MAX_LIFETIME = 15 * 60  # seconds


def issuers_of(ports, path=""):
    """The issuer of every listener: `<scheme>://127.0.0.1:<port><path>`."""
    return {
        listener: f"{'https' if listener.startswith('https') else 'http'}://127.0.0.1:{port}{path}"
        for listener, port in ports.items()
    }


def listener_issuer(environ, path=""):
    """The issuer of the listener a request came in on (its scheme and bound
    port, whatever the Host header says): `<scheme>://127.0.0.1:<port><path>`."""
    return f"{environ['wsgi.url_scheme']}://127.0.0.1:{environ['SERVER_PORT']}{path}"


class Stats:
    """Token endpoint requests, tokens issued and errors per client id."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tables = {"token_requests": {}, "tokens_issued": {}, "token_errors": {}}

    def token_request(self, client_id, status, content_type):
        with self.lock:
            for table in ("token_requests", "tokens_issued" if status == 200 else "token_errors"):
                self.tables[table][client_id] = self.tables[table].get(client_id, 0) + 1
        print(
            f"token request client={client_id} status={status} content-type={content_type}",
            flush=True,
        )

    def json(self):
        with self.lock:
            return json.dumps(self.tables)


def serve(name, build):
    """Runs the server. `build(clients, ttl, ports, work_dir)` returns the WSGI
    app and extra fields for the ready file; it is called once every
    listener has its port."""
    # One line per token request is printed by the servers; Werkzeug's
    # per-request access log would add thousands of /resource lines.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if len(sys.argv) != 5:
        print(
            f"usage: python {sys.argv[0]} CLIENTS_JSON CERT_DIR READY_FILE TTL_SECONDS",
            file=sys.stderr,
        )
        sys.exit(2)
    clients_file, cert_dir, ready_file, ttl = sys.argv[1:]
    with open(clients_file) as f:
        clients = json.load(f)

    def tls(cert):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(
            os.path.join(cert_dir, f"{cert}.pem"), os.path.join(cert_dir, f"{cert}.key")
        )
        return ctx

    listeners = {
        "http": None,
        "https": tls("localhost"),
        "https_untrusted": tls("untrusted"),
        "https_wronghost": tls("otherhost"),
    }
    holder = []

    def dispatch(environ, start_response):
        return holder[0](environ, start_response)

    servers = {
        listener: make_server("127.0.0.1", 0, dispatch, threaded=True, ssl_context=ctx)
        for listener, ctx in listeners.items()
    }
    ports = {listener: s.server_port for listener, s in servers.items()}
    app, extra = build(clients, int(ttl), ports, os.path.dirname(os.path.abspath(ready_file)))
    holder.append(app)
    for s in servers.values():
        threading.Thread(target=s.serve_forever, daemon=True).start()

    ready = {
        "server": name,
        "python": sys.version.split()[0],
        "pid": os.getpid(),
        "token_path": "/token",
        "resource": None,
        "ttl": int(ttl),
        **extra,
        "ports": ports,
    }
    with open(ready_file + ".tmp", "w") as f:
        json.dump(ready, f)
    os.replace(ready_file + ".tmp", ready_file)
    print(f"{name} {ready.get('version')} ready: {json.dumps(ports)}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Never outlive run.sh (even if it is killed with SIGKILL), nor 15 minutes.
    parent = os.getppid()
    deadline = time.monotonic() + MAX_LIFETIME
    while not stop.wait(1.0):
        if os.getppid() != parent or time.monotonic() > deadline:
            print("parent gone or lifetime over: stopping", flush=True)
            break
    # The listeners run in daemon threads: returning ends the process.
