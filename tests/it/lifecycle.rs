//! The token lifecycle (README, "Token expiry"): `verify` against a
//! stand-in GitHub API on 127.0.0.1, expiry reminders, `check`, `status`,
//! `rotate`, the offline token checks and the `remind --ics` calendar.

use std::fs;
use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;

use crate::harness::github::{GitHubStandIn, Request, Response, unreachable_url};
use crate::harness::node::{have_package, node_dir};
use crate::harness::process::output_fed;
use crate::harness::{Env, NOW, TOKEN, assert_fails, assert_success, have, stderr, stdout};

/// A fine-grained token, the kind `rotate` has the user create.
const NEW_TOKEN: &str =
    "github_pat_11ABCDEFG0NewT0kenF0rTests_Rotat3dV4lu3ThatMustNeverLeakIntoAnyOutputEv3rXyZ12";

/// The expiry the stand-in API reports, as `list --json` records it.
const EXPIRY: &str = "2026-08-30T12:00:00Z";

/// `x-ratelimit-reset` for the 403 answer: NOW + 1 hour, in Unix seconds.
const RESET_EPOCH: i64 = 1_780_318_800;

// ------------------------------------------------------------ the stand-in

/// What the stand-in GitHub answers to `GET /user`.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// 200 with octocat's profile; `expiry` is the raw
    /// `GitHub-Authentication-Token-Expiration` header (none: never
    /// expires), `scopes` the classic tokens' `X-OAuth-Scopes`.
    User {
        expiry: Option<&'static str>,
        scopes: Option<&'static str>,
    },
    /// 401 Bad credentials.
    BadCredentials,
    /// 403 with the primary rate limit exhausted (`x-ratelimit-*`).
    RateLimited,
    /// 429 with `retry-after: 60` (a secondary rate limit).
    TooManyRequests,
    /// Accepts, then waits 8 s (past bscred's 5 s timeout) before answering.
    Slow,
}

/// The expiry header in both forms GitHub sends: the same instant.
const EXPIRY_UTC: &str = "2026-08-30 12:00:00 UTC";
const EXPIRY_OFFSET: &str = "2026-08-30 14:00:00 +0200";

const CLASSIC: Answer = Answer::User {
    expiry: Some(EXPIRY_UTC),
    scopes: Some("repo, workflow"),
};

/// How the stand-in answers `POST /credentials/revoke`, which GitHub takes
/// without authentication: one that carries an `Authorization` header is
/// refused (401), as a token sent where none belongs must be.
#[derive(Debug, Clone, Copy)]
enum Revoke {
    Accepted,
    Fails,
}

/// The stand-in GitHub API: `answer` to `GET /user`, `revoke` to
/// `POST /credentials/revoke`.
struct FakeGitHub;

impl FakeGitHub {
    fn start(answer: Answer) -> GitHubStandIn {
        FakeGitHub::start_with(answer, Revoke::Accepted)
    }

    fn start_with(answer: Answer, revoke: Revoke) -> GitHubStandIn {
        GitHubStandIn::start(move |request| respond(request, answer, revoke))
    }
}

fn respond(request: &Request, answer: Answer, revoke: Revoke) -> Response {
    let revoking = request.route() == "POST /credentials/revoke";
    let authorised = request.header("Authorization").is_some();
    let json = "application/json; charset=utf-8";
    let delay = if !revoking && matches!(answer, Answer::Slow) {
        Duration::from_secs(8)
    } else {
        Duration::ZERO
    };
    let answer = if revoking { None } else { Some(answer) };
    let (status, headers, body): (&str, Vec<(&str, String)>, String) = match answer {
        None if authorised => (
            "401 Unauthorized",
            vec![("Content-Type", json.to_string())],
            r#"{"message":"Requires no authentication"}"#.to_string(),
        ),
        None => match revoke {
            Revoke::Accepted => ("202 Accepted", vec![("Content-Type", json.to_string())], "{}".to_string()),
            Revoke::Fails => (
                "500 Internal Server Error",
                vec![("Content-Type", json.to_string())],
                r#"{"message":"Server Error"}"#.to_string(),
            ),
        },
        Some(answer) => match answer {
        Answer::User { expiry, scopes } => {
            let mut headers = vec![
                ("Content-Type", json.to_string()),
                ("X-GitHub-Media-Type", "github.v3; format=json".to_string()),
                ("x-github-api-version-selected", "2022-11-28".to_string()),
                ("X-RateLimit-Limit", "5000".to_string()),
                ("X-RateLimit-Remaining", "4999".to_string()),
                ("X-RateLimit-Reset", RESET_EPOCH.to_string()),
                ("X-RateLimit-Used", "1".to_string()),
                ("X-RateLimit-Resource", "core".to_string()),
            ];
            if let Some(scopes) = scopes {
                headers.push(("X-OAuth-Scopes", scopes.to_string()));
                headers.push(("X-Accepted-OAuth-Scopes", String::new()));
            }
            if let Some(expiry) = expiry {
                headers.push(("GitHub-Authentication-Token-Expiration", expiry.to_string()));
            }
            let body = r#"{"login":"octocat","id":583231,"node_id":"MDQ6VXNlcjU4MzIzMQ==","type":"User","site_admin":false,"name":"Mona Lisa","company":"@github","email":null,"created_at":"2011-01-25T18:44:36Z"}"#;
            ("200 OK", headers, body.to_string())
        }
        Answer::BadCredentials => (
            "401 Unauthorized",
            vec![("Content-Type", json.to_string())],
            r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}"#.to_string(),
        ),
        Answer::RateLimited => (
            "403 Forbidden",
            vec![
                ("Content-Type", json.to_string()),
                ("x-ratelimit-limit", "5000".to_string()),
                ("x-ratelimit-remaining", "0".to_string()),
                ("x-ratelimit-reset", RESET_EPOCH.to_string()),
                ("x-ratelimit-used", "5000".to_string()),
                ("x-ratelimit-resource", "core".to_string()),
            ],
            r#"{"message":"API rate limit exceeded for user ID 583231.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":"403"}"#.to_string(),
        ),
        Answer::TooManyRequests => (
            "429 Too Many Requests",
            vec![
                ("Content-Type", json.to_string()),
                ("retry-after", "60".to_string()),
            ],
            r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","status":"429"}"#.to_string(),
        ),
        Answer::Slow => {
            // Not a test waiting for state: this is the answer itself,
            // late (`delay` below). A dropped stand-in ends the wait early.
            (
                "200 OK",
                vec![("Content-Type", json.to_string())],
                r#"{"login":"octocat","name":"Mona Lisa","email":null}"#.to_string(),
            )
        }
        },
    };
    let mut response = Response::json(status, body);
    response.headers = headers
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    response.delay = delay;
    response
}

