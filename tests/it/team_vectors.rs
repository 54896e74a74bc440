//! Variables a hostile team store could still set past the first deny-list,
//! each driven through the real program it targets: MAILPATH in interactive
//! bash and zsh, zsh's other prompts under `prompt_subst`, fish's autoload
//! paths, bash's history file, TMOUT and CDPATH, and RUSTFLAGS under cargo.
//! A team store exports only the names the allowed project file declares in
//! `variables = [...]`, and never a name that runs code even when declared
//! (docs/SECURITY.md "A team store others can write"). Each vector runs with
//! its names undeclared and declared; either way nothing may run, nothing
//! outside the project may change, and stderr names every name left out
//! without printing a value.
#![cfg(unix)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::harness::pty::Pty;
use crate::harness::team::{self, exec_value, json_env};
use crate::harness::{Env, age, assert_success, bin, have, stderr};

const STORE: &str = ".bscred/team.age";
/// The ordinary variable every project here declares: it must arrive.
const CLIENT_ID_NAME: &str = "AUTH_GITHUB_CLIENT_ID";
const CLIENT_ID: &str = "Iv1.0123456789abcdef";
/// The ordinary variable no project here declares: it must stay out.
const NOTE_NAME: &str = "TEAM_NOTE";
const NOTE: &str = "hello team";

/// How the project file treats a vector's variables.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Form {
    /// `variables` names only AUTH_GITHUB_CLIENT_ID: the vector's names
    /// are left out because the project does not declare them.
    Undeclared,
    /// `variables` names the vector's variables too: they are left out
    /// because they run code.
    Declared,
}

const FORMS: [Form; 2] = [Form::Undeclared, Form::Declared];

/// `user`'s work directory made a project whose team store holds `vars`
/// plus AUTH_GITHUB_CLIENT_ID and TEAM_NOTE, written by the Go `age` CLI
/// to the user's public key (anyone holding that public key can), and
/// whose project file declares `declared` (no `variables` line when
/// `None`). The user has allowed the project file, as they would after
/// reading it: nothing in it looks dangerous. Returns the project
/// directory as the file system names it.
fn project_declaring(user: &Env, vars: &[(&str, &str)], declared: Option<&[&str]>) -> PathBuf {
    let project = fs::canonicalize(&user.work).expect("canonical");
    let mut settings = format!("version = 1\nstore = \"{STORE}\"\n");
    if let Some(names) = declared {
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        settings.push_str(&format!("variables = [{}]\n", quoted.join(", ")));
    }
    fs::write(project.join(".bscred.toml"), settings).expect("write project file");
    let mut all = vars.to_vec();
    all.extend([(CLIENT_ID_NAME, CLIENT_ID), (NOTE_NAME, NOTE)]);
    let sealed = age::tool(
        "age",
        &["-r", &team::public_key_of(user)],
        &team::document(&all),
    );
    fs::create_dir_all(project.join(".bscred")).expect("mkdir");
    fs::write(project.join(STORE), sealed.stdout).expect("write store");
    assert_success(&user.run_in(&project, &["allow"]));
    project
}

/// `project_declaring` with the vector's names declared or not, as `form`
/// says; AUTH_GITHUB_CLIENT_ID is declared either way.
fn hostile_project(user: &Env, vars: &[(&str, &str)], form: Form) -> PathBuf {
    let mut declared = vec![CLIENT_ID_NAME];
    if form == Form::Declared {
        declared.extend(vars.iter().map(|(name, _)| *name));
    }
    project_declaring(user, vars, Some(&declared))
}

/// The words of a notice line: the names it mentions, whatever the
/// punctuation around them (so MAIL is not found inside MAILPATH).
fn names_in(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
}

/// Whether a line of `text` names `name` and contains one of `words`.
fn named_with(text: &str, name: &str, words: &[&str]) -> bool {
    text.lines()
        .any(|line| names_in(line).any(|w| w == name) && words.iter().any(|w| line.contains(w)))
}

/// Asserts that `text` (stderr) holds none of the values. Values too short
/// to tell apart from other text (HISTFILESIZE=0, TMOUT=1, which any path
/// or count may contain) are left to the longer ones beside them.
fn assert_no_values(text: &str, values: &[&str]) {
    for value in values.iter().filter(|v| v.len() >= 6) {
        assert!(!text.contains(value), "a value leaked: {value:?} in {text}");
    }
}

