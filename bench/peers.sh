#!/usr/bin/env bash
# bscred side by side with its peers (issue 18, docs/benchmarks.md "Against
# other tools"): the same four variables in each tool's closest equivalent
# of each bscred backend, `exec/run -- true` for all of them and the
# `env A=… B=… C=… D=… true` floor in ONE hyperfine run, repeated
# BSCRED_BENCH_ROUNDS times (default 3) so the spread is reported, not one
# noisy figure; then `bscred get` on a keychain profile against
# `secret-tool lookup` of the same item.
#
#   bash scripts/test.sh -- bash bench/peers.sh    # with the keychain rows
#   bash bench/peers.sh                            # file-like rows only
#   bash bench/peers.sh install                    # only install the tools
#
# The keychain rows need the private, unlocked gnome-keyring that
# scripts/test.sh starts (it exports DBUS_SESSION_BUS_ADDRESS and
# BSCRED_TEST_SECRET_SERVICE=1); without it they are skipped with a reason,
# so the user's own keyring is never written.
#
#   file     ↔ fnox's age provider, secretspec's dotenv provider (plain
#              text: it has no encrypted local file), dotenvx's encrypted .env
#   keychain ↔ fnox's keychain provider, secretspec's keyring provider
#
# The tools are installed once, only when missing, into
# ${BSCRED_BENCH_CACHE:-~/.cache/bscred-bench} (outside the clone):
#   fnox        cargo install --locked (1.44.0-1.46.0 do not resolve with
#               their lock file: it pins webpki-roots 1.0.11, which the
#               registry does not serve; fnox needs libudev-dev)
#   secretspec  cargo install --locked
#   dotenvx     npm install --prefix, pinned
# bscred itself is `cargo build --release --locked` (the default target).
# Everything the tools write (configs, keys, audit logs) lives in a temp dir
# with HOME and XDG_* pointed inside it, removed on exit.
#
# Needs hyperfine, python3, age-keygen, secret-tool, npm, cargo.
# Environment: BSCRED_BENCH_ROUNDS (3), BSCRED_BENCH_RUNS (60),
# BSCRED_BENCH_CACHE. The hyperfine JSON of each round is kept in
# CACHE/results/.
# This is a benchmark, not a test: CI and scripts/test.sh never run it.
set -euo pipefail

fnox_version=1.43.0
secretspec_version=0.21.1
dotenvx_version=2.38.2

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"
cache="${BSCRED_BENCH_CACHE:-$HOME/.cache/bscred-bench}"
rounds="${BSCRED_BENCH_ROUNDS:-3}"
runs="${BSCRED_BENCH_RUNS:-60}"
say() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'peers: %s\n' "$*" >&2
    exit 1
}

for tool in hyperfine python3 age-keygen npm cargo; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done

# ----------------------------------------------------------------- install
fnox="$cache/fnox/bin/fnox"
secretspec="$cache/secretspec/bin/secretspec"
dotenvx="$cache/dotenvx/node_modules/.bin/dotenvx"

# cargo install CRATE VERSION into CACHE/CRATE unless that version is there.
cargo_tool() {
    local crate="$1" version="$2" bin="$cache/$1/bin/$1" log="$cache/$1-$2.log"
    if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -qF "$version"; then
        return 0
    fi
    say "installing $crate $version into $cache/$crate (log: $log; a long compile)"
    mkdir -p "$cache"
    cargo install --locked --root "$cache/$crate" "$crate@$version" >"$log" 2>&1 && return 0
    say "cargo install --locked $crate@$version failed ($(grep -m 1 '^error' "$log")); its rows are skipped, see $log"
    return 1
}

