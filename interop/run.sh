#!/usr/bin/env bash
# cctoken against OAuth 2.0 servers we did not write, on loopback only:
# panva's oidc-provider (Node), Authlib's AuthorizationServer (Python, Flask)
# and django-oauth-toolkit (Python, Django), each over HTTP and HTTPS.
#
#   bash interop/run.sh [TEST-NAME-FILTER...]
#
# Installs the pinned servers into interop/ (node/node_modules from
# package-lock.json, .venv from python/requirements.txt; skipped when already
# installed at those pins), builds the Rust suite (interop/tests/interop.rs),
# makes a test CA and server certificates, starts the servers, proves them
# with an independent client (python/prove_servers.py: metadata, RFC 7523
# client authentication, DPoP), runs the suite, prints what each server
# answered, and always stops the servers it started. Exits non-zero on any
# install, build, start-up, proof or test failure. See interop/README.md.
#
# Environment: CCTOKEN_INTEROP_TTL, the token lifetime the servers issue
# (10-20 s; default 10); CCTOKEN_INTEROP_PROVE=0 skips prove_servers.py.
# Certificates, server logs and results stay in interop/work/ (gitignored)
# until the next run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$here/work
ttl=${CCTOKEN_INTEROP_TTL:-10}
start_timeout=60 # seconds for every server to listen
test_timeout=420 # seconds for the Rust suite, build included
started=$SECONDS

say() { echo "interop: $*"; }
die() {
    echo "interop: FAILED: $*" >&2
    exit 1
}

# --- stop everything we started, pass or fail ---------------------------------
pids=()
cleanup() {
    local rc=$? pid i
    trap - EXIT INT TERM
    for pid in "${pids[@]+"${pids[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]+"${pids[@]}"}"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "server $pid ignored SIGTERM for 5 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    [ "${#pids[@]}" -gt 0 ] && say "stopped ${#pids[@]} server process(es): ${pids[*]}"
    say "total $((SECONDS - started)) s, exit status $rc"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

case $ttl in
    1[0-9] | 20) ;;
    *) die "CCTOKEN_INTEROP_TTL must be 10-20 seconds, not '$ttl'" ;;
esac

