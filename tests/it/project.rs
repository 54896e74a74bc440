//! The project file `.bscred.toml`: ignored with one notice until `bscred
//! allow` pins its content, ignored again when it changes, its required
//! variables enforced by `env` and `exec`, and the one `init` writes in a
//! Backstage app (docs/SECURITY.md "Project files that came with a clone").
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::harness::{
    Env, TOKEN, assert_fails, assert_success, assert_unchanged, bin, have, stderr,
};

/// The four variables a Backstage app reads, as `init` requires them.
const BACKSTAGE: [&str; 4] = [
    "GITHUB_TOKEN",
    "GITHUB_USERNAME",
    "USER_DISPLAY_NAME",
    "USER_EMAIL",
];

/// The project file in `dir`, as bscred names it (the working directory is
/// resolved, so symlinks in the temp dir's path are too).
fn project_file(dir: &Path) -> PathBuf {
    fs::canonicalize(dir)
        .expect("canonical")
        .join(".bscred.toml")
}

/// `env --shell json` in `dir`, parsed, with its stderr.
fn json_env(env: &Env, dir: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    let args: Vec<&str> = extra
        .iter()
        .copied()
        .chain(["env", "--shell", "json"])
        .collect();
    let out = env.run_in(dir, &args);
    assert_success(&out);
    let vars = serde_json::from_slice(&out.stdout).expect("json");
    (vars, stderr(&out))
}

/// Asserts `stderr` is exactly the one line saying `file` is ignored and
/// how to allow it, with `why` in it.
fn assert_one_notice(stderr: &str, file: &Path, why: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one notice line: {stderr}");
    assert!(
        lines[0].contains(&file.display().to_string()),
        "names the file: {stderr}"
    );
    assert!(lines[0].contains(why), "says {why:?}: {stderr}");
    assert!(lines[0].contains("`bscred allow`"), "{stderr}");
}

/// Whether the project file requiring `NEEDED` is in effect for a command
/// run in `dir`: then `env` fails naming it; otherwise it succeeds with the
/// "ignoring" notice.
fn in_effect(env: &Env, dir: &Path) -> bool {
    let out = env.run_in(dir, &["env"]);
    match out.status.code() {
        Some(3) => {
            assert!(stderr(&out).contains("NEEDED"), "{}", stderr(&out));
            true
        }
        Some(0) => {
            assert!(stderr(&out).contains("ignoring"), "{}", stderr(&out));
            false
        }
        _ => panic!("unexpected: {:?} {}", out.status, stderr(&out)),
    }
}

/// An initialised default profile holding the token, and a project file in
/// the work dir requiring `NEEDED` (which the profile lacks).
fn with_needy_project() -> (Env, PathBuf) {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    fs::write(env.work.join(".bscred.toml"), "required = [\"NEEDED\"]\n").expect("write");
    let file = project_file(&env.work);
    (env, file)
}

