#!/usr/bin/env bash
# Type-check and lint bscred for macOS on Debian: every
# cfg(target_os = "macos") line, the library, the binary and the tests.
#
#   bash scripts/macos-check.sh
#
# Called by scripts/test.sh. Runs `cargo clippy --target
# x86_64-apple-darwin --all-targets -- -D warnings` with Debian's Rust 1.96
# (rustc-web, cargo-web, rust-web-src, rust-web-clippy; installed with
# apt-get when missing) and -Zbuild-std (RUSTC_BOOTSTRAP=1), since no
# macOS std is packaged. ring's build script wants a macOS C compiler; a
# check never links, so scripts/macos/cc stands in and writes empty
# objects. Running the macOS binary needs a Mac: the CI matrix does that.
#
# Environment: BSCRED_CI_CACHE=DIR keeps the target dir (default
# ~/.cache/bscred-ci/target-macos).
set -euo pipefail

say() { printf '==> macos: %s\n' "$*"; }
die() {
    printf 'error: macos: %s\n' "$*" >&2
    exit 1
}

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
ci_cache="${BSCRED_CI_CACHE:-$HOME/.cache/bscred-ci}"
target=x86_64-apple-darwin

need=(/usr/bin/cargo /usr/bin/rustc /usr/bin/cargo-clippy
    /usr/lib/rustlib/src/rust/library/Cargo.lock /usr/bin/ar)
missing=()
for f in "${need[@]}"; do [[ -e "$f" ]] || missing+=("$f"); done
if ((${#missing[@]} > 0)); then
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get"
    sudo=()
    ((EUID == 0)) || sudo=(sudo)
    pkgs=(rustc-web cargo-web rust-web-src rust-web-clippy binutils)
    say "installing ${pkgs[*]} (missing: ${missing[*]})"
    log="$(mktemp)"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 ||
        ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            "${pkgs[@]}" >>"$log" 2>&1; then
        sed 's/^/    /' "$log" >&2
        die "package installation failed"
    fi
    rm -f "$log"
    for f in "${need[@]}"; do [[ -e "$f" ]] || die "still missing after install: $f"; done
fi

start=$(date +%s)
say "cargo clippy --target $target --all-targets -- -D warnings"
env -u RUSTUP_TOOLCHAIN -u RUSTC -u RUSTDOC -u RUSTC_WRAPPER \
    -u RUSTC_WORKSPACE_WRAPPER -u CARGO_BUILD_TARGET \
    PATH=/usr/bin:/bin CARGO=/usr/bin/cargo RUSTC_BOOTSTRAP=1 \
    CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" \
    CC_x86_64_apple_darwin="$repo_root/scripts/macos/cc" \
    AR_x86_64_apple_darwin=/usr/bin/ar \
    /usr/bin/cargo-clippy clippy -Zbuild-std=std,panic_abort --target "$target" \
    --target-dir "$ci_cache/target-macos" --locked --all-targets -- -D warnings
say "done ($(($(date +%s) - start)) s)"
