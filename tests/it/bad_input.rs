//! Bad input of every kind: each gets its documented exit code, a one-line
//! error naming the thing that is wrong (never a value), a hint where one
//! helps, and leaves every file exactly as it was (docs/SECURITY.md "Files that are not what they seem").
//! What each one prints is also pinned by a snapshot of its transcript
//! (harness::transcript), read in review like the help texts.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::harness::transcript::{self, Transcript};
use crate::harness::{Env, NOW, TOKEN, assert_fails, assert_success, assert_unchanged, have};

/// Asserts neither output stream holds the test token.
fn assert_no_token(out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(TOKEN), "token on stdout: {stdout}");
    assert!(!stderr.contains(TOKEN), "token on stderr: {stderr}");
}

/// An initialised profile holding the test token and a plain variable, with
/// a `.env` in the work dir for `import` to find.
fn with_token() -> Env {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    env.set("GITHUB_USERNAME", "octocat");
    fs::write(env.work.join(".env"), format!("NEW_TOKEN={TOKEN}\n")).expect("write .env");
    env
}

/// Every command that decrypts the store, each given a chance to write,
/// recorded in `shown`.
fn decrypting_commands(env: &Env, shown: &mut Transcript) -> Vec<(&'static str, Output)> {
    vec![
        ("get", shown.run(env, &["get", "GITHUB_TOKEN"])),
        ("list", shown.run(env, &["list", "--json"])),
        (
            "set",
            shown.run_stdin(
                env,
                &["set", "OTHER_TOKEN", "--stdin"],
                TOKEN.as_bytes(),
                "a token",
            ),
        ),
        (
            "set --plain",
            shown.run(env, &["set", "NEW_NAME", "value", "--plain"]),
        ),
        ("rm", shown.run(env, &["rm", "GITHUB_USERNAME"])),
        ("rm -f", shown.run(env, &["rm", "-f", "GITHUB_USERNAME"])),
        ("import", shown.run(env, &["import", "--remove"])),
    ]
}

#[test]
fn secret_value_on_argv_is_refused_with_both_safe_forms() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    for args in [
        vec!["set", "GITHUB_TOKEN", TOKEN],
        vec!["set", "API_KEY", TOKEN],
        vec!["set", "GITHUB_USERNAME", TOKEN, "--secret"],
    ] {
        let out = shown.run(&env, &args);
        let stderr = assert_fails(&out, 2);
        let name = args[1];
        assert!(
            stderr.starts_with(&format!(
                "bscred: error: refusing to take the secret value of {name}"
            )),
            "{args:?}: {stderr}"
        );
        let hint = stderr.lines().nth(1).unwrap_or_default();
        assert!(hint.contains(&format!("`bscred set {name}`")), "{hint}");
        assert!(
            hint.contains(&format!("bscred set {name} --stdin`")),
            "{hint}"
        );
        assert!(hint.contains("--plain"), "{hint}");
    }
    assert_unchanged(&env, &before);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn plain_flag_allows_a_value_on_argv() {
    let env = Env::initialised();
    env.ok(&["set", "GITHUB_TOKEN", TOKEN, "--plain"]);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    let list = env.list_json();
    assert_eq!(list["variables"][0]["name"], "GITHUB_TOKEN");
    assert_eq!(list["variables"][0]["secret"], false);
    // A plain name needs no flag at all.
    env.ok(&["set", "GITHUB_USERNAME", "octocat"]);
    assert_eq!(env.get("GITHUB_USERNAME"), "octocat");
}

