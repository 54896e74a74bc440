//! The keychain backend through the CLI against a real Secret Service:
//! gnome-keyring on the test command's private D-Bus session (shared by the
//! tests, every item cleaned up), and on sessions these tests start and stop
//! themselves to restart, lock, remove or hang the Secret Service.
//! (Windows' per-item size limit cannot be exercised on Linux.)
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::dbus::Bus;
use crate::harness::keychain::{
    Cleanup, Cli, SECRETS, Session, TIMEOUT_VAR, clear, finish, have_private_session,
    keychain_failure, labels, lookup, password, shared_bus, store, unique,
};
use crate::harness::random::Rng;
use crate::harness::{
    Env, TOKEN, age, assert_fails, assert_success, assert_unchanged, failure, have, set_mode,
    stderr,
};

/// Values that exercise the document encoding: a token, quotes, newlines,
/// non-ASCII, a shell substitution.
const VALUES: [(&str, &str); 4] = [
    ("GITHUB_TOKEN", TOKEN),
    ("USER_DISPLAY_NAME", "Zoë O'Brien \"ZB\""),
    ("MULTI_LINE", "first\n  second\twith tab\n"),
    ("ODD_CHARS", "$(touch /tmp/x) `id` * ? [a] ~ # ; & | < >"),
];

/// `VALUES` as the map `Cli::values` returns.
fn all_values() -> BTreeMap<String, String> {
    VALUES
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Stores every one of `VALUES`.
fn set_values(cli: &Cli) {
    for (name, value) in VALUES {
        cli.set(name, value);
    }
}

// ------------------------------------------------------------------ tests

#[test]
fn auto_init_picks_the_keychain_when_it_answers_and_the_file_without_a_bus() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-auto");
    let _cleanup = Cleanup::new(&bus, &profile);
    let cli = Cli::new(&env, &profile, Some(&bus));
    let out = cli.run(&["init"]);
    assert_success(&out);
    let said = stderr(&out);
    assert!(said.contains("auto: the OS keychain answered"), "{said}");
    let status = cli.status();
    assert_eq!(status["backend"], "keychain", "{status}");
    let account = cli.setting("item").expect("settings name the item");
    assert!(
        account.starts_with(&format!("profile:{profile}@")),
        "{account}"
    );
    assert_eq!(cli.setting("backend").as_deref(), Some("keychain"));
    // The keychain backend needs no age identity and writes no store file.
    assert!(!env.identity_path().exists());
    assert!(!cli.store_file().exists());
    assert_eq!(
        labels(&bus, &account),
        vec![format!("bscred: profile '{profile}'")]
    );

    // No bus at all: the file backend, and stderr says why.
    let env = Env::new();
    let cli = Cli::new(&env, &profile, None);
    let out = cli.run(&["init"]);
    assert_success(&out);
    let said = stderr(&out);
    assert!(said.contains("auto: no keychain to use"), "{said}");
    assert!(said.contains("D-Bus session bus"), "{said}");
    assert!(said.contains("nothing is stored in plaintext"), "{said}");
    assert_eq!(cli.status()["backend"], "file");
    assert!(cli.store_file().exists());
}

