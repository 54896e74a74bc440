//! The git credential helper and `doctor` against real git:
//! `git credential fill` through the installed helper, `install` and
//! `uninstall`, warnings about helpers that keep credentials, an
//! authenticated clone over HTTPS, and `doctor` on a Backstage-like project
//! holding every kind of finding (docs/SECURITY.md "GitHub and git", docs/cli-reference.md `doctor`).
//!
//! git only ever sees the test's HOME: every git (and every bscred that runs
//! git) gets a cleared environment, `GIT_CONFIG_NOSYSTEM=1` (this machine's
//! system config names a helper of its own) and `GIT_TERMINAL_PROMPT=0`.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::harness::git::{HERMETIC, git_command, git_ok, git_stdin, sealed};
use crate::harness::process::first_line;
use crate::harness::random::token;
use crate::harness::{Env, TOKEN, assert_success, bin, have, stderr, stdout};

/// An expiry git accepts: git compares `password_expiry_utc` with the real
/// clock, not with bscred's fixed NOW, and drops a credential whose expiry
/// has passed — so a test that needs git to use the token records one far
/// in the real future.
const FAR_EXPIRY: &str = "2099-01-01";
/// `FAR_EXPIRY` in Unix seconds, as git's protocol carries it.
const FAR_EXPIRY_EPOCH: &str = "4070908800";

/// Nine days after NOW: inside the 14-day warning window.
const SOON: &str = "2026-06-10";
const SOON_EPOCH: &str = "1781049600";

/// The request git sends for `https://github.com`.
const GITHUB_REQUEST: &str = "protocol=https\nhost=github.com\n\n";

// ------------------------------------------------------------ helpers

/// `git credential fill` in the work dir.
fn fill(env: &Env, request: &str) -> Output {
    git_stdin(env, &env.work, &["credential", "fill"], request.as_bytes())
}

/// bscred as `Env::cmd` runs it, plus what the git it runs needs.
fn bscred(env: &Env, dir: &Path, args: &[&str], input: &[u8]) -> Output {
    env.cmd()
        .envs(HERMETIC)
        .current_dir(dir)
        .args(args)
        .write_stdin(input)
        .output()
        .expect("bscred runs")
}

/// The `key=value` lines of a credential answer.
fn answer(out: &Output) -> BTreeMap<String, String> {
    stdout(out)
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The helper line `install` writes: bscred's absolute path, quoted.
fn helper_line() -> String {
    let exe = fs::canonicalize(bin()).expect("canonical bscred path");
    format!("!'{}' git-credential", exe.display())
}

/// Every value of `key` in ~/.gitconfig, in order.
fn global_values(env: &Env, key: &str) -> Vec<String> {
    let out = git_command(env, &env.work)
        .args(["config", "--global", "--get-all", key])
        .output()
        .expect("git runs");
    // git config exits 1 when the key is absent.
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{}",
        stderr(&out)
    );
    stdout(&out).lines().map(str::to_string).collect()
}

fn gitconfig(env: &Env) -> PathBuf {
    env.home.join(".gitconfig")
}

/// Stores `value` under `name` with an expiry date.
fn set_expiring(env: &Env, name: &str, value: &str, expires: &str) {
    let out = env.run_stdin(
        &["set", name, "--stdin", "--expires", expires],
        value.as_bytes(),
    );
    assert_success(&out);
}

/// Points the default profile at another GitHub host, as `verify --host`
/// would record it.
fn set_github_host(env: &Env, host: &str) {
    let path = env.bscred_home.join("config/profiles/default.toml");
    let mut text = fs::read_to_string(&path).expect("profile settings");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("github_host = \"{host}\"\n"));
    fs::write(&path, text).expect("write settings");
}

fn install(env: &Env) -> Output {
    let out = bscred(env, &env.work, &["git-credential", "install"], b"");
    assert_success(&out);
    out
}

/// An environment with GITHUB_TOKEN (an expiry git accepts) and the helper
/// installed.
fn installed() -> Env {
    let env = Env::initialised();
    set_expiring(&env, "GITHUB_TOKEN", TOKEN, FAR_EXPIRY);
    install(&env);
    env
}

/// Asserts that neither any of `tokens` nor any 8 characters of its random
/// part appear in `text`.
fn assert_no_secret(text: &str, tokens: &[&str]) {
    for token in tokens {
        assert!(!text.contains(token), "a token leaked: {text}");
        let random = &token[4..34];
        for start in 0..=random.len() - 8 {
            let piece = &random[start..start + 8];
            assert!(
                !text.contains(piece),
                "8 characters of a token ({piece}) leaked: {text}"
            );
        }
    }
}

fn assert_output_has_no_secret(out: &Output, tokens: &[&str]) {
    assert_no_secret(&stdout(out), tokens);
    assert_no_secret(&stderr(out), tokens);
}

// ------------------------------------------------- git credential fill

#[test]
fn fill_returns_the_username_token_and_expiry_for_github_com() {
    if !have("git") {
        return;
    }
    let env = installed();

    let out = fill(&env, GITHUB_REQUEST);
    assert_success(&out);
    let got = answer(&out);
    assert_eq!(got["username"], "x-access-token", "{got:?}");
    assert_eq!(got["password"], TOKEN);
    assert_eq!(got["password_expiry_utc"], FAR_EXPIRY_EPOCH);

    env.set("GITHUB_USERNAME", "octocat");
    let got = answer(&fill(&env, GITHUB_REQUEST));
    assert_eq!(got["username"], "octocat");
    assert_eq!(got["password"], TOKEN);
}

