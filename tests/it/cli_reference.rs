//! docs/cli-reference.md is generated from the clap definitions; this test
//! fails when the file and the program disagree (BSCRED_BLESS=1 rewrites
//! it), and checks the completion scripts and man page are generated.

use std::path::Path;

use crate::harness::{Env, have};

#[test]
fn the_cli_reference_is_in_step_with_the_program() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli-reference.md");
    let generated = bscred::cmd::completions::reference();
    if std::env::var_os("BSCRED_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write the reference");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/cli-reference.md is out of date: run `BSCRED_BLESS=1 cargo test --test it cli_reference`"
    );
    for command in ["init", "exec", "rotate", "migrate", "completions"] {
        assert!(
            generated.contains(&format!("## `bscred {command}`")),
            "{command}"
        );
    }
}

#[test]
fn completions_load_in_their_shells_and_the_man_page_renders() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = env.ok(&["completions", shell]);
        assert!(script.contains("bscred"), "{shell}");
    }
    // bash really loads its script and completes a subcommand.
    if have("bash") {
        let script = env.ok(&["completions", "bash"]);
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c"])
            .arg(format!(
                "{script}\nCOMP_WORDS=(bscred mig); COMP_CWORD=1; _bscred bscred mig bscred; printf '%s\\n' \"${{COMPREPLY[@]}}\""
            ))
            .output()
            .expect("bash runs");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("migrate"),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // fish and zsh load their scripts from a file, as they would from
    // their completion directories, and complete a subcommand.
    if have("fish") {
        let file = env.home.join("bscred.fish");
        std::fs::write(&file, env.ok(&["completions", "fish"])).expect("write");
        let out = std::process::Command::new("fish")
            .arg("--no-config")
            .arg("-c")
            .arg(format!(
                "source {} ; and complete -C 'bscred mig'",
                file.display()
            ))
            .output()
            .expect("fish runs");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("migrate"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    if have("zsh") {
        let dir = env.home.join("zfunc");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("_bscred"), env.ok(&["completions", "zsh"])).expect("write");
        let out = std::process::Command::new("zsh")
            .arg("-f")
            .arg("-c")
            .arg(format!(
                "fpath=({} $fpath); autoload -Uz compinit && compinit -u -D && autoload -Uz _bscred && whence -w _bscred && print -r -- $_comps[bscred]",
                dir.display()
            ))
            .output()
            .expect("zsh runs");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success()
                && said.contains("_bscred: function")
                && said.contains("_bscred\n"),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let man = env.ok(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH bscred"),
        "{}",
        &man[..200.min(man.len())]
    );
    // Generated without a home: no HOME, no BSCRED_HOME.
    let out = env
        .cmd()
        .env_remove("HOME")
        .env_remove("BSCRED_HOME")
        .args(["completions", "zsh"])
        .output()
        .expect("runs");
    assert!(out.status.success());
}