// ---------------------------------------------------------------- helpers

/// bscred pointed at an API base.
fn at(env: &Env, url: &str) -> Command {
    let mut cmd = env.cmd();
    cmd.env("BSCRED_GITHUB_API_URL", url);
    cmd
}

fn run_at(env: &Env, url: &str, args: &[&str]) -> Output {
    at(env, url).args(args).output().expect("bscred runs")
}

fn run_at_stdin(env: &Env, url: &str, args: &[&str], input: &str) -> Output {
    at(env, url)
        .args(args)
        .write_stdin(input.to_string())
        .output()
        .expect("bscred runs")
}

/// Asserts that neither token, nor a recognisable part of one, is in `out`.
fn assert_no_token(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        for secret in [TOKEN, NEW_TOKEN, "R4nd0mT0k3n", "NewT0kenF0rTests"] {
            assert!(!text.contains(secret), "a token leaked: {text}");
        }
    }
}

/// One variable's row from `list --json`.
fn listed(env: &Env, name: &str) -> serde_json::Value {
    env.list_json()["variables"]
        .as_array()
        .expect("array")
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not listed"))
        .clone()
}

fn expires_at(env: &Env, name: &str) -> serde_json::Value {
    listed(env, name)["expires_at"].clone()
}

/// One variable's row from `status --json` (metadata only).
fn status_row(env: &Env, name: &str) -> serde_json::Value {
    let status: serde_json::Value =
        serde_json::from_str(&env.ok(&["status", "--json"])).expect("json");
    status["variables"]
        .as_array()
        .expect("array")
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in status"))
        .clone()
}

/// Stores `value` with extra `set` flags.
fn set_with(env: &Env, name: &str, value: &str, flags: &[&str]) -> Output {
    let mut args = vec!["set", name, "--stdin"];
    args.extend_from_slice(flags);
    let out = env.run_stdin(&args, value.as_bytes());
    assert_success(&out);
    out
}

/// The identity file moved aside for the life of the guard: nothing can be
/// decrypted meanwhile.
struct IdentityAway {
    identity: PathBuf,
    saved: PathBuf,
}

impl IdentityAway {
    fn new(env: &Env) -> IdentityAway {
        let identity = env.identity_path();
        let saved = identity.with_extension("away");
        fs::rename(&identity, &saved).expect("move the identity away");
        // Proof that nothing can be decrypted now.
        assert_fails(&env.run(&["get", "GITHUB_TOKEN"]), 4);
        IdentityAway { identity, saved }
    }
}

impl Drop for IdentityAway {
    fn drop(&mut self) {
        let _ = fs::rename(&self.saved, &self.identity);
    }
}

fn settings_file(env: &Env) -> String {
    fs::read_to_string(env.bscred_home.join("config/profiles/default.toml"))
        .expect("profile settings")
}

/// Writes `.bscred.toml` in the work dir and allows it.
fn allowed_project(env: &Env, text: &str) {
    fs::write(env.work.join(".bscred.toml"), text).expect("write .bscred.toml");
    env.ok(&["allow"]);
}

fn user_config(env: &Env, text: &str) {
    let dir = env.bscred_home.join("config");
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("config.toml"), text).expect("write config.toml");
}

/// The reminder lines in a stderr.
fn reminders(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains("expire")).collect()
}

// ------------------------------------------------------------------ verify

#[test]
fn verify_records_the_expiry_from_the_utc_header_and_sends_the_right_request() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    env.ok(&["set", "GITHUB_USERNAME", "octocat"]);
    let github = FakeGitHub::start(CLASSIC);
    let out = run_at(&env, &github.url, &["verify"]);
    assert_success(&out);
    assert_no_token(&out);
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    let text = stderr(&out);
    assert!(text.contains("GITHUB_TOKEN belongs to octocat"), "{text}");
    assert!(text.contains("2026-08-30 (in 90 days)"), "{text}");
    assert!(text.contains("scopes: repo, workflow"), "{text}");
    // The login matches GITHUB_USERNAME: no warning.
    assert!(!text.contains("warning"), "{text}");

    let request = github.only_request();
    assert_eq!(request.line, "GET /user HTTP/1.1");
    assert_eq!(
        request.header("Authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        request.header("Accept"),
        Some("application/vnd.github+json")
    );
    assert!(
        request
            .header("User-Agent")
            .is_some_and(|ua| !ua.is_empty()),
        "{request:?}"
    );

    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), EXPIRY);
    assert_eq!(status_row(&env, "GITHUB_TOKEN")["expires_at"], EXPIRY);
}

#[test]
fn verify_reads_the_offset_form_of_the_expiry_header() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let github = FakeGitHub::start(Answer::User {
        expiry: Some(EXPIRY_OFFSET),
        scopes: Some("repo, workflow"),
    });
    // A trailing slash on the base is not doubled in the path.
    let base = format!("{}/", github.url);
    let out = run_at(&env, &base, &["verify", "GITHUB_TOKEN"]);
    assert_success(&out);
    assert_no_token(&out);
    assert_eq!(github.only_request().line, "GET /user HTTP/1.1");
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), EXPIRY);
}

#[test]
fn verify_without_an_expiry_header_records_a_token_that_never_expires() {
    let env = Env::initialised();
    // A guessed expiry from before is replaced by GitHub's word.
    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--expires", "2026-06-10"]);
    let github = FakeGitHub::start(Answer::User {
        expiry: None,
        scopes: Some("repo"),
    });
    let out = run_at(&env, &github.url, &["verify"]);
    assert_success(&out);
    assert_no_token(&out);
    assert!(stderr(&out).contains("never expires"), "{}", stderr(&out));
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), serde_json::Value::Null);
    assert_eq!(
        status_row(&env, "GITHUB_TOKEN")["expires_at"],
        serde_json::Value::Null
    );
    let status = env.ok(&["status"]);
    let row = status
        .lines()
        .find(|l| l.starts_with("GITHUB_TOKEN"))
        .expect("token row");
    assert!(row.trim_end().ends_with('-'), "{status}");
    assert!(!status.contains("2026-06-10"), "{status}");
    // Nothing to remind of, nothing to check.
    let out = env.run(&["get", "GITHUB_TOKEN"]);
    assert_success(&out);
    assert!(reminders(&stderr(&out)).is_empty(), "{}", stderr(&out));
    assert_success(&env.run(&["check"]));
}