#[test]
fn unallowed_project_file_is_ignored_until_allowed_and_again_when_changed() {
    let env = Env::initialised();
    env.set("WHERE", "default");
    env.ok(&["-p", "team", "init"]);
    assert_success(&env.run_stdin(&["-p", "team", "set", "WHERE", "--stdin"], b"team"));
    let path = env.work.join(".bscred.toml");
    fs::write(
        &path,
        "profile = \"team\"\nrequired = [\"WHERE\", \"TEAM_ONLY\"]\n",
    )
    .expect("write");
    let file = project_file(&env.work);

    // Not allowed: every command uses the default profile, with one notice.
    let (vars, notice) = json_env(&env, &env.work, &[]);
    assert_eq!(vars["WHERE"], "default");
    assert_one_notice(&notice, &file, "not allowed");
    let out = env.run(&["get", "-n", "WHERE"]);
    assert_success(&out);
    assert_eq!(out.stdout, b"default");
    assert_one_notice(&stderr(&out), &file, "not allowed");
    let out = env.run(&["exec", "--", "printenv", "WHERE"]);
    assert_success(&out);
    assert_eq!(out.stdout, b"default\n");
    assert_one_notice(&stderr(&out), &file, "not allowed");

    // Allowed: its profile, and its required variables.
    let out = env.run(&["allow"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains(&file.display().to_string()),
        "{}",
        stderr(&out)
    );
    let text = assert_fails(&env.run(&["env"]), 3);
    assert!(text.contains("profile 'team'"), "{text}");
    assert!(text.contains("TEAM_ONLY"), "{text}");
    // `set` follows the project's profile too.
    env.set("TEAM_ONLY", "yes");
    let (vars, notice) = json_env(&env, &env.work, &[]);
    assert_eq!(vars["WHERE"], "team");
    assert_eq!(vars["TEAM_ONLY"], "yes");
    assert!(notice.is_empty(), "{notice}");
    assert!(env.ok(&["-p", "default", "list"]).contains("WHERE"));
    assert!(!env.ok(&["-p", "default", "list"]).contains("TEAM_ONLY"));

    // Changed (one comment appended): ignored again, saying it changed.
    let mut text = fs::read_to_string(&path).expect("read");
    text.push_str("# a harmless comment\n");
    fs::write(&path, &text).expect("append");
    let (vars, notice) = json_env(&env, &env.work, &[]);
    assert_eq!(vars["WHERE"], "default");
    assert_eq!(vars.get("TEAM_ONLY"), None);
    assert_one_notice(&notice, &file, "changed");
    let out = env.run(&["exec", "--", "printenv", "WHERE"]);
    assert_success(&out);
    assert_eq!(out.stdout, b"default\n");
    assert_one_notice(&stderr(&out), &file, "changed");

    // Allowed again, then denied: withdrawn.
    env.ok(&["allow"]);
    let (vars, notice) = json_env(&env, &env.work, &[]);
    assert_eq!(vars["WHERE"], "team");
    assert!(notice.is_empty(), "{notice}");
    let out = env.run(&["deny"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("no longer allowed"),
        "{}",
        stderr(&out)
    );
    let (vars, notice) = json_env(&env, &env.work, &[]);
    assert_eq!(vars["WHERE"], "default");
    assert_one_notice(&notice, &file, "not allowed");
    // Denying twice changes nothing and says so.
    let out = env.run(&["deny"]);
    assert_success(&out);
    assert!(stderr(&out).contains("was not allowed"), "{}", stderr(&out));
}

#[test]
fn allow_finds_the_file_upwards_or_takes_a_path() {
    let (env, file) = with_needy_project();
    let sub = env.work.join("packages/app");
    fs::create_dir_all(&sub).expect("mkdir");
    assert!(!in_effect(&env, &env.work));
    assert!(!in_effect(&env, &sub));

    // From a subdirectory, the nearest file above.
    let out = env.run_in(&sub, &["allow"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains(&file.display().to_string()),
        "{}",
        stderr(&out)
    );
    assert!(in_effect(&env, &env.work));
    assert!(in_effect(&env, &sub));
    assert_success(&env.run_in(&sub, &["deny"]));
    assert!(!in_effect(&env, &env.work));

    // An explicit file, from anywhere.
    let path = file.to_str().expect("utf-8");
    assert_success(&env.run_in(&env.home, &["allow", path]));
    assert!(in_effect(&env, &sub));
    assert_success(&env.run_in(&env.home, &["deny", path]));
    assert!(!in_effect(&env, &sub));

    // A directory, searched upwards from.
    let dir = sub.to_str().expect("utf-8");
    assert_success(&env.run_in(&env.home, &["allow", dir]));
    assert!(in_effect(&env, &env.work));
    assert_success(&env.run_in(&env.home, &["deny", dir]));
    assert!(!in_effect(&env, &env.work));
}

#[test]
fn allow_with_no_project_file_anywhere_is_not_found() {
    let env = Env::initialised();
    let text = assert_fails(&env.run(&["allow"]), 3);
    assert!(text.contains(".bscred.toml"), "{text}");
    let empty = env.home.to_str().expect("utf-8");
    assert_fails(&env.run(&["allow", empty]), 3);
    assert_fails(&env.run(&["deny"]), 3);
    assert!(!env.bscred_home.join("data/allowed.json").exists());
}

#[test]
fn allow_with_a_relative_path_pins_the_file_commands_find() {
    let (env, _) = with_needy_project();
    let sub = env.work.join("packages/app");
    fs::create_dir_all(&sub).expect("mkdir");
    for target in ["../../.bscred.toml", "../..", "./../../"] {
        let out = env.run_in(&sub, &["allow", target]);
        assert_success(&out);
        assert!(
            in_effect(&env, &sub),
            "`bscred allow {target}` said {:?}, yet the file is still ignored",
            stderr(&out)
        );
        assert_success(&env.run_in(&sub, &["deny", target]));
        assert!(!in_effect(&env, &sub), "`bscred deny {target}`");
    }
}

#[test]
fn deny_with_a_relative_path_withdraws_the_file_commands_find() {
    let (env, _) = with_needy_project();
    let sub = env.work.join("packages/app");
    fs::create_dir_all(&sub).expect("mkdir");
    // deny with a relative path withdraws what a plain allow gave.
    for target in ["../../.bscred.toml", "../..", "./../../"] {
        assert_success(&env.run_in(&sub, &["allow"]));
        assert!(in_effect(&env, &sub));
        let out = env.run_in(&sub, &["deny", target]);
        assert_success(&out);
        assert!(
            !in_effect(&env, &sub),
            "`bscred deny {target}` said {:?}, yet the file is still allowed",
            stderr(&out)
        );
    }
}

#[test]
fn allow_through_a_symlinked_directory_pins_the_file_commands_find() {
    let (env, _) = with_needy_project();
    let link = env.home.join("project-link");
    std::os::unix::fs::symlink(&env.work, &link).expect("symlink");
    // Commands run inside the link find the file by the resolved path.
    let linked_file = link.join(".bscred.toml");
    let out = env.run_in(&env.home, &["allow", linked_file.to_str().expect("utf-8")]);
    assert_success(&out);
    assert!(
        in_effect(&env, &link),
        "`bscred allow {}` said {:?}, yet the file is still ignored",
        linked_file.display(),
        stderr(&out)
    );
    assert!(in_effect(&env, &env.work));
}

#[test]
fn missing_required_variables_stop_env_and_exec_naming_each() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    fs::write(
        env.work.join(".bscred.toml"),
        "required = [\"GITHUB_TOKEN\", \"NEEDED_A\", \"NEEDED_B\"]\n",
    )
    .expect("write");
    env.ok(&["allow"]);
    let file = project_file(&env.work);

    let env_text = assert_fails(&env.run(&["env"]), 3);
    let lines: Vec<&str> = env_text.lines().collect();
    assert_eq!(lines.len(), 2, "an error and a hint: {env_text}");
    let (error, hint) = (lines[0], lines[1]);
    assert!(
        error.contains("NEEDED_A") && error.contains("NEEDED_B"),
        "{error}"
    );
    assert!(!error.contains("GITHUB_TOKEN"), "it is there: {error}");
    assert!(error.contains(&file.display().to_string()), "{error}");
    assert!(hint.contains("`bscred set NEEDED_A`"), "{hint}");
    assert!(hint.contains("`bscred set NEEDED_B`"), "{hint}");
    for shell in ["sh", "fish", "json", "dotenv"] {
        assert_fails(&env.run(&["env", "--shell", shell]), 3);
    }
    // --only does not get around it.
    assert_fails(&env.run(&["env", "--only", "GITHUB_TOKEN"]), 3);

    let out = env.run(&["exec", "--", "touch", "marker"]);
    let exec_text = assert_fails(&out, 125);
    assert_eq!(exec_text, env_text, "exec says the same");
    assert!(!env.work.join("marker").exists(), "the command ran");

    // One set: the message names only what is still missing.
    env.set("NEEDED_A", "a");
    let text = assert_fails(&env.run(&["env"]), 3);
    assert!(
        !text.lines().next().unwrap_or("").contains("NEEDED_A"),
        "{text}"
    );
    assert!(text.contains("NEEDED_B"), "{text}");

    env.set("NEEDED_B", "");
    let out = env.run(&["env", "--shell", "json"]);
    assert_success(&out);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(vars["NEEDED_A"], "a");
    assert_eq!(vars["NEEDED_B"], "", "an empty value counts as set");
    assert_success(&env.run(&["exec", "--", "touch", "marker"]));
    assert!(env.work.join("marker").exists());
}

/// The `bscred set …` commands a hint names, as argument lists.
fn hinted_set_commands(hint: &str) -> Vec<Vec<String>> {
    hint.split('`')
        .skip(1)
        .step_by(2)
        .filter(|cmd| cmd.starts_with("bscred ") && cmd.split_whitespace().any(|w| w == "set"))
        .map(|cmd| cmd.split_whitespace().skip(1).map(str::to_string).collect())
        .collect()
}

#[test]
fn the_hint_for_missing_required_variables_fixes_the_profile_in_use() {
    // The project names profile 'team'; the user picks 'default' with -p.
    let env = Env::initialised();
    env.ok(&["-p", "team", "init"]);
    fs::write(
        env.work.join(".bscred.toml"),
        "profile = \"team\"\nrequired = [\"NEEDED\"]\n",
    )
    .expect("write");
    env.ok(&["allow"]);
    let text = assert_fails(&env.run(&["-p", "default", "env"]), 3);
    assert!(text.contains("profile 'default'"), "{text}");
    let hint = text.lines().nth(1).expect("a hint line");
    let commands = hinted_set_commands(hint);
    assert_eq!(commands.len(), 1, "{hint}");
    // Run each command exactly as the hint says, from the same directory.
    for args in commands {
        let mut args = args;
        args.push("--stdin".to_string());
        let out = env.run_stdin(&args, b"value");
        assert_success(&out);
    }
    let out = env.run(&["-p", "default", "env"]);
    assert_success(&out);
}

#[test]
fn a_project_file_bscred_cannot_read_stops_exec_with_125() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let path = env.work.join(".bscred.toml");

    // A damaged allow list: nothing can say whether the file is allowed.
    fs::write(&path, "required = []\n").expect("write");
    env.ok(&["allow"]);
    fs::write(env.bscred_home.join("data/allowed.json"), "not json\n").expect("damage");
    assert_fails(&env.run(&["env"]), 1);
    let out = env.run(&["exec", "--", "touch", "marker"]);
    let text = assert_fails(&out, 125);
    assert!(text.contains("allowed.json"), "{text}");
    assert!(!env.work.join("marker").exists(), "the command ran");
    fs::remove_file(env.bscred_home.join("data/allowed.json")).expect("rm");
    fs::remove_file(&path).expect("rm");
}

/// A `.bscred.toml` that is no file at all (a directory, a FIFO, a link to
/// a device) arrived with a clone or from another user: it is ignored with a
/// notice, never read, and never blocks or eats the command's stdin.
#[cfg(unix)]
#[test]
fn a_project_file_that_is_not_a_regular_file_is_ignored_with_a_notice() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let path = env.work.join(".bscred.toml");
    let make: [(&str, &dyn Fn()); 4] = [
        ("directory", &|| fs::create_dir(&path).expect("mkdir")),
        ("fifo", &|| {
            assert!(
                Command::new("mkfifo")
                    .arg(&path)
                    .status()
                    .expect("mkfifo")
                    .success()
            )
        }),
        ("/dev/zero", &|| {
            std::os::unix::fs::symlink("/dev/zero", &path).expect("link")
        }),
        ("/dev/stdin", &|| {
            std::os::unix::fs::symlink("/dev/stdin", &path).expect("link")
        }),
    ];
    for (what, create) in make {
        create();
        let out = env.run(&["env"]);
        assert_success(&out);
        let notice = stderr(&out);
        assert!(notice.contains("not a regular file"), "{what}: {notice}");
        // The command keeps its stdin.
        let out = env.run_stdin(&["exec", "--", "cat"], b"precious input\n");
        assert_success(&out);
        assert_eq!(out.stdout, b"precious input\n", "{what}");
        if path.is_dir() && !path.is_symlink() {
            fs::remove_dir(&path).expect("rmdir");
        } else {
            fs::remove_file(&path).expect("rm");
        }
    }
    // Allowing one is refused, naming it.
    fs::create_dir(&path).expect("mkdir");
    let text = assert_fails(&env.run(&["allow"]), 1);
    assert!(text.contains("not a regular file"), "{text}");
}