install_tools() {
    if [[ "$(uname -s)" == Linux ]] && ! pkg-config --exists libudev 2>/dev/null &&
        [[ ! -e /usr/include/libudev.h ]]; then
        die "fnox needs libudev-dev (apt-get install -y libudev-dev)"
    fi
    cargo_tool fnox "$fnox_version" || have_fnox=""
    cargo_tool secretspec "$secretspec_version" || have_secretspec=""
    if [[ ! -x "$dotenvx" ]] || [[ "$("$dotenvx" --version 2>/dev/null)" != "$dotenvx_version" ]]; then
        say "installing @dotenvx/dotenvx $dotenvx_version into $cache/dotenvx"
        npm install --prefix "$cache/dotenvx" --no-audit --no-fund \
            "@dotenvx/dotenvx@$dotenvx_version" >"$cache/dotenvx.log" 2>&1 || {
            say "npm install @dotenvx/dotenvx@$dotenvx_version failed; its rows are skipped, see $cache/dotenvx.log"
            have_dotenvx=""
        }
    fi
    say "cargo build --release --locked (bscred)"
    cargo build --release --locked --quiet
}

have_fnox=1 have_secretspec=1 have_dotenvx=1
install_tools
[[ "${1:-}" == install ]] && exit 0
bscred="$repo/target/release/bscred"