#[test]
fn verify_warns_when_the_login_is_not_github_username() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    env.ok(&["set", "GITHUB_USERNAME", "someone-else"]);
    let github = FakeGitHub::start(CLASSIC);
    let out = run_at(&env, &github.url, &["verify"]);
    assert_success(&out);
    assert_no_token(&out);
    let warning = stderr(&out)
        .lines()
        .find(|l| l.contains("warning"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no warning: {}", stderr(&out)));
    assert!(warning.contains("octocat"), "{warning}");
    assert!(warning.contains("someone-else"), "{warning}");
    assert!(warning.contains("GITHUB_USERNAME"), "{warning}");
    // The expiry is recorded all the same.
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), EXPIRY);
}

#[test]
fn verify_failures_exit_5_with_the_reason_and_record_nothing() {
    let env = Env::initialised();
    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--expires", "2026-06-20"]);
    let cases = [
        (
            Answer::BadCredentials,
            "GitHub rejected the token (revoked, expired or mistyped)",
        ),
        (Answer::RateLimited, "2026-06-01 13:00:00 UTC"),
        (Answer::TooManyRequests, "2026-06-01 12:01:00 UTC"),
    ];
    for (answer, reason) in cases {
        let github = FakeGitHub::start(answer);
        let out = run_at(&env, &github.url, &["verify"]);
        let text = assert_fails(&out, 5);
        assert_no_token(&out);
        assert!(text.contains(reason), "{answer:?}: {text}");
        if !matches!(answer, Answer::BadCredentials) {
            assert!(text.contains("rate limit"), "{answer:?}: {text}");
        }
        assert_eq!(github.requests().len(), 1, "{answer:?}");
        assert_eq!(expires_at(&env, "GITHUB_TOKEN"), "2026-06-20T00:00:00Z");
    }

    let out = run_at(&env, &unreachable_url(), &["verify"]);
    let text = assert_fails(&out, 5);
    assert!(text.contains("could not be reached"), "{text}");
}

#[test]
fn verify_gives_up_on_a_slow_answer_within_the_timeout() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let github = FakeGitHub::start(Answer::Slow);
    let started = Instant::now();
    let out = run_at(&env, &github.url, &["verify"]);
    let took = started.elapsed();
    let text = assert_fails(&out, 5);
    assert!(took < Duration::from_secs(7), "took {took:?}");
    assert!(text.contains("could not be reached"), "{text}");
    assert!(text.contains("5 seconds"), "{text}");
    assert_eq!(github.requests().len(), 1);
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), serde_json::Value::Null);
}

#[test]
fn verify_a_missing_variable_is_not_found() {
    let env = Env::initialised();
    let github = FakeGitHub::start(CLASSIC);
    let text = assert_fails(&run_at(&env, &github.url, &["verify", "MISSING"]), 3);
    assert!(text.contains("MISSING"), "{text}");
    assert!(github.requests().is_empty());
}

