//! `push github` (issue 17 part 4): stored variables sealed to a secret
//! store's public key and `PUT` to the stand-in GitHub API, the sealed
//! boxes opened by a real libsodium (Debian's python3-nacl), and every
//! refusal made before a single request is sent.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine as _;

use crate::harness::github::{GitHubStandIn, Request, Response, unreachable_url};
use crate::harness::{Env, TOKEN, assert_fails, assert_success, available, stderr, stdout};

const REPO: &str = "acme/backstage";
/// The ID `GET /repos/acme/backstage` answers.
const REPO_ID: u64 = 1_296_269;
/// A repository a user secret already serves (`--user`).
const OTHER_REPO_ID: u64 = 42;
const KEY_ID: &str = "568250167242549743";

/// A PEM-shaped block, as a GitHub App's private key is stored.
const PEM: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----\n";
/// Non-ASCII, both quotes, a command substitution, a backslash, a tab.
const AWKWARD: &str = "pässwörd ✓ 'single' \"double\" $(rm -rf /) `x` \\n\t$HOME end";

// ------------------------------------------------------------ the stand-in

/// How the stand-in answers.
#[derive(Clone, Default)]
struct Behaviour {
    /// The store's public key, base64 (32 bytes).
    public_key: String,
    /// Secrets that exist already: their PUT answers 204, not 201; under
    /// `--user` they are available to `OTHER_REPO_ID`.
    existing: BTreeSet<String>,
    /// A secret whose PUT gets this answer instead.
    put_fails: Option<(String, Response)>,
    /// The public key fetch answers 401 Bad credentials.
    reject_key: bool,
}

fn stand_in(behaviour: Behaviour) -> GitHubStandIn {
    let behaviour = Arc::new(Mutex::new(behaviour));
    GitHubStandIn::start(move |request| answer(request, &behaviour.lock().expect("lock")))
}