#[test]
fn a_keychain_profile_round_trips_through_every_command() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-trip");
    let cleanup = Cleanup::new(&bus, &profile);
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    set_values(&cli);
    for (name, value) in VALUES {
        assert_eq!(cli.get(name), value, "{name}");
    }

    let list: serde_json::Value =
        serde_json::from_str(&cli.ok(&["list", "--json"])).expect("list json");
    let listed: BTreeMap<String, bool> = list["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| {
            let name = v["name"].as_str().expect("name").to_string();
            (name, v["secret"].as_bool().expect("secret"))
        })
        .collect();
    let expected: BTreeMap<String, bool> = VALUES
        .iter()
        .map(|(n, _)| (n.to_string(), *n == "GITHUB_TOKEN"))
        .collect();
    assert_eq!(listed, expected);
    assert!(!list.to_string().contains(TOKEN), "list leaked the token");

    let all = all_values();
    assert_eq!(cli.values(), all);

    // The metadata cache never holds a value.
    let cache = fs::read_to_string(
        env.bscred_home
            .join(format!("state/metadata/{profile}.json")),
    )
    .expect("metadata cache");
    for (name, value) in VALUES {
        assert!(cache.contains(name), "{cache}");
        assert!(
            !cache.contains(value),
            "the cache holds the value of {name}"
        );
    }

    // exec hands the values to the command.
    let script = r#"printf '%s|%s' "$GITHUB_TOKEN" "$MULTI_LINE""#;
    let out = cli.ok(&["exec", "--", "sh", "-c", script]);
    assert_eq!(out, format!("{TOKEN}|{}", VALUES[2].1));

    // rm: gone from get, list and the item itself.
    assert_success(&cli.run(&["rm", "ODD_CHARS"]));
    assert_fails(&cli.run(&["get", "ODD_CHARS"]), 3);
    assert!(!cli.values().contains_key("ODD_CHARS"));
    let account = cli.setting("item").expect("item");
    let secret = lookup(&bus, &account).expect("the item exists");
    let secret = String::from_utf8(secret).expect("utf-8 document");
    assert!(secret.contains("USER_DISPLAY_NAME") && !secret.contains("ODD_CHARS"));

    // The item is recognisable in a keyring browser.
    assert_eq!(
        labels(&bus, &account),
        vec![format!("bscred: profile '{profile}'")]
    );

    // A --backend naming another backend is refused, and nothing is written.
    let files = env.files();
    let item = lookup(&bus, &account);
    let out = cli
        .with("BSCRED_BACKEND", "file")
        .run_timed(&["set", "NEW_ONE", "--stdin"], b"x")
        .0;
    let (error, hint) = failure(&out, 2);
    assert!(error.contains("keychain"), "{error}");
    assert!(hint.contains("migrate --to file"), "{hint}");
    assert_unchanged(&env, &files);
    assert_eq!(lookup(&bus, &account), item);
    assert_eq!(cleanup.accounts(), vec![account.clone()]);

    // rename moves file profiles only, and says how to move this one.
    let (error, hint) = failure(&cli.run(&["profiles", "rename", &profile, "renamed"]), 1);
    assert!(error.contains("keychain backend"), "{error}");
    assert!(hint.contains("migrate --to file"), "{hint}");
    assert_unchanged(&env, &files);

    // profiles rm deletes the item with the profile.
    assert_success(&cli.run(&["profiles", "rm", &profile, "--yes"]));
    assert_eq!(lookup(&bus, &account), None);
    assert!(cleanup.accounts().is_empty());
    assert_fails(&cli.run(&["get", "GITHUB_TOKEN"]), 3);
}

