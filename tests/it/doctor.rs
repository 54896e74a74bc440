//! `doctor` over a whole project tree, with real git: nested `.env` files
//! found and each one's git state said, `node_modules`, `.git` and ignored
//! directories skipped, symlinked directories not followed, the walk
//! bounded; and a backends line that never unlocks the keychain.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::harness::git::{HERMETIC, git_ok};
use crate::harness::github::{GitHubStandIn, Request, Response};
use crate::harness::pty::on_pty;
use crate::harness::random::token;
use crate::harness::{Env, assert_success, have, stderr};

/// git in `dir` as the harness runs it, with a committer.
fn git(env: &Env, dir: &Path, args: &[&str]) {
    let committer = ["-c", "user.name=Test", "-c", "user.email=t@example.com"];
    git_ok(env, dir, &[&committer[..], args].concat());
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// `bscred doctor --json` in `dir` (with extra variables), parsed, its
/// exit code and how long it took; and the text form, which must say the
/// same.
fn doctor(env: &Env, dir: &Path, vars: &[(&str, &str)]) -> (Vec<serde_json::Value>, i32) {
    let run = |args: &[&str]| -> Output {
        let mut cmd = env.cmd();
        cmd.current_dir(dir).envs(HERMETIC).args(args);
        for (name, value) in vars {
            cmd.env(name, value);
        }
        cmd.output().expect("bscred runs")
    };
    let out = run(&["doctor", "--json"]);
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let code = out.status.code().expect("exit code");
    let text = run(&["doctor"]);
    assert_eq!(text.status.code(), Some(code));
    let text = String::from_utf8(text.stdout).expect("utf-8");
    for finding in &findings {
        let line = format!(
            "{}: {}: {}",
            field(finding, "kind"),
            field(finding, "place"),
            field(finding, "what")
        );
        assert!(text.contains(&line), "{line:?} not in:\n{text}");
    }
    (findings, code)
}

fn field<'a>(finding: &'a serde_json::Value, name: &str) -> &'a str {
    finding[name].as_str().unwrap_or("")
}

/// The findings about `place` (a file, or `file:line`).
fn at<'a>(findings: &'a [serde_json::Value], place: &str) -> Vec<&'a serde_json::Value> {
    findings
        .iter()
        .filter(|f| field(f, "place") == place)
        .collect()
}

/// Asserts that no finding's place starts with one of `prefixes`.
fn assert_not_looked_in(findings: &[serde_json::Value], prefixes: &[&str]) {
    for finding in findings {
        let place = field(finding, "place");
        assert!(
            !prefixes.iter().any(|p| place.starts_with(p)),
            "doctor looked in a directory it must skip: {finding:#}"
        );
    }
}