#[test]
fn no_expiry_on_record_means_no_password_expiry_utc() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    install(&env);
    let out = fill(&env, GITHUB_REQUEST);
    assert_success(&out);
    let got = answer(&out);
    assert_eq!(got["password"], TOKEN);
    assert!(!got.contains_key("password_expiry_utc"), "{got:?}");
}

#[test]
fn unknown_keys_in_the_request_are_ignored() {
    if !have("git") {
        return;
    }
    let env = installed();
    let request = "capability[]=authtype\nprotocol=https\nhost=github.com\n\
                   wwwauth[]=Basic realm=\"x\"\ncapability[]=state\n\n";
    // Through git, which passes these on to helpers...
    let got = answer(&fill(&env, request));
    assert_eq!(got["password"], TOKEN, "{got:?}");
    // ...and straight to the helper, with a line that is no `key=value`.
    let direct = bscred(
        &env,
        &env.work,
        &["git-credential", "get"],
        request.replace("\n\n", "\nnot a pair\n\n").as_bytes(),
    );
    assert_success(&direct);
    let got = answer(&direct);
    assert_eq!(got["username"], "x-access-token");
    assert_eq!(got["password"], TOKEN);
    assert_eq!(got["password_expiry_utc"], FAR_EXPIRY_EPOCH);
}

#[test]
fn the_request_ends_at_a_blank_line_or_eof() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    // EOF without a blank line.
    let out = bscred(
        &env,
        &env.work,
        &["git-credential", "get"],
        b"protocol=https\nhost=github.com",
    );
    assert_success(&out);
    assert_eq!(answer(&out)["password"], TOKEN);
    // What follows the blank line is not part of the request.
    let out = bscred(
        &env,
        &env.work,
        &["git-credential", "get"],
        b"protocol=https\nhost=github.com\n\nhost=gitlab.com\n",
    );
    assert_success(&out);
    assert_eq!(answer(&out)["password"], TOKEN);
}

/// The first line of a refusal, and its hint, which points at the caller.
fn assert_refused_request(out: &Output, error: &str) -> String {
    let err = crate::harness::assert_fails(out, 1);
    let mut lines = err.lines();
    assert_eq!(
        lines.next(),
        Some(format!("bscred: error: {error}").as_str())
    );
    assert!(
        lines
            .next()
            .is_some_and(|hint| hint.contains("bscred git-credential")),
        "{err}"
    );
    err
}

#[test]
fn an_oversized_request_is_refused_and_nothing_answered() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    // Short, well-formed lines, a MiB of them: only the whole is too large.
    let mut request = String::from("protocol=https\nhost=github.com\n");
    while request.len() < 1 << 20 {
        request.push_str("wwwauth[]=Basic realm=\"a challenge\"\n");
    }
    request.push('\n');
    for action in ["get", "store", "erase"] {
        let out = bscred(
            &env,
            &env.work,
            &["git-credential", action],
            request.as_bytes(),
        );
        assert_refused_request(&out, "git's credential request is larger than 64 KiB");
    }
    // One line too long, holding what may be a token: named by number only.
    let request = format!(
        "protocol=https\nhost=github.com\npassword={}\n\n",
        "s3cr3t".repeat(4096)
    );
    let out = bscred(
        &env,
        &env.work,
        &["git-credential", "store"],
        request.as_bytes(),
    );
    let err = assert_refused_request(
        &out,
        "line 3 of git's credential request is longer than 16 KiB",
    );
    assert!(!err.contains("s3cr3t"), "{err}");
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
}

#[test]
fn an_endless_request_is_refused_without_reading_it_all() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let mut child = env
        .sealed(bin())
        .args(["git-credential", "get"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bscred starts");
    let mut stdin = child.stdin.take().expect("stdin");
    // Writes until bscred closes its end (the write then fails: Rust
    // ignores SIGPIPE), so a helper that read everything would never end.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(b"protocol=https\nhost=github.com\n");
        while stdin.write_all(b"wwwauth[]=Basic realm=\"x\"\n").is_ok() {}
    });
    let start = std::time::Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bscred was still reading an endless request after 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().expect("output");
    writer.join().expect("writer");
    assert_refused_request(&out, "git's credential request is larger than 64 KiB");
}

#[test]
fn a_request_with_two_host_lines_is_refused() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    // git never sends two: whichever a helper took, the other was meant.
    for request in [
        "protocol=https\nhost=evil.example\nhost=github.com\n\n",
        "protocol=https\nhost=github.com\nhost=evil.example\n\n",
    ] {
        let out = bscred(
            &env,
            &env.work,
            &["git-credential", "get"],
            request.as_bytes(),
        );
        let err = assert_refused_request(
            &out,
            "git's credential request has two `host=` lines (lines 2 and 3)",
        );
        assert!(
            !err.contains("evil") && !err.contains("github.com"),
            "{err}"
        );
    }
}

