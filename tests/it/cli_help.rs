//! Help text is user interface: every command's `--help` is pinned by a
//! snapshot, so a change shows up as a diff to read in review.

use clap::CommandFactory;

use crate::harness::Env;

/// Every command and subcommand as the words that name it
/// (`["identity", "export"]`), walked from the clap definition itself, so a
/// new command gets its snapshot without anyone listing it. clap's own
/// `help` subcommands are left out: their text is clap's.
fn commands() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let mut words = path.to_vec();
            words.push(sub.get_name().to_string());
            out.push(words.clone());
            walk(sub, &words, out);
        }
    }
    let mut out = Vec::new();
    walk(&bscred::cli::Cli::command(), &[], &mut out);
    out
}

/// The command names listed under `Commands:` in a help text (the first
/// word of each entry; a wrapped description is indented further).
fn listed_commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn help_texts_match_their_snapshots() {
    let env = Env::new();
    let top = env.ok(&["--help"]);
    insta::assert_snapshot!("help", top);
    let commands = commands();
    // The walk found the commands, nested ones too.
    assert!(commands.contains(&vec!["init".to_string()]), "{commands:?}");
    assert!(
        commands.contains(&vec!["identity".to_string(), "export".to_string()]),
        "{commands:?}"
    );
    for words in commands {
        let mut args = words.clone();
        args.push("--help".to_string());
        let help = env.ok(&args);
        // Top-level names keep their snapshot names (help_init); nested
        // ones join the words with `_`, which no command name holds.
        insta::assert_snapshot!(format!("help_{}", words.join("_")), help);
    }
}

#[test]
fn every_command_is_listed_in_the_top_level_help() {
    // And every subcommand in its command's help: each help's `Commands:`
    // list is exactly the visible commands clap defines there.
    let env = Env::new();
    let mut parents = vec![Vec::new()];
    parents.extend(commands());
    for parent in parents {
        let mut command = bscred::cli::Cli::command();
        command.build();
        let mut here = &command;
        for word in &parent {
            here = here.find_subcommand(word).expect("a defined command");
        }
        let mut defined: Vec<String> = here
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
            .map(|c| c.get_name().to_string())
            .collect();
        if defined.is_empty() {
            continue;
        }
        let mut args = parent.clone();
        args.push("--help".to_string());
        let mut listed = listed_commands(&env.ok(&args));
        defined.sort();
        listed.sort();
        assert_eq!(
            listed,
            defined,
            "the commands `bscred {}` lists",
            parent.join(" ")
        );
    }
}

#[test]
fn help_works_without_any_home_or_store() {
    // --help must not depend on resolving directories or opening a store.
    let env = Env::new();
    let out = env
        .cmd()
        .env_remove("HOME")
        .env_remove("BSCRED_HOME")
        .args(["set", "--help"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--stdin"));
}

/// The commit this checkout is at, as `build.rs` records it.
fn head_commit() -> String {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git runs");
    assert!(out.status.success(), "the tests run in a git checkout");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// The triple rustc builds for by default here: the tests' own target.
fn host_target() -> String {
    let out = std::process::Command::new(std::env::var("RUSTC").unwrap_or("rustc".into()))
        .arg("-vV")
        .output()
        .expect("rustc runs");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("a host line")
        .to_string()
}

#[test]
fn version_names_the_crate_version_the_commit_and_the_target() {
    let env = Env::new();
    let line = format!(
        "bscred {} ({}, {})\n",
        env!("CARGO_PKG_VERSION"),
        head_commit(),
        host_target()
    );
    assert_eq!(env.ok(&["--version"]), line);
    assert_eq!(env.ok(&["version"]), line);
}

#[test]
fn version_json_is_for_bug_reports_and_holds_nothing_of_the_user() {
    let env = Env::new();
    let text = env.ok(&["version", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(json["name"], "bscred");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["commit"], head_commit());
    assert_eq!(json["target"], host_target());
    let keys: Vec<&str> = json
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["commit", "debug", "name", "target", "version"]);
    // Works with no home at all: nothing is read.
    let out = env
        .cmd()
        .env_remove("HOME")
        .env_remove("BSCRED_HOME")
        .args(["version", "--json"])
        .output()
        .expect("runs");
    assert!(out.status.success());
}