#[test]
fn verify_remembers_an_enterprise_host_for_the_profile() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let github = FakeGitHub::start(CLASSIC);
    let out = run_at(&env, &github.url, &["verify", "--host", "ghe.example.com"]);
    assert_success(&out);
    assert_no_token(&out);
    let settings = settings_file(&env);
    assert!(
        settings.contains("github_host = \"ghe.example.com\""),
        "{settings}"
    );
    // Rotation now sends the user to that host's token page.
    let out = run_at_stdin(
        &env,
        &github.url,
        &["rotate", "--stdin", "--no-verify"],
        NEW_TOKEN,
    );
    assert_success(&out);
    assert!(
        stderr(&out).contains("https://ghe.example.com/settings/personal-access-tokens/new?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn status_shows_the_verified_expiry_without_the_identity() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let github = FakeGitHub::start(CLASSIC);
    assert_success(&run_at(&env, &github.url, &["verify"]));
    let _away = IdentityAway::new(&env);
    let status = env.ok(&["status"]);
    assert!(status.contains("2026-08-30 (in 90 days)"), "{status}");
    assert_eq!(status_row(&env, "GITHUB_TOKEN")["expires_at"], EXPIRY);
}

// --------------------------------------------------------------- reminders

const IN_5_DAYS: &str = "2026-06-06";

/// A profile whose token expires on `date`, beside variables that do not
/// expire (or not soon), so a reminder for them would show.
fn profile_expiring(date: &str) -> Env {
    let env = Env::initialised();
    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--expires", date]);
    env.ok(&["set", "GITHUB_USERNAME", "octocat"]);
    set_with(
        &env,
        "AUTH_GITHUB_CLIENT_SECRET",
        "s3cr3t",
        &["--expires", "2027-01-01"],
    );
    env
}

/// The commands that remind: `env`, `exec -- true`, `get`.
const REMINDING: [&[&str]; 3] = [&["env"], &["exec", "--", "true"], &["get", "GITHUB_TOKEN"]];

/// Asserts `args` prints exactly one line on stderr, the reminder, with
/// every part of `parts` in it.
fn assert_one_reminder(env: &Env, args: &[&str], parts: &[&str]) {
    let out = env.run(args);
    assert_success(&out);
    assert_no_token_in_stderr(&out);
    let text = stderr(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: {text}");
    for part in parts {
        assert!(lines[0].contains(part), "{args:?}: {part:?} not in {text}");
    }
}

fn assert_no_token_in_stderr(out: &Output) {
    assert!(!stderr(out).contains(TOKEN), "{}", stderr(out));
}

#[test]
fn env_exec_and_get_remind_once_within_the_window() {
    let env = profile_expiring(IN_5_DAYS);
    for args in REMINDING {
        assert_one_reminder(
            &env,
            args,
            &[
                "GITHUB_TOKEN",
                "in 5 days",
                IN_5_DAYS,
                "bscred rotate GITHUB_TOKEN",
            ],
        );
    }
}

#[test]
fn after_expiry_the_reminder_says_expired() {
    let env = profile_expiring("2026-05-29");
    for args in REMINDING {
        assert_one_reminder(
            &env,
            args,
            &[
                "GITHUB_TOKEN",
                "expired",
                "2026-05-29",
                "bscred rotate GITHUB_TOKEN",
            ],
        );
    }
}

#[test]
fn quiet_silences_the_reminder_and_stdout_stays_byte_identical() {
    let env = profile_expiring(IN_5_DAYS);
    let printenv = ["exec", "--", "printenv", "GITHUB_TOKEN"];
    let commands: [&[&str]; 3] = [&["env"], &printenv, &["get", "GITHUB_TOKEN"]];
    let mut reminded = Vec::new();
    for args in commands {
        let out = env.run(args);
        assert_success(&out);
        assert_eq!(reminders(&stderr(&out)).len(), 1, "{}", stderr(&out));
        reminded.push(out.stdout);
    }
    for (args, with_reminder) in commands.iter().zip(&reminded) {
        let mut quiet = vec!["-q"];
        quiet.extend_from_slice(args);
        let out = env.run(&quiet);
        assert_success(&out);
        assert!(out.stderr.is_empty(), "{}", stderr(&out));
        assert_eq!(&out.stdout, with_reminder, "{args:?} with -q");

        let out = env.cmd().env("BSCRED_QUIET", "1").args(*args).output();
        let out = out.expect("runs");
        assert_success(&out);
        assert!(out.stderr.is_empty(), "{}", stderr(&out));
        assert_eq!(&out.stdout, with_reminder, "{args:?} with BSCRED_QUIET=1");
    }

    // BSCRED_QUIET=0 means not quiet.
    let out = env.cmd().env("BSCRED_QUIET", "0").arg("env").output();
    let out = out.expect("runs");
    assert_success(&out);
    assert_eq!(reminders(&stderr(&out)).len(), 1, "{}", stderr(&out));

    // Without an expiry at all, the same bytes again.
    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--no-expires"]);
    for (args, with_reminder) in commands.iter().zip(&reminded) {
        let out = env.run(args);
        assert_success(&out);
        assert!(reminders(&stderr(&out)).is_empty(), "{}", stderr(&out));
        assert_eq!(&out.stdout, with_reminder, "{args:?} without an expiry");
    }
}

#[test]
fn no_reminder_outside_the_window() {
    // 19 days ahead: outside the default 14.
    let env = profile_expiring("2026-06-20");
    for args in REMINDING {
        let out = env.run(args);
        assert_success(&out);
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn warn_days_in_the_user_config_widens_the_window() {
    let env = profile_expiring("2026-06-20");
    user_config(&env, "warn_days = 30\n");
    for args in REMINDING {
        assert_one_reminder(&env, args, &["GITHUB_TOKEN", "in 19 days", "2026-06-20"]);
    }
    assert_eq!(env.run(&["check"]).status.code(), Some(10));
}

#[test]
fn warn_days_in_an_allowed_project_file_widens_the_window_and_wins() {
    let env = profile_expiring("2026-06-20");
    // Not allowed yet: its window does not count.
    fs::write(
        env.work.join(".bscred.toml"),
        "version = 1\nwarn_days = 30\n",
    )
    .expect("write");
    let out = env.run(&["get", "GITHUB_TOKEN"]);
    assert_success(&out);
    assert!(stderr(&out).contains("not allowed"), "{}", stderr(&out));
    assert!(reminders(&stderr(&out)).is_empty(), "{}", stderr(&out));
    assert_eq!(env.run(&["check"]).status.code(), Some(0));

    allowed_project(&env, "version = 1\nwarn_days = 30\n");
    for args in REMINDING {
        assert_one_reminder(&env, args, &["GITHUB_TOKEN", "in 19 days", "2026-06-20"]);
    }
    assert_eq!(env.run(&["check"]).status.code(), Some(10));

    // The project's word wins over the user's, both ways.
    user_config(&env, "warn_days = 10\n");
    assert_one_reminder(&env, &["get", "GITHUB_TOKEN"], &["in 19 days"]);
    allowed_project(&env, "version = 1\nwarn_days = 10\n");
    user_config(&env, "warn_days = 30\n");
    for args in REMINDING {
        let out = env.run(args);
        assert_success(&out);
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(env.run(&["check"]).status.code(), Some(0));
}

// ------------------------------------------------------------------- check

fn check(env: &Env, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let out = env.run(&all);
    assert_no_token(&out);
    (out.status.code(), stdout(&out))
}

#[test]
fn check_exit_codes_need_no_identity() {
    let env = Env::initialised();
    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--expires", "2026-08-30"]);
    {
        let _away = IdentityAway::new(&env);
        assert_eq!(check(&env, &[]), (Some(0), String::new()));
    }

    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--expires", IN_5_DAYS]);
    {
        let _away = IdentityAway::new(&env);
        let (code, text) = check(&env, &[]);
        assert_eq!(code, Some(10), "{text}");
        assert!(text.contains("GITHUB_TOKEN"), "{text}");
        assert!(text.contains("in 5 days"), "{text}");
        assert_eq!(check(&env, &["--within", "3"]), (Some(0), String::new()));
        assert_eq!(check(&env, &["--within", "5"]).0, Some(10));
    }

    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--expires", "2026-05-29"]);
    {
        let _away = IdentityAway::new(&env);
        let (code, text) = check(&env, &[]);
        assert_eq!(code, Some(11), "{text}");
        assert!(text.contains("expired"), "{text}");
        // Expired beats any window.
        assert_eq!(check(&env, &["--within", "0"]).0, Some(11));
    }

    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--expires", "2026-08-30"]);
    allowed_project(
        &env,
        "version = 1\nrequired = [\"GITHUB_TOKEN\", \"USER_EMAIL\"]\n",
    );
    {
        let _away = IdentityAway::new(&env);
        let (code, text) = check(&env, &[]);
        assert_eq!(code, Some(3), "{text}");
        assert!(text.contains("USER_EMAIL"), "{text}");
    }
}

// ------------------------------------------------------------------ rotate

/// The template URL `rotate` printed on stderr, as its query pairs.
fn template_query(text: &str) -> Vec<(String, String)> {
    const PAGE: &str = "https://github.com/settings/personal-access-tokens/new?";
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with(PAGE))
        .unwrap_or_else(|| panic!("no template URL: {text}"));
    url[PAGE.len()..]
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn query_value<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A profile holding the old token with a known expiry.
fn profile_to_rotate() -> Env {
    let env = Env::initialised();
    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--expires", "2026-06-20"]);
    env
}

fn assert_old_token_kept(env: &Env) {
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(expires_at(env, "GITHUB_TOKEN"), "2026-06-20T00:00:00Z");
}

#[test]
fn rotate_keeps_the_old_token_when_github_rejects_the_new_one() {
    let env = profile_to_rotate();
    let github = FakeGitHub::start(Answer::BadCredentials);
    let out = run_at_stdin(&env, &github.url, &["rotate", "--stdin"], NEW_TOKEN);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert_no_token(&out);
    assert!(stderr(&out).contains("rejected"), "{}", stderr(&out));
    // The new token is the one that was asked about.
    assert_eq!(
        github.only_request().header("Authorization"),
        Some(format!("Bearer {NEW_TOKEN}").as_str())
    );
    assert_old_token_kept(&env);
}

#[test]
fn rotate_keeps_the_old_token_when_github_cannot_be_reached() {
    let env = profile_to_rotate();
    let out = run_at_stdin(&env, &unreachable_url(), &["rotate", "--stdin"], NEW_TOKEN);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_no_token(&out);
    assert!(
        stderr(&out).contains("could not be reached"),
        "{}",
        stderr(&out)
    );
    assert_old_token_kept(&env);
}

#[test]
fn rotate_stores_an_accepted_token_with_its_new_expiry() {
    let env = profile_to_rotate();
    let github = FakeGitHub::start(Answer::User {
        expiry: Some(EXPIRY_OFFSET),
        scopes: None,
    });
    // As `gh auth token | bscred rotate --stdin` sends it.
    let piped = format!("{NEW_TOKEN}\n");
    let out = run_at_stdin(&env, &github.url, &["rotate", "--stdin"], &piped);
    assert_success(&out);
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert_no_token(&out);
    let text = stderr(&out);

    let query = template_query(&text);
    for permission in [
        "administration",
        "secrets",
        "contents",
        "pull_requests",
        "workflows",
    ] {
        assert_eq!(query_value(&query, permission), Some("write"), "{text}");
    }
    assert_eq!(query_value(&query, "expires_in"), Some("90"), "{text}");
    assert!(query_value(&query, "name").is_some_and(|n| !n.is_empty()));
    assert!(query_value(&query, "description").is_some_and(|d| !d.is_empty()));
    assert_eq!(query_value(&query, "target_name"), None, "{text}");
    // The page cannot preselect repositories: the user is told to.
    assert!(text.contains("pick the repositories"), "{text}");
    assert!(text.contains("cannot prefill"), "{text}");
    // The old token is revoked on GitHub, not left to the user.
    assert!(
        text.contains("revoked the old GITHUB_TOKEN on GitHub"),
        "{text}"
    );

    let requests = github.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].line, "GET /user HTTP/1.1");
    assert_eq!(
        requests[0].header("Authorization"),
        Some(format!("Bearer {NEW_TOKEN}").as_str())
    );
    // Revocation takes no authentication; the old token is in the body.
    assert_eq!(requests[1].line, "POST /credentials/revoke HTTP/1.1");
    assert_eq!(requests[1].header("Authorization"), None);
    let body: serde_json::Value = serde_json::from_str(&requests[1].body).expect("json body");
    assert_eq!(body, serde_json::json!({ "credentials": [TOKEN] }));
    assert_eq!(env.get("GITHUB_TOKEN"), NEW_TOKEN);
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), EXPIRY);
    assert_eq!(status_row(&env, "GITHUB_TOKEN")["expires_at"], EXPIRY);
}

#[test]
fn rotate_owner_is_prefilled_and_remembered() {
    let env = profile_to_rotate();
    let github = FakeGitHub::start(CLASSIC);
    let out = run_at_stdin(
        &env,
        &github.url,
        &["rotate", "--stdin", "--owner", "my-org"],
        NEW_TOKEN,
    );
    assert_success(&out);
    let query = template_query(&stderr(&out));
    assert_eq!(query_value(&query, "target_name"), Some("my-org"));
    assert!(
        settings_file(&env).contains("github_owner = \"my-org\""),
        "{}",
        settings_file(&env)
    );

    // The next rotation needs no --owner.
    let out = run_at_stdin(&env, &github.url, &["rotate", "--stdin"], TOKEN);
    assert_success(&out);
    let query = template_query(&stderr(&out));
    assert_eq!(query_value(&query, "target_name"), Some("my-org"));
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
}

#[test]
fn rotate_sends_the_user_to_the_web_base_bscred_github_url_names() {
    let env = profile_to_rotate();
    let github = FakeGitHub::start(CLASSIC);
    let out = at(&env, &github.url)
        .env("BSCRED_GITHUB_URL", "http://127.0.0.1:9/")
        .args(["rotate", "--stdin"])
        .write_stdin(NEW_TOKEN)
        .output()
        .expect("bscred runs");
    assert_success(&out);
    let text = stderr(&out);
    assert!(
        text.contains("http://127.0.0.1:9/settings/personal-access-tokens/new?name="),
        "{text}"
    );
    assert!(
        !text.contains("https://github.com/settings/personal-access-tokens/new"),
        "{text}"
    );
}

#[test]
fn rotate_no_verify_stores_without_asking_github() {
    let env = profile_to_rotate();
    let github = FakeGitHub::start(CLASSIC);
    let out = run_at_stdin(
        &env,
        &github.url,
        &[
            "rotate",
            "--stdin",
            "--no-verify",
            "--expires-in",
            "30d",
            "--days",
            "30",
        ],
        NEW_TOKEN,
    );
    assert_success(&out);
    assert_no_token(&out);
    // The URL is printed whether or not GitHub is asked; --days sets the
    // prefilled lifetime.
    let query = template_query(&stderr(&out));
    assert_eq!(query_value(&query, "expires_in"), Some("30"));
    assert!(github.requests().is_empty(), "{:?}", github.requests());
    assert_eq!(env.get("GITHUB_TOKEN"), NEW_TOKEN);
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), "2026-07-01T12:00:00Z");
}