#[test]
fn a_value_survives_a_keyring_daemon_restart() {
    if !have_private_session() {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let keyring_dir = root.path().join("keyring");
    let password = password();
    let env = Env::new();
    let first_address;
    {
        let session = Session::start(root.path(), &keyring_dir, "run1", &password);
        first_address = session.bus.address().to_os_string();
        let cli = Cli::new(&env, "restart", Some(session.bus.address()));
        assert_success(&cli.run(&["init", "--backend", "keychain"]));
        set_values(&cli);
        assert_eq!(cli.get("GITHUB_TOKEN"), TOKEN);
        // Both daemons stop here.
    }
    let keyring_file = keyring_dir.join("home/.local/share/keyrings/login.keyring");
    let on_disk = fs::read(&keyring_file).expect("gnome-keyring wrote the login keyring");
    assert!(
        !on_disk.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
        "the keyring file holds the token in plaintext"
    );

    let session = Session::start(root.path(), &keyring_dir, "run2", &password);
    assert_ne!(session.bus.address(), first_address);
    let cli = Cli::new(&env, "restart", Some(session.bus.address()));
    let expected = all_values();
    assert_eq!(cli.values(), expected);
    assert_eq!(cli.get("GITHUB_TOKEN"), TOKEN);
    // And it is still writable.
    cli.set("AFTER_RESTART", "yes");
    assert_eq!(cli.get("AFTER_RESTART"), "yes");
}

#[test]
fn a_locked_keyring_fails_fast_with_exit_4_and_125() {
    if !have_private_session() {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let session = Session::fresh(root.path());
    let env = Env::new();
    let cli = Cli::new(&env, "locked", Some(session.bus.address())).with(TIMEOUT_VAR, "2");
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set("GITHUB_TOKEN", TOKEN);
    session.lock();

    let bound = Duration::from_secs(10);
    let (out, elapsed) = cli.run_timed(&["get", "GITHUB_TOKEN"], b"");
    let (error, hint) = keychain_failure(&out, elapsed, bound);
    // Without a prompter gnome-keyring cannot ask for the password, so
    // the unlock prompt it returns ends as dismissed.
    assert_eq!(
        error,
        "bscred: error: the keyring is locked (its unlock prompt was dismissed or could not be shown)"
    );
    eprintln!("locked keyring: {error} ({elapsed:?})\n{hint}");

    let (out, elapsed) = cli.run_timed(&["exec", "--", "true"], b"");
    assert!(elapsed < bound, "exec took {elapsed:?}");
    let (exec_error, _) = failure(&out, 125);
    assert_eq!(exec_error, error);

    // A write fails the same way and changes nothing; status needs no
    // unlock (docs/SECURITY.md "The keychain backend": no keychain call).
    let files = env.files();
    let (out, elapsed) = cli.run_timed(&["set", "OTHER", "--stdin"], b"x");
    keychain_failure(&out, elapsed, bound);
    assert_unchanged(&env, &files);
    let (out, elapsed) = cli.run_timed(&["status", "--json"], b"");
    assert_success(&out);
    assert!(elapsed < bound);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(status["variables"][0]["name"], "GITHUB_TOKEN");
    drop(session);
}

#[test]
fn no_session_bus_is_exit_4_naming_the_bus() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-nobus");
    let _cleanup = Cleanup::new(&bus, &profile);
    let cli = Cli::new(&env, &profile, Some(&bus)).with(TIMEOUT_VAR, "2");
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set("GITHUB_TOKEN", TOKEN);

    let bound = Duration::from_secs(10);
    let unset = cli.without("DBUS_SESSION_BUS_ADDRESS");
    let bogus = cli.with("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    for (case, cli) in [("unset", unset), ("/nonexistent", bogus)] {
        for args in [&["get", "GITHUB_TOKEN"][..], &["env"], &["list"]] {
            let (out, elapsed) = cli.run_timed(args, b"");
            let (error, _) = keychain_failure(&out, elapsed, bound);
            assert!(
                error.contains("D-Bus session bus"),
                "{case} {args:?}: {error}"
            );
        }
        let (out, _) = cli.run_timed(&["exec", "--", "true"], b"");
        let (error, _) = failure(&out, 125);
        assert!(error.contains("D-Bus session bus"), "{case}: {error}");
        // Listing profiles reads no keychain item.
        let (out, _) = cli.run_timed(&["profiles", "--json"], b"");
        assert_success(&out);
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(listed[0]["backend"], "keychain", "{case}");
        assert_eq!(listed[0]["variables"], 1, "{case}");
    }
}

#[test]
fn keychain_errors_say_their_message_once() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-once");
    let _cleanup = Cleanup::new(&bus, &profile);
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    let cli = cli.with("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    let (error, _) = failure(&cli.run(&["get", "X"]), 4);
    let message = error.trim_start_matches("bscred: error: ");
    // "cannot connect to the D-Bus session bus: cannot connect to the
    // D-Bus session bus" would be the message and its own cause again.
    let repeated = message
        .match_indices(": ")
        .any(|(i, _)| message[..i] == message[i + 2..]);
    assert!(!repeated, "the message is said twice: {error}");
}

#[test]
fn a_bus_without_a_secret_service_is_exit_4() {
    let Some(shared) = shared_bus() else { return };
    if !have_private_session() {
        return;
    }
    let env = Env::new();
    let profile = unique("kc-nosvc");
    let _cleanup = Cleanup::new(&shared, &profile);
    let cli = Cli::new(&env, &profile, Some(&shared));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));

    let root = tempfile::tempdir().expect("tempdir");
    let bus = Bus::start(&root.path().join("bus"));
    assert!(!bus.has_owner(SECRETS));
    let cli = cli
        .with("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .with(TIMEOUT_VAR, "2");
    let (out, elapsed) = cli.run_timed(&["get", "GITHUB_TOKEN"], b"");
    let (error, hint) = keychain_failure(&out, elapsed, Duration::from_secs(10));
    assert!(error.contains("no Secret Service"), "{error}");
    assert!(hint.contains("gnome-keyring-daemon"), "{hint}");

    // init --backend auto on that bus: the file backend, and why.
    let env = Env::new();
    let cli = Cli::new(&env, &profile, Some(bus.address()));
    let out = cli.run(&["init"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("no Secret Service"),
        "{}",
        stderr(&out)
    );
    assert_eq!(cli.status()["backend"], "file");
}

#[test]
fn a_hung_secret_service_times_out() {
    let Some(shared) = shared_bus() else { return };
    if !have_private_session() || !have("dbus-test-tool") {
        return;
    }
    let env = Env::new();
    let profile = unique("kc-hung");
    let _cleanup = Cleanup::new(&shared, &profile);
    let cli = Cli::new(&env, &profile, Some(&shared));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));

    // A black hole owns the Secret Service's name and never answers.
    let root = tempfile::tempdir().expect("tempdir");
    let bus = Bus::start(&root.path().join("bus"));
    let mut hole = Command::new("dbus-test-tool");
    hole.args(["black-hole", "--session", &format!("--name={SECRETS}")])
        .stdin(Stdio::null());
    let _hole = bus.start_owner(
        SECRETS,
        hole,
        "dbus-test-tool black-hole",
        root.path().join("hole.log"),
    );

    let timeout = Duration::from_secs(1);
    let bound = Duration::from_secs(5);
    let cli = cli
        .with("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .with(TIMEOUT_VAR, "1");
    for args in [&["get", "GITHUB_TOKEN"][..], &["set", "X", "--stdin"]] {
        let (out, elapsed) = cli.run_timed(args, b"x");
        let (error, hint) = keychain_failure(&out, elapsed, bound);
        assert!(elapsed >= timeout, "{args:?} gave up early: {elapsed:?}");
        assert!(error.contains("did not answer within 1s"), "{error}");
        assert!(hint.contains(TIMEOUT_VAR), "{hint}");
    }
    let (out, elapsed) = cli.run_timed(&["exec", "--", "true"], b"");
    assert!(elapsed < bound, "exec took {elapsed:?}");
    let (error, _) = failure(&out, 125);
    assert!(error.contains("did not answer"), "{error}");

    // init --backend keychain: refused, nothing written.
    let fresh = Env::new();
    let cli = Cli::new(&fresh, &profile, Some(bus.address())).with(TIMEOUT_VAR, "1");
    let (out, elapsed) = cli.run_timed(&["init", "--backend", "keychain"], b"");
    keychain_failure(&out, elapsed, bound);
    assert_eq!(fresh.files(), BTreeMap::new());

    // init --backend auto: the file backend after about the timeout.
    let (out, elapsed) = cli.run_timed(&["init", "--backend", "auto"], b"");
    assert_success(&out);
    assert!(
        elapsed >= timeout && elapsed < bound,
        "auto took {elapsed:?}"
    );
    let said = stderr(&out);
    assert!(said.contains("file backend"), "{said}");
    assert!(said.contains("did not answer within 1s"), "{said}");
    assert_eq!(cli.status()["backend"], "file");
}