#[test]
fn nothing_for_another_host_or_plain_http() {
    if !have("git") {
        return;
    }
    let env = installed();
    // Also ask bscred for every URL, so git really puts these requests to
    // it (the installed line only covers https://github.com).
    git_ok(
        &env,
        &env.work,
        &["config", "--global", "credential.helper", &helper_line()],
    );
    for request in [
        "protocol=https\nhost=gitlab.com\n\n",
        "protocol=http\nhost=github.com\n\n",
        "protocol=https\nhost=github.com.evil.example\n\n",
    ] {
        let out = fill(&env, request);
        // No answer, and with prompts disabled git gives up.
        assert!(!out.status.success(), "{request:?}: {}", stdout(&out));
        assert_output_has_no_secret(&out, &[TOKEN]);

        let direct = bscred(
            &env,
            &env.work,
            &["git-credential", "get"],
            request.as_bytes(),
        );
        assert_success(&direct);
        assert!(direct.stdout.is_empty(), "{request:?}: {}", stdout(&direct));
        assert_no_secret(&stderr(&direct), &[TOKEN]);
    }
}

#[test]
fn no_token_in_the_profile_means_no_answer_and_a_warning() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    install(&env);
    let out = fill(&env, GITHUB_REQUEST);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no GITHUB_TOKEN"), "{}", stderr(&out));
}

#[test]
fn the_expiry_reminder_goes_to_stderr() {
    let env = Env::initialised();
    set_expiring(&env, "GITHUB_TOKEN", TOKEN, SOON);
    let out = bscred(
        &env,
        &env.work,
        &["git-credential", "get"],
        GITHUB_REQUEST.as_bytes(),
    );
    assert_success(&out);
    let got = answer(&out);
    assert_eq!(got["password"], TOKEN);
    assert_eq!(got["password_expiry_utc"], SOON_EPOCH);
    let err = stderr(&out);
    assert!(
        err.contains("GITHUB_TOKEN expires in 9 days (2026-06-10)")
            && err.contains("bscred rotate GITHUB_TOKEN"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_no_secret(&err, &[TOKEN]);
}

#[test]
fn store_and_erase_change_nothing() {
    if !have("git") {
        return;
    }
    let env = installed();
    let files = env.files();
    let config = fs::read(gitconfig(&env)).expect("gitconfig");
    let other = "protocol=https\nhost=github.com\nusername=someone\npassword=not-the-token\n\n";
    for action in ["store", "erase"] {
        let out = bscred(
            &env,
            &env.work,
            &["git-credential", action],
            other.as_bytes(),
        );
        assert_success(&out);
        assert!(out.stdout.is_empty(), "{action}: {}", stdout(&out));
    }
    // git calls `store` on approve and `erase` on reject.
    for action in ["approve", "reject"] {
        let out = git_stdin(&env, &env.work, &["credential", action], other.as_bytes());
        assert_success(&out);
    }
    crate::harness::assert_unchanged(&env, &files);
    assert_eq!(fs::read(gitconfig(&env)).expect("gitconfig"), config);
    assert!(!env.home.join(".git-credentials").exists());
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(answer(&fill(&env, GITHUB_REQUEST))["password"], TOKEN);
}

#[test]
fn an_enterprise_profile_answers_for_its_host_and_not_github_com() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    set_expiring(&env, "GITHUB_TOKEN", TOKEN, FAR_EXPIRY);
    set_github_host(&env, "ghe.example.com");
    install(&env);
    assert_eq!(
        global_values(&env, "credential.https://ghe.example.com.helper"),
        ["".to_string(), helper_line()]
    );
    assert!(global_values(&env, "credential.https://github.com.helper").is_empty());

    let got = answer(&fill(&env, "protocol=https\nhost=ghe.example.com\n\n"));
    assert_eq!(got["password"], TOKEN, "{got:?}");

    let out = fill(&env, GITHUB_REQUEST);
    assert!(!out.status.success());
    assert_output_has_no_secret(&out, &[TOKEN]);
    let direct = bscred(
        &env,
        &env.work,
        &["git-credential", "get"],
        GITHUB_REQUEST.as_bytes(),
    );
    assert_success(&direct);
    assert!(direct.stdout.is_empty(), "{}", stdout(&direct));
}

// --------------------------------------------------- install, uninstall

#[test]
fn install_writes_the_empty_line_then_bscreds_and_is_idempotent() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    let key = "credential.https://github.com.helper";

    let out = install(&env);
    let said = stderr(&out);
    assert!(
        said.contains(key) && said.contains(&helper_line()) && said.contains("~/.gitconfig"),
        "install does not say what it changed: {said}"
    );
    assert_eq!(global_values(&env, key), ["".to_string(), helper_line()]);
    let text = fs::read_to_string(gitconfig(&env)).expect("gitconfig");
    let helpers: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("helper"))
        .collect();
    assert_eq!(helpers.len(), 2, "{text}");
    assert_eq!(helpers[1], format!("helper = {}", helper_line()), "{text}");
    assert_eq!(helpers[0].trim_end(), "helper =", "{text}");

    let before = fs::read(gitconfig(&env)).expect("gitconfig");
    let again = install(&env);
    assert!(
        stderr(&again).contains("nothing changed"),
        "{}",
        stderr(&again)
    );
    assert_eq!(fs::read(gitconfig(&env)).expect("gitconfig"), before);

    let out = bscred(&env, &env.work, &["git-credential", "uninstall"], b"");
    assert_success(&out);
    assert!(stderr(&out).contains(key), "{}", stderr(&out));
    assert!(global_values(&env, key).is_empty());
    let text = fs::read_to_string(gitconfig(&env)).expect("gitconfig");
    assert!(!text.contains("bscred"), "{text}");

    let before = fs::read(gitconfig(&env)).expect("gitconfig");
    let out = bscred(&env, &env.work, &["git-credential", "uninstall"], b"");
    assert_success(&out);
    assert!(stderr(&out).contains("nothing changed"), "{}", stderr(&out));
    assert_eq!(fs::read(gitconfig(&env)).expect("gitconfig"), before);
}

