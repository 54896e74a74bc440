//! Sharing a file-backend store: `bscred recipients add|list|rm`, checked
//! with the real Go `age` CLI and a second user's own bscred.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::harness::{Env, TOKEN, age, assert_fails, assert_unchanged, have};

#[test]
fn a_teammate_added_reads_the_store_and_a_removed_one_reads_no_new_version() {
    if !(have("age") && have("age-keygen") && have("ssh-keygen")) {
        return;
    }
    let alice = Env::initialised();
    alice.set("AUTH_GITHUB_CLIENT_SECRET", TOKEN);
    let store = alice.store_path();

    // Bob has an age key, Carol an SSH key (as github.com/USER.keys lists).
    let bob = alice.home.join("bob.txt");
    assert!(
        Command::new("age-keygen")
            .arg("-o")
            .arg(&bob)
            .output()
            .expect("age-keygen")
            .status
            .success()
    );
    fs::set_permissions(&bob, fs::Permissions::from_mode(0o600)).expect("chmod");
    let bob_pub = String::from_utf8(
        Command::new("age-keygen")
            .arg("-y")
            .arg(&bob)
            .output()
            .expect("age-keygen -y")
            .stdout,
    )
    .expect("utf-8");
    let carol = alice.home.join("carol");
    assert!(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "carol@example", "-f"])
            .arg(&carol)
            .status()
            .expect("ssh-keygen")
            .success()
    );
    let keys_file = alice.work.join("carol.keys");
    fs::write(
        &keys_file,
        format!(
            "# from github.com/carol.keys\n{}",
            fs::read_to_string(carol.with_extension("pub")).expect("pub")
        ),
    )
    .expect("write");

    assert!(!age::reads(&bob, &store));
    alice.ok(&["recipients", "add", bob_pub.trim()]);
    alice.ok(&[
        "recipients",
        "add",
        "--file",
        keys_file.to_str().expect("path"),
    ]);
    assert!(age::reads(&bob, &store), "bob cannot read after add");
    assert!(age::reads(&carol, &store), "carol cannot read after add");
    let list = alice.ok(&["recipients", "list"]);
    assert_eq!(list.lines().count(), 3, "{list}");
    assert_eq!(
        list.lines().filter(|l| l.ends_with("(you)")).count(),
        1,
        "{list}"
    );
    assert!(
        !list.contains("carol@example"),
        "the comment is not recorded: {list}"
    );

    // Adding again changes nothing.
    let before = alice.files();
    alice.ok(&["recipients", "add", bob_pub.trim()]);
    assert_unchanged(&alice, &before);

    // Bob is removed: he cannot read the next version, and the remover is
    // told which secrets he saw.
    let out = alice.run(&["recipients", "rm", bob_pub.trim()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AUTH_GITHUB_CLIENT_SECRET"), "{stderr}");
    assert!(!stderr.contains(TOKEN));
    alice.set("AUTH_GITHUB_CLIENT_SECRET", "rotated");
    assert!(!age::reads(&bob, &store), "bob still reads after rm");
    assert!(age::reads(&carol, &store));
    assert_eq!(alice.get("AUTH_GITHUB_CLIENT_SECRET"), "rotated");
}

#[test]
fn recipients_refuse_what_would_lock_you_out_or_is_no_key() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let mine = env
        .ok(&["recipients", "list"])
        .lines()
        .find(|l| l.ends_with("(you)"))
        .map(|l| l.trim_end_matches("(you)").trim().to_string())
        .expect("own key listed");
    let before = env.files();
    let text = assert_fails(&env.run(&["recipients", "rm", &mine]), 1);
    assert!(text.contains("your own key"), "{text}");
    let text = assert_fails(
        &env.run(&["recipients", "add", "AGE-SECRET-KEY-1NOTAPUBLICKEY"]),
        2,
    );
    assert!(
        !text.contains("NOTAPUBLICKEY"),
        "the pasted text was echoed: {text}"
    );
    assert_fails(
        &env.run(&[
            "recipients",
            "rm",
            "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
        ]),
        3,
    );
    // A key file that is not there is "not found", naming it.
    let text = assert_fails(
        &env.run(&["recipients", "add", "--file", "no-such-keys.txt"]),
        3,
    );
    assert!(text.contains("no-such-keys.txt"), "{text}");
    assert_unchanged(&env, &before);
}
