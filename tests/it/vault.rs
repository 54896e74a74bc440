//! The vault backend against a real OpenBao: the dev server scripts/test.sh
//! starts, private dev servers a test stops or seals, a hung listener, and a
//! 3-node raft cluster whose leader is killed. Values reach bscred on stdin
//! and the token in its environment, never in argv.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::harness::bao::{self, Cluster, Server};
use crate::harness::process::{finish, output_fed, spawn_fed};
use crate::harness::{Env, NOW, TOKEN, assert_fails, assert_success, stderr, stdout};

/// bscred in `env`'s sealed environment with `token` as VAULT_TOKEN.
fn bscred(env: &Env, token: &str) -> Command {
    let mut cmd = env.sealed(crate::harness::bin());
    cmd.env("VAULT_TOKEN", token);
    cmd
}

fn run(env: &Env, token: &str, args: &[&str]) -> Output {
    bscred(env, token).args(args).output().expect("bscred runs")
}

fn ok(env: &Env, token: &str, args: &[&str]) -> String {
    let out = run(env, token, args);
    assert_success(&out);
    stdout(&out)
}

fn set(env: &Env, token: &str, name: &str, value: &str) {
    let out = output_fed(
        bscred(env, token).args(["set", name, "--stdin"]),
        value.as_bytes(),
    );
    assert_success(&out);
}

/// `init --backend vault` for `addrs` and the KV `path`.
fn init(env: &Env, token: &str, addrs: &[String], path: &str) -> Output {
    let mut args = vec!["init", "--backend", "vault", "--no-project-file"];
    for addr in addrs {
        args.extend(["--vault-addr", addr]);
    }
    args.extend(["--vault-path", path]);
    run(env, token, &args)
}

/// bscred's metadata secret for `path`, its `metadata` field parsed.
fn metadata(server: &Server, path: &str) -> serde_json::Value {
    let fields = server.kv_get(&format!("{path}.bscred"));
    assert_eq!(fields["format"], "bscred-vault-metadata");
    serde_json::from_str(fields["metadata"].as_str().expect("a string")).expect("json")
}