#[test]
fn install_replaces_another_helper_for_github_com_and_says_what_was_there() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    let key = "credential.https://github.com.helper";
    // What `gh auth setup-git` writes.
    git_ok(&env, &env.work, &["config", "--global", "--add", key, ""]);
    git_ok(
        &env,
        &env.work,
        &[
            "config",
            "--global",
            "--add",
            key,
            "!/usr/bin/gh auth git-credential",
        ],
    );
    let out = install(&env);
    assert!(
        stderr(&out).contains("gh auth git-credential"),
        "{}",
        stderr(&out)
    );
    assert_eq!(global_values(&env, key), ["".to_string(), helper_line()]);
}

#[test]
fn uninstall_leaves_someone_elses_helper_lines_alone() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    let key = "credential.https://github.com.helper";
    git_ok(
        &env,
        &env.work,
        &["config", "--global", "credential.helper", "cache"],
    );
    install(&env);
    git_ok(
        &env,
        &env.work,
        &["config", "--global", "--add", key, "osxkeychain"],
    );

    let out = bscred(&env, &env.work, &["git-credential", "uninstall"], b"");
    assert_success(&out);
    let values = global_values(&env, key);
    assert!(values.contains(&"osxkeychain".to_string()), "{values:?}");
    assert!(!values.iter().any(|v| v.contains("bscred")), "{values:?}");
    assert_eq!(global_values(&env, "credential.helper"), ["cache"]);
}

// ------------------------------------- helpers that keep credentials

/// `doctor --json`, parsed, with its exit code.
fn doctor_json(env: &Env, dir: &Path) -> (Vec<serde_json::Value>, Option<i32>) {
    let out = bscred(env, dir, &["doctor", "--json"], b"");
    let findings: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    (findings, out.status.code())
}

fn problems(findings: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    findings.iter().filter(|f| f["kind"] == "problem").collect()
}

fn field<'a>(finding: &'a serde_json::Value, name: &str) -> &'a str {
    finding[name].as_str().unwrap_or("")
}

#[test]
fn a_later_store_helper_in_the_repository_is_warned_about() {
    if !have("git") {
        return;
    }
    let env = installed();
    git_ok(&env, &env.work, &["init", "-q"]);
    git_ok(&env, &env.work, &["config", "credential.helper", "store"]);

    let out = install(&env);
    let err = stderr(&out);
    assert!(
        err.contains("warning") && err.contains("`store`") && err.contains(".git/config"),
        "{err}"
    );

    let (findings, code) = doctor_json(&env, &env.work);
    assert_eq!(code, Some(12), "{findings:?}");
    let problems = problems(&findings);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        field(problems[0], "place").contains(".git/config"),
        "{problems:?}"
    );
    assert!(field(problems[0], "what").contains("store"), "{problems:?}");
    assert!(
        field(problems[0], "fix").contains("bscred git-credential install"),
        "{problems:?}"
    );
}

#[test]
fn a_later_store_line_in_gitconfig_is_warned_about_and_really_stores() {
    if !have("git") {
        return;
    }
    let env = installed();
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(gitconfig(&env))
        .expect("gitconfig");
    file.write_all(b"[credential]\n\thelper = store\n")
        .expect("append");
    drop(file);

    let out = install(&env);
    let err = stderr(&out);
    let shown = gitconfig(&env).display().to_string();
    assert!(
        err.contains("warning") && err.contains("`store`") && err.contains(&shown),
        "{err}"
    );
    let (findings, code) = doctor_json(&env, &env.work);
    assert_eq!(code, Some(12), "{findings:?}");
    assert!(
        problems(&findings)
            .iter()
            .any(|f| field(f, "place").contains(&shown) && field(f, "what").contains("store")),
        "{findings:?}"
    );

    // The warning is true: git hands what it used to `store`, which writes
    // it to ~/.git-credentials.
    let approved =
        "protocol=https\nhost=github.com\nusername=someone\npassword=kept-in-plaintext\n\n";
    let out = git_stdin(
        &env,
        &env.work,
        &["credential", "approve"],
        approved.as_bytes(),
    );
    assert_success(&out);
    let kept = fs::read_to_string(env.home.join(".git-credentials")).expect("store wrote");
    assert!(kept.contains("kept-in-plaintext"), "{kept}");
}

#[test]
fn an_earlier_store_line_is_cleared_by_the_empty_line() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    set_expiring(&env, "GITHUB_TOKEN", TOKEN, FAR_EXPIRY);
    fs::write(gitconfig(&env), "[credential]\n\thelper = store\n").expect("gitconfig");
    let out = install(&env);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));

    let (findings, code) = doctor_json(&env, &env.work);
    assert_eq!(code, Some(0), "{findings:?}");

    // And git agrees: `store` never sees a github.com credential.
    let approved =
        "protocol=https\nhost=github.com\nusername=someone\npassword=kept-in-plaintext\n\n";
    let out = git_stdin(
        &env,
        &env.work,
        &["credential", "approve"],
        approved.as_bytes(),
    );
    assert_success(&out);
    assert!(!env.home.join(".git-credentials").exists());
}

