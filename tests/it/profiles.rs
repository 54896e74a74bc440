//! Several profiles at once: the personal token plus the team's OAuth
//! secret in one `bscred exec -- yarn dev`.

use std::fs;

use crate::harness::{Env, TOKEN, assert_fails, assert_success};

fn two_profiles() -> Env {
    let env = Env::initialised();
    env.ok(&["-p", "team", "init", "--backend", "file"]);
    env.set("GITHUB_TOKEN", TOKEN);
    env.ok(&["set", "SHARED", "personal"]);
    team_set(
        &env,
        "AUTH_GITHUB_CLIENT_SECRET",
        "team-secret",
        &["--plain"],
    );
    team_set(&env, "SHARED", "team", &["--plain"]);
    env
}

/// `bscred -p team set NAME --stdin FLAGS…` with `value` on stdin.
fn team_set(env: &Env, name: &str, value: &str, flags: &[&str]) {
    let mut args = vec!["-p", "team", "set", name, "--stdin"];
    args.extend(flags);
    assert_success(&env.run_stdin(&args, value.as_bytes()));
}

#[test]
fn exec_merges_profiles_in_order_and_warns_when_values_differ() {
    let env = two_profiles();
    let script = r#"printf '%s|%s|%s' "$GITHUB_TOKEN" "$AUTH_GITHUB_CLIENT_SECRET" "$SHARED""#;
    let out = env.run(&[
        "-p", "default", "-p", "team", "exec", "--", "sh", "-c", script,
    ]);
    assert_success(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{TOKEN}|team-secret|team")
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SHARED is set differently"), "{stderr}");
    assert!(stderr.contains("'team' wins"), "{stderr}");
    assert!(!stderr.contains(TOKEN), "{stderr}");

    // The other order: the personal value wins.
    let out = env.run(&[
        "-p", "team", "-p", "default", "exec", "--", "sh", "-c", script,
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("|personal"));

    // env merges the same way.
    let out = env.run(&["-p", "default", "-p", "team", "env", "--shell", "json"]);
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["AUTH_GITHUB_CLIENT_SECRET"], "team-secret");
    assert_eq!(json["GITHUB_TOKEN"], TOKEN);

    // A name in none of them: the message names every profile looked in.
    let out = env.run(&["-q", "-p", "default", "-p", "team", "env", "--only", "NOPE"]);
    let text = assert_fails(&out, 3);
    assert!(
        text.contains("no variable NOPE in profiles 'default', 'team'"),
        "{text}"
    );
}

#[test]
fn a_project_file_can_list_profiles() {
    let env = two_profiles();
    fs::write(
        env.work.join(".bscred.toml"),
        "profiles = [\"default\", \"team\"]\nrequired = [\"GITHUB_TOKEN\", \"AUTH_GITHUB_CLIENT_SECRET\"]\n",
    )
    .expect("write");
    env.ok(&["allow"]);
    let out = env.run(&[
        "exec",
        "--",
        "sh",
        "-c",
        "printf %s \"$AUTH_GITHUB_CLIENT_SECRET\"",
    ]);
    assert_success(&out);
    assert_eq!(out.stdout, b"team-secret");
    // A required variable neither holds: both are named.
    fs::write(
        env.work.join(".bscred.toml"),
        "profiles = [\"default\", \"team\"]\nrequired = [\"USER_EMAIL\"]\n",
    )
    .expect("write");
    env.ok(&["allow"]);
    let text = assert_fails(&env.run(&["-q", "env"]), 3);
    assert!(
        text.contains("profiles 'default', 'team' lack USER_EMAIL"),
        "{text}"
    );
    // `profile` and `profiles` together are a mistake, said when allowing.
    fs::write(
        env.work.join(".bscred.toml"),
        "profile = \"a\"\nprofiles = [\"b\"]\n",
    )
    .expect("write");
    let text = assert_fails(&env.run(&["allow"]), 1);
    assert!(text.contains("both"), "{text}");
}

#[test]
fn other_commands_take_one_profile() {
    let env = two_profiles();
    let before = env.files();
    for args in [
        &["-p", "default", "-p", "team", "get", "SHARED"][..],
        &["-p", "default", "-p", "team", "set", "X", "1"],
    ] {
        let text = assert_fails(&env.run(args), 2);
        assert!(text.contains("only `env` and `exec`"), "{text}");
    }
    crate::harness::assert_unchanged(&env, &before);
    // An uninitialised second profile: env says which.
    let text = assert_fails(&env.run(&["-p", "default", "-p", "nope", "env"]), 3);
    assert!(text.contains("'nope'"), "{text}");
}

#[test]
fn a_reminder_names_the_profile_that_holds_the_expiring_variable() {
    let env = two_profiles();
    team_set(
        &env,
        "AUTH_GITHUB_CLIENT_SECRET",
        "team-secret",
        &["--plain", "--expires", "2026-06-05"],
    );
    let out = env.run(&["-p", "default", "-p", "team", "exec", "--", "true"]);
    assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`bscred -p team rotate AUTH_GITHUB_CLIENT_SECRET`"),
        "{stderr}"
    );
    // The same variable read on its own from its profile says the same.
    let out = env.run(&["-p", "team", "env"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bscred -p team rotate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn profiles_lists_every_profile_without_decrypting() {
    let env = Env::new();
    let out = env.run(&["profiles"]);
    assert_success(&out);
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bscred init"));

    let env = two_profiles();
    team_set(&env, "DEPLOY_KEY", "k", &["--expires", "2026-06-05"]);
    // The identity away: nothing can be decrypted, yet profiles works.
    let identity = env.identity_path();
    let away = identity.with_extension("away");
    fs::rename(&identity, &away).expect("move identity away");
    let text = env.ok(&["-p", "team", "profiles"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].starts_with("  default "), "{text}");
    assert!(lines[2].starts_with("* team "), "{text}");
    assert!(lines[2].contains("2026-06-05 (in 4 days)"), "{text}");
    assert!(lines[2].contains("team.age"), "{text}");

    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["profiles", "list", "--json"])).expect("json");
    assert_eq!(json[0]["name"], "default");
    assert_eq!(json[0]["current"], true);
    assert_eq!(json[0]["variables"], 2);
    assert_eq!(json[0]["next_expiry"], serde_json::Value::Null);
    assert_eq!(json[1]["name"], "team");
    assert_eq!(json[1]["backend"], "file");
    assert_eq!(json[1]["variables"], 3);
    assert_eq!(json[1]["next_expiry"], "2026-06-05T00:00:00Z");
    fs::rename(&away, &identity).expect("restore identity");

    // A broken profile is named on stderr; the others are still listed.
    let settings = env.bscred_home.join("config/profiles/team.toml");
    fs::write(&settings, "backend = 42\n").expect("break it");
    let out = env.run(&["profiles"]);
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("default") && !stdout.contains("team"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("profile 'team' skipped"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn profiles_rm_deletes_one_profile_only_when_confirmed() {
    let env = two_profiles();
    let store = env.bscred_home.join("data/profiles/team.age");
    let before = env.files();

    // No terminal to ask on and no --yes: nothing is touched.
    let text = assert_fails(&env.run(&["profiles", "rm", "team"]), 1);
    assert!(text.contains("--yes"), "{text}");
    crate::harness::assert_unchanged(&env, &before);

    // A wrong name typed at the prompt keeps it too.
    let (code, screen) = crate::harness::pty::on_pty(
        &env,
        &[],
        "profiles rm team",
        &[("Type the profile name", "default\n")],
    );
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.contains("its 2 variables"), "{screen}");
    crate::harness::assert_unchanged(&env, &before);

    // The right name deletes it: store, metadata and settings, nothing else.
    let (code, screen) = crate::harness::pty::on_pty(
        &env,
        &[],
        "profiles rm team",
        &[("Type the profile name", "team\n")],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("the identity"), "{screen}");
    assert!(!store.exists());
    assert!(!env.bscred_home.join("config/profiles/team.toml").exists());
    assert!(!env.bscred_home.join("state/metadata/team.json").exists());
    assert!(env.identity_path().exists());
    assert_fails(&env.run(&["-p", "team", "get", "SHARED"]), 3);
    assert_eq!(env.ok(&["get", "SHARED"]), "personal\n");
    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["profiles", "--json"])).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    // An interrupted removal (store gone, settings left) is finished by
    // running it again.
    env.ok(&["-p", "team", "init", "--backend", "file"]);
    fs::remove_file(&store).expect("remove store");
    let out = env.run(&["profiles", "rm", "team", "--yes"]);
    assert_success(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already gone"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!env.bscred_home.join("config/profiles/team.toml").exists());
    // An unknown profile is exit 3.
    assert_fails(&env.run(&["profiles", "rm", "nope", "--yes"]), 3);
}

#[test]
fn profiles_rename_moves_a_file_profile_and_finishes_an_interrupted_one() {
    let env = two_profiles();
    let home = env.bscred_home.clone();
    let store = |name: &str| home.join(format!("data/profiles/{name}.age"));
    let settings = |name: &str| home.join(format!("config/profiles/{name}.toml"));

    // Names that are taken, the same, or unknown change nothing.
    let before = env.files();
    let text = assert_fails(&env.run(&["profiles", "rename", "team", "default"]), 1);
    assert!(text.contains("'default' already exists"), "{text}");
    assert_fails(&env.run(&["profiles", "rename", "team", "team"]), 2);
    assert_fails(&env.run(&["profiles", "rename", "nope", "other"]), 3);
    fs::write(store("stray"), b"not ours").expect("write");
    let text = assert_fails(&env.run(&["profiles", "rename", "team", "stray"]), 1);
    assert!(text.contains("never replaces a store"), "{text}");
    fs::remove_file(store("stray")).expect("remove");
    crate::harness::assert_unchanged(&env, &before);

    let out = env.run(&["profiles", "rename", "team", "work"]);
    assert_success(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("must now name 'work'"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!store("team").exists() && !settings("team").exists());
    assert_eq!(env.ok(&["-p", "work", "get", "SHARED"]), "team\n");
    assert_fails(&env.run(&["-p", "team", "get", "SHARED"]), 3);
    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["profiles", "--json"])).expect("json");
    assert_eq!(listed[1]["name"], "work");
    assert_eq!(listed[1]["variables"], 2);

    // Interrupted after the store moved, and after the settings were
    // written: a second run finishes either.
    for write_settings in [false, true] {
        fs::rename(store("work"), store("ops")).expect("move store");
        if write_settings {
            fs::copy(settings("work"), settings("ops")).expect("copy settings");
        }
        env.ok(&["profiles", "rename", "work", "ops"]);
        assert!(!settings("work").exists());
        assert_eq!(env.ok(&["-p", "ops", "get", "SHARED"]), "team\n");
        env.ok(&["profiles", "rename", "ops", "work"]);
    }
}

/// A rename that stops partway (here the metadata cannot move: a
/// directory stands where it goes) leaves a profile split between its two
/// names. Both names then say to run the rename again, never to restore a
/// backup, and running it again finishes it.
#[test]
fn an_interrupted_rename_says_to_run_it_again_and_a_rerun_finishes() {
    let env = two_profiles();
    let home = env.bscred_home.clone();
    let blocker = home.join("state/metadata/ops.json");
    fs::create_dir_all(blocker.join("x")).expect("block the metadata move");

    let out = env.run(&["profiles", "rename", "team", "ops"]);
    assert!(!out.status.success(), "the rename should stop partway");
    for name in ["team", "ops"] {
        let out = env.run(&["-p", name, "get", "SHARED"]);
        let text = crate::harness::stderr(&out);
        if name == "team" {
            assert_eq!(out.status.code(), Some(4), "{text}");
            assert!(!text.contains("backup"), "{text}");
            assert!(
                text.contains("`bscred profiles rename team ops` again"),
                "{text}"
            );
        } else {
            // Its settings and store are already in place.
            assert_success(&out);
        }
    }
    fs::remove_dir_all(&blocker).expect("unblock");
    env.ok(&["profiles", "rename", "team", "ops"]);
    assert_eq!(env.ok(&["-p", "ops", "get", "SHARED"]), "team\n");
    let text = assert_fails(&env.run(&["-p", "team", "get", "SHARED"]), 3);
    assert!(text.contains("not initialised"), "{text}");
    assert!(!home.join("state/renames/team.to").exists());
}
