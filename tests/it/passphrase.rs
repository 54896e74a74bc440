//! Passphrase-protected identities: the identity file encrypted with age's
//! scrypt, as `age -p` writes it. The Go `age` CLI opens what bscred makes
//! and bscred uses what `age -p` makes; the passphrase comes from the
//! terminal or a 0600 file, never argv or the environment.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::harness::pty::{command_on_pty, on_pty};
use crate::harness::{Env, TOKEN, age, assert_fails, assert_success, assert_unchanged, bin, have};

const PASSPHRASE: &str = "correct horse battery";

/// `bscred --passphrase-file FILE ARGS…`.
fn with_file<'a>(file: &'a Path, args: &'a [&'a str]) -> Vec<&'a OsStr> {
    let mut all = vec![OsStr::new("--passphrase-file"), file.as_os_str()];
    all.extend(args.iter().map(OsStr::new));
    all
}

/// Turns the session cache off, so every read has to unlock again.
fn without_cache(env: &Env) {
    let config = env.bscred_home.join("config");
    fs::create_dir_all(&config).expect("mkdir");
    fs::write(config.join("config.toml"), "unlock_minutes = 0\n").expect("write config");
}

/// The profile's store as the Go `age -d -i IDENTITY STORE` prints it,
/// typing the passphrase at age's own prompt on a pseudo-terminal.
fn go_age_decrypts(env: &Env) -> String {
    let command = format!(
        "age -d -i '{}' '{}'",
        env.identity_path().display(),
        env.store_path().display()
    );
    let (code, screen) = command_on_pty(
        env,
        &[],
        &command,
        &[(
            "Enter passphrase for identity file",
            &format!("{PASSPHRASE}\r"),
        )],
    );
    assert_eq!(code, Some(0), "{screen}");
    screen
}

#[test]
fn an_identity_made_with_a_passphrase_is_opened_by_the_go_age_cli() {
    if !have("age") {
        return;
    }
    let (env, file) = Env::protected(PASSPHRASE);
    env.set("GITHUB_TOKEN", TOKEN);
    let identity = env.identity_path();
    let text = fs::read_to_string(&identity).expect("identity");
    assert!(
        text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{text}"
    );
    assert!(!text.contains("AGE-SECRET-KEY"));
    assert_eq!(
        fs::metadata(&identity)
            .expect("identity")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    // Encrypted to the public key: writing asked for nothing, and the Go
    // age CLI, typing the passphrase at its own prompt, reads the store.
    let screen = go_age_decrypts(&env);
    assert!(screen.contains(TOKEN), "{screen}");

    // And bscred reads it with the passphrase file, the cache off.
    without_cache(&env);
    let out = env.run(&with_file(&file, &["get", "-n", "GITHUB_TOKEN"]));
    assert_success(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), TOKEN);
}

#[test]
fn an_identity_protected_by_age_p_is_used_by_bscred() {
    if !have("age") || !have("age-keygen") {
        return;
    }
    let env = Env::new();
    let plain = env.home.join("key.txt");
    let protected = env.home.join("key.age");
    let out = env
        .sealed("age-keygen")
        .arg("-o")
        .arg(&plain)
        .output()
        .expect("age-keygen runs");
    assert!(out.status.success(), "{out:?}");
    let command = format!("age -p -o '{}' '{}'", protected.display(), plain.display());
    let typed = format!("{PASSPHRASE}\r");
    let (code, screen) = command_on_pty(
        &env,
        &[],
        &command,
        &[("Enter passphrase", &typed), ("Confirm passphrase", &typed)],
    );
    assert_eq!(code, Some(0), "{screen}");
    fs::set_permissions(&protected, fs::Permissions::from_mode(0o600)).expect("chmod");

    let file = env.passphrase_file("passphrase", PASSPHRASE);
    let protected_arg = protected.to_str().expect("utf-8");
    let out = env.run(&with_file(
        &file,
        &["init", "--backend", "file", "--identity", protected_arg],
    ));
    assert_success(&out);
    env.set("GITHUB_TOKEN", TOKEN);
    without_cache(&env);
    let out = env.run(&with_file(&file, &["get", "-n", "GITHUB_TOKEN"]));
    assert_success(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), TOKEN);
    // The store is encrypted to the key inside: the plain key opens it.
    assert!(age::reads(&plain, &env.store_path()));
}