#[test]
fn invalid_names_are_usage_errors_for_set_get_and_rm() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    for name in ["1A", "A-B", "A.B", ""] {
        let runs = [
            shown.run_stdin(&env, &["set", name, "--stdin"], TOKEN.as_bytes(), "a token"),
            shown.run(&env, &["set", name, "value"]),
            shown.run(&env, &["get", name]),
            shown.run(&env, &["rm", name]),
            shown.run(&env, &["rm", "GITHUB_USERNAME", name]),
        ];
        for out in &runs {
            let stderr = assert_fails(out, 2);
            assert!(
                stderr.contains(&format!("{name:?} is not a valid variable name")),
                "{name:?}: {stderr}"
            );
        }
    }
    assert_unchanged(&env, &before);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn value_with_nul_is_refused_naming_nul() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    let out = shown.run_stdin(
        &env,
        &["set", "A_TOKEN", "--stdin"],
        b"ghp_abc\0def",
        "ghp_abc NUL def",
    );
    let stderr = assert_fails(&out, 2);
    assert!(stderr.contains("A_TOKEN"), "{stderr}");
    assert!(stderr.contains("NUL"), "{stderr}");
    assert!(!stderr.contains("ghp_abc"), "{stderr}");
    assert_unchanged(&env, &before);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn non_utf8_value_is_refused() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    let out = shown.run_stdin(
        &env,
        &["set", "A_TOKEN", "--stdin"],
        b"ghp_\xff\xfe",
        "ghp_ then the bytes ff fe",
    );
    let stderr = assert_fails(&out, 2);
    assert!(stderr.contains("A_TOKEN"), "{stderr}");
    assert!(stderr.contains("UTF-8"), "{stderr}");
    assert_unchanged(&env, &before);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn value_over_64_kib_is_refused_naming_the_limit() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    for len in [64 * 1024 + 1, 64 * 1024 + 3, 1024 * 1024] {
        let out = shown.run_stdin(
            &env,
            &["set", "BIG", "--stdin"],
            &vec![b'x'; len],
            &format!("{len} bytes"),
        );
        let stderr = assert_fails(&out, 2);
        assert!(stderr.contains("BIG"), "{stderr}");
        assert!(stderr.contains("65536"), "{len}: {stderr}");
    }
    // Over the limit even after the one trailing newline is dropped.
    let mut input = vec![b'x'; 64 * 1024 + 1];
    input.push(b'\n');
    let out = shown.run_stdin(
        &env,
        &["set", "BIG", "--stdin"],
        &input,
        "65537 bytes and a newline",
    );
    assert_fails(&out, 2);
    assert_unchanged(&env, &before);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn value_of_exactly_64_kib_is_accepted() {
    let env = Env::initialised();
    let value = "y".repeat(64 * 1024);
    env.set("BIG", &value);
    assert_eq!(env.get("BIG"), value);
    // The trailing newline a pipe adds does not count towards the limit.
    let out = env.run_stdin(&["set", "BIG2", "--stdin"], format!("{value}\n").as_bytes());
    assert_success(&out);
    assert_eq!(env.get("BIG2"), value);
}

#[test]
fn empty_stdin_stores_an_empty_value() {
    let env = Env::initialised();
    let out = env.run_stdin(&["set", "EMPTY", "--stdin"], b"");
    assert_success(&out);
    assert_eq!(env.get("EMPTY"), "");
    assert_eq!(env.ok(&["get", "EMPTY"]), "\n");
    // A lone newline is the same empty value.
    assert_success(&env.run_stdin(&["set", "EMPTY2", "--stdin"], b"\n"));
    assert_eq!(env.get("EMPTY2"), "");
}

#[test]
fn multi_line_values_round_trip_minus_one_trailing_newline() {
    let env = Env::initialised();
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "CERT",
            b"-----BEGIN X-----\n  indented\tand tabbed\n\n-----END X-----\n",
            "-----BEGIN X-----\n  indented\tand tabbed\n\n-----END X-----",
        ),
        ("TWO_NEWLINES", b"a\n\n", "a\n"),
        ("CRLF", b"a\r\n", "a"),
        ("NO_NEWLINE", b"a\nb", "a\nb"),
        (
            "UNICODE",
            "žluťoučký kůň 🐴\n".as_bytes(),
            "žluťoučký kůň 🐴",
        ),
    ];
    for (name, input, _) in cases {
        assert_success(&env.run_stdin(&["set", name, "--stdin"], input));
    }
    for (name, _, expected) in cases {
        assert_eq!(env.get(name), expected, "{name}");
    }
}