#[test]
fn every_command_works_and_bao_reads_what_bscred_wrote() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let path = bao::unique_path("commands");
    let env = Env::new();
    let t = &server.token;
    assert_success(&init(&env, t, std::slice::from_ref(&server.addr), &path));

    set(&env, t, "GITHUB_TOKEN", TOKEN);
    set(&env, t, "GITHUB_USERNAME", "octocat");
    let out = output_fed(
        bscred(&env, t).args(["set", "API_KEY", "--stdin", "--expires-in", "30d"]),
        b"k-123",
    );
    assert_success(&out);

    // The team sees exactly the variables, one field each.
    let fields = server.kv_get(&path);
    assert_eq!(fields["GITHUB_TOKEN"], TOKEN);
    assert_eq!(fields["GITHUB_USERNAME"], "octocat");
    assert_eq!(fields.as_object().expect("object").len(), 3, "{fields}");
    // bscred's metadata is in the sibling secret, with no value in it.
    let meta = metadata(&server, &path);
    assert_eq!(meta["variables"]["GITHUB_TOKEN"]["secret"], true);
    assert_eq!(meta["variables"]["GITHUB_USERNAME"]["secret"], false);
    assert!(meta["variables"]["API_KEY"]["expires_at"].is_string());
    assert!(!meta.to_string().contains(TOKEN));

    // And bscred reads what `bao kv patch` wrote.
    server.kv_patch(&path, "AUTH_GITHUB_CLIENT_SECRET", "from-bao");
    assert_eq!(
        ok(&env, t, &["get", "-n", "AUTH_GITHUB_CLIENT_SECRET"]),
        "from-bao"
    );
    let list: serde_json::Value =
        serde_json::from_str(&ok(&env, t, &["list", "--json"])).expect("json");
    let text = list.to_string();
    assert!(text.contains("AUTH_GITHUB_CLIENT_SECRET"), "{text}");
    assert!(!text.contains(TOKEN), "list leaked a value: {text}");

    // A value changed behind bscred's back loses the expiry of the old one.
    server.kv_patch(&path, "API_KEY", "k-456");
    let list: serde_json::Value =
        serde_json::from_str(&ok(&env, t, &["list", "--json"])).expect("json");
    let api = list["variables"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == "API_KEY"))
        .cloned()
        .unwrap_or_else(|| list["variables"]["API_KEY"].clone());
    assert!(api["expires_at"].is_null(), "{list}");

    // env and exec hand the values out.
    let dotenv = ok(&env, t, &["env", "--shell", "dotenv"]);
    assert!(
        dotenv.contains(&format!("GITHUB_TOKEN='{TOKEN}'")),
        "{dotenv}"
    );
    let child = ok(
        &env,
        t,
        &["exec", "--", "sh", "-c", "printf %s \"$GITHUB_USERNAME\""],
    );
    assert_eq!(child, "octocat");

    // import, rm, status, check.
    std::fs::write(env.work.join(".env"), "IMPORTED=yes\n").expect("write .env");
    ok(&env, t, &["import", ".env"]);
    assert_eq!(server.kv_get(&path)["IMPORTED"], "yes");
    ok(&env, t, &["rm", "IMPORTED"]);
    assert!(server.kv_get(&path).get("IMPORTED").is_none());
    let status = ok(&env, t, &["status", "--json"]);
    assert!(status.contains("\"vault\""), "{status}");
    let check = run(&env, t, &["check"]);
    assert!(
        matches!(check.status.code(), Some(0 | 10)),
        "{}",
        stderr(&check)
    );

    // A second `init` of another home on the same path joins the secret.
    let teammate = Env::new();
    assert_success(&init(
        &teammate,
        t,
        std::slice::from_ref(&server.addr),
        &path,
    ));
    assert_eq!(
        ok(&teammate, t, &["get", "-n", "GITHUB_USERNAME"]),
        "octocat"
    );
}

#[test]
fn twenty_parallel_sets_from_two_homes_all_land() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let path = bao::unique_path("parallel");
    let t = &server.token;
    let homes = [Env::new(), Env::new()];
    for home in &homes {
        assert_success(&init(home, t, std::slice::from_ref(&server.addr), &path));
    }
    let children: Vec<_> = (0..20)
        .map(|i| {
            let home = &homes[i % 2];
            let name = format!("VAR_{i:02}");
            spawn_fed(
                bscred(home, t)
                    .env("BSCRED_VAULT_TIMEOUT", "20")
                    .args(["set", &name, "--stdin"]),
                format!("value-{i}").as_bytes(),
            )
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let out = finish(child, &format!("set VAR_{i:02}"), Duration::from_secs(120));
        assert_success(&out);
    }
    let fields = server.kv_get(&path);
    for i in 0..20 {
        assert_eq!(
            fields[format!("VAR_{i:02}")],
            format!("value-{i}"),
            "{fields}"
        );
    }
    let meta = metadata(&server, &path);
    assert_eq!(
        meta["variables"].as_object().expect("object").len(),
        20,
        "every variable has its metadata: {meta}"
    );
}

