//! Text others chose never reaches the terminal raw (docs/SECURITY.md,
//! "What reaches your terminal"): escape sequences (ESC, OSC, CSI
//! as ESC [ and as U+009B), BEL, CR and the bidi controls in values, masked
//! tails, project-file keys, directory and store names and file names
//! `doctor` finds are shown as visible escapes in `list`, `status`,
//! warnings, errors and `doctor`.
#![cfg(unix)]

use std::fs;
use std::path::PathBuf;
use std::process::Output;

use crate::harness::{Env, assert_success, have, stderr};

/// Every control a hostile string carries here: an OSC that sets the window
/// title (ended by BEL), a CSI that clears the screen, an 8-bit CSI, a CR
/// that overwrites the line, and a right-to-left override.
const HOSTILE: &str = "\x1b]0;pwned\x07\x1b[2J\u{9b}31m\rX\u{202e}dlrow";

/// Asserts that `text` holds none of the controls in `HOSTILE` raw, and
/// shows them escaped at least `shown` times (what was there is visible,
/// not dropped).
fn assert_shown_not_obeyed(what: &str, text: &str, shown: usize) {
    for raw in ['\x1b', '\x07', '\r', '\u{9b}', '\u{202e}'] {
        assert!(
            !text.contains(raw),
            "{what}: a raw {raw:?} reached the terminal: {text:?}"
        );
    }
    assert!(
        text.matches("\\u{1b}]0;pwned\\u{7}").count() >= shown,
        "{what}: the OSC is not shown escaped {shown} time(s): {text}"
    );
    assert!(text.contains("\\u{202e}"), "{what}: {text}");
}

/// stdout and stderr of a run, as text.
fn both(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out))
}

/// A project directory whose name carries `HOSTILE`, as a clone or an
/// archive can name one, holding `settings` as its project file.
fn hostile_project(env: &Env, settings: &str) -> PathBuf {
    let dir = fs::canonicalize(&env.work)
        .expect("canonical")
        .join(format!("app{HOSTILE}"));
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join(".bscred.toml"), settings).expect("write project file");
    dir
}

#[test]
fn values_and_masked_tails_in_list_are_shown_escaped() {
    let env = Env::initialised();
    env.set("NOTE", HOSTILE);
    // A secret's masked preview shows its last four characters.
    env.set("API_KEY", "aaaaaaaaaaaaaaaaaaaa\u{202e}abc");
    env.set("OTHER_KEY", "bbbbbbbbbbbbbbbbbbbb\x1b[2J");
    let out = env.run(&["list"]);
    assert_success(&out);
    let text = both(&out);
    assert_shown_not_obeyed("list", &text, 1);
    assert!(text.contains("\\u{1b}[2J"), "the masked tail: {text}");
    // The values themselves are untouched: `get` gives back the bytes.
    assert_eq!(env.get("NOTE"), HOSTILE);
}

#[test]
fn directory_names_and_project_keys_in_notices_and_status_are_shown_escaped() {
    let env = Env::initialised();
    env.set("NOTE", "ok");
    // Not allowed yet: every command names the file it ignores.
    let dir = hostile_project(&env, "profile = \"default\"\n");
    for args in [&["status"][..], &["list"], &["env"]] {
        let out = env.run_in(&dir, args);
        assert_success(&out);
        assert_shown_not_obeyed(&format!("{args:?}"), &both(&out), 1);
    }
    // Allowed, with a key this bscred does not know: the warning names it.
    fs::write(
        dir.join(".bscred.toml"),
        format!("profile = \"default\"\n\"{}\" = 1\n", toml_escape(HOSTILE)),
    )
    .expect("write");
    assert_success(&env.run_in(&dir, &["allow"]));
    let out = env.run_in(&dir, &["status"]);
    assert_success(&out);
    let text = both(&out);
    assert!(text.contains("does not know"), "{text}");
    // The key, and the store path (under the hostile directory) in status.
    assert_shown_not_obeyed("status", &text, 1);
}

#[test]
fn a_team_store_name_in_notices_and_errors_is_shown_escaped() {
    if !have("age") {
        return;
    }
    let env = Env::initialised();
    let store = format!(".bscred/t{HOSTILE}.age");
    let project = fs::canonicalize(&env.work).expect("canonical");
    fs::write(
        project.join(".bscred.toml"),
        format!("store = \"{}\"\n", toml_escape(&store)),
    )
    .expect("write");
    assert_success(&env.run(&["allow"]));
    // Missing: the error names it.
    let out = env.run(&["get", "--team", "TEAM_NOTE"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_shown_not_obeyed("missing store error", &stderr(&out), 1);
    // Written, but declaring nothing: the left-out notice names it.
    let out = env.run_stdin(&["set", "--team", "TEAM_NOTE", "--stdin"], b"x");
    assert_success(&out);
    let out = env.run(&["env"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("left out TEAM_NOTE"),
        "{}",
        stderr(&out)
    );
    assert_shown_not_obeyed("left-out notice", &stderr(&out), 1);
}

#[test]
fn file_names_doctor_finds_are_shown_escaped() {
    let env = Env::initialised();
    let name = format!(".env.{HOSTILE}");
    fs::write(
        env.work.join(&name),
        format!("GITHUB_TOKEN={}\n", crate::harness::TOKEN),
    )
    .expect("write");
    let out = env.run(&["doctor", "."]);
    assert_eq!(out.status.code(), Some(12), "{}", both(&out));
    let text = both(&out);
    assert!(!text.contains(crate::harness::TOKEN), "{text}");
    assert_shown_not_obeyed("doctor", &text, 1);
}

/// `text` as the inside of a TOML basic string: controls as `\uXXXX`.
fn toml_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            c if c.is_control() || !c.is_ascii() => format!("\\u{:04X}", u32::from(c)),
            c => c.to_string(),
        })
        .collect()
}