/// A Backstage-like monorepo: `.env` files at several depths, one git
/// tracks, one it ignores, one it would commit; a `node_modules`, an
/// ignored build directory and `.git` holding tokens that must not be
/// reported; a committed `.envrc` with only a reference; a nested
/// repository; symlinked directories that loop. Returns the tokens.
fn backstage(env: &Env) -> Vec<String> {
    let work = &env.work;
    let tokens: Vec<String> = (1..=8).map(token).collect();
    git(env, work, &["init", "-q"]);
    write(
        &work.join(".gitignore"),
        "node_modules/\ndist-types/\n/packages/backend/.env\n",
    );
    write(
        &work.join("package.json"),
        "{\"name\": \"root\", \"workspaces\": [\"packages/*\", \"plugins/*\"]}\n",
    );
    write(
        &work.join("app-config.yaml"),
        "integrations:\n  github:\n    - host: github.com\n      token: ${GITHUB_TOKEN}\n",
    );
    // Ignored by git, holding a token: still read, and said to be ignored.
    write(
        &work.join("packages/backend/.env"),
        &format!("# backend\nGITHUB_TOKEN={}\n", tokens[0]),
    );
    // Neither tracked nor ignored: `git add .` would commit it.
    write(
        &work.join("packages/app/.env.local"),
        "USER_EMAIL=octo@example.com\nLOG_LEVEL=debug\n",
    );
    // Committed: in every clone.
    write(
        &work.join("plugins/catalog-backend/.env.production"),
        &format!("AUTH_GITHUB_CLIENT_SECRET={}\n", tokens[1]),
    );
    // A literal token in a nested app-config.
    write(
        &work.join("packages/backend/app-config.local.yaml"),
        &format!("integrations:\n  github:\n    - token: {}\n", tokens[2]),
    );
    // Committed on purpose, nothing in it but a reference: information.
    write(&work.join(".envrc"), "eval \"$(bscred env)\"\n");
    // Never looked in: installed packages, an ignored build output, git's
    // own directory (an object or a stray file there is git's business).
    write(
        &work.join("node_modules/some-package/.env"),
        &format!("GITHUB_TOKEN={}\n", tokens[3]),
    );
    write(
        &work.join("packages/app/node_modules/dep/.env"),
        &format!("GITHUB_TOKEN={}\n", tokens[4]),
    );
    write(
        &work.join("dist-types/packages/.env"),
        &format!("GITHUB_TOKEN={}\n", tokens[5]),
    );
    git(
        env,
        work,
        &[
            "add",
            ".gitignore",
            "package.json",
            "app-config.yaml",
            ".envrc",
        ],
    );
    git(
        env,
        work,
        &["add", "plugins/catalog-backend/.env.production"],
    );
    git(env, work, &["commit", "-q", "-m", "init"]);
    write(
        &work.join(".git/.env"),
        &format!("GITHUB_TOKEN={}\n", tokens[6]),
    );
    // A repository inside the project with its own rules: its `.env` is
    // not ignored there, whatever the outer `.gitignore` says.
    let vendored = work.join("vendor/tool");
    fs::create_dir_all(&vendored).expect("mkdir");
    git(env, &vendored, &["init", "-q"]);
    write(
        &vendored.join(".env"),
        &format!("GITHUB_TOKEN={}\n", tokens[7]),
    );
    // Links that would make a naive walk go round forever, or out.
    symlink("..", work.join("packages/up")).expect("symlink");
    symlink(".", work.join("plugins/self")).expect("symlink");
    symlink(&env.home, work.join("home-link")).expect("symlink");
    symlink("loop-b", work.join("loop-a")).expect("symlink");
    symlink("loop-a", work.join("loop-b")).expect("symlink");
    tokens
}

