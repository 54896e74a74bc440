//! `bscred identity export|import`: a backup of the identity that opens
//! the stores, plain or passphrase-encrypted, round trips without loss.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::harness::pty::on_pty;
use crate::harness::{Env, TOKEN, age, assert_fails, assert_success, have};

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
        &[("passphrase for the backup", "one\r"), ("again", "two\r")],
    );
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.contains("differ"), "{screen}");
    assert!(!backup.exists());

    let (code, screen) = on_pty(
        &env,
        &[],
        &export,
        &[
            ("passphrase for the backup", "correct horse\r"),
            ("again", "correct horse\r"),
        ],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains("correct horse"), "echoed: {screen}");
    let armored = fs::read_to_string(&backup).expect("backup");
    assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    assert!(!armored.contains("AGE-SECRET-KEY"));
    // The Go age CLI opens it with the passphrase, typed at its prompt.
    if have("age") {
        let plain = env.home.join("from-age.txt");
        let command = format!("age -d -o '{}' '{}'", plain.display(), backup.display());
        let (code, screen) = crate::harness::pty::command_on_pty(
            &env,
            &[],
            &command,
            &[("passphrase", "correct horse\r")],
        );
        assert_eq!(code, Some(0), "{screen}");
        assert_eq!(
            fs::read(&plain).expect("decrypted by age"),
            fs::read(env.identity_path()).expect("identity")
        );
    }

    // On a new machine: a wrong passphrase (three tries at the prompt)
    // restores nothing; the right one restores the backup as it is, still
    // protected, and it opens the old store.
    let restored = env.home.join("restored.txt");
    let import = format!(
        "identity import '{}' --to '{}'",
        backup.display(),
        restored.display()
    );
    let wrong = [("Passphrase for", "wrong\r"); 3];
    let (code, screen) = on_pty(&env, &[], &import, &wrong);
    assert_eq!(code, Some(4), "{screen}");
    assert!(
        screen.contains("passphrase for") && screen.contains("is wrong"),
        "{screen}"
    );
    assert!(!restored.exists());
    let (code, screen) = on_pty(&env, &[], &import, &[("Passphrase for", "correct horse\r")]);
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(
        fs::read(&restored).expect("restored"),
        fs::read(&backup).expect("backup")
    );
    let reader = Env::new();
    let passphrase = reader.home.join("passphrase");
    fs::write(&passphrase, "correct horse\n").expect("write");
    fs::set_permissions(&passphrase, fs::Permissions::from_mode(0o600)).expect("chmod");
    // The store as a new machine gets it (from a backup or a repository).
    let copy = reader.bscred_home.join("data/profiles/default.age");
    fs::create_dir_all(copy.parent().expect("dir")).expect("mkdir");
    fs::copy(env.store_path(), &copy).expect("copy store");
    let out = reader.run(&[
        "--passphrase-file",
        passphrase.to_str().expect("utf-8"),
        "init",
        "--backend",
        "file",
        "--identity",
        restored.to_str().expect("utf-8"),
    ]);
    assert_success(&out);
    assert_eq!(reader.get("GITHUB_TOKEN"), TOKEN);
    let mode = fs::metadata(&restored)
        .expect("restored")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // Importing over the identity already there is a no-op (asking for
    // nothing); over another one, a refusal.
    let out = env.run(&[
        "identity",
        "import",
        backup.to_str().expect("utf-8"),
        "--to",
        restored.to_str().expect("utf-8"),
    ]);
    assert_success(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already holds this identity"),
        "{out:?}"
    );
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

