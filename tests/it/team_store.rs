//! The team store in the repository: `store = ".bscred/team.age"`
//! in an allowed `.bscred.toml`, shared by two users with their own
//! identities and homes, written by the Go `age` CLI as an attacker with a
//! public key could, and refused when it points out of the project
//! (docs/SECURITY.md "A team store others can write").
#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;

use crate::harness::team::{self, exec_value, json_env};
use crate::harness::{
    Env, TOKEN, age, assert_fails, assert_success, assert_unchanged, have, stderr,
};

const STORE: &str = ".bscred/team.age";
const RECIPIENTS: &str = ".bscred/team.recipients";
const CLIENT_ID: &str = "Iv1.0123456789abcdef";

/// Writes a project file, `version = 1` then `settings`, in `user`'s work
/// directory, and returns that directory as the file system names it (the
/// path bscred keys allowed files by).
fn project_with(user: &Env, settings: &str) -> PathBuf {
    let project = fs::canonicalize(&user.work).expect("canonical");
    fs::write(
        project.join(".bscred.toml"),
        format!("version = 1\n{settings}"),
    )
    .expect("write project file");
    project
}

/// The project file settings that name the team store `store` and declare
/// the ordinary variables these tests share through it.
fn store_is(store: &str) -> String {
    team_settings(
        store,
        &[
            "AUTH_GITHUB_CLIENT_ID",
            "AUTH_GITHUB_CLIENT_SECRET",
            "TEAM_NOTE",
        ],
    )
}

/// The project file settings that name the team store `store` and declare
/// `names` in `variables`.
fn team_settings(store: &str, names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("store = \"{store}\"\nvariables = [{}]\n", quoted.join(", "))
}

/// `bscred ARGS` for `user` in the project `dir`, with `input` on stdin.
fn run_stdin_in(user: &Env, dir: &Path, args: &[&str], input: &str) -> Output {
    user.cmd()
        .current_dir(dir)
        .args(args)
        .write_stdin(input)
        .output()
        .expect("bscred runs")
}

/// An allowed project of `user`'s whose team store holds the client ID,
/// written by `user`.
fn team_project(user: &Env) -> PathBuf {
    let project = project_with(user, &store_is(STORE));
    user.run_in(&project, &["allow"]);
    assert_success(&run_stdin_in(
        user,
        &project,
        &["set", "--team", "AUTH_GITHUB_CLIENT_ID", "--stdin"],
        CLIENT_ID,
    ));
    project
}