#[test]
fn no_value_and_no_terminal_asks_for_stdin() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    for name in ["GITHUB_TOKEN", "GITHUB_USERNAME"] {
        let out = shown.run(&env, &["set", name]);
        let stderr = assert_fails(&out, 2);
        assert!(
            stderr.contains(&format!("no value given for {name}")),
            "{stderr}"
        );
        let hint = stderr.lines().nth(1).unwrap_or_default();
        assert!(
            hint.contains(&format!("bscred set {name} --stdin")),
            "{hint}"
        );
    }
    assert_unchanged(&env, &before);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn uninitialised_profile_is_not_found_with_an_init_hint() {
    let env = Env::new();
    fs::write(env.work.join(".env"), format!("GITHUB_TOKEN={TOKEN}\n")).expect("write");
    let before = env.files();
    let mut shown = Transcript::new();
    let runs = [
        shown.run_stdin(
            &env,
            &["set", "GITHUB_TOKEN", "--stdin"],
            TOKEN.as_bytes(),
            "a token",
        ),
        shown.run(&env, &["set", "GITHUB_USERNAME", "octocat"]),
        shown.run(&env, &["get", "GITHUB_TOKEN"]),
        shown.run(&env, &["list"]),
        shown.run(&env, &["list", "--json"]),
        shown.run(&env, &["rm", "GITHUB_TOKEN"]),
        shown.run(&env, &["import"]),
        shown.run(&env, &["import", "--remove"]),
        shown.run(&env, &["status"]),
        shown.run(&env, &["status", "--json"]),
    ];
    for out in &runs {
        let stderr = assert_fails(out, 3);
        assert!(
            stderr.contains("profile 'default' is not initialised"),
            "{stderr}"
        );
        assert!(
            stderr.contains("bscred: hint: run `bscred init` to create it"),
            "{stderr}"
        );
    }
    assert_unchanged(&env, &before);
    assert!(!env.bscred_home.exists(), "nothing may be created");
    insta::assert_snapshot!(shown.text());
}

#[test]
fn uninitialised_named_profile_hint_names_it() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    let mut runs = vec![
        shown.run(&env, &["-p", "other", "get", "GITHUB_TOKEN"]),
        shown.run(&env, &["get", "-p", "other", "GITHUB_TOKEN"]),
        shown.run(&env, &["-p", "other", "set", "A", "x"]),
        shown.run(&env, &["-p", "other", "status"]),
    ];
    let from_env = env
        .cmd()
        .env("BSCRED_PROFILE", "other")
        .args(["list"])
        .output()
        .expect("runs");
    shown.add(&env, "BSCRED_PROFILE=other bscred list", &from_env);
    runs.push(from_env);
    for out in runs {
        let stderr = assert_fails(&out, 3);
        assert!(stderr.contains("profile 'other'"), "{stderr}");
        assert!(stderr.contains("`bscred init -p other`"), "{stderr}");
    }
    assert_unchanged(&env, &before);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn missing_variable_is_not_found() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    let stderr = assert_fails(&shown.run(&env, &["get", "MISSING"]), 3);
    assert!(
        stderr.contains("no variable MISSING in profile 'default'"),
        "{stderr}"
    );
    assert!(stderr.contains("bscred list"), "{stderr}");
    assert_unchanged(&env, &before);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn rm_is_all_or_nothing_unless_forced() {
    let env = with_token();
    env.set("KEEP", "kept");
    let before = env.files();
    let mut shown = Transcript::new();
    for args in [
        ["rm", "GITHUB_TOKEN", "MISSING"],
        ["rm", "MISSING", "GITHUB_TOKEN"],
    ] {
        let stderr = assert_fails(&shown.run(&env, &args), 3);
        assert!(stderr.contains("MISSING"), "{stderr}");
        assert!(!stderr.contains("no variable GITHUB_TOKEN"), "{stderr}");
    }
    assert_unchanged(&env, &before);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);

    env.ok(&["rm", "-f", "MISSING", "GITHUB_TOKEN"]);
    assert_fails(&env.run(&["get", "GITHUB_TOKEN"]), 3);
    let names: Vec<String> = env.list_json()["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| v["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(names, ["GITHUB_USERNAME", "KEEP"]);
    // Forcing names that are all missing is fine and removes nothing.
    env.ok(&["rm", "--force", "MISSING", "ALSO_MISSING"]);
    assert_eq!(env.get("KEEP"), "kept");
    insta::assert_snapshot!(shown.text());
}

