#!/usr/bin/env bash
# Footprint of a one-shot token fetch: the `cctoken` command (feature `cli`)
# and `examples/fetch.rs` against `benches/footprint/baseline` (the same job
# done with minreq + miniserde + rustls/ring directly), all built with the
# size profile.
#
#   benches/footprint/run.sh            build, measure, print the tables
#   RUNS=501 benches/footprint/run.sh   runs per program and endpoint (default 201, >= 15)
#   benches/footprint/run.sh --strict   also exit 1 when a target is missed
#
# Sizes and crate counts for x86_64 (rustup toolchain), aarch64 and armv7
# (Debian's toolchain, see .ci/cross.sh / CROSS.md); run time on x86_64 only, against
# loopback HTTP and HTTPS endpoints (benches/footprint/server.py). Timing
# uses hyperfine (wall, user+sys CPU), peak RSS uses GNU time; the programs
# alternate run by run. Installs hyperfine, time and the cross toolchain
# when missing (needs root then). Contacts only 127.0.0.1.
set -u
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-201}
STRICT=0
[ "${1:-}" = --strict ] && STRICT=1
((RUNS >= 15)) || { echo "RUNS must be at least 15" >&2; exit 2; }

W=target/footprint
BIN=$W/bin
BASE=benches/footprint/baseline/Cargo.toml
HOST_CARGO=${HOST_CARGO:-$HOME/.cargo/bin/cargo}
[ -x "$HOST_CARGO" ] || HOST_CARGO=cargo
CROSS=(aarch64 armv7)
export CARGO_TERM_COLOR=never

die() {
    echo "!!! footprint: $*" >&2
    exit 1
}

# --- tools ---------------------------------------------------------------
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    echo "--- installing ${missing[*]}"
    apt-get update -qq || echo "!!! apt-get update failed; trying the old package lists"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
        die "cannot install ${missing[*]}"
fi
for t in "${CROSS[@]}"; do
    .ci/cross.sh "$t" --install-only >/dev/null || die "cannot install the $t toolchain (.ci/cross.sh $t --install-only)"
done
command -v openssl >/dev/null || die "openssl is missing"
command -v python3 >/dev/null || die "python3 is missing"