#[test]
fn doctor_walks_the_project_tree_and_says_what_git_does_with_each_env_file() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    let tokens = backstage(&env);
    let started = Instant::now();
    let (findings, code) = doctor(&env, &env.work, &[]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(code, 12, "{findings:#?}");
    let all = serde_json::to_string(&findings).expect("json");
    for token in &tokens {
        assert!(!all.contains(token.as_str()), "a token leaked: {all}");
    }

    // The nested files, with what each holds.
    let backend = at(&findings, "packages/backend/.env:2");
    assert_eq!(backend.len(), 1, "{findings:#?}");
    assert!(field(backend[0], "what").contains("token"));
    assert_eq!(
        field(backend[0], "fix"),
        "bscred import packages/backend/.env --remove"
    );
    let app = at(&findings, "packages/app/.env.local:1");
    assert!(
        app.iter().any(|f| field(f, "what").contains("USER_EMAIL")),
        "{findings:#?}"
    );
    assert!(
        !at(&findings, "plugins/catalog-backend/.env.production:1").is_empty(),
        "{findings:#?}"
    );
    let config = at(&findings, "packages/backend/app-config.local.yaml:3");
    assert_eq!(config.len(), 1, "{findings:#?}");

    // Each .env file: exactly one line about git.
    let git_line = |place: &str| {
        let found = at(&findings, place);
        assert_eq!(found.len(), 1, "{place}: {findings:#?}");
        found[0]
    };
    let ignored = git_line("packages/backend/.env");
    assert_eq!(field(ignored, "kind"), "info");
    assert!(field(ignored, "what").contains("git ignores this file"));
    let would = git_line("packages/app/.env.local");
    assert_eq!(field(would, "kind"), "problem");
    assert!(field(would, "what").contains("`git add .` would commit it"));
    assert!(field(would, "fix").starts_with("echo .env.local >> .gitignore"));
    let tracked = git_line("plugins/catalog-backend/.env.production");
    assert_eq!(field(tracked, "kind"), "problem");
    assert!(field(tracked, "what").contains("git tracks this file"));
    assert!(
        field(tracked, "fix").starts_with(
            "git rm --cached plugins/catalog-backend/.env.production && echo .env.production >> .gitignore"
        ),
        "{tracked:#}"
    );
    let envrc = git_line(".envrc");
    assert_eq!(field(envrc, "kind"), "info", "{envrc:#}");
    assert!(field(envrc, "what").contains("git tracks this file"));
    // The nested repository's own rules, and a fix run in it.
    let vendored = git_line("vendor/tool/.env");
    assert_eq!(field(vendored, "kind"), "problem");
    assert!(field(vendored, "what").contains("would commit"));
    assert!(
        field(vendored, "fix").starts_with("echo .env >> vendor/tool/.gitignore"),
        "{vendored:#}"
    );
    assert_eq!(at(&findings, "vendor/tool/.env:1").len(), 1);

    // Skipped: node_modules at any depth, the ignored build output, .git,
    // and everything behind a symlinked directory.
    assert_not_looked_in(
        &findings,
        &[
            "node_modules",
            "packages/app/node_modules",
            "dist-types",
            ".git/",
            ".git:",
            "packages/up/",
            "plugins/self/",
            "home-link/",
        ],
    );
    let links: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| field(f, "what").contains("not followed"))
        .collect();
    assert_eq!(links.len(), 1, "{findings:#?}");
    assert_eq!(field(links[0], "kind"), "info");
    assert!(field(links[0], "what").starts_with("3 symlinked directories"));

    // The problems are exactly these.
    let mut problems: Vec<&str> = findings
        .iter()
        .filter(|f| f["kind"] == "problem")
        .map(|f| field(f, "place"))
        .collect();
    problems.sort_unstable();
    assert_eq!(
        problems,
        [
            "packages/app/.env.local",
            "packages/app/.env.local:1",
            "packages/backend/.env:2",
            "packages/backend/app-config.local.yaml:3",
            "plugins/catalog-backend/.env.production",
            "plugins/catalog-backend/.env.production:1",
            "vendor/tool/.env",
            "vendor/tool/.env:1",
        ],
        "{findings:#?}"
    );
}

#[test]
fn doctor_on_a_subdirectory_names_paths_as_given_and_uses_the_outer_repository() {
    if !have("git") {
        return;
    }
    let env = Env::initialised();
    backstage(&env);
    // Named as a subdirectory of the repository.
    let out = env
        .cmd()
        .current_dir(&env.work)
        .envs(HERMETIC)
        .args(["doctor", "--json", "packages"])
        .output()
        .expect("runs");
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    // The outer repository's .gitignore applies to a scan of a part of it.
    let ignored = at(&findings, "packages/backend/.env");
    assert_eq!(ignored.len(), 1, "{findings:#?}");
    assert!(field(ignored[0], "what").contains("git ignores"));
    assert_not_looked_in(&findings, &["packages/app/node_modules", "packages/up/"]);
    // Only what is below it.
    assert_not_looked_in(&findings, &["plugins", "vendor", ".envrc"]);
}

#[test]
fn a_project_outside_git_gets_its_env_files_read_and_says_so() {
    let env = Env::initialised();
    write(
        &env.work.join("services/api/.env"),
        &format!("GITHUB_TOKEN={}\n", token(40)),
    );
    // No git at all, as on a machine without it.
    let (findings, code) = doctor(&env, &env.work, &[("PATH", "/nonexistent")]);
    assert_eq!(code, 12);
    assert_eq!(
        at(&findings, "services/api/.env:1").len(),
        1,
        "{findings:#?}"
    );
    let state = at(&findings, "services/api/.env");
    assert_eq!(state.len(), 1, "{findings:#?}");
    assert_eq!(field(state[0], "kind"), "info");
}

