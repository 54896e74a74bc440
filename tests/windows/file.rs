//! The file backend on Windows: the everyday commands, CRLF input, the
//! shell forms a Windows user evaluates, and the file-system behaviours
//! that differ from Unix (replacing a file another program holds open,
//! byte-range locks, no console to prompt on).

use crate::harness::{Env, assert_code, files, text, token};

#[test]
fn set_get_list_rm_round_trip() {
    let env = Env::initialised("file");
    let secret = token(1);
    env.set("GITHUB_TOKEN", &secret, &[]);
    env.set("GITHUB_USERNAME", "octo cat", &[]);
    assert_eq!(env.get("GITHUB_TOKEN"), secret);
    assert_eq!(env.get("GITHUB_USERNAME"), "octo cat");
    // Without -n, one newline ends the value (no CR added).
    assert_eq!(env.ok(&["get", "GITHUB_USERNAME"]), "octo cat\n");

    let list = env.ok(&["list"]);
    assert!(list.contains("GITHUB_TOKEN") && list.contains("GITHUB_USERNAME"));
    assert!(
        !list.contains(&secret),
        "list shows the whole token:\n{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["list", "--json"])).expect("list --json is JSON");
    assert!(
        json.to_string().contains("GITHUB_TOKEN") && !json.to_string().contains(&secret),
        "{json}"
    );

    env.ok(&["rm", "GITHUB_TOKEN"]);
    let gone = env.run(&["get", "GITHUB_TOKEN"]);
    assert_code(&gone, 3, "get GITHUB_TOKEN after rm");
    assert!(gone.stdout.is_empty());
    assert_eq!(env.get("GITHUB_USERNAME"), "octo cat");
}

#[test]
fn the_store_is_an_age_file_under_bscred_home_and_holds_no_plaintext() {
    let env = Env::initialised("file");
    let secret = token(2);
    env.set("GITHUB_TOKEN", &secret, &[]);
    let home = env.home.as_ref().expect("BSCRED_HOME");
    let all = files(home);
    assert!(
        all.contains(&"data/profiles/default.age".to_string()),
        "{all:?}"
    );
    assert!(all.contains(&"data/identity.txt".to_string()), "{all:?}");
    for name in &all {
        let bytes = std::fs::read(home.join(name)).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&secret),
            "{name} holds the token in plaintext"
        );
    }
    let store = std::fs::read(home.join("data/profiles/default.age")).expect("read store");
    assert!(
        store.starts_with(b"age-encryption.org/v1\n"),
        "not an age file"
    );
}

#[test]
fn a_crlf_dotenv_file_imports_without_carriage_returns() {
    let env = Env::initialised("file");
    let secret = token(3);
    let dotenv = format!(
        "# written by Notepad\r\nGITHUB_TOKEN={secret}\r\nUSER_DISPLAY_NAME=\"Octo Cat\"\r\nUSER_EMAIL='octo@example.com'\r\nEMPTY=\r\n"
    );
    std::fs::write(env.work.join(".env"), dotenv).expect("write .env");
    env.ok(&["import"]);
    assert_eq!(env.get("GITHUB_TOKEN"), secret);
    assert_eq!(env.get("USER_DISPLAY_NAME"), "Octo Cat");
    assert_eq!(env.get("USER_EMAIL"), "octo@example.com");
    assert_eq!(env.get("EMPTY"), "");
}

#[test]
fn import_remove_rewrites_a_crlf_file_keeping_its_other_lines() {
    let env = Env::initialised("file");
    let secret = token(4);
    let path = env.work.join(".env");
    std::fs::write(&path, format!("KEEP=me\r\nGITHUB_TOKEN={secret}\r\n")).expect("write");
    let out = env.run(&["import", ".env", "--remove"]);
    assert_code(&out, 0, "import .env --remove");
    assert_eq!(env.get("GITHUB_TOKEN"), secret);
    let left = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        !left.contains(&secret),
        "the token stayed in .env: {left:?}"
    );
}

#[test]
fn env_prints_powershell_assignments_for_every_variable() {
    let env = Env::initialised("file");
    let secret = token(5);
    env.set("GITHUB_TOKEN", &secret, &[]);
    env.set("USER_DISPLAY_NAME", "O'Brien", &["--plain"]);
    let out = env.ok(&["env", "--shell", "powershell"]);
    let lines: Vec<&str> = out.lines().collect();
    // One ASCII line per variable; anything a console code page or a
    // quote could change is spelled as a [char].
    assert_eq!(
        lines,
        [
            format!("$env:GITHUB_TOKEN = '' + '{secret}'").as_str(),
            "$env:USER_DISPLAY_NAME = '' + 'O' + [char]0x0027 + 'Brien'",
        ],
        "{out}"
    );
}