#[test]
fn quiet_silences_the_not_allowed_notice() {
    let (env, file) = with_needy_project();
    let out = env.run(&["env"]);
    assert_success(&out);
    assert_one_notice(&stderr(&out), &file, "not allowed");
    let loud = out.stdout;
    for quiet in [
        env.run(&["-q", "env"]),
        env.cmd()
            .env("BSCRED_QUIET", "1")
            .arg("env")
            .output()
            .expect("runs"),
        env.run(&["-q", "exec", "--", "true"]),
        env.run(&["-q", "get", "-n", "GITHUB_TOKEN"]),
    ] {
        assert_success(&quiet);
        assert!(quiet.stderr.is_empty(), "{}", stderr(&quiet));
    }
    assert_eq!(env.run(&["-q", "env"]).stdout, loud);
    // A changed file too.
    env.ok(&["allow"]);
    fs::write(env.work.join(".bscred.toml"), "required = []\n").expect("write");
    let out = env.run(&["-q", "env"]);
    assert_success(&out);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

/// `bscred ARGS` under umask 022, in the work dir, stdin closed.
fn with_umask_022(env: &Env, args: &[&str]) -> Output {
    env.sealed("sh")
        .args(["-c", "umask 022; exec \"$@\"", "sh"])
        .arg(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("sh runs")
}

/// Asserts the work dir holds the project file `init` writes, for `profile`.
fn assert_backstage_project_file(env: &Env, profile: &str) {
    let text = fs::read_to_string(env.work.join(".bscred.toml")).expect("written");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"version = 1"), "{text}");
    assert!(
        lines.contains(&format!("profile = \"{profile}\"").as_str()),
        "{text}"
    );
    let required = format!(
        "required = [{}]",
        BACKSTAGE.map(|n| format!("\"{n}\"")).join(", ")
    );
    assert!(lines.contains(&required.as_str()), "{text}");
    // Every other line is a comment: nothing else is asked of the project.
    for line in lines {
        assert!(
            line.starts_with('#')
                || line.starts_with("version")
                || line.starts_with("profile")
                || line.starts_with("required"),
            "{text}"
        );
    }
}

