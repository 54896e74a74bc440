#!/usr/bin/env bash
# Benchmarks for the daily path (the targets in docs/benchmarks.md):
#   - `bscred exec -- true` and `bscred env` with 4 variables, against the
#     floor `env A=… B=… C=… D=… true`;
#   - the same with 1,000 variables;
#   - a passphrase-protected identity, with and without the session cache;
#   - peak RSS of `bscred exec -- true`;
#   - `bscred import` of 10,000 / 100,000 / 200,000-line dotenv files, which
#     must grow linearly with the file;
#   - the vault backend against the OpenBao dev server on loopback, when run
#     through `bash scripts/test.sh -- bash bench/run.sh` (which starts one).
# `bash bench/run.sh vault` runs only the vault section (with the 4-variable
# file profile and the floor beside it); `bash bench/run.sh scale` only the
# cost as the work grows (10, 1,000, 10,000 variables; two profiles merged);
# `bash bench/run.sh own` only a store bscred wrote (with its own stanza)
# against one `age` wrote; `bash bench/run.sh layout` the daily path's code
# laid out first (link/hot-text.ld) against a build without it (perf for
# the page-fault counts).
# Needs hyperfine and GNU time (`apt-get install -y hyperfine time`).
# Results go to stdout; copy the tables into docs/benchmarks.md.
# Against fnox, secretspec and dotenvx: `bash scripts/test.sh -- bash bench/peers.sh`
# (installs them into ~/.cache/bscred-bench; see its header).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"
for tool in hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install -y hyperfine time)" >&2; exit 1; }
done

cargo build --release --locked --quiet
bin="$PWD/target/release/bscred"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Two profiles: four variables shaped like a Backstage setup, and 1,000.
export BSCRED_HOME="$work/home" BSCRED_QUIET=1
cd "$work"
"$bin" init --backend file >/dev/null
"$bin" -p big init --backend file >/dev/null
token="github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"
printf '%s' "$token" | "$bin" set GITHUB_TOKEN --stdin
"$bin" set GITHUB_USERNAME octocat
"$bin" set USER_DISPLAY_NAME "Mona Lisa Octocat"
"$bin" set USER_EMAIL mona@example.com
{
    for i in $(seq 1 1000); do
        printf 'VAR_%04d=value-%04d-%s\n' "$i" "$i" "$token"
    done
} >big.env
"$bin" -p big import big.env >/dev/null

floor="env GITHUB_TOKEN=$token GITHUB_USERNAME=octocat USER_DISPLAY_NAME='Mona Lisa Octocat' USER_EMAIL=mona@example.com true"

# The vault backend: the same four variables in a KV v2 secret of the dev
# server scripts/test.sh started (loopback, in memory), read with its root
# token from the environment; `bao kv get` of the same secret beside it.
vault_section() {
    if [[ -z "${BSCRED_TEST_BAO_ADDR:-}" || -z "${BSCRED_TEST_BAO_TOKEN:-}" ]]; then
        echo "(no OpenBao server: vault benchmarks skipped; run through scripts/test.sh -- bash bench/run.sh)"
        return
    fi
    local path="secret/bscred-bench/$$-$(date +%s)"
    VAULT_TOKEN="$BSCRED_TEST_BAO_TOKEN" "$bin" -p vault init --backend vault \
        --vault-addr "$BSCRED_TEST_BAO_ADDR" --vault-path "$path" >/dev/null
    export VAULT_TOKEN="$BSCRED_TEST_BAO_TOKEN"
    printf '%s' "$token" | "$bin" -p vault set GITHUB_TOKEN --stdin
    "$bin" -p vault set GITHUB_USERNAME octocat
    "$bin" -p vault set USER_DISPLAY_NAME "Mona Lisa Octocat"
    "$bin" -p vault set USER_EMAIL mona@example.com
    local round
    for round in 1 2; do
        echo
        echo "## vault backend, 4 variables (round $round)"
        BAO_ADDR="$BSCRED_TEST_BAO_ADDR" BAO_TOKEN="$BSCRED_TEST_BAO_TOKEN" \
            hyperfine -N --warmup 20 --min-runs 200 --export-markdown "$work/vault-$round.md" \
            -n 'env A=… B=… C=… D=… true (floor)' "$floor" \
            -n 'bscred exec -- true (file)' "$bin exec -- true" \
            -n 'bscred -p vault exec -- true (vault)' "$bin -p vault exec -- true" \
            -n 'bscred -p vault env (vault)' "$bin -p vault env" \
            -n 'bao kv get (same secret)' "$BSCRED_TEST_BAO kv get -format=json $path" >/dev/null
        cat "$work/vault-$round.md"
    done
    rss=$(/usr/bin/time -f '%M' "$bin" -p vault exec -- true 2>&1 >/dev/null | tail -n 1)
    echo "- peak RSS, bscred -p vault exec -- true: $rss KiB"
    unset VAULT_TOKEN
}

