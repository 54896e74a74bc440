//! Records what `bscred --version` and `bscred version --json` report
//! besides the package version: the commit the binary was built from and
//! the target it was built for, so a bug report names the exact build.
//!
//! The commit comes from `BSCRED_BUILD_COMMIT` when set (a release built
//! from a source archive), else from git when the source is a checkout,
//! else it is "unknown" (a crates.io build).
//!
//! Release builds for Linux also lay the daily path's code out together
//! (`link/hot-text.ld`, written by `bench/hot-text.sh`): the functions
//! `env` and `exec` run fill a dozen pages' worth of windows instead of
//! being spread over the whole binary, which saves `env` and `exec` about
//! 30 page faults at every start.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BSCRED_BUILD_COMMIT");
    let commit = std::env::var("BSCRED_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=BSCRED_COMMIT={commit}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=BSCRED_TARGET={target}");
    hot_text();
}

/// Hands `link/hot-text.ld` to the linker for the `bscred` binary of an
/// optimised Linux build. Both GNU ld and LLD read its `INSERT BEFORE
/// .text`; other platforms' linkers do not, nor do mold, wild or gold,
/// which a user may have chosen for every build (the layout is then left
/// out, not the build failed). A debug build's layout does not matter.
/// `BSCRED_NO_HOT_TEXT=1` leaves it out (to measure without it, and for
/// `bench/hot-text.sh`'s own build).
fn hot_text() {
    println!("cargo:rerun-if-changed=link/hot-text.ld");
    println!("cargo:rerun-if-env-changed=BSCRED_NO_HOT_TEXT");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux"
        || var("OPT_LEVEL") == "0"
        || !var("BSCRED_NO_HOT_TEXT").is_empty()
        || other_linker(&var("CARGO_ENCODED_RUSTFLAGS"), &var("RUSTC_LINKER"))
    {
        return;
    }
    let script = std::path::Path::new(&var("CARGO_MANIFEST_DIR")).join("link/hot-text.ld");
    if script.exists() {
        // `-T` and its path as two arguments, so a path with a comma or a
        // space reaches the linker whole.
        println!("cargo:rustc-link-arg-bin=bscred=-T");
        println!("cargo:rustc-link-arg-bin=bscred={}", script.display());
    }
}

/// The short hash of HEAD, watching the files that change when HEAD moves
/// (in a worktree too: `--git-path` finds them).
fn git_commit() -> Option<String> {
    let git = |args: &[&str]| {
        let out = Command::new("git").args(args).output().ok()?;
        out.status.success().then_some(())?;
        Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    // Only files that exist: cargo reruns the script on every build for a
    // watched file that is missing (a branch whose ref is packed).
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in &watched {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            && std::path::Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    Some(commit)
}

/// Whether the build links with something other than GNU ld or LLD: a
/// `-fuse-ld=` naming another, or a linker (`-C linker=…` in the flags,
/// `linker = "…"` in a cargo config) whose file name says mold, wild or
/// gold. Only those are looked at: a `target-cpu=goldmont` is no linker.
fn other_linker(rustflags: &str, linker: &str) -> bool {
    let named = |path: &str| {
        let name = path.rsplit('/').next().unwrap_or(path);
        ["mold", "wild", "gold"].iter().any(|l| name.contains(l))
    };
    rustflags.split('\x1f').any(|flag| {
        let fuse = flag
            .split_once("-fuse-ld=")
            .is_some_and(|(_, ld)| !matches!(ld, "lld" | "bfd"));
        fuse || flag
            .split_once("linker=")
            .is_some_and(|(_, path)| named(path))
    }) || named(linker)
}
