#!/usr/bin/env bash
# Build bscred for Windows on Debian and run its Windows tests under Wine.
#
#   bash scripts/windows.sh
#
# Called by scripts/test.sh; runs on its own as well. What it does:
#   1. Installs what is missing with apt-get (after apt-get update):
#      rustc-web, cargo-web, rust-web-src and rust-web-clippy (Debian's
#      Rust 1.96 with the std sources, for -Zbuild-std), the mingw-w64
#      linker (gcc-mingw-w64-x86-64) and Wine (wine, wine64).
#   2. cargo clippy --target x86_64-pc-windows-gnu --all-targets -D warnings:
#      every cfg(windows) line is linted.
#   3. Builds bscred.exe, the library's unit tests and the Windows suite
#      (tests/windows/, docs/platforms.md), with Debian's cargo and
#      -Zbuild-std (RUSTC_BOOTSTRAP=1), into a target dir in the cache.
#   4. Builds the ProcessPrng stand-in DLL (scripts/wine/processprng.c:
#      Wine 8 lacks it and Rust's std needs it) and puts it beside the .exe
#      files, in a throwaway WINEPREFIX.
#   5. Runs `cargo test --lib` and `cargo test --test windows` with Wine
#      as the runner (CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER).
#   6. Wine only: a keychain item written before wineserver stops is read
#      back after it restarts (Wine keeps the Credential Manager in the
#      prefix's registry, saved when the server exits).
#
# Environment:
#   BSCRED_CI_CACHE=DIR   where the target dir and the DLL are kept
#                         (default ~/.cache/bscred-ci); a warm cache makes
#                         the build incremental.
#   CI=true               nothing is skipped: any failure fails the script.
set -euo pipefail