#[test]
fn env_json_gives_every_value_back() {
    let env = Env::initialised("file");
    let secret = token(6);
    env.set("GITHUB_TOKEN", &secret, &[]);
    env.set("NOTE", "tab\there \"q\" \\ ü", &["--plain"]);
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["env", "--shell", "json"])).expect("JSON");
    assert_eq!(json["GITHUB_TOKEN"], secret.as_str());
    assert_eq!(json["NOTE"], "tab\there \"q\" \\ ü");
    let only: serde_json::Value =
        serde_json::from_str(&env.ok(&["env", "--shell", "json", "--only", "NOTE"])).expect("JSON");
    assert!(only.get("GITHUB_TOKEN").is_none(), "{only}");
}

#[test]
fn parallel_writers_lose_nothing() {
    let env = Env::initialised("file");
    let names: Vec<String> = (0..6).map(|i| format!("VAR_{i}")).collect();
    let children: Vec<_> = names
        .iter()
        .map(|name| {
            let mut cmd = env.cmd();
            cmd.args(["set", name.as_str(), "--stdin", "--plain"]);
            let value = format!("value of {name}");
            std::thread::spawn(move || crate::harness::finish(cmd, Some(value.as_bytes())))
        })
        .collect();
    for child in children {
        let out = child.join().expect("thread");
        assert_code(&out, 0, "parallel set");
    }
    for name in &names {
        assert_eq!(env.get(name), format!("value of {name}"));
    }
}

#[test]
fn a_store_a_reader_holds_open_for_a_moment_is_still_replaced() {
    // Another bscred reading the store (`env` in a second terminal) holds
    // it open for milliseconds. Windows refuses to rename over an open
    // file, so the writer must wait for it, not fail.
    let env = Env::initialised("file");
    env.set("A", "one", &["--plain"]);
    let store = env
        .home
        .as_ref()
        .expect("home")
        .join("data/profiles/default.age");
    let reader = std::fs::File::open(&store).expect("open store");
    let mut writer = env.cmd();
    writer.args(["set", "A", "--stdin", "--plain"]);
    let writer = std::thread::spawn(move || crate::harness::finish(writer, Some(b"two")));
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(reader);
    assert_code(
        &writer.join().expect("writer"),
        0,
        "set A while a reader holds the store",
    );
    assert_eq!(env.get("A"), "two");
}

#[test]
fn a_store_locked_by_another_program_fails_cleanly_and_keeps_its_data() {
    use std::os::windows::fs::OpenOptionsExt;
    // A program that opens the store without FILE_SHARE_DELETE (an editor,
    // a backup tool, a virus scanner) stops any rename over it. bscred must
    // say so and leave the old store whole, with no temporary file behind.
    let env = Env::initialised("file");
    env.set("A", "one", &["--plain"]);
    let home = env.home.clone().expect("home");
    let store = home.join("data/profiles/default.age");
    let before = std::fs::read(&store).expect("read");
    const FILE_SHARE_READ: u32 = 1;
    let holder = std::fs::OpenOptions::new()
        .read(true)
        .share_mode(FILE_SHARE_READ)
        .open(&store)
        .expect("open without share-delete");
    let out = env.run_stdin(&["set", "A", "--stdin", "--plain"], b"two");
    drop(holder);
    assert_ne!(
        out.status.code(),
        Some(0),
        "set succeeded over a locked store"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("default.age"), "{stderr}");
    assert_eq!(
        std::fs::read(&store).expect("read"),
        before,
        "store changed"
    );
    let leftovers: Vec<_> = files(&home)
        .into_iter()
        .filter(|f| f.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert_eq!(env.get("A"), "one");
    env.set("A", "two", &["--plain"]);
    assert_eq!(env.get("A"), "two");
}

#[test]
fn set_without_a_console_or_stdin_refuses_instead_of_waiting() {
    let env = Env::initialised("file");
    // stdin is NUL, not a console: no hidden prompt can be shown.
    let out = env.run(&["set", "GITHUB_TOKEN"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("bscred: error:"),
        "{}",
        text(&out.stderr)
    );
    assert_code(
        &env.run(&["get", "GITHUB_TOKEN"]),
        3,
        "get after refused set",
    );
}

#[test]
fn a_secret_on_the_command_line_is_refused_with_exit_2() {
    let env = Env::initialised("file");
    // Not a real secret, and the refusal is what is tested: the value is
    // a placeholder word, so no token ever reaches argv.
    let out = env.run(&["set", "API_KEY", "placeholder"]);
    assert_code(&out, 2, "set API_KEY VALUE");
    assert!(!text(&out.stderr).contains("placeholder"));
    assert_code(&env.run(&["get", "API_KEY"]), 3, "get API_KEY");
}