fn answer(request: &Request, b: &Behaviour) -> Response {
    let bearer = format!("Bearer {TOKEN}");
    if request.header("Authorization") != Some(bearer.as_str()) || b.reject_key {
        return Response::json(
            "401 Unauthorized",
            r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}"#,
        );
    }
    let path = request.path();
    let secret = path.rsplit('/').next().unwrap_or_default().to_string();
    match request.method() {
        "GET" if path.ends_with("/secrets/public-key") => Response::json(
            "200 OK",
            format!(r#"{{"key_id":"{KEY_ID}","key":"{}"}}"#, b.public_key),
        ),
        "GET" if path == "/repos/acme/backstage" => Response::json(
            "200 OK",
            format!(r#"{{"id":{REPO_ID},"name":"backstage","full_name":"acme/backstage"}}"#),
        ),
        "GET"
            if path.starts_with("/user/codespaces/secrets/") && path.ends_with("/repositories") =>
        {
            let name = path.split('/').nth(4).unwrap_or_default();
            if b.existing.contains(name) {
                Response::json(
                    "200 OK",
                    format!(
                        r#"{{"total_count":1,"repositories":[{{"id":{OTHER_REPO_ID},"name":"other"}}]}}"#
                    ),
                )
            } else {
                Response::not_found()
            }
        }
        "PUT"
            if b.put_fails
                .as_ref()
                .is_some_and(|(name, _)| *name == secret) =>
        {
            b.put_fails.clone().expect("checked").1
        }
        "PUT" if b.existing.contains(&secret) => Response {
            status: "204 No Content".to_string(),
            headers: Vec::new(),
            body: String::new(),
            delay: std::time::Duration::ZERO,
        },
        "PUT" => Response::json("201 Created", "{}"),
        _ => Response::not_found(),
    }
}

/// A public key no test opens boxes for: any 32 bytes are a Curve25519
/// point bscred can seal to.
fn any_public_key() -> String {
    base64::engine::general_purpose::STANDARD.encode([7u8; 32])
}

fn push(env: &Env, github: &str, args: &[&str]) -> Output {
    env.cmd()
        .env("BSCRED_GITHUB_API_URL", github)
        .args(["push", "github", "--repo", REPO])
        .args(args)
        .output()
        .expect("bscred runs")
}

/// A profile holding the token and a few values.
fn profile() -> Env {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    env.set(
        "AUTH_GITHUB_CLIENT_SECRET",
        "client-secret-value-0123456789",
    );
    env.set("GITHUB_APP_PRIVATE_KEY", PEM);
    env.set("AWKWARD_SECRET", AWKWARD);
    env
}

/// Asserts that no request carried any of `values` in plaintext, nor their
/// base64: only sealed boxes leave.
fn assert_no_plaintext(github: &GitHubStandIn, values: &[String]) {
    for request in github.requests() {
        for value in values {
            let b64 = base64::engine::general_purpose::STANDARD.encode(value);
            for line in value.lines().filter(|l| l.len() >= 8) {
                assert!(
                    !request.body.contains(line),
                    "{}: plaintext sent",
                    request.line
                );
            }
            assert!(
                !request.body.contains(&b64),
                "{}: base64 plaintext sent",
                request.line
            );
        }
    }
}

// ------------------------------------------------------------ libsodium

/// A Python that has PyNaCl (libsodium's bindings): Debian's python3-nacl
/// lives in the system Python's path, which may not be the first python3.
fn nacl_python() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import nacl.public"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Runs `script` in `python` with `input` on stdin (never argv: keys and
/// ciphertexts stay out of the process list), returning its stdout.
fn python(python: &str, script: &str, input: &str) -> String {
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("python ends");
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

const KEYGEN: &str = "import base64, json, nacl.public
k = nacl.public.PrivateKey.generate()
print(json.dumps({'private': base64.b64encode(bytes(k)).decode(), 'public': base64.b64encode(bytes(k.public_key)).decode()}))";

/// Reads {"private": b64, "boxes": [b64…]} and prints the opened boxes,
/// each base64, one a line.
const OPEN: &str = "import base64, json, sys, nacl.public
req = json.load(sys.stdin)
box = nacl.public.SealedBox(nacl.public.PrivateKey(base64.b64decode(req['private'])))
for sealed in req['boxes']:
    print(base64.b64encode(box.decrypt(base64.b64decode(sealed))).decode())";

#[test]
fn libsodium_opens_every_pushed_value_byte_for_byte() {
    let Some(py) = nacl_python() else {
        available(
            false,
            "python3-nacl is not installed (scripts/test.sh installs it)",
        );
        return;
    };
    let keys: serde_json::Value = serde_json::from_str(&python(py, KEYGEN, "")).expect("json");
    let env = profile();
    // A long value, every byte value of printable ASCII many times over.
    let long: String = (0..40_000)
        .map(|i| char::from(b' ' + (i % 95) as u8))
        .collect();
    env.set("LONG_SECRET", &long);
    let github = stand_in(Behaviour {
        public_key: keys["public"].as_str().expect("public").to_string(),
        ..Behaviour::default()
    });
    // (argument, stored variable, secret on GitHub)
    let pushed = [
        (
            "GITHUB_APP_PRIVATE_KEY=APP_PRIVATE_KEY",
            "GITHUB_APP_PRIVATE_KEY",
            "APP_PRIVATE_KEY",
        ),
        ("AWKWARD_SECRET", "AWKWARD_SECRET", "AWKWARD_SECRET"),
        ("LONG_SECRET", "LONG_SECRET", "LONG_SECRET"),
        (
            "GITHUB_TOKEN=BACKSTAGE_GITHUB_TOKEN",
            "GITHUB_TOKEN",
            "BACKSTAGE_GITHUB_TOKEN",
        ),
    ];
    let args: Vec<&str> = pushed.iter().map(|(arg, _, _)| *arg).collect();
    let out = push(&env, &github.url, &args);
    assert_success(&out);

    let mut boxes = Vec::new();
    let mut stored = Vec::new();
    for (_, local, remote) in &pushed {
        let puts = github.requests_to(&format!(
            "PUT /repos/acme/backstage/actions/secrets/{remote}"
        ));
        assert_eq!(puts.len(), 1, "{remote}");
        let body = puts[0].json();
        assert_eq!(body["key_id"], KEY_ID);
        let sealed = body["encrypted_value"]
            .as_str()
            .expect("encrypted_value")
            .to_string();
        let value = env.get(local);
        // 32 bytes of ephemeral key and 16 of tag around the value.
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&sealed)
            .expect("base64");
        assert_eq!(raw.len(), value.len() + 48, "{remote}");
        boxes.push(sealed);
        stored.push(value);
    }
    assert_eq!(stored[1], AWKWARD);
    assert_eq!(stored[2], long);
    assert_no_plaintext(&github, &stored);

    // The private key and the boxes go to python on stdin.
    let request = serde_json::json!({"private": keys["private"], "boxes": boxes}).to_string();
    let opened = python(py, OPEN, &request);
    let opened: Vec<Vec<u8>> = opened
        .lines()
        .map(|l| {
            base64::engine::general_purpose::STANDARD
                .decode(l)
                .expect("base64")
        })
        .collect();
    assert_eq!(opened.len(), stored.len());
    for ((opened, stored), (_, _, remote)) in opened.iter().zip(&stored).zip(&pushed) {
        assert_eq!(
            opened,
            stored.as_bytes(),
            "{remote} did not survive the sealed box"
        );
    }
}

// ------------------------------------------------------------ requests

#[test]
fn each_store_gets_one_key_fetch_and_a_put_per_secret_at_its_own_path() {
    let env = profile();
    let values: Vec<String> = [
        "AUTH_GITHUB_CLIENT_SECRET",
        "GITHUB_TOKEN",
        "AWKWARD_SECRET",
    ]
    .into_iter()
    .map(|n| env.get(n))
    .collect();
    let cases: [(&[&str], &str, &str); 5] = [
        (
            &[],
            "/repos/acme/backstage/actions/secrets",
            "actions, acme/backstage",
        ),
        (
            &["--environment", "production"],
            "/repos/acme/backstage/environments/production/secrets",
            "actions environment production, acme/backstage",
        ),
        (
            &["--app", "codespaces"],
            "/repos/acme/backstage/codespaces/secrets",
            "codespaces, acme/backstage",
        ),
        (
            &["--app", "codespaces", "--user"],
            "/user/codespaces/secrets",
            "your codespaces, available to acme/backstage",
        ),
        (
            &["--app", "dependabot"],
            "/repos/acme/backstage/dependabot/secrets",
            "dependabot, acme/backstage",
        ),
    ];
    for (flags, store, place) in cases {
        // AUTH_GITHUB_CLIENT_SECRET exists on GitHub already (204), the
        // other one is new (201).
        let github = stand_in(Behaviour {
            public_key: any_public_key(),
            existing: ["AUTH_GITHUB_CLIENT_SECRET".to_string()].into(),
            ..Behaviour::default()
        });
        let mut args = flags.to_vec();
        args.extend([
            "AUTH_GITHUB_CLIENT_SECRET",
            "GITHUB_TOKEN=BACKSTAGE_GITHUB_TOKEN",
        ]);
        let out = push(&env, &github.url, &args);
        assert_success(&out);
        assert_eq!(
            stdout(&out),
            format!(
                "updated  AUTH_GITHUB_CLIENT_SECRET ({place})\ncreated  BACKSTAGE_GITHUB_TOKEN from GITHUB_TOKEN ({place})\n"
            ),
            "{flags:?}"
        );
        let user = flags.contains(&"--user");
        let mut expected = vec![format!("GET {store}/public-key")];
        if user {
            expected.push("GET /repos/acme/backstage".to_string());
            expected.push(format!(
                "GET {store}/AUTH_GITHUB_CLIENT_SECRET/repositories"
            ));
        }
        expected.push(format!("PUT {store}/AUTH_GITHUB_CLIENT_SECRET"));
        if user {
            expected.push(format!("GET {store}/BACKSTAGE_GITHUB_TOKEN/repositories"));
        }
        expected.push(format!("PUT {store}/BACKSTAGE_GITHUB_TOKEN"));
        let requests = github.requests();
        let routes: Vec<String> = requests.iter().map(Request::route).collect();
        assert_eq!(routes, expected, "{flags:?}");
        for request in &requests {
            assert_eq!(
                request.header("Authorization"),
                Some(format!("Bearer {TOKEN}").as_str())
            );
            assert_eq!(request.header("X-GitHub-Api-Version"), Some("2022-11-28"));
        }
        for put in requests.iter().filter(|r| r.method() == "PUT") {
            let body = put.json();
            assert_eq!(body["key_id"], KEY_ID, "{flags:?}");
            let selection = &body["selected_repository_ids"];
            if !user {
                assert!(selection.is_null(), "{flags:?}: {body}");
            } else if put.path().ends_with("AUTH_GITHUB_CLIENT_SECRET") {
                // The repository it already served keeps it.
                assert_eq!(*selection, serde_json::json!([OTHER_REPO_ID, REPO_ID]));
            } else {
                assert_eq!(*selection, serde_json::json!([REPO_ID]));
            }
        }
        assert_no_plaintext(&github, &values);
        assert!(!stderr(&out).contains(TOKEN) && !stdout(&out).contains(TOKEN));
    }
}

#[test]
fn token_var_names_the_token_to_push_with() {
    let env = Env::initialised();
    env.set("CI_TOKEN", TOKEN);
    env.set("NPM_TOKEN", "npm_0123456789abcdefghij");
    let github = stand_in(Behaviour {
        public_key: any_public_key(),
        ..Behaviour::default()
    });
    let out = push(
        &env,
        &github.url,
        &[
            "--app",
            "dependabot",
            "--token-var",
            "CI_TOKEN",
            "NPM_TOKEN",
        ],
    );
    assert_success(&out);
    assert_eq!(
        stdout(&out),
        "created  NPM_TOKEN (dependabot, acme/backstage)\n"
    );
    // Without it, GITHUB_TOKEN is looked for, and there is none: exit 3.
    let out = push(&env, &github.url, &["NPM_TOKEN"]);
    let err = assert_fails(&out, 3);
    assert!(
        err.contains("GITHUB_TOKEN") && err.contains("--token-var"),
        "{err}"
    );
}

// ------------------------------------------------------------ refusals

#[test]
fn bad_names_and_flags_are_refused_before_anything_is_sent() {
    let env = profile();
    let github = stand_in(Behaviour {
        public_key: any_public_key(),
        ..Behaviour::default()
    });
    let cases: [(&[&str], i32, &str); 11] = [
        // GitHub keeps GITHUB_ for itself: the hint is the mapping.
        (
            &["AUTH_GITHUB_CLIENT_SECRET", "GITHUB_TOKEN"],
            2,
            "GITHUB_TOKEN=BACKSTAGE_GITHUB_TOKEN",
        ),
        (
            &["GITHUB_APP_PRIVATE_KEY"],
            2,
            "GITHUB_APP_PRIVATE_KEY=BACKSTAGE_GITHUB_APP_PRIVATE_KEY",
        ),
        (
            &["AUTH_GITHUB_CLIENT_SECRET=1SECRET"],
            2,
            "may not start with a digit",
        ),
        (
            &["AUTH_GITHUB_CLIENT_SECRET=GITHUB_SECRET"],
            2,
            "may not start with GITHUB_",
        ),
        (
            &["AUTH_GITHUB_CLIENT_SECRET=A-B"],
            2,
            "letters, digits and underscores",
        ),
        (
            &["AWKWARD_SECRET=SAME", "AUTH_GITHUB_CLIENT_SECRET=same"],
            2,
            "would both become",
        ),
        (
            &["AUTH_GITHUB_CLIENT_SECRET", "NOT_STORED"],
            3,
            "NOT_STORED",
        ),
        (
            &[
                "--app",
                "codespaces",
                "--environment",
                "prod",
                "AWKWARD_SECRET",
            ],
            2,
            "--environment goes only with --app actions",
        ),
        (
            &["--user", "AWKWARD_SECRET"],
            2,
            "--user goes only with --app codespaces",
        ),
        (
            &["--app", "dependabot", "--user", "AWKWARD_SECRET"],
            2,
            "--user goes only with --app codespaces",
        ),
        (
            &[
                "--app",
                "codespaces",
                "--user",
                "--environment",
                "x",
                "AWKWARD_SECRET",
            ],
            2,
            "cannot be used with",
        ),
    ];
    for (args, code, says) in cases {
        let out = push(&env, &github.url, args);
        let err = assert_fails(&out, code);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // A token pasted where a name belongs is refused and never shown.
    let out = push(&env, &github.url, &[&format!("AWKWARD_SECRET={TOKEN}")]);
    let err = assert_fails(&out, 2);
    assert!(err.contains("holds a GitHub token"), "{err}");
    let out = push(
        &env,
        &github.url,
        &["--repo", "acme/../x", "AWKWARD_SECRET"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(github.requests().is_empty(), "{:?}", github.requests());
}

#[test]
fn a_refused_token_is_exit_5_with_the_permission_and_never_shown() {
    let env = profile();
    let github = stand_in(Behaviour {
        public_key: any_public_key(),
        reject_key: true,
        ..Behaviour::default()
    });
    let out = push(
        &env,
        &github.url,
        &["--app", "codespaces", "AUTH_GITHUB_CLIENT_SECRET"],
    );
    let err = assert_fails(&out, 5);
    assert!(
        err.contains("GitHub refused the token (HTTP 401): Bad credentials"),
        "{err}"
    );
    assert!(err.contains("nothing was pushed"), "{err}");
    assert!(err.contains("\"Codespaces secrets\""), "{err}");
    assert_eq!(
        github.only_request().route(),
        "GET /repos/acme/backstage/codespaces/secrets/public-key"
    );
}

#[test]
fn a_failure_midway_names_what_was_already_pushed() {
    let env = profile();
    let github = stand_in(Behaviour {
        public_key: any_public_key(),
        put_fails: Some(("AWKWARD_SECRET".to_string(), Response::not_found())),
        ..Behaviour::default()
    });
    let out = push(
        &env,
        &github.url,
        &[
            "--environment",
            "staging",
            "AUTH_GITHUB_CLIENT_SECRET",
            "AWKWARD_SECRET",
            "GITHUB_TOKEN=BACKSTAGE_GITHUB_TOKEN",
        ],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("bscred: error: cannot push to actions environment staging, acme/backstage: repository or environment not found, or the token cannot see it; already pushed: AUTH_GITHUB_CLIENT_SECRET\n"),
        "{err}"
    );
    assert!(err.contains("\"Environments\""), "{err}");
    assert_eq!(
        stdout(&out),
        "created  AUTH_GITHUB_CLIENT_SECRET (actions environment staging, acme/backstage)\n"
    );
    // It stopped there: the secret after the failure was not sent.
    assert!(
        github
            .requests_to(
                "PUT /repos/acme/backstage/environments/staging/secrets/BACKSTAGE_GITHUB_TOKEN"
            )
            .is_empty()
    );
    assert!(!err.contains(TOKEN));
}

#[test]
fn an_unreachable_github_is_exit_5() {
    let env = profile();
    let out = push(&env, &unreachable_url(), &["AUTH_GITHUB_CLIENT_SECRET"]);
    let err = assert_fails(&out, 5);
    assert!(
        err.contains("could not be reached") && err.contains("nothing was pushed"),
        "{err}"
    );
}

#[test]
fn the_token_never_goes_over_plain_http_to_another_machine() {
    let env = profile();
    // Refused before any connection: a name that does not resolve would
    // otherwise fail as "could not be reached".
    let out = push(
        &env,
        "http://github.example.invalid",
        &["AUTH_GITHUB_CLIENT_SECRET"],
    );
    let err = assert_fails(&out, 5);
    assert!(
        err.contains("use an https:// URL in BSCRED_GITHUB_API_URL")
            && !err.contains("could not be reached"),
        "{err}"
    );
}

#[test]
fn a_refused_secret_is_exit_5_with_githubs_message() {
    let env = profile();
    let github = stand_in(Behaviour {
        public_key: any_public_key(),
        put_fails: Some((
            "AUTH_GITHUB_CLIENT_SECRET".to_string(),
            Response::json(
                "422 Unprocessable Entity",
                r#"{"message":"Secret value is too large","documentation_url":"https://docs.github.com/rest","status":"422"}"#,
            ),
        )),
        ..Behaviour::default()
    });
    let out = push(
        &env,
        &github.url,
        &["--app", "dependabot", "AUTH_GITHUB_CLIENT_SECRET"],
    );
    let err = assert_fails(&out, 5);
    assert!(
        err.contains("GitHub refused AUTH_GITHUB_CLIENT_SECRET (HTTP 422): Secret value is too large; nothing was pushed"),
        "{err}"
    );
}
