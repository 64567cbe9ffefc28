#!/usr/bin/env bash
# Builds cctoken for 64-bit or 32-bit ARM Linux and runs its whole test
# suite (every test binary, the command's tests, the doctests) under
# qemu-user, with Debian's Rust toolchain (the recipe in CROSS.md: the
# rustup toolchain here has only the x86-64 standard library).
#
#   .ci/cross.sh [TARGET]                install what is missing, then test
#   .ci/cross.sh [TARGET] --no-install   test only (fails if something is missing)
#   .ci/cross.sh [TARGET] --install-only install what is missing, then stop
#
# TARGET is `aarch64` (aarch64-unknown-linux-gnu, the default) or `armv7`
# (armv7-unknown-linux-gnueabihf, 32-bit ARM with hardware float).
#
# Installing needs root. Each target builds into its own directory,
# target/cross-aarch64 or target/cross-armv7 (never mix the Debian rustc's
# artefacts with the rustup ones). Exit status: 0 only if everything was
# installed, compiled and every test passed; a step that cannot run fails
# loudly.
set -u
cd "$(dirname "$0")/.."

NAME=aarch64
MODE=test
for arg in "$@"; do
    case $arg in
    aarch64 | armv7) NAME=$arg ;;
    --no-install) MODE=no-install ;;
    --install-only) MODE=install-only ;;
    *)
        echo "usage: $0 [aarch64 | armv7] [--no-install | --install-only]" >&2
        exit 2
        ;;
    esac
done

case $NAME in
aarch64)
    DEB_ARCH=arm64
    TARGET=aarch64-unknown-linux-gnu
    GCC=aarch64-linux-gnu-gcc
    QEMU=qemu-aarch64
    LOADER=/lib/ld-linux-aarch64.so.1
    PACKAGES=(rustc-web cargo-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu
        libc6-dev-arm64-cross qemu-user)
    ;;
armv7)
    DEB_ARCH=armhf
    TARGET=armv7-unknown-linux-gnueabihf
    GCC=arm-linux-gnueabihf-gcc
    QEMU=qemu-arm
    LOADER=/lib/ld-linux-armhf.so.3
    PACKAGES=(rustc-web cargo-web libstd-rust-web-dev:armhf gcc-arm-linux-gnueabihf
        libc6-dev-armhf-cross qemu-user)
    ;;
esac
UPDATE_TRIES=5
INSTALL_TRIES=3

loud() {
    echo
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!!! cross $NAME: $*"
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
}

# CPU time (user + system, in seconds) of this script's finished children,
# into $CPU. `times` must run in this shell, not in a $(...) subshell.
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT
cpu_now() {
    times >"$TIMES"
    CPU=$(awk 'NR == 2 {
        split($1, u, /[ms]/); split($2, s, /[ms]/)
        printf "%.1f", u[1] * 60 + u[2] + s[1] * 60 + s[2]
    }' "$TIMES")
}
# Seconds of CPU since $1 (an earlier $CPU), into $SPENT.
cpu_since() {
    cpu_now
    SPENT=$(awk -v a="$CPU" -v b="$1" 'BEGIN { printf "%.1f", a - b }')
}

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# apt-get update, retried while a mirror is mid-sync ("File has unexpected
# size", "Mirror sync in progress?"): apt then exits non-zero or warns that
# index files failed to download.
apt_update() {
    local try out rc
    for ((try = 1; try <= UPDATE_TRIES; try++)); do
        out=$(apt-get -o DPkg::Lock::Timeout=600 update 2>&1)
        rc=$?
        if [ $rc -eq 0 ] && ! grep -qE '^(E|W): (Failed to fetch|Some index files failed)' <<<"$out"; then
            echo "--- apt-get update: ok (attempt $try)"
            return 0
        fi
        echo "--- apt-get update attempt $try/$UPDATE_TRIES failed (exit $rc):"
        grep -E '^(E|W):|unexpected size|Mirror sync' <<<"$out" | sed 's/^/    /'
        if ((try < UPDATE_TRIES)); then
            echo "--- retrying in $((try * 15)) s"
            sleep $((try * 15))
        fi
    done
    loud "apt-get update FAILED $UPDATE_TRIES times (mirror mid-sync?); installing from the old package lists"
    return 1
}

install_deps() {
    local missing=() p try
    if ! dpkg --print-foreign-architectures | grep -qx "$DEB_ARCH"; then
        echo "--- dpkg --add-architecture $DEB_ARCH"
        dpkg --add-architecture "$DEB_ARCH" || { loud "dpkg --add-architecture $DEB_ARCH failed"; return 1; }
    fi
    for p in "${PACKAGES[@]}"; do
        is_installed "$p" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "--- all packages present: ${PACKAGES[*]}"
        return 0
    fi
    echo "--- installing: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        loud "not root: cannot install ${missing[*]}"
        return 1
    fi
    # A mirror mid-sync can also break the download of a package (hash or
    # size mismatch, or an index that lost the foreign architecture's
    # packages): update and try again before giving up.
    for ((try = 1; try <= INSTALL_TRIES; try++)); do
        apt_update
        if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}"; then
            return 0
        fi
        echo "--- apt-get install attempt $try/$INSTALL_TRIES failed"
        ((try < INSTALL_TRIES)) && sleep 30
    done
    loud "apt-get install ${missing[*]} FAILED $INSTALL_TRIES times"
    return 1
}

