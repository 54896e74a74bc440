#!/usr/bin/env bash
# The npm packages: the `bscred` launcher and one package per platform
# holding that platform's binary (npm/README.md says how they fit).
#
#   bash scripts/npm-pack.sh OUTDIR
#
# Writes into OUTDIR the tarballs `npm pack` makes of:
#   bscred                  the launcher (npm/bscred), every platform listed
#                           as an optional dependency at this version
#   @bscred/cli-linux-x64   the static musl build of x86_64 Linux
#   @bscred/cli-win32-x64   the x86_64 Windows build
# built here with scripts/dist.sh's toolchains (scripts/cross.sh). The
# darwin-x64, darwin-arm64 and linux-arm64 packages are made only by the
# release workflow (.github/workflows/release.yml), on machines that build
# those binaries: a platform package is never packed without its binary.
#
# BSCRED_NPM_BINARIES=DIR takes the binaries from DIR/<os>-<cpu>/bscred[.exe]
# instead of building them (the release workflow passes every platform's).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=scripts/cross.sh
source scripts/cross.sh

say() { printf '==> npm: %s\n' "$*" >&2; }
die() {
    printf 'error: npm: %s\n' "$*" >&2
    exit 1
}

(($# == 1)) || die "usage: npm-pack.sh OUTDIR"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"

# npm's names for each platform, the Rust target that builds it, and how
# the launcher and npm's os/cpu fields spell it.
platforms=(linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64)
declare -A rust_target=(
    [linux-x64]=x86_64-unknown-linux-musl
    [linux-arm64]=aarch64-unknown-linux-musl
    [darwin-x64]=x86_64-apple-darwin
    [darwin-arm64]=aarch64-apple-darwin
    [win32-x64]=x86_64-pc-windows-gnu
)
# What this machine builds; the rest come from the release workflow.
built_here=(linux-x64 win32-x64)

binary_for() {
    local platform="$1" exe=bscred
    [[ "$platform" == win32-* ]] && exe=bscred.exe
    if [[ -n "${BSCRED_NPM_BINARIES:-}" ]]; then
        local given="$BSCRED_NPM_BINARIES/$platform/$exe"
        [[ -f "$given" ]] && printf '%s\n' "$given"
        return 0
    fi
    local p
    for p in "${built_here[@]}"; do
        [[ "$p" == "$platform" ]] && cross_release "${rust_target[$platform]}" && return 0
    done
    return 0
}

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

pack() {
    (cd "$1" && npm pack --silent --pack-destination "$out" >/dev/null)
}

packed=()
for platform in "${platforms[@]}"; do
    binary="$(binary_for "$platform")"
    if [[ -z "$binary" ]]; then
        say "skipping @bscred/cli-$platform: its binary is built by the release workflow"
        continue
    fi
    os="${platform%-*}" cpu="${platform#*-}" exe=bscred
    [[ "$os" == win32 ]] && exe=bscred.exe
    dir="$stage/cli-$platform"
    mkdir -p "$dir"
    install -m 755 "$binary" "$dir/$exe"
    cp LICENSE "$dir/"
    cat >"$dir/package.json" <<JSON
{
  "name": "@bscred/cli-$platform",
  "version": "$version",
  "description": "The bscred binary for $os $cpu, installed by the bscred package",
  "license": "MIT",
  "homepage": "https://github.com/bscred/bscred",
  "repository": {
    "type": "git",
    "url": "git+https://github.com/bscred/bscred.git"
  },
  "os": ["$os"],
  "cpu": ["$cpu"],
  "files": ["$exe", "LICENSE"],
  "preferUnplugged": true
}
JSON
    printf '# @bscred/cli-%s\n\nThe bscred binary for %s %s (Rust target %s). Install the `bscred`\npackage instead: it picks this one on this platform.\n' \
        "$platform" "$os" "$cpu" "${rust_target[$platform]}" >"$dir/README.md"
    pack "$dir"
    packed+=("@bscred/cli-$platform")
done

# The launcher, at the same version, pinning each platform package to it.
launcher="$stage/bscred"
cp -R npm/bscred "$launcher"
cp LICENSE "$launcher/"
node - "$launcher/package.json" "$version" <<'JS'
const fs = require('node:fs');
const [file, version] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
pkg.version = version;
for (const name of Object.keys(pkg.optionalDependencies)) pkg.optionalDependencies[name] = version;
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
JS
pack "$launcher"
packed+=(bscred)
say "packed ${packed[*]} ($version) into $out"