#[test]
fn init_project_file_writes_an_allowed_backstage_project_file() {
    let env = Env::new();
    fs::write(env.work.join("app-config.yaml"), "app:\n  title: demo\n").expect("write");
    let out = with_umask_022(&env, &["-p", "work", "init", "--project-file"]);
    assert_success(&out);
    let path = env.work.join(".bscred.toml");
    assert!(stderr(&out).contains(".bscred.toml"), "{}", stderr(&out));
    assert_backstage_project_file(&env, "work");
    // The user's own file, to commit: the umask's mode, not a private 0600.
    let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "mode {mode:o}");
    let written = fs::read(&path).expect("read");

    // Already allowed: no notice; it chooses 'work' and requires the four.
    let text = assert_fails(&env.run(&["env"]), 3);
    assert!(!text.contains("ignoring"), "{text}");
    assert!(text.contains("profile 'work'"), "{text}");
    for name in BACKSTAGE {
        assert!(
            text.contains(&format!("`bscred set {name}`")),
            "{name}: {text}"
        );
    }
    assert_fails(&env.run(&["exec", "--", "true"]), 125);

    env.set("GITHUB_TOKEN", TOKEN);
    env.set("GITHUB_USERNAME", "octocat");
    env.set("USER_DISPLAY_NAME", "Mona Lisa Octocat");
    env.set("USER_EMAIL", "mona@example.com");
    let out = env.run(&["env", "--shell", "json"]);
    assert_success(&out);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(vars["USER_DISPLAY_NAME"], "Mona Lisa Octocat");
    assert_eq!(env.store_path().file_name().expect("name"), "work.age");
    let out = env.run(&["exec", "--", "printenv", "USER_EMAIL"]);
    assert_success(&out);
    assert_eq!(out.stdout, b"mona@example.com\n");
    assert_eq!(fs::read(&path).expect("read"), written, "left as written");
}