#[test]
fn the_same_variable_changed_by_both_is_a_conflict_and_nothing_is_written() {
    use bscred::secret::Secret;
    use bscred::store::Store;
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let path = bao::unique_path("conflict");
    let (mine, theirs) = (
        contract::store(&server, &path),
        contract::store(&server, &path),
    );
    mine.create(&bscred::store::Document::default())
        .expect("create");
    let name: bscred::secret::VarName = "SHARED".parse().expect("name");
    let other: bscred::secret::VarName = "OTHER".parse().expect("name");
    let now: jiff::Timestamp = NOW.parse().expect("time");
    let value = |s: &str| Secret::new(s.to_string()).expect("value");

    // My write of `mine` to SHARED, with a teammate's write of `theirs`
    // (to `their_name`) landing between my read and my write.
    let race = |their_name: &bscred::secret::VarName, theirs_value: &str, mine_value: &str| {
        let mut raced = false;
        mine.update(&mut |doc| {
            if !raced {
                raced = true;
                theirs
                    .update(&mut |d| {
                        d.upsert(their_name.clone(), value(theirs_value), false, None, now);
                        Ok(())
                    })
                    .expect("teammate writes");
            }
            doc.upsert(name.clone(), value(mine_value), false, None, now);
            Ok(())
        })
    };

    // Another variable: mine is applied again on top of theirs; both land.
    race(&other, "theirs", "mine").expect("a race on different variables is not a conflict");
    let fields = server.kv_get(&path);
    assert_eq!(
        (fields["SHARED"].as_str(), fields["OTHER"].as_str()),
        (Some("mine"), Some("theirs"))
    );

    // The same variable: the second writer is refused, naming it (exit 6).
    let error = race(&name, "theirs-too", "mine-again")
        .expect_err("a change to the same variable must not overwrite");
    assert_eq!(error.exit().code(), 6, "{error}");
    assert!(error.to_string().contains("SHARED"), "{error}");
    assert!(!error.render().contains("theirs-too") && !error.render().contains("mine-again"));
    assert_eq!(server.kv_get(&path)["SHARED"], "theirs-too");
}

#[test]
fn a_stopped_server_serves_the_offline_copy_until_it_is_too_old() {
    if !bao::have_bao() {
        return;
    }
    let mut server = Server::dev();
    let path = "secret/app".to_string();
    let env = Env::new();
    let t = server.token.clone();
    assert_success(&init(&env, &t, std::slice::from_ref(&server.addr), &path));
    set(&env, &t, "GITHUB_TOKEN", TOKEN);
    ok(&env, &t, &["env"]); // a successful read keeps the copy
    let copy = env.bscred_home.join("data/offline/default.age");
    assert!(copy.is_file());
    assert!(
        bao::files_containing(&env.bscred_home, TOKEN).is_empty(),
        "the copy is encrypted"
    );
    server.stop();

    // env: the copy, with one line giving its age.
    let out = run(&env, &t, &["env", "--shell", "dotenv"]);
    assert_success(&out);
    assert!(stdout(&out).contains(TOKEN));
    let notice = stderr(&out);
    assert_eq!(notice.lines().count(), 1, "{notice}");
    assert!(notice.contains("offline copy from 0 min ago"), "{notice}");
    let out = run(
        &env,
        &t,
        &["exec", "--", "sh", "-c", "printf %s \"$GITHUB_TOKEN\""],
    );
    assert_success(&out);
    assert_eq!(stdout(&out), TOKEN);

    // Other commands never use it.
    assert_fails(&run(&env, &t, &["get", "GITHUB_TOKEN"]), 4);

    // Older than 24 hours: exit 4 (125 from exec), with a hint.
    let later = "2026-06-02T13:00:00Z";
    let out = bscred(&env, &t)
        .env("BSCRED_TEST_NOW", later)
        .args(["env"])
        .output()
        .expect("runs");
    let text = assert_fails(&out, 4);
    assert!(text.contains("older than"), "{text}");
    let out = bscred(&env, &t)
        .env("BSCRED_TEST_NOW", later)
        .args(["exec", "--", "true"])
        .output()
        .expect("runs");
    assert_fails(&out, 125);
}