/// `install` and `doctor` read `git config --show-origin --get-all` for the
/// profile's host, not always github.com, and warn (docs/SECURITY.md
/// "GitHub and git").
#[test]
fn doctor_warns_about_a_store_helper_for_the_profiles_own_host() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    set_github_host(&env, "ghe.example.com");
    install(&env);
    git_ok(&env, &env.work, &["init", "-q"]);
    git_ok(
        &env,
        &env.work,
        &[
            "config",
            "credential.https://ghe.example.com.helper",
            "store",
        ],
    );
    let out = install(&env);
    assert!(stderr(&out).contains("`store`"), "{}", stderr(&out));

    let (findings, code) = doctor_json(&env, &env.work);
    assert!(
        problems(&findings).iter().any(
            |f| field(f, "place").contains(".git/config") && field(f, "what").contains("store")
        ),
        "doctor misses the store helper that install warns about: {findings:#?}"
    );
    assert_eq!(code, Some(12));
}

// ------------------------------------------------- clone over HTTPS

/// A git server over HTTPS on 127.0.0.1 that requires Basic auth: `git
/// http-backend` as CGI, 401 with `WWW-Authenticate: Basic` unless the
/// `Authorization` header is `Basic base64($AUTH)`. Prints its port, and
/// stops by itself after two minutes.
const GIT_SERVER: &str = r#"
import base64, os, ssl, subprocess, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

want = "Basic " + base64.b64encode(os.environ["AUTH"].encode()).decode()

class Git(BaseHTTPRequestHandler):
    def do_GET(self): self.serve()
    def do_POST(self): self.serve()
    def log_message(self, *args): pass
    def serve(self):
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        cgi = dict(os.environ, GIT_PROJECT_ROOT=sys.argv[1], GIT_HTTP_EXPORT_ALL="1",
                   PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD=self.command,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(body)), REMOTE_USER="git")
        out = subprocess.run(["git", "http-backend"], input=body, env=cgi,
                             capture_output=True).stdout
        head, _, rest = out.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = next((l[7:] for l in lines if l.startswith("Status:")), "200 OK")
        self.send_response(int(status.split()[0]))
        for line in lines:
            if not line.startswith("Status:") and ":" in line:
                name, value = line.split(":", 1)
                self.send_header(name, value.strip())
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        self.wfile.write(rest)

server = HTTPServer(("127.0.0.1", 0), Git)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(sys.argv[2], sys.argv[3])
server.socket = tls.wrap_socket(server.socket, server_side=True)
server.timeout = 1
print(server.server_address[1], flush=True)
deadline = time.time() + 120
while time.time() < deadline:
    server.handle_request()
"#;

/// The running server; stopped when dropped.
struct GitServer {
    child: Child,
    port: u16,
}

impl GitServer {
    fn start(env: &Env, root: &Path, cert: &Path, key: &Path, auth: &str) -> GitServer {
        let mut child = sealed("python3", env, root)
            .env("AUTH", auth)
            .arg("-c")
            .arg(GIT_SERVER)
            .arg(root)
            .arg(cert)
            .arg(key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let output = child.stdout.take().expect("stdout");
        let port = first_line(output, Duration::from_secs(30))
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("the git server did not start")
            });
        GitServer { child, port }
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn git_clones_over_https_with_the_token_from_bscred() {
    if !(have("git") && have("python3") && have("openssl")) {
        return;
    }
    let env = Env::initialised();
    set_expiring(&env, "GITHUB_TOKEN", TOKEN, FAR_EXPIRY);
    env.set("GITHUB_USERNAME", "octocat");
    let root = env.home.parent().expect("temp root").join("server");
    fs::create_dir_all(root.join("repos")).expect("mkdir");

    let (cert, key) = (root.join("cert.pem"), root.join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "{}", stderr(&out));

    // The repository to clone.
    git_ok(
        &env,
        &env.home,
        &["config", "--global", "user.name", "Test"],
    );
    git_ok(
        &env,
        &env.home,
        &["config", "--global", "user.email", "t@example.com"],
    );
    git_ok(
        &env,
        &root,
        &["init", "-q", "--bare", "-b", "main", "repos/app.git"],
    );
    git_ok(&env, &root, &["init", "-q", "-b", "main", "seed"]);
    fs::write(root.join("seed/README"), "hello from the server\n").expect("write");
    git_ok(&env, &root.join("seed"), &["add", "README"]);
    git_ok(&env, &root.join("seed"), &["commit", "-q", "-m", "init"]);
    git_ok(
        &env,
        &root.join("seed"),
        &["push", "-q", "../repos/app.git", "main"],
    );

    let server = GitServer::start(
        &env,
        &root.join("repos"),
        &cert,
        &key,
        &format!("octocat:{TOKEN}"),
    );
    let local = format!("https://127.0.0.1:{}/", server.port);
    let cafile = cert.display().to_string();
    git_ok(
        &env,
        &env.work,
        &["config", "--global", "http.sslCAInfo", &cafile],
    );
    // git rewrites the URL before it asks for credentials, so the helper is
    // asked about 127.0.0.1:PORT (not github.com): the profile's GitHub host
    // points there, as it would at a GitHub Enterprise Server.
    let rewrite = format!("url.{local}.insteadOf");
    git_ok(
        &env,
        &env.work,
        &["config", "--global", &rewrite, "https://github.com/"],
    );
    set_github_host(&env, &format!("127.0.0.1:{}", server.port));

    let clone = |target: &str| {
        git_command(&env, &env.work)
            .args(["clone", "-q", "https://github.com/app.git", target])
            .stdin(Stdio::null())
            .output()
            .expect("git runs")
    };
    // Without the helper the server turns git away.
    let refused = clone("refused");
    assert!(!refused.status.success());
    assert!(!env.work.join("refused/README").exists());

    install(&env);
    let out = clone("app");
    assert!(out.status.success(), "clone failed: {}", stderr(&out));
    assert_output_has_no_secret(&out, &[TOKEN]);
    assert_eq!(
        fs::read_to_string(env.work.join("app/README")).expect("cloned"),
        "hello from the server\n"
    );
    drop(server);
}

// ---------------------------------------------------------------- doctor

/// Asserts that the text form of doctor is the JSON form, line for line.
fn assert_text_matches_json(text: &str, findings: &[serde_json::Value]) {
    let mut expected = String::new();
    for f in findings {
        expected.push_str(&format!(
            "{}: {}: {}\n",
            field(f, "kind"),
            field(f, "place"),
            field(f, "what")
        ));
        if let Some(fix) = f["fix"].as_str() {
            expected.push_str(&format!("  fix: {fix}\n"));
        }
    }
    let count = problems(findings).len();
    expected.push_str(&if count == 0 {
        "no problems found\n".to_string()
    } else {
        format!("{count} problem(s) found\n")
    });
    assert_eq!(text, expected);
}

/// One expected problem: its place, a piece of what it says, and a piece
/// of its fix.
struct Expect<'a> {
    place: String,
    what: &'a str,
    fix: String,
}