/// The ways a store file can be damaged, applied to its bytes.
fn damaged_stores(good: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut tampered = good.to_vec();
    let at = tampered.len() - 10;
    tampered[at] ^= 0x01;
    let mut garbage: Vec<u8> = (0..=255u8).cycle().take(600).collect();
    garbage[0] = 0xff;
    vec![
        ("garbage", garbage),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("tampered", tampered),
        ("empty", Vec::new()),
        ("age header only", {
            let end = good
                .windows(4)
                .position(|w| w == b"\n---")
                .expect("age header end");
            let line_end = end
                + 1
                + good[end + 1..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .expect("mac line");
            good[..=line_end].to_vec()
        }),
    ]
}

#[test]
fn damaged_store_is_unavailable_and_left_byte_identical() {
    let mut shown = Transcript::new();
    for index in 0.. {
        // Each damage on a store this environment's identity really opens.
        let env = with_token();
        let store = env.store_path();
        let good = fs::read(&store).expect("read store");
        let Some((kind, bytes)) = damaged_stores(&good).into_iter().nth(index) else {
            assert_eq!(index, 5, "every kind of damage ran");
            break;
        };
        assert_ne!(bytes, good, "{kind}");
        fs::write(&store, &bytes).expect("damage the store");
        let before = env.files();
        shown.note(&format!("the store: {kind}"));
        for (command, out) in decrypting_commands(&env, &mut shown) {
            let stderr = assert_fails(&out, 4);
            assert!(
                stderr.contains(&store.display().to_string()),
                "{kind}, {command}: {stderr}"
            );
            assert!(stderr.contains("damaged"), "{kind}, {command}: {stderr}");
        }
        assert_unchanged(&env, &before);
        assert_eq!(fs::read(&store).expect("read"), bytes, "{kind}");
        assert!(env.work.join(".env").exists(), "{kind}: .env removed");
    }
    insta::assert_snapshot!(shown.text());
}

/// Another valid identity: from `age-keygen` when installed, else from a
/// second bscred home.
fn other_identity() -> Vec<u8> {
    if have("age-keygen") {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key.txt");
        let out = std::process::Command::new("age-keygen")
            .arg("-o")
            .arg(&path)
            .output()
            .expect("age-keygen runs");
        assert!(out.status.success(), "age-keygen failed");
        fs::read(&path).expect("read key")
    } else {
        let other = Env::initialised();
        fs::read(other.identity_path()).expect("read identity")
    }
}

#[test]
fn wrong_identity_is_unavailable_naming_the_identity() {
    let env = with_token();
    let identity = env.identity_path();
    let original = fs::read(&identity).expect("read identity");
    let replacement = other_identity();
    assert_ne!(original, replacement);
    // fs::write keeps the file's 0600 mode.
    fs::write(&identity, &replacement).expect("replace identity");
    let before = env.files();
    let mut shown = Transcript::new();
    for (command, out) in decrypting_commands(&env, &mut shown) {
        let stderr = assert_fails(&out, 4);
        assert!(stderr.contains("cannot decrypt"), "{command}: {stderr}");
        assert!(
            stderr.contains(&identity.display().to_string()),
            "{command}: {stderr}"
        );
    }
    assert_unchanged(&env, &before);
    // The right identity still opens the untouched store.
    fs::write(&identity, &original).expect("restore identity");
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("GITHUB_USERNAME"), "octocat");
    insta::assert_snapshot!(shown.text());
}