/// Asserts what `bscred env` says on stderr about a vector's variables:
/// each is named on a line saying why it was left out ("does not declare"
/// when the project does not declare it, "refused" when it runs code; an
/// undeclared name that also runs code may be named for either reason),
/// TEAM_NOTE on a "does not declare" line, and no value anywhere.
fn assert_notices(user: &Env, project: &Path, vars: &[(&str, &str)], form: Form) {
    let out = user.run_in(project, &["env"]);
    assert_success(&out);
    let text = stderr(&out);
    for (name, _) in vars {
        let why: &[&str] = match form {
            Form::Undeclared => &["does not declare", "refused"],
            Form::Declared => &["refused"],
        };
        assert!(
            named_with(&text, name, why),
            "{name} ({form:?}) is not named as left out ({why:?}): {text}"
        );
    }
    assert!(
        named_with(&text, NOTE_NAME, &["does not declare"]),
        "{NOTE_NAME} is not named as undeclared: {text}"
    );
    let mut values: Vec<&str> = vars.iter().map(|(_, value)| *value).collect();
    values.extend([CLIENT_ID, NOTE]);
    assert_no_values(&text, &values);
}

/// Asserts that code the hostile store planted did not run: none of the
/// `markers` (files outside the project that only that code creates, each
/// with the way in it stands for) exists. All are checked, so a failure
/// lists every way that worked.
fn assert_none_ran(markers: &[(&Path, &str)], form: Form, screen: &str) {
    let ran: Vec<String> = markers
        .iter()
        .filter(|(marker, _)| marker.exists())
        .map(|(marker, what)| format!("{what} ({} exists)", marker.display()))
        .collect();
    assert!(
        ran.is_empty(),
        "code from the team store ran ({form:?}): {}\n{screen}",
        ran.join("; ")
    );
}

/// `eval "$(bscred env)"` as a user types it, with the binary's full path
/// (the sealed PATH does not hold it).
fn eval_line() -> String {
    format!("eval \"$('{}' env)\"", bin().display())
}

/// The prompt the shells under test show (from PS1 in their environment),
/// never typed, so finding it means the shell printed it.
const PS1: &str = "vectors-ready> ";

/// Makes `file` look changed a minute from now. bash and zsh compare a
/// mailbox's modification time with the time of their last check in whole
/// seconds, so a file written in the same second as that check reads as
/// unchanged; a time ahead makes "modified after the eval" certain without
/// the test waiting for the clock.
fn grows_later(file: &Path) {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .expect("open");
    f.write_all(b"build finished\n").expect("append");
    f.set_modified(SystemTime::now() + Duration::from_secs(60))
        .expect("set mtime");
}

/// MAILPATH names a file in the project with a "message" that bash and zsh
/// expand, command substitution included, before the prompt that follows
/// a change to that file. MAILCHECK makes the check run before every prompt
/// (bash checks at 0, zsh at a negative value; zsh's 0 turns checking off).
fn mail_vector(shell: &str, command: &str, mailcheck: &str) {
    if !(have("age") && have("script") && have(shell)) {
        return;
    }
    for form in FORMS {
        let user = Env::initialised();
        let marker = user.home.join("pwned-by-mailpath");
        let mailpath = format!("build.log?$(touch {})", marker.display());
        let vars = [
            ("MAILPATH", mailpath.as_str()),
            ("MAILCHECK", mailcheck),
            ("MAIL", "build.log"),
        ];
        let project = hostile_project(&user, &vars, form);

        let mut pty = Pty::shell(&user, &project, command, &[("PS1", PS1)], PS1);
        pty.run(&eval_line());
        // Something writes the file (a build, a git pull) after the eval;
        // the next prompt after a command typed since then follows a check.
        grows_later(&project.join("build.log"));
        pty.run(":");
        let seen = pty.ask(&format!(
            "${{MAILPATH:+mailpath-set}}/${{{CLIENT_ID_NAME}}}"
        ));
        let screen = pty.exit();
        assert_none_ran(
            &[(&marker, &format!("{shell} checking mail"))],
            form,
            &screen,
        );
        assert_eq!(seen, format!("/{CLIENT_ID}"), "{form:?}\n{screen}");
        assert_notices(&user, &project, &vars, form);
    }
}

#[test]
fn mailpath_from_a_team_store_runs_nothing_in_an_interactive_bash() {
    mail_vector("bash", "bash --norc --noprofile -i", "0");
}

#[test]
fn mailpath_from_a_team_store_runs_nothing_in_an_interactive_zsh() {
    mail_vector("zsh", "zsh -f -i", "-1");
}