# The keychain rows only ever run against the private keyring of
# scripts/test.sh, never the user's own.
keychain_reason=""
if [[ "${BSCRED_TEST_SECRET_SERVICE:-}" != 1 || -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
    keychain_reason="no private Secret Service: run through \`bash scripts/test.sh -- bash bench/peers.sh\`"
elif ! command -v secret-tool >/dev/null; then
    keychain_reason="secret-tool is missing"
elif ! dbus-send --session --reply-timeout=2000 --print-reply --dest=org.freedesktop.DBus \
    --type=method_call /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
    string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    keychain_reason="nobody owns org.freedesktop.secrets on $DBUS_SESSION_BUS_ADDRESS"
fi
[[ -z "$keychain_reason" ]] || say "keychain rows skipped: $keychain_reason"

# ------------------------------------------------------------------- setup
rustc_version="$(rustc --version)" # before HOME moves away from rustup's
work="$(mktemp -d "${TMPDIR:-/tmp}/bscred-peers.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/home" "$work/run"
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" \
    XDG_DATA_HOME="$work/home/.local/share" XDG_CACHE_HOME="$work/home/.cache" \
    XDG_STATE_HOME="$work/home/.local/state" XDG_RUNTIME_DIR="$work/run"
export BSCRED_HOME="$work/bscred" BSCRED_QUIET=1
unset FNOX_AGE_KEY FNOX_AGE_KEY_FILE SECRETSPEC_PROVIDER SECRETSPEC_PROFILE DOTENV_PRIVATE_KEY
cd "$work"

# The values of bench/run.sh.
token="github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"
names=(GITHUB_TOKEN GITHUB_USERNAME USER_DISPLAY_NAME USER_EMAIL)
values=("$token" octocat "Mona Lisa Octocat" mona@example.com)
floor="env GITHUB_TOKEN=$token GITHUB_USERNAME=octocat USER_DISPLAY_NAME='Mona Lisa Octocat' USER_EMAIL=mona@example.com true"

# Each tool's values go in through stdin (or a file), as a user would.
set_all() { # set_all CMD... : runs `printf VALUE | CMD... NAME` for each variable
    local i
    for i in "${!names[@]}"; do
        printf '%s' "${values[$i]}" | "$@" "${names[$i]}" >>"$work/setup.log" 2>&1 ||
            { cat "$work/setup.log" >&2; die "setting ${names[$i]} with $1 failed"; }
    done
}

# bscred: the default profile on the file backend, `kc` on the keychain.
"$bscred" init --backend file >/dev/null
set_all "$bscred" set --stdin

# fnox: one config per provider; the age identity in a key file of its own.
if [[ -n "$have_fnox" ]]; then
mkdir "$work/fnox"
age-keygen -o "$work/fnox/age.txt" 2>/dev/null
cat >"$work/fnox/age.toml" <<EOF
[providers.age]
type = "age"
recipients = ["$(age-keygen -y "$work/fnox/age.txt")"]
key_file = "$work/fnox/age.txt"
EOF
fnox_set() { # fnox_set CONFIG PROVIDER NAME (value on stdin)
    "$fnox" --config "$1" set --provider "$2" "$3"
}
set_all fnox_set "$work/fnox/age.toml" age
fi

# secretspec: the four variables declared once; the provider picks the store.
if [[ -n "$have_secretspec" ]]; then
mkdir "$work/secretspec"
{
    printf '[project]\nname = "bench"\nrevision = "1.0"\n\n[profiles.default]\n'
    for n in "${names[@]}"; do printf '%s = { description = "%s" }\n' "$n" "$n"; done
} >"$work/secretspec/secretspec.toml"
ss_file="$work/secretspec/secretspec.toml"
ss_dotenv="dotenv://$work/secretspec/.env"
secretspec_set() { # secretspec_set PROVIDER NAME (value on stdin)
    "$secretspec" --file "$ss_file" set --profile default --provider "$1" --from-file - "$2"
}
set_all secretspec_set "$ss_dotenv"
fi

# dotenvx: an encrypted .env, its private key in .env.keys beside it.
if [[ -n "$have_dotenvx" ]]; then
    mkdir "$work/dotenvx"
    # `set` writes .env.keys to the current directory, whatever -f says.
    for i in "${!names[@]}"; do
        (cd "$work/dotenvx" && "$dotenvx" set "${names[$i]}" "${values[$i]}") >>"$work/setup.log" 2>&1
    done
    grep -q '^GITHUB_TOKEN="encrypted:' "$work/dotenvx/.env" || die "dotenvx did not encrypt .env"
fi

if [[ -z "$keychain_reason" ]]; then
    BSCRED_BACKEND=keychain "$bscred" -p kc init >/dev/null
    set_all "$bscred" -p kc set --stdin
    # bscred keeps a profile in one item: service `bscred`, account from the profile file.
    kc_item=$(sed -n 's/^item = "\(.*\)"$/\1/p' "$BSCRED_HOME/config/profiles/kc.toml")
    [[ -n "$kc_item" ]] || die "no keychain item name in $BSCRED_HOME/config/profiles/kc.toml"

    if [[ -n "$have_fnox" ]]; then
        cat >"$work/fnox/keychain.toml" <<EOF
[providers.keychain]
type = "keychain"
service = "bscred-bench-fnox-$$"
EOF
        set_all fnox_set "$work/fnox/keychain.toml" keychain
    fi
    [[ -z "$have_secretspec" ]] || set_all secretspec_set keyring://
fi

# Every command must really hand out the four values before it is timed.
check() { # check LABEL CMD... : CMD must run `sh -c` with all four set
    local label="$1" out
    shift
    # The child writes to a file: some tools print their own lines on stdout.
    rm -f "$work/check.out"
    "$@" sh -c 'printf "%s|%s|%s|%s" "$GITHUB_TOKEN" "$GITHUB_USERNAME" "$USER_DISPLAY_NAME" "$USER_EMAIL" >"$0"' \
        "$work/check.out" >/dev/null 2>&1 || die "$label failed"
    out="$(cat "$work/check.out")"
    [[ "$out" == "$token|octocat|Mona Lisa Octocat|mona@example.com" ]] ||
        die "the child of $label did not get the four values (got ${#out} bytes)"
}

# ------------------------------------------------------------ the commands
# label|class|command (class: floor, file, keychain; the ratio column
# compares bscred's row of the same class).
rows=(
    "env A=… B=… C=… D=… true (floor)|floor|$floor"
    "bscred exec -- true (file)|file|$bscred exec -- true"
)
[[ -z "$have_fnox" ]] ||
    rows+=("fnox exec -- true (age)|file|$fnox --config $work/fnox/age.toml exec -- true")
[[ -z "$have_secretspec" ]] ||
    rows+=("secretspec run -- true (dotenv)|file|$secretspec --file $ss_file run --profile default --provider $ss_dotenv -- true")
[[ -z "$have_dotenvx" ]] ||
    rows+=("dotenvx run -- true (encrypted .env)|file|$dotenvx run -f $work/dotenvx/.env -- true")
if [[ -z "$keychain_reason" ]]; then
    rows+=("bscred exec -- true (keychain)|keychain|$bscred -p kc exec -- true")
    [[ -z "$have_fnox" ]] ||
        rows+=("fnox exec -- true (keychain)|keychain|$fnox --config $work/fnox/keychain.toml exec -- true")
    [[ -z "$have_secretspec" ]] ||
        rows+=("secretspec run -- true (keyring)|keychain|$secretspec --file $ss_file run --profile default --provider keyring:// -- true")
fi

for row in "${rows[@]}"; do
    IFS='|' read -r label class cmd <<<"$row"
    [[ "$class" == floor ]] && continue
    read -ra argv <<<"${cmd% true}"
    check "$label" "${argv[@]}"
done

# ---------------------------------------------------------------- versions
versions="$work/versions.txt"
{
    echo "bscred: $("$bscred" --version) ($(git -C "$repo" rev-parse --short HEAD), $(stat -c %s "$bscred") bytes)"
    [[ -z "$have_fnox" ]] || echo "fnox: $("$fnox" --version) (cargo install --locked)"
    [[ -z "$have_secretspec" ]] || echo "secretspec: $("$secretspec" --version) (cargo install --locked)"
    [[ -z "$have_dotenvx" ]] || echo "dotenvx: $("$dotenvx" --version) on node $(node --version)"
    echo "hyperfine: $(hyperfine --version)"
    echo "rustc: $rustc_version"
    if [[ -z "$keychain_reason" ]]; then
        echo "gnome-keyring: $(gnome-keyring-daemon --version 2>/dev/null | head -n 1)"
        echo "secret-tool: libsecret-tools $(dpkg-query -W -f='${Version}' libsecret-tools 2>/dev/null || echo '?')"
    fi
    echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$versions"

# ------------------------------------------------------------------ timing
results="$cache/results"
mkdir -p "$results"
stamp="$(date +%Y%m%d-%H%M%S)"
hf_args=()
for row in "${rows[@]}"; do
    IFS='|' read -r label class cmd <<<"$row"
    hf_args+=(-n "$label" "$cmd")
done
jsons=()
for ((round = 1; round <= rounds; round++)); do
    say "round $round of $rounds: ${#rows[@]} commands, $runs runs each"
    json="$results/peers-$stamp-$round.json"
    hyperfine -N --warmup 10 --runs "$runs" --style basic --export-json "$json" \
        "${hf_args[@]}" >"$work/hyperfine-$round.log" 2>&1 ||
        { cat "$work/hyperfine-$round.log" >&2; die "hyperfine failed"; }
    jsons+=("$json")
done

kc_jsons=()
if [[ -z "$keychain_reason" ]]; then
    for ((round = 1; round <= rounds; round++)); do
        say "keychain read, round $round of $rounds"
        json="$results/keychain-get-$stamp-$round.json"
        hyperfine -N --warmup 10 --runs "$runs" --style basic --export-json "$json" \
            -n "secret-tool lookup (same item)" "secret-tool lookup service bscred username $kc_item" \
            -n "bscred get GITHUB_TOKEN (keychain)" "$bscred -p kc get GITHUB_TOKEN" \
            >"$work/hyperfine-kc-$round.log" 2>&1 ||
            { cat "$work/hyperfine-kc-$round.log" >&2; die "hyperfine failed"; }
        kc_jsons+=("$json")
    done
fi

# ----------------------------------------------------------------- report
classes="$work/classes.txt"
for row in "${rows[@]}"; do
    IFS='|' read -r label class _ <<<"$row"
    printf '%s\t%s\n' "$label" "$class"
done >"$classes"

echo
echo "## Versions"
echo
sed 's/^/- /' "$versions"
[[ -z "$keychain_reason" ]] || printf -- '- keychain rows skipped: %s\n' "$keychain_reason"

python3 - "$classes" "${#jsons[@]}" "${jsons[@]}" "${kc_jsons[@]}" <<'PY'
import json, math, statistics, sys

classes = dict(line.rstrip("\n").split("\t") for line in open(sys.argv[1]))
n = int(sys.argv[2])
peer_files, kc_files = sys.argv[3:3 + n], sys.argv[3 + n:]

def load(path):
    return {r["command"]: (r["mean"] * 1e3, r["stddev"] * 1e3) for r in json.load(open(path))["results"]}

def ratio(a, sa, b, sb):
    r = a / b
    return r, r * math.sqrt((sa / a) ** 2 + (sb / b) ** 2)

rounds = [load(p) for p in peer_files]
labels = list(rounds[0])
floor_label = next(l for l in labels if classes[l] == "floor")

for i, res in enumerate(rounds, 1):
    f, sf = res[floor_label]
    base = {c: res[l][0] - f for l in labels for c in [classes[l]] if l.startswith("bscred ")}
    print(f"\n## Round {i}: exec/run -- true, 4 variables (mean ± σ; floor {f:.2f} ms)\n")
    print("| Command | Mean ± σ [ms] | × floor | cost over floor [ms] | bscred's cost ÷ this one's |")
    print("|:---|---:|---:|---:|---:|")
    for l in labels:
        m, s = res[l]
        r, sr = ratio(m, s, f, sf)
        over = m - f
        c = classes[l]
        vs = "" if c == "floor" or l.startswith("bscred ") or over <= 0 or c not in base else f"{base[c] / over:.3g}"
        print(f"| `{l}` | {m:.2f} ± {s:.2f} | {r:.2f} ± {sr:.2f} | {'' if c == 'floor' else f'{over:.2f}'} | {vs} |")

if len(rounds) > 1:
    print(f"\n## Spread over {len(rounds)} rounds (each value: min–max of the rounds' means)\n")
    print("| Command | mean [ms] | × floor | cost over floor [ms] | bscred's cost ÷ this one's |")
    print("|:---|---:|---:|---:|---:|")
    for l in labels:
        c = classes[l]
        means = [r[l][0] for r in rounds]
        ratios = [r[l][0] / r[floor_label][0] for r in rounds]
        overs = [r[l][0] - r[floor_label][0] for r in rounds]
        bl = next((b for b in labels if b.startswith("bscred ") and classes[b] == c), None)
        vs = ""
        if c != "floor" and bl and bl != l:
            q = [(r[bl][0] - r[floor_label][0]) / (r[l][0] - r[floor_label][0]) for r in rounds]
            vs = f"{min(q):.3g}–{max(q):.3g}"
        rng = lambda xs, p: f"{min(xs):.{p}f}–{max(xs):.{p}f}"
        print(f"| `{l}` | {rng(means, 2)} | {rng(ratios, 2)} | {'' if c == 'floor' else rng(overs, 2)} | {vs} |")

if kc_files:
    print("\n## Keychain read: bscred get against secret-tool lookup of the same item\n")
    print("| Round | secret-tool lookup [ms] | bscred get [ms] | bscred ÷ secret-tool |")
    print("|---:|---:|---:|---:|")
    for i, p in enumerate(kc_files, 1):
        res = load(p)
        (st, sst), = [v for k, v in res.items() if k.startswith("secret-tool")]
        (bg, sbg), = [v for k, v in res.items() if k.startswith("bscred")]
        r, sr = ratio(bg, sbg, st, sst)
        print(f"| {i} | {st:.2f} ± {sst:.2f} | {bg:.2f} ± {sbg:.2f} | {r:.2f} ± {sr:.2f} |")
PY
echo
echo "(hyperfine JSON: $results/*-$stamp-*.json)"
