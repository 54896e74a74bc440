//! The edges where bscred misbehaved without an attacker: a full
//! or closed stderr, arguments that hold a token, a metadata cache that
//! cannot be written, and the other corners each test names.
#![cfg(unix)]

use std::fs;

use crate::harness::{Env, TOKEN, assert_success, bin, stderr};

/// `exec` with a reminder due and stderr full (`/dev/full`) or closed still
/// runs its command and passes on its status: a notice is never worth the
/// command the user asked for.
#[test]
fn exec_runs_its_command_when_stderr_is_full_or_closed() {
    let env = Env::initialised();
    let out = env.run_stdin(
        &["set", "GITHUB_TOKEN", "--stdin", "--expires-in", "3d"],
        TOKEN.as_bytes(),
    );
    assert_success(&out);
    // The reminder is due: it is what writes to stderr.
    assert!(stderr(&env.run(&["get", "GITHUB_TOKEN"])).contains("expires"));
    for redirect in ["2>/dev/full", "2>&-"] {
        let marker = env.work.join("ran");
        let _ = fs::remove_file(&marker);
        let script = format!(
            "exec \"$BSCRED\" exec -- sh -c 'printf %s \"$GITHUB_TOKEN\" > ran; exit 7' {redirect}"
        );
        let out = env
            .sealed("sh")
            .args(["-c", &script])
            .env("BSCRED", bin())
            .output()
            .expect("sh runs");
        assert_eq!(out.status.code(), Some(7), "{redirect}: {}", stderr(&out));
        assert_eq!(fs::read_to_string(&marker).expect("the command ran"), TOKEN);
    }
    // And bscred's own failure is still its exit code, not a panic (101).
    let out = env
        .sealed("sh")
        .args(["-c", "exec \"$BSCRED\" get MISSING 2>/dev/full"])
        .env("BSCRED", bin())
        .output()
        .expect("sh runs");
    assert_eq!(out.status.code(), Some(3));
}

/// An argument that holds a token where a name belongs is refused, and no
/// error quotes the token back (the terminal, a CI log and a screen share
/// would all show it).
#[test]
fn arguments_holding_a_token_are_refused_without_quoting_it() {
    let env = Env::initialised();
    let before = env.files();
    for args in [
        vec!["set".to_string(), format!("GITHUB_TOKEN:{TOKEN}")],
        vec!["set".to_string(), TOKEN.to_string()],
        vec!["get".to_string(), TOKEN.to_string()],
        vec!["rm".to_string(), "A".to_string(), TOKEN.to_string()],
        vec![
            "env".to_string(),
            "--only".to_string(),
            format!("NAME,{TOKEN}"),
        ],
        vec![
            "exec".to_string(),
            "--only".to_string(),
            format!("NAME,{TOKEN}"),
            "--".to_string(),
            "true".to_string(),
        ],
        vec![TOKEN.to_string()],
        vec!["get".to_string(), "A".to_string(), TOKEN.to_string()],
        vec!["-p".to_string(), TOKEN.to_string(), "list".to_string()],
        vec!["list".to_string(), format!("--{TOKEN}")],
    ] {
        let out = env.run(&args);
        assert!(!out.status.success(), "{args:?}");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        let body = &TOKEN[4..];
        assert!(!text.contains(body), "{args:?} quoted the token: {text}");
        assert!(!text.is_empty(), "{args:?} said nothing");
    }
    crate::harness::assert_unchanged(&env, &before);
}