#[cfg(unix)]
#[test]
fn identity_readable_by_others_is_refused_with_a_chmod_hint() {
    use std::os::unix::fs::PermissionsExt;
    let env = with_token();
    let identity = env.identity_path();
    fs::set_permissions(&identity, fs::Permissions::from_mode(0o644)).expect("chmod");
    let before = env.files();
    let mut shown = Transcript::new();
    shown.note("the identity file is 0644");
    for (command, out) in decrypting_commands(&env, &mut shown) {
        let stderr = assert_fails(&out, 4);
        assert!(stderr.contains("0644"), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "bscred: hint: run `chmod 600 {}`",
                identity.display()
            )),
            "{command}: {stderr}"
        );
    }
    assert_unchanged(&env, &before);
    // Group-readable is refused too.
    fs::set_permissions(&identity, fs::Permissions::from_mode(0o640)).expect("chmod");
    shown.note("the identity file is 0640");
    assert_fails(&shown.run(&env, &["get", "GITHUB_TOKEN"]), 4);
    fs::set_permissions(&identity, fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn missing_store_is_unavailable_and_never_recreated() {
    let env = with_token();
    let store = env.store_path();
    fs::remove_file(&store).expect("delete store");
    let before = env.files();
    let mut shown = Transcript::new();
    let mut runs = decrypting_commands(&env, &mut shown);
    runs.push(("init", shown.run(&env, &["init"])));
    for (command, out) in runs {
        let stderr = assert_fails(&out, 4);
        assert!(
            stderr.contains(&store.display().to_string()),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("missing"), "{command}: {stderr}");
    }
    assert!(!store.exists(), "a fresh store was started over a lost one");
    assert_unchanged(&env, &before);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn another_backend_than_the_recorded_one_is_a_usage_error() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    let flagged = shown.run(&env, &["get", "--backend", "keychain", "GITHUB_TOKEN"]);
    let from_env = env
        .cmd()
        .env("BSCRED_BACKEND", "keychain")
        .args(["get", "GITHUB_TOKEN"])
        .output()
        .expect("runs");
    shown.add(
        &env,
        "BSCRED_BACKEND=keychain bscred get GITHUB_TOKEN",
        &from_env,
    );
    let set = shown.run_stdin(
        &env,
        &["--backend", "keychain", "set", "A_TOKEN", "--stdin"],
        TOKEN.as_bytes(),
        "a token",
    );
    for out in [flagged, from_env, set] {
        let stderr = assert_fails(&out, 2);
        assert!(
            stderr.contains("uses the file backend, not keychain"),
            "{stderr}"
        );
        let hint = stderr.lines().nth(1).unwrap_or_default();
        assert!(hint.contains("migrate"), "{hint}");
    }
    assert_unchanged(&env, &before);

    assert_eq!(
        env.ok(&["get", "--backend", "file", "GITHUB_TOKEN"]),
        format!("{TOKEN}\n")
    );
    assert_eq!(
        env.ok(&["get", "--backend", "auto", "GITHUB_TOKEN"]),
        format!("{TOKEN}\n")
    );
    let out = env
        .cmd()
        .env("BSCRED_BACKEND", "file")
        .args(["get", "-n", "GITHUB_USERNAME"])
        .output()
        .expect("runs");
    assert_success(&out);
    assert_eq!(out.stdout, b"octocat");
    insta::assert_snapshot!(shown.text());
}

#[test]
fn init_with_keychain_and_no_session_bus_fails_and_creates_nothing() {
    // The harness clears the environment: no DBUS_SESSION_BUS_ADDRESS.
    let env = Env::new();
    let mut shown = Transcript::new();
    let flagged = shown.run(&env, &["init", "--backend", "keychain"]);
    let from_env = env
        .cmd()
        .env("BSCRED_BACKEND", "keychain")
        .arg("init")
        .output()
        .expect("runs");
    shown.add(&env, "BSCRED_BACKEND=keychain bscred init", &from_env);
    for out in [flagged, from_env] {
        let stderr = assert_fails(&out, 4);
        assert!(stderr.contains("D-Bus session bus"), "{stderr}");
        assert!(stderr.contains("--backend file"), "{stderr}");
    }
    assert!(env.files().is_empty());
    assert!(!env.identity_path().exists());
    // An initialised file profile refuses another backend with exit 2.
    let env = Env::initialised();
    let before = env.files();
    shown.note("an initialised file profile");
    let stderr = assert_fails(&shown.run(&env, &["init", "--backend", "keychain"]), 2);
    assert!(stderr.contains("migrate"), "{stderr}");
    assert_unchanged(&env, &before);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn init_twice_changes_nothing() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    for args in [
        &["init"][..],
        &["init", "--backend", "file"],
        &["init", "--backend", "auto"],
    ] {
        let out = shown.run(&env, args);
        assert_success(&out);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("already initialised"),
            "{args:?}"
        );
    }
    assert_unchanged(&env, &before);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn malformed_project_file_cannot_be_allowed() {
    let env = with_token();
    let project = env.work.join(".bscred.toml");
    let sub = env.work.join("a/b");
    fs::create_dir_all(&sub).expect("mkdir");
    let mut shown = Transcript::new();
    for text in [
        "profile = [",
        "profile = \"../escape\"\n",
        "version = 2\n",
        "required = [\"NOT-A-NAME\"]\n",
    ] {
        fs::write(&project, text).expect("write");
        let before = env.files();
        shown.note(&format!(".bscred.toml holds {text:?}"));
        for dir in [&env.work, &sub] {
            let cd = if dir == &sub { "cd a/b; " } else { "" };
            let out = env
                .cmd()
                .current_dir(dir)
                .arg("allow")
                .output()
                .expect("runs");
            shown.add(&env, &format!("{cd}bscred allow"), &out);
            let stderr = assert_fails(&out, 1);
            assert!(
                stderr.contains(&project.display().to_string()),
                "{text:?}: {stderr}"
            );
            // Never allowed, so it is ignored (with a notice), not obeyed.
            let out = env
                .cmd()
                .current_dir(dir)
                .args(["get", "-n", "GITHUB_USERNAME"])
                .output()
                .expect("runs");
            shown.add(&env, &format!("{cd}bscred get -n GITHUB_USERNAME"), &out);
            assert_success(&out);
            assert_eq!(out.stdout, b"octocat");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("not allowed yet"), "{stderr}");
        }
        assert_unchanged(&env, &before);
    }
    insta::assert_snapshot!(shown.text());
}