#[test]
fn parallel_sets_through_the_keychain_lose_nothing() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-parallel");
    let _cleanup = Cleanup::new(&bus, &profile);
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    let writers: Vec<(String, String, Child)> = (0..12)
        .map(|i| {
            let name = format!("VAR_{i}");
            let value = format!("value {i}: ünï \"q\"\n second line");
            let input = format!("{value}\n");
            let child = cli.spawn(&["set", &name, "--stdin"], input.as_bytes());
            (name, value, child)
        })
        .collect();
    let mut expected = BTreeMap::new();
    for (name, value, child) in writers {
        assert_success(&finish(child, &format!("set {name}")));
        expected.insert(name, value);
    }
    assert_eq!(cli.values(), expected);
    for (name, value) in &expected {
        assert_eq!(&cli.get(name), value, "{name}");
    }
}

#[test]
fn migrate_both_ways_keeps_every_value_and_removes_the_old_copy() {
    let Some(bus) = shared_bus() else { return };
    if !have("age") {
        return;
    }
    let env = Env::new();
    let profile = unique("kc-migrate");
    let cleanup = Cleanup::new(&bus, &profile);
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    set_values(&cli);
    let expected = all_values();
    let first = cli.setting("item").expect("item");

    // To the file: every value, the item gone, `age` reads the copy.
    assert_success(&cli.run(&["migrate", "--to", "file"]));
    assert_eq!(cli.status()["backend"], "file");
    assert_eq!(cli.setting("item"), None);
    assert_eq!(lookup(&bus, &first), None);
    assert_eq!(cleanup.accounts(), Vec::<String>::new());
    assert_eq!(cli.values(), expected);
    age::assert_decrypts(&env.identity_path(), &cli.store_file(), &expected);

    // And back: every value, the file gone, one item.
    assert_success(&cli.run(&["migrate", "--to", "keychain"]));
    assert_eq!(cli.status()["backend"], "keychain");
    assert!(!cli.store_file().exists(), "the file copy is still there");
    let second = cli.setting("item").expect("item");
    assert_eq!(cleanup.accounts(), vec![second.clone()]);
    assert!(lookup(&bus, &second).is_some());
    assert_eq!(cli.values(), expected);
    for (name, value) in VALUES {
        assert_eq!(cli.get(name), value, "{name}");
    }

    // Moving to where it already is changes nothing.
    let files = env.files();
    let out = cli.run(&["migrate", "--to", "keychain"]);
    assert_success(&out);
    assert!(stderr(&out).contains("already"), "{}", stderr(&out));
    assert_unchanged(&env, &files);
    assert_eq!(cleanup.accounts(), vec![second]);
}