/// `set` whose value reached the store but whose metadata cache could not
/// be written (the state directory broken) warns and exits 0: the value is
/// stored, and a failure would make the user write it again.
#[test]
fn set_succeeds_with_a_warning_when_only_the_metadata_cache_fails() {
    let env = Env::initialised();
    env.set("USER_EMAIL", "a@example.com");
    let metadata = env.bscred_home.join("state/metadata");
    fs::remove_dir_all(&metadata).expect("rm");
    // A file where the cache's directory belongs: every write to it fails.
    fs::write(&metadata, b"").expect("block");
    let out = env.run(&["set", "USER_EMAIL", "b@example.com"]);
    assert_success(&out);
    let said = stderr(&out);
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 2, "{said}");
    assert!(
        lines[0].starts_with("bscred: warning: ") && lines[0].contains("metadata cache"),
        "{said}"
    );
    assert!(lines[1].contains("stored USER_EMAIL"), "{said}");
    assert_eq!(env.get("USER_EMAIL"), "b@example.com");
    // Quiet means quiet.
    let out = env.run(&["-q", "set", "USER_EMAIL", "c@example.com"]);
    assert_success(&out);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert_eq!(env.get("USER_EMAIL"), "c@example.com");
}

/// A temporary file a killed identity writer left (it may hold the key) is
/// removed by the next writer of that identity, under the identity's lock,
/// and by nothing else: a reader cannot tell it from a write in progress.
#[test]
fn a_leftover_identity_temp_is_removed_only_under_the_identity_lock() {
    let env = Env::initialised();
    env.set("USER_EMAIL", "a@example.com");
    let leftover = env.bscred_home.join("data/identity.txt.bscred-abc123.tmp");
    let old_style = env.bscred_home.join("data/.identity.txt.xyz789.tmp");
    for file in [&leftover, &old_style] {
        fs::write(file, b"AGE-SECRET-KEY-half-written").expect("write");
    }
    env.set("USER_EMAIL", "b@example.com");
    env.get("USER_EMAIL");
    assert_success(&env.run(&["exec", "--", "true"]));
    assert!(
        leftover.exists() && old_style.exists(),
        "removed without the identity's lock"
    );
    let file = env.passphrase_file("new-passphrase", "correct horse battery staple");
    env.ok(&[
        "passphrase",
        "change",
        "--new-passphrase-file",
        file.to_str().expect("utf-8"),
    ]);
    assert!(
        !leftover.exists() && !old_style.exists(),
        "left behind by the writer"
    );
}

/// While another process holds the profile's lock, a writer says after a
/// moment that it is waiting; with `-q` it says nothing, and both finish
/// once the lock is free.
#[test]
fn waiting_for_the_lock_is_said_once_and_quiet_silences_it() {
    use std::io::Read;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    if !crate::harness::have("flock") {
        return;
    }
    let env = Env::initialised();
    let lock = env.bscred_home.join("state/locks/default.lock");
    // `flock` holds the lock until its `cat` sees the end of its stdin.
    let mut holder = std::process::Command::new("flock")
        .arg(&lock)
        .arg("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("flock runs");
    // Held once a non-blocking try fails (exit 7 as asked for).
    let deadline = Instant::now() + Duration::from_secs(20);
    let held = || {
        std::process::Command::new("flock")
            .args(["-n", "-E", "7"])
            .arg(&lock)
            .arg("true")
            .status()
            .expect("flock runs")
            .code()
            == Some(7)
    };
    while !held() {
        assert!(Instant::now() < deadline, "flock never took the lock");
    }
    let writer = |quiet: bool| {
        let mut cmd = env.sealed(bin());
        if quiet {
            cmd.arg("-q");
        }
        cmd.args(["set", "USER_EMAIL", "a@example.com"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("bscred runs")
    };
    let quiet = writer(true);
    let mut loud = writer(false);
    // The loud one says it waits: by then the quiet one has waited as long.
    let mut said = Vec::new();
    let mut stderr = loud.stderr.take().expect("stderr");
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&said).contains("waiting for another bscred") {
        assert!(Instant::now() < deadline, "never said it waits");
        if stderr.read(&mut byte).expect("read") == 0 {
            break;
        }
        said.push(byte[0]);
    }
    assert!(String::from_utf8_lossy(&said).contains("waiting for another bscred"));
    drop(holder.stdin.take());
    holder.wait().expect("flock ends");
    assert!(loud.wait().expect("loud ends").success());
    let out = quiet.wait_with_output().expect("quiet ends");
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.get("USER_EMAIL"), "a@example.com");
}
