//! `bscred login github` (issue 17, part 3) against a stand-in github.com:
//! the device flow through every answer GitHub gives, with time from the
//! virtual clock `BSCRED_TEST_NOW` selects (no test waits), and the
//! refresh that `get`, `env`, `exec` and the git helper do before handing
//! out a token within five minutes of its expiry — once, under the
//! profile's lock, leaving the stored tokens untouched when GitHub refuses.

use std::collections::VecDeque;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::harness::git::HERMETIC;
use crate::harness::github::{GitHubStandIn, Request, Response, unreachable_url};
use crate::harness::process::finish;
use crate::harness::{
    Env, NOW, assert_fails, assert_success, assert_unchanged, have, stderr, stdout,
};

const CLIENT_ID: &str = "Iv23liTestClient01";
const DEVICE_CODE: &str = "3584d83530557fdd1f46af8289938c8ef79f9dc5";
const USER_CODE: &str = "WDJB-MJHT";
const VERIFICATION_URI: &str = "https://github.com/login/device";

/// The tokens the device flow grants, and those each refresh gives.
const ACCESS: &str = "ghu_16C7e42F292c6912E7710c838347Ae178B4a";
const REFRESH: &str =
    "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498";
const NEW_ACCESS: &str = "ghu_NewT0kenAfterRefresh0000000000000Zq7";
const NEW_REFRESH: &str =
    "ghr_NewRefreshT0ken00000000000000000000000000000000000000000000000000000000Wx3";

/// GitHub's lifetimes: 8 hours for the token, 183 days for the refresh token.
const ACCESS_SECS: i64 = 28_800;
const REFRESH_SECS: i64 = 15_811_200;

// ------------------------------------------------------------ the stand-in

/// What the stand-in github.com has been told to answer, and what it holds.
struct State {
    /// Answers to the device-code polls, in order (the last one repeats).
    polls: VecDeque<Response>,
    /// The answer to `POST /login/device/code`, when not the usual one.
    device: Option<Response>,
    /// The refresh token GitHub would accept now: each works once.
    valid_refresh: String,
    /// The answer to a refresh, when not the usual one.
    refresh: Option<Response>,
    /// How long a refresh answer takes.
    refresh_delay: Duration,
    /// Run while a refresh is answered (bscred holds the profile's lock
    /// and waits for the answer).
    during_refresh: Option<Box<dyn FnMut() + Send>>,
}

struct GitHub {
    server: GitHubStandIn,
    state: Arc<Mutex<State>>,
}

impl GitHub {
    fn start(polls: Vec<Response>) -> GitHub {
        let state = Arc::new(Mutex::new(State {
            polls: polls.into(),
            device: None,
            valid_refresh: REFRESH.to_string(),
            refresh: None,
            refresh_delay: Duration::ZERO,
            during_refresh: None,
        }));
        let seen = Arc::clone(&state);
        let server = GitHubStandIn::start(move |request| answer(request, &seen));
        GitHub { server, state }
    }

    /// A stand-in that grants the token at the first poll.
    fn granting() -> GitHub {
        GitHub::start(vec![granted(ACCESS, REFRESH)])
    }

    fn with(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state.lock().expect("lock"));
    }

    fn url(&self) -> &str {
        &self.server.url
    }

    fn token_requests(&self, grant_type: &str) -> Vec<Request> {
        self.server
            .requests_to("POST /login/oauth/access_token")
            .into_iter()
            .filter(|r| field(r, "grant_type").as_deref() == Some(grant_type))
            .collect()
    }

    fn polls(&self) -> usize {
        self.token_requests("urn:ietf:params:oauth:grant-type:device_code")
            .len()
    }

    fn refreshes(&self) -> usize {
        self.token_requests("refresh_token").len()
    }
}