#[test]
fn the_passphrase_is_asked_on_the_terminal_even_under_eval() {
    let (env, _file) = Env::protected(PASSPHRASE);
    env.set("GITHUB_TOKEN", TOKEN);
    without_cache(&env);
    // stdout is captured by $(…): the prompt still reaches the person.
    let command = format!(
        "eval \"$('{}' env --shell sh)\"; echo \"token=[$GITHUB_TOKEN]\"",
        bin().display()
    );
    let (code, screen) = command_on_pty(
        &env,
        &[],
        &command,
        &[("Passphrase for", &format!("{PASSPHRASE}\r"))],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains(&format!("token=[{TOKEN}]")), "{screen}");
    assert!(!screen.contains(PASSPHRASE), "echoed: {screen}");

    // Three wrong tries: exit 4, the passphrase never shown.
    let (code, screen) = on_pty(
        &env,
        &[],
        "get GITHUB_TOKEN",
        &[("Passphrase for", "nope\r"); 3],
    );
    assert_eq!(code, Some(4), "{screen}");
    assert!(screen.contains("try again"), "{screen}");
    assert!(screen.contains("is wrong"), "{screen}");
    assert!(!screen.contains(TOKEN), "{screen}");
}

#[test]
fn a_passphrase_that_cannot_be_had_is_a_clear_error_and_changes_nothing() {
    let (env, _file) = Env::protected(PASSPHRASE);
    env.set("GITHUB_TOKEN", TOKEN);
    without_cache(&env);
    let before = env.files();

    // No terminal and no file: say how to give it.
    let text = assert_fails(&env.run(&["get", "GITHUB_TOKEN"]), 4);
    assert!(text.contains("no terminal"), "{text}");
    assert!(
        text.contains("bscred unlock") && text.contains("--passphrase-file"),
        "{text}"
    );

    // A wrong one in a file: one try, exit 4, never quoted.
    let wrong = env.passphrase_file("wrong", "hunter2 staple");
    let text = assert_fails(&env.run(&with_file(&wrong, &["get", "GITHUB_TOKEN"])), 4);
    assert!(text.contains("is wrong"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    // A file others can read is refused before it is read.
    let exposed = env.passphrase_file("exposed", PASSPHRASE);
    fs::set_permissions(&exposed, fs::Permissions::from_mode(0o644)).expect("chmod");
    let text = assert_fails(&env.run(&with_file(&exposed, &["get", "GITHUB_TOKEN"])), 4);
    assert!(text.contains("chmod 600"), "{text}");
    assert!(!text.contains(PASSPHRASE), "{text}");

    // A missing or empty one.
    let missing = env.home.join("missing");
    let text = assert_fails(&env.run(&with_file(&missing, &["get", "GITHUB_TOKEN"])), 4);
    assert!(text.contains("passphrase file"), "{text}");
    let empty = env.passphrase_file("empty", "");
    let text = assert_fails(&env.run(&with_file(&empty, &["get", "GITHUB_TOKEN"])), 4);
    assert!(text.contains("empty"), "{text}");

    assert_unchanged(&env, &before);
}

#[test]
fn init_passphrase_refuses_to_leave_an_existing_plain_identity_unprotected() {
    let env = Env::initialised();
    let before = fs::read(env.identity_path()).expect("identity");
    let file = env.passphrase_file("passphrase", PASSPHRASE);
    let out = env.run(&with_file(
        &file,
        &["-p", "second", "init", "--passphrase", "--backend", "file"],
    ));
    let text = assert_fails(&out, 1);
    assert!(text.contains("has no passphrase"), "{text}");
    assert!(text.contains("bscred passphrase change"), "{text}");
    assert_eq!(fs::read(env.identity_path()).expect("identity"), before);
    assert!(!env.bscred_home.join("config/profiles/second.toml").exists());

    // On a terminal, two different new passphrases write nothing.
    let fresh = Env::new();
    let (code, screen) = on_pty(
        &fresh,
        &[],
        "init --passphrase --backend file --no-project-file",
        &[("New passphrase", "one\r"), ("again", "two\r")],
    );
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.contains("differ"), "{screen}");
    assert!(!fresh.bscred_home.join("data/identity.txt").exists());
}

#[test]
fn passphrase_change_replaces_only_the_passphrase() {
    if !have("age") {
        return;
    }
    let (env, old) = Env::protected(PASSPHRASE);
    env.set("GITHUB_TOKEN", TOKEN);
    without_cache(&env);
    let store = fs::read(env.store_path()).expect("store");
    let new = env.passphrase_file("new", "a new passphrase");

    let out = env.run(&with_file(
        &old,
        &[
            "passphrase",
            "change",
            "--new-passphrase-file",
            new.to_str().expect("utf-8"),
        ],
    ));
    assert_success(&out);
    // The key is the same: no store was re-encrypted.
    assert_eq!(fs::read(env.store_path()).expect("store"), store);
    assert_fails(&env.run(&with_file(&old, &["get", "GITHUB_TOKEN"])), 4);
    let out = env.run(&with_file(&new, &["get", "-n", "GITHUB_TOKEN"]));
    assert_success(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), TOKEN);

    // A wrong current passphrase changes nothing.
    let identity = fs::read(env.identity_path()).expect("identity");
    let other = env.passphrase_file("other", "another one");
    let out = env.run(&with_file(
        &old,
        &[
            "passphrase",
            "change",
            "--new-passphrase-file",
            other.to_str().expect("utf-8"),
        ],
    ));
    assert_fails(&out, 4);
    assert_eq!(fs::read(env.identity_path()).expect("identity"), identity);

    // --remove: a plain identity file again, which age reads directly.
    let out = env.run(&with_file(&new, &["passphrase", "change", "--remove"]));
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("plain"));
    let text = fs::read_to_string(env.identity_path()).expect("identity");
    assert!(text.contains("AGE-SECRET-KEY-1"));
    assert!(age::reads(&env.identity_path(), &env.store_path()));
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);

    // And a plain one gets its first passphrase.
    let out = env.run(&[
        "passphrase",
        "change",
        "--new-passphrase-file",
        new.to_str().expect("utf-8"),
    ]);
    assert_success(&out);
    assert!(
        fs::read_to_string(env.identity_path())
            .expect("identity")
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
    );
    let out = env.run(&with_file(&new, &["get", "-n", "GITHUB_TOKEN"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), TOKEN);
}

