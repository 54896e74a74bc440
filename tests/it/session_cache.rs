//! The session cache: a passphrase-protected identity, once unlocked, is
//! kept in the kernel's user keyring so later commands ask nothing and run
//! no scrypt; `bscred lock` drops it; a kernel that refuses keyrings (as
//! Docker's seccomp profile does) still works, without the cache.
//!
//! Each command runs under `keyctl session -`, a fresh anonymous session
//! keyring, as CI runners and containers give: the cache must not depend
//! on two commands sharing a session keyring.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use bscred::session_cache::SessionCache;

use crate::harness::pty::command_on_pty;
use crate::harness::{Env, TOKEN, assert_fails, assert_success, available, bin, have};

const PASSPHRASE: &str = "correct horse battery";

/// Whether the kernel keyring can be used here (skips by hand, fails in CI).
fn keyring_usable() -> bool {
    if !have("keyctl") {
        return false;
    }
    let works = std::process::Command::new("keyctl")
        .args(["show", "@u"])
        .output()
        .is_ok_and(|out| out.status.success());
    available(works, "the kernel keyring is refused here")
}

/// bscred with `args`, under a new anonymous session keyring, no terminal
/// (keyctl's own "Joined session keyring" line taken out of stderr).
fn in_new_session(env: &Env, args: &[&str]) -> Output {
    let mut out = env
        .sealed("keyctl")
        .args(["session", "-"])
        .arg(bin())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("keyctl runs");
    let stderr = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|line| !line.starts_with("Joined session keyring"))
        .map(|line| format!("{line}\n"))
        .collect::<String>();
    out.stderr = stderr.into_bytes();
    out
}

fn config(env: &Env, text: &str) {
    let dir = env.bscred_home.join("config");
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("config.toml"), text).expect("write config");
}

fn exec_prints_token(env: &Env) -> Output {
    in_new_session(
        env,
        &["exec", "--", "sh", "-c", "printf %s \"$GITHUB_TOKEN\""],
    )
}

#[test]
fn unlocking_once_lets_later_commands_ask_nothing_until_lock() {
    if !keyring_usable() {
        return;
    }
    let (env, _file) = Env::protected(PASSPHRASE);
    env.set("GITHUB_TOKEN", TOKEN);
    assert_success(&in_new_session(&env, &["lock"]));
    // Locked: with no terminal and no passphrase file there is no way in.
    let text = assert_fails(&in_new_session(&env, &["get", "GITHUB_TOKEN"]), 4);
    assert!(text.contains("bscred unlock"), "{text}");

    // Unlock on a terminal, in one session keyring...
    let unlock = format!("keyctl session - '{}' unlock", bin().display());
    let (code, screen) = command_on_pty(
        &env,
        &[],
        &unlock,
        &[("Passphrase for", &format!("{PASSPHRASE}\r"))],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("for 15 minutes"), "{screen}");

    // ...and `exec` in another, with no terminal and no passphrase file,
    // so it cannot have run scrypt: it had no passphrase to run it with.
    let out = exec_prints_token(&env);
    assert_success(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), TOKEN);
    let out = exec_prints_token(&env);
    assert_success(&out);

    // The entry: readable by this user only, with a timeout.
    let identity = fs::read(env.identity_path()).expect("identity");
    let description = SessionCache::new(&env.bscred_home.join("data"), 15).description(&identity);
    let line = proc_keys_line(&description).expect("a cache entry in /proc/keys");
    let fields: Vec<&str> = line.split_whitespace().collect();
    // Fields: serial, flags, usage, timeout, permissions, uid, gid, type.
    // The default unlock_minutes, 15, as the kernel counts it down.
    assert!(fields[3] == "15m" || fields[3] == "14m", "{line}");
    assert_eq!(
        &fields[4][4..],
        "0000",
        "group and others get nothing: {line}"
    );
    assert_eq!(fields[7], "user", "{line}");

    // lock drops it: the next command asks again.
    let out = in_new_session(&env, &["lock"]);
    assert_success(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("forgot 1"),
        "{out:?}"
    );
    assert!(proc_keys_line(&description).is_none());
    // (exec's own failures are 125, as env(1)'s are.)
    let text = assert_fails(&exec_prints_token(&env), 125);
    assert!(text.contains("no terminal"), "{text}");
    let again = format!(
        "keyctl session - '{}' exec -- sh -c 'echo \"[$GITHUB_TOKEN]\"'",
        bin().display()
    );
    let (code, screen) = command_on_pty(
        &env,
        &[],
        &again,
        &[("Passphrase for", &format!("{PASSPHRASE}\r"))],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains(&format!("[{TOKEN}]")), "{screen}");
    assert_success(&in_new_session(&env, &["lock"]));
}