#[test]
fn refusals_are_final_403_deletes_the_copy_and_sealed_never_falls_back() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::dev();
    let env = Env::new();
    let t = server.token.clone();
    assert_success(&init(
        &env,
        &t,
        std::slice::from_ref(&server.addr),
        "secret/app",
    ));
    set(&env, &t, "GITHUB_TOKEN", TOKEN);
    ok(&env, &t, &["env"]);
    let copy = env.bscred_home.join("data/offline/default.age");
    assert!(copy.is_file());

    // 403: says which path and capability, no offline copy, and the copy goes.
    let powerless = server.powerless_token();
    let out = run(&env, &powerless, &["env"]);
    let text = assert_fails(&out, 4);
    assert!(text.contains("read on secret/data/app"), "{text}");
    assert!(!text.contains("offline"), "{text}");
    assert!(!text.contains(&powerless), "the token leaked: {text}");
    assert!(!copy.exists(), "a 403 deletes the offline copy");

    // Sealed: exit 4 (125 from exec), never the offline copy.
    ok(&env, &t, &["env"]);
    assert!(copy.is_file());
    let sealed = server.bao(&["operator", "seal"]);
    assert!(
        sealed.status.success(),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    let text = assert_fails(&run(&env, &t, &["env"]), 4);
    assert!(text.contains("sealed"), "{text}");
    assert_fails(&run(&env, &t, &["exec", "--", "true"]), 125);
}

#[test]
fn a_hung_server_is_left_within_the_deadline_and_the_next_address_answers() {
    if !bao::have_bao() {
        return;
    }
    // Accepts connections and never answers.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hung_addr = format!("http://{}", hung.local_addr().expect("addr"));
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in hung.incoming().take(64) {
            open.push(stream);
        }
    });
    let server = Server::shared();
    let t = &server.token;

    let alone = Env::new();
    let start = Instant::now();
    let out = bscred(&alone, t)
        .env("BSCRED_VAULT_TIMEOUT", "1")
        .args([
            "init",
            "--backend",
            "vault",
            "--no-project-file",
            "--vault-addr",
            &hung_addr,
        ])
        .args(["--vault-path", &bao::unique_path("hung")])
        .output()
        .expect("runs");
    // (init says what identity it created before it reaches the server.)
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(
        stderr(&out).contains("no answer within 1.0 s"),
        "{}",
        stderr(&out)
    );

    // With a live address after it, the hung one costs one deadline.
    let env = Env::new();
    let path = bao::unique_path("hung-then-live");
    let addrs = [hung_addr.clone(), server.addr.clone()];
    let mut cmd = bscred(&env, t);
    cmd.env("BSCRED_VAULT_TIMEOUT", "1")
        .args(["init", "--backend", "vault", "--no-project-file"]);
    for a in &addrs {
        cmd.args(["--vault-addr", a]);
    }
    assert_success(&cmd.args(["--vault-path", &path]).output().expect("runs"));
    let out = output_fed(
        bscred(&env, t)
            .env("BSCRED_VAULT_TIMEOUT", "1")
            .args(["set", "PLAIN_ONE", "--stdin"]),
        b"v",
    );
    assert_success(&out);
    assert_eq!(server.kv_get(&path)["PLAIN_ONE"], "v");
    drop(held);
}

#[test]
fn the_vault_token_never_reaches_children_errors_or_files() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let t = &server.token;
    let env = Env::new();
    let path = bao::unique_path("token");
    assert_success(&init(&env, t, std::slice::from_ref(&server.addr), &path));
    set(&env, t, "GITHUB_USERNAME", "octocat");
    // The child's environment: the profile's variables, not the token.
    let dump = ok(&env, t, &["exec", "--", "env"]);
    assert!(dump.contains("GITHUB_USERNAME=octocat"), "{dump}");
    assert!(
        !dump.contains(t.as_str()),
        "the Vault token reached the child"
    );
    let dump = bscred(&env, "")
        .env_remove("VAULT_TOKEN")
        .env("BAO_TOKEN", t)
        .args(["exec", "--", "env"])
        .output()
        .expect("runs");
    assert_success(&dump);
    assert!(!stdout(&dump).contains(t.as_str()));
    // Not in any file bscred wrote, nor in an error.
    assert!(bao::files_containing(&env.bscred_home, t).is_empty());
    let out = run(&env, t, &["get", "MISSING"]);
    assert!(!stderr(&out).contains(t.as_str()));
    // A wrong token is refused, and not quoted back.
    let out = run(&env, "s.wrong-token-value", &["get", "GITHUB_USERNAME"]);
    let text = assert_fails(&out, 4);
    assert!(!text.contains("wrong-token-value"), "{text}");
    // No token at all: exit 4, a hint naming the ways to give one.
    let out = bscred(&env, "")
        .env_remove("VAULT_TOKEN")
        .args(["get", "GITHUB_USERNAME"])
        .output()
        .expect("runs");
    let text = assert_fails(&out, 4);
    assert!(text.contains("VAULT_TOKEN"), "{text}");
}