fn field(request: &Request, name: &str) -> Option<String> {
    request
        .form()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// GitHub's OAuth endpoints, checking every field bscred sends: a request
/// with a wrong one gets a 422 the test will see.
fn answer(request: &Request, state: &Mutex<State>) -> Response {
    let wrong = |what: &str| {
        Response::json(
            "422 Unprocessable Entity",
            format!(r#"{{"error":"test_stand_in","error_description":"wrong {what}"}}"#),
        )
    };
    if request.header("Accept") != Some("application/json") {
        return wrong("Accept header");
    }
    if request.header("Content-Type") != Some("application/x-www-form-urlencoded") {
        return wrong("Content-Type");
    }
    if request.header("Authorization").is_some() {
        return wrong("Authorization header (none belongs here)");
    }
    if field(request, "client_id").as_deref() != Some(CLIENT_ID) {
        return wrong("client_id");
    }
    let mut state = state.lock().expect("lock");
    match request.route().as_str() {
        "POST /login/device/code" => state.device.clone().unwrap_or_else(|| {
            Response::json(
                "200 OK",
                format!(
                    r#"{{"device_code":"{DEVICE_CODE}","user_code":"{USER_CODE}","verification_uri":"{VERIFICATION_URI}","expires_in":900,"interval":5}}"#
                ),
            )
        }),
        "POST /login/oauth/access_token" => match field(request, "grant_type").as_deref() {
            Some("urn:ietf:params:oauth:grant-type:device_code") => {
                if field(request, "device_code").as_deref() != Some(DEVICE_CODE) {
                    return wrong("device_code");
                }
                match state.polls.len() {
                    0 => error("authorization_pending"),
                    1 => state.polls[0].clone(),
                    _ => state.polls.pop_front().expect("an answer"),
                }
            }
            Some("refresh_token") => {
                if let Some(during) = state.during_refresh.as_mut() {
                    during();
                }
                let delay = state.refresh_delay;
                if let Some(answer) = state.refresh.clone() {
                    return answer.delayed(delay);
                }
                // A refresh token works once.
                if field(request, "refresh_token").as_deref() != Some(state.valid_refresh.as_str())
                {
                    return error("bad_refresh_token").delayed(delay);
                }
                state.valid_refresh = NEW_REFRESH.to_string();
                granted(NEW_ACCESS, NEW_REFRESH).delayed(delay)
            }
            _ => wrong("grant_type"),
        },
        _ => Response::not_found(),
    }
}

/// GitHub's "no" on the token endpoint: 200 with an `error` field.
fn error(code: &str) -> Response {
    Response::json(
        "200 OK",
        format!(
            r#"{{"error":"{code}","error_description":"{code} from the stand-in","error_uri":"https://docs.github.com"}}"#
        ),
    )
}

fn granted(access: &str, refresh: &str) -> Response {
    Response::json(
        "200 OK",
        format!(
            r#"{{"access_token":"{access}","expires_in":{ACCESS_SECS},"refresh_token":"{refresh}","refresh_token_expires_in":{REFRESH_SECS},"token_type":"bearer","scope":""}}"#
        ),
    )
}

// ------------------------------------------------------------ helpers

/// `start` plus `secs`, as RFC 3339 (what `BSCRED_TEST_NOW` and `list
/// --json` use).
fn plus(start: &str, secs: i64) -> String {
    let at: Timestamp = start.parse().expect("time");
    (at + SignedDuration::from_secs(secs)).to_string()
}

/// bscred at `now` against the stand-in.
fn run_at(env: &Env, github: &str, now: &str, args: &[&str]) -> Output {
    env.cmd()
        .env("BSCRED_GITHUB_URL", github)
        .env("BSCRED_TEST_NOW", now)
        .args(args)
        .output()
        .expect("bscred runs")
}

fn login(env: &Env, github: &str) -> Output {
    run_at(
        env,
        github,
        NOW,
        &["login", "github", "--client-id", CLIENT_ID],
    )
}

/// A stored variable's `expires_at` as `list --json` shows it.
fn expires_at(env: &Env, name: &str) -> String {
    let list = env.list_json();
    let row = list["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {list}"))
        .clone();
    row["expires_at"].as_str().unwrap_or_default().to_string()
}

/// Neither refresh token, nor a long piece of one, appears in `text`.
fn assert_no_refresh_token(text: &str) {
    for token in [REFRESH, NEW_REFRESH] {
        assert!(!text.contains(token), "a refresh token leaked: {text}");
        assert!(
            !text.contains(&token[4..24]),
            "part of a refresh token leaked: {text}"
        );
    }
}

fn assert_no_secret(out: &Output) {
    let text = format!("{}{}", stdout(out), stderr(out));
    assert_no_refresh_token(&text);
}

/// A failed login: exit 5, and after the lines saying where to enter the
/// code (when it got that far), one error line and its hint, as
/// `assert_fails` checks them.
fn assert_login_fails(out: &Output) -> String {
    let mut rest = out.clone();
    let text = stderr(out);
    let announced: Vec<&str> = text
        .lines()
        .take_while(|l| l.starts_with("bscred: open ") || l.starts_with("bscred: waiting "))
        .collect();
    assert!(announced.len() == 2 || announced.is_empty(), "{text}");
    rest.stderr = text
        .lines()
        .skip(announced.len())
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes();
    assert_no_secret(out);
    assert_fails(&rest, 5)
}

/// An environment logged in at NOW through a stand-in that granted at the
/// first poll (5 s later): the token expires at NOW + 5 s + 8 h.
fn logged_in() -> (Env, GitHub) {
    let env = Env::initialised();
    let github = GitHub::granting();
    assert_success(&login(&env, github.url()));
    (env, github)
}

/// When the token `logged_in` stored expires.
fn expiry() -> String {
    plus(NOW, 5 + ACCESS_SECS)
}

/// Three minutes before that: within the refresh window.
fn soon() -> String {
    plus(&expiry(), -180)
}

// ------------------------------------------------------------ device flow

#[test]
fn login_stores_the_user_token_and_keeps_the_refresh_token_out_of_every_output() {
    let env = Env::initialised();
    let github = GitHub::granting();
    let out = login(&env, github.url());
    assert_success(&out);
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    let text = stderr(&out);
    assert!(
        text.contains(&format!(
            "open {VERIFICATION_URI} and enter the code {USER_CODE}"
        )),
        "{text}"
    );
    assert!(text.contains("expires in 15 minutes"), "{text}");
    assert!(
        !text.contains(ACCESS) && !text.contains(DEVICE_CODE),
        "{text}"
    );
    assert_no_secret(&out);

    // One code request, then one poll with the device code.
    let requests = github.server.requests();
    assert_eq!(
        requests.iter().map(Request::route).collect::<Vec<_>>(),
        ["POST /login/device/code", "POST /login/oauth/access_token"]
    );
    assert_eq!(
        requests[0].form(),
        [("client_id".to_string(), CLIENT_ID.to_string())]
    );

    assert_eq!(env.get("GITHUB_TOKEN"), ACCESS);
    // Granted at the first poll, 5 s (virtual) after NOW; 8 hours' life.
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), expiry());
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), "2026-06-01T20:00:05Z");
    // What the user must act on is the refresh token's expiry, months
    // away: `check` (cron, prompts) and `status` read that, not the
    // 8 hours the token renews itself within.
    let check = env.run(&["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let status: serde_json::Value =
        serde_json::from_str(&env.ok(&["status", "--json"])).expect("status json");
    let row = status["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .find(|v| v["name"] == "GITHUB_TOKEN")
        .expect("GITHUB_TOKEN in status")
        .clone();
    assert_eq!(row["expires_at"], plus(NOW, 5 + REFRESH_SECS).as_str());

    // The refresh token is no variable: no command shows or exports it.
    let list = env.list_json();
    let names: Vec<&str> = list["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(names, ["GITHUB_TOKEN"]);
    for args in [
        &["env"][..],
        &["env", "--shell", "json"],
        &["exec", "--", "env"],
        &["get", "GITHUB_TOKEN"],
        &["list"],
        &["list", "--json"],
        &["list", "--show"],
        &["status"],
        &["status", "--json"],
        &["check"],
        &["doctor"],
    ] {
        let out = env.run(args);
        assert_no_secret(&out);
        if args[0] == "exec" {
            assert_success(&out);
            let seen = stdout(&out);
            assert!(seen.contains(&format!("GITHUB_TOKEN={ACCESS}")), "{seen}");
        }
    }
    // A token bscred renews by itself needs no reminder every 8 hours.
    let out = env.run(&["get", "GITHUB_TOKEN"]);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    // Nor does any file in the state directory (the metadata cache).
    for (path, bytes) in env.files() {
        if path.starts_with(env.bscred_home.join("state")) {
            assert_no_refresh_token(&String::from_utf8_lossy(&bytes));
        }
    }
}

#[test]
fn login_keeps_polling_while_authorization_is_pending() {
    let env = Env::initialised();
    let github = GitHub::start(vec![
        error("authorization_pending"),
        error("authorization_pending"),
        granted(ACCESS, REFRESH),
    ]);
    assert_success(&login(&env, github.url()));
    assert_eq!(github.polls(), 3);
    assert_eq!(env.get("GITHUB_TOKEN"), ACCESS);
    // Three polls 5 s apart on the virtual clock: granted at NOW + 15 s.
    assert_eq!(
        expires_at(&env, "GITHUB_TOKEN"),
        plus(NOW, 15 + ACCESS_SECS)
    );
}

#[test]
fn slow_down_adds_five_seconds_to_the_interval() {
    let env = Env::initialised();
    let github = GitHub::start(vec![error("slow_down"), granted(ACCESS, REFRESH)]);
    assert_success(&login(&env, github.url()));
    assert_eq!(github.polls(), 2);
    // 5 s, then 10 s after slow_down: granted at NOW + 15 s.
    assert_eq!(
        expires_at(&env, "GITHUB_TOKEN"),
        plus(NOW, 15 + ACCESS_SECS)
    );
}

/// One way GitHub says no: what it is, how the stand-in is told, and the
/// words the error and the hint must hold.
type Case = (
    &'static str,
    Box<dyn Fn(&mut State)>,
    &'static str,
    &'static str,
);

#[test]
fn a_login_github_refuses_stores_nothing_and_says_what_to_do() {
    let cases: [Case; 8] = [
        (
            "expired_token",
            Box::new(|s| s.polls = vec![error("expired_token")].into()),
            "the code expired",
            "login github --client-id Iv23liTestClient01` again",
        ),
        (
            "access_denied",
            Box::new(|s| s.polls = vec![error("access_denied")].into()),
            "denied on GitHub",
            "choose \"Authorize\"",
        ),
        (
            "device_flow_disabled at the code request",
            Box::new(|s| s.device = Some(error("device_flow_disabled"))),
            "device flow is not enabled for the GitHub App with client ID Iv23liTestClient01",
            "enable \"Device Flow\"",
        ),
        (
            "device_flow_disabled while polling",
            Box::new(|s| s.polls = vec![error("device_flow_disabled")].into()),
            "device flow is not enabled",
            "enable \"Device Flow\"",
        ),
        (
            "404 for the code request",
            Box::new(|s| s.device = Some(Response::not_found())),
            "GitHub refused the request (HTTP 404)",
            "check the client ID",
        ),
        (
            "401 for the code request: no token was sent, the client ID is wrong",
            Box::new(|s| {
                s.device = Some(Response::json(
                    "401 Unauthorized",
                    r#"{"message":"Bad credentials"}"#,
                ))
            }),
            "GitHub did not accept the client ID Iv23liTestClient01 (HTTP 401)",
            "check the client ID",
        ),
        (
            "500 while polling",
            Box::new(|s| {
                s.polls = vec![Response::json(
                    "500 Internal Server Error",
                    r#"{"message":"Server Error"}"#,
                )]
                .into()
            }),
            "GitHub refused the request (HTTP 500)",
            "check the client ID",
        ),
        (
            "the code expires while pending",
            Box::new(|s| {
                s.device = Some(Response::json(
                    "200 OK",
                    format!(
                        r#"{{"device_code":"{DEVICE_CODE}","user_code":"{USER_CODE}","verification_uri":"{VERIFICATION_URI}","expires_in":12,"interval":5}}"#
                    ),
                ))
            }),
            "the code expired",
            "again",
        ),
    ];
    for (what, setup, error_text, hint) in cases {
        let env = Env::initialised();
        let github = GitHub::start(Vec::new());
        github.with(setup);
        let before = env.files();
        let out = login(&env, github.url());
        let text = assert_login_fails(&out);
        assert!(text.contains(error_text), "{what}: {text}");
        assert!(text.contains(hint), "{what}: {text}");
        assert_unchanged(&env, &before);
        if what.starts_with("the code expires") {
            // Polled at 5 s and 10 s; a poll at 15 s would be past 12 s.
            assert_eq!(github.polls(), 2, "{what}");
        }
    }
}

#[test]
fn github_out_of_reach_is_exit_5_and_nothing_is_stored() {
    let env = Env::initialised();
    let before = env.files();
    let out = login(&env, &unreachable_url());
    let text = assert_login_fails(&out);
    assert!(text.contains("could not be reached"), "{text}");
    assert!(text.contains("BSCRED_GITHUB_URL"), "{text}");
    assert_unchanged(&env, &before);
}

#[test]
fn login_over_a_pat_warns_that_the_pat_still_works_on_github() {
    let env = Env::initialised();
    let github = GitHub::granting();
    env.set("GITHUB_TOKEN", crate::harness::TOKEN);
    let out = login(&env, github.url());
    assert_success(&out);
    let text = stderr(&out);
    assert!(
        text.contains("warning: GITHUB_TOKEN held another GitHub token (classic); it is replaced here but still works on GitHub until it expires"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}/settings/tokens (classic)", github.url())),
        "{text}"
    );
    assert!(!text.contains(crate::harness::TOKEN), "{text}");
    assert_eq!(env.get("GITHUB_TOKEN"), ACCESS);

    // Logging in again replaces the login's own token: nothing to say.
    github.with(|s| s.polls = vec![granted(ACCESS, REFRESH)].into());
    let out = login(&env, github.url());
    assert_success(&out);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

#[test]
fn login_takes_another_name_and_refuses_a_bad_client_id() {
    let env = Env::initialised();
    let github = GitHub::granting();
    let out = run_at(
        &env,
        github.url(),
        NOW,
        &[
            "login",
            "github",
            "--client-id",
            CLIENT_ID,
            "--name",
            "GH_TOKEN",
        ],
    );
    assert_success(&out);
    assert_eq!(env.get("GH_TOKEN"), ACCESS);
    assert_fails(&env.run(&["get", "GITHUB_TOKEN"]), 3);

    let out = run_at(
        &env,
        github.url(),
        NOW,
        &["login", "github", "--client-id", "Iv1 x&y"],
    );
    assert_fails(&out, 2);
}

// ------------------------------------------------------------ refresh

#[test]
fn get_refreshes_a_token_within_five_minutes_once() {
    let (env, github) = logged_in();
    // Six minutes before the expiry: handed out as it is.
    let out = run_at(
        &env,
        github.url(),
        &plus(&expiry(), -360),
        &["get", "GITHUB_TOKEN"],
    );
    assert_success(&out);
    assert_eq!(stdout(&out).trim_end(), ACCESS);
    assert_eq!(github.refreshes(), 0);

    let out = run_at(&env, github.url(), &soon(), &["get", "GITHUB_TOKEN"]);
    assert_success(&out);
    assert_eq!(stdout(&out).trim_end(), NEW_ACCESS);
    assert_no_secret(&out);
    let refresh = &github.token_requests("refresh_token")[0];
    assert_eq!(field(refresh, "refresh_token").as_deref(), Some(REFRESH));
    assert_eq!(field(refresh, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(github.refreshes(), 1);
    // The new pair is stored, with the new expiry.
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), plus(&soon(), ACCESS_SECS));

    // Again at the same moment: the stored token is fresh, nothing is asked.
    let out = run_at(&env, github.url(), &soon(), &["get", "GITHUB_TOKEN"]);
    assert_eq!(stdout(&out).trim_end(), NEW_ACCESS);
    assert_eq!(github.refreshes(), 1);
    // The next refresh spends the new refresh token (the stand-in accepts
    // only that one now).
    let later = plus(&soon(), ACCESS_SECS - 60);
    let out = run_at(&env, github.url(), &later, &["get", "GITHUB_TOKEN"]);
    assert_success(&out);
    assert_eq!(github.refreshes(), 2);
    let second = &github.token_requests("refresh_token")[1];
    assert_eq!(field(second, "refresh_token").as_deref(), Some(NEW_REFRESH));
}

#[test]
fn env_refreshes_before_printing() {
    let (env, github) = logged_in();
    let out = run_at(&env, github.url(), &soon(), &["env", "--shell", "json"]);
    assert_success(&out);
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(vars["GITHUB_TOKEN"], NEW_ACCESS);
    assert_no_secret(&out);
    let out = run_at(&env, github.url(), &soon(), &["env"]);
    assert!(stdout(&out).contains(NEW_ACCESS));
    assert_eq!(github.refreshes(), 1);
}

#[test]
fn exec_hands_node_the_refreshed_token() {
    if !have("node") {
        return;
    }
    let (env, github) = logged_in();
    let script = "process.stdout.write(JSON.stringify(process.env))";
    let out = run_at(
        &env,
        github.url(),
        &soon(),
        &["exec", "--", "node", "-e", script],
    );
    assert_success(&out);
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json from node");
    assert_eq!(seen["GITHUB_TOKEN"], NEW_ACCESS);
    assert_no_secret(&out);
    let out = run_at(
        &env,
        github.url(),
        &soon(),
        &["exec", "--", "node", "-e", script],
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json from node");
    assert_eq!(seen["GITHUB_TOKEN"], NEW_ACCESS);
    assert_eq!(github.refreshes(), 1);
}

/// git compares `password_expiry_utc` with the real clock: the git tests
/// run at a virtual time in the real future.
const GIT_START: &str = "2098-12-31T12:00:00Z";

/// Logged in at `GIT_START`, with bscred installed as git's helper.
fn logged_in_for_git() -> (Env, GitHub) {
    let env = Env::initialised();
    let github = GitHub::granting();
    assert_success(&run_at(
        &env,
        github.url(),
        GIT_START,
        &["login", "github", "--client-id", CLIENT_ID],
    ));
    let install = env
        .cmd()
        .envs(HERMETIC)
        .args(["git-credential", "install"])
        .output()
        .expect("bscred runs");
    assert_success(&install);
    (env, github)
}

#[test]
fn git_credential_fill_gets_the_refreshed_token() {
    if !have("git") {
        return;
    }
    let (env, github) = logged_in_for_git();
    let soon = plus(GIT_START, 5 + ACCESS_SECS - 180);
    let fill = || {
        let mut git = crate::harness::git::git_command(&env, &env.work);
        git.env("BSCRED_GITHUB_URL", github.url())
            .env("BSCRED_TEST_NOW", &soon)
            .args(["credential", "fill"]);
        crate::harness::process::output_fed(&mut git, b"protocol=https\nhost=github.com\n\n")
    };
    let out = fill();
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.contains(&format!("password={NEW_ACCESS}\n")), "{text}");
    let new_expiry: Timestamp = plus(&soon, ACCESS_SECS).parse().expect("time");
    assert!(
        text.contains(&format!("password_expiry_utc={}\n", new_expiry.as_second())),
        "{text}"
    );
    assert_no_secret(&out);
    assert_eq!(github.refreshes(), 1);
    let again = fill();
    assert!(stdout(&again).contains(&format!("password={NEW_ACCESS}\n")));
    assert_eq!(github.refreshes(), 1);
}

#[test]
fn a_refused_refresh_through_git_gives_git_nothing_and_says_to_log_in_again() {
    if !have("git") {
        return;
    }
    let (env, github) = logged_in_for_git();
    github.with(|s| s.valid_refresh = "ghr_SomethingElse".to_string());
    let before = env.files();
    let mut git = crate::harness::git::git_command(&env, &env.work);
    git.env("BSCRED_GITHUB_URL", github.url())
        .env("BSCRED_TEST_NOW", plus(GIT_START, 5 + ACCESS_SECS - 180))
        .args(["credential", "fill"]);
    let out = crate::harness::process::output_fed(&mut git, b"protocol=https\nhost=github.com\n\n");
    // git got no credential from the helper, and no prompt may ask.
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(!stdout(&out).contains("password="), "{}", stdout(&out));
    let text = stderr(&out);
    assert!(
        text.contains("bscred: error: GitHub refused to refresh GITHUB_TOKEN (bad_refresh_token)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "bscred: hint: log in again: `bscred login github --client-id {CLIENT_ID}`"
        )),
        "{text}"
    );
    assert!(!text.contains(ACCESS), "{text}");
    assert_no_secret(&out);
    assert_eq!(github.refreshes(), 1);
    assert_unchanged(&env, &before);
}

#[test]
fn two_processes_refreshing_at_once_make_one_refresh_call() {
    let (env, github) = logged_in();
    // The answer is late (longer than the second the lock waits quietly),
    // so the second process starts while the first holds the lock waiting
    // for it, and says it waits.
    github.with(|s| s.refresh_delay = Duration::from_millis(2500));
    let spawn = || {
        env.sealed(crate::harness::bin())
            .env("BSCRED_GITHUB_URL", github.url())
            .env("BSCRED_TEST_NOW", soon())
            .args(["get", "GITHUB_TOKEN"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bscred starts")
    };
    let first = spawn();
    let second = spawn();
    let outs = [
        finish(first, "first get", Duration::from_secs(30)),
        finish(second, "second get", Duration::from_secs(30)),
    ];
    for out in &outs {
        assert_success(out);
        assert_eq!(stdout(out).trim_end(), NEW_ACCESS);
        assert_no_secret(out);
    }
    assert_eq!(github.refreshes(), 1, "{:?}", github.server.requests());
    // They overlapped: one of them waited for the other's lock.
    let waited = outs
        .iter()
        .filter(|out| stderr(out).contains("waiting for another bscred that is writing"))
        .count();
    assert_eq!(waited, 1, "{}\n---\n{}", stderr(&outs[0]), stderr(&outs[1]));
}

#[test]
fn push_renews_its_token_first_and_warns_about_pushing_a_user_token() {
    let (env, github) = logged_in();
    // The API answers only the renewed token, as GitHub would once the
    // old one expired.
    let api = GitHubStandIn::start(|request| {
        if request.header("Authorization") != Some(format!("Bearer {NEW_ACCESS}").as_str()) {
            return Response::json("401 Unauthorized", r#"{"message":"Bad credentials"}"#);
        }
        match request.route().as_str() {
            "GET /repos/acme/backstage/actions/secrets/public-key" => Response::json(
                "200 OK",
                // Any 32 bytes are a Curve25519 point to seal to.
                r#"{"key_id":"568250167242549743","key":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="}"#,
            ),
            "PUT /repos/acme/backstage/actions/secrets/BACKSTAGE_GITHUB_TOKEN" => {
                Response::json("201 Created", "{}")
            }
            _ => Response::not_found(),
        }
    });
    let out = env
        .cmd()
        .env("BSCRED_GITHUB_URL", github.url())
        .env("BSCRED_GITHUB_API_URL", &api.url)
        .env("BSCRED_TEST_NOW", soon())
        .args(["push", "github", "--repo", "acme/backstage"])
        .arg("GITHUB_TOKEN=BACKSTAGE_GITHUB_TOKEN")
        .output()
        .expect("bscred runs");
    assert_success(&out);
    assert_eq!(github.refreshes(), 1);
    assert_eq!(api.requests().len(), 2, "{:?}", api.requests());
    let text = stderr(&out);
    assert!(
        text.contains("warning: GITHUB_TOKEN is a GitHub user token bscred renews by itself; the copy pushed as BACKSTAGE_GITHUB_TOKEN stops working when it expires"),
        "{text}"
    );
    assert!(
        !text.contains(ACCESS) && !text.contains(NEW_ACCESS),
        "{text}"
    );
    assert_no_secret(&out);
}

#[test]
fn a_refused_refresh_is_exit_5_runs_nothing_and_keeps_the_tokens() {
    let (env, github) = logged_in();
    // GitHub no longer takes the stored refresh token (used elsewhere,
    // or the app's authorisation revoked).
    github.with(|s| s.valid_refresh = "ghr_SomethingElse".to_string());
    let before = env.files();
    let out = run_at(&env, github.url(), &soon(), &["get", "GITHUB_TOKEN"]);
    let text = assert_fails(&out, 5);
    assert!(
        text.contains("GitHub refused to refresh GITHUB_TOKEN (bad_refresh_token)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "hint: log in again: `bscred login github --client-id {CLIENT_ID}`"
        )),
        "{text}"
    );
    assert_no_secret(&out);
    assert!(!text.contains(ACCESS), "{text}");

    // exec: 125, and the command never ran.
    let marker = env.work.join("ran");
    let out = run_at(
        &env,
        github.url(),
        &soon(),
        &["exec", "--", "sh", "-c", "touch ran"],
    );
    let text = assert_fails(&out, 125);
    assert!(text.contains("login github --client-id"), "{text}");
    assert!(!marker.exists(), "the command ran");
    let out = run_at(&env, github.url(), &soon(), &["env"]);
    assert_fails(&out, 5);

    // The stored tokens are untouched, byte for byte.
    assert_unchanged(&env, &before);
    assert_eq!(env.get("GITHUB_TOKEN"), ACCESS);
    assert_eq!(expires_at(&env, "GITHUB_TOKEN"), expiry());

    // A 401 and an expired refresh token are refusals too.
    github.with(|s| {
        s.refresh = Some(Response::json(
            "401 Unauthorized",
            r#"{"message":"Bad credentials"}"#,
        ))
    });
    let out = run_at(&env, github.url(), &soon(), &["get", "GITHUB_TOKEN"]);
    assert!(assert_fails(&out, 5).contains("HTTP 401"));
    let asked = github.refreshes();
    let out = run_at(
        &env,
        github.url(),
        &plus(NOW, REFRESH_SECS + 10),
        &["get", "GITHUB_TOKEN"],
    );
    assert!(assert_fails(&out, 5).contains("its refresh token expired"));
    assert_eq!(
        github.refreshes(),
        asked,
        "an expired refresh token is not sent"
    );
    assert_unchanged(&env, &before);
}

#[test]
fn a_renewed_token_that_cannot_be_stored_says_to_log_in_again() {
    let (env, github) = logged_in();
    // While GitHub answers (and spends the old refresh token), the profile
    // moves to another store: the new pair has nowhere to go.
    let settings = env.bscred_home.join("config/profiles/default.toml");
    let moved = settings.clone();
    github.with(|s| {
        s.during_refresh = Some(Box::new(move || {
            let text = std::fs::read_to_string(&moved).expect("settings");
            let text = text.replace("identity = \"", "identity = \"/moved");
            std::fs::write(&moved, text).expect("move the profile");
        }))
    });
    let original = std::fs::read_to_string(&settings).expect("settings");
    assert!(original.contains("identity = \""), "{original}");
    let out = run_at(&env, github.url(), &soon(), &["get", "GITHUB_TOKEN"]);
    let text = assert_fails(&out, 5);
    assert!(
        text.contains("GitHub renewed GITHUB_TOKEN, but the new token could not be stored"),
        "{text}"
    );
    assert!(text.contains("the old refresh token is spent"), "{text}");
    assert!(
        text.contains(&format!(
            "hint: log in again: `bscred login github --client-id {CLIENT_ID}`"
        )),
        "{text}"
    );
    assert!(
        !text.contains(NEW_ACCESS) && !text.contains(ACCESS),
        "{text}"
    );
    assert_no_secret(&out);
    assert_eq!(github.refreshes(), 1);
}

#[test]
fn env_only_renews_the_tokens_it_hands_out() {
    let (env, github) = logged_in();
    env.set("NPM_TOKEN", "npm_value");
    github.with(|s| s.valid_refresh = "ghr_SomethingElse".to_string());
    // GITHUB_TOKEN is due and its renewal would be refused, but `--only`
    // leaves it out: nothing is asked, and NPM_TOKEN goes out.
    let out = run_at(
        &env,
        github.url(),
        &soon(),
        &["env", "--only", "NPM_TOKEN", "--shell", "json"],
    );
    assert_success(&out);
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(vars, serde_json::json!({"NPM_TOKEN": "npm_value"}));
    assert_eq!(github.refreshes(), 0);
    // Named, it is renewed (and here refused).
    let out = run_at(
        &env,
        github.url(),
        &soon(),
        &["env", "--only", "GITHUB_TOKEN"],
    );
    assert_fails(&out, 5);
    assert_eq!(github.refreshes(), 1);
    // `exec --only` likewise: the command runs with what it asked for.
    let out = run_at(
        &env,
        github.url(),
        &soon(),
        &[
            "exec",
            "--only",
            "NPM_TOKEN",
            "--",
            "sh",
            "-c",
            "printf %s \"$NPM_TOKEN\"",
        ],
    );
    assert_success(&out);
    assert_eq!(stdout(&out), "npm_value");
    assert_eq!(github.refreshes(), 1);
}

#[test]
fn github_out_of_reach_hands_out_a_working_token_and_refuses_an_expired_one() {
    let (env, _github) = logged_in();
    let away = unreachable_url();
    let before = env.files();
    let out = run_at(&env, &away, &soon(), &["get", "GITHUB_TOKEN"]);
    assert_success(&out);
    assert_eq!(stdout(&out).trim_end(), ACCESS);
    let text = stderr(&out);
    assert!(
        text.contains("warning: GITHUB_TOKEN expires within 5 minutes and could not be refreshed"),
        "{text}"
    );
    assert!(text.contains("handing out the current token"), "{text}");

    let out = run_at(&env, &away, &plus(&expiry(), 60), &["get", "GITHUB_TOKEN"]);
    let text = assert_fails(&out, 5);
    assert!(text.contains("could not be reached"), "{text}");
    let out = run_at(
        &env,
        &away,
        &plus(&expiry(), 60),
        &["exec", "--", "sh", "-c", "touch ran"],
    );
    assert_fails(&out, 125);
    assert!(!env.work.join("ran").exists());
    assert_unchanged(&env, &before);
}

#[test]
fn a_plain_token_is_never_refreshed() {
    let env = Env::initialised();
    let github = GitHub::granting();
    let out = env.run_stdin(
        &["set", "GITHUB_TOKEN", "--stdin", "--expires", "2026-06-01"],
        crate::harness::TOKEN.as_bytes(),
    );
    assert_success(&out);
    // Expired already, but there is nothing to renew it with.
    let out = run_at(&env, github.url(), NOW, &["get", "GITHUB_TOKEN"]);
    assert_success(&out);
    assert!(github.server.requests().is_empty());
}

#[test]
fn migrate_to_vault_refuses_a_login_token_before_anything_moves() {
    let (env, _github) = logged_in();
    let before = env.files();
    // No server listens there: the refusal comes before any contact.
    let out = env.run(&[
        "migrate",
        "--to",
        "vault",
        "--vault-addr",
        &unreachable_url(),
        "--vault-path",
        "secret/teams/backstage",
    ]);
    let text = assert_fails(&out, 2);
    assert!(
        text.contains("GITHUB_TOKEN in profile 'default' is a GitHub login"),
        "{text}"
    );
    assert!(
        text.contains("does not belong in a shared Vault secret"),
        "{text}"
    );
    assert!(text.contains("bscred -p personal login github"), "{text}");
    assert!(text.contains("`bscred rm GITHUB_TOKEN`"), "{text}");
    assert_no_secret(&out);
    assert_unchanged(&env, &before);
    assert_eq!(env.get("GITHUB_TOKEN"), ACCESS);
}

#[test]
fn a_value_an_older_bscred_stored_over_a_login_token_is_never_renewed() {
    if !have("age") {
        return;
    }
    use crate::harness::age;
    let (env, github) = logged_in();
    // What a bscred older than the `refresh` field leaves after `set
    // GITHUB_TOKEN --expires …`: the user's PAT, with an expiry, and the
    // login's refresh credential kept as an unknown field. Written with
    // the Go age CLI, as that bscred would have.
    let identity = env.identity_path();
    let store = env.store_path();
    let mut doc = age::decrypt(&identity, &store);
    let var = &mut doc["variables"]["GITHUB_TOKEN"];
    assert_eq!(var["refresh"]["token"], REFRESH, "{var}");
    var["value"] = crate::harness::TOKEN.into();
    var["expires_at"] = expiry().into();
    let recipient = String::from_utf8(
        age::tool(
            "age-keygen",
            &["-y", identity.to_str().expect("utf-8")],
            b"",
        )
        .stdout,
    )
    .expect("utf-8");
    let plaintext = serde_json::to_vec(&doc).expect("json");
    let sealed = age::tool("age", &["-r", recipient.trim()], &plaintext).stdout;
    std::fs::write(&store, sealed).expect("write store");

    // Within the window of the refresh: the PAT is handed out as it is,
    // and the refresh token is not spent on it.
    let out = run_at(&env, github.url(), &soon(), &["get", "GITHUB_TOKEN"]);
    assert_success(&out);
    assert_eq!(stdout(&out).trim_end(), crate::harness::TOKEN);
    assert_eq!(github.refreshes(), 0);
    // The reminder is about the PAT's own expiry, not the refresh token's.
    let status: serde_json::Value =
        serde_json::from_str(&env.ok(&["status", "--json"])).expect("status json");
    assert_eq!(status["variables"][0]["expires_at"], expiry().as_str());
}

#[cfg(target_os = "linux")]
#[test]
fn the_keychain_backend_keeps_the_refresh_token_and_refreshes_once() {
    use crate::harness::keychain::{Cleanup, Cli, lookup, shared_bus, unique};
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-login");
    let _cleanup = Cleanup::new(&bus, &profile);
    let github = GitHub::granting();
    let cli = Cli::new(&env, &profile, Some(&bus)).with("BSCRED_GITHUB_URL", github.url());
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    assert_success(&cli.run(&["login", "github", "--client-id", CLIENT_ID]));
    assert_eq!(cli.get("GITHUB_TOKEN"), ACCESS);
    // The item holds the document, refresh credential included.
    let item = cli.setting("item").expect("keychain item");
    let stored = |bus: &std::ffi::OsStr| -> serde_json::Value {
        serde_json::from_slice(&lookup(bus, &item).expect("the item")).expect("document")
    };
    assert_eq!(
        stored(&bus)["variables"]["GITHUB_TOKEN"]["refresh"]["token"],
        REFRESH
    );

    let at_soon = cli.with("BSCRED_TEST_NOW", soon());
    assert_eq!(at_soon.get("GITHUB_TOKEN"), NEW_ACCESS);
    assert_eq!(at_soon.get("GITHUB_TOKEN"), NEW_ACCESS);
    assert_eq!(github.refreshes(), 1);
    let doc = stored(&bus);
    assert_eq!(doc["variables"]["GITHUB_TOKEN"]["value"], NEW_ACCESS);
    assert_eq!(
        doc["variables"]["GITHUB_TOKEN"]["refresh"]["token"],
        NEW_REFRESH
    );
}
