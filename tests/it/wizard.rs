//! The first-run wizard of `bscred init`, driven through a real
//! pseudo-terminal (util-linux `script`) against a stand-in GitHub API on
//! 127.0.0.1: every question answered as a person would, then the result.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;

use crate::harness::pty::on_pty;
use crate::harness::{Env, TOKEN, have};

/// Answers up to `requests` `GET /user` requests like GitHub does for a
/// fine-grained token expiring on 2026-08-30, with no public email.
fn stand_in_github(requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let body = r#"{"login":"octocat","name":"Mona Lisa","email":null}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                 GitHub-Authentication-Token-Expiration: 2026-08-30 12:00:00 UTC\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{address}")
}

#[test]
fn the_wizard_sets_up_a_backstage_project_end_to_end() {
    if !have("script") {
        return;
    }
    let env = Env::new();
    fs::write(env.work.join("app-config.yaml"), "app:\n  title: demo\n").expect("write");
    fs::write(
        env.work.join(".env"),
        "# from the setup guide\nAUTH_GITHUB_CLIENT_SECRET=s3cr3t-value\n",
    )
    .expect("write");
    let api = stand_in_github(1);
    let token_line = format!("{TOKEN}\r");
    let (code, screen) = on_pty(
        &env,
        &[("BSCRED_GITHUB_API_URL", &api)],
        "init",
        &[
            ("[auto/keychain/file]", "file\r"),
            ("Write .bscred.toml", "\r"),
            ("GitHub token (input hidden", &token_line),
            ("GitHub username [octocat]", "\r"),
            ("as Backstage shows it [Mona Lisa]", "\r"),
            ("Your email: ", "mona@example.com\r"),
            ("plaintext .env here", "y\r"),
        ],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains(TOKEN), "the token was echoed:\n{screen}");
    assert!(
        !screen.contains("s3cr3t-value"),
        "a secret was shown:\n{screen}"
    );
    assert!(screen.contains("bscred exec -- yarn dev"), "{screen}");
    assert!(screen.contains("token: ${GITHUB_TOKEN}"), "{screen}");

    let json: serde_json::Value = serde_json::from_str(&env.ok(&["list", "--json"])).expect("json");
    assert_eq!(json["backend"], "file");
    let var = |name: &str| {
        json["variables"]
            .as_array()
            .expect("array")
            .iter()
            .find(|v| v["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing: {json}"))
    };
    assert_eq!(var("GITHUB_TOKEN")["expires_at"], "2026-08-30T12:00:00Z");
    assert_eq!(var("GITHUB_TOKEN")["secret"], true);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("GITHUB_USERNAME"), "octocat");
    assert_eq!(env.get("USER_DISPLAY_NAME"), "Mona Lisa");
    assert_eq!(env.get("USER_EMAIL"), "mona@example.com");
    assert_eq!(env.get("AUTH_GITHUB_CLIENT_SECRET"), "s3cr3t-value");
    assert_eq!(var("AUTH_GITHUB_CLIENT_SECRET")["secret"], true);
    // The plaintext line is gone, the comment kept.
    assert_eq!(
        fs::read_to_string(env.work.join(".env")).expect("read"),
        "# from the setup guide\n"
    );
    // The project file is written and already allowed: env runs without
    // the "not allowed" notice and with all four required variables set.
    let project = fs::read_to_string(env.work.join(".bscred.toml")).expect("project file");
    assert!(project.contains("USER_EMAIL"), "{project}");
    let out = env.run(&["env"]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not allowed"));
}

#[test]
fn the_wizard_runs_without_a_terminal_from_flags() {
    let env = Env::new();
    let api = stand_in_github(1);
    let out = env
        .cmd()
        .env("BSCRED_GITHUB_API_URL", &api)
        .args([
            "init",
            "--backend",
            "file",
            "--token-stdin",
            "--email",
            "mona@example.com",
            "--no-import-env",
            "--no-project-file",
        ])
        .write_stdin(format!("{TOKEN}\n"))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains(TOKEN));
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("GITHUB_USERNAME"), "octocat");
    assert_eq!(env.get("USER_DISPLAY_NAME"), "Mona Lisa");
    assert_eq!(env.get("USER_EMAIL"), "mona@example.com");

    // Offline: --no-verify with an expiry stores the token without a request.
    let env = Env::new();
    let out = env
        .cmd()
        .env("BSCRED_GITHUB_API_URL", "http://127.0.0.1:9")
        .args([
            "init",
            "--backend",
            "file",
            "--token-stdin",
            "--no-verify",
            "--token-expires-in",
            "30d",
            "--username",
            "octocat",
        ])
        .write_stdin(TOKEN)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&env.ok(&["list", "--json"])).expect("json");
    let token = json["variables"]
        .as_array()
        .expect("array")
        .iter()
        .find(|v| v["name"] == "GITHUB_TOKEN")
        .cloned()
        .expect("token");
    assert_eq!(token["expires_at"], "2026-07-01T12:00:00Z");
}

/// The wizard's new token wins over an old one in `.env`: the old line stays
/// (with a warning) while the other variables move in and their lines go.
#[test]
fn a_different_token_in_dotenv_does_not_stop_the_wizard() {
    let env = Env::new();
    let old = bscred::token::classic_for_tests("ghp_", "0ldT0k3n0ldT0k3n0ldT0k3n0ldT0k");
    fs::write(
        env.work.join(".env"),
        format!("GITHUB_TOKEN={old}\nUSER_EMAIL=mona@example.com\n"),
    )
    .expect("write");
    let api = stand_in_github(1);
    let out = env
        .cmd()
        .env("BSCRED_GITHUB_API_URL", &api)
        .args([
            "init",
            "--backend",
            "file",
            "--token-stdin",
            "--import-env",
            "--no-project-file",
        ])
        .write_stdin(TOKEN)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("GITHUB_TOKEN in .env differs"), "{stderr}");
    assert!(
        !stderr.contains(&old) && !stderr.contains(TOKEN),
        "{stderr}"
    );
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("USER_EMAIL"), "mona@example.com");
    assert_eq!(
        fs::read_to_string(env.work.join(".env")).expect("read"),
        format!("GITHUB_TOKEN={old}\n")
    );
}

#[test]
fn first_run_flags_are_never_dropped_in_silence() {
    // Without a token, the name flags still land.
    let env = Env::new();
    env.ok(&[
        "init",
        "--backend",
        "file",
        "--no-token",
        "--username",
        "octocat",
        "--email",
        "mona@example.com",
    ]);
    assert_eq!(env.get("GITHUB_USERNAME"), "octocat");
    assert_eq!(env.get("USER_EMAIL"), "mona@example.com");

    // On an initialised profile they still count.
    let out = env.run_stdin(&["init", "--token-stdin", "--no-verify"], TOKEN.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);

    // An empty --token-stdin stores nothing, and can simply be run again.
    let env = Env::new();
    let out = env.run_stdin(
        &["init", "--backend", "file", "--token-stdin", "--no-verify"],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(env.run(&["get", "GITHUB_TOKEN"]).status.code(), Some(3));
    let out = env.run_stdin(&["init", "--token-stdin", "--no-verify"], TOKEN.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
}
