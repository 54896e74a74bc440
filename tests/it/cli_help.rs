//! Help text is user interface: every command's `--help` is pinned by a
//! snapshot, so a change shows up as a diff to read in review.

use crate::harness::Env;

const COMMANDS: [&str; 26] = [
    "init",
    "set",
    "get",
    "list",
    "rm",
    "import",
    "env",
    "exec",
    "status",
    "check",
    "verify",
    "rotate",
    "remind",
    "migrate",
    "recipients",
    "profiles",
    "identity",
    "passphrase",
    "unlock",
    "lock",
    "git-credential",
    "doctor",
    "completions",
    "man",
    "allow",
    "deny",
];

#[test]
fn help_texts_match_their_snapshots() {
    let env = Env::new();
    let top = env.ok(&["--help"]);
    insta::assert_snapshot!("help", top);
    for command in COMMANDS {
        let help = env.ok(&[command, "--help"]);
        insta::assert_snapshot!(format!("help_{command}"), help);
    }
}

#[test]
fn every_command_is_listed_in_the_top_level_help() {
    let env = Env::new();
    let top = env.ok(&["--help"]);
    for command in COMMANDS {
        assert!(
            top.lines().any(|l| l.trim_start().starts_with(command)),
            "{command} missing from --help"
        );
    }
}

#[test]
fn help_works_without_any_home_or_store() {
    // --help must not depend on resolving directories or opening a store.
    let env = Env::new();
    let out = env
        .cmd()
        .env_remove("HOME")
        .env_remove("BSCRED_HOME")
        .args(["set", "--help"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--stdin"));
}

#[test]
fn version_prints_the_crate_version() {
    let env = Env::new();
    assert_eq!(
        env.ok(&["--version"]),
        format!("bscred {}\n", env!("CARGO_PKG_VERSION"))
    );
}