#[test]
fn unknown_project_settings_are_a_warning_not_an_error() {
    let env = with_token();
    fs::write(env.work.join(".bscred.toml"), "profle = \"team\"\n").expect("write");
    env.ok(&["allow"]);
    let mut shown = Transcript::new();
    let out = shown.run(&env, &["get", "-n", "GITHUB_USERNAME"]);
    assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("profle"), "{stderr}");
    insta::assert_snapshot!(shown.text());
}

fn status_profile(out: &Output) -> String {
    assert_success(out);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    status["profile"].as_str().expect("profile").to_string()
}

#[test]
fn project_file_chooses_the_profile_and_options_override_it() {
    let env = Env::initialised();
    env.set("WHERE", "default");
    fs::write(env.work.join(".bscred.toml"), "profile = \"team\"\n").expect("write");
    let sub = env.work.join("packages/app");
    fs::create_dir_all(&sub).expect("mkdir");

    // Not allowed yet: ignored, with one line saying how to allow it.
    let mut shown = Transcript::new();
    let out = shown.run(&env, &["status", "--json"]);
    assert_eq!(status_profile(&out), "default");
    let notice = String::from_utf8_lossy(&out.stderr);
    assert!(notice.contains("run `bscred allow`"), "{notice}");
    assert_eq!(notice.lines().count(), 1, "{notice}");
    env.ok(&["allow"]);

    // Before `init`, the project's profile is the one reported missing.
    let stderr = assert_fails(&shown.run(&env, &["get", "WHERE"]), 3);
    assert!(stderr.contains("profile 'team'"), "{stderr}");
    assert!(stderr.contains("`bscred init -p team`"), "{stderr}");

    env.ok(&["init"]);
    env.set("WHERE", "team");
    let run = |dir: &Path, profile_env: Option<&str>, args: &[&str]| {
        let mut cmd = env.cmd();
        cmd.current_dir(dir).args(args);
        if let Some(profile) = profile_env {
            cmd.env("BSCRED_PROFILE", profile);
        }
        cmd.output().expect("runs")
    };
    assert_eq!(
        status_profile(&run(&env.work, None, &["status", "--json"])),
        "team"
    );
    assert_eq!(
        status_profile(&run(&sub, None, &["status", "--json"])),
        "team"
    );
    assert_eq!(
        status_profile(&run(&sub, None, &["-p", "default", "status", "--json"])),
        "default"
    );
    assert_eq!(
        status_profile(&run(&sub, Some("default"), &["status", "--json"])),
        "default"
    );
    assert_eq!(env.get("WHERE"), "team");
    assert_eq!(env.ok(&["-p", "default", "get", "-n", "WHERE"]), "default");
    let out = run(&sub, Some("default"), &["get", "-n", "WHERE"]);
    assert_success(&out);
    assert_eq!(out.stdout, b"default");
    // -p wins over BSCRED_PROFILE.
    let out = run(&sub, Some("default"), &["-p", "team", "get", "-n", "WHERE"]);
    assert_success(&out);
    assert_eq!(out.stdout, b"team");
    assert!(env.store_path().ends_with("team.age"));
    insta::assert_snapshot!(shown.text());
}

#[test]
fn bad_expiry_is_a_usage_error_and_a_good_one_is_recorded() {
    let env = with_token();
    let before = env.files();
    let mut shown = Transcript::new();
    for args in [
        &["set", "A_TOKEN", "--stdin", "--expires", "2026-13-45"][..],
        &["set", "A_TOKEN", "--stdin", "--expires", "next tuesday"],
        &["set", "A_TOKEN", "--stdin", "--expires", ""],
        &["set", "A_TOKEN", "--stdin", "--expires-in", "0d"],
        &["set", "A_TOKEN", "--stdin", "--expires-in=-5d"],
        &["set", "A_TOKEN", "--stdin", "--expires-in", "soon"],
        &["set", "GITHUB_TOKEN", "--stdin", "--expires-in", "0d"],
    ] {
        let out = shown.run_stdin(&env, args, TOKEN.as_bytes(), "a token");
        let stderr = assert_fails(&out, 2);
        assert!(stderr.contains("--expires"), "{args:?}: {stderr}");
    }
    assert_unchanged(&env, &before);
    insta::assert_snapshot!(shown.text());

    env.ok(&[
        "set",
        "GITHUB_USERNAME",
        "octocat",
        "--expires",
        "2026-12-31",
    ]);
    let out = env.run_stdin(
        &["set", "GITHUB_TOKEN", "--stdin", "--expires-in", "90d"],
        TOKEN.as_bytes(),
    );
    assert_success(&out);
    let list = env.list_json();
    let expiry = |name: &str| {
        list["variables"]
            .as_array()
            .expect("variables")
            .iter()
            .find(|v| v["name"] == name)
            .map(|v| v["expires_at"].clone())
            .expect("listed")
    };
    assert_eq!(expiry("GITHUB_USERNAME"), "2026-12-31T00:00:00Z");
    // NOW + 90 days.
    assert_eq!(NOW, "2026-06-01T12:00:00Z");
    assert_eq!(expiry("GITHUB_TOKEN"), "2026-08-30T12:00:00Z");
}

