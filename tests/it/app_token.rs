//! `github app-token` and `exec --github-app-token`: a real RSA key from
//! `openssl genrsa`, stored the way users store it, signs the JWT bscred
//! sends to the GitHub stand-in; `openssl dgst -verify` checks the
//! signature with the public key, and the claims are read back.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::harness::github::{GitHubStandIn, Request, Response, unreachable_url};
use crate::harness::{Env, NOW, assert_fails, assert_success, have, stderr, stdout};

/// The installation token the stand-in mints.
const APP_TOKEN: &str = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
const CLIENT_ID: &str = "Iv1.0123456789abcdef";
const APP_ID: &str = "123456";

/// A key pair made by OpenSSL: the private key as GitHub hands it out
/// (PKCS#1, `-----BEGIN RSA PRIVATE KEY-----`) and the public key.
struct Keys {
    private: PathBuf,
    public: PathBuf,
}

fn openssl(args: &[&str], dir: &Path) -> Output {
    std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs")
}

fn keys(dir: &Path) -> Keys {
    let out = openssl(&["genrsa", "-traditional", "-out", "key.pem", "2048"], dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = openssl(
        &["rsa", "-in", "key.pem", "-pubout", "-out", "pub.pem"],
        dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let private = dir.join("key.pem");
    assert!(
        fs::read_to_string(&private)
            .expect("key")
            .starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
        "openssl wrote PKCS#1, as GitHub does"
    );
    Keys {
        private,
        public: dir.join("pub.pem"),
    }
}

/// An initialised environment holding the app, imported from a file shaped
/// like `backstage-cli create-github-app`'s output.
fn with_app(keys: &Keys) -> Env {
    let env = Env::initialised();
    let key = fs::read_to_string(&keys.private).expect("key");
    let indented = key.trim_end().replace('\n', "\n  ");
    let file = env.work.join("github-app-backstage-acme-credentials.yaml");
    fs::write(
        &file,
        format!(
            "appId: {APP_ID}\nwebhookUrl: https://smee.io/AbCdEf\nclientId: {CLIENT_ID}\nclientSecret: 0123456789abcdef0123456789abcdef01234567\nwebhookSecret: 'w3bh00k s3cret'\nprivateKey: |\n  {indented}\n"
        ),
    )
    .expect("write credentials file");
    assert_success(&env.run(&[
        "import",
        "--github-app",
        file.to_str().expect("utf-8"),
        "--remove",
    ]));
    env
}

/// The JWT a request carried.
fn jwt_of(request: &Request) -> String {
    let auth = request
        .header("Authorization")
        .unwrap_or_else(|| panic!("{} carried no Authorization", request.line));
    auth.strip_prefix("Bearer ")
        .unwrap_or_else(|| panic!("not a Bearer token: {auth}"))
        .to_string()
}

/// GitHub's answers: `installations` from `GET /app/installations`, the
/// acme/backstage repository's installation (777), and a token for any
/// installation. A request without a Bearer JWT gets 401, as from GitHub.
fn github(installations: Value) -> GitHubStandIn {
    GitHubStandIn::start(move |request| {
        if !request
            .header("Authorization")
            .is_some_and(|a| a.starts_with("Bearer ey"))
        {
            return Response::json(
                "401 Unauthorized",
                r#"{"message":"A JSON web token could not be decoded","status":"401"}"#,
            );
        }
        match request.route().as_str() {
            "GET /app/installations" => Response::json("200 OK", installations.to_string()),
            "GET /repos/acme/backstage/installation" => Response::json(
                "200 OK",
                json!({"id": 777, "account": {"login": "acme"}}).to_string(),
            ),
            route
                if route.starts_with("POST /app/installations/")
                    && route.ends_with("/access_tokens") =>
            {
                // What was asked for, else all the installation has.
                let asked = Some(request)
                    .filter(|r| !r.body.is_empty())
                    .map(|r| r.json()["permissions"].clone())
                    .filter(|p| !p.is_null())
                    .unwrap_or_else(|| json!({"contents": "write", "metadata": "read"}));
                Response::json(
                    "201 Created",
                    json!({
                        "token": APP_TOKEN,
                        "expires_at": "2026-06-01T13:00:00Z",
                        "permissions": asked,
                        "repository_selection": "all",
                    })
                    .to_string(),
                )
            }
            _ => Response::not_found(),
        }
    })
}

fn one_installation() -> Value {
    json!([{"id": 4242, "account": {"login": "acme"}}])
}

fn run_at(env: &Env, url: &str, args: &[&str]) -> Output {
    env.cmd()
        .env("BSCRED_GITHUB_API_URL", url)
        .args(args)
        .output()
        .expect("bscred runs")
}

/// Checks `jwt` with `openssl dgst -verify` against `public`: true when
/// the signature over `header.payload` is the key's.
fn openssl_verifies(jwt: &str, public: &Path, dir: &Path) -> bool {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    fs::write(dir.join("signed"), format!("{}.{}", parts[0], parts[1])).expect("write");
    let signature = URL_SAFE_NO_PAD
        .decode(parts[2])
        .expect("base64url signature");
    fs::write(dir.join("sig.bin"), signature).expect("write");
    let out = openssl(
        &[
            "dgst",
            "-sha256",
            "-verify",
            public.to_str().expect("utf-8"),
            "-signature",
            "sig.bin",
            "signed",
        ],
        dir,
    );
    out.status.success()
}

fn decoded(part: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .unwrap_or_else(|e| panic!("{part} is not base64url without padding: {e}"));
    serde_json::from_slice(&bytes).expect("json")
}

fn now() -> i64 {
    NOW.parse::<jiff::Timestamp>().expect("NOW").as_second()
}

/// Asserts `jwt` is signed by `keys` (and that a changed payload is not),
/// with GitHub's header and claims for `issuer` at the pinned clock.
fn assert_githubs_jwt(jwt: &str, keys: &Keys, issuer: &str) {
    let dir = keys.private.parent().expect("dir");
    assert!(openssl_verifies(jwt, &keys.public, dir), "signature: {jwt}");
    // The check can fail: the same signature over other claims does not verify.
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut claims = decoded(parts[1]);
    claims["exp"] = json!(claims["exp"].as_i64().expect("exp") + 3600);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert!(
        !openssl_verifies(&tampered, &keys.public, dir),
        "a tampered payload verified"
    );

    assert_eq!(decoded(parts[0]), json!({"alg": "RS256", "typ": "JWT"}));
    let claims = decoded(parts[1]);
    let (iat, exp) = (
        claims["iat"].as_i64().expect("iat"),
        claims["exp"].as_i64().expect("exp"),
    );
    assert_eq!(iat, now() - 60, "{claims}");
    assert!(exp > now() && exp - iat <= 660, "{claims}");
    assert_eq!(claims["iss"], issuer, "{claims}");
    for part in parts {
        assert!(!part.contains('='), "padding in {part}");
    }
}

#[test]
fn the_jwt_is_signed_with_the_stored_key_and_the_token_is_all_of_stdout() {
    if !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = keys(dir.path());
    let env = with_app(&keys);
    let github = github(one_installation());
    let out = run_at(&env, &github.url, &["github", "app-token"]);
    assert_success(&out);
    assert_eq!(stdout(&out), format!("{APP_TOKEN}\n"));

    let requests = github.requests();
    let routes: Vec<String> = requests.iter().map(Request::route).collect();
    assert_eq!(
        routes,
        [
            "GET /app/installations",
            "POST /app/installations/4242/access_tokens"
        ]
    );
    let jwt = jwt_of(&requests[1]);
    assert_eq!(jwt_of(&requests[0]), jwt, "one JWT for the whole run");
    assert_githubs_jwt(&jwt, &keys, CLIENT_ID);
    for request in &requests {
        assert_eq!(
            request.header("Accept"),
            Some("application/vnd.github+json")
        );
        assert_eq!(request.header("X-GitHub-Api-Version"), Some("2022-11-28"));
        assert!(
            request
                .header("User-Agent")
                .is_some_and(|a| a.starts_with("bscred/")),
            "{request:?}"
        );
    }
    // All the installation's permissions: nothing narrows the token.
    assert_eq!(requests[1].body, "");
    // Nothing of the key or the JWT on stderr.
    let err = stderr(&out);
    assert!(
        !err.contains(&jwt[..20]) && !err.contains("PRIVATE KEY"),
        "{err}"
    );
}

#[test]
fn a_pkcs8_key_signs_too_and_the_app_id_is_the_issuer_without_a_client_id() {
    if !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = keys(dir.path());
    let out = openssl(
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-out", "key8.pem",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let pkcs8 = fs::read_to_string(dir.path().join("key8.pem")).expect("key");
    assert!(
        pkcs8.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "{pkcs8:.30}"
    );

    let env = Env::initialised();
    env.set("GITHUB_APP_PRIVATE_KEY", &pkcs8);
    env.set("GITHUB_APP_ID", APP_ID);
    let github = github(one_installation());
    let out = run_at(&env, &github.url, &["github", "app-token"]);
    assert_success(&out);
    assert_eq!(stdout(&out), format!("{APP_TOKEN}\n"));
    let jwt = jwt_of(&github.requests()[1]);
    assert_githubs_jwt(&jwt, &keys, APP_ID);
}

#[test]
fn repo_and_permissions_shape_the_request_and_json_says_what_was_granted() {
    if !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let env = with_app(&keys(dir.path()));
    let github = github(one_installation());
    let out = run_at(
        &env,
        &github.url,
        &[
            "github",
            "app-token",
            "--repo",
            "acme/backstage",
            "--permissions",
            "contents=read,pull_requests=write",
        ],
    );
    assert_success(&out);
    assert_eq!(stdout(&out), format!("{APP_TOKEN}\n"));
    let requests = github.requests();
    let routes: Vec<String> = requests.iter().map(Request::route).collect();
    assert_eq!(
        routes,
        [
            "GET /repos/acme/backstage/installation",
            "POST /app/installations/777/access_tokens"
        ]
    );
    assert_eq!(
        requests[1].json(),
        json!({
            "repositories": ["backstage"],
            "permissions": {"contents": "read", "pull_requests": "write"},
        })
    );

    // A named installation is taken as it is: no lookup first.
    let github = github_with_one_more_run(&env);
    let request = github.only_request();
    assert_eq!(request.route(), "POST /app/installations/99/access_tokens");
    assert_eq!(request.json(), json!({"permissions": {"issues": "write"}}));
}

/// `--installation 99 --permissions issues=write --json`, checked; the
/// stand-in it ran against.
fn github_with_one_more_run(env: &Env) -> GitHubStandIn {
    let github = github(one_installation());
    let out = run_at(
        env,
        &github.url,
        &[
            "github",
            "app-token",
            "--installation",
            "99",
            "--permissions",
            "issues=write",
            "--json",
        ],
    );
    assert_success(&out);
    let shown: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        shown,
        json!({
            "token": APP_TOKEN,
            "expires_at": "2026-06-01T13:00:00Z",
            "installation_id": 99,
            "permissions": {"issues": "write"},
        })
    );
    github
}

#[test]
fn several_installations_without_a_choice_are_a_usage_error_and_no_token_is_asked() {
    if !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let env = with_app(&keys(dir.path()));
    let github = github(json!([
        {"id": 4242, "account": {"login": "acme"}},
        {"id": 5151, "account": {"login": "octo-org"}},
    ]));
    let out = run_at(&env, &github.url, &["github", "app-token"]);
    let err = assert_fails(&out, 2);
    for part in [
        "installed in 2 places",
        "acme (--installation 4242)",
        "octo-org (--installation 5151)",
        "hint: name one with --installation ID",
        "--repo OWNER/REPO",
    ] {
        assert!(err.contains(part), "{part:?} not in {err}");
    }
    assert_eq!(
        github.requests_to("GET /app/installations").len(),
        github.requests().len(),
        "no token was asked for"
    );

    // And none at all: an error that says to install the app.
    let github = self::github(json!([]));
    let err = assert_fails(&run_at(&env, &github.url, &["github", "app-token"]), 5);
    assert!(err.contains("not installed on any account"), "{err}");
}

#[test]
fn a_refused_jwt_is_exit_5_with_a_hint_and_neither_key_nor_jwt_in_the_message() {
    if !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = keys(dir.path());
    let env = with_app(&keys);
    let github = GitHubStandIn::start(|_| {
        Response::json(
            "401 Unauthorized",
            r#"{"message":"'Expiration time' claim ('exp') is too far in the future","documentation_url":"https://docs.github.com/rest","status":"401"}"#,
        )
    });
    let out = run_at(
        &env,
        &github.url,
        &["github", "app-token", "--installation", "1"],
    );
    let err = assert_fails(&out, 5);
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(
        err.contains("is too far in the future"),
        "GitHub's words: {err}"
    );
    assert!(
        err.contains("hint: the private key or the client ID is wrong"),
        "{err}"
    );
    let jwt = jwt_of(&github.only_request());
    let key = fs::read_to_string(&keys.private).expect("key");
    let key_line = key.lines().nth(1).expect("a base64 line");
    for secret in [jwt.as_str(), &jwt[..40], key_line, "eyJ", "PRIVATE KEY"] {
        assert!(!err.contains(secret), "{secret:.20} leaked: {err}");
    }
}

#[test]
fn an_app_not_installed_on_the_repo_and_an_unreachable_github_are_exit_5() {
    if !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let env = with_app(&keys(dir.path()));
    let github = github(one_installation());
    let out = run_at(
        &env,
        &github.url,
        &["github", "app-token", "--repo", "acme/elsewhere"],
    );
    let err = assert_fails(&out, 5);
    assert!(err.contains("not installed on acme/elsewhere"), "{err}");
    assert!(err.contains("hint: install the app there"), "{err}");
    assert!(
        github
            .requests_to("POST /app/installations/777/access_tokens")
            .is_empty()
    );

    let err = assert_fails(
        &run_at(&env, &unreachable_url(), &["github", "app-token"]),
        5,
    );
    assert!(err.contains("could not be reached"), "{err}");

    // A JWT goes over plain http only to this machine: to anywhere else
    // it is never sent.
    let err = assert_fails(
        &run_at(&env, "http://api.github.invalid", &["github", "app-token"]),
        5,
    );
    assert!(err.contains("refusing to send"), "{err}");
    assert!(err.contains("hint: use an https:// URL"), "{err}");
}

#[test]
fn without_the_apps_variables_it_is_exit_3_and_a_bad_key_is_named_not_shown() {
    let env = Env::initialised();
    let github = github(one_installation());
    let err = assert_fails(&run_at(&env, &github.url, &["github", "app-token"]), 3);
    assert!(err.contains("GITHUB_APP_PRIVATE_KEY"), "{err}");
    assert!(err.contains("`bscred import --github-app FILE`"), "{err}");
    // Another prefix is looked up, and named in the hint.
    let err = assert_fails(
        &run_at(
            &env,
            &github.url,
            &["github", "app-token", "--app-prefix", "ACME_APP"],
        ),
        3,
    );
    assert!(err.contains("ACME_APP_PRIVATE_KEY"), "{err}");
    assert!(err.contains("--app-prefix ACME_APP`"), "{err}");

    // A key that is not one: exit 1, its name, none of its bytes.
    let garbage = "-----BEGIN RSA PRIVATE KEY-----\nU2VjcmV0S2V5Qnl0ZXNUaGF0TXVzdE5vdExlYWs=\n-----END RSA PRIVATE KEY-----\n";
    env.set("GITHUB_APP_PRIVATE_KEY", garbage);
    env.set("GITHUB_APP_CLIENT_ID", CLIENT_ID);
    let err = assert_fails(&run_at(&env, &github.url, &["github", "app-token"]), 1);
    assert!(err.contains("GITHUB_APP_PRIVATE_KEY cannot sign"), "{err}");
    assert!(!err.contains("U2VjcmV0"), "{err}");
    assert!(github.requests().is_empty(), "nothing was sent");
}

/// A node script printing what the command sees of the token, the
/// profile's variables and the app's.
const SEEN: &str = "process.stdout.write(JSON.stringify({t: process.env.GH_APP_TOKEN, u: process.env.GITHUB_USERNAME, c: process.env.GITHUB_APP_CLIENT_ID, k: process.env.GITHUB_APP_PRIVATE_KEY, s: process.env.GITHUB_APP_CLIENT_SECRET, w: process.env.GITHUB_APP_WEBHOOK_SECRET}))";

/// `exec --github-app-token GH_APP_TOKEN [EXTRA…] -- node -e SEEN` against
/// the stand-in at `url`: its output and what node saw, as JSON.
fn exec_seen(env: &Env, url: &str, extra: &[&str]) -> (Output, Value) {
    let mut args = vec!["exec", "--github-app-token", "GH_APP_TOKEN"];
    args.extend_from_slice(extra);
    args.extend(["--", "node", "-e", SEEN]);
    let out = run_at(env, url, &args);
    assert_success(&out);
    let seen = serde_json::from_slice(&out.stdout).expect("json from node");
    (out, seen)
}

#[test]
fn exec_gives_the_command_a_fresh_token_beside_the_profiles_variables_not_the_apps_secrets() {
    if !have("openssl") || !have("node") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = keys(dir.path());
    let env = with_app(&keys);
    env.set("GITHUB_USERNAME", "octocat");
    let github = github(one_installation());
    let (out, seen) = exec_seen(&env, &github.url, &[]);
    // The app's own secrets (key, client secret, webhook secret) stay out:
    // the command gets the hour's token, not what mints more.
    assert_eq!(
        seen,
        json!({"t": APP_TOKEN, "u": "octocat", "c": CLIENT_ID})
    );
    assert!(!stderr(&out).contains(APP_TOKEN), "{}", stderr(&out));
    assert_eq!(
        github
            .requests_to("POST /app/installations/4242/access_tokens")
            .len(),
        1
    );

    // Named with --only, the key is given as asked, and only what --only
    // names besides the token.
    let github = self::github(one_installation());
    let (_, seen) = exec_seen(
        &env,
        &github.url,
        &["--only", "GITHUB_APP_PRIVATE_KEY,GITHUB_APP_CLIENT_ID"],
    );
    let key = fs::read_to_string(&keys.private).expect("key");
    assert_eq!(seen["k"].as_str().map(str::trim), Some(key.trim()));
    assert_eq!(seen["t"], APP_TOKEN);
    assert_eq!(seen["c"], CLIENT_ID);
    assert_eq!(seen.get("s"), None, "{seen}");
    assert_eq!(seen.get("u"), None, "{seen}");

    // --repo works for exec too.
    let github = self::github(one_installation());
    let out = run_at(
        &env,
        &github.url,
        &[
            "exec",
            "--github-app-token",
            "GH_TOKEN",
            "--repo",
            "acme/backstage",
            "--",
            "node",
            "-e",
            "process.stdout.write(process.env.GH_TOKEN)",
        ],
    );
    assert_success(&out);
    assert_eq!(stdout(&out), APP_TOKEN);
    assert_eq!(
        github.requests_to("POST /app/installations/777/access_tokens")[0].json(),
        json!({"repositories": ["backstage"]})
    );
}

#[test]
fn exec_runs_nothing_when_no_token_can_be_minted() {
    if !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let env = with_app(&keys(dir.path()));
    let marker = env.work.join("ran");
    let script = format!(": > '{}'", marker.display());
    let github = GitHubStandIn::start(|_| {
        Response::json("401 Unauthorized", r#"{"message":"Bad credentials"}"#)
    });
    let exec_marking = |env: &Env, url: &str| {
        run_at(
            env,
            url,
            &[
                "exec",
                "--github-app-token",
                "GH_TOKEN",
                "--",
                "sh",
                "-c",
                &script,
            ],
        )
    };
    for url in [github.url.clone(), unreachable_url()] {
        let out = exec_marking(&env, &url);
        let err = assert_fails(&out, 125);
        assert!(err.contains("GitHub"), "{err}");
        assert!(!marker.exists(), "the command ran");
    }
    // Without the app's variables: 125 as well, with the import hint.
    let bare = Env::initialised();
    let out = exec_marking(&bare, &github.url);
    let err = assert_fails(&out, 125);
    assert!(err.contains("bscred import --github-app FILE"), "{err}");
    assert!(!marker.exists(), "the command ran");
}
