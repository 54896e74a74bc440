//! `bscred vault login` against the real OpenBao dev server: userpass and
//! AppRole enabled with the root token at mounts of their own, the issued
//! token kept encrypted (the Go `age` CLI decrypts it to prove what it is),
//! used when VAULT_TOKEN is unset, renewed when near expiry, shown by
//! `status`, and reminded before it expires. Passwords and secret IDs go
//! to bscred and `bao` on stdin, never in argv.

use std::process::{Command, Output};

use crate::harness::bao::{self, Server};
use crate::harness::process::output_fed;
use crate::harness::{Env, assert_fails, assert_success, stderr, stdout};

/// bscred in `env`'s sealed environment with no Vault token of its own,
/// its clock at `now`.
fn bscred_at(env: &Env, now: &str) -> Command {
    let mut cmd = env.sealed(crate::harness::bin());
    cmd.env("BSCRED_TEST_NOW", now);
    cmd
}

const LOGIN_AT: &str = "2026-06-01T12:00:00Z";

fn run_at(env: &Env, now: &str, args: &[&str]) -> Output {
    bscred_at(env, now)
        .args(args)
        .output()
        .expect("bscred runs")
}

/// A vault profile on a fresh path of the shared server, made with the
/// root token, holding GITHUB_USERNAME=octocat.
fn profile(server: &Server, test: &str) -> (Env, String) {
    let env = Env::new();
    let path = bao::unique_path(test);
    let out = bscred_at(&env, LOGIN_AT)
        .env("VAULT_TOKEN", &server.token)
        .args(["init", "--backend", "vault", "--no-project-file"])
        .args(["--vault-addr", &server.addr, "--vault-path", &path])
        .output()
        .expect("runs");
    assert_success(&out);
    let out = output_fed(
        bscred_at(&env, LOGIN_AT)
            .env("VAULT_TOKEN", &server.token)
            .args(["set", "GITHUB_USERNAME", "--stdin"]),
        b"octocat",
    );
    assert_success(&out);
    (env, path)
}

/// The token bscred keeps, as the Go `age` CLI decrypts it with the
/// user's identity: proof that the file is age, and of what is in it.
fn stored_token(env: &Env) -> String {
    let doc = crate::harness::age::decrypt(
        &env.bscred_home.join("data/identity.txt"),
        &env.bscred_home.join("data/vault-login/default.age"),
    );
    let names: Vec<&String> = doc["variables"]
        .as_object()
        .expect("variables")
        .keys()
        .collect();
    assert_eq!(
        names,
        ["VAULT_TOKEN"],
        "the login document holds the token only"
    );
    doc["variables"]["VAULT_TOKEN"]["value"]
        .as_str()
        .expect("a token")
        .to_string()
}

/// `status --json`'s `vault_token`.
fn token_status(env: &Env, now: &str) -> serde_json::Value {
    let out = run_at(env, now, &["status", "--json"]);
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    json["vault_token"].clone()
}