#[test]
fn a_thousand_variables_fit() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let t = &server.token;
    let env = Env::new();
    let path = bao::unique_path("thousand");
    assert_success(&init(&env, t, std::slice::from_ref(&server.addr), &path));
    let dotenv: String = (0..1000)
        .map(|i| format!("VAR_{i:04}=value-{i}\n"))
        .collect();
    std::fs::write(env.work.join("big.env"), dotenv).expect("write");
    ok(&env, t, &["import", "big.env"]);
    let out = ok(&env, t, &["env", "--shell", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json.as_object().expect("object").len(), 1000);
    assert_eq!(json["VAR_0999"], "value-999");
    assert_eq!(
        server.kv_get(&path).as_object().expect("object").len(),
        1000
    );
}

#[test]
fn migrate_to_vault_and_back_keeps_every_variable() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let t = &server.token;
    let env = Env::new();
    let out = run(&env, t, &["init", "--backend", "file", "--no-project-file"]);
    assert_success(&out);
    set(&env, t, "GITHUB_TOKEN", TOKEN);
    set(&env, t, "GITHUB_USERNAME", "octocat");
    let before = ok(&env, t, &["list", "--json"]);
    let path = bao::unique_path("migrate");
    ok(
        &env,
        t,
        &[
            "migrate",
            "--to",
            "vault",
            "--vault-addr",
            &server.addr,
            "--vault-path",
            &path,
        ],
    );
    assert_eq!(server.kv_get(&path)["GITHUB_TOKEN"], TOKEN);
    assert!(
        !env.bscred_home.join("data/profiles/default.age").exists(),
        "the file copy went"
    );
    assert_eq!(ok(&env, t, &["get", "-n", "GITHUB_TOKEN"]), TOKEN);
    let strip = |s: &str| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(s).expect("json");
        v.as_object_mut().map(|o| {
            o.remove("backend");
            o.remove("store")
        });
        v["variables"].clone()
    };
    assert_eq!(strip(&ok(&env, t, &["list", "--json"])), strip(&before));

    ok(&env, t, &["migrate", "--to", "file"]);
    assert_eq!(ok(&env, t, &["get", "-n", "GITHUB_TOKEN"]), TOKEN);
    assert_eq!(strip(&ok(&env, t, &["list", "--json"])), strip(&before));
    // The team's secret stays for the others who read it.
    assert_eq!(server.kv_get(&path)["GITHUB_USERNAME"], "octocat");
}

