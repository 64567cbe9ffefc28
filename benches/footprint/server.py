#!/usr/bin/env python3
"""A loopback token endpoint for benches/footprint/run.sh.

Answers every POST with a fixed client credentials token (HTTP/1.0, the
connection closes after each reply). With --cert/--key it serves HTTPS.
Writes the port it listens on to --port-file once it accepts connections.

    server.py --port-file F [--cert server.pem --key server.key]
"""
import argparse
import http.server
import ssl

TOKEN = b'{"access_token":"footprint-token","token_type":"Bearer","expires_in":3600}'


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if b"grant_type=client_credentials" not in body:
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(TOKEN)))
        self.end_headers()
        self.wfile.write(TOKEN)

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    a = p.parse_args()
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(httpd.server_address[1]))
    import os
    os.replace(a.port_file + ".tmp", a.port_file)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