#[test]
fn interrupted_migrations_lose_nothing() {
    let Some(bus) = shared_bus() else { return };
    const ROUNDS: usize = 30;
    let seed = 0x5EED_C4A1_0000_0007_u64;
    let mut rng = Rng::new(seed);
    let env = Env::new();
    let profile = unique("kc-interrupt");
    let cleanup = Cleanup::new(&bus, &profile);
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    set_values(&cli);
    let expected = all_values();
    let (mut killed, mut switched_anyway, mut resumed) = (0, 0, 0);

    for round in 0..ROUNDS {
        let context = format!("round {round} (seed {seed:#x})");
        let from = cli.setting("backend").expect("backend");
        let to = if from == "keychain" {
            "file"
        } else {
            "keychain"
        };
        let mut child = cli.spawn(&["migrate", "--to", to], b"");
        std::thread::sleep(Duration::from_millis(rng.below(81)));
        // It may have finished already; kill() then fails harmlessly.
        let _ = child.kill();
        let out = finish(child, &format!("{context}: migrate --to {to}"));
        let now = cli.setting("backend").expect("backend");
        if out.status.signal() == Some(9) {
            killed += 1;
            if now != from {
                switched_anyway += 1;
            }
        } else {
            assert_success(&out);
            assert_eq!(now, to, "{context}");
        }

        // Whatever backend the settings name gives every value back.
        assert_eq!(
            cli.values(),
            expected,
            "{context}: {from} -> {to}, now {now}"
        );
        assert_eq!(cli.get("GITHUB_TOKEN"), TOKEN, "{context}");

        // Half the time the interrupted move is finished by hand: that
        // works, and the old copy goes.
        if now == from && rng.below(2) == 0 {
            let old_item = cli.setting("item");
            let out = cli.run(&["migrate", "--to", to]);
            assert!(
                out.status.success(),
                "{context}: resuming migrate --to {to} failed: {}",
                stderr(&out)
            );
            resumed += 1;
            assert_eq!(cli.values(), expected, "{context}: after resuming");
            match old_item {
                Some(account) => assert_eq!(lookup(&bus, &account), None, "{context}"),
                None => assert!(!cli.store_file().exists(), "{context}"),
            }
        }
    }

    // A final move in each direction still works, and the move back
    // removes the copy it came from (stale leftovers of killed moves
    // included, for the file).
    let last = cli.setting("backend").expect("backend");
    let (there, back) = if last == "keychain" {
        ("file", "keychain")
    } else {
        ("keychain", "file")
    };
    assert_success(&cli.run(&["migrate", "--to", there]));
    assert_success(&cli.run(&["migrate", "--to", back]));
    assert_eq!(cli.values(), expected);
    assert_eq!(cli.setting("backend").as_deref(), Some(back));
    let current = cli.setting("item");
    assert_eq!(cli.store_file().exists(), back == "file");
    if let Some(account) = &current {
        assert!(lookup(&bus, account).is_some());
    }
    let orphans: Vec<String> = cleanup
        .accounts()
        .into_iter()
        .filter(|a| Some(a) != current.as_ref())
        .collect();
    eprintln!(
        "{ROUNDS} rounds: {killed} migrations killed ({switched_anyway} after switching), \
         {resumed} resumed; items left by killed migrations: {}",
        orphans.len()
    );
    assert!(
        killed > 0,
        "no migrate was interrupted: the test tested nothing"
    );
}