fn expect<'a>(place: impl Into<String>, what: &'a str, fix: impl Into<String>) -> Expect<'a> {
    Expect {
        place: place.into(),
        what,
        fix: fix.into(),
    }
}

/// The Backstage-like project: every kind of finding in the work dir, the
/// home and the profile. Returns the tokens it planted.
fn plant_every_finding(env: &Env) -> Vec<String> {
    let (t_env, t_local, t_yaml) = (token(1), token(2), token(3));
    let (t_bash, t_zsh, t_fish, t_cred) = (token(4), token(5), token(6), token(7));
    let t_profile = token(8);
    set_expiring(env, "GITHUB_TOKEN", &t_profile, SOON);

    let work = &env.work;
    fs::write(
        work.join(".env"),
        format!("GITHUB_TOKEN={t_env}\nGITHUB_USERNAME=octocat\nUSER_EMAIL=octo@example.com\n"),
    )
    .expect("write");
    fs::write(
        work.join(".env.local"),
        format!("GITHUB_TOKEN=\"{t_local}\"\n"),
    )
    .expect("write");
    fs::write(
        work.join("app-config.yaml"),
        "integrations:\n  github:\n    - host: github.com\n      token: ${GITHUB_TOKEN}\n",
    )
    .expect("write");
    fs::write(
        work.join("app-config.local.yaml"),
        format!("app:\n  title: Dev\nintegrations:\n  github:\n    - host: github.com\n      token: {t_yaml}\n"),
    )
    .expect("write");
    fs::write(work.join("package.json"), "{\"name\": \"root\"}\n").expect("write");
    // A .env that git tracks (committed by a user configured in the HOME).
    git_ok(env, work, &["init", "-q"]);
    git_ok(env, work, &["config", "--global", "user.name", "Test"]);
    git_ok(
        env,
        work,
        &["config", "--global", "user.email", "t@example.com"],
    );
    git_ok(env, work, &["add", ".env", "package.json"]);
    git_ok(env, work, &["commit", "-q", "-m", "oops"]);

    let home = &env.home;
    fs::write(
        home.join(".bash_history"),
        format!("ls\nexport GITHUB_TOKEN={t_bash}\nyarn dev\n"),
    )
    .expect("write");
    fs::write(
        home.join(".zsh_history"),
        format!(": 1699999990:0;cd app\n: 1700000000:0;export GITHUB_TOKEN={t_zsh}\n"),
    )
    .expect("write");
    let fish = home.join(".local/share/fish");
    fs::create_dir_all(&fish).expect("mkdir");
    fs::write(
        fish.join("fish_history"),
        format!("- cmd: ls\n  when: 1699999990\n- cmd: export GITHUB_TOKEN={t_fish}\n  when: 1700000000\n"),
    )
    .expect("write");
    fs::write(
        home.join(".git-credentials"),
        format!("https://octocat:{t_cred}@github.com\n"),
    )
    .expect("write");

    // Group-readable: bscred itself refuses to decrypt with it now.
    fs::set_permissions(env.identity_path(), fs::Permissions::from_mode(0o640)).expect("chmod");
    vec![
        t_env, t_local, t_yaml, t_bash, t_zsh, t_fish, t_cred, t_profile,
    ]
}