#[test]
fn two_teammates_share_the_team_store_and_a_removed_one_reads_no_new_version() {
    if !have("age") {
        return;
    }
    let alice = Env::initialised();
    let bob = Env::initialised();
    // One checkout, two people: the project lives in Alice's work dir.
    let project = project_with(&alice, &store_is(STORE));
    let bob_key = team::public_key_of(&bob);

    // Writing needs the project file allowed: nothing is created before.
    let before = alice.files();
    let out = alice.run_in(&project, &["set", "--team", "TEAM_NOTE", "x"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--team needs an allowed"),
        "{}",
        stderr(&out)
    );
    assert_unchanged(&alice, &before);

    assert_success(&alice.run_in(&project, &["allow"]));
    assert_success(&alice.run_in(
        &project,
        &[
            "set",
            "--team",
            "AUTH_GITHUB_CLIENT_ID",
            CLIENT_ID,
            "--plain",
        ],
    ));
    assert_success(&run_stdin_in(
        &alice,
        &project,
        &["set", "--team", "AUTH_GITHUB_CLIENT_SECRET", "--stdin"],
        TOKEN,
    ));
    // The first write made the recipients file, holding Alice's key.
    let recipients = fs::read_to_string(project.join(RECIPIENTS)).expect("recipients file");
    assert!(
        recipients.contains(&team::public_key_of(&alice)),
        "{recipients}"
    );

    // The store is an age file like any other, and the recipients file is
    // what `age -R` reads.
    let store = project.join(STORE);
    assert!(age::reads(&alice.identity_path(), &store));
    assert!(!age::reads(&bob.identity_path(), &store));

    // Bob is not a recipient yet: clear error, with the key to hand over.
    assert_success(&bob.run_in(&project, &["allow"]));
    let text = assert_fails(&bob.run_in(&project, &["env"]), 4);
    assert!(text.contains("not encrypted to your key"), "{text}");
    assert!(
        text.contains(&format!("recipients --team add {bob_key}")),
        "{text}"
    );

    let out = alice.run_in(&project, &["recipients", "--team", "add", &bob_key]);
    assert_success(&out);
    let listed = String::from_utf8(
        alice
            .run_in(&project, &["recipients", "--team", "list"])
            .stdout,
    )
    .expect("utf-8");
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(age::reads(&bob.identity_path(), &store));

    // Each reads it, with env and exec.
    for user in [&alice, &bob] {
        let (vars, _) = json_env(user, &project);
        assert_eq!(vars["AUTH_GITHUB_CLIENT_ID"], CLIENT_ID);
        assert_eq!(vars["AUTH_GITHUB_CLIENT_SECRET"], TOKEN);
        assert_eq!(
            exec_value(user, &project, "AUTH_GITHUB_CLIENT_SECRET").as_deref(),
            Some(TOKEN)
        );
    }

    // A personal value overrides the team's, with the differing-value warning.
    bob.ok(&[
        "set",
        "AUTH_GITHUB_CLIENT_ID",
        "Iv1.bobs-own-app",
        "--plain",
    ]);
    let (vars, warned) = json_env(&bob, &project);
    assert_eq!(vars["AUTH_GITHUB_CLIENT_ID"], "Iv1.bobs-own-app");
    assert!(
        warned.contains("AUTH_GITHUB_CLIENT_ID is set differently in the team store"),
        "{warned}"
    );

    // A teammate can write for everyone by hand too: `age -R` on the
    // recipients file gives a store both read.
    let recipients_file = project.join(RECIPIENTS);
    let by_hand = age::tool(
        "age",
        &["-R", recipients_file.to_str().expect("utf-8")],
        &team::document(&[
            ("AUTH_GITHUB_CLIENT_ID", CLIENT_ID),
            ("TEAM_NOTE", "by hand"),
        ]),
    );
    let saved = fs::read(&store).expect("store");
    fs::write(&store, &by_hand.stdout).expect("write");
    for user in [&alice, &bob] {
        assert_eq!(
            exec_value(user, &project, "TEAM_NOTE").as_deref(),
            Some("by hand")
        );
    }
    fs::write(&store, saved).expect("restore");

    // Bob leaves: Alice is told what he saw, rotates it, and the next
    // version is one Bob cannot read.
    let out = alice.run_in(&project, &["recipients", "--team", "rm", &bob_key]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("rotate AUTH_GITHUB_CLIENT_SECRET"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(TOKEN));
    assert!(
        !fs::read_to_string(project.join(RECIPIENTS))
            .expect("read")
            .contains(&bob_key)
    );
    assert_success(&run_stdin_in(
        &alice,
        &project,
        &["set", "--team", "AUTH_GITHUB_CLIENT_SECRET", "--stdin"],
        "rotated",
    ));
    assert!(!age::reads(&bob.identity_path(), &store));
    let text = assert_fails(&bob.run_in(&project, &["env"]), 4);
    assert!(text.contains("not encrypted to your key"), "{text}");
    assert!(text.contains("bscred: hint: "), "{text}");
    let out = bob.run_in(&project, &["exec", "--", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not encrypted to your key"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        exec_value(&alice, &project, "AUTH_GITHUB_CLIENT_SECRET").as_deref(),
        Some("rotated")
    );
}

/// The stanza types in an age file's header, in order (`-> X25519 …`).
fn stanza_types(store: &Path) -> Vec<String> {
    let bytes = fs::read(store).expect("store");
    let end = bytes
        .windows(4)
        .position(|w| w == b"\n---")
        .expect("an age header");
    String::from_utf8_lossy(&bytes[..end])
        .lines()
        .filter_map(|line| line.strip_prefix("-> "))
        .filter_map(|stanza| stanza.split(' ').next())
        .filter(|kind| !kind.ends_with("-grease"))
        .map(str::to_string)
        .collect()
}

#[test]
fn each_write_opens_for_its_writer_without_a_diffie_hellman_and_for_everyone_as_age() {
    if !have("age") {
        return;
    }
    let alice = Env::initialised();
    let bob = Env::initialised();
    let project = team_project(&alice);
    let store = project.join(STORE);
    // Alice's rewrite (the store was created without unlocking her key):
    // her own stanza first, then one X25519 stanza per recipient
    // (docs/file-format.md, "The header").
    let bob_key = team::public_key_of(&bob);
    assert_success(&alice.run_in(&project, &["recipients", "--team", "add", &bob_key]));
    assert_eq!(stanza_types(&store), ["bscred-self", "X25519", "X25519"]);

    // Bob writes: the own stanza is his now, and Alice reads through her
    // X25519 stanza, as does the reference age CLI for both.
    assert_success(&bob.run_in(&project, &["allow"]));
    assert_success(&run_stdin_in(
        &bob,
        &project,
        &["set", "--team", "TEAM_NOTE", "--stdin"],
        "from bob",
    ));
    assert_eq!(stanza_types(&store), ["bscred-self", "X25519", "X25519"]);
    for user in [&alice, &bob] {
        assert_eq!(
            exec_value(user, &project, "TEAM_NOTE").as_deref(),
            Some("from bob")
        );
        assert!(age::reads(&user.identity_path(), &store));
    }
}

/// A team store written with `age -r` to `user`'s public key, as anyone
/// holding that key (it is public) can: three variables that run code and
/// two ordinary ones.
fn hostile_store(user: &Env, project: &Path, script: &Path) {
    let key = team::public_key_of(user);
    let doc = team::document(&[
        ("LD_PRELOAD", "/nonexistent/evil.so"),
        ("BASH_ENV", script.to_str().expect("utf-8")),
        ("PROMPT_COMMAND", "touch prompted"),
        ("AUTH_GITHUB_CLIENT_ID", CLIENT_ID),
        ("TEAM_NOTE", "hello team"),
    ]);
    let out = age::tool("age", &["-r", &key], &doc);
    fs::create_dir_all(project.join(".bscred")).expect("mkdir");
    fs::write(project.join(STORE), out.stdout).expect("write store");
}

/// What bash sees after evaluating `env` output: `NAME=value` lines for
/// the names asked about, `NAME unset` for the others.
fn bash_after_eval(user: &Env, project: &Path, names: &[&str]) -> (String, String) {
    let out = user.run_in(project, &["env"]);
    assert_success(&out);
    let code = String::from_utf8(out.stdout.clone()).expect("utf-8");
    let probe: Vec<String> = names
        .iter()
        .map(|n| format!("printf '%s\\n' \"{n}=${{{n}-unset}}\""))
        .collect();
    let shell = user
        .sealed("bash")
        .current_dir(project)
        .arg("-c")
        .arg(format!("eval \"$BSCRED_CODE\"; {}", probe.join("; ")))
        .env("BSCRED_CODE", code)
        .output()
        .expect("bash runs");
    assert!(shell.status.success(), "{}", stderr(&shell));
    (
        String::from_utf8(shell.stdout).expect("utf-8"),
        stderr(&out),
    )
}

#[test]
fn a_hostile_team_store_cannot_set_variables_that_run_code() {
    if !(have("age") && have("bash")) {
        return;
    }
    let user = Env::initialised();
    // The code-running names are declared too: declaring never lets one in.
    let project = project_with(
        &user,
        &team_settings(
            STORE,
            &[
                "AUTH_GITHUB_CLIENT_ID",
                "TEAM_NOTE",
                "LD_PRELOAD",
                "BASH_ENV",
                "PROMPT_COMMAND",
            ],
        ),
    );
    // What BASH_ENV would run in every bash script the child starts.
    let script = user.home.join("evil.sh");
    fs::write(
        &script,
        format!("touch '{}'\n", user.home.join("pwned").display()),
    )
    .expect("write");
    hostile_store(&user, &project, &script);
    let names = [
        "AUTH_GITHUB_CLIENT_ID",
        "TEAM_NOTE",
        "LD_PRELOAD",
        "BASH_ENV",
        "PROMPT_COMMAND",
    ];

    // Not allowed: the store is neither read nor decrypted, even when it is
    // not an age file at all.
    let (vars, notice) = json_env(&user, &project);
    assert_eq!(vars, json!({}), "{notice}");
    assert!(notice.contains("not allowed yet"), "{notice}");
    let hostile = fs::read(project.join(STORE)).expect("read");
    fs::write(project.join(STORE), b"not an age file").expect("write");
    let (vars, _) = json_env(&user, &project);
    assert_eq!(vars, json!({}));
    fs::write(project.join(STORE), &hostile).expect("restore");

    assert_success(&user.run_in(&project, &["allow"]));
    let (seen, notice) = bash_after_eval(&user, &project, &names);
    assert_eq!(
        seen,
        format!(
            "AUTH_GITHUB_CLIENT_ID={CLIENT_ID}\nTEAM_NOTE=hello team\nLD_PRELOAD=unset\nBASH_ENV=unset\nPROMPT_COMMAND=unset\n"
        )
    );
    let lines: Vec<&str> = notice.lines().collect();
    assert_eq!(lines.len(), 1, "one notice line: {notice}");
    for name in ["BASH_ENV", "LD_PRELOAD", "PROMPT_COMMAND"] {
        assert!(lines[0].contains(name), "{notice}");
    }
    assert!(lines[0].contains("allow_variables"), "{notice}");
    assert!(
        !notice.contains("evil") && !notice.contains("touch"),
        "a value leaked: {notice}"
    );

    // exec: the ordinary variables arrive, the others do not, and the
    // bash the child starts runs nothing BASH_ENV named.
    assert_eq!(
        exec_value(&user, &project, "TEAM_NOTE").as_deref(),
        Some("hello team")
    );
    for name in ["LD_PRELOAD", "BASH_ENV", "PROMPT_COMMAND"] {
        assert_eq!(exec_value(&user, &project, name), None, "{name}");
    }
    assert_success(&user.run_in(&project, &["exec", "--", "bash", "-c", "true"]));
    assert!(!user.home.join("pwned").exists(), "BASH_ENV ran");

    // The user's own config lets exactly the one it names through.
    fs::create_dir_all(user.bscred_home.join("config")).expect("mkdir");
    fs::write(
        user.bscred_home.join("config/config.toml"),
        "allow_variables = [\"PROMPT_COMMAND\"]\n",
    )
    .expect("write config");
    let (seen, notice) = bash_after_eval(&user, &project, &names);
    assert!(seen.contains("PROMPT_COMMAND=touch prompted\n"), "{seen}");
    assert!(
        seen.contains("LD_PRELOAD=unset\n") && seen.contains("BASH_ENV=unset\n"),
        "{seen}"
    );
    assert!(!notice.contains("PROMPT_COMMAND"), "{notice}");
    assert!(
        notice.contains("BASH_ENV") && notice.contains("LD_PRELOAD"),
        "{notice}"
    );
    assert_eq!(
        exec_value(&user, &project, "PROMPT_COMMAND").as_deref(),
        Some("touch prompted")
    );
    assert_eq!(exec_value(&user, &project, "LD_PRELOAD"), None);

    // The user's own profile is theirs: nothing in it is refused.
    user.ok(&["set", "PATH", "/usr/bin:/bin"]);
    assert_eq!(
        exec_value(&user, &project, "PATH").as_deref(),
        Some("/usr/bin:/bin")
    );
}

#[test]
fn a_store_outside_the_project_is_refused_and_nothing_changes() {
    for (store, why) in [
        ("/tmp/team.age", "absolute"),
        ("../team.age", "`..`"),
        ("sub/../../team.age", "`..`"),
    ] {
        let user = Env::initialised();
        let project = project_with(&user, &store_is(store));
        let before = user.files();
        let text = assert_fails(&user.run_in(&project, &["allow"]), 1);
        assert!(
            text.contains("`store`") && text.contains(why),
            "{store}: {text}"
        );
        assert!(text.contains("bscred: hint: "), "{text}");
        assert_unchanged(&user, &before);
    }

    // A symlink leading out: caught where the file is opened, for reads
    // and writes alike, since the link can change without the project file.
    let user = Env::initialised();
    let project = project_with(&user, &store_is(STORE));
    let outside = user.home.join("outside");
    fs::create_dir_all(&outside).expect("mkdir");
    std::os::unix::fs::symlink(&outside, project.join(".bscred")).expect("symlink");
    let before = user.files();
    let text = assert_fails(&user.run_in(&project, &["allow"]), 1);
    assert!(text.contains("must stay inside the project"), "{text}");
    assert_unchanged(&user, &before);
    // Allowed before the link appeared: refused where the store is opened.
    fs::remove_file(project.join(".bscred")).expect("rm link");
    assert_success(&user.run_in(&project, &["allow"]));
    std::os::unix::fs::symlink(&outside, project.join(".bscred")).expect("symlink");
    let before = user.files();
    for args in [
        &["env"][..],
        &["list", "--team"],
        &["set", "--team", "TEAM_NOTE", "x"],
        &["recipients", "--team", "list"],
    ] {
        let text = assert_fails(&user.run_in(&project, args), 1);
        assert!(
            text.contains("must stay inside the project"),
            "{args:?}: {text}"
        );
    }
    let out = user.run_in(&project, &["exec", "--", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(
        fs::read_dir(&outside).expect("list").next().is_none(),
        "wrote outside"
    );
    assert_unchanged(&user, &before);

    // The store itself a link out of the project.
    fs::remove_file(project.join(".bscred")).expect("rm link");
    fs::create_dir(project.join(".bscred")).expect("mkdir");
    fs::write(outside.join("team.age"), b"x").expect("write");
    std::os::unix::fs::symlink(outside.join("team.age"), project.join(STORE)).expect("symlink");
    let before = user.files();
    let text = assert_fails(&user.run_in(&project, &["env"]), 1);
    assert!(text.contains("must stay inside the project"), "{text}");
    assert_unchanged(&user, &before);
}

#[test]
fn a_missing_or_malformed_team_store_is_a_clear_error() {
    let user = Env::initialised();
    let project = project_with(&user, &store_is(STORE));
    assert_success(&user.run_in(&project, &["allow"]));
    let before = user.files();
    let text = assert_fails(&user.run_in(&project, &["env"]), 3);
    assert!(text.contains(STORE) && text.contains("not found"), "{text}");
    assert!(text.contains("bscred: hint: "), "{text}");
    assert_fails(&user.run_in(&project, &["get", "--team", "TEAM_NOTE"]), 3);
    assert_unchanged(&user, &before);

    // Not an age file, and an age file holding something else.
    fs::create_dir_all(project.join(".bscred")).expect("mkdir");
    fs::write(project.join(STORE), b"AUTH_GITHUB_CLIENT_ID=plaintext\n").expect("write");
    let before = user.files();
    let text = assert_fails(&user.run_in(&project, &["env"]), 4);
    assert!(
        text.contains("damaged") && text.contains("not an age file"),
        "{text}"
    );
    assert!(!text.contains("plaintext"), "{text}");
    assert_unchanged(&user, &before);
    if have("age") {
        let out = age::tool(
            "age",
            &["-r", &team::public_key_of(&user)],
            b"{\"not\": \"a document\"}",
        );
        fs::write(project.join(STORE), out.stdout).expect("write");
        let before = user.files();
        let text = assert_fails(&user.run_in(&project, &["env"]), 4);
        assert!(text.contains("damaged"), "{text}");
        let text = assert_fails(&user.run_in(&project, &["list", "--team"]), 4);
        assert!(text.contains("damaged"), "{text}");
        assert_unchanged(&user, &before);
    }

    // A FIFO is never opened for reading (it would block).
    fs::remove_file(project.join(STORE)).expect("rm");
    assert!(
        Command::new("mkfifo")
            .arg(project.join(STORE))
            .status()
            .expect("mkfifo")
            .success()
    );
    let text = assert_fails(&user.run_in(&project, &["env"]), 4);
    assert!(text.contains("not a regular file"), "{text}");
}

#[test]
fn a_recipients_file_that_is_not_keys_stops_writes_without_quoting_it() {
    let user = Env::initialised();
    let project = project_with(&user, &store_is(STORE));
    assert_success(&user.run_in(&project, &["allow"]));
    assert_success(&user.run_in(&project, &["set", "--team", "TEAM_NOTE", "x"]));
    let recipients = project.join(RECIPIENTS);
    let mut text = fs::read_to_string(&recipients).expect("read");
    text.push_str("AGE-SECRET-KEY-1PASTEDBYMISTAKE\n");
    fs::write(&recipients, text).expect("write");
    let before = user.files();
    let text = assert_fails(
        &user.run_in(&project, &["set", "--team", "TEAM_NOTE", "y"]),
        1,
    );
    assert!(
        text.contains("team.recipients") && text.contains("line 4"),
        "{text}"
    );
    assert!(!text.contains("PASTEDBYMISTAKE"), "{text}");
    assert_unchanged(&user, &before);
    // Reading needs only the identity.
    assert_eq!(
        exec_value(&user, &project, "TEAM_NOTE").as_deref(),
        Some("x")
    );
}

#[test]
fn check_counts_what_the_team_store_held_when_last_read_here() {
    let user = Env::initialised();
    let project = project_with(
        &user,
        &format!("{}required = [\"TEAM_NOTE\"]\n", store_is(STORE)),
    );
    assert_success(&user.run_in(&project, &["allow"]));
    assert_success(&user.run_in(&project, &["set", "--team", "TEAM_NOTE", "x"]));
    assert_success(&user.run_in(&project, &["check"]));

    // A teammate's home that never read the store cannot tell without
    // decrypting, and check never decrypts: it says where to look.
    let other = Env::initialised();
    fs::copy(
        user.bscred_home.join("config/profiles/default.toml"),
        other.bscred_home.join("config/profiles/default.toml"),
    )
    .expect("same identity");
    assert_success(&other.run_in(&project, &["allow"]));
    let out = other.run_in(&project, &["check"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains("TEAM_NOTE") && text.contains("list --team"),
        "{text}"
    );
    assert_success(&other.run_in(&project, &["list", "--team"]));
    assert_success(&other.run_in(&project, &["check"]));
}

#[test]
fn the_team_can_be_gathered_before_the_first_secret() {
    if !have("age") {
        return;
    }
    let alice = Env::initialised();
    let bob = Env::initialised();
    let project = project_with(&alice, &store_is(STORE));
    assert_success(&alice.run_in(&project, &["allow"]));
    let (alice_key, bob_key) = (team::public_key_of(&alice), team::public_key_of(&bob));

    // Before anything exists, the list is what the first write would use.
    let listed = alice.run_in(&project, &["recipients", "--team", "list"]);
    assert_success(&listed);
    assert_eq!(
        String::from_utf8(listed.stdout).expect("utf-8"),
        format!("{alice_key}  (you)\n")
    );
    assert_success(&alice.run_in(&project, &["recipients", "--team", "add", &bob_key]));
    assert!(!project.join(STORE).exists(), "no store before a variable");
    let text = fs::read_to_string(project.join(RECIPIENTS)).expect("recipients file");
    assert!(text.starts_with('#') && text.contains(&alice_key) && text.contains(&bob_key));

    assert_success(&alice.run_in(&project, &["set", "--team", "TEAM_NOTE", "x"]));
    assert!(age::reads(&bob.identity_path(), &project.join(STORE)));
}

/// A committed `team.pending` (a link to the user's own profile stores, or a
/// FIFO) is not a place bscred reads or deletes: only the user's own profile
/// stores keep changes written without the identity.
#[test]
fn a_pending_directory_beside_the_team_store_is_never_read_or_emptied() {
    let user = Env::initialised();
    user.set("GITHUB_TOKEN", TOKEN);
    let project = team_project(&user);
    let profiles = user.bscred_home.join("data/profiles");
    std::os::unix::fs::symlink(&profiles, project.join(".bscred/team.pending")).expect("symlink");
    let own_store = fs::read(user.store_path()).expect("store");

    let listed = user.run_in(&project, &["list", "--team"]);
    assert_success(&listed);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("GITHUB_TOKEN"));
    assert_success(&run_stdin_in(
        &user,
        &project,
        &["set", "--team", "OTHER", "--stdin"],
        "x",
    ));
    // The personal store is where it was, and the team store holds only
    // the team's variables.
    assert_eq!(fs::read(user.store_path()).expect("store"), own_store);
    let (json, _) = json_env(&user, &project);
    assert_eq!(json["GITHUB_TOKEN"], TOKEN);
    let team = user.run_in(&project, &["list", "--team", "--json"]);
    let text = String::from_utf8_lossy(&team.stdout);
    assert!(
        text.contains("OTHER") && !text.contains("GITHUB_TOKEN"),
        "{text}"
    );
}

/// `identity rotate` moves the team stores this user reads to the new key
/// while the old one still opens them: even as their only recipient, the
/// store stays readable, and a teammate's key stays in the file.
#[test]
fn identity_rotate_takes_the_team_store_along() {
    let user = Env::initialised();
    let project = team_project(&user);
    let teammate = Env::initialised();
    let theirs = team::public_key_of(&teammate);
    assert_success(&user.run_in(&project, &["recipients", "--team", "add", &theirs]));
    let old = team::public_key_of(&user);

    // Run from elsewhere: the store is known from having been read here.
    let out = user.run(&["identity", "rotate"]);
    assert_success(&out);
    assert!(stderr(&out).contains("team store"), "{}", stderr(&out));
    let new = team::public_key_of(&user);
    assert_ne!(new, old);
    let recipients = fs::read_to_string(project.join(RECIPIENTS)).expect("recipients");
    assert!(
        recipients.contains(&new) && recipients.contains(&theirs),
        "{recipients}"
    );
    assert!(!recipients.contains(&old), "{recipients}");
    let (json, _) = json_env(&user, &project);
    assert_eq!(json["AUTH_GITHUB_CLIENT_ID"], CLIENT_ID);
    // The teammate still reads it.
    if have("age") {
        assert!(age::reads(&teammate.identity_path(), &project.join(STORE)));
    }
}

/// The team stores `identity rotate` moves are found again through their
/// allowed project file: a store swapped for a symlink leading out (to the
/// user's own profile store) is left alone, with a warning, and a store
/// that cannot be read stops the rotation before anything changes.
#[test]
fn identity_rotate_moves_only_team_stores_it_can_vouch_for() {
    if !have("age") {
        return;
    }
    let user = Env::initialised();
    user.set("GITHUB_TOKEN", TOKEN);
    let project = team_project(&user);
    let attacker = Env::initialised();
    let theirs = team::public_key_of(&attacker);
    // A store not encrypted to the user, with the user's key listed: the
    // rotation refuses before touching anything.
    let recipients = fs::read_to_string(project.join(RECIPIENTS)).expect("recipients");
    fs::write(project.join(RECIPIENTS), format!("{recipients}{theirs}\n")).expect("write");
    let team = project.join(STORE);
    let out = age::tool("age", &["-r", &theirs], &team::document(&[("X", "y")]));
    fs::write(&team, &out.stdout).expect("write team store");
    let identity = fs::read(user.identity_path()).expect("identity");
    let text = assert_fails(&user.run(&["identity", "rotate"]), 1);
    assert!(
        text.contains("cannot be moved") && text.contains("bscred deny"),
        "{text}"
    );
    assert_eq!(fs::read(user.identity_path()).expect("identity"), identity);

    // The store swapped for a link to the user's own profile store: the
    // rotation goes on without it, and the attacker cannot read the
    // personal store afterwards.
    fs::remove_file(&team).expect("rm");
    std::os::unix::fs::symlink(user.store_path(), &team).expect("symlink");
    let out = user.run(&["identity", "rotate"]);
    assert_success(&out);
    let said = stderr(&out);
    assert!(said.contains("was not moved to the new key"), "{said}");
    assert!(!age::reads(&attacker.identity_path(), &user.store_path()));
    assert_eq!(user.get("GITHUB_TOKEN"), TOKEN);
}

/// A team store exports only the names the allowed project file declares
/// in `variables` (docs/SECURITY.md "A team store others can write"): with no
/// such line, nothing, and a notice naming the line to add; `required`
/// declares nothing; `allow` shows the declared names and which are new.
#[test]
fn the_team_store_exports_only_what_the_project_file_declares() {
    if !have("age") {
        return;
    }
    let user = Env::initialised();
    let project = project_with(&user, &format!("store = \"{STORE}\"\n"));
    let out = user.run_in(&project, &["allow"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("may set no variable"),
        "{}",
        stderr(&out)
    );
    for (name, value) in [
        ("AUTH_GITHUB_CLIENT_ID", CLIENT_ID),
        ("TEAM_NOTE", "hello"),
        ("PATH", "/tmp/evil"),
    ] {
        assert_success(&run_stdin_in(
            &user,
            &project,
            &["set", "--team", name, "--stdin", "--plain"],
            value,
        ));
    }

    // No `variables` line: nothing leaves the store, and the notice names
    // the line that would take what it holds.
    let (vars, notice) = json_env(&user, &project);
    assert_eq!(vars, json!({}), "{notice}");
    assert_eq!(notice.lines().count(), 1, "{notice}");
    assert!(
        notice.contains("left out AUTH_GITHUB_CLIENT_ID, PATH, TEAM_NOTE"),
        "{notice}"
    );
    // The line to add leaves out what would stay refused anyway.
    assert!(
        notice.contains("`variables = [\"AUTH_GITHUB_CLIENT_ID\", \"TEAM_NOTE\"]`"),
        "{notice}"
    );
    assert!(
        !notice.contains(CLIENT_ID) && !notice.contains("hello"),
        "{notice}"
    );
    assert_eq!(exec_value(&user, &project, "TEAM_NOTE"), None);

    // One name declared: that one arrives, the other is left out by name.
    // `required` names TEAM_NOTE, which declares nothing: it is missing.
    project_with(
        &user,
        &format!(
            "{}required = [\"TEAM_NOTE\"]\n",
            team_settings(STORE, &["AUTH_GITHUB_CLIENT_ID"])
        ),
    );
    let out = user.run_in(&project, &["allow"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("the team store may set AUTH_GITHUB_CLIENT_ID\n"),
        "{}",
        stderr(&out)
    );
    let out = user.run_in(&project, &["env", "--shell", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("bscred: error: ") && stderr(&out).contains("TEAM_NOTE"),
        "{}",
        stderr(&out)
    );
    project_with(&user, &team_settings(STORE, &["AUTH_GITHUB_CLIENT_ID"]));
    user.ok(&["allow", project.to_str().expect("utf-8")]);
    let (vars, notice) = json_env(&user, &project);
    assert_eq!(
        vars,
        json!({"AUTH_GITHUB_CLIENT_ID": CLIENT_ID}),
        "{notice}"
    );
    assert!(notice.contains("left out PATH, TEAM_NOTE"), "{notice}");
    assert!(notice.contains("does not declare"), "{notice}");
    // `list --team` shows everything the store holds, and says which names
    // never reach env or exec.
    let out = user.run_in(&project, &["list", "--team"]);
    assert_success(&out);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        listed.contains("TEAM_NOTE") && listed.contains("PATH"),
        "{listed}"
    );
    assert!(
        stderr(&out).contains("not handed to env or exec")
            && stderr(&out).contains("PATH, TEAM_NOTE"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        exec_value(&user, &project, "AUTH_GITHUB_CLIENT_ID").as_deref(),
        Some(CLIENT_ID)
    );

    // Declaring more: `allow` says which names are new, and that one that
    // runs code stays refused though declared.
    project_with(
        &user,
        &team_settings(STORE, &["AUTH_GITHUB_CLIENT_ID", "TEAM_NOTE", "PATH"]),
    );
    let out = user.run_in(&project, &["allow"]);
    assert_success(&out);
    let said = stderr(&out);
    assert!(
        said.contains("may set AUTH_GITHUB_CLIENT_ID, TEAM_NOTE, PATH (new since you last allowed it: TEAM_NOTE, PATH)"),
        "{said}"
    );
    assert!(said.contains("PATH run code"), "{said}");
    let (vars, notice) = json_env(&user, &project);
    assert_eq!(
        vars,
        json!({"AUTH_GITHUB_CLIENT_ID": CLIENT_ID, "TEAM_NOTE": "hello"}),
        "{notice}"
    );
    // Declared, PATH is refused, on one line that names it (never its value).
    assert_eq!(notice.lines().count(), 1, "{notice}");
    assert!(notice.contains("refused PATH"), "{notice}");
    assert!(!notice.contains("/tmp/evil"), "{notice}");
}