# Cost as the work grows: 10, 1,000 and 10,000 variables for `exec`, `env`
# and one `set` (which rewrites the whole store), with peak RSS; and two
# profiles merged (`-p a -p b`) against one.
scale_section() {
    local n name
    for n in 10 1000 10000; do
        name="s$n"
        "$bin" -p "$name" init --backend file >/dev/null
        seq "$n" | awk -v t="$token" '{ printf "VAR_%05d=value-%05d-%s\n", $1, $1, t }' >"$work/$name.env"
        "$bin" -p "$name" import "$work/$name.env" >/dev/null
    done
    echo
    echo "## Cost as the work grows"
    hyperfine -N --warmup 5 --min-runs 30 --export-markdown "$work/scale.md" \
        -n 'env A=… B=… C=… D=… true (floor)' "$floor" \
        -n 'exec -- true, 10 variables' "$bin -p s10 exec -- true" \
        -n 'exec -- true, 1,000 variables' "$bin -p s1000 exec -- true" \
        -n 'exec -- true, 10,000 variables' "$bin -p s10000 exec -- true" \
        -n 'env, 10 variables' "$bin -p s10 env" \
        -n 'env, 1,000 variables' "$bin -p s1000 env" \
        -n 'env, 10,000 variables' "$bin -p s10000 env" \
        -n 'set, 10 variables' "$bin -p s10 set EXTRA one" \
        -n 'set, 1,000 variables' "$bin -p s1000 set EXTRA one" \
        -n 'set, 10,000 variables' "$bin -p s10000 set EXTRA one" \
        -n 'exec -- true, 4 + 10 variables (-p default -p s10)' "$bin -p default -p s10 exec -- true" >/dev/null
    cat "$work/scale.md"
    echo
    echo "Peak RSS (KiB):"
    for n in 10 1000 10000; do
        for args in "exec -- true" "env" "set EXTRA two"; do
            # shellcheck disable=SC2086
            echo "- $n variables, $args: $(/usr/bin/time -f '%M' "$bin" -p "s$n" $args 2>&1 >/dev/null | tail -n 1)"
        done
    done
}