#[test]
fn identity_in_the_keychain_opens_the_file_store() {
    let Some(bus) = shared_bus() else { return };
    if !have("age") {
        return;
    }
    let env = Env::new();
    let profile = unique("kc-identity");
    let _cleanup = Cleanup::new(&bus, &profile);
    let cli = Cli::new(&env, &profile, Some(&bus));
    let out = cli.run(&["init", "--backend", "file", "--identity-in-keychain"]);
    assert_success(&out);
    assert_eq!(cli.setting("backend").as_deref(), Some("file"));
    assert_eq!(cli.setting("identity"), None);
    let account = cli.setting("identity_item").expect("identity_item");
    assert!(
        account.starts_with(&format!("identity:{profile}@")),
        "{account}"
    );
    cli.set("GITHUB_TOKEN", TOKEN);
    cli.set("USER_EMAIL", "zoe@example.com");
    assert_eq!(cli.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(cli.status()["backend"], "file");

    // No identity on disk: no identity file, no secret key in any file.
    assert!(!env.identity_path().exists());
    for (path, bytes) in env.files() {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("AGE-SECRET-KEY-"),
            "{} holds a secret key",
            path.display()
        );
    }

    // The identity from the keychain decrypts the store with `age`.
    let identity = lookup(&bus, &account).expect("the identity item");
    let text = String::from_utf8(identity).expect("utf-8 identity");
    assert!(text.contains("AGE-SECRET-KEY-1"), "not an age identity");
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("identity.txt");
    fs::write(&key, &text).expect("write identity");
    set_mode(&key, 0o600);
    let expected = BTreeMap::from([
        ("GITHUB_TOKEN".to_string(), TOKEN.to_string()),
        ("USER_EMAIL".to_string(), "zoe@example.com".to_string()),
    ]);
    age::assert_decrypts(&key, &cli.store_file(), &expected);

    // `identity export` backs up the key from the keychain, byte for byte.
    let backup = dir.path().join("backup.txt");
    assert_success(&cli.run(&["identity", "export", backup.to_str().expect("utf-8")]));
    assert_eq!(fs::read_to_string(&backup).expect("backup"), text);

    // Without the keychain the store cannot be opened: the key is only there.
    let (out, elapsed) = cli
        .without("DBUS_SESSION_BUS_ADDRESS")
        .run_timed(&["get", "GITHUB_TOKEN"], b"");
    let (error, _) = keychain_failure(&out, elapsed, Duration::from_secs(10));
    assert!(error.contains("D-Bus session bus"), "{error}");
}

