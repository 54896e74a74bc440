#!/usr/bin/env bash
# Build bscred's Debian package.
#
#   bash scripts/deb.sh        # writes target/debian/bscred_VERSION-1_ARCH.deb
#
# Packages BSCRED_DEB_BINARY when set (the release workflow passes the one
# it built), else builds the release binary with cargo (its target dir is
# kept in the cache below). Generates from it the man page and the bash,
# zsh and fish completions (into target/assets), a Debian changelog entry
# for the version, then runs `cargo deb --no-build` with the metadata in
# Cargo.toml. cargo-deb is installed into the CI cache when missing
# (${BSCRED_CI_CACHE:-~/.cache/bscred-ci}/bin). Prints the .deb's path last.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
cache="${BSCRED_CI_CACHE:-$HOME/.cache/bscred-ci}"
cargo_deb_version="3.8.0"

say() { printf '==> %s\n' "$*" >&2; }

if [[ ! -x "$cache/bin/cargo-deb" ]]; then
    say "installing cargo-deb $cargo_deb_version into $cache"
    cargo install cargo-deb --locked --version "$cargo_deb_version" --root "$cache" >&2
fi

binary="${BSCRED_DEB_BINARY:-}"
if [[ -z "$binary" ]]; then
    # In the cache, like the other release builds: CI runs in a fresh
    # clone, and a full optimised build with LTO is ten minutes of its time
    # where an incremental one is two.
    say "building the release binary (into $cache/target-release)"
    cargo build --release --locked --target-dir "$cache/target-release" >&2
    binary="$cache/target-release/release/bscred"
fi

assets=target/assets
rm -rf "$assets"
mkdir -p "$assets"
install -m 755 "$binary" "$assets/bscred"
bin="$assets/bscred"
"$bin" man | gzip -9n >"$assets/bscred.1.gz"
"$bin" completions bash >"$assets/bscred.bash"
"$bin" completions zsh >"$assets/_bscred"
"$bin" completions fish >"$assets/bscred.fish"
for doc in README.md docs/SECURITY.md; do
    gzip -9nc "$doc" >"$assets/$(basename "$doc").gz"
done
# The upstream changelog, under the name Debian gives it.
gzip -9nc docs/CHANGELOG.md >"$assets/changelog.gz"
# Not uploaded to Debian's archive, so there is no ITP bug for the first
# entry to close.
printf 'bscred: initial-upload-closes-no-bugs\n' >"$assets/lintian-overrides"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
# One entry for the packaged version; what changed is in docs/CHANGELOG.md,
# installed beside it.
{
    printf 'bscred (%s-1) unstable; urgency=medium\n\n' "$version"
    printf '  * Release %s; see /usr/share/doc/bscred/changelog.gz.\n\n' "$version"
    printf ' -- The bscred developers <bscred@users.noreply.github.com>  %s\n' \
        "$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} >"$assets/changelog"

say "packaging"
deb="$("$cache/bin/cargo-deb" --no-build --no-strip --output target/debian/ 2>&1 | tail -n1)"
[[ -f "$deb" ]] || {
    printf 'error: cargo-deb did not produce a package: %s\n' "$deb" >&2
    exit 1
}
printf '%s\n' "$deb"