#[test]
fn doctor_reports_every_finding_with_its_fix_and_never_the_secret() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    let tokens = plant_every_finding(&env);
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let home = env.home.display().to_string();
    let identity = env.identity_path().display().to_string();

    let text = bscred(&env, &env.work, &["doctor"], b"");
    assert_eq!(text.status.code(), Some(12), "{}", stderr(&text));
    assert_output_has_no_secret(&text, &tokens);
    let json = bscred(&env, &env.work, &["doctor", "--json"], b"");
    assert_eq!(json.status.code(), Some(12), "{}", stderr(&json));
    assert_output_has_no_secret(&json, &tokens);
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).expect("json");
    assert_text_matches_json(&stdout(&text), &findings);

    let import = "bscred import .env --remove";
    let rotate = "bscred rotate";
    let expected = [
        expect(".env:1", "token", import),
        expect(".env:2", "GITHUB_USERNAME", import),
        expect(".env:3", "USER_EMAIL", import),
        expect(".env", "git tracks", "git rm --cached .env"),
        expect(".env.local:1", "token", "bscred import .env.local --remove"),
        expect(
            ".env.local",
            "git does not ignore",
            "echo .env.local >> .gitignore",
        ),
        expect("app-config.local.yaml:6", "${GITHUB_TOKEN}", rotate),
        expect(format!("{home}/.bash_history:2"), "history", rotate),
        expect(format!("{home}/.zsh_history:2"), "history", rotate),
        expect(
            format!("{home}/.local/share/fish/fish_history:3"),
            "history",
            rotate,
        ),
        expect(
            format!("{home}/.git-credentials:1"),
            "plaintext",
            "bscred git-credential install",
        ),
        expect(identity.clone(), "0640", format!("chmod 600 {identity}")),
        expect(
            "profile 'default'",
            "GITHUB_TOKEN expires in 9 days",
            "bscred rotate GITHUB_TOKEN",
        ),
    ];
    let problems = problems(&findings);
    for want in &expected {
        assert!(
            problems.iter().any(|f| field(f, "place") == want.place
                && field(f, "what").contains(want.what)
                && field(f, "fix").contains(&want.fix)),
            "missing: {} / {} / {}\nin {findings:#?}",
            want.place,
            want.what,
            want.fix
        );
    }
    for found in &problems {
        assert!(
            expected
                .iter()
                .any(|want| field(found, "place") == want.place),
            "unexpected problem: {found:#}"
        );
    }
    // The token findings show at most the prefix and the last four.
    let masked = format!("ghp_…{}", &tokens[0][36..]);
    assert!(
        problems
            .iter()
            .any(|f| field(f, "place") == ".env:1" && field(f, "what").contains(&masked)),
        "{findings:#?}"
    );
    // app-config.yaml uses ${GITHUB_TOKEN}: nothing to say about it.
    assert!(
        !findings
            .iter()
            .any(|f| field(f, "place").starts_with("app-config.yaml")),
        "{findings:#?}"
    );
    // The facts that are not problems are there too.
    assert!(
        findings
            .iter()
            .any(|f| f["kind"] == "info" && field(f, "place") == "file backend"),
        "{findings:#?}"
    );
}

#[test]
fn doctor_reports_a_readable_identity_once() {
    let env = Env::initialised();
    fs::set_permissions(env.identity_path(), fs::Permissions::from_mode(0o640)).expect("chmod");
    let (findings, code) = doctor_json(&env, &env.work);
    assert_eq!(code, Some(12));
    let identity = env.identity_path().display().to_string();
    let reported = problems(&findings)
        .iter()
        .filter(|f| field(f, "place") == identity)
        .count();
    assert_eq!(reported, 1, "{findings:#?}");
}

#[test]
fn doctor_reports_a_readable_store_file() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let store = env.store_path();
    fs::set_permissions(&store, fs::Permissions::from_mode(0o644)).expect("chmod");
    let (findings, code) = doctor_json(&env, &env.work);
    assert_eq!(code, Some(12));
    let place = store.display().to_string();
    assert!(
        problems(&findings)
            .iter()
            .any(|f| field(f, "place") == place && field(f, "fix") == format!("chmod 600 {place}")),
        "{findings:#?}"
    );
}

#[test]
fn doctor_reports_an_expired_token() {
    let env = Env::initialised();
    set_expiring(&env, "GITHUB_TOKEN", TOKEN, "2026-05-01");
    let (findings, code) = doctor_json(&env, &env.work);
    assert_eq!(code, Some(12));
    assert!(
        problems(&findings)
            .iter()
            .any(|f| field(f, "what").contains("GITHUB_TOKEN expired")
                && field(f, "fix") == "bscred rotate GITHUB_TOKEN"),
        "{findings:#?}"
    );
}

#[test]
fn doctor_reports_a_dot_env_git_does_not_ignore_until_it_is_ignored() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    git_ok(&env, &env.work, &["init", "-q"]);
    fs::write(env.work.join(".env"), "LOG_LEVEL=debug\n").expect("write");

    let out = bscred(&env, &env.work, &["doctor"], b"");
    assert_eq!(out.status.code(), Some(12), "{}", stdout(&out));
    let (findings, _) = doctor_json(&env, &env.work);
    let problems_now = problems(&findings);
    assert_eq!(problems_now.len(), 1, "{findings:#?}");
    assert_eq!(field(problems_now[0], "place"), ".env");
    assert!(field(problems_now[0], "what").contains("does not ignore"));
    assert!(field(problems_now[0], "fix").contains(".gitignore"));

    fs::write(env.work.join(".gitignore"), ".env\n").expect("write");
    let (findings, code) = doctor_json(&env, &env.work);
    assert_eq!(code, Some(0), "{findings:#?}");
}