START=$SECONDS
cpu_now
CPU0=$CPU
case $MODE in
install-only)
    install_deps
    exit
    ;;
test)
    install_deps || exit 1
    cpu_since "$CPU0"
    echo "--- install step: $((SECONDS - START)) s wall, $SPENT s CPU"
    ;;
esac
for tool in /usr/bin/cargo /usr/bin/rustc /usr/bin/rustdoc "$GCC" "$QEMU"; do
    command -v "$tool" >/dev/null || { loud "$tool is missing (run without --no-install, as root)"; exit 1; }
done
if [ ! -e "$LOADER" ]; then
    loud "the $DEB_ARCH glibc ($LOADER, from libc6:$DEB_ARCH, pulled in by libstd-rust-web-dev:$DEB_ARCH) is missing: qemu cannot run anything"
    exit 1
fi
if [ ! -d "/usr/lib/rustlib/$TARGET/lib" ]; then
    loud "Debian's standard library for $TARGET (libstd-rust-web-dev:$DEB_ARCH) is missing"
    exit 1
fi

# CROSS.md. No `-L` for qemu: with two glibcs of the target present (the
# cross one and the multiarch one), any program that spawns a thread hangs at
# 100% CPU.
ENV_TRIPLE=$(tr a-z- A-Z_ <<<"$TARGET")
export "CARGO_TARGET_${ENV_TRIPLE}_LINKER=$GCC"
export "CARGO_TARGET_${ENV_TRIPLE}_RUNNER=$QEMU"
export "CC_${TARGET//-/_}=$GCC"
export CARGO_TARGET_DIR=target/cross-$NAME
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export CARGO_TERM_COLOR=never
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER RUSTFLAGS CARGO_BUILD_TARGET

echo "--- $TARGET: $(/usr/bin/rustc -V), $(/usr/bin/cargo -V), $($QEMU --version | head -n 1)"

log=$(mktemp)
trap 'rm -f "$TIMES" "$log"' EXIT

# One `cargo test`, built first (--no-run) and then run, both teed to $log;
# prints the times, a per-binary summary and what failed. --locked:
# Cargo.lock must not be rewritten by this cargo.
run_tests() {
    local label=$1 t0 cpu0 rc
    shift
    echo
    echo "=== cross $NAME $label: cargo test --locked --no-fail-fast --target $TARGET $*"
    t0=$SECONDS
    cpu_now
    cpu0=$CPU
    /usr/bin/cargo test --locked --no-run --target "$TARGET" "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    cpu_since "$cpu0"
    echo "--- build: $((SECONDS - t0)) s wall, $SPENT s CPU"
    if [ "$rc" -eq 0 ]; then
        t0=$SECONDS
        cpu_now
        cpu0=$CPU
        /usr/bin/cargo test --locked --no-fail-fast --target "$TARGET" "$@" 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
        cpu_since "$cpu0"
        echo "--- tests under $QEMU: $((SECONDS - t0)) s wall, $SPENT s CPU"
        echo
        echo "=== cross $NAME $label: per test binary (under $QEMU)"
        awk '
            /^ *Running / { name = $2; if ($2 == "unittests") name = $3; next }
            /^ *Doc-tests / { name = "doctests " $2; next }
            /^test result:/ { sub(/;.*finished in/, "; ... in"); printf "    %-28s %s\n", name, $0; runs++ }
            END { if (runs == 0) print "    (no test binary ran)" }
        ' "$log"
        # A run that printed no result line ran nothing: never a pass.
        if [ "$rc" -eq 0 ] && ! grep -q '^test result: ok' "$log"; then
            loud "$label ran no test"
            rc=1
        fi
    fi
    if [ "$rc" -ne 0 ]; then
        loud "$label FAILED (cargo exit $rc)"
        echo "Failed tests:"
        grep -E '^test .* \.\.\. FAILED$|^---- .* stdout ----$' "$log" | sed 's/^/    /'
        echo "Failed targets / errors:"
        grep -E '^error(\[|:)|^    `--' "$log" | sed 's/^/    /'
        grep -q 'lock file .* needs to be updated\|cannot update the lock file' "$log" &&
            echo "    (Cargo.lock is out of date for $(/usr/bin/cargo -V): --locked refused to rewrite it)"
    fi
    return "$rc"
}

status=0
run_tests default-features || status=1

# tests/cli.rs runs the target's `cctoken` binary as a child process. The
# test binary runs under qemu; the kernel cannot exec an ARM child without a
# binfmt_misc registration, so the test starts it through CLI_TEST_RUNNER
# (qemu-user passes the exec of the x86-64 qemu to the host).
CLI_TEST_RUNNER=$(command -v "$QEMU") run_tests cli --features cli --lib --test cli || status=1

echo
cpu_since "$CPU0"
echo "=== cross $NAME: $((SECONDS - START)) s wall in all, $SPENT s CPU"
if [ $status -eq 0 ]; then
    echo "=== cross: all $NAME tests passed under $QEMU"
else
    loud "$NAME tests FAILED (see above)"
fi
exit $status