// The cluster runs raft at performance_multiplier = 1 and has every node a
// voter before the kill (harness/bao.rs): a new leader is then active within
// a few seconds, while the standbys answer 307 and bscred keeps asking the
// configured addresses in rounds.
#[test]
fn set_and_exec_keep_working_while_the_raft_leader_is_killed() {
    if !bao::have_bao() {
        return;
    }
    let mut cluster = Cluster::start();
    let t = cluster.token.clone();
    let env = Env::new();
    let addrs = cluster.addrs();
    let out = init(&env, &t, &addrs, "secret/app");
    assert_success(&out);
    set(&env, &t, "BEFORE", "1");

    let leader = cluster.leader();
    cluster.nodes[leader].kill();
    // While the others elect a new leader: every command succeeds, and
    // `exec` is served by the server, not the offline copy.
    for i in 0..5 {
        let out = output_fed(
            bscred(&env, &t).env("BSCRED_VAULT_TIMEOUT", "20").args([
                "set",
                &format!("DURING_{i}"),
                "--stdin",
            ]),
            format!("{i}").as_bytes(),
        );
        assert_success(&out);
        let out = bscred(&env, &t)
            .env("BSCRED_VAULT_TIMEOUT", "20")
            .args(["exec", "--", "sh", "-c", "printf %s \"$BEFORE\""])
            .output()
            .expect("runs");
        assert_success(&out);
        assert_eq!(stdout(&out), "1");
        assert!(!stderr(&out).contains("offline"), "{}", stderr(&out));
    }
    assert_ne!(cluster.leader(), leader, "a new leader was elected");
    let fields = cluster.kv_get("secret/app");
    assert_eq!(fields["BEFORE"], "1");
    for i in 0..5 {
        assert_eq!(fields[format!("DURING_{i}")], format!("{i}"), "{fields}");
    }
}

/// The store contract's vault backend, shared with `store_contract.rs`.
pub mod contract {
    use bscred::store::vault::{VaultSettings, VaultStore};
    use bscred::vault::VaultEnv;

    use crate::harness::bao::Server;

    /// A vault store on `path` (MOUNT/PATH) of `server`, with its root token.
    pub fn store(server: &Server, path: &str) -> VaultStore {
        let (mount, path) = bscred::vault::split_path(path).expect("path");
        let settings = VaultSettings {
            addrs: vec![server.addr.clone()],
            mount,
            path,
            namespace: None,
            cacert: None,
            offline_max_hours: Some(0),
            accepted: Default::default(),
        };
        let env = VaultEnv {
            token: Some(secrecy::SecretString::from(server.token.clone())),
            ..VaultEnv::default()
        };
        VaultStore::new("contract", settings, env, None, None)
    }
}

#[test]
fn names_that_run_code_never_leave_a_vault_profile_even_when_accepted() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let t = &server.token;
    let env = Env::new();
    let path = bao::unique_path("floor");
    assert_success(&init(&env, t, std::slice::from_ref(&server.addr), &path));
    set(&env, t, "GITHUB_USERNAME", "octocat");
    server.kv_patch(&path, "LD_PRELOAD", "/tmp/evil.so");
    server.kv_patch(&path, "BASH_ENV", "/tmp/evil.sh");
    // Accepting them records them, and says they stay out.
    let out = run(&env, t, &["allow", "-p", "default"]);
    assert_success(&out);
    let said = stderr(&out);
    assert!(said.contains("BASH_ENV, LD_PRELOAD run code"), "{said}");
    let out = run(&env, t, &["env", "--shell", "dotenv"]);
    assert_success(&out);
    let exported = stdout(&out);
    assert!(exported.contains("GITHUB_USERNAME='octocat'"), "{exported}");
    assert!(
        !exported.contains("LD_PRELOAD") && !exported.contains("BASH_ENV"),
        "{exported}"
    );
    let notice = stderr(&out);
    assert_eq!(notice.lines().count(), 1, "{notice}");
    assert!(
        notice.contains("BASH_ENV, LD_PRELOAD, which run code"),
        "{notice}"
    );
    // The user's own config lets one through by name, and only that one.
    let config = env.bscred_home.join("config/config.toml");
    std::fs::create_dir_all(config.parent().expect("dir")).expect("mkdir");
    std::fs::write(&config, "allow_variables = [\"BASH_ENV\"]\n").expect("write config");
    let exported = ok(&env, t, &["env", "--shell", "dotenv"]);
    assert!(exported.contains("BASH_ENV='/tmp/evil.sh'"), "{exported}");
    assert!(!exported.contains("LD_PRELOAD"), "{exported}");
}

