//! The keychain backend on Windows: the Credential Manager (Wine's, under
//! Wine). Each case has its own BSCRED_HOME, so its items have their own
//! account names, and removes its items when done.

use crate::harness::{Env, assert_code, text, token};

/// Deletes the profile (and so its Credential Manager item) at the end of
/// a case, even a failed one.
struct Cleanup<'a>(&'a Env);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["profiles", "rm", "default", "--yes"]);
    }
}

#[test]
fn a_keychain_profile_round_trips() {
    let env = Env::initialised("keychain");
    let _cleanup = Cleanup(&env);
    let secret = token(30);
    env.set("GITHUB_TOKEN", &secret, &[]);
    env.set("USER_EMAIL", "octo@example.com", &[]);
    assert_eq!(env.get("GITHUB_TOKEN"), secret);
    let status = env.ok(&["status"]);
    assert!(status.contains("keychain"), "{status}");
    let ps = env.ok(&["env", "--shell", "powershell"]);
    assert!(
        ps.contains(&format!("$env:GITHUB_TOKEN = '' + '{secret}'")),
        "{ps}"
    );
    // Nothing of the value reached a file.
    let home = env.home.as_ref().expect("home");
    for name in crate::harness::files(home) {
        let bytes = std::fs::read(home.join(&name)).expect("read");
        assert!(!String::from_utf8_lossy(&bytes).contains(&secret), "{name}");
    }
    env.ok(&["rm", "GITHUB_TOKEN"]);
    assert_code(&env.run(&["get", "GITHUB_TOKEN"]), 3, "get after rm");
    assert_eq!(env.get("USER_EMAIL"), "octo@example.com");
}

#[test]
fn a_profile_over_the_item_limit_is_refused_and_the_item_kept() {
    let env = Env::initialised("keychain");
    let _cleanup = Cleanup(&env);
    env.set("SMALL", "kept", &["--plain"]);
    // 3,000 bytes cannot fit in a 2,560-byte Credential Manager item.
    let big = "x".repeat(3000);
    let out = env.run_stdin(&["set", "BIG", "--stdin", "--plain"], big.as_bytes());
    assert_code(&out, 4, "set BIG (3,000 bytes) on the keychain");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("2560"), "the limit is not named: {stderr}");
    assert!(
        stderr.contains("file"),
        "no hint to the file backend: {stderr}"
    );
    assert!(!stderr.contains(&big[..100]), "the value was printed");
    assert_eq!(env.get("SMALL"), "kept");
    assert_code(&env.run(&["get", "BIG"]), 3, "get BIG");
}

#[test]
fn migrate_moves_a_profile_to_the_file_backend_and_back() {
    let env = Env::initialised("keychain");
    let _cleanup = Cleanup(&env);
    let secret = token(31);
    env.set("GITHUB_TOKEN", &secret, &[]);
    env.set("GITHUB_USERNAME", "octo", &[]);

    env.ok(&["migrate", "--to", "file"]);
    let home = env.home.as_ref().expect("home");
    assert!(home.join("data/profiles/default.age").is_file());
    assert!(env.ok(&["status"]).contains("file"));
    assert_eq!(env.get("GITHUB_TOKEN"), secret);
    // The profile now records the file backend: asking for the keychain
    // is an error, not an empty store.
    let out = env.run(&["--backend", "keychain", "get", "GITHUB_TOKEN"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());

    env.ok(&["migrate", "--to", "keychain"]);
    assert!(env.ok(&["status"]).contains("keychain"));
    assert_eq!(env.get("GITHUB_TOKEN"), secret);
    assert_eq!(env.get("GITHUB_USERNAME"), "octo");
}