#[test]
fn identity_rotate_keeps_the_passphrase_and_loses_nothing() {
    let (env, file) = Env::protected(PASSPHRASE);
    env.set("GITHUB_TOKEN", TOKEN);
    env.set("USER_EMAIL", "dev@example.com");
    without_cache(&env);
    let old_key = fs::read(env.identity_path()).expect("identity");
    let out = env.run(&with_file(&file, &["identity", "rotate"]));
    assert_success(&out);
    let new_key = fs::read_to_string(env.identity_path()).expect("identity");
    assert_ne!(new_key.as_bytes(), old_key);
    assert!(new_key.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    let out = env.run(&with_file(&file, &["get", "-n", "GITHUB_TOKEN"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), TOKEN);
    let out = env.run(&with_file(&file, &["get", "-n", "USER_EMAIL"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "dev@example.com");
}

#[test]
fn set_never_needs_the_passphrase() {
    if !have("age") {
        return;
    }
    let (env, file) = Env::protected(PASSPHRASE);
    env.set("USER_EMAIL", "old@example.com");
    without_cache(&env);
    let store = fs::read(env.store_path()).expect("store");

    // Locked, no terminal, no passphrase file: set still works, and the
    // store itself is not touched.
    let out = env.run_stdin(
        &["set", "GITHUB_TOKEN", "--stdin", "--expires", "2026-08-30"],
        TOKEN.as_bytes(),
    );
    assert_success(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("without unlocking"),
        "{out:?}"
    );
    env.set("USER_EMAIL", "new@example.com");
    assert_eq!(fs::read(env.store_path()).expect("store"), store);
    let pending = env.bscred_home.join("data/profiles/default.pending");
    let changes: Vec<_> = fs::read_dir(&pending)
        .expect("pending changes")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    for change in &changes {
        assert_eq!(
            fs::metadata(change).expect("change").permissions().mode() & 0o777,
            0o600
        );
        assert!(
            !fs::read_to_string(change)
                .unwrap_or_default()
                .contains(TOKEN)
        );
    }
    // Status says so without decrypting; the expiry is already known.
    let status = env.ok(&["status"]);
    assert!(status.contains("pending  2 changes"), "{status}");
    assert!(status.contains("2026-08-30"), "{status}");
    // A secret on the command line is refused here too, writing nothing.
    let text = assert_fails(&env.run(&["set", "GITHUB_TOKEN", "ghp_not_on_argv"]), 2);
    assert!(!text.contains("ghp_not_on_argv"), "{text}");
    assert_eq!(fs::read_dir(&pending).expect("pending").count(), 2);

    // Every read merges them, in order.
    let out = env.run(&with_file(&file, &["get", "-n", "GITHUB_TOKEN"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), TOKEN);
    let out = env.run(&with_file(&file, &["get", "-n", "USER_EMAIL"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "new@example.com");

    // The next write that unlocks folds them into the store.
    let out = env.run(&with_file(&file, &["set", "GITHUB_USERNAME", "octocat"]));
    assert_success(&out);
    assert!(!pending.exists());
    assert!(!env.ok(&["status"]).contains("pending"));
    let out = env.run(&with_file(&file, &["list", "--json"]));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let text = listed.to_string();
    for name in ["GITHUB_TOKEN", "USER_EMAIL", "GITHUB_USERNAME"] {
        assert!(text.contains(name), "{text}");
    }
    // And the Go age CLI reads the folded store.
    let screen = go_age_decrypts(&env);
    assert!(
        screen.contains(TOKEN) && screen.contains("new@example.com"),
        "{screen}"
    );
}

#[test]
fn changes_written_without_unlocking_follow_a_renamed_profile() {
    let (env, file) = Env::protected(PASSPHRASE);
    without_cache(&env);
    env.set("GITHUB_USERNAME", "octocat");
    // Changes left under the new name by some earlier store would be
    // merged into this one: refused before anything moves.
    let stale = env.bscred_home.join("data/profiles/work.pending");
    fs::create_dir_all(&stale).expect("mkdir");
    let before = env.files();
    let text = assert_fails(&env.run(&["profiles", "rename", "default", "work"]), 1);
    assert!(text.contains("earlier store"), "{text}");
    assert_unchanged(&env, &before);
    fs::remove_dir(&stale).expect("rmdir");
    env.ok(&["profiles", "rename", "default", "personal"]);
    assert!(
        env.bscred_home
            .join("data/profiles/personal.pending")
            .is_dir()
    );
    let out = env.run(&with_file(
        &file,
        &["-p", "personal", "get", "-n", "GITHUB_USERNAME"],
    ));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "octocat", "{out:?}");
    // Removing the profile removes them too.
    env.ok(&["profiles", "rm", "personal", "--yes"]);
    assert!(
        !env.bscred_home
            .join("data/profiles/personal.pending")
            .exists()
    );
}

#[test]
fn a_locked_set_never_turns_a_secret_plain() {
    let (env, file) = Env::protected(PASSPHRASE);
    let out = env.run_stdin(
        &["set", "DATABASE_URL", "--secret", "--stdin"],
        b"postgres://u:OLD@h/db",
    );
    assert_success(&out);
    without_cache(&env);
    // The metadata cache is only a cache: without it, nothing tells a
    // locked `set` that the variable is secret.
    fs::remove_dir_all(env.bscred_home.join("state")).expect("rm state");
    let text = assert_fails(
        &env.run(&["set", "DATABASE_URL", "postgres://u:NEWPW@h/db"]),
        2,
    );
    assert!(!text.contains("NEWPW"), "{text}");
    let out = env.run_stdin(
        &["set", "DATABASE_URL", "--stdin"],
        b"postgres://u:NEWPW@h/db",
    );
    assert_success(&out);
    let out = env.run(&with_file(&file, &["list", "--json"]));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let var = listed["variables"]
        .as_array()
        .and_then(|vars| vars.iter().find(|v| v["name"] == "DATABASE_URL"))
        .expect("listed");
    assert_eq!(var["secret"], true, "{listed}");
    let out = env.run(&with_file(&file, &["get", "-n", "DATABASE_URL"]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "postgres://u:NEWPW@h/db"
    );
    // Told --plain, it is plain (as an unlocked set would make it).
    let out = env.run(&["set", "DATABASE_URL", "--plain", "postgres://u:PLAIN@h/db"]);
    assert_success(&out);
    let out = env.run(&with_file(&file, &["list", "--json"]));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let var = listed["variables"]
        .as_array()
        .and_then(|vars| vars.iter().find(|v| v["name"] == "DATABASE_URL"))
        .expect("listed");
    assert_eq!(var["secret"], false, "{listed}");
}

#[test]
fn one_command_asks_for_the_passphrase_once() {
    let (env, file) = Env::protected(PASSPHRASE);
    env.set("GITHUB_TOKEN", TOKEN);
    let out = env.run(&with_file(
        &file,
        &["-p", "second", "init", "--backend", "file"],
    ));
    assert_success(&out);
    let out = env.run_stdin(
        &["-p", "second", "set", "USER_EMAIL", "--stdin"],
        b"dev@example.com",
    );
    assert_success(&out);
    without_cache(&env);
    // Rotation re-encrypts both profiles, each read with the identity file
    // (and then with its new version): one question on the terminal.
    let (code, screen) = on_pty(
        &env,
        &[],
        "identity rotate",
        &[("Passphrase for", &format!("{PASSPHRASE}\r"))],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(screen.matches("Passphrase for").count(), 1, "{screen}");
    let out = env.run(&with_file(
        &file,
        &["-p", "second", "get", "-n", "USER_EMAIL"],
    ));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "dev@example.com");
    let out = env.run(&with_file(&file, &["get", "-n", "GITHUB_TOKEN"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), TOKEN);
}

#[test]
fn a_damaged_pending_change_is_a_clear_error_and_changes_nothing() {
    let (env, file) = Env::protected(PASSPHRASE);
    without_cache(&env);
    env.set("GITHUB_USERNAME", "octocat");
    let pending = env.bscred_home.join("data/profiles/default.pending");
    let get = with_file(&file, &["get", "GITHUB_USERNAME"]);
    // Not an age file; then a FIFO, which must not hang the reader.
    fs::write(pending.join("00000002-x.age"), b"not an age file").expect("write");
    let before = env.files();
    let text = assert_fails(&env.run(&get), 4);
    assert!(text.contains("00000002-x.age"), "{text}");
    assert_unchanged(&env, &before);
    fs::remove_file(pending.join("00000002-x.age")).expect("rm");
    let fifo = pending.join("00000002-y.age");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let text = assert_fails(&env.run(&get), 4);
    assert!(text.contains("not a regular file"), "{text}");
    fs::remove_file(&fifo).expect("rm");
    // A link, even to a valid change, is not followed: it could lead to
    // another profile's store and merge it into this one.
    let elsewhere = env.home.join("change.age");
    fs::copy(env.store_path(), &elsewhere).expect("copy");
    std::os::unix::fs::symlink(&elsewhere, pending.join("00000002-z.age")).expect("link");
    let before = env.files();
    let text = assert_fails(&env.run(&get), 4);
    assert!(text.contains("a symlink"), "{text}");
    assert_unchanged(&env, &before);
    fs::remove_file(pending.join("00000002-z.age")).expect("rm");
    let out = env.run(&with_file(&file, &["get", "-n", "GITHUB_USERNAME"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "octocat");
}