# --- builds --------------------------------------------------------------
mkdir -p "$BIN"
rm -f "$BIN"/* "$W"/sizes.tsv

host_cargo() { env -u RUSTC -u RUSTDOC -u RUSTUP_TOOLCHAIN CARGO_TARGET_DIR=$W/x86_64 "$HOST_CARGO" "$@"; }
# triple NAME: the Rust target of x86_64, aarch64 or armv7.
triple() {
    case $1 in
    x86_64) echo x86_64-unknown-linux-gnu ;;
    aarch64) echo aarch64-unknown-linux-gnu ;;
    armv7) echo armv7-unknown-linux-gnueabihf ;;
    esac
}
# Debian's cargo for a cross target, each target in its own directory.
aarch64_cargo() {
    env CARGO_TARGET_DIR=$W/aarch64 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
        CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
        /usr/bin/cargo "$@"
}
armv7_cargo() {
    env CARGO_TARGET_DIR=$W/armv7 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
        CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER=arm-linux-gnueabihf-gcc \
        CC_armv7_unknown_linux_gnueabihf=arm-linux-gnueabihf-gcc \
        /usr/bin/cargo "$@"
}

# Unique name+version pairs in `cargo tree -e normal` for the target (the
# program's own package included).
count_crates() {
    local cargo=$1 out
    shift
    out=$("$cargo" tree --locked -e normal --prefix none "$@") || return 1
    awk 'NF { print $1, $2 }' <<<"$out" | sort -u | wc -l
}

# Bytes of the sections loaded into memory (code, data, tables), without the
# padding the linker puts between segments: on aarch64 segments are aligned
# to 64 KiB in the file, so file sizes move in 64 KiB steps (armv7: 4 KiB).
alloc_bytes() {
    python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:4] == b"\x7fELF" and data[5] == 1, "not a little-endian ELF file"
if data[4] == 2:  # 64-bit
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    fields = "<IIQQQQ"
else:  # 32-bit (armv7)
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    fields = "<IIIIII"
total = 0
for i in range(shnum):
    _, sh_type, sh_flags, _, _, sh_size = struct.unpack_from(fields, data, shoff + i * shentsize)
    if sh_flags & 2 and sh_type != 8:  # SHF_ALLOC, not SHT_NOBITS
        total += sh_size
print(total)
EOF
}

# build LABEL TARGET CONFIG: builds one program, copies it to $BIN and
# records its size and crate count.
build() {
    local prog=$1 target=$2 config=$3 cargo triple dir out crates
    local feat=()
    [ "$config" = os-roots ] && feat=(--no-default-features --features https-os-roots)
    triple=$(triple "$target")
    if [ "$target" = x86_64 ]; then
        cargo=host_cargo dir=$W/x86_64
    else
        cargo=${target}_cargo dir=$W/$target/$triple
    fi
    local what=() manifest=()
    case $prog in
    cctoken)
        what=(--bin cctoken)
        if [ "$config" = os-roots ]; then feat=(--no-default-features --features cli,https-os-roots); else feat=(--features cli); fi
        ;;
    fetch) what=(--example fetch) ;;
    fetch_jwt) what=(--example fetch_jwt) ;;
    fetch_dpop) what=(--example fetch_dpop) ;;
    baseline) manifest=(--manifest-path "$BASE") ;;
    esac
    echo "--- build $prog $target $config"
    local tflag=()
    [ "$target" = x86_64 ] || tflag=(--target "$triple")
    "$cargo" build --locked --quiet --profile size "${manifest[@]}" "${tflag[@]}" "${what[@]}" "${feat[@]}" ||
        die "build of $prog for $target ($config) failed"
    case $prog in
    cctoken) out=$dir/size/cctoken ;;
    fetch) out=$dir/size/examples/fetch ;;
    fetch_jwt) out=$dir/size/examples/fetch_jwt ;;
    fetch_dpop) out=$dir/size/examples/fetch_dpop ;;
    baseline) out=$dir/size/footprint-baseline ;;
    esac
    cp "$out" "$BIN/$prog.$target.$config" || die "no binary at $out"
    crates=$(count_crates "$cargo" "${manifest[@]}" --target "$triple" "${feat[@]}") ||
        die "cargo tree failed for $prog"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$prog" "$target" "$config" \
        "$(stat -c %s "$BIN/$prog.$target.$config")" "$crates" \
        "$(alloc_bytes "$BIN/$prog.$target.$config")" >>"$W/sizes.tsv"
}

echo "--- host: $(env -u RUSTC "$HOST_CARGO" -V) / $(env -u RUSTC rustc -V 2>/dev/null)"
echo "--- aarch64, armv7: $(/usr/bin/cargo -V) / $(/usr/bin/rustc -V)"
PROGS=(cctoken fetch baseline)
# Measured for size only: the one-shot fetch with private_key_jwt (ES256),
# and with a secret and DPoP (ES256).
SIZE_ONLY=(fetch_jwt fetch_dpop)
for target in x86_64 "${CROSS[@]}"; do
    for prog in "${PROGS[@]}" "${SIZE_ONLY[@]}"; do
        build $prog $target default
    done
done
for prog in "${PROGS[@]}"; do
    build $prog x86_64 os-roots
done

# --- loopback endpoints --------------------------------------------------
TLS=$W/tls
rm -rf "$TLS"
mkdir -p "$TLS"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=cctoken footprint test CA" -keyout "$TLS/ca.key" -out "$TLS/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null || die "cannot create the test CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null || die "cannot create the server key"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$TLS/ext"
openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" -CAcreateserial \
    -days 2 -extfile "$TLS/ext" -out "$TLS/server.pem" 2>/dev/null || die "cannot sign the server certificate"

pids=()
cleanup() {
    local p
    for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME ARGS...: starts server.py in the background (its pid in
# $pids for the trap) and waits until it has written its port to $W/NAME.port.
start_server() {
    local portfile=$W/$1.port
    shift
    rm -f "$portfile"
    python3 benches/footprint/server.py --port-file "$portfile" "$@" >"$portfile.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        [ -s "$portfile" ] && return 0
        sleep 0.1
    done
    cat "$portfile.log"
    return 1
}
start_server http || die "the HTTP server did not start"
start_server https --cert "$TLS/server.pem" --key "$TLS/server.key" || die "the HTTPS server did not start"
http_port=$(cat "$W/http.port")
https_port=$(cat "$W/https.port")

# --- run time ------------------------------------------------------------
export SSL_CERT_FILE=$TLS/ca.pem
unset SSL_CERT_DIR TOKEN_URL CLIENT_ID CLIENT_SECRET CCTOKEN_CLIENT_SECRET_FILE CCTOKEN_SCOPE CCTOKEN_AUDIENCE
M=$W/measure
rm -rf "$M"
mkdir -p "$M"

# measure ENDPOINT URL CONFIG: every program fetches from URL, RUNS times
# each; the order rotates run by run so that none always goes first. The
# credentials come from the environment (the command never takes the secret
# as an argument; the others get the same treatment).
measure() {
    local ep=$1 url=$2 config=$3 i j p got order n=${#PROGS[@]}
    export TOKEN_URL=$url CCTOKEN_TOKEN_URL=$url CLIENT_ID=footprint-id CCTOKEN_CLIENT_ID=footprint-id
    export CLIENT_SECRET='footprint s3cret&=+' CCTOKEN_CLIENT_SECRET='footprint s3cret&=+'
    for p in "${PROGS[@]}"; do
        got=$("$BIN/$p.x86_64.$config") || die "$p failed against $url"
        [ "$got" = footprint-token ] || die "$p printed '$got', not the token"
    done
    echo "--- $ep: $RUNS runs each, rotating the order ($url, $config builds)"
    for ((i = 1; i <= RUNS; i++)); do
        order=()
        for ((j = 0; j < n; j++)); do order+=("${PROGS[(i + j) % n]}"); done
        local cmds=()
        for p in "${order[@]}"; do cmds+=(-n "$p" "$BIN/$p.x86_64.$config"); done
        hyperfine -N --runs 1 --style none --export-json "$M/$ep.$i.json" "${cmds[@]}" \
            >/dev/null 2>"$M/hyperfine.err" || { cat "$M/hyperfine.err"; die "hyperfine failed ($ep, run $i)"; }
        for p in "${order[@]}"; do
            /usr/bin/time -a -o "$M/$ep.$p.rss" -f %M "$BIN/$p.x86_64.$config" >/dev/null ||
                die "$p failed under /usr/bin/time ($ep, run $i)"
        done
    done
    unset TOKEN_URL CCTOKEN_TOKEN_URL CLIENT_ID CCTOKEN_CLIENT_ID CLIENT_SECRET CCTOKEN_CLIENT_SECRET
}
measure http "http://127.0.0.1:$http_port/token" default
measure https "https://127.0.0.1:$https_port/token" os-roots

# --- report --------------------------------------------------------------
python3 - "$W/sizes.tsv" "$M" "$RUNS" "$STRICT" <<'EOF'
import json, statistics, sys, glob, os

sizes_file, mdir, runs, strict = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
verdicts = []

def check(ok, text):
    verdicts.append((ok, text))

sizes = {}
for line in open(sizes_file):
    prog, target, config, size, crates, loaded = line.split("\t")
    sizes[(prog, target, config)] = (int(size), int(crates), int(loaded))

TOOLS = (("cctoken", "the cctoken command"), ("fetch", "examples/fetch.rs"))
print()
print("Binary size (profile size: opt-level z, LTO, 1 CGU, panic=abort, strip) and crates in `cargo tree -e normal`")
print("(loaded: the bytes of the sections loaded into memory, without the padding between segments)")
print(f"{'program':10} {'target':8} {'config':9} {'bytes':>10} {'vs baseline':>12} {'loaded':>10} {'vs baseline':>12} {'crates':>7} {'vs baseline':>12}")
for (prog, target, config), (size, crates, loaded) in sizes.items():
    bsize, bcrates, bloaded = sizes[("baseline", target, config)]
    d = f"{size - bsize:+d}" if prog != "baseline" else ""
    dl = f"{loaded - bloaded:+d}" if prog != "baseline" else ""
    dc = f"{crates - bcrates:+d}" if prog != "baseline" else ""
    print(f"{prog:10} {target:8} {config:9} {size:>10} {d:>12} {loaded:>10} {dl:>12} {crates:>7} {dc:>12}".rstrip())
# Issues 11-14: the one-shot fetch with a secret grows by at most 2 KiB
# over ad71bc2's (the last release's figures, measured with this script);
# with private_key_jwt (ES256) it is at most 24 KiB over the fetch.
BEFORE = {"x86_64": (1409616, 1404437), "aarch64": (1250104, 1184321), "armv7": (949416, 945034)}
print()
print(f"{'program':10} {'target':8} {'bytes':>10} {'vs ad71bc2 fetch':>17} {'loaded':>10} {'vs ad71bc2':>11}   {'vs fetch':>9} {'loaded':>8}")
for target in ("x86_64", "aarch64", "armv7"):
    if ("fetch", target, "default") not in sizes:
        continue
    f = sizes[("fetch", target, "default")]
    b = BEFORE[target]
    print(f"{'fetch':10} {target:8} {f[0]:>10} {f[0] - b[0]:>+17} {f[2]:>10} {f[2] - b[1]:>+11}")
    check(f[0] - b[0] <= 2048, f"examples/fetch.rs, {target}: {f[0] - b[0]:+d} bytes vs ad71bc2 (target <= +2048)")
    j = sizes.get(("fetch_jwt", target, "default"))
    if j:
        print(f"{'fetch_jwt':10} {target:8} {j[0]:>10} {j[0] - b[0]:>+17} {j[2]:>10} {j[2] - b[1]:>+11}   {j[0] - f[0]:>+9} {j[2] - f[2]:>+8}")
        check(j[0] - f[0] <= 24 * 1024, f"examples/fetch_jwt.rs, {target}: {j[0] - f[0]:+d} bytes vs fetch (target <= +24576)")
        check(j[1] == f[1], f"examples/fetch_jwt.rs, {target}: {j[1] - f[1]:+d} crates vs fetch (target +0)")
    d = sizes.get(("fetch_dpop", target, "default"))
    if d:
        print(f"{'fetch_dpop':10} {target:8} {d[0]:>10} {d[0] - b[0]:>+17} {d[2]:>10} {d[2] - b[1]:>+11}   {d[0] - f[0]:>+9} {d[2] - f[2]:>+8}")
        check(d[1] == f[1], f"examples/fetch_dpop.rs, {target}: {d[1] - f[1]:+d} crates vs fetch (target +0)")
for prog, name in TOOLS:
    for target in ("x86_64", "aarch64", "armv7"):
        c, b = sizes[(prog, target, "default")], sizes[("baseline", target, "default")]
        check(c[0] - b[0] <= 64 * 1024, f"{name}, {target}: {c[0] - b[0]:+d} bytes vs baseline (target <= +65536)")
        check(c[1] - b[1] <= 2, f"{name}, {target}: {c[1] - b[1]:+d} crates vs baseline (target <= +2)")
        for other, limit in (("oauth2+ureq", 1767112), ("oauth2+reqwest", 2083696), ("ureq3+serde_json", 1653992)):
            check(c[0] < limit, f"{name}, {target}: {c[0]} bytes < {other} {limit}")

print()
print(f"One fetch on x86_64, whole process: medians of {runs} runs each, order rotating")
print(f"{'endpoint':8} {'program':9} {'wall ms':>8} {'ratio':>6} {'CPU ms':>7} {'ratio':>6} {'peak RSS KiB':>13} {'vs base':>8}   wall/CPU min..max")
for ep, limit in (("http", 1.05), ("https", 1.10)):
    wall, cpu, rss = {}, {}, {}
    for f in sorted(glob.glob(os.path.join(mdir, f"{ep}.*.json"))):
        for r in json.load(open(f))["results"]:
            wall.setdefault(r["command"], []).append(r["times"][0] * 1000)
            cpu.setdefault(r["command"], []).append((r["user"] + r["system"]) * 1000)
    for p in ("cctoken", "fetch", "baseline"):
        rss[p] = [int(x) for x in open(os.path.join(mdir, f"{ep}.{p}.rss")).read().split()]
    med = {k: {p: statistics.median(v[p]) for p in v} for k, v in (("wall", wall), ("cpu", cpu), ("rss", rss))}
    for p in ("cctoken", "fetch", "baseline"):
        rw = med["wall"][p] / med["wall"]["baseline"]
        rc = med["cpu"][p] / med["cpu"]["baseline"]
        dr = med["rss"][p] - med["rss"]["baseline"]
        print(f"{ep:8} {p:9} {med['wall'][p]:8.2f} {rw:6.3f} {med['cpu'][p]:7.2f} {rc:6.3f} {med['rss'][p]:13.0f} {dr:+8.0f}"
              f"   {min(wall[p]):.2f}..{max(wall[p]):.2f} / {min(cpu[p]):.2f}..{max(cpu[p]):.2f}")
    for p, name in TOOLS:
        rw = med["wall"][p] / med["wall"]["baseline"]
        rc = med["cpu"][p] / med["cpu"]["baseline"]
        dr = med["rss"][p] - med["rss"]["baseline"]
        check(rw <= limit, f"{name}, {ep}: wall {rw:.3f}x baseline (target <= {limit}x)")
        check(rc <= limit, f"{name}, {ep}: CPU {rc:.3f}x baseline (target <= {limit}x)")
        check(dr <= 256, f"{name}, {ep}: peak RSS {dr:+.0f} KiB vs baseline (target <= +256 KiB)")

print()
print("Targets")
for ok, text in verdicts:
    print(f"  {'met ' if ok else 'MISS'}  {text}")
missed = sum(1 for ok, _ in verdicts if not ok)
print(f"{len(verdicts) - missed} met, {missed} missed")
sys.exit(1 if strict and missed else 0)
EOF
