//! `bscred identity export|import`: a backup of the identity that opens
//! the stores, plain or passphrase-encrypted, round trips without loss.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::harness::{Env, TOKEN, assert_fails, assert_success, have, on_pty};

#[test]
fn a_plain_export_is_a_private_identity_the_go_age_cli_reads() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let backup = env.home.join("backup.txt");
    let out = env.run(&["identity", "export", backup.to_str().expect("utf-8")]);
    assert_success(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("AGE-SECRET-KEY"));
    let mode = fs::metadata(&backup).expect("backup").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        fs::read(&backup).expect("backup"),
        fs::read(env.identity_path()).expect("identity")
    );
    if have("age") {
        let out = Command::new("age")
            .args(["-d", "-i"])
            .arg(&backup)
            .arg(env.store_path())
            .output()
            .expect("age runs");
        assert!(String::from_utf8_lossy(&out.stdout).contains(TOKEN));
    }

    // Never over an existing file, whatever it holds.
    fs::write(&backup, b"something else").expect("write");
    let text = assert_fails(
        &env.run(&["identity", "export", backup.to_str().expect("utf-8")]),
        1,
    );
    assert!(text.contains("already exists"), "{text}");
    assert_eq!(fs::read(&backup).expect("backup"), b"something else");
}

#[test]
fn a_passphrase_backup_round_trips_and_a_wrong_passphrase_restores_nothing() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let backup = env.home.join("backup.age");
    let export = format!("identity export --passphrase '{}'", backup.display());

    // Two different passphrases: nothing is written.
    let (code, screen) = on_pty(
        &env,
        &[],
        &export,
        &[("Passphrase for the backup", "one\r"), ("again", "two\r")],
    );
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.contains("differ"), "{screen}");
    assert!(!backup.exists());

    let (code, screen) = on_pty(
        &env,
        &[],
        &export,
        &[
            ("Passphrase for the backup", "correct horse\r"),
            ("again", "correct horse\r"),
        ],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains("correct horse"), "echoed: {screen}");
    let armored = fs::read_to_string(&backup).expect("backup");
    assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    assert!(!armored.contains("AGE-SECRET-KEY"));

    // On a new machine: a wrong passphrase restores nothing, the right one
    // restores a key that opens the old store.
    let restored = env.home.join("restored.txt");
    let import = format!(
        "identity import '{}' --to '{}'",
        backup.display(),
        restored.display()
    );
    let (code, screen) = on_pty(&env, &[], &import, &[("Passphrase for", "wrong\r")]);
    assert_eq!(code, Some(4), "{screen}");
    assert!(screen.contains("passphrase is wrong"), "{screen}");
    assert!(!restored.exists());
    let (code, screen) = on_pty(&env, &[], &import, &[("Passphrase for", "correct horse\r")]);
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(
        fs::read(&restored).expect("restored"),
        fs::read(env.identity_path()).expect("identity")
    );
    let mode = fs::metadata(&restored)
        .expect("restored")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // Importing over the identity already there is a no-op; over another
    // one, a refusal.
    let (code, screen) = on_pty(
        &env,
        &[],
        &format!("identity import '{}'", backup.display()),
        &[("Passphrase for", "correct horse\r")],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("already holds this identity"), "{screen}");
    let other = Env::initialised();
    let before = fs::read(other.identity_path()).expect("identity");
    let out = other.run(&["identity", "import", restored.to_str().expect("utf-8")]);
    let text = assert_fails(&out, 1);
    assert!(text.contains("never replaces"), "{text}");
    assert_eq!(fs::read(other.identity_path()).expect("identity"), before);
}

#[test]
fn what_cannot_be_exported_or_imported_says_why() {
    let env = Env::initialised();
    // Not an identity at all: refused before anything is written.
    let junk = env.home.join("junk.txt");
    fs::write(&junk, "hello\n").expect("write");
    let dest = env.home.join("dest.txt");
    let args = [
        "identity",
        "import",
        junk.to_str().expect("utf-8"),
        "--to",
        dest.to_str().expect("utf-8"),
    ];
    let text = assert_fails(&env.run(&args), 4);
    assert!(text.contains("not a native age identity"), "{text}");
    assert!(!dest.exists());
    let missing = env.home.join("missing.txt");
    assert_fails(
        &env.run(&["identity", "import", missing.to_str().expect("utf-8")]),
        3,
    );
}

#[test]
fn init_points_at_the_backup_once_when_it_creates_an_identity() {
    let env = Env::new();
    let out = env.run(&["init", "--backend", "file"]);
    assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bscred identity export"), "{stderr}");
    // A second profile reuses the identity: no repeat.
    let out = env.run(&["-p", "team", "init", "--backend", "file"]);
    assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("identity export"), "{stderr}");
}