#[test]
fn rotate_never_replaces_the_token_with_nothing() {
    // `gh auth token | bscred rotate --stdin --no-verify` when gh is logged
    // out: gh prints nothing on stdout. The hidden prompt refuses an empty
    // answer ("the old one stays"); --stdin must too, or the good token is
    // gone and the user is told to delete it on GitHub.
    let env = profile_to_rotate();
    let github = FakeGitHub::start(CLASSIC);
    for args in [
        &["rotate", "--stdin", "--no-verify", "--expires-in", "90d"][..],
        &["rotate", "--stdin"][..],
    ] {
        let out = run_at_stdin(&env, &github.url, args, "");
        assert_ne!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("delete the old token"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_old_token_kept(&env);
    }
}

// ---------------------------------------------------------- on a terminal

/// Runs `bscred ARGS` on a pseudo-terminal (util-linux `script`) pointed at
/// `url`; for each step, waits (with a deadline) for its prompt on the
/// screen, then types its input. Returns the exit code and the screen.
#[cfg(unix)]
fn on_terminal(env: &Env, url: &str, args: &str, steps: &[(&str, &str)]) -> (Option<i32>, String) {
    crate::harness::pty::on_pty(env, &[("BSCRED_GITHUB_API_URL", url)], args, steps)
}

#[cfg(unix)]
const TOKEN_PROMPT: &str = "New token for GITHUB_TOKEN (input hidden): ";

#[cfg(unix)]
#[test]
fn rotate_on_a_terminal_reads_the_new_token_without_echo() {
    if !have("script") {
        return;
    }
    let env = profile_to_rotate();
    let github = FakeGitHub::start(CLASSIC);
    let (code, screen) = on_terminal(
        &env,
        &github.url,
        "rotate",
        &[(TOKEN_PROMPT, &format!("{NEW_TOKEN}\r"))],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        !screen.contains(NEW_TOKEN),
        "the token was echoed: {screen}"
    );
    assert!(
        screen.contains("https://github.com/settings/personal-access-tokens/new?"),
        "{screen}"
    );
    assert_eq!(
        github.requests()[0].header("Authorization"),
        Some(format!("Bearer {NEW_TOKEN}").as_str())
    );
    assert_eq!(env.get("GITHUB_TOKEN"), NEW_TOKEN);
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), EXPIRY);

    // Just Enter: nothing is asked of GitHub and the token stays.
    let github = FakeGitHub::start(CLASSIC);
    let (code, screen) = on_terminal(&env, &github.url, "rotate", &[(TOKEN_PROMPT, "\r")]);
    assert_eq!(code, Some(2), "{screen}");
    assert!(github.requests().is_empty());
    assert_eq!(env.get("GITHUB_TOKEN"), NEW_TOKEN);
}