say() { printf '==> windows: %s\n' "$*"; }
die() {
    printf 'error: windows: %s\n' "$*" >&2
    exit 1
}

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
ci_cache="${BSCRED_CI_CACHE:-$HOME/.cache/bscred-ci}"
target=x86_64-pc-windows-gnu
target_dir="$ci_cache/target-windows"
out_dir="$target_dir/$target/debug"
wine=/usr/lib/wine/wine64

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bscred-windows.XXXXXX")"
wineserver_started=""
cleanup() {
    local rc=$?
    set +e
    # Stop this prefix's wineserver (and with it any process left in it).
    if [[ -n "$wineserver_started" ]]; then
        WINEPREFIX="$tmp/prefix" wineserver -k >/dev/null 2>&1
        WINEPREFIX="$tmp/prefix" wineserver -w >/dev/null 2>&1
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_s() { date +%s; }
start=$(now_s)
step() {
    say "$1 ($(($(now_s) - start)) s so far)"
}

# ------------------------------------------------------------ packages
install_missing() {
    local need=(/usr/bin/cargo /usr/bin/rustc /usr/bin/cargo-clippy
        /usr/lib/rustlib/src/rust/library/Cargo.lock
        /usr/bin/x86_64-w64-mingw32-gcc "$wine" /usr/bin/wineserver)
    local missing=() f
    for f in "${need[@]}"; do [[ -e "$f" ]] || missing+=("$f"); done
    ((${#missing[@]} == 0)) && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get"
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]}; run as root or install sudo"
        sudo=(sudo)
    fi
    local pkgs=(rustc-web cargo-web rust-web-src rust-web-clippy
        gcc-mingw-w64-x86-64 wine wine64)
    say "installing ${pkgs[*]} (missing: ${missing[*]})"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$tmp/apt.log" 2>&1 ||
        ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            "${pkgs[@]}" >>"$tmp/apt.log" 2>&1; then
        sed 's/^/    /' "$tmp/apt.log" >&2
        die "package installation failed"
    fi
    for f in "${need[@]}"; do [[ -e "$f" ]] || die "still missing after install: $f"; done
}

# Debian's cargo and rustc, not rustup's: a clean PATH, and RUSTC_BOOTSTRAP
# for -Zbuild-std. CARGO_HOME stays the user's, so crates are downloaded
# once for native and cross builds.
cross() {
    env -u RUSTUP_TOOLCHAIN -u RUSTC -u RUSTDOC -u RUSTC_WRAPPER \
        -u RUSTC_WORKSPACE_WRAPPER -u CARGO_BUILD_TARGET \
        PATH=/usr/bin:/bin CARGO=/usr/bin/cargo RUSTC_BOOTSTRAP=1 \
        CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" "$@"
}
build_std=(-Zbuild-std=std,panic_abort --target "$target" --target-dir "$target_dir" --locked)

# Wine for every .exe: quiet, a throwaway prefix, no Mono/Gecko install
# prompts, and the stand-in bcryptprimitives.dll ahead of Wine's own.
export WINEPREFIX="$tmp/prefix" WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n,b"

install_missing

step "cargo clippy --target $target --all-targets -- -D warnings"
cross /usr/bin/cargo-clippy clippy "${build_std[@]}" --all-targets -- -D warnings

step "building bscred.exe and the tests"
cross /usr/bin/cargo test --no-run "${build_std[@]}" --lib --test windows \
    >"$tmp/build.log" 2>&1 || {
    sed 's/^/    /' "$tmp/build.log" >&2
    die "the Windows build failed"
}
[[ -x "$out_dir/bscred.exe" ]] || die "$out_dir/bscred.exe was not built"

# ------------------------------------------------------------ Wine setup
dll="$ci_cache/wine/bcryptprimitives.dll"
if [[ ! -f "$dll" || scripts/wine/processprng.c -nt "$dll" || scripts/wine/processprng.def -nt "$dll" ]]; then
    step "building the ProcessPrng stand-in DLL"
    mkdir -p "$(dirname "$dll")"
    x86_64-w64-mingw32-gcc -O2 -shared -o "$dll.tmp" scripts/wine/processprng.c \
        scripts/wine/processprng.def -lbcrypt
    mv "$dll.tmp" "$dll"
fi
cp "$dll" "$out_dir/"
cp "$dll" "$out_dir/deps/"

step "creating a Wine prefix"
wineserver_started=1
"$wine" wineboot --init >"$tmp/wineboot.log" 2>&1 || {
    sed 's/^/    /' "$tmp/wineboot.log" >&2
    die "wineboot failed"
}
# The binary starts: its version matches the crate's, built for Windows.
version="$("$wine" "$out_dir/bscred.exe" --version | tr -d '\r')"
[[ "$version" == "bscred $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1) ("*", $target)" ]] ||
    die "bscred.exe --version said '$version'"

# ------------------------------------------------------------ the tests
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$wine"
step "unit tests (cargo test --lib under Wine)"
cross /usr/bin/cargo test "${build_std[@]}" --lib 2>&1 | tee "$tmp/unit.log"
step "the Windows suite (cargo test --test windows under Wine)"
cross /usr/bin/cargo test "${build_std[@]}" --test windows 2>&1 | tee "$tmp/suite.log"

# ------------------------------------------------------------ Wine only
# Not a Windows case (a real machine has no wineserver to restart): that
# Wine's Credential Manager, where the keychain cases ran, keeps an item
# once the server is gone, so the suite above tested a real store.
step "a keychain item survives a wineserver restart"
home="$tmp/persist home"
mkdir -p "$home"
win_home="Z:${home//\//\\}"
bscred() { BSCRED_HOME="$win_home" "$wine" "$out_dir/bscred.exe" "$@"; }
value="persist-$RANDOM$RANDOM-value"
bscred --backend keychain init >/dev/null 2>"$tmp/persist.err" ||
    { cat "$tmp/persist.err" >&2; die "init --backend keychain failed"; }
printf '%s' "$value" | bscred set PERSIST_CHECK --stdin --plain 2>"$tmp/persist.err" ||
    { cat "$tmp/persist.err" >&2; die "set failed"; }
wineserver -w # waits until the server has saved the registry and exited
got="$(bscred get -n PERSIST_CHECK 2>"$tmp/persist.err")" ||
    { cat "$tmp/persist.err" >&2; die "get after the restart failed"; }
[[ "$got" == "$value" ]] || die "after a wineserver restart the item reads '$got'"
bscred status | grep -q keychain || die "the profile is no longer on the keychain"
bscred profiles rm default --yes >/dev/null 2>&1 || die "profiles rm failed"

awk '/^test result:/ { for (i = 1; i <= NF; i++) {
        if ($(i + 1) ~ /^passed/) p += $i; if ($(i + 1) ~ /^failed/) f += $i;
        if ($(i + 1) ~ /^ignored/) s += $i } }
     END { printf "==> windows: %d passed, %d failed, %d ignored (unit tests and suite)\n", p, f, s;
           if (s > 0) exit 1 }' "$tmp/unit.log" "$tmp/suite.log" ||
    die "tests were ignored under Wine: every Windows test must run"
step "done"