#[test]
fn relative_bscred_home_is_a_usage_error() {
    let env = Env::new();
    let mut shown = Transcript::new();
    for home in ["rel", "./rel", "rel/../x"] {
        for args in [&["init"][..], &["status"], &["get", "A"]] {
            let out = env
                .cmd()
                .env("BSCRED_HOME", home)
                .args(args)
                .output()
                .expect("runs");
            let command = transcript::command_line(args);
            shown.add(&env, &format!("BSCRED_HOME={home} {command}"), &out);
            let stderr = assert_fails(&out, 2);
            assert!(stderr.contains("BSCRED_HOME"), "{stderr}");
            assert!(stderr.contains("absolute"), "{stderr}");
        }
    }
    assert!(env.files().is_empty(), "{:?}", env.files().keys());
    assert!(!env.work.join("rel").exists());
    assert!(!env.bscred_home.exists());
    insta::assert_snapshot!(shown.text());
}

#[test]
fn failing_commands_never_print_the_token() {
    // Every failure above goes through assert_fails, which checks stderr;
    // this checks both streams for the failures that see the token's bytes.
    let env = with_token();
    let outs = [
        env.run(&["set", "GITHUB_TOKEN", TOKEN]),
        env.run(&["set", "GITHUB_TOKEN", TOKEN, "--stdin"]),
        env.run(&["set", "GITHUB_TOKEN", TOKEN, "--expires-in", "0d"]),
        env.run(&["set", "GITHUB_TOKEN", TOKEN, "extra"]),
        env.run(&["set", "1A", TOKEN]),
        env.run_stdin(&["set", "1A", "--stdin"], TOKEN.as_bytes()),
        env.run_stdin(
            &["set", "A_TOKEN", "--stdin"],
            format!("{TOKEN}\0").as_bytes(),
        ),
        env.run_stdin(
            &["set", "A_TOKEN", "--stdin"],
            [TOKEN.as_bytes(), b"\xff"].concat().as_slice(),
        ),
        env.run_stdin(
            &["set", "A_TOKEN", "--stdin"],
            TOKEN.repeat(64 * 1024 / TOKEN.len() + 1).as_bytes(),
        ),
    ];
    for out in &outs {
        assert!(!out.status.success());
        assert_no_token(out);
    }
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
}

#[test]
fn name_equals_value_is_refused_without_echoing_the_value() {
    let env = with_token();
    let before = env.files();
    let pasted = format!("GITHUB_TOKEN={TOKEN}");
    let mut shown = Transcript::new();
    for args in [
        vec!["set", pasted.as_str()],
        vec!["get", pasted.as_str()],
        vec!["rm", pasted.as_str()],
        vec!["env", "--only", pasted.as_str()],
    ] {
        let out = shown.run(&env, &args);
        let stderr = assert_fails(&out, 2);
        assert!(stderr.contains("NAME=VALUE"), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 2, "{stderr}");
    }
    assert_unchanged(&env, &before);
    insta::assert_snapshot!(shown.text());
}

#[test]
fn bad_values_come_with_a_hint() {
    let env = Env::initialised();
    let mut shown = Transcript::new();
    let out = shown.run_stdin(&env, &["set", "A", "--stdin"], b"a\0b", "a NUL b");
    let stderr = assert_fails(&out, 2);
    assert!(
        stderr.contains("bscred: hint: values are UTF-8 text"),
        "{stderr}"
    );
    insta::assert_snapshot!(shown.text());
}