# Medians of rounds of 500 hyperfine runs, one table row a round: the floor
# and each named command, in ms and × the floor. Arguments: a title, then
# name/command pairs.
rounds_table() {
    local rounds="${BSCRED_BENCH_ROUNDS:-5}" round title="$1"
    shift
    local commands=() name
    while (($#)); do
        name="$1" && commands+=(-n "$name" "$2") && shift 2
    done
    echo
    echo "## $title: medians of $rounds rounds of 500 (ms, and × the floor)"
    for round in $(seq "$rounds"); do
        hyperfine -N --warmup 30 --runs 500 --export-json "$work/rounds-$round.json" \
            -n floor "$floor" "${commands[@]}" >/dev/null 2>&1
        python3 - "$work/rounds-$round.json" "$round" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
median = {r["command"]: statistics.median(r["times"]) * 1000 for r in results}
floor = median.pop("floor")
cells = " | ".join(f"{name} {ms:.2f} ms {ms / floor:.2f}x" for name, ms in median.items())
print(f"| {sys.argv[2]} | floor {floor:.2f} ms | {cells} |")
PY
    done
}

# The own stanza (docs/file-format.md, "The header"): the same four
# variables in a store bscred wrote (it opens through the writer's
# `bscred-self` stanza) and in one `age -r` wrote (it takes the X25519
# Diffie-Hellman).
own_section() {
    local identity="$BSCRED_HOME/data/identity.txt"
    command -v age >/dev/null || { echo "(no age CLI: own-stanza benchmarks skipped)"; return; }
    "$bin" -p agewritten init --backend file >/dev/null
    age -d -i "$identity" "$BSCRED_HOME/data/profiles/default.age" |
        age -r "$(age-keygen -y "$identity")" -o "$work/agewritten.age"
    mv "$work/agewritten.age" "$BSCRED_HOME/data/profiles/agewritten.age"
    rounds_table "The own stanza" \
        'exec, own stanza' "$bin exec -- true" \
        'exec, store age wrote' "$bin -p agewritten exec -- true" \
        'env, own stanza' "$bin env" \
        'env, store age wrote' "$bin -p agewritten env"
}

# The code layout (link/hot-text.ld, docs/benchmarks.md "Code layout"):
# the release binary against one built without it, in a target dir of its
# own under ~/.cache/bscred-bench.
layout_section() {
    local plain_target="${BSCRED_BENCH_CACHE:-$HOME/.cache/bscred-bench}/target-no-hot-text"
    (cd "$repo" && BSCRED_NO_HOT_TEXT=1 cargo build --release --locked --quiet --target-dir "$plain_target")
    local plain="$plain_target/release/bscred"
    rounds_table "Code layout" \
        'exec, daily path first' "$bin exec -- true" \
        'exec, no layout' "$plain exec -- true" \
        'env, daily path first' "$bin env" \
        'env, no layout' "$plain env"
    # The same commands taking turns run by run (drift then lands on all of
    # them alike), with a Rust program that only sets the four variables
    # and execs `true`: what any Rust binary costs before doing anything.
    cat >"$work/exec_true.rs" <<'RS'
use std::os::unix::process::CommandExt;
fn main() {
    let error = std::process::Command::new("true")
        .env("GITHUB_TOKEN", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123")
        .env("GITHUB_USERNAME", "octocat")
        .env("USER_DISPLAY_NAME", "Mona Lisa Octocat")
        .env("USER_EMAIL", "mona@example.com")
        .exec();
    eprintln!("{error}");
    std::process::exit(126);
}
RS
    rustc -O -C strip=symbols -o "$work/exec-true" "$work/exec_true.rs"
    echo
    echo "## Code layout, taking turns: medians of ${BSCRED_BENCH_ROUNDS:-3} rounds of 1,500 (ms, and × the floor)"
    local round
    for round in $(seq "${BSCRED_BENCH_ROUNDS:-3}"); do
        python3 - "$round" "$floor" "$plain exec -- true" "$bin exec -- true" \
            "$plain env" "$bin env" "$work/exec-true" <<'PY'
import os, shlex, statistics, sys, time
round_, commands = sys.argv[1], sys.argv[2:]
argvs = [shlex.split(c) for c in commands]
null = os.open(os.devnull, os.O_WRONLY)
times = [[] for _ in argvs]
for run in range(1550):
    for i, argv in enumerate(argvs):
        start = time.perf_counter_ns()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, null, 1)])
        os.waitpid(pid, 0)
        if run >= 50:
            times[i].append((time.perf_counter_ns() - start) / 1e6)
medians = [statistics.median(t) for t in times]
cells = " | ".join(f"{m:.2f} ms {m / medians[0]:.2f}x" for m in medians[1:])
print(f"| {round_} | floor {medians[0]:.2f} ms | {cells} |")
PY
    done
    echo "(columns: exec without the layout, with it; env without, with; the Rust exec of true)"
    echo
    echo "Page faults (perf stat, 200 runs each):"
    local b args
    for b in "$bin" "$plain"; do
        for args in "exec -- true" "env"; do
            # shellcheck disable=SC2086
            echo "- $b $args: $(perf stat -r 200 -e page-faults -x, "$b" $args 2>&1 >/dev/null | cut -d, -f1)"
        done
    done
}

if [[ "${1:-}" == vault ]]; then
    vault_section
    exit 0
fi
if [[ "${1:-}" == own ]]; then
    own_section
    exit 0
fi
if [[ "${1:-}" == layout ]]; then
    layout_section
    exit 0
fi
if [[ "${1:-}" == scale ]]; then
    scale_section
    exit 0
fi

echo "## 4 variables"
hyperfine -N --warmup 20 --min-runs 300 --export-markdown "$work/four.md" \
    -n 'env A=… B=… C=… D=… true (floor)' "$floor" \
    -n 'bscred exec -- true' "$bin exec -- true" \
    -n 'bscred env' "$bin env" >/dev/null
cat "$work/four.md"

echo
echo "## 1,000 variables"
hyperfine -N --warmup 10 --min-runs 100 --export-markdown "$work/big.md" \
    -n 'bscred -p big exec -- true' "$bin -p big exec -- true" \
    -n 'bscred -p big env' "$bin -p big env" >/dev/null
cat "$work/big.md"