#[cfg(unix)]
#[test]
fn on_a_terminal_stripping_a_pasted_token_is_offered() {
    if !have("script") {
        return;
    }
    const VALUE_PROMPT: &str = "Value for GITHUB_TOKEN (input hidden): ";
    const OFFER: &str = "Remove them? [Y/n] ";
    let env = Env::initialised();
    let pasted = format!("  {TOKEN} \r");
    let url = unreachable_url();
    let (code, screen) = on_terminal(
        &env,
        &url,
        "set GITHUB_TOKEN",
        &[(VALUE_PROMPT, &pasted), (OFFER, "\r")],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains(TOKEN), "the token was echoed: {screen}");
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);

    // Declined: the value is stored as typed.
    let (code, screen) = on_terminal(
        &env,
        &url,
        "set GITHUB_TOKEN",
        &[(VALUE_PROMPT, &pasted), (OFFER, "n\r")],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(env.get("GITHUB_TOKEN"), format!("  {TOKEN} "));
}

// ---------------------------------------------------------- offline checks

#[test]
fn pasted_spaces_or_quotes_around_a_token_are_stripped_with_a_notice() {
    for pasted in [format!("  {TOKEN}  "), format!("\"{TOKEN}\"")] {
        let env = Env::initialised();
        let out = env.run_stdin(&["set", "GITHUB_TOKEN", "--stdin"], pasted.as_bytes());
        assert_success(&out);
        assert_no_token_in_stderr(&out);
        let text = stderr(&out);
        assert!(text.contains("removed"), "{pasted:?}: {text}");
        assert!(text.contains("GITHUB_TOKEN"), "{pasted:?}: {text}");
        assert_eq!(env.get("GITHUB_TOKEN"), TOKEN, "{pasted:?}");
    }
}

#[test]
fn values_that_are_not_tokens_are_stored_exactly() {
    let env = Env::initialised();
    for value in ["  a pass phrase with spaces  ", "\"quoted on purpose\""] {
        let out = env.run_stdin(&["set", "API_KEY", "--stdin"], value.as_bytes());
        assert_success(&out);
        assert!(!stderr(&out).contains("removed"), "{}", stderr(&out));
        assert_eq!(env.get("API_KEY"), value);
    }
}

#[test]
fn a_one_character_typo_in_a_classic_token_is_located_but_stored() {
    let env = Env::initialised();
    // Character 11 (1-based) of the token, inside its random part.
    let mut typo = TOKEN.as_bytes().to_vec();
    typo[10] = if typo[10] == b'x' { b'y' } else { b'x' };
    let typo = String::from_utf8(typo).expect("ascii");
    let out = env.run_stdin(&["set", "GITHUB_TOKEN", "--stdin"], typo.as_bytes());
    assert_success(&out);
    let text = stderr(&out);
    assert!(!text.contains(&typo), "{text}");
    let warning = text
        .lines()
        .find(|l| l.contains("checksum"))
        .unwrap_or_else(|| panic!("no checksum warning: {text}"));
    assert!(warning.contains("warning"), "{warning}");
    assert!(warning.contains("character 11"), "{warning}");
    assert_eq!(env.get("GITHUB_TOKEN"), typo);

    // The correct token passes without a word about it.
    let out = env.run_stdin(&["set", "GITHUB_TOKEN", "--stdin"], TOKEN.as_bytes());
    assert_success(&out);
    assert!(!stderr(&out).contains("checksum"), "{}", stderr(&out));
}

