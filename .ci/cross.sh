#!/usr/bin/env bash
# Builds cctoken for aarch64 and runs its whole test suite under qemu-user,
# with Debian's Rust toolchain (the recipe in CROSS.md: the rustup toolchain
# here has only the x86-64 standard library).
#
#   .ci/cross.sh              install what is missing, then test
#   .ci/cross.sh --no-install   test only (fails if something is missing)
#   .ci/cross.sh --install-only install what is missing, then stop
#
# Installing needs root. The build goes to target/cross (never mix the
# Debian rustc's artefacts with the rustup ones). Exit status: 0 only if
# everything was installed, compiled and every test passed.
set -u
cd "$(dirname "$0")/.."

TARGET=aarch64-unknown-linux-gnu
PACKAGES=(rustc-web cargo-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu
    libc6-dev-arm64-cross qemu-user)
UPDATE_TRIES=5

loud() {
    echo
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!!! cross: $*"
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
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
        out=$(apt-get update 2>&1)
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
    local missing=() p
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        echo "--- dpkg --add-architecture arm64"
        dpkg --add-architecture arm64 || { loud "dpkg --add-architecture arm64 failed"; return 1; }
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
    apt_update
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; then
        loud "apt-get install ${missing[*]} FAILED"
        return 1
    fi
}

case "${1:-}" in
--no-install) ;;
--install-only) install_deps; exit ;;
"") install_deps || exit 1 ;;
*) echo "usage: $0 [--no-install | --install-only]" >&2; exit 2 ;;
esac
for tool in /usr/bin/cargo /usr/bin/rustc /usr/bin/rustdoc aarch64-linux-gnu-gcc qemu-aarch64; do
    command -v "$tool" >/dev/null || { loud "$tool is missing (run without --no-install, as root)"; exit 1; }
done
if [ ! -e /lib/ld-linux-aarch64.so.1 ]; then
    loud "the arm64 glibc (libc6:arm64, pulled in by libstd-rust-web-dev:arm64) is missing: qemu cannot run anything"
    exit 1
fi

# CROSS.md. No `-L` for qemu: with two arm64 glibcs present, any program
# that spawns a thread hangs at 100% CPU.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export CARGO_TARGET_DIR=target/cross
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export CARGO_TERM_COLOR=never
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER

echo "--- $(/usr/bin/rustc -V), $(/usr/bin/cargo -V), $(qemu-aarch64 --version | head -n 1)"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# One `cargo test` run, teed to $log; prints a per-binary summary and what
# failed. --locked: Cargo.lock must not be rewritten by this cargo.
run_tests() {
    local label=$1
    shift
    echo
    echo "=== cross $label: cargo test --locked --no-fail-fast --target $TARGET $*"
    /usr/bin/cargo test --locked --no-fail-fast --target "$TARGET" "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    echo
    echo "=== cross $label: per test binary (under qemu-aarch64)"
    awk '
        /^ *Running / { name = $2; if ($2 == "unittests") name = $3; next }
        /^ *Doc-tests / { name = "doctests " $2; next }
        /^test result:/ { sub(/;.*finished in/, "; ... in"); printf "    %-28s %s\n", name, $0 }
    ' "$log"
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

# tests/cli.rs runs the aarch64 `cctoken` binary as a child process. The
# test binary runs under qemu; the kernel cannot exec an aarch64 child
# without a binfmt_misc registration, so the test starts it through
# CLI_TEST_RUNNER (qemu-user passes the exec of the x86-64 qemu to the host).
CLI_TEST_RUNNER=$(command -v qemu-aarch64) run_tests cli --features cli --lib --test cli || status=1

echo
if [ $status -eq 0 ]; then
    echo "=== cross: all aarch64 tests passed under qemu"
else
    loud "aarch64 tests FAILED (see above)"
fi
exit $status