/// A move interrupted after the switch leaves the old copy behind; running
/// the same move again removes it, so no stale copy of the secrets lingers.
#[test]
fn running_a_move_again_removes_the_copy_an_interrupted_one_left() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-leftover");
    let cleanup = Cleanup::new(&bus, &profile);
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set("GITHUB_TOKEN", TOKEN);
    let account = cli.setting("item").expect("item");
    let stale = lookup(&bus, &account).expect("the item");
    assert_success(&cli.run(&["migrate", "--to", "file"]));
    assert_eq!(lookup(&bus, &account), None);

    // Put the old item back, as a move killed before its last step leaves it.
    store(&bus, &account, "bscred: leftover", &stale);
    assert!(lookup(&bus, &account).is_some());

    let out = cli.run(&["migrate", "--to", "file"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("removed the old copy"),
        "{}",
        stderr(&out)
    );
    assert_eq!(lookup(&bus, &account), None);
    assert_eq!(cli.get("GITHUB_TOKEN"), TOKEN);
    drop(cleanup);
}

/// Lost settings and a fresh `init` on the other backend: a later `migrate`
/// must never delete or overwrite the copy that still holds the values.
#[test]
fn migrate_never_destroys_a_copy_that_differs() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-differs");
    let cleanup = Cleanup::new(&bus, &profile);
    let cli = Cli::new(&env, &profile, Some(&bus));
    let settings = env
        .bscred_home
        .join(format!("config/profiles/{profile}.toml"));

    // The keychain holds the token; the settings are lost; a new, empty
    // file profile is made. `migrate --to file` must keep the item.
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set("GITHUB_TOKEN", TOKEN);
    let account = cli.setting("item").expect("item");
    fs::remove_file(&settings).expect("lose the settings");
    assert_success(&cli.run(&["init", "--backend", "file"]));
    let out = cli.run(&["migrate", "--to", "file"]);
    assert_success(&out);
    assert!(stderr(&out).contains("differs"), "{}", stderr(&out));
    assert!(
        lookup(&bus, &account).is_some(),
        "the only copy was deleted"
    );

    // The file holds a value; the keychain profile is empty: moving to
    // the file must refuse rather than overwrite it.
    cli.set("ONLY_IN_FILE", "precious");
    let store = cli.store_file();
    let before = fs::read(&store).expect("read");
    fs::remove_file(&settings).expect("lose the settings again");
    // The old keychain item still exists (it differs): clear it so `init`
    // can make a fresh keychain profile.
    assert!(clear(&bus, &account));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    let out = cli.run(&["migrate", "--to", "file"]);
    let (error, _) = failure(&out, 1);
    assert!(error.contains("different copy"), "{error}");
    assert_eq!(
        fs::read(&store).expect("read"),
        before,
        "the file was changed"
    );
    drop(cleanup);
}

#[test]
fn a_keychain_exec_opens_one_connection_and_one_session() {
    use crate::harness::dbus::Monitor;
    if !have_private_session() || !have("dbus-monitor") {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let session = Session::fresh(root.path());
    let env = Env::new();
    let cli = Cli::new(&env, "one", Some(session.bus.address()));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    set_values(&cli);
    let monitor = Monitor::start(session.bus.address(), root.path().join("exec.log"));
    let out = cli.run(&["exec", "--", "sh", "-c", "printf %s \"$GITHUB_TOKEN\""]);
    let calls = monitor.stop_with_senders(SECRETS);
    assert_success(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), TOKEN);
    let opened = calls
        .iter()
        .filter(|(_, call)| call.ends_with(".OpenSession"))
        .count();
    assert_eq!(opened, 1, "Secret Service sessions: {calls:?}");
    let mut senders: Vec<&str> = calls.iter().map(|(sender, _)| sender.as_str()).collect();
    senders.sort_unstable();
    senders.dedup();
    assert_eq!(senders.len(), 1, "D-Bus connections: {calls:?}");
    assert!(senders[0].starts_with(':'), "no sender read: {calls:?}");
}