#[test]
fn userpass_login_keeps_the_token_encrypted_uses_renews_and_shows_it() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let policy = format!(
        "bscred-{}",
        bao::unique_path("p").rsplit('/').next().expect("name")
    );
    server.kv_policy(&policy);
    let mount = server.enable_auth("userpass");
    let password = "pw-Correct-Horse-7319";
    server.bao_ok(
        &[
            "write",
            &format!("auth/{mount}/users/alice"),
            "password=-",
            &format!("token_policies={policy}"),
            "token_ttl=1h",
            "token_max_ttl=24h",
        ],
        password.as_bytes(),
    );
    let (env, path) = profile(&server, "userpass");

    // No password on a pipe and no terminal: refused, nothing stored.
    let out = run_at(
        &env,
        LOGIN_AT,
        &[
            "vault",
            "login",
            "--method",
            "userpass",
            "--mount",
            &mount,
            "--username",
            "alice",
        ],
    );
    let text = assert_fails(&out, 2);
    assert!(text.contains("--password-stdin"), "{text}");
    // A wrong password: refused by the server, and not quoted back.
    let out = output_fed(
        bscred_at(&env, LOGIN_AT).args([
            "vault",
            "login",
            "--method",
            "userpass",
            "--mount",
            &mount,
            "--username",
            "alice",
            "--password-stdin",
        ]),
        b"not-the-password\n",
    );
    let text = assert_fails(&out, 4);
    assert!(!text.contains("not-the-password"), "{text}");
    assert!(
        !env.bscred_home
            .join("data/vault-login/default.age")
            .exists()
    );

    let out = output_fed(
        bscred_at(&env, LOGIN_AT).args([
            "vault",
            "login",
            "--method",
            "userpass",
            "--mount",
            &mount,
            "--username",
            "alice",
            "--password-stdin",
        ]),
        format!("{password}\n").as_bytes(),
    );
    assert_success(&out);
    let said = stderr(&out);
    assert!(
        said.contains("expires 2026-06-01 13:00 UTC, in 1 h 0 min, renewed when"),
        "{said}"
    );

    // The token is alice's, encrypted, and in no plaintext file; nor is the password.
    let token = stored_token(&env);
    let lookup: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(
        &server
            .bao_with(&["token", "lookup", "-format=json"], &token, b"")
            .stdout,
    ))
    .expect("lookup json");
    assert!(
        lookup["data"]["display_name"]
            .as_str()
            .is_some_and(|n| n.contains("alice")),
        "{lookup}"
    );
    for secret in [token.as_str(), password] {
        assert!(bao::files_containing(&env.bscred_home, secret).is_empty());
        assert!(bao::files_containing(&env.home, secret).is_empty());
    }

    // With VAULT_TOKEN unset, the login's token reads the profile.
    let out = run_at(&env, LOGIN_AT, &["get", "-n", "GITHUB_USERNAME"]);
    assert_success(&out);
    assert_eq!(stdout(&out), "octocat");
    // and writes it.
    let out = output_fed(
        bscred_at(&env, LOGIN_AT).args(["set", "FROM_LOGIN", "--stdin"]),
        b"yes",
    );
    assert_success(&out);
    assert_eq!(server.kv_get(&path)["FROM_LOGIN"], "yes");
    // VAULT_TOKEN comes first: a powerless one is refused, naming the
    // path and the capability, although the login's token would work.
    let powerless = server.powerless_token();
    let out = bscred_at(&env, LOGIN_AT)
        .env("VAULT_TOKEN", &powerless)
        .args(["get", "GITHUB_USERNAME"])
        .output()
        .expect("runs");
    let text = assert_fails(&out, 4);
    assert!(
        text.contains(&format!(
            "refused read on secret/data/{}",
            &path["secret/".len()..]
        )),
        "{text}"
    );

    // status: where the token comes from and when it expires.
    let out = run_at(&env, LOGIN_AT, &["status"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains(
            "token    `bscred vault login` (userpass as alice): expires 2026-06-01 13:00 UTC, in 1 h 0 min, renewable"
        ),
        "{}",
        stdout(&out)
    );
    let json = token_status(&env, LOGIN_AT);
    assert_eq!(json["expires_at"], "2026-06-01T13:00:00Z", "{json}");
    assert_eq!(json["renewable"], true);
    assert_eq!(json["source"], "`bscred vault login`");
    // No token exported, no reminder while more than half is left.
    let out = run_at(&env, "2026-06-01T12:20:00Z", &["exec", "--", "env"]);
    assert_success(&out);
    assert!(
        !stdout(&out).contains(&token),
        "the token reached the child"
    );
    assert_eq!(stderr(&out), "");
    assert_eq!(
        token_status(&env, LOGIN_AT)["expires_at"],
        "2026-06-01T13:00:00Z"
    );
    assert!(!renewed_on_server(&server, &token), "renewed too early");

    // Less than half left: renewed (the server says so), no reminder, and
    // the new expiry recorded.
    let out = run_at(&env, "2026-06-01T12:40:00Z", &["exec", "--", "true"]);
    assert_success(&out);
    assert_eq!(stderr(&out), "");
    assert_eq!(
        token_status(&env, "2026-06-01T12:40:00Z")["expires_at"],
        "2026-06-01T13:40:00Z"
    );
    assert!(
        renewed_on_server(&server, &token),
        "the server saw no renewal"
    );
}

