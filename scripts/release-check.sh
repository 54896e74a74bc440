#!/usr/bin/env bash
# The release checks: build what a release ships and try each piece here.
#
#   bash scripts/release-check.sh
#
# scripts/test.sh runs this after the tests, so CI (.ci/run) runs it too.
# Each step builds from this checkout and checks the result for real:
#   deb      scripts/deb.sh builds the .deb; lintian reports no error; the
#            package is unpacked into a throwaway root (dpkg-deb -x), every
#            path it should hold is checked, and the binary, its completions
#            and its man page are used from there.
#   crate    `cargo publish --dry-run`: the crate packages and builds as
#            crates.io would, and holds no tests, fuzz corpus or Node files.
#
# Tools it needs (lintian, man) are installed with apt-get when missing;
# cargo-deb goes into ${BSCRED_CI_CACHE:-~/.cache/bscred-ci}/bin.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

say() { printf '==> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bscred-release.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

need() {
    local missing=() cmd
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
    done
    ((${#missing[@]} == 0)) && return 0
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    say "installing ${missing[*]}"
    "${sudo[@]}" apt-get update -q >"$tmp/apt.log" 2>&1 &&
        "${sudo[@]}" apt-get install -y -q lintian man-db >>"$tmp/apt.log" 2>&1 ||
        {
            cat "$tmp/apt.log" >&2
            die "cannot install ${missing[*]}"
        }
}

# ------------------------------------------------------------------- deb
check_deb() {
    need lintian man
    local deb
    deb="$(bash scripts/deb.sh)"
    say "lintian $deb"
    # Warnings are shown; an error fails the release.
    lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1 |
        grep -v 'running with root privileges' || true
    lintian --fail-on error "$deb" >/dev/null 2>&1 || die "lintian reports errors in $deb"

    local root="$tmp/root"
    dpkg-deb -x "$deb" "$root"
    local path
    for path in usr/bin/bscred \
        usr/share/man/man1/bscred.1.gz \
        usr/share/bash-completion/completions/bscred \
        usr/share/zsh/vendor-completions/_bscred \
        usr/share/fish/vendor_completions.d/bscred.fish \
        usr/share/doc/bscred/copyright \
        usr/share/doc/bscred/changelog.gz \
        usr/share/doc/bscred/changelog.Debian.gz \
        usr/share/doc/bscred/README.md.gz; do
        [[ -s "$root/$path" ]] || die "the package has no $path"
    done
    [[ -x "$root/usr/bin/bscred" ]] || die "usr/bin/bscred is not executable"
    # Nothing outside /usr: no file a user's home or /etc would lose.
    local stray
    stray="$(dpkg-deb -c "$deb" | awk '{print $6}' | grep -v '^\./usr/' | grep -v '^\./$' || true)"
    [[ -z "$stray" ]] || die "the package installs outside /usr: $stray"

    local version
    version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
    "$root/usr/bin/bscred" --version | grep -q "^bscred $version (" ||
        die "the packaged binary does not say version $version"
    # The man page renders and describes the commands.
    MANWIDTH=80 man -l "$root/usr/share/man/man1/bscred.1.gz" 2>/dev/null |
        grep -Eq 'bscred +- +Keep +a +project' || die "the packaged man page does not render"
    # Each completion script loads in its shell.
    bash -c "source '$root/usr/share/bash-completion/completions/bscred' && complete -p bscred" \
        >/dev/null || die "the bash completions do not load"
    if command -v fish >/dev/null 2>&1; then
        fish -n "$root/usr/share/fish/vendor_completions.d/bscred.fish" ||
            die "the fish completions do not parse"
    fi
    if command -v zsh >/dev/null 2>&1; then
        zsh -n "$root/usr/share/zsh/vendor-completions/_bscred" ||
            die "the zsh completions do not parse"
    fi
    say "deb: $(basename "$deb") checked ($(du -h "$deb" | cut -f1))"
}

# ------------------------------------------------------------------ crate
check_crate() {
    say "cargo publish --dry-run"
    local list
    list="$(cargo package --list --locked --allow-dirty 2>/dev/null)"
    if grep -E '^(tests|fuzz|bench|scripts|\.ci|\.github)/|node_modules|package(-lock)?\.json' <<<"$list"; then
        die "the crate would ship files that belong only in the repository (above)"
    fi
    # --allow-dirty: CI checks out a commit, but generated files (target/)
    # and a developer's edits must not stop the check.
    cargo publish --dry-run --locked --allow-dirty >"$tmp/publish.log" 2>&1 || {
        cat "$tmp/publish.log" >&2
        die "cargo publish --dry-run failed"
    }
    say "crate: packages and builds ($(grep -o 'Packaged [0-9]* files' "$tmp/publish.log"))"
}

start=$SECONDS
check_deb
check_crate
say "release checks passed in $((SECONDS - start)) s"