#[test]
fn the_walk_is_bounded_in_depth() {
    let env = Env::initialised();
    let mut deep = env.work.clone();
    for level in 0..20 {
        deep = deep.join(format!("d{level}"));
    }
    write(&deep.join(".env"), &format!("GITHUB_TOKEN={}\n", token(41)));
    write(
        &env.work.join("d0/d1/.env"),
        &format!("GITHUB_TOKEN={}\n", token(42)),
    );
    let (findings, _) = doctor(&env, &env.work, &[]);
    assert_eq!(at(&findings, "d0/d1/.env:1").len(), 1, "{findings:#?}");
    assert!(
        !findings.iter().any(|f| field(f, "place")
            .starts_with("d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16")),
        "{findings:#?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f["kind"] == "info"
                && field(f, "what").contains("levels down were not looked in")),
        "{findings:#?}"
    );
}

#[test]
fn a_fifo_named_env_cannot_hang_doctor() {
    let env = Env::initialised();
    let fifo = env.work.join("packages/x/.env");
    fs::create_dir_all(fifo.parent().expect("parent")).expect("mkdir");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("skipping: mkfifo failed");
        return;
    }
    let started = Instant::now();
    let (findings, _) = doctor(&env, &env.work, &[]);
    assert!(started.elapsed() < Duration::from_secs(20));
    let place = at(&findings, "packages/x/.env");
    assert!(
        place.iter().any(|f| field(f, "what").contains("not read")),
        "{findings:#?}"
    );
    assert_success(&env.run(&["status"]));
}

// ---------------------------------------------------------------- keychain