/// zsh expands PROMPT2 (continuation lines), PROMPT_EOL_MARK (after output
/// without a final newline) and SPROMPT (spelling correction) as prompts:
/// under `setopt prompt_subst`, which many zsh setups turn on, `$(…)` in
/// them runs. PS1/PS2/PROMPT were refused already; these are the same
/// code under other names.
#[test]
fn zsh_prompts_from_a_team_store_run_nothing_under_prompt_subst() {
    if !(have("age") && have("script") && have("zsh") && have("whoami")) {
        return;
    }
    for form in FORMS {
        let user = Env::initialised();
        let marker = |what: &str| user.home.join(format!("pwned-by-{what}"));
        let prompt2 = format!("$(touch {})more> ", marker("prompt2").display());
        let eol = format!("$(touch {})", marker("eol-mark").display());
        let sprompt = format!("$(touch {})Correct %R to %r? ", marker("sprompt").display());
        let vars = [
            ("PROMPT2", prompt2.as_str()),
            ("PROMPT_EOL_MARK", eol.as_str()),
            ("SPROMPT", sprompt.as_str()),
        ];
        let project = hostile_project(&user, &vars, form);

        let mut pty = Pty::shell(&user, &project, "zsh -f -i", &[("PS1", PS1)], PS1);
        // The user's own settings, as in their .zshrc.
        pty.run("setopt prompt_subst correct; rehash");
        pty.run(&eval_line());
        // A continuation line shows PROMPT2.
        pty.send("echo 'open\n");
        pty.run("close'");
        // Output without a final newline shows PROMPT_EOL_MARK.
        pty.run("printf x");
        // A mistyped command shows SPROMPT; either prompt says "orrect".
        pty.send("whoamii\n");
        pty.expect("orrect");
        pty.send("n");
        pty.run("");
        let seen = pty.ask(&format!("${{{CLIENT_ID_NAME}}}"));
        let screen = pty.exit();
        let markers = [
            (marker("prompt2"), "PROMPT2"),
            (marker("eol-mark"), "PROMPT_EOL_MARK"),
            (marker("sprompt"), "SPROMPT"),
        ];
        let markers: Vec<(&Path, &str)> = markers.iter().map(|(m, w)| (m.as_path(), *w)).collect();
        assert_none_ran(&markers, form, &screen);
        assert_eq!(seen, CLIENT_ID, "{form:?}\n{screen}");
        assert_notices(&user, &project, &vars, form);
    }
}

/// fish autoloads a function the first time its name is called from the
/// directories in `fish_function_path` (ls, cd, grep, man are such
/// functions), and a command's completions from `fish_complete_path`: a
/// store that points them at directories in the repository runs the files
/// there. The paths are relative, so the attacker needs no idea where the
/// clone lives.
#[test]
fn fish_function_and_completion_paths_from_a_team_store_load_nothing() {
    if !(have("age") && have("fish")) {
        return;
    }
    for form in FORMS {
        let user = Env::initialised();
        let fn_marker = user.home.join("pwned-by-function");
        let comp_marker = user.home.join("pwned-by-completion");
        let vars = [
            ("fish_function_path", ".fish/functions"),
            ("fish_complete_path", ".fish/completions"),
        ];
        let project = hostile_project(&user, &vars, form);
        // What the repository carries beside the store.
        fs::create_dir_all(project.join(".fish/functions")).expect("mkdir");
        fs::create_dir_all(project.join(".fish/completions")).expect("mkdir");
        fs::write(
            project.join(".fish/functions/ls.fish"),
            format!(
                "function ls\n    touch {}\n    command ls $argv\nend\n",
                fn_marker.display()
            ),
        )
        .expect("write");
        fs::write(
            project.join(".fish/completions/cat.fish"),
            format!("touch {}\n", comp_marker.display()),
        )
        .expect("write");

        let script = format!(
            "'{}' env --shell fish | source\nls >/dev/null\ncomplete -C 'cat ' >/dev/null\necho \"id=${CLIENT_ID_NAME}\"",
            bin().display()
        );
        let out = user
            .sealed("fish")
            .current_dir(&project)
            .args(["--no-config", "-c", &script])
            .output()
            .expect("fish runs");
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert_none_ran(
            &[
                (&fn_marker, "fish autoloading ls"),
                (&comp_marker, "fish loading completions for cat"),
            ],
            form,
            &said,
        );
        assert!(out.status.success(), "{form:?}: {said}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("id={CLIENT_ID}\n"),
            "{form:?}"
        );
        assert_notices(&user, &project, &vars, form);
    }
}

