//! Where files live on Windows: `%LOCALAPPDATA%\bscred\{config,data,state}`
//! when `BSCRED_HOME` is not set, and paths with spaces and non-ASCII
//! characters anywhere in them.

use crate::harness::{Env, files, token};

#[test]
fn without_bscred_home_everything_is_under_local_app_data() {
    let mut env = Env::new();
    env.home = None;
    env.ok(&["--backend", "file", "init"]);
    env.set("GITHUB_TOKEN", &token(20), &[]);
    let root = env.local_app_data().join("bscred");
    let all = files(&root);
    for expected in [
        "config/profiles/default.toml",
        "data/identity.txt",
        "data/profiles/default.age",
    ] {
        assert!(
            all.contains(&expected.to_string()),
            "{expected} missing from {all:?}"
        );
    }
    assert!(
        all.iter().any(|f| f.starts_with("state/")),
        "no state files: {all:?}"
    );
    // Nothing was written beside it in the user's profile.
    let mut top: Vec<_> = std::fs::read_dir(&env.profile_dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, vec!["AppData"]);
    let status = env.ok(&["status"]);
    assert!(status.contains("default.age"), "{status}");
}

#[test]
fn a_profile_under_a_path_with_spaces_and_non_ascii_works() {
    let env = Env::named("bscred Prüfung 東京 ");
    // Profile names are ASCII by design (they become file names and
    // keychain accounts); the directories around them need not be.
    env.ok(&["--backend", "file", "-p", "work", "init"]);
    let secret = token(21);
    let run = |args: &[&str]| {
        let mut all = vec!["-p", "work"];
        all.extend_from_slice(args);
        all.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let out = env.run_stdin(&run(&["set", "GITHUB_TOKEN", "--stdin"]), secret.as_bytes());
    crate::harness::assert_code(&out, 0, "set in a non-ASCII home");
    assert_eq!(env.ok(&run(&["get", "-n", "GITHUB_TOKEN"])), secret);
    let home = env.home.as_ref().expect("home");
    assert!(home.to_string_lossy().contains("Prüfung 東京"));
    assert!(
        files(home).contains(&"data/profiles/work.age".to_string()),
        "{:?}",
        files(home)
    );
    // exec finds cmd and passes a value with non-ASCII characters through.
    let out = env.run_stdin(
        &run(&["set", "USER_DISPLAY_NAME", "--stdin"]),
        "Zoë 東".as_bytes(),
    );
    crate::harness::assert_code(&out, 0, "set non-ASCII value");
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&run(&["env", "--shell", "json"]))).expect("JSON");
    assert_eq!(json["USER_DISPLAY_NAME"], "Zoë 東");
}
