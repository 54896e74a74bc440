//! The quick start from the README, end to end, and the promises around it:
//! values never shown unmasked, files private, `status` without decrypting.

use std::fs;
use std::process::Stdio;

use crate::harness::{Env, TOKEN, assert_fails};

#[test]
fn quick_start_round_trip() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    env.ok(&["set", "GITHUB_USERNAME", "octocat"]);
    env.ok(&["set", "USER_EMAIL", "mona@example.com"]);

    assert_eq!(env.ok(&["get", "GITHUB_TOKEN"]), format!("{TOKEN}\n"));
    assert_eq!(env.get("GITHUB_USERNAME"), "octocat");

    let list = env.ok(&["list"]);
    assert!(!list.contains(TOKEN), "list must mask secrets:\n{list}");
    assert!(list.contains("ghp_…RQZV"), "{list}");
    assert!(list.contains("octocat"));

    let json = env.list_json();
    assert_eq!(json["profile"], "default");
    assert_eq!(json["backend"], "file");
    let vars = json["variables"].as_array().expect("array");
    let token = vars
        .iter()
        .find(|v| v["name"] == "GITHUB_TOKEN")
        .expect("token");
    assert_eq!(token["secret"], true);
    assert_eq!(token["preview"], "ghp_…RQZV");
    assert_eq!(token["created_at"], "2026-06-01T12:00:00Z");

    env.ok(&["rm", "USER_EMAIL"]);
    assert_fails(&env.run(&["get", "USER_EMAIL"]), 3);
    let names: Vec<String> = env.list_json()["variables"]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(names, ["GITHUB_TOKEN", "GITHUB_USERNAME"]);
}

#[test]
fn no_file_outside_the_encrypted_store_holds_a_value() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    env.ok(&["list"]);
    for (path, bytes) in env.files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(TOKEN), "{} holds the token", path.display());
        assert!(
            !text.contains("R4nd0m"),
            "{} holds part of it",
            path.display()
        );
    }
}

#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let mode = |p: &std::path::Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    for (path, _) in env.files() {
        if path.starts_with(&env.bscred_home) {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| d.starts_with(&env.bscred_home)) {
                assert_eq!(mode(d), 0o700, "{}", d.display());
                dir = d.parent();
            }
        }
    }
}

#[test]
fn status_reads_metadata_only_and_notices_a_changed_store() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    env.ok(&["set", "GITHUB_TOKEN", "--stdin", "--expires", "2026-06-10"]);
    let store = env.store_path();
    let old_store = fs::read(&store).expect("read");
    env.ok(&["set", "GITHUB_USERNAME", "octocat"]);

    // Without the identity nothing can be decrypted, yet status works.
    let identity = env.identity_path();
    let saved = identity.with_extension("away");
    fs::rename(&identity, &saved).expect("move identity away");
    let status: serde_json::Value =
        serde_json::from_str(&env.ok(&["status", "--json"])).expect("json");
    assert_eq!(status["metadata_current"], true);
    let vars = status["variables"].as_array().expect("array");
    assert_eq!(vars.len(), 2);
    assert_eq!(vars[0]["expires_at"], "2026-06-10T00:00:00Z");
    assert!(env.ok(&["status"]).contains("2026-06-10 (in 9 days)"));
    assert_fails(&env.run(&["get", "GITHUB_TOKEN"]), 4);
    fs::rename(&saved, &identity).expect("restore identity");

    // A store changed underneath (a `git pull`) is marked stale until the
    // next command that decrypts anyway refreshes the cache.
    fs::write(&store, old_store).expect("roll back the store");
    let status: serde_json::Value =
        serde_json::from_str(&env.ok(&["status", "--json"])).expect("json");
    assert_eq!(status["metadata_current"], false);
    env.ok(&["list"]);
    let status: serde_json::Value =
        serde_json::from_str(&env.ok(&["status", "--json"])).expect("json");
    assert_eq!(status["metadata_current"], true);
    assert_eq!(status["variables"].as_array().expect("array").len(), 1);
}