/// An interactive bash truncates HISTFILE to HISTFILESIZE lines when that
/// is assigned, and writes its history there on exit: a store naming a
/// file outside the project (here the user's .bashrc) empties it, or
/// appends typed lines to it.
#[test]
fn histfile_from_a_team_store_leaves_files_outside_the_project_alone() {
    if !(have("age") && have("script") && have("bash")) {
        return;
    }
    for form in FORMS {
        let user = Env::initialised();
        let bashrc = user.home.join(".bashrc");
        let kept = b"# the user's own startup file\nalias ll='ls -l'\n";
        fs::write(&bashrc, kept).expect("write");
        let histfile = bashrc.to_str().expect("utf-8").to_string();
        let vars = [("HISTFILE", histfile.as_str()), ("HISTFILESIZE", "0")];
        let project = hostile_project(&user, &vars, form);

        let mut pty = Pty::shell(
            &user,
            &project,
            "bash --norc --noprofile -i",
            &[("PS1", PS1)],
            PS1,
        );
        pty.run(&eval_line());
        pty.run("echo typed in the project");
        let seen = pty.ask(&format!("${{{CLIENT_ID_NAME}}}"));
        let screen = pty.exit();
        assert_eq!(
            String::from_utf8_lossy(&fs::read(&bashrc).expect("read .bashrc")),
            String::from_utf8_lossy(kept),
            "bash rewrote a file outside the project through HISTFILE ({form:?})\n{screen}"
        );
        assert_eq!(seen, CLIENT_ID, "{form:?}\n{screen}");
        assert_notices(&user, &project, &vars, form);
    }
}

/// TMOUT makes bash and zsh log out an idle interactive shell (and time
/// out `read`); CDPATH makes `cd somedir` in bash and fish go to a
/// directory of the store's choosing even where `./somedir` exists. Neither
/// may reach the shell.
#[test]
fn tmout_and_cdpath_from_a_team_store_never_reach_the_shell() {
    if !(have("age") && have("bash") && have("zsh") && have("fish")) {
        return;
    }
    for form in FORMS {
        let user = Env::initialised();
        let decoy = user.home.join("decoy");
        fs::create_dir_all(decoy.join("somedir")).expect("mkdir");
        let cdpath = decoy.to_str().expect("utf-8").to_string();
        let vars = [("TMOUT", "1"), ("CDPATH", cdpath.as_str())];
        let project = hostile_project(&user, &vars, form);
        fs::create_dir_all(project.join("somedir")).expect("mkdir");
        let expected = format!(
            "TMOUT=unset\nCDPATH=unset\nid={CLIENT_ID}\n{}\n",
            project.join("somedir").display()
        );

        let probe = format!(
            "{}; printf '%s\\n' \"TMOUT=${{TMOUT:-unset}}\" \"CDPATH=${{CDPATH:-unset}}\" \"id=${CLIENT_ID_NAME}\"; cd somedir >/dev/null && pwd -P",
            eval_line()
        );
        for (shell, flags) in [("bash", &["--norc", "--noprofile"][..]), ("zsh", &["-f"])] {
            let out = user
                .sealed(shell)
                .current_dir(&project)
                .args(flags)
                .arg("-c")
                .arg(&probe)
                .output()
                .expect("shell runs");
            assert!(out.status.success(), "{shell}: {}", stderr(&out));
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                expected,
                "{shell} ({form:?})"
            );
        }

        let fish = format!(
            "'{}' env --shell fish | source\nfor name in TMOUT CDPATH\n    test -n \"$$name\"; and echo $name=set; or echo $name=unset\nend\necho id=${CLIENT_ID_NAME}\ncd somedir; and pwd -P",
            bin().display()
        );
        let out = user
            .sealed("fish")
            .current_dir(&project)
            .args(["--no-config", "-c", &fish])
            .output()
            .expect("fish runs");
        assert!(out.status.success(), "fish: {}", stderr(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "fish ({form:?})"
        );
        assert_notices(&user, &project, &vars, form);
    }
}

/// Where rustup keeps its toolchains, for a cargo started with the sealed
/// HOME: the variables the test itself runs under, else the real HOME's.
fn rustup_env() -> Vec<(&'static str, std::ffi::OsString)> {
    let mut vars = Vec::new();
    for name in ["RUSTUP_HOME", "RUSTUP_TOOLCHAIN"] {
        if let Some(value) = std::env::var_os(name) {
            vars.push((name, value));
        }
    }
    if std::env::var_os("RUSTUP_HOME").is_none()
        && let Some(home) = std::env::var_os("HOME")
    {
        let rustup = Path::new(&home).join(".rustup");
        if rustup.is_dir() {
            vars.push(("RUSTUP_HOME", rustup.into_os_string()));
        }
    }
    vars
}