/// The `/proc/keys` line of the live key `description`: one the kernel has
/// invalidated (flag `i`) or found dead (`D`) stays listed until its
/// garbage collector runs, but no search finds it.
fn proc_keys_line(description: &str) -> Option<String> {
    fs::read_to_string("/proc/keys")
        .expect("/proc/keys")
        .lines()
        .filter(|line| line.contains(&format!(" {description}: ")))
        .find(|line| {
            let flags = line.split_whitespace().nth(1).unwrap_or("");
            !flags.contains('i') && !flags.contains('D')
        })
        .map(str::to_string)
}

#[test]
fn unlock_minutes_sets_the_timeout_and_zero_turns_the_cache_off() {
    if !keyring_usable() {
        return;
    }
    let (env, file) = Env::protected(PASSPHRASE);
    assert_success(&in_new_session(&env, &["lock"]));
    let file_arg = file.to_str().expect("utf-8");
    let identity = fs::read(env.identity_path()).expect("identity");
    let description = SessionCache::new(&env.bscred_home.join("data"), 1).description(&identity);

    config(&env, "unlock_minutes = 1\n");
    let out = in_new_session(&env, &["--passphrase-file", file_arg, "unlock"]);
    assert_success(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("for 1 minutes"),
        "{out:?}"
    );
    let line = proc_keys_line(&description).expect("cached");
    let timeout = line.split_whitespace().nth(3).expect("timeout").to_string();
    assert!(timeout == "1m" || timeout.ends_with('s'), "{line}");
    assert_success(&in_new_session(&env, &["lock"]));

    config(&env, "unlock_minutes = 0\n");
    let out = in_new_session(&env, &["--passphrase-file", file_arg, "unlock"]);
    assert_success(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cache is off"),
        "{out:?}"
    );
    assert!(proc_keys_line(&description).is_none());
    assert_fails(&in_new_session(&env, &["get", "GITHUB_TOKEN"]), 4);
}

/// bscred with `args` where the kernel refuses keyrings.
fn refused(env: &Env, args: &[&str]) -> Output {
    env.sealed("python3")
        .arg(fixture("no_keyring.py"))
        .arg(bin())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("python3 runs")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn a_refused_kernel_keyring_works_without_the_cache_and_says_so_once() {
    if !have("python3") {
        return;
    }
    let (env, file) = Env::protected(PASSPHRASE);
    env.set("GITHUB_TOKEN", TOKEN);
    let file_arg = file.to_str().expect("utf-8");
    // The filter really refuses: keyctl itself fails under it.
    let out = refused(&env, &["lock"]);
    let text = assert_fails(&out, 4);
    assert!(text.contains("kernel keyring"), "{text}");

    let first = refused(
        &env,
        &["--passphrase-file", file_arg, "get", "-n", "GITHUB_TOKEN"],
    );
    assert_success(&first);
    assert_eq!(String::from_utf8_lossy(&first.stdout), TOKEN);
    let said = String::from_utf8_lossy(&first.stderr);
    assert_eq!(said.matches("kernel keyring refused").count(), 1, "{said}");
    // Once: the next command just works.
    let second = refused(
        &env,
        &["--passphrase-file", file_arg, "get", "-n", "GITHUB_TOKEN"],
    );
    assert_success(&second);
    assert!(
        !String::from_utf8_lossy(&second.stderr).contains("refused"),
        "{second:?}"
    );
    // And it never pretends to have cached anything.
    let out = refused(&env, &["--passphrase-file", file_arg, "unlock"]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("each command will ask again"));
}
