#!/bin/sh
# bscred's installer for Linux and macOS.
#
#   curl -fsSL https://github.com/bscred/bscred/releases/latest/download/install.sh | sh
#
# Downloads the release archive for this machine, checks it against the
# release's SHA256SUMS (refusing anything that does not match), and puts
# `bscred` in ~/.local/bin (or $BSCRED_INSTALL_DIR). Installs nothing else
# and needs no root. Environment:
#   BSCRED_RELEASE_URL  where the release's files are (default: the latest
#                       GitHub release; a directory of a release for tests)
#   BSCRED_INSTALL_DIR  where to put the binary (default ~/.local/bin)
set -eu

release_url="${BSCRED_RELEASE_URL:-https://github.com/bscred/bscred/releases/latest/download}"
install_dir="${BSCRED_INSTALL_DIR:-$HOME/.local/bin}"

say() { printf 'bscred-install: %s\n' "$*" >&2; }
die() {
    printf 'bscred-install: error: %s\n' "$1" >&2
    [ -n "${2:-}" ] && printf 'bscred-install: hint: %s\n' "$2" >&2
    exit 1
}

# The release target for this machine: static musl builds on Linux, so
# any distribution's libc will do.
target() {
    os="$(uname -s)"
    arch="$(uname -m)"
    case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) die "there is no bscred build for the $arch processor" "build it from source: cargo install --locked bscred" ;;
    esac
    case "$os" in
    Linux) printf '%s-unknown-linux-musl\n' "$arch" ;;
    Darwin) printf '%s-apple-darwin\n' "$arch" ;;
    *) die "there is no bscred build for $os here" "on Windows, use install.ps1; elsewhere: cargo install --locked bscred" ;;
    esac
}

fetch() {
    if command -v curl >/dev/null 2>&1; then
        curl --proto '=https,file,http' -fsSL "$1" -o "$2"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$1"
    else
        die "neither curl nor wget is installed" "install one of them, then run this again"
    fi
}

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

case "$release_url" in
https://* | http://127.0.0.1:* | http://127.0.0.1/* | http://localhost:* | file://*) ;;
*) die "refusing to download from $release_url" "use an https:// address" ;;
esac

triple="$(target)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fetch "$release_url/SHA256SUMS" "$tmp/SHA256SUMS" ||
    die "cannot download $release_url/SHA256SUMS" "check the network, or set BSCRED_RELEASE_URL"
# The sums file names the archive: "HASH  bscred-VERSION-TARGET.tar.gz".
line="$(grep -E "^[0-9a-f]{64}  bscred-[0-9][0-9A-Za-z.+-]*-$triple\.tar\.gz\$" "$tmp/SHA256SUMS" | head -n 1 || true)"
[ -n "$line" ] || die "the release has no archive for $triple" "build it from source: cargo install --locked bscred"
want="${line%% *}"
archive="${line##* }"

say "downloading $archive"
fetch "$release_url/$archive" "$tmp/$archive" || die "cannot download $release_url/$archive"
got="$(sha256 "$tmp/$archive")"
[ "$got" = "$want" ] ||
    die "$archive does not match the release's SHA256SUMS (expected $want, got $got); nothing was installed" \
        "download again later; if it keeps failing, report it: the file may have been tampered with"

tar -xzf "$tmp/$archive" -C "$tmp"
dir="$tmp/${archive%.tar.gz}"
[ -x "$dir/bscred" ] || die "$archive holds no bscred binary"
"$dir/bscred" --version >/dev/null 2>&1 || die "the downloaded bscred does not run on this machine"

mkdir -p "$install_dir"
# Replace atomically: a running bscred keeps its old file.
cp "$dir/bscred" "$install_dir/.bscred.new"
chmod 755 "$install_dir/.bscred.new"
mv -f "$install_dir/.bscred.new" "$install_dir/bscred"
say "installed $("$install_dir/bscred" --version) into $install_dir"
case ":$PATH:" in
*":$install_dir:"*) ;;
*) say "add $install_dir to your PATH: echo 'export PATH=\"$install_dir:\$PATH\"' >> ~/.profile" ;;
esac