/// rustc takes `-C linker=PROGRAM` from RUSTFLAGS, and cargo passes
/// RUSTFLAGS to every rustc it runs: a store naming a script the
/// repository carries runs it on the next `bscred exec -- cargo build`.
/// (CARGO_* was refused already, so CARGO_TARGET_*_LINKER was not a way.)
#[test]
fn rustflags_from_a_team_store_choose_no_linker_for_cargo() {
    if !(have("age") && have("cargo") && have("cc")) {
        return;
    }
    for form in FORMS {
        let user = Env::initialised();
        let marker = user.home.join("pwned-by-linker");
        let vars = [("RUSTFLAGS", "-C linker=./evil.sh")];
        let project = hostile_project(&user, &vars, form);
        // A tiny crate, and the script the repository carries: it does its
        // deed, then links as the real linker would, so the build succeeds
        // and nobody notices.
        fs::create_dir_all(project.join("src")).expect("mkdir");
        fs::write(
            project.join("Cargo.toml"),
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        )
        .expect("write");
        fs::write(project.join("src/main.rs"), "fn main() {}\n").expect("write");
        let evil = project.join("evil.sh");
        fs::write(
            &evil,
            format!("#!/bin/sh\ntouch '{}'\nexec cc \"$@\"\n", marker.display()),
        )
        .expect("write");
        fs::set_permissions(&evil, fs::Permissions::from_mode(0o755)).expect("chmod");

        let mut cmd = user.cmd();
        cmd.current_dir(&project)
            .env("CARGO_HOME", user.home.join(".cargo"))
            .args(["exec", "--", "cargo", "build", "--offline", "--quiet"]);
        for (name, value) in rustup_env() {
            cmd.env(name, value);
        }
        let out: Output = cmd.output().expect("bscred runs");
        assert_none_ran(&[(&marker, "cargo's linker")], form, &stderr(&out));
        assert_success(&out);
        assert_notices(&user, &project, &vars, form);
    }
}

/// Declaring is necessary and not sufficient: a declared ordinary name
/// arrives, a declared name that runs code (MAILPATH, and anything under
/// VAULT_ or BAO_, which would send the user's Vault token elsewhere) is
/// still refused, an undeclared ordinary name stays out, and a project
/// file with no `variables` line lets nothing through and says how to
/// declare.
#[test]
fn a_team_store_exports_only_declared_names_and_never_code_running_ones() {
    if !have("age") {
        return;
    }
    let user = Env::initialised();
    let marker = user.home.join("pwned-by-mailpath");
    let mailpath = format!("build.log?$(touch {})", marker.display());
    let refused = [
        ("MAILPATH", mailpath.as_str()),
        ("VAULT_ADDR", "https://vault.attacker.example"),
        ("BAO_ADDR", "https://bao.attacker.example"),
    ];
    let declared = ["MAILPATH", "VAULT_ADDR", "BAO_ADDR", CLIENT_ID_NAME];
    let project = project_declaring(&user, &refused, Some(&declared));

    let (vars, notice) = json_env(&user, &project);
    assert_eq!(vars, json!({ CLIENT_ID_NAME: CLIENT_ID }), "{notice}");
    assert_eq!(
        exec_value(&user, &project, CLIENT_ID_NAME).as_deref(),
        Some(CLIENT_ID)
    );
    for name in ["MAILPATH", "VAULT_ADDR", "BAO_ADDR", NOTE_NAME] {
        assert_eq!(exec_value(&user, &project, name), None, "{name}");
    }
    for (name, _) in refused {
        assert!(
            named_with(&notice, name, &["refused"]),
            "{name} is not named as refused: {notice}"
        );
    }
    assert!(
        named_with(&notice, NOTE_NAME, &["does not declare"]),
        "{NOTE_NAME} is not named as undeclared: {notice}"
    );
    let mut values: Vec<&str> = refused.iter().map(|(_, value)| *value).collect();
    values.extend([CLIENT_ID, NOTE]);
    assert_no_values(&notice, &values);

    // No `variables` line at all: nothing from the store, and the notice
    // names what was left out and how to declare it.
    let user = Env::initialised();
    let project = project_declaring(&user, &[], None);
    let (vars, notice) = json_env(&user, &project);
    assert_eq!(vars, json!({}), "{notice}");
    assert_eq!(exec_value(&user, &project, CLIENT_ID_NAME), None);
    for name in [CLIENT_ID_NAME, NOTE_NAME] {
        assert!(
            named_with(&notice, name, &["variables = ["]),
            "{name} is not named with how to declare it: {notice}"
        );
    }
    assert_no_values(&notice, &[CLIENT_ID, NOTE]);
}
