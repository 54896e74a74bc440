//! SSH keys as identities: `init --identity ~/.ssh/id_ed25519` (or RSA),
//! with and without a passphrase, read both by bscred and by the Go `age`.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::harness::pty::on_pty;
use crate::harness::{Env, TOKEN, age, assert_fails, have};

/// Makes an SSH key pair of `kind` in the test's HOME.
fn ssh_key(env: &Env, kind: &str, passphrase: &str) -> PathBuf {
    let path = env.home.join(format!("id_{kind}"));
    let mut args = vec![
        "-q",
        "-t",
        kind,
        "-N",
        passphrase,
        "-C",
        "dev@example",
        "-f",
    ];
    if kind == "rsa" {
        args.extend(["-b", "2048"]);
        // -f must stay last before the path.
        args.retain(|a| *a != "-f");
        args.push("-f");
    }
    let status = Command::new("ssh-keygen")
        .args(&args)
        .arg(&path)
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success());
    path
}

#[test]
fn ed25519_and_rsa_keys_without_a_passphrase_are_identities() {
    if !(have("ssh-keygen") && have("age")) {
        return;
    }
    for kind in ["ed25519", "rsa"] {
        let env = Env::new();
        let key = ssh_key(&env, kind, "");
        env.ok(&[
            "init",
            "--backend",
            "file",
            "--identity",
            key.to_str().expect("path"),
        ]);
        env.set("GITHUB_TOKEN", TOKEN);
        assert_eq!(env.get("GITHUB_TOKEN"), TOKEN, "{kind}");
        assert!(
            age::reads(&key, &env.store_path()),
            "{kind}: age cannot read it"
        );
        // No age identity of bscred's own was made.
        assert!(!env.identity_path().exists(), "{kind}");
        let settings = fs::read_to_string(env.bscred_home.join("config/profiles/default.toml"))
            .expect("settings");
        assert!(
            settings.contains(&format!(
                "ssh-{}",
                if kind == "rsa" { "rsa" } else { "ed25519" }
            )),
            "{settings}"
        );
    }
}

#[test]
fn a_passphrase_protected_ssh_key_asks_once_per_session() {
    if !(have("ssh-keygen") && have("script") && have("age")) {
        return;
    }
    for kind in ["ed25519", "rsa"] {
        let env = Env::new();
        let key = ssh_key(&env, kind, "correct horse");
        let args = format!(
            "init --backend file --no-token --identity '{}'",
            key.display()
        );
        // init reads the new store back, which needs the key: asked once.
        let (code, screen) = on_pty(&env, &[], &args, &[("passphrase", "correct horse\r")]);
        assert_eq!(code, Some(0), "{kind}: {screen}");
        assert!(!screen.contains("correct horse"), "{screen}");
        // Then the session cache holds the unlocked key: no terminal needed.
        env.set("GITHUB_TOKEN", TOKEN);
        assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);

        // Locked again: asked on the terminal; three wrong tries are exit 4.
        env.ok(&["lock"]);
        let text = assert_fails(&env.run(&["get", "GITHUB_TOKEN"]), 4);
        assert!(text.contains("no terminal"), "{text}");
        let (code, screen) = on_pty(
            &env,
            &[],
            "get GITHUB_TOKEN",
            &[("passphrase", "wrong\r"); 3],
        );
        assert_eq!(code, Some(4), "{screen}");
        assert!(!screen.contains(TOKEN), "{screen}");
        let (code, screen) = on_pty(
            &env,
            &[],
            "get GITHUB_TOKEN",
            &[("passphrase", "correct horse\r")],
        );
        assert_eq!(code, Some(0), "{screen}");
        assert!(screen.contains(TOKEN), "{screen}");

        // Scripts give it in a 0600 file.
        env.ok(&["lock"]);
        let file = env.passphrase_file("passphrase", "correct horse");
        let out = env.run(&[
            "--passphrase-file",
            file.to_str().expect("utf-8"),
            "get",
            "-n",
            "GITHUB_TOKEN",
        ]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), TOKEN, "{out:?}");
        env.ok(&["lock"]);
        // The key file itself is untouched: still encrypted for ssh.
        assert!(bscred::ssh_key::is_encrypted(&fs::read(&key).expect("key")));
    }
}

#[test]
fn an_ssh_key_without_its_public_half_is_refused_clearly() {
    if !have("ssh-keygen") {
        return;
    }
    let env = Env::new();
    let key = ssh_key(&env, "ed25519", "");
    fs::remove_file(key.with_extension("pub")).expect("rm .pub");
    let out = env.run(&[
        "init",
        "--backend",
        "file",
        "--identity",
        key.to_str().expect("path"),
    ]);
    let text = assert_fails(&out, 4);
    assert!(text.contains(".pub"), "{text}");
    assert!(text.contains("ssh-keygen -y"), "{text}");
}