#[test]
fn import_strips_a_quoted_and_padded_token_too() {
    let env = Env::initialised();
    let dotenv = env.work.join(".env");
    fs::write(
        &dotenv,
        format!("GITHUB_TOKEN=\"  {TOKEN}  \"\nUSER_DISPLAY_NAME=\"  Mona Lisa  \"\n"),
    )
    .expect("write .env");
    let out = env.run(&["import", ".env"]);
    assert_success(&out);
    assert_no_token_in_stderr(&out);
    assert!(stderr(&out).contains("removed"), "{}", stderr(&out));
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    // Not a token: kept exactly.
    assert_eq!(env.get("USER_DISPLAY_NAME"), "  Mona Lisa  ");
}

// ------------------------------------------------------------ remind --ics

/// ical.js reading a calendar from stdin, every event as JSON.
const ICAL_PARSE: &str = "const ICAL = require('ical.js'); \
    const text = require('fs').readFileSync(0, 'utf8'); \
    const cal = new ICAL.Component(ICAL.parse(text)); \
    if (cal.name !== 'vcalendar') throw new Error('not a calendar: ' + cal.name); \
    const events = cal.getAllSubcomponents('vevent').map(v => { \
      const start = v.getFirstPropertyValue('dtstart'); \
      return { \
        uid: v.getFirstPropertyValue('uid'), \
        sequence: v.getFirstPropertyValue('sequence'), \
        dtstamp: v.getFirstPropertyValue('dtstamp').toString(), \
        start: start.toString(), \
        all_day: start.isDate, \
        summary: v.getFirstPropertyValue('summary'), \
        triggers: v.getAllSubcomponents('valarm') \
          .map(a => a.getFirstPropertyValue('trigger').toString()), \
      }; \
    }); \
    process.stdout.write(JSON.stringify(events));";

#[derive(Debug, Clone, serde::Deserialize)]
struct Event {
    uid: String,
    sequence: i64,
    dtstamp: String,
    start: String,
    all_day: bool,
    summary: String,
    triggers: Vec<String>,
}

fn parse_ics(text: &[u8]) -> Vec<Event> {
    let out = output_fed(
        std::process::Command::new("node")
            .args(["-e", ICAL_PARSE])
            .current_dir(node_dir()),
        text,
    );
    assert!(
        out.status.success(),
        "ical.js refused the calendar: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(text)
    );
    serde_json::from_slice(&out.stdout).expect("json from node")
}

/// RFC 5545 §3.1: every line ends in CRLF and is at most 75 octets long.
fn assert_rfc5545_lines(text: &[u8]) {
    let text = std::str::from_utf8(text).expect("utf-8");
    assert!(text.ends_with("\r\n"), "{text:?}");
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "a bare LF: {text:?}"
    );
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
}

fn remind(env: &Env, now: &str, args: &[&str]) -> Output {
    let mut all = vec!["remind"];
    all.extend_from_slice(args);
    let out = env
        .cmd()
        .env("BSCRED_TEST_NOW", now)
        .args(&all)
        .output()
        .expect("runs");
    assert_success(&out);
    assert_no_token(&out);
    out
}

fn event<'e>(events: &'e [Event], name: &str) -> &'e Event {
    events
        .iter()
        .find(|e| e.uid.starts_with(&format!("{name}.")))
        .unwrap_or_else(|| panic!("no event for {name}: {events:?}"))
}

#[test]
fn remind_ics_is_a_calendar_ical_js_reads_with_stable_uids_and_growing_sequence() {
    if !have_package("ical.js") {
        return;
    }
    let env = Env::initialised();
    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--expires", EXPIRY]);
    set_with(
        &env,
        "AUTH_GITHUB_CLIENT_SECRET",
        "s3cr3t",
        &["--expires", "2026-12-31"],
    );
    env.ok(&["set", "GITHUB_USERNAME", "octocat"]);
    let ics = env.work.join("bscred.ics");
    let path = ics.to_str().expect("utf-8 path");

    remind(&env, NOW, &["--ics", path]);
    let first = fs::read(&ics).expect("the calendar was written");
    assert_rfc5545_lines(&first);
    let events = parse_ics(&first);
    assert_eq!(events.len(), 2, "one event per expiry: {events:?}");
    let token = event(&events, "GITHUB_TOKEN");
    assert_eq!(token.start, "2026-08-30");
    assert!(token.all_day, "{token:?}");
    assert!(token.summary.contains("GITHUB_TOKEN"), "{token:?}");
    assert_eq!(token.dtstamp, "2026-06-01T12:00:00Z");
    assert_eq!(token.triggers, ["-P14D", "-P3D", "-P1D"]);
    let client = event(&events, "AUTH_GITHUB_CLIENT_SECRET");
    assert_eq!(client.start, "2026-12-31");
    assert_ne!(client.uid, token.uid);

    // Written again later, unchanged: the same events.
    remind(&env, "2026-06-05T08:00:00Z", &["--ics", path]);
    let again = parse_ics(&fs::read(&ics).expect("read"));
    let same = event(&again, "GITHUB_TOKEN");
    assert_eq!(same.uid, token.uid);
    assert!(same.sequence >= token.sequence, "{same:?} after {token:?}");

    // A rotated token: the same event, a higher SEQUENCE, the new date.
    let out = env
        .cmd()
        .env("BSCRED_TEST_NOW", "2026-06-10T09:30:00Z")
        .args(["set", "GITHUB_TOKEN", "--stdin", "--expires", "2026-09-08"])
        .write_stdin(NEW_TOKEN)
        .output()
        .expect("runs");
    assert_success(&out);
    remind(&env, "2026-06-10T09:31:00Z", &["--ics", path]);
    let rotated = parse_ics(&fs::read(&ics).expect("read"));
    let new = event(&rotated, "GITHUB_TOKEN");
    assert_eq!(new.uid, token.uid);
    assert!(new.sequence > same.sequence, "{new:?} after {same:?}");
    assert_eq!(new.start, "2026-09-08");
    assert_eq!(event(&rotated, "AUTH_GITHUB_CLIENT_SECRET").uid, client.uid);

    // One alarm when asked for one.
    remind(&env, NOW, &["--ics", path, "--alarms", "7"]);
    let one = parse_ics(&fs::read(&ics).expect("read"));
    assert_eq!(event(&one, "GITHUB_TOKEN").triggers, ["-P7D"]);

    // `--ics -` prints the calendar on stdout.
    let out = remind(&env, NOW, &["--ics", "-"]);
    assert!(out.stdout.starts_with(b"BEGIN:VCALENDAR\r\n"));
    assert_rfc5545_lines(&out.stdout);
    let printed = parse_ics(&out.stdout);
    assert_eq!(printed.len(), 2);
    assert_eq!(event(&printed, "GITHUB_TOKEN").uid, token.uid);
}