#[test]
fn an_expiry_stays_with_its_value_and_created_time_with_its_name() {
    let env = Env::initialised();
    env.run_stdin(
        &["set", "GITHUB_TOKEN", "--stdin", "--expires-in", "90d"],
        b"a",
    );
    let set_at = |when: &str, value: &str| {
        env.cmd()
            .env("BSCRED_TEST_NOW", when)
            .args(["set", "GITHUB_TOKEN", "--stdin"])
            .write_stdin(value.to_string())
            .output()
            .expect("runs")
    };
    // The same value again keeps its expiry.
    assert!(set_at("2026-06-05T00:00:00Z", "a").status.success());
    let var = env.list_json()["variables"][0].clone();
    assert_eq!(var["expires_at"], "2026-08-30T12:00:00Z");
    assert_eq!(var["created_at"], "2026-06-01T12:00:00Z");
    assert_eq!(var["updated_at"], "2026-06-05T00:00:00Z");

    // A new value (a new token) does not inherit the old one's expiry.
    let out = set_at("2026-06-06T00:00:00Z", "b");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expiry was dropped"));
    let var = env.list_json()["variables"][0].clone();
    assert_eq!(var["expires_at"], serde_json::Value::Null);
    assert_eq!(var["created_at"], "2026-06-01T12:00:00Z");

    // --no-expires forgets an expiry on purpose.
    env.run_stdin(
        &["set", "GITHUB_TOKEN", "--stdin", "--expires", "2026-12-31"],
        b"b",
    );
    env.run_stdin(&["set", "GITHUB_TOKEN", "--stdin", "--no-expires"], b"b");
    assert_eq!(
        env.list_json()["variables"][0]["expires_at"],
        serde_json::Value::Null
    );
}

#[test]
fn a_stored_secret_stays_secret_and_off_the_command_line() {
    let env = Env::initialised();
    env.run_stdin(&["set", "DB_CONN", "--secret", "--stdin"], b"x");
    let before = env.files();
    let out = env.run(&["set", "DB_CONN", "new-value-in-argv"]);
    assert_fails(&out, 2);
    crate::harness::assert_unchanged(&env, &before);
    // Even with a stale metadata cache, the document decides.
    fs::remove_file(env.bscred_home.join("state/metadata/default.json")).expect("drop cache");
    assert_fails(&env.run(&["set", "DB_CONN", "new-value-in-argv"]), 2);
    env.run_stdin(&["set", "DB_CONN", "--stdin"], b"y");
    assert_eq!(env.list_json()["variables"][0]["secret"], true);
    // --plain says otherwise on purpose.
    env.ok(&["set", "DB_CONN", "--plain", "z"]);
    assert_eq!(env.list_json()["variables"][0]["secret"], false);
}

#[test]
fn quiet_silences_notes_but_not_errors() {
    let env = Env::new();
    let out = env.run(&["-q", "init"]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = env
        .cmd()
        .env("BSCRED_QUIET", "1")
        .args(["set", "A", "1"])
        .output()
        .expect("runs");
    assert!(out.stderr.is_empty());
    let out = env
        .cmd()
        .env("BSCRED_QUIET", "0")
        .args(["set", "A", "1"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stderr).contains("stored A"));
    let out = env.run(&["-q", "get", "MISSING"]);
    assert_fails(&out, 3);
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let env = Env::initialised();
    env.ok(&["set", "A", "1"]);
    let mut child = env
        .sealed(crate::harness::bin())
        .args(["list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `bscred ARGS` on a real pseudo-terminal (util-linux `script`),
/// types `input` once the prompt is on screen, and returns the screen.
#[cfg(unix)]
fn on_terminal(env: &Env, args: &str, input: &str) -> (Option<i32>, String) {
    crate::harness::pty::on_pty(env, &[], args, &[(": ", input)])
}

#[cfg(unix)]
#[test]
fn hidden_prompt_reads_the_terminal_without_echo() {
    if !crate::harness::have("script") {
        return;
    }
    let env = Env::initialised();
    let (code, screen) = on_terminal(&env, "set GITHUB_TOKEN", &format!("{TOKEN}\r"));
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("Value for GITHUB_TOKEN (input hidden): "),
        "{screen}"
    );
    assert!(!screen.contains(TOKEN), "the token was echoed: {screen}");
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);

    // Plain values are asked for with echo.
    let (code, screen) = on_terminal(&env, "set GITHUB_USERNAME", "octocat\r");
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("octocat"), "{screen}");
    assert_eq!(env.get("GITHUB_USERNAME"), "octocat");

    // Just Enter stores nothing rather than an empty token.
    let (code, screen) = on_terminal(&env, "set GITHUB_TOKEN", "\r");
    assert_eq!(code, Some(2), "{screen}");
    assert!(screen.contains("no value entered"), "{screen}");
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
}