# The test-only private keys of the RFC 7523 clients and DPoP (interop/keys/):
# git keeps no mode but the executable bit, and cctoken refuses a key file
# that others can read.
chmod 600 "$here"/keys/*.pem || die "chmod 600 interop/keys/*.pem failed"

for tool in node npm python3 openssl cargo sha256sum; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed (needed: node, npm, python3 with venv, openssl, cargo)"
done
say "node $(node --version), npm $(npm --version 2>/dev/null), $(python3 --version), $(openssl version | cut -d' ' -f1-2), $(cargo --version)"

# --- install the pinned servers ----------------------------------------------------
stamp_of() { # tool-version files...
    { echo "$1"; shift; cat "$@"; } | sha256sum | cut -c1-16
}

node_stamp=$(stamp_of "$(node --version)" "$here/node/package.json" "$here/node/package-lock.json")
if [ "$(cat "$here/node/node_modules/.interop-stamp" 2>/dev/null)" != "$node_stamp" ]; then
    say "installing oidc-provider (npm ci from interop/node/package-lock.json)"
    rm -rf "$here/node/node_modules"
    timeout 300 npm ci --prefix "$here/node" --no-audit --no-fund --loglevel=error ||
        die "npm ci in interop/node failed (the npm registry must be reachable)"
    echo "$node_stamp" >"$here/node/node_modules/.interop-stamp"
fi
oidc_version=$(cd "$here/node" && node -p "require('oidc-provider/package.json').version") ||
    die "oidc-provider is not installed in interop/node/node_modules"
want=$(cd "$here/node" && node -p "require('./package.json').dependencies['oidc-provider']")
[ "$oidc_version" = "$want" ] || die "oidc-provider $oidc_version installed, $want pinned"

venv=$here/.venv
py_stamp=$(stamp_of "$(python3 --version)" "$here/python/requirements.txt")
if [ "$(cat "$venv/.interop-stamp" 2>/dev/null)" != "$py_stamp" ]; then
    say "installing authlib, Flask and django-oauth-toolkit (pip, interop/python/requirements.txt) into interop/.venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    timeout 300 "$venv/bin/pip" install --disable-pip-version-check --quiet \
        -r "$here/python/requirements.txt" ||
        die "pip install -r interop/python/requirements.txt failed (PyPI must be reachable)"
    echo "$py_stamp" >"$venv/.interop-stamp"
fi
versions=$("$venv/bin/python" - <<'PY'
from importlib.metadata import version
import authlib, flask, django, oauth2_provider  # noqa: F401 (they must import)
print(", ".join(f"{name} {version(name)}" for name in ("authlib", "flask", "django-oauth-toolkit", "django")))
PY
) || die "authlib, Flask or django-oauth-toolkit does not import from interop/.venv"
say "oidc-provider $oidc_version, $versions"

# --- build the suite before any server runs ------------------------------------------
# No --locked: interop/Cargo.lock pins the suite's crates, but a change to
# cctoken's own dependencies must not break this run until someone updates it.
say "building the Rust suite (interop/Cargo.toml: cctoken with https-os-roots only)"
timeout "$test_timeout" cargo test --manifest-path "$here/Cargo.toml" --quiet --tests --no-run ||
    die "building the interop suite (interop/Cargo.toml) failed"
# The command, for the `--issuer` cases (HTTPS through SSL_CERT_FILE, as the
# suite's own build).
say "building the cctoken command (features cli, https-os-roots)"
timeout "$test_timeout" cargo build --manifest-path "$here/../Cargo.toml" --quiet \
    --no-default-features --features cli,https-os-roots --bin cctoken --target-dir "$here/target/cli" ||
    die "building the cctoken command failed"
export CCTOKEN_INTEROP_CLI="$here/target/cli/debug/cctoken"

# --- certificates --------------------------------------------------------------------
rm -rf "$work"
mkdir -p "$work/certs"
certs=$work/certs
ca() { # name common-name
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$certs/$1.key" -out "$certs/$1.pem" -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$work/openssl.log"
}
leaf() { # name issuer subjectAltName
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$certs/$1.key" -out "$certs/$1.csr" -subj "/CN=$1" 2>"$work/openssl.log" &&
        printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
            "extendedKeyUsage=serverAuth" "subjectAltName=$3" >"$certs/$1.ext" &&
        openssl x509 -req -in "$certs/$1.csr" -CA "$certs/$2.pem" -CAkey "$certs/$2.key" \
            -CAcreateserial -days 2 -extfile "$certs/$1.ext" -out "$certs/$1.pem" 2>"$work/openssl.log"
}
{
    # The CA the client trusts (the only one in SSL_CERT_FILE) and one it does not.
    ca ca "cctoken interop test CA" &&
        ca rogue-ca "cctoken interop untrusted CA" &&
        leaf localhost ca "DNS:localhost,IP:127.0.0.1" &&
        leaf otherhost ca "DNS:other.interop.test" &&
        leaf untrusted rogue-ca "DNS:localhost,IP:127.0.0.1" &&
        openssl verify -CAfile "$certs/ca.pem" "$certs/localhost.pem" "$certs/otherhost.pem" >/dev/null
} || die "generating certificates with openssl failed: $(cat "$work/openssl.log")"
say "certificates in $certs (test CA, untrusted CA, localhost/127.0.0.1, other.interop.test)"

# --- start the servers ------------------------------------------------------------------
start() { # name command...
    local name=$1
    shift
    "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
    say "started $name (pid $!, log interop/work/$name.log)"
}
start oidc-provider node "$here/node/server.mjs" "$here/clients.json" "$certs" "$work/oidc-provider.ready" "$ttl"
start authlib "$venv/bin/python" "$here/python/authlib_server.py" "$here/clients.json" "$certs" "$work/authlib.ready" "$ttl"
start dot "$venv/bin/python" "$here/python/dot_server.py" "$here/clients.json" "$certs" "$work/dot.ready" "$ttl"

names=(oidc-provider authlib dot)
deadline=$((SECONDS + start_timeout))
for i in "${!names[@]}"; do
    name=${names[$i]}
    until [ -s "$work/$name.ready" ]; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            tail -n 30 "$work/$name.log" >&2 || true
            die "$name exited during start-up (log above: interop/work/$name.log)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 30 "$work/$name.log" >&2 || true
            die "$name did not listen within $start_timeout s (log above)"
        fi
        sleep 0.2
    done
    say "$name ready: $(cat "$work/$name.ready")"
done

# One configuration for the suite: clients (key files as absolute paths),
# each server's ports and issuers, every key file, the test CA.
python3 - "$here" "$work" >"$work/config.json" <<'EOF' || die "writing interop/work/config.json failed"
import glob, json, os, sys
here, work = sys.argv[1:]
with open(f"{here}/clients.json") as f:
    clients = json.load(f)
for c in clients.values():
    if "key" in c:
        c["key"] = os.path.join(here, c["key"])
# test-only-dpop-es256.pem -> "dpop-es256", test-only-es384.sec1.pem -> "es384"
keys = {
    os.path.basename(p)[len("test-only-"):].split(".")[0]: p
    for p in sorted(glob.glob(f"{here}/keys/test-only-*.pem"))
}
servers = {}
for key, name in (("oidc_provider", "oidc-provider"), ("authlib", "authlib"), ("dot", "dot")):
    with open(f"{work}/{name}.ready") as f:
        servers[key] = json.load(f)
json.dump({"clients": clients, "servers": servers, "keys": keys, "ca": f"{work}/certs/ca.pem",
           "work": work, "results": f"{work}/results.txt"}, sys.stdout, indent=1)
EOF

# --- the servers proved by an independent client (PyJWT) ------------------------------------
prove_rc=0
if [ "${CCTOKEN_INTEROP_PROVE:-1}" != 0 ]; then
    say "proving the servers with python/prove_servers.py (PyJWT; metadata, RFC 7523, DPoP)"
    prove_started=$SECONDS
    timeout 120 "$venv/bin/python" "$here/python/prove_servers.py" "$work/config.json" || prove_rc=$?
    say "prove_servers.py: exit status $prove_rc, $((SECONDS - prove_started)) s"
fi

# --- the Rust suite ------------------------------------------------------------------------
say "cargo test --tests -- --ignored (SSL_CERT_FILE = the test CA): interop.rs (secrets), auth.rs (keys, DPoP, discovery)"
set +e
env -u SSL_CERT_DIR SSL_CERT_FILE="$certs/ca.pem" CCTOKEN_INTEROP_CONFIG="$work/config.json" \
    timeout "$test_timeout" cargo test --manifest-path "$here/Cargo.toml" --quiet \
    --tests -- --ignored --test-threads=16 "$@"
rc=$?
set -e
[ "$rc" -eq 124 ] && say "the Rust suite did not finish within $test_timeout s"

echo
echo "=== interop: what each server answered (interop/work/results.txt)"
sort "$work/results.txt" 2>/dev/null || echo "(no results recorded)"
echo
echo "=== interop: token endpoint requests per client, as each server counted them"
for i in "${!names[@]}"; do
    name=${names[$i]}
    port=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['ports']['http'])" "$work/$name.ready")
    echo "$name: $(python3 -c "import json,sys,urllib.request; print(json.dumps(json.load(urllib.request.build_opener(urllib.request.ProxyHandler({})).open('http://127.0.0.1:' + sys.argv[1] + '/_interop/stats', timeout=5))['token_requests'], sort_keys=True))" "$port" 2>&1)"
done

if [ "$rc" -ne 0 ] || [ "$prove_rc" -ne 0 ]; then
    say "logs: interop/work/oidc-provider.log, interop/work/authlib.log, interop/work/dot.log"
    [ "$prove_rc" -ne 0 ] && say "prove_servers.py failed (exit status $prove_rc; its table above, details in interop/work/prove/details.txt)"
    [ "$rc" -ne 0 ] && die "the interop suite failed (cargo test exit status $rc)"
    die "the servers were not proved (prove_servers.py)"
fi
say "all interop tests passed"