#[test]
fn init_project_file_on_an_initialised_profile_writes_it_too() {
    let env = Env::initialised();
    fs::write(env.work.join("app-config.yaml"), "").expect("write");
    env.ok(&["init", "--project-file"]);
    assert_backstage_project_file(&env, "default");
    assert_fails(&env.run(&["env"]), 3);
}

#[test]
fn init_no_project_file_writes_nothing() {
    let env = Env::new();
    fs::write(env.work.join("app-config.yaml"), "").expect("write");
    let out = env.run(&["init", "--no-project-file"]);
    assert_success(&out);
    assert!(!env.work.join(".bscred.toml").exists());
    assert!(!stderr(&out).contains("--project-file"), "{}", stderr(&out));
    let out = env.run(&["init", "--no-project-file"]);
    assert_success(&out);
    assert!(!env.work.join(".bscred.toml").exists());
    // The two flags contradict each other.
    let out = env.run(&["init", "--project-file", "--no-project-file"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!env.work.join(".bscred.toml").exists());
}

#[test]
fn init_without_a_terminal_only_mentions_the_flag() {
    let env = Env::new();
    fs::write(env.work.join("app-config.yaml"), "").expect("write");
    let out = env.run(&["init"]);
    assert_success(&out);
    assert!(!env.work.join(".bscred.toml").exists());
    assert!(stderr(&out).contains("--project-file"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    // Not a Backstage app: nothing to mention.
    let other = Env::new();
    let out = other.run(&["init"]);
    assert_success(&out);
    assert!(!stderr(&out).contains("--project-file"), "{}", stderr(&out));
    assert!(!other.work.join(".bscred.toml").exists());
}

#[test]
fn an_existing_project_file_is_never_overwritten() {
    let env = Env::new();
    fs::write(env.work.join("app-config.yaml"), "").expect("write");
    let mine = "# mine\nprofile = \"mine\"\n";
    let path = env.work.join(".bscred.toml");
    fs::write(&path, mine).expect("write");
    let out = env.run(&["init", "--project-file"]);
    assert_success(&out);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&path).expect("read"), mine);
    // Nor allowed on the user's behalf: it is not the file init would write.
    let out = env.run(&["status", "--json"]);
    assert!(stderr(&out).contains("not allowed"), "{}", stderr(&out));
    let out = env.run(&["init"]);
    assert_success(&out);
    assert_eq!(fs::read_to_string(&path).expect("read"), mine);
    if have("script") {
        let (code, screen) = on_terminal(&env, "init --backend file --no-token", None);
        assert_eq!(code, Some(0), "{screen}");
        assert!(!screen.contains("[Y/n]"), "asked anyway: {screen}");
        assert_eq!(fs::read_to_string(&path).expect("read"), mine);
    }
}

/// Runs `bscred ARGS` in the work dir on a pseudo-terminal (util-linux
/// `script`). With `answer`, waits for the `[Y/n]` question and types the
/// answer; without, types nothing. Returns the exit code and the screen.
fn on_terminal(env: &Env, args: &str, answer: Option<&str>) -> (Option<i32>, String) {
    let steps: Vec<(&str, &str)> = answer.map(|a| ("[Y/n] ", a)).into_iter().collect();
    crate::harness::pty::on_pty(env, &[], args, &steps)
}

#[test]
fn init_on_a_terminal_asks_and_writes_on_yes_or_enter() {
    if !have("script") {
        return;
    }
    for answer in ["y\r", "\r", "yes\r", "Y\r"] {
        let env = Env::new();
        fs::write(env.work.join("app-config.yaml"), "").expect("write");
        let (code, screen) = on_terminal(&env, "init --backend file --no-token", Some(answer));
        assert_eq!(code, Some(0), "{answer:?}: {screen}");
        assert!(screen.contains("GITHUB_TOKEN"), "{screen}");
        assert_backstage_project_file(&env, "default");
        // Written by the user's own hand: allowed, no notice.
        let text = assert_fails(&env.run(&["env"]), 3);
        assert!(!text.contains("ignoring"), "{answer:?}: {text}");
    }
}

#[test]
fn init_on_a_terminal_writes_nothing_on_no() {
    if !have("script") {
        return;
    }
    for answer in ["n\r", "no\r", "N\r"] {
        let env = Env::new();
        fs::write(env.work.join("app-config.yaml"), "").expect("write");
        let (code, screen) = on_terminal(&env, "init --backend file --no-token", Some(answer));
        assert_eq!(code, Some(0), "{answer:?}: {screen}");
        assert!(
            !env.work.join(".bscred.toml").exists(),
            "{answer:?}: {screen}"
        );
        assert!(!env.bscred_home.join("data/allowed.json").exists());
    }
    // --no-project-file does not even ask.
    let env = Env::new();
    fs::write(env.work.join("app-config.yaml"), "").expect("write");
    let (code, screen) = on_terminal(
        &env,
        "init --backend file --no-token --no-project-file",
        None,
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains("[Y/n]"), "{screen}");
    assert!(!env.work.join(".bscred.toml").exists());
}

#[test]
fn allow_refuses_a_file_bscred_would_never_read() {
    let env = Env::initialised();
    fs::write(env.work.join("other.toml"), "required = [\"X\"]\n").expect("write");
    let before = env.files();
    let stderr = assert_fails(&env.run(&["allow", "other.toml"]), 2);
    assert!(stderr.contains(".bscred.toml"), "{stderr}");
    assert_unchanged(&env, &before);
}

#[cfg(unix)]
#[test]
fn allow_and_deny_of_a_symlinked_project_file_key_the_path_commands_find() {
    let env = Env::initialised();
    fs::write(env.work.join("team.toml"), "required = [\"NEEDED\"]\n").expect("write");
    std::os::unix::fs::symlink("team.toml", env.work.join(".bscred.toml")).expect("link");
    env.ok(&["allow", "./.bscred.toml"]);
    // In effect: the requirement is enforced, with no "not allowed" notice.
    let text = assert_fails(&env.run(&["env"]), 3);
    assert!(text.contains("NEEDED"), "{text}");
    assert!(!text.contains("not allowed"), "{text}");
    // And withdrawn the same way.
    env.ok(&["deny", "./.bscred.toml"]);
    let out = env.run(&["env"]);
    assert_success(&out);
    assert!(stderr(&out).contains("not allowed yet"), "{}", stderr(&out));
}

/// Ctrl-D at a yes/no question is "no": walking away writes nothing.
#[test]
fn end_of_input_at_the_question_writes_nothing() {
    if !have("script") {
        return;
    }
    let env = Env::new();
    fs::write(env.work.join("app-config.yaml"), "").expect("write");
    let (code, screen) = on_terminal(&env, "init --backend file --no-token", Some("\u{4}"));
    assert_eq!(code, Some(0), "{screen}");
    assert!(!env.work.join(".bscred.toml").exists(), "{screen}");
}

/// A project file another user owns (as a `/tmp/.bscred.toml` left by
/// someone else would be) is ignored with a notice, even once allowed, and
/// cannot be allowed: its owner chooses what it says, as git reasons about
/// `safe.directory`. Needs root to give a file away; scripts/test.sh runs as
/// root.
#[test]
fn a_project_file_another_user_owns_is_ignored_with_a_notice() {
    let root = rustix::process::geteuid().is_root();
    if !crate::harness::available(root, "giving a file to another user needs root") {
        return;
    }
    let (env, file) = with_needy_project();
    env.ok(&["allow"]);
    assert!(in_effect(&env, &env.work));
    let nobody = rustix::process::Uid::from_raw(65534);
    rustix::fs::chown(&file, Some(nobody), None).expect("chown");
    let out = env.run(&["env"]);
    assert_success(&out);
    let notice = stderr(&out);
    assert!(notice.contains("ignoring"), "{notice}");
    assert!(notice.contains(&file.display().to_string()), "{notice}");
    assert!(notice.contains("another user (uid 65534)"), "{notice}");
    assert_eq!(notice.lines().count(), 1, "{notice}");
    let before = env.files();
    let text = assert_fails(&env.run(&["allow"]), 1);
    assert!(text.contains("another user"), "{text}");
    assert_unchanged(&env, &before);
    // Given back, it is in effect again: the allowed content did not change.
    rustix::fs::chown(&file, Some(rustix::process::geteuid()), None).expect("chown");
    assert!(in_effect(&env, &env.work));
}