/// docs/cli-reference.md `doctor`: which backends answer is information. Finding it out
/// must never show an unlock prompt (doctor may run from a script, or
/// while the user is away): no item is searched for or read, nothing is
/// unlocked, and the line says so.
#[cfg(target_os = "linux")]
#[test]
fn doctor_never_reads_an_item_or_unlocks_the_keychain() {
    use crate::harness::dbus::Monitor;
    use crate::harness::keychain::{SECRETS, Session, have_private_session};
    if !have_private_session() || !have("dbus-monitor") {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let session = Session::fresh(root.path());
    let bus = session.bus.address().to_os_string();
    let bus_text = bus.to_str().expect("utf-8 address").to_string();
    let vars = [
        ("DBUS_SESSION_BUS_ADDRESS", bus_text.as_str()),
        ("BSCRED_KEYCHAIN_TIMEOUT", "5"),
    ];
    let env = Env::new();
    let bscred = |args: &[&str], input: &[u8]| {
        let mut cmd = env.cmd();
        cmd.envs(vars).args(args).write_stdin(input);
        cmd.output().expect("bscred runs")
    };
    assert_success(&bscred(&["init", "--backend", "keychain"], b""));
    // An item a read would find: reading it locked would prompt.
    assert_success(&bscred(
        &["set", "GITHUB_TOKEN", "--stdin"],
        token(50).as_bytes(),
    ));
    let keychain_line = |findings: &[serde_json::Value]| {
        let line = at(findings, "keychain backend");
        assert_eq!(line.len(), 1, "{findings:#?}");
        assert_eq!(field(line[0], "kind"), "info");
        field(line[0], "what").to_string()
    };

    let monitor = Monitor::start(&bus, root.path().join("unlocked.log"));
    let (findings, _) = doctor(&env, &env.work, &vars);
    let calls = monitor.stop(SECRETS);
    assert_only_looked(&calls);
    let line = keychain_line(&findings);
    assert!(line.starts_with("answers, unlocked"), "{line}");
    assert!(
        line.contains("without reading an item or unlocking"),
        "{line}"
    );

    session.lock();
    let monitor = Monitor::start(&bus, root.path().join("locked.log"));
    let started = Instant::now();
    let (findings, _) = doctor(&env, &env.work, &vars);
    let elapsed = started.elapsed();
    let calls = monitor.stop(SECRETS);
    assert_only_looked(&calls);
    let line = keychain_line(&findings);
    assert!(line.starts_with("answers, locked"), "{line}");
    assert!(line.contains("doctor did not unlock it"), "{line}");
    assert!(session.is_locked(), "the keyring was unlocked");
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

/// Asserts that the Secret Service calls in `calls` only looked: a
/// session, the default alias, properties. A search, a read, an unlock or a
/// prompt is what can make a keyring ask for its password.
#[cfg(target_os = "linux")]
fn assert_only_looked(calls: &[String]) {
    assert!(
        calls.iter().any(|c| c.ends_with(".OpenSession")),
        "doctor did not ask the Secret Service at all: {calls:?}"
    );
    for call in calls {
        let member = call.rsplit('.').next().unwrap_or("");
        assert!(
            [
                "OpenSession",
                "ReadAlias",
                "Get",
                "GetAll",
                "Introspect",
                "Close",
                "Ping",
                "GetMachineId"
            ]
            .contains(&member),
            "doctor called {call}: {calls:?}"
        );
    }
}

/// A GitHub App's credentials file as `backstage-cli create-github-app`
/// writes it, a private key beside a certificate, in a repository that
/// ignores none of them.
#[test]
fn app_credentials_and_private_keys_in_the_project_are_problems_and_certificates_are_not() {
    let env = Env::initialised();
    let work = &env.work;
    git(&env, work, &["init", "-q"]);
    let key =
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAx4Vd\n-----END RSA PRIVATE KEY-----\n";
    write(
        &work.join("github-app-backstage-acme-credentials.yaml"),
        &format!(
            "appId: 123456\nclientId: Iv1.0123456789abcdef\nclientSecret: 0123456789abcdef0123456789abcdef01234567\nwebhookSecret: s3cr3t\nprivateKey: |\n  {}\n",
            key.trim_end().replace('\n', "\n  ")
        ),
    );
    write(
        &work.join("certs/server.key"),
        &format!("# the dev server's key\n{key}"),
    );
    write(
        &work.join("certs/server.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    );
    let (findings, code) = doctor(&env, work, &[]);
    assert_eq!(code, 12, "{findings:#?}");

    let credentials = at(&findings, "github-app-backstage-acme-credentials.yaml");
    assert!(
        credentials.iter().any(|f| field(f, "kind") == "problem"
            && field(f, "what").contains("GitHub App's credentials")),
        "{findings:#?}"
    );
    // And that git would commit it.
    assert!(
        credentials
            .iter()
            .any(|f| field(f, "what").contains("git does not ignore this file")),
        "{findings:#?}"
    );
    let key_found = at(&findings, "certs/server.key:2");
    assert_eq!(key_found.len(), 1, "{findings:#?}");
    assert_eq!(field(key_found[0], "kind"), "problem");
    assert!(field(key_found[0], "fix").contains("bscred set NAME --stdin < certs/server.key"));
    assert!(
        at(&findings, "certs/server.pem").is_empty()
            && !findings
                .iter()
                .any(|f| field(f, "place").starts_with("certs/server.pem:")),
        "a certificate is public: {findings:#?}"
    );
    // Nothing of the key reaches the report.
    let text = serde_json::to_string(&findings).expect("json");
    assert!(!text.contains("MIIEpAIBAAKCAQEAx4Vd"), "{text}");
    assert!(
        !text.contains("0123456789abcdef0123456789abcdef01234567"),
        "{text}"
    );
}

// ------------------------------------------------------------ --revoke

/// A stand-in GitHub API that takes revocations (refusing one that carries
/// an `Authorization` header, as a token sent where none belongs must be)
/// or fails them with 500.
fn revocations(accept: bool) -> GitHubStandIn {
    GitHubStandIn::start(move |request| match request.route().as_str() {
        "POST /credentials/revoke" if request.header("Authorization").is_some() => Response::json(
            "401 Unauthorized",
            r#"{"message":"Requires no authentication"}"#,
        ),
        "POST /credentials/revoke" if accept => Response::json("202 Accepted", "{}"),
        "POST /credentials/revoke" => {
            Response::json("500 Internal Server Error", r#"{"message":"Server Error"}"#)
        }
        _ => Response::not_found(),
    })
}

/// The tokens one revocation request asked for, in order.
fn revoked(request: &Request) -> Vec<String> {
    assert_eq!(
        request.header("Authorization"),
        None,
        "revoke takes no auth"
    );
    request.json()["credentials"]
        .as_array()
        .expect("credentials array")
        .iter()
        .map(|t| t.as_str().expect("string").to_string())
        .collect()
}

fn doctor_at(env: &Env, github: &GitHubStandIn, args: &[&str]) -> Output {
    env.cmd()
        .current_dir(&env.work)
        .envs(HERMETIC)
        .env("BSCRED_GITHUB_API_URL", &github.url)
        .args(args)
        .output()
        .expect("bscred runs")
}

fn assert_none_of(out: &Output, tokens: &[&str]) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        for token in tokens {
            assert!(!text.contains(token), "a token leaked: {text}");
        }
    }
}

#[test]
fn revoke_sends_each_plaintext_token_once_without_authentication_and_keeps_the_findings() {
    let env = Env::initialised();
    let (in_env, in_history) = (token(171), token(172));
    write(&env.work.join(".env"), &format!("GITHUB_TOKEN={in_env}\n"));
    write(
        &env.work.join("app-config.local.yaml"),
        &format!("integrations:\n  github:\n    - host: github.com\n      token: {in_env}\n"),
    );
    write(
        &env.home.join(".bash_history"),
        &format!("ls\nexport GITHUB_TOKEN={in_history}\n"),
    );
    let github = revocations(true);
    let out = doctor_at(&env, &github, &["doctor", "--revoke"]);
    // The plaintext copies are still there: still findings.
    assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
    assert_none_of(&out, &[&in_env, &in_history]);
    let err = stderr(&out);
    assert!(
        err.contains("2 token(s) found in plaintext copies"),
        "{err}"
    );
    assert!(
        err.contains(".env:1") && err.contains("app-config.local.yaml:4"),
        "{err}"
    );
    assert!(err.contains("revoked 2 token(s)"), "{err}");
    let requests = github.requests();
    assert_eq!(requests.len(), 1, "one request for all: {requests:?}");
    let mut sent = revoked(&requests[0]);
    sent.sort();
    let mut expected = vec![in_env.clone(), in_history.clone()];
    expected.sort();
    assert_eq!(sent, expected);
}

#[test]
fn revoke_leaves_the_token_the_profile_holds_to_rotate() {
    let env = Env::initialised();
    let (held, stray) = (token(173), token(174));
    env.set("GITHUB_TOKEN", &held);
    write(
        &env.work.join(".env"),
        &format!("GITHUB_TOKEN={held}\nOLD_TOKEN={stray}\n"),
    );
    let github = revocations(true);
    let out = doctor_at(&env, &github, &["doctor", "--revoke"]);
    assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
    assert_none_of(&out, &[&held, &stray]);
    let err = stderr(&out);
    assert!(
        err.contains("it is also the GITHUB_TOKEN profile default holds")
            && err.contains("bscred rotate GITHUB_TOKEN"),
        "{err}"
    );
    assert_eq!(revoked(&github.only_request()), vec![stray]);
    // The held token is still the profile's.
    assert_eq!(env.ok(&["get", "GITHUB_TOKEN"]).trim_end(), held);
}

#[test]
fn a_failed_revocation_exits_5_with_the_manual_step() {
    let env = Env::initialised();
    let stray = token(175);
    write(&env.work.join(".env"), &format!("GITHUB_TOKEN={stray}\n"));
    let github = revocations(false);
    let out = doctor_at(&env, &github, &["doctor", "--revoke"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_none_of(&out, &[&stray]);
    let err = stderr(&out);
    assert!(
        err.contains("revoking failed") && err.contains("HTTP 500"),
        "{err}"
    );
    assert!(
        err.contains("https://github.com/settings/personal-access-tokens"),
        "{err}"
    );
    assert_eq!(github.requests().len(), 1);
}

#[test]
fn without_revoke_or_a_terminal_nothing_is_sent_and_the_option_is_named() {
    let env = Env::initialised();
    let stray = token(176);
    write(&env.work.join(".env"), &format!("GITHUB_TOKEN={stray}\n"));
    let github = revocations(true);
    for args in [&["doctor"][..], &["doctor", "--json"]] {
        let out = doctor_at(&env, &github, args);
        assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("`bscred doctor --revoke` revokes the 1 token(s)"),
            "{}",
            stderr(&out)
        );
        assert_none_of(&out, &[&stray]);
    }
    assert!(github.requests().is_empty());
}

#[test]
fn on_a_terminal_doctor_asks_and_no_is_the_default() {
    let env = Env::initialised();
    let stray = token(177);
    write(&env.work.join(".env"), &format!("GITHUB_TOKEN={stray}\n"));
    let github = revocations(true);
    let extra = [("BSCRED_GITHUB_API_URL", github.url.as_str())];
    // Enter alone: nothing is revoked.
    let (code, screen) = on_pty(&env, &extra, "doctor", &[("[y/N] ", "\r")]);
    assert_eq!(code, Some(12), "{screen}");
    assert!(screen.contains("nothing revoked"), "{screen}");
    assert!(!screen.contains(&stray), "{screen}");
    assert!(github.requests().is_empty());
    let (code, screen) = on_pty(&env, &extra, "doctor", &[("[y/N] ", "y\r")]);
    assert_eq!(code, Some(12), "{screen}");
    assert!(screen.contains("revoked 1 token(s)"), "{screen}");
    assert_eq!(revoked(&github.only_request()), vec![stray]);
}

#[test]
fn revoke_leaves_a_token_another_profile_holds_and_revokes_nothing_while_one_is_unreadable() {
    let env = Env::initialised();
    let (theirs, stray) = (token(178), token(179));
    env.ok(&["-p", "work", "init", "--backend", "file"]);
    let out = env.run_stdin(
        &["-p", "work", "set", "OLD_TOKEN", "--stdin"],
        theirs.as_bytes(),
    );
    assert_success(&out);
    write(
        &env.work.join(".env"),
        &format!("A_TOKEN={theirs}\nB_TOKEN={stray}\n"),
    );
    let github = revocations(true);
    let out = doctor_at(&env, &github, &["doctor", "--revoke"]);
    assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("it is also the OLD_TOKEN profile work holds")
            && err.contains("bscred -p work rotate OLD_TOKEN"),
        "{err}"
    );
    assert_eq!(revoked(&github.only_request()), vec![stray.clone()]);

    // Without the identity no profile can be read: nothing is sent.
    let identity = env.identity_path();
    let away = identity.with_extension("away");
    fs::rename(&identity, &away).expect("move the identity away");
    let github = revocations(true);
    let out = doctor_at(&env, &github, &["doctor", "--revoke"]);
    fs::rename(&away, &identity).expect("put the identity back");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing revoked: profile"),
        "{}",
        stderr(&out)
    );
    assert_none_of(&out, &[&theirs, &stray]);
    assert!(github.requests().is_empty(), "{:?}", github.requests());
}

#[test]
fn a_token_found_next_to_another_host_is_never_sent_to_this_one() {
    let env = Env::initialised();
    let (ours, enterprise) = (token(180), token(181));
    write(
        &env.home.join(".git-credentials"),
        &format!(
            "https://octocat:{ours}@github.com\nhttps://mona:{enterprise}@GHE.example.com:8443/org\n"
        ),
    );
    let github = revocations(true);
    let out = doctor_at(&env, &github, &["doctor", "--revoke"]);
    assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("it is for ghe.example.com, not github.com")
            && err.contains("https://ghe.example.com/settings/tokens"),
        "{err}"
    );
    assert_none_of(&out, &[&ours, &enterprise]);
    assert_eq!(revoked(&github.only_request()), vec![ours]);
}