#[test]
fn rotate_gives_every_profile_of_the_identity_the_new_key_and_keeps_teammates() {
    if !(have("age") && have("age-keygen")) {
        return;
    }
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    env.ok(&["-p", "team", "init", "--backend", "file"]);
    env.ok(&["-p", "team", "set", "SHARED", "team"]);
    let keygen = |path: &std::path::Path| {
        let out = Command::new("age-keygen")
            .arg("-o")
            .arg(path)
            .output()
            .expect("age-keygen");
        assert_success(&out);
    };
    // A teammate's key on the team profile stays a recipient.
    let mate = env.home.join("mate.txt");
    keygen(&mate);
    let mate_public = fs::read_to_string(&mate)
        .expect("mate key")
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .expect("public key line");
    env.ok(&["-p", "team", "recipients", "add", &mate_public]);
    // A profile with an identity of its own is left alone.
    let own = env.home.join("own.txt");
    keygen(&own);
    env.ok(&[
        "-p",
        "other",
        "init",
        "--backend",
        "file",
        "--identity",
        own.to_str().expect("utf-8"),
    ]);
    env.ok(&["-p", "other", "set", "X", "1"]);
    let other_store = env.bscred_home.join("data/profiles/other.age");
    let other_before = fs::read(&other_store).expect("other store");

    let old_key = env.home.join("old.txt");
    fs::copy(env.identity_path(), &old_key).expect("keep the old key for the test");
    let team_store = env.bscred_home.join("data/profiles/team.age");

    let out = env.run(&["identity", "rotate"]);
    assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("profile 'default', profile 'team'"),
        "{stderr}"
    );
    assert!(!stderr.contains("AGE-SECRET-KEY"), "{stderr}");

    // The new key opens both stores, the old one neither; values intact.
    let identity = fs::read_to_string(env.identity_path()).expect("identity");
    assert_eq!(identity.matches("AGE-SECRET-KEY-1").count(), 1);
    assert_ne!(identity, fs::read_to_string(&old_key).expect("old"));
    for store in [env.store_path(), team_store.clone()] {
        assert!(
            age::reads(&env.identity_path(), &store),
            "{}",
            store.display()
        );
        assert!(!age::reads(&old_key, &store), "{}", store.display());
    }
    assert_eq!(env.ok(&["get", "GITHUB_TOKEN"]), format!("{TOKEN}\n"));
    assert_eq!(env.ok(&["-p", "team", "get", "SHARED"]), "team\n");
    assert!(age::reads(&mate, &team_store));
    assert!(
        env.ok(&["-p", "team", "recipients", "list"])
            .contains(&mate_public)
    );
    assert_eq!(fs::read(&other_store).expect("other store"), other_before);
    assert_eq!(env.ok(&["-p", "other", "get", "X"]), "1\n");

    // Interrupted while the file held both keys: running it again settles
    // on one new key that opens everything.
    let old_text = fs::read_to_string(&old_key).expect("old");
    fs::write(env.identity_path(), format!("{identity}{old_text}")).expect("both keys");
    env.ok(&["identity", "rotate"]);
    let settled = fs::read_to_string(env.identity_path()).expect("identity");
    assert_eq!(settled.matches("AGE-SECRET-KEY-1").count(), 1);
    for store in [env.store_path(), team_store] {
        assert!(
            age::reads(&env.identity_path(), &store),
            "{}",
            store.display()
        );
    }
    assert_eq!(env.ok(&["-p", "team", "get", "SHARED"]), "team\n");
}

#[test]
fn a_passphrase_backup_without_a_terminal_takes_a_passphrase_file() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let backup = env.home.join("backup.age");
    let backup_arg = backup.to_str().expect("utf-8");
    let text = assert_fails(
        &env.run(&["identity", "export", "--passphrase", backup_arg]),
        4,
    );
    assert!(
        text.contains("no terminal") && text.contains("--passphrase-file"),
        "{text}"
    );
    assert!(!backup.exists());

    let file = env.passphrase_file("backup-passphrase", "correct horse");
    let file_arg = file.to_str().expect("utf-8");
    let out = env.run(&[
        "--passphrase-file",
        file_arg,
        "identity",
        "export",
        "--passphrase",
        backup_arg,
    ]);
    assert_success(&out);
    assert!(
        fs::read_to_string(&backup)
            .expect("backup")
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
    );
    // Restored elsewhere with the same file, and it opens the store.
    let restored = env.home.join("restored.age");
    let out = env.run(&[
        "--passphrase-file",
        file_arg,
        "identity",
        "import",
        backup_arg,
        "--to",
        restored.to_str().expect("utf-8"),
    ]);
    assert_success(&out);
    assert_eq!(
        fs::read(&restored).expect("restored"),
        fs::read(&backup).expect("backup")
    );
}