/// Whether the server recorded a renewal of `token`.
fn renewed_on_server(server: &Server, token: &str) -> bool {
    let lookup: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(
        &server
            .bao_with(&["token", "lookup", "-format=json"], token, b"")
            .stdout,
    ))
    .expect("lookup json");
    lookup["data"]["last_renewal_time"]
        .as_i64()
        .is_some_and(|t| t > 0)
}

#[test]
fn approle_login_for_ci_and_a_reminder_for_a_token_that_cannot_be_renewed() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let policy = format!(
        "bscred-{}",
        bao::unique_path("p").rsplit('/').next().expect("name")
    );
    server.kv_policy(&policy);
    let mount = server.enable_auth("approle");
    // Batch tokens cannot be renewed: what CI usually gets.
    server.bao_ok(
        &[
            "write",
            &format!("auth/{mount}/role/ci"),
            &format!("token_policies={policy}"),
            "token_type=batch",
            "token_ttl=2h",
        ],
        b"",
    );
    let role_id = server.bao_ok(
        &[
            "read",
            "-field=role_id",
            &format!("auth/{mount}/role/ci/role-id"),
        ],
        b"",
    );
    let secret_id = server.bao_ok(
        &[
            "write",
            "-f",
            "-field=secret_id",
            &format!("auth/{mount}/role/ci/secret-id"),
        ],
        b"",
    );
    let (env, _) = profile(&server, "approle");

    let out = output_fed(
        bscred_at(&env, LOGIN_AT).args([
            "vault",
            "login",
            "--method",
            "approle",
            "--mount",
            &mount,
            "--role-id",
            &role_id,
            "--secret-id-stdin",
        ]),
        secret_id.as_bytes(),
    );
    assert_success(&out);
    assert!(stderr(&out).contains("not renewable"), "{}", stderr(&out));
    let token = stored_token(&env);
    for secret in [token.as_str(), secret_id.as_str()] {
        assert!(bao::files_containing(&env.bscred_home, secret).is_empty());
    }

    // env works with it, and reminds once: it expires within the window
    // and cannot be renewed.
    let out = run_at(&env, "2026-06-01T12:30:00Z", &["env", "--shell", "dotenv"]);
    assert_success(&out);
    assert_eq!(stdout(&out), "GITHUB_USERNAME='octocat'\n");
    assert_eq!(
        stderr(&out).trim_end(),
        "bscred: the Vault token of profile 'default' (approle login) expires 2026-06-01 14:00 UTC, in 1 h 30 min, and it cannot be renewed; log in again with `bscred vault login --method approle`"
    );
    // -q silences it.
    let out = run_at(&env, "2026-06-01T12:30:00Z", &["-q", "exec", "--", "true"]);
    assert_success(&out);
    assert_eq!(stderr(&out), "");
    // After the expiry the line says so plainly.
    let out = run_at(&env, "2026-06-01T15:00:00Z", &["exec", "--", "true"]);
    assert!(
        stderr(&out).contains("expired 2026-06-01 14:00 UTC, 1 h 0 min ago"),
        "{}",
        stderr(&out)
    );
    let json = token_status(&env, LOGIN_AT);
    assert_eq!(json["expires_at"], "2026-06-01T14:00:00Z", "{json}");
    assert_eq!(json["renewable"], false);
    assert_eq!(json["method"], "approle");

    // A login is for vault-backed profiles only.
    let own = Env::new();
    assert_success(&run_at(
        &own,
        LOGIN_AT,
        &["init", "--backend", "file", "--no-project-file"],
    ));
    let out = output_fed(
        bscred_at(&own, LOGIN_AT).args([
            "vault",
            "login",
            "--method",
            "approle",
            "--role-id",
            &role_id,
            "--secret-id-stdin",
        ]),
        secret_id.as_bytes(),
    );
    let text = assert_fails(&out, 2);
    assert!(text.contains("needs no Vault token"), "{text}");
}
