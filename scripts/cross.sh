# Sourced, not run: building bscred for targets the rustup toolchain here
# does not carry, with Debian's Rust (rustc-web, cargo-web, rust-web-src:
# Rust 1.96 and the standard library's sources) and -Zbuild-std.
#
#   source scripts/cross.sh
#   cross_install musl            # or windows: the Debian packages needed
#   cross_cargo build --release --target x86_64-unknown-linux-musl ...
#
# The native build stays on the rustup toolchain; only these builds use
# /usr/bin/cargo. Target dirs live in the CI cache, outside the clone:
# ${BSCRED_CI_CACHE:-~/.cache/bscred-ci}/target-<target>.

cross_cache="${BSCRED_CI_CACHE:-$HOME/.cache/bscred-ci}"
cross_build_std=(-Zbuild-std=std,panic_abort)

# Installs the Debian packages a kind of cross build needs, when missing.
cross_install() {
    local kind="$1" pkgs=(rustc-web cargo-web rust-web-src) need=(/usr/bin/cargo /usr/bin/rustc)
    case "$kind" in
    musl)
        # musl-gcc links; Debian's LLVM libunwind is the unwinder the musl
        # target's std links statically.
        pkgs+=(musl-tools libunwind-14-dev)
        need+=(musl-gcc /usr/lib/llvm-14/lib/libunwind.a)
        ;;
    windows)
        pkgs+=(gcc-mingw-w64-x86-64)
        need+=(x86_64-w64-mingw32-gcc)
        ;;
    *) return 1 ;;
    esac
    [[ -d /usr/lib/rustlib/src/rust/library ]] || need+=(/usr/lib/rustlib/src/rust/library)
    local missing=() n
    for n in "${need[@]}"; do
        if [[ "$n" == /* ]]; then [[ -e "$n" ]] || missing+=("$n"); else
            command -v "$n" >/dev/null 2>&1 || missing+=("$n")
        fi
    done
    ((${#missing[@]} == 0)) && return 0
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    printf '==> installing %s (missing: %s)\n' "${pkgs[*]}" "${missing[*]}" >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null
}

# Debian's cargo with a clean environment: nothing of rustup's leaks in,
# RUSTC_BOOTSTRAP allows -Zbuild-std, CARGO_HOME stays the user's so
# crates are downloaded once.
cross_cargo() {
    env -u RUSTUP_TOOLCHAIN -u RUSTC -u RUSTDOC -u RUSTC_WRAPPER \
        -u RUSTC_WORKSPACE_WRAPPER -u CARGO_BUILD_TARGET -u RUSTFLAGS \
        PATH=/usr/bin:/bin CARGO=/usr/bin/cargo RUSTC_BOOTSTRAP=1 \
        CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" \
        CC_x86_64_unknown_linux_musl=musl-gcc \
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=musl-gcc \
        /usr/bin/cargo "$@"
}

# The object that gives Debian's glibc-built libunwind the one glibc symbol
# it calls (scripts/musl/fortify.c), built once into the cache.
cross_musl_shim() {
    local dir="$cross_cache/musl-shim" src
    src="$(dirname "${BASH_SOURCE[0]}")/musl/fortify.c"
    if [[ ! -f "$dir/fortify.o" || "$src" -nt "$dir/fortify.o" ]]; then
        mkdir -p "$dir"
        musl-gcc -O2 -c -o "$dir/fortify.o" "$src"
    fi
    printf '%s\n' "$dir/fortify.o"
}

# Builds the release binary for `target` and prints its path.
# x86_64-unknown-linux-musl: a static executable (no PIE: musl-gcc links
# static PIE as dynamic), linked by musl-gcc against Debian's musl and LLVM
# libunwind instead of Rust's self-contained objects, which Debian lacks.
cross_release() {
    local target="$1" dir="$cross_cache/target-$1" extra=()
    shift
    case "$target" in
    x86_64-unknown-linux-musl)
        cross_install musl
        extra=(-C link-self-contained=no -C relocation-model=static
            -L native=/usr/lib/llvm-14/lib -C "link-arg=$(cross_musl_shim)")
        ;;
    x86_64-pc-windows-gnu) cross_install windows ;;
    *)
        printf 'error: no cross build for %s here\n' "$target" >&2
        return 1
        ;;
    esac
    # Further arguments go to rustc for the binary (`-C strip=none`).
    extra+=("$@")
    ((${#extra[@]} == 0)) || extra=(-- "${extra[@]}")
    cross_cargo rustc --release --locked --bin bscred "${cross_build_std[@]}" \
        --target "$target" --target-dir "$dir" "${extra[@]}" >&2
    local exe=bscred
    [[ "$target" == *windows* ]] && exe=bscred.exe
    printf '%s\n' "$dir/$target/release/$exe"
}