/// A symlink where a profile's store belongs is refused, for reading and
/// for writing, without following it (a link planted there would send the
/// store's content, or read another file, wherever it points); a FIFO is
/// refused without hanging; a dangling link is never replaced by `init`.
#[cfg(unix)]
#[test]
fn a_symlink_or_fifo_where_the_store_belongs_is_refused_without_following_it() {
    let env = with_token();
    let store = env.store_path();
    let real = env.home.join("repo/team.age");
    fs::create_dir_all(real.parent().expect("parent")).expect("mkdir");
    fs::rename(&store, &real).expect("move store");
    std::os::unix::fs::symlink(&real, &store).expect("link");
    let real_bytes = fs::read(&real).expect("read");
    let before = env.files();
    let mut shown = Transcript::new();
    shown.note("the store is a symlink to [HOME]/repo/team.age");
    for args in [&["get", "GITHUB_TOKEN"][..], &["list"], &["env"]] {
        let text = assert_fails(&shown.run(&env, args), 4);
        assert!(text.contains("a symlink"), "{args:?}: {text}");
        assert!(text.contains("follows no link"), "{args:?}: {text}");
    }
    assert_fails(
        &shown.run_stdin(&env, &["set", "X", "--stdin"], b"x", "x"),
        4,
    );
    assert_unchanged(&env, &before);
    assert_eq!(fs::read(&real).expect("read"), real_bytes);

    // The link points nowhere: never replaced by a new store.
    fs::rename(&real, env.home.join("elsewhere.age")).expect("move away");
    fs::remove_file(env.bscred_home.join("config/profiles/default.toml")).expect("drop settings");
    let before_init = env.files();
    shown.note("the symlink dangles and the settings are gone");
    let out = shown.run(&env, &["init"]);
    assert_ne!(out.status.code(), Some(0));
    assert_unchanged(&env, &before_init);

    // A FIFO: refused at once, never a read that waits for a writer (the
    // deadline only keeps a regression from hanging the suite).
    let env = with_token();
    let store = env.store_path();
    fs::remove_file(&store).expect("rm store");
    let made = std::process::Command::new("mkfifo")
        .arg(&store)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    shown.note("the store is a FIFO");
    for args in [&["get", "GITHUB_TOKEN"][..], &["set", "X", "y"]] {
        let out = env
            .cmd()
            .args(args)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .expect("runs");
        shown.add(&env, &transcript::command_line(args), &out);
        let text = assert_fails(&out, 4);
        assert!(text.contains("not a regular file"), "{args:?}: {text}");
    }
    insta::assert_snapshot!(shown.text());
}

#[test]
fn empty_setting_variables_count_as_unset() {
    let env = with_token();
    for var in ["BSCRED_PROFILE", "BSCRED_BACKEND", "BSCRED_QUIET"] {
        let out = env
            .cmd()
            .env(var, "")
            .args(["get", "-n", "GITHUB_USERNAME"])
            .output()
            .expect("runs");
        assert_success(&out);
        assert_eq!(out.stdout, b"octocat", "{var}");
    }
    // A bad value names the variable it came from.
    let out = env
        .cmd()
        .env("BSCRED_BACKEND", "cloud")
        .args(["get", "GITHUB_USERNAME"])
        .output()
        .expect("runs");
    let mut shown = Transcript::new();
    shown.add(
        &env,
        "BSCRED_BACKEND=cloud bscred get GITHUB_USERNAME",
        &out,
    );
    let stderr = assert_fails(&out, 2);
    assert!(stderr.contains("BSCRED_BACKEND"), "{stderr}");
    insta::assert_snapshot!(shown.text());
}

/// Settings this version cannot read (a key or a backend a newer bscred
/// added) are refused, exit 1, naming the key and the likely cause, and
/// never suggesting to delete them: the store cannot be opened without.
#[test]
fn settings_from_a_newer_bscred_are_refused_without_suggesting_deletion() {
    let env = with_token();
    let settings = env.bscred_home.join("config/profiles/default.toml");
    let original = fs::read_to_string(&settings).expect("read");
    let mut shown = Transcript::new();
    for (changed, named) in [
        (format!("{original}future_key = 1\n"), "future_key"),
        (
            // (A backend this build does not know; `vault` is known now.)
            original.replace("backend = \"file\"", "backend = \"cloud\""),
            "cloud",
        ),
    ] {
        fs::write(&settings, &changed).expect("write");
        let before = env.files();
        shown.note(&format!("the settings name {named}"));
        let text = assert_fails(&shown.run(&env, &["get", "GITHUB_TOKEN"]), 1);
        assert!(text.contains(named), "{text}");
        assert!(text.contains("newer bscred"), "{text}");
        assert!(!text.contains("remove"), "{text}");
        assert_unchanged(&env, &before);
    }
    insta::assert_snapshot!(shown.text());
}