/// The `accepted` names in `env`'s own settings of profile `default`.
fn accepted(env: &Env) -> Vec<String> {
    let text = std::fs::read_to_string(env.bscred_home.join("config/profiles/default.toml"))
        .expect("settings");
    let settings: toml::Value = toml::from_str(&text).expect("toml");
    settings["vault"]
        .get("accepted")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().expect("a name").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_name_a_teammate_adds_is_left_out_until_allow_p_accepts_it() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let t = &server.token;
    let path = bao::unique_path("accepted");
    let (me, teammate) = (Env::new(), Env::new());
    assert_success(&init(&me, t, std::slice::from_ref(&server.addr), &path));
    set(&me, t, "GITHUB_USERNAME", "octocat");
    // What I set through bscred is mine, so accepted.
    assert_eq!(accepted(&me), ["GITHUB_USERNAME"]);

    // The teammate joins: what is there is someone else's until accepted.
    let out = init(&teammate, t, std::slice::from_ref(&server.addr), &path);
    assert_success(&out);
    assert!(
        stderr(&out).contains("holds GITHUB_USERNAME, which others wrote"),
        "{}",
        stderr(&out)
    );
    let out = run(&teammate, t, &["env", "--shell", "dotenv"]);
    assert_success(&out);
    assert_eq!(stdout(&out), "", "nothing accepted, nothing exported");
    set(&teammate, t, "TEAM_ADDED", "from-the-teammate");

    // Mine: the new name is left out of env and exec, with one line naming it.
    let out = run(&me, t, &["env", "--shell", "dotenv"]);
    assert_success(&out);
    assert_eq!(stdout(&out), "GITHUB_USERNAME='octocat'\n");
    let notice = stderr(&out);
    assert_eq!(notice.lines().count(), 1, "{notice}");
    assert!(
        notice.contains("left out of profile 'default': TEAM_ADDED"),
        "{notice}"
    );
    assert!(notice.contains("bscred allow -p default"), "{notice}");
    assert!(!notice.contains("from-the-teammate"), "{notice}");
    let out = run(
        &me,
        t,
        &[
            "exec",
            "--",
            "sh",
            "-c",
            "printf %s \"${TEAM_ADDED-unset}\"",
        ],
    );
    assert_success(&out);
    assert_eq!(stdout(&out), "unset");
    // `get` names the variable itself, so it answers.
    assert_eq!(
        ok(&me, t, &["get", "-n", "TEAM_ADDED"]),
        "from-the-teammate"
    );

    // `allow -p` lists it and records it in my own settings, and only mine.
    let out = run(&me, t, &["allow", "-p", "default"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("accepted for profile 'default': TEAM_ADDED"),
        "{}",
        stderr(&out)
    );
    assert_eq!(accepted(&me), ["GITHUB_USERNAME", "TEAM_ADDED"]);
    assert_eq!(accepted(&teammate), ["TEAM_ADDED"]);
    let out = run(&me, t, &["env", "--shell", "dotenv"]);
    assert_success(&out);
    assert_eq!(
        stdout(&out),
        "GITHUB_USERNAME='octocat'\nTEAM_ADDED='from-the-teammate'\n"
    );
    assert_eq!(stderr(&out), "");
    let out = run(
        &me,
        t,
        &[
            "exec",
            "--",
            "sh",
            "-c",
            "printf %s \"${TEAM_ADDED-unset}\"",
        ],
    );
    assert_eq!(stdout(&out), "from-the-teammate");
    // Nothing new: said so, nothing changed.
    let out = run(&me, t, &["allow", "-p", "default"]);
    assert_success(&out);
    assert!(stderr(&out).contains("nothing new"), "{}", stderr(&out));

    // The teammate accepts mine in turn and gets both.
    ok(&teammate, t, &["allow", "-p", "default"]);
    let both = ok(&teammate, t, &["env", "--shell", "dotenv"]);
    assert!(both.contains("GITHUB_USERNAME='octocat'"), "{both}");

    // -p on a profile that is not vault-backed is a usage error.
    let own = Env::new();
    assert_success(&run(
        &own,
        t,
        &["init", "--backend", "file", "--no-project-file"],
    ));
    let text = assert_fails(&run(&own, t, &["allow", "-p", "default"]), 2);
    assert!(text.contains("only a vault-backed profile"), "{text}");
}

#[test]
fn a_project_file_names_a_vault_profile_and_never_a_server() {
    if !bao::have_bao() {
        return;
    }
    // A listener that would see any token sent its way.
    let spy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    spy.set_nonblocking(true).expect("nonblocking");
    let spy_addr = format!("http://{}", spy.local_addr().expect("addr"));
    let server = Server::shared();
    let t = &server.token;
    let env = Env::new();
    let path = bao::unique_path("project");
    let mut args = vec!["-p", "team"];
    args.extend(["init", "--backend", "vault", "--no-project-file"]);
    args.extend(["--vault-addr", &server.addr, "--vault-path", &path]);
    assert_success(&run(&env, t, &args));
    let out = output_fed(
        bscred(&env, t).args(["-p", "team", "set", "GITHUB_USERNAME", "--stdin"]),
        b"octocat",
    );
    assert_success(&out);

    let project = env.work.join(".bscred.toml");
    for text in [
        format!("profile = \"team\"\nvault_addr = \"{spy_addr}\"\n"),
        format!("profile = \"team\"\n[vault]\naddrs = [\"{spy_addr}\"]\n"),
    ] {
        std::fs::write(&project, &text).expect("write project file");
        let said = assert_fails(&run(&env, t, &["allow"]), 1);
        assert!(said.contains("never a Vault server"), "{said}");
        // Not allowed, so it chooses nothing: the default profile is not there.
        let out = run(&env, t, &["env"]);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert!(stderr(&out).contains("not allowed yet"), "{}", stderr(&out));
    }
    // Naming the profile is what a project file may do.
    std::fs::write(&project, "profile = \"team\"\n").expect("write project file");
    assert_success(&run(&env, t, &["allow"]));
    let out = bscred(&env, t)
        .env("VAULT_ADDR", &spy_addr)
        .args(["env", "--shell", "dotenv"])
        .output()
        .expect("runs");
    assert_success(&out);
    assert_eq!(stdout(&out), "GITHUB_USERNAME='octocat'\n");
    // VAULT_ADDR was no address given at init: nothing went there.
    match spy.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("something connected to the spy: {other:?}"),
    }
}

#[test]
fn removing_a_vault_profile_leaves_the_teams_secret_on_the_server() {
    if !bao::have_bao() {
        return;
    }
    let server = Server::shared();
    let t = &server.token;
    let env = Env::new();
    let path = bao::unique_path("profiles-rm");
    assert_success(&init(&env, t, std::slice::from_ref(&server.addr), &path));
    set(&env, t, "GITHUB_USERNAME", "octocat");
    // A read leaves the offline copy on this machine.
    assert!(ok(&env, t, &["env", "--shell", "json"]).contains("octocat"));
    let offline = env.bscred_home.join("data/offline/default.age");
    assert!(offline.exists(), "the read left an offline copy");
    let out = run(&env, t, &["profiles", "rm", "default", "--yes"]);
    assert_success(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("left in place"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The team's secret, and bscred's metadata beside it, are still there.
    assert_eq!(server.kv_get(&path)["GITHUB_USERNAME"], "octocat");
    assert_eq!(
        metadata(&server, &path)["variables"]["GITHUB_USERNAME"]["secret"],
        false
    );
    // This machine's copy is gone.
    assert!(!offline.exists(), "the offline copy stayed");
    assert!(
        !env.bscred_home
            .join("config/profiles/default.toml")
            .exists()
    );
}