#[test]
fn doctor_on_a_clean_project_exits_0_with_information_only() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    // A token with no expiry on record: information, not a problem.
    env.set("GITHUB_TOKEN", TOKEN);
    install(&env);
    git_ok(&env, &env.work, &["init", "-q"]);
    fs::write(env.work.join(".gitignore"), ".env\nnode_modules\n").expect("write");
    fs::write(env.work.join(".env"), "LOG_LEVEL=debug\n").expect("write");
    fs::write(
        env.work.join("app-config.yaml"),
        "integrations:\n  github:\n    - host: github.com\n      token: ${GITHUB_TOKEN}\n",
    )
    .expect("write");
    fs::write(
        env.home.join(".bash_history"),
        "ls\nbscred exec -- yarn dev\n",
    )
    .expect("write");

    let out = bscred(&env, &env.work, &["doctor"], b"");
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.ends_with("no problems found\n"), "{text}");
    assert!(text.contains("info: file backend"), "{text}");
    assert!(text.contains("info: keychain backend"), "{text}");
    assert!(
        text.contains("no expiry on record for GITHUB_TOKEN"),
        "{text}"
    );
    assert_no_secret(&text, &[TOKEN]);

    let (findings, code) = doctor_json(&env, &env.work);
    assert_eq!(code, Some(0));
    assert!(
        findings.iter().all(|f| f["kind"] == "info"),
        "{findings:#?}"
    );
    assert_text_matches_json(&text, &findings);
}

/// docs/cli-reference.md `doctor`: it looks for "token-shaped strings in … `~/.git-credentials`",
/// whatever the host (a GitHub Enterprise Server profile's token too).
#[test]
fn doctor_reports_a_token_in_git_credentials_for_any_host() {
    let env = Env::initialised();
    let leaked = token(9);
    fs::write(
        env.home.join(".git-credentials"),
        format!("https://oauth2:{leaked}@ghe.example.com\n"),
    )
    .expect("write");
    let out = bscred(&env, &env.work, &["doctor", "--json"], b"");
    assert_output_has_no_secret(&out, &[&leaked]);
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    let place = format!("{}/.git-credentials:1", env.home.display());
    assert!(
        problems(&findings)
            .iter()
            .any(|f| field(f, "place") == place),
        "a token in ~/.git-credentials is not reported: {findings:#?}"
    );
    assert_eq!(out.status.code(), Some(12));
}

#[test]
fn doctor_leaves_templates_and_references_alone() {
    let env = Env::initialised();
    fs::write(
        env.work.join(".env.example"),
        "GITHUB_TOKEN=\nUSER_EMAIL=you@example.com\n",
    )
    .expect("write");
    fs::write(
        env.work.join(".envrc"),
        "export GITHUB_TOKEN=\"$(bscred get GITHUB_TOKEN)\"\neval \"$(bscred env)\"\n",
    )
    .expect("write");
    let out = env
        .cmd()
        .envs(HERMETIC)
        .args(["doctor", "--json"])
        .output()
        .expect("runs");
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let problems: Vec<&serde_json::Value> = findings
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["kind"] == "problem")
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(out.status.code(), Some(0));
}

/// `doctor` in a repository whose own config names programs (a clone or an
/// archive chooses its `.git/config`): none of them runs, and the `.env`
/// checks still work. `git ls-files` alone runs `core.fsmonitor`.
#[test]
fn doctor_runs_no_program_a_scanned_repository_configures() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    git_ok(&env, &env.work, &["init", "-q"]);
    fs::write(
        env.work.join(".env"),
        format!("GITHUB_TOKEN={}\n", token(7)),
    )
    .expect("write");
    git_ok(&env, &env.work, &["add", ".env"]);
    let marker = env.home.join("ran");
    let script = env.home.join("evil.sh");
    fs::write(
        &script,
        format!("#!/bin/sh\necho \"$0 $*\" >> '{}'\n", marker.display()),
    )
    .expect("write");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
    let hooks = env.work.join(".git/hooks");
    for hook in [
        "post-index-change",
        "pre-commit",
        "post-checkout",
        "reference-transaction",
    ] {
        fs::copy(&script, hooks.join(hook)).expect("hook");
    }
    let program = script.to_str().expect("utf-8");
    for (key, value) in [
        ("core.fsmonitor", program),
        ("core.pager", program),
        ("core.sshCommand", program),
        ("core.editor", program),
        ("core.askPass", program),
        ("diff.external", program),
        ("core.hooksPath", hooks.to_str().expect("utf-8")),
    ] {
        git_ok(&env, &env.work, &["config", key, value]);
    }
    // The fixture is real: plain git in this repository runs the monitor.
    git_ok(&env, &env.work, &["ls-files"]);
    assert!(marker.exists(), "the fixture's core.fsmonitor never ran");
    fs::remove_file(&marker).expect("rm");

    let (findings, code) = doctor_json(&env, &env.work);
    assert_eq!(code, Some(12), "{findings:?}");
    assert!(
        findings
            .iter()
            .any(|f| field(f, "what").contains("git tracks this file")),
        "{findings:?}"
    );
    assert!(
        !marker.exists(),
        "doctor ran a program the repository configured: {}",
        fs::read_to_string(&marker).unwrap_or_default()
    );
    // An untracked, unignored .env is still found the same safe way.
    git_ok(&env, &env.work, &["rm", "-q", "--cached", ".env"]);
    fs::remove_file(&marker).ok();
    let (findings, _) = doctor_json(&env, &env.work);
    assert!(
        findings
            .iter()
            .any(|f| field(f, "what").contains("git does not ignore")),
        "{findings:?}"
    );
    assert!(
        !marker.exists(),
        "doctor ran a program the repository configured"
    );
}