#[test]
fn remind_ics_sequence_grows_when_verify_changes_the_expiry() {
    if !have_package("ical.js") {
        return;
    }
    // The value stays, but GitHub's answer moves the date: the event changed
    // (RFC 5545 §3.8.7.4: DTSTART is a significant revision), so a calendar
    // must see a higher SEQUENCE or it keeps the old date.
    let env = Env::initialised();
    set_with(&env, "GITHUB_TOKEN", TOKEN, &["--expires", "2026-07-01"]);
    let ics = env.work.join("bscred.ics");
    let path = ics.to_str().expect("utf-8 path");
    remind(&env, NOW, &["--ics", path]);
    let before = parse_ics(&fs::read(&ics).expect("read"));
    let before = event(&before, "GITHUB_TOKEN").clone();
    assert_eq!(before.start, "2026-07-01");

    let github = FakeGitHub::start(CLASSIC);
    let out = at(&env, &github.url)
        .env("BSCRED_TEST_NOW", "2026-06-02T12:00:00Z")
        .arg("verify")
        .output()
        .expect("runs");
    assert_success(&out);
    remind(&env, "2026-06-02T12:01:00Z", &["--ics", path]);
    let after = parse_ics(&fs::read(&ics).expect("read"));
    let after = event(&after, "GITHUB_TOKEN");
    assert_eq!(after.start, "2026-08-30");
    assert_eq!(after.uid, before.uid);
    assert!(
        after.sequence > before.sequence,
        "the date moved but SEQUENCE did not grow: {after:?} after {before:?}"
    );
}

#[test]
fn a_reminder_for_another_profile_names_it_in_the_fix() {
    let env = Env::new();
    env.ok(&["-p", "work", "init", "--backend", "file"]);
    let out = env.run_stdin(
        &[
            "-p",
            "work",
            "set",
            "GITHUB_TOKEN",
            "--stdin",
            "--expires",
            "2026-06-06",
        ],
        TOKEN.as_bytes(),
    );
    assert_success(&out);
    let out = env.run(&["-p", "work", "get", "GITHUB_TOKEN"]);
    assert_success(&out);
    let lines = reminders(&stderr(&out)).join("\n");
    assert!(
        lines.contains("`bscred -p work rotate GITHUB_TOKEN`"),
        "{lines}"
    );
    let out = env.run(&["-p", "work", "check"]);
    assert_eq!(out.status.code(), Some(10));
    assert!(
        stdout(&out).contains("bscred -p work rotate GITHUB_TOKEN"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn rotate_refuses_the_token_already_stored() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let before = env.files();
    let out = run_at_stdin(
        &env,
        &unreachable_url(),
        &["rotate", "--stdin", "--no-verify"],
        TOKEN,
    );
    let text = assert_fails(&out, 2);
    assert!(text.contains("already holds"), "{text}");
    crate::harness::assert_unchanged(&env, &before);
}

#[test]
fn verify_never_sends_the_token_over_plain_http_to_another_machine() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    // Text that starts like this machine but names another host (user
    // info before `@`, a longer name) is another machine: refused before
    // any connection is tried.
    for url in [
        "http://example.invalid",
        "http://127.0.0.1:1@example.invalid:8765",
        "http://localhost@example.invalid",
        "http://127.0.0.1.example.invalid",
    ] {
        let out = run_at(&env, url, &["verify"]);
        let text = assert_fails(&out, 5);
        assert!(
            text.contains("refusing to send the token over plain http"),
            "{url}: {text}"
        );
    }
}

#[test]
fn rotate_keep_old_leaves_the_old_token_valid_and_says_where_to_delete_it() {
    let env = profile_to_rotate();
    let github = FakeGitHub::start(CLASSIC);
    let out = run_at_stdin(
        &env,
        &github.url,
        &["rotate", "--stdin", "--keep-old"],
        NEW_TOKEN,
    );
    assert_success(&out);
    assert_no_token(&out);
    let text = stderr(&out);
    assert!(text.contains("the old token still works"), "{text}");
    assert!(text.contains("https://github.com/settings/"), "{text}");
    let requests = github.requests();
    assert!(
        requests
            .iter()
            .all(|r| !r.line.contains("/credentials/revoke")),
        "{requests:?}"
    );
    assert_eq!(env.get("GITHUB_TOKEN"), NEW_TOKEN);
}

#[test]
fn a_failed_revocation_is_a_warning_and_the_new_token_stays() {
    let env = profile_to_rotate();
    let github = FakeGitHub::start_with(CLASSIC, Revoke::Fails);
    let out = run_at_stdin(&env, &github.url, &["rotate", "--stdin"], NEW_TOKEN);
    assert_success(&out);
    assert_no_token(&out);
    let text = stderr(&out);
    assert!(
        text.contains("warning: the new GITHUB_TOKEN is stored, but revoking the old one failed"),
        "{text}"
    );
    assert!(text.contains("HTTP 500"), "{text}");
    assert!(text.contains("https://github.com/settings/"), "{text}");
    assert_eq!(env.get("GITHUB_TOKEN"), NEW_TOKEN);
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), EXPIRY);
}

#[test]
fn a_revocation_request_with_a_token_header_is_refused_by_the_stand_in() {
    // The stand-in's own rule, checked once so the tests above can rely
    // on it: a revoke that carried Authorization would fail there.
    let github = FakeGitHub::start(CLASSIC);
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let status = agent
        .post(format!("{}/credentials/revoke", github.url))
        .header("Authorization", "Bearer x")
        .send(r#"{"credentials":["x"]}"#)
        .expect("answers")
        .status()
        .as_u16();
    assert_eq!(status, 401);
}