if [[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
    # Run through `bash scripts/test.sh -- bash bench/run.sh` for a private
    # unlocked gnome-keyring.
    BSCRED_BACKEND=keychain "$bin" -p kc init >/dev/null
    printf '%s' "$token" | "$bin" -p kc set GITHUB_TOKEN --stdin
    "$bin" -p kc set GITHUB_USERNAME octocat
    "$bin" -p kc set USER_DISPLAY_NAME "Mona Lisa Octocat"
    "$bin" -p kc set USER_EMAIL mona@example.com
    item=$(sed -n 's/^item = "\(.*\)"$/\1/p' "$BSCRED_HOME/config/profiles/kc.toml")
    echo
    echo "## Keychain (Secret Service, gnome-keyring), 4 variables"
    hyperfine -N --warmup 10 --min-runs 100 --export-markdown "$work/kc.md" \
        -n 'secret-tool lookup (same item)' "secret-tool lookup service bscred username $item" \
        -n 'bscred -p kc env (keychain)' "$bin -p kc env" \
        -n 'bscred -p kc exec -- true (keychain)' "$bin -p kc exec -- true" \
        -n 'bscred exec -- true (file)' "$bin exec -- true" >/dev/null
    cat "$work/kc.md"
    "$bin" -p kc migrate --to file >/dev/null 2>&1 || true
else
    echo
    echo "(no D-Bus session: keychain benchmarks skipped; run through scripts/test.sh -- bash bench/run.sh)"
fi

vault_section

# A passphrase-protected identity: unlocked once into the session cache
# (the kernel keyring), then without the cache, where every run pays scrypt.
pp="$work/pp"
printf 'bench passphrase\n' >"$work/passphrase" && chmod 600 "$work/passphrase"
BSCRED_HOME="$pp" "$bin" --passphrase-file "$work/passphrase" init --backend file --passphrase >/dev/null
printf '%s' "$token" | BSCRED_HOME="$pp" "$bin" set GITHUB_TOKEN --stdin
BSCRED_HOME="$pp" "$bin" set GITHUB_USERNAME octocat
BSCRED_HOME="$pp" "$bin" set USER_DISPLAY_NAME "Mona Lisa Octocat"
BSCRED_HOME="$pp" "$bin" set USER_EMAIL mona@example.com
echo
echo "## Passphrase-protected identity, 4 variables"
if BSCRED_QUIET= BSCRED_HOME="$pp" "$bin" --passphrase-file "$work/passphrase" unlock 2>&1 | grep -q minutes; then
    hyperfine -N --warmup 20 --min-runs 300 --export-markdown "$work/pp.md" \
        -n 'bscred exec -- true (plain identity)' "env BSCRED_HOME=$BSCRED_HOME $bin exec -- true" \
        -n 'bscred exec -- true (passphrase, unlocked: session cache)' "env BSCRED_HOME=$pp $bin exec -- true" >/dev/null
    cat "$work/pp.md"
else
    echo "(the kernel keyring is refused here: no session cache to measure)"
fi
mkdir -p "$pp/config" && echo 'unlock_minutes = 0' >"$pp/config/config.toml"
hyperfine -N --warmup 2 --runs 10 --export-markdown "$work/scrypt.md" \
    -n 'bscred --passphrase-file F exec -- true (no cache: scrypt every run)' \
    "env BSCRED_HOME=$pp $bin --passphrase-file $work/passphrase exec -- true" >/dev/null
cat "$work/scrypt.md"
rm "$pp/config/config.toml"
BSCRED_HOME="$pp" "$bin" lock >/dev/null

echo
echo "## import: time against file size"
for lines in 10000 100000 200000; do
    seq "$lines" | sed 's/.*/VAR_&=value-&/' >"$work/import-$lines.env"
done
hyperfine -N --warmup 1 --runs 5 --export-markdown "$work/import.md" \
    --prepare "sh -c 'rm -rf $work/imp && BSCRED_HOME=$work/imp $bin init --backend file'" \
    -n 'import 10,000 lines' "env BSCRED_HOME=$work/imp $bin import $work/import-10000.env" \
    -n 'import 100,000 lines' "env BSCRED_HOME=$work/imp $bin import $work/import-100000.env" \
    -n 'import 200,000 lines' "env BSCRED_HOME=$work/imp $bin import $work/import-200000.env" >/dev/null
cat "$work/import.md"

echo
echo "## Peak RSS (KiB)"
for args in "exec -- true" "-p big exec -- true" "env" "-p big env"; do
    # shellcheck disable=SC2086
    rss=$(/usr/bin/time -f '%M' "$bin" $args 2>&1 >/dev/null | tail -n 1)
    echo "- bscred $args: $rss"
done
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1024/1024) " GiB"}' /proc/meminfo), $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
