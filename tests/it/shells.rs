//! `bscred env` output read back by the real consumers: bash, zsh, dash and
//! fish evaluate it (quoted and unquoted `eval`), the dotenvy crate and Node's
//! `dotenv` parse the dotenv form, serde_json the json/nu form. Every value
//! must come back byte for byte and nothing may run (docs/SECURITY.md "`env` and `exec`").

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use bscred::secret::{Secret, VarName};
use bscred::shell::{Shell, render};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseResult, TestRunner};
use tempfile::TempDir;

use crate::harness::node::{have_package, node_dir};
use crate::harness::{Env, TOKEN, assert_success, bin, have};

// ------------------------------------------------------------- generators

/// Single characters that mean something to some shell or parser.
const SPECIAL: &[&str] = &[
    "'", "\"", "\\", "$", "`", "!", "*", "?", "[", "]", "~", "#", ";", "&", "|", "<", ">", "(",
    ")", "{", "}", "%", "^", "=", ":", "@", "+", ",", "-", "_", ".", "/",
];

/// Multi-character payloads: command substitutions that would leave a file
/// behind if they ran, printf directives, escapes the quoting itself uses,
/// and words that are options to `printf` or `set`.
const PAYLOADS: &[&str] = &[
    "$(touch pwned)",
    "`touch pwned`",
    "$(touch pwned)\n",
    "';touch pwned;'",
    "\";touch pwned;\"",
    "\\';touch pwned #",
    "$'\\x41'",
    "%s",
    "%d%n%b",
    "%%",
    "%",
    "\\n",
    "\\x41",
    "\\041",
    "\\0",
    "\\c",
    "\\\n",
    "$HOME",
    "${HOME}",
    "$0",
    "!!",
    "~root",
    "a*",
    "*.*",
    "[ab]",
    "{a,b}",
    "@(a|b)",
    "!(x)",
    "--",
    "-e",
    "-n",
    "\r",
    "\r\n",
    "# comment",
    "export X=1",
];

/// Non-ASCII text, line and paragraph separators, no-break and zero-width
/// spaces, a byte-order mark, and code points fish and zsh use internally.
const NON_ASCII: &[&str] = &[
    "é", "😀", "\u{2028}", "\u{2029}", "\u{a0}", "\u{85}", "\u{feff}", "\u{200b}", "ß", "日本",
    "\u{f600}", "\u{fdd0}", "\u{83}",
];

/// PowerShell's five single-quote characters.
const PS_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201a}', '\u{201b}'];

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(SPECIAL).prop_map(String::from),
        4 => "[ \t\n]{1,5}",
        3 => prop::sample::select(PAYLOADS).prop_map(String::from),
        2 => prop::sample::select(NON_ASCII).prop_map(String::from),
        1 => any::<char>()
            .prop_filter("no NUL", |c| *c != '\0')
            .prop_map(String::from),
        3 => "[A-Za-z0-9]{1,6}",
    ]
}

/// A value weighted towards what breaks quoting: sometimes a leading `-`,
/// sometimes trailing newlines or blanks, sometimes empty; never NUL.
fn value() -> impl Strategy<Value = String> {
    (
        prop::bool::weighted(0.15),
        prop::collection::vec(piece(), 0..10),
        prop_oneof![
            5 => Just(String::new()),
            2 => "\n{1,3}",
            1 => "[ \t]{1,3}",
        ],
    )
        .prop_map(|(dash, pieces, tail)| {
            let mut value = String::from(if dash { "-" } else { "" });
            value.extend(pieces);
            value.push_str(&tail);
            value
        })
}

/// One to six values, evaluated together by one shell process.
fn values() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(value(), 1..=6)
}

/// Values for the dotenv form: mostly ones it can carry (no `'`; or a `'`
/// without `"`, `\` and `$`), some it must refuse.
fn dotenv_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => value().prop_map(|v| v.replace(['\'', '\r'], "")),
        3 => (value(), value())
            .prop_map(|(a, b)| format!("{a}'{b}").replace(['"', '\\', '$', '\r'], "")),
        2 => value(),
    ]
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        // No regression files in the tree: failures found so far are
        // pinned as named tests below (`PINNED`) instead.
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..ProptestConfig::with_cases(cases)
    }
}

/// Runs a property over `strategy`, panicking with the minimal failing input.
fn check<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult) {
    let mut runner = TestRunner::new(config(cases));
    if let Err(error) = runner.run(&strategy, test) {
        panic!("{error}");
    }
}

// ------------------------------------------------------------- rendering

fn names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("V{i}")).collect()
}

/// `values` as variables `V0`, `V1`, … rendered for `shell`.
fn render_values(shell: Shell, values: &[String]) -> Result<String, String> {
    let vars: Vec<(VarName, Secret)> = names(values.len())
        .iter()
        .zip(values)
        .map(|(name, value)| {
            (
                name.parse().expect("valid name"),
                Secret::new(value.clone()).expect("valid value"),
            )
        })
        .collect();
    let refs: Vec<(&VarName, &Secret)> = vars.iter().map(|(n, v)| (n, v)).collect();
    render(shell, &refs)
        .map(|code| code.to_string())
        .map_err(|e| e.to_string())
}

// ---------------------------------------------------------------- shells

/// A fresh place to run one shell: an empty working directory (which must
/// stay as it is), a HOME of its own, and the code to evaluate outside both.
struct Sandbox {
    _root: TempDir,
    cwd: PathBuf,
    home: PathBuf,
    code: PathBuf,
}

impl Sandbox {
    fn new(code: &str, decoys: &[&str]) -> Sandbox {
        let root = tempfile::tempdir().expect("tempdir");
        let cwd = root.path().join("cwd");
        let home = root.path().join("home");
        fs::create_dir(&cwd).expect("mkdir cwd");
        fs::create_dir(&home).expect("mkdir home");
        for decoy in decoys {
            fs::write(cwd.join(decoy), "").expect("decoy file");
        }
        let code_path = root.path().join("code");
        fs::write(&code_path, code).expect("write code");
        let text = code_path.to_str().expect("utf-8 temp path");
        assert!(
            !text.contains(['\'', '\\', '\n']),
            "temp path unusable in a script: {text}"
        );
        Sandbox {
            _root: root,
            cwd,
            home,
            code: code_path,
        }
    }

    /// `program` with a cleared environment (PATH, HOME and, when asked, a
    /// UTF-8 locale), in the empty working directory, without stdin.
    fn command(&self, program: &str, utf8: bool) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .current_dir(&self.cwd)
            .stdin(Stdio::null());
        if utf8 {
            cmd.env("LC_ALL", "C.UTF-8");
        }
        cmd
    }

    /// The code file's path, quoted for any of the shells.
    fn code(&self) -> String {
        format!("'{}'", self.code.display())
    }

    fn entries(&self) -> Vec<String> {
        entries(&self.cwd)
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Shell code printing each variable NUL-terminated twice: as the shell sees
/// it (`printf`) and as a child process inherits it (`printenv -0`, which
/// proves it was exported). Works in bash, zsh, dash and fish.
fn read_back(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"${n}\"")).collect();
    format!(
        "printf '%s\\0' {}; printenv -0 {}",
        quoted.join(" "),
        names.join(" ")
    )
}

/// What `read_back` prints, `times` times over.
fn expected_read_back(values: &[String], times: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..times * 2 {
        for value in values {
            out.extend_from_slice(value.as_bytes());
            out.push(0);
        }
    }
    out
}

fn fields(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// The assertions every shell run shares: success, empty stderr, the values
/// back exactly, and the working directory as it was (nothing ran).
fn verify_run(
    what: &str,
    out: &Output,
    expected: &[u8],
    sandbox: &Sandbox,
    decoys: &[&str],
) -> TestCaseResult {
    let stderr = String::from_utf8_lossy(&out.stderr);
    prop_assert!(
        out.status.success(),
        "{what}: exit {:?}, stderr: {stderr}",
        out.status.code()
    );
    prop_assert!(stderr.is_empty(), "{what}: stderr: {stderr}");
    prop_assert!(
        out.stdout == expected,
        "{what}: values differ\n got:  {:?}\n want: {:?}",
        fields(&out.stdout),
        fields(expected)
    );
    let mut want: Vec<String> = decoys.iter().map(|d| d.to_string()).collect();
    want.sort();
    prop_assert_eq!(sandbox.entries(), want, "{}: files appeared", what);
    Ok(())
}

/// bash or zsh (`$'…'` form) or dash (`sh` form): evaluate the code with
/// unquoted `eval $(cat FILE)`, unset, then with `eval "$(cat FILE)"`.
fn eval_both_ways(
    program: &str,
    flags: &[&str],
    setup: &str,
    values: &[String],
    code: &str,
    utf8: bool,
    decoys: &[&str],
) -> TestCaseResult {
    let names = names(values.len());
    let sandbox = Sandbox::new(code, decoys);
    let file = sandbox.code();
    let read = read_back(&names);
    let script = format!(
        "{setup}eval $(cat {file}); {read}; unset {all}; eval \"$(cat {file})\"; {read}",
        all = names.join(" ")
    );
    let out = sandbox
        .command(program, utf8)
        .args(flags)
        .arg("-c")
        .arg(&script)
        .output()
        .expect("shell runs");
    let what = format!("{program} {setup}(utf8 locale: {utf8})");
    verify_run(
        &what,
        &out,
        &expected_read_back(values, 2),
        &sandbox,
        decoys,
    )
}

/// fish: `source FILE`, erase, then `cat FILE | source` (the documented use).
fn fish_source(values: &[String], code: &str, utf8: bool) -> TestCaseResult {
    let names = names(values.len());
    let sandbox = Sandbox::new(code, &[]);
    let file = sandbox.code();
    let read = read_back(&names);
    let script = format!(
        "source {file}; {read}; set -e {all}; cat {file} | source; {read}",
        all = names.join(" ")
    );
    let out = sandbox
        .command("fish", utf8)
        .args(["--no-config", "-c", &script])
        .output()
        .expect("fish runs");
    verify_run(
        &format!("fish (utf8 locale: {utf8})"),
        &out,
        &expected_read_back(values, 2),
        &sandbox,
        &[],
    )
}

const BASH: &[&str] = &["--norc", "--noprofile"];
const ZSH: &[&str] = &["-f"];

/// Files a glob in a value (or in the printed code) could match.
const DECOYS: &[&str] = &[
    "a", "a*", "ab", "a?b", "[ab]", "b", "*", "?", "é", "-n", "V0=x", "export",
];

#[test]
fn bash_gives_back_every_value_under_quoted_and_unquoted_eval() {
    if !have("bash") {
        return;
    }
    check(256, (values(), any::<bool>()), |(values, utf8)| {
        let code = render_values(Shell::Bash, &values).expect("bash renders anything");
        eval_both_ways("bash", BASH, "", &values, &code, utf8, &[])
    });
}

#[test]
fn bash_values_are_untouched_by_glob_options_and_matching_files() {
    if !have("bash") {
        return;
    }
    check(256, (values(), any::<bool>()), |(values, utf8)| {
        let code = render_values(Shell::Bash, &values).expect("bash renders anything");
        eval_both_ways(
            "bash",
            BASH,
            "shopt -s nullglob failglob extglob dotglob globstar; ",
            &values,
            &code,
            utf8,
            DECOYS,
        )
    });
}

/// Scripts set IFS to punctuation (`IFS=:` to split PATH); the unquoted
/// `eval $(bscred env)` then splits on it, so no such character may appear
/// unescaped in the output.
#[test]
fn values_survive_an_unusual_ifs_in_bash_zsh_and_dash() {
    for (program, flags, shell) in [
        ("bash", BASH, Shell::Bash),
        ("zsh", ZSH, Shell::Zsh),
        ("dash", &[][..], Shell::Sh),
    ] {
        if !have(program) {
            continue;
        }
        // (An IFS holding `=` would break every assignment, and `%` dash's
        // `${V%_}`: no script sets those.)
        for setup in ["IFS=:; ", "IFS=/; ", "IFS=',.@+-'; ", "IFS=; "] {
            check(32, (values(), any::<bool>()), |(values, utf8)| {
                let code = render_values(shell, &values).expect("renders anything");
                eval_both_ways(program, flags, setup, &values, &code, utf8, &[])
            });
        }
    }
}

#[test]
fn zsh_gives_back_every_value_under_quoted_and_unquoted_eval() {
    if !have("zsh") {
        return;
    }
    check(256, (values(), any::<bool>()), |(values, utf8)| {
        let code = render_values(Shell::Zsh, &values).expect("zsh renders anything");
        eval_both_ways("zsh", ZSH, "", &values, &code, utf8, &[])
    });
}

#[test]
fn dash_gives_back_every_value_of_the_sh_form_under_quoted_and_unquoted_eval() {
    if !have("dash") {
        return;
    }
    check(256, (values(), any::<bool>()), |(values, utf8)| {
        let code = render_values(Shell::Sh, &values).expect("sh renders anything");
        eval_both_ways("dash", &[], "", &values, &code, utf8, &[])
    });
}

#[test]
fn fish_gives_back_every_value_through_source() {
    if !have("fish") {
        return;
    }
    check(256, (values(), any::<bool>()), |(values, utf8)| {
        let code = render_values(Shell::Fish, &values).expect("fish renders anything");
        fish_source(&values, &code, utf8)
    });
}

/// Values that broke a shell form once, kept as named cases (the property
/// tests keep no regression files).
const PINNED: &[&str] = &[
    "",
    "-",
    "-n",
    "--",
    "-x y",
    "--help",
    "-e\n",
    "%",
    "%s%%",
    "$(touch pwned)",
    "`touch pwned`",
    "a  b\t\tc\n\n",
    "\n",
    "_",
    "x_\n_",
    "it's \"q\" \\ $HOME",
    "\\",
    "é😀\u{2028}",
    // A GitHub App's private key: several lines and a final newline.
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq3mI7xRk0Zu2Jf0t+/q1s8hXGvEtB4yJdX0N0r5f2bD0k9vQ=\n-----END RSA PRIVATE KEY-----\n",
];

#[test]
fn pinned_values_round_trip_in_every_shell() {
    let mut failures = Vec::new();
    for (shell, program) in [
        (Shell::Bash, "bash"),
        (Shell::Zsh, "zsh"),
        (Shell::Sh, "dash"),
        (Shell::Fish, "fish"),
    ] {
        if !have(program) {
            continue;
        }
        for value in PINNED {
            let values = vec![value.to_string()];
            let code = render_values(shell, &values).expect("renders");
            let result = match shell {
                Shell::Fish => fish_source(&values, &code, false),
                Shell::Bash => eval_both_ways(program, BASH, "", &values, &code, false, &[]),
                Shell::Zsh => eval_both_ways(program, ZSH, "", &values, &code, false, &[]),
                _ => eval_both_ways(program, &[], "", &values, &code, false, &[]),
            };
            if let Err(error) = result {
                failures.push(format!("{program} {value:?}: {error}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sh_form_keeps_a_value_that_starts_with_a_dash() {
    if !have("dash") {
        return;
    }
    for value in ["-", "-n", "--", "-x y"] {
        let values = vec![value.to_string()];
        let code = render_values(Shell::Sh, &values).expect("renders");
        if let Err(error) = eval_both_ways("dash", &[], "", &values, &code, false, &[]) {
            panic!("{value:?} in the sh form `{}`: {error}", code.trim_end());
        }
    }
}

// ------------------------------------------------- the real `bscred env`

/// Values stored through `bscred set` and read back through real shells
/// evaluating the real binary's output.
const STORED: &[(&str, &str)] = &[
    ("GITHUB_TOKEN", TOKEN),
    ("SPACES", "  two  spaces\tand\ttabs  "),
    ("NEWLINES", "line1\n\nline3\n\n"),
    (
        "PAYLOAD",
        "$(touch pwned)`touch pwned2`;touch pwned3 && touch pwned4",
    ),
    (
        "QUOTES",
        "it's \"quoted\" \\ back\\slash $HOME !! ~ # * ? [a] {b,c} <x> (y) | &",
    ),
    ("DASHED", "-n"),
    ("PRINTF", "%s %d %% \\n \\0"),
    ("UNICODE", "é 😀 \u{2028} end"),
    ("EMPTY", ""),
];

/// An initialised store holding `STORED`, checked through `--shell json`.
fn stored_env() -> Env {
    let env = Env::initialised();
    for (name, value) in STORED {
        // `set --stdin` drops one trailing newline: give it one to drop.
        env.set(name, &format!("{value}\n"));
    }
    let json: BTreeMap<String, String> =
        serde_json::from_str(&env.ok(&["env", "--shell", "json"])).expect("json");
    let want: BTreeMap<String, String> = STORED
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(json, want, "the store does not hold the values as set");
    env
}

/// A shell in the same sealed environment `Env::cmd` gives bscred, with
/// bscred itself on PATH so the code reads as users type it.
fn shell_in(env: &Env, program: &str) -> Command {
    let bin_dir = bin().parent().expect("bin dir").to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let mut cmd = env.sealed(program);
    cmd.env("PATH", path).stdin(Stdio::null());
    cmd
}

/// Runs `script` in `program` and checks the values, stderr and that the
/// working directory stayed empty.
fn run_real(env: &Env, program: &str, flags: &[&str], script: &str, evals: usize) {
    let out = shell_in(env, program)
        .args(flags)
        .arg("-c")
        .arg(script)
        .output()
        .expect("shell runs");
    assert_success(&out);
    assert!(
        out.stderr.is_empty(),
        "{program}: stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let values: Vec<String> = STORED.iter().map(|(_, v)| v.to_string()).collect();
    let want = expected_read_back(&values, evals);
    assert!(
        out.stdout == want,
        "{program}: values differ\n got:  {:?}\n want: {:?}",
        fields(&out.stdout),
        fields(&want)
    );
    assert_eq!(
        entries(&env.work),
        Vec::<String>::new(),
        "{program} ran something"
    );
}

fn stored_names() -> Vec<String> {
    STORED.iter().map(|(n, _)| n.to_string()).collect()
}

#[test]
fn eval_bscred_env_round_trips_in_bash_and_zsh_quoted_and_unquoted() {
    let env = stored_env();
    let names = stored_names();
    let read = read_back(&names);
    let all = names.join(" ");
    for (program, flags) in [("bash", BASH), ("zsh", ZSH)] {
        if !have(program) {
            continue;
        }
        let script = format!(
            "eval $(bscred env); {read}; unset {all}; eval \"$(bscred env)\"; {read}; \
             unset {all}; eval $(bscred env --shell {program}); {read}"
        );
        run_real(&env, program, flags, &script, 3);
    }
}

#[test]
fn eval_bscred_env_shell_sh_round_trips_in_dash_quoted_and_unquoted() {
    if !have("dash") {
        return;
    }
    let env = stored_env();
    let names = stored_names();
    let read = read_back(&names);
    let script = format!(
        "eval $(bscred env --shell sh); {read}; unset {all}; \
         eval \"$(bscred env --shell sh)\"; {read}",
        all = names.join(" ")
    );
    run_real(&env, "dash", &[], &script, 2);
}

#[test]
fn bscred_env_shell_fish_piped_to_source_round_trips() {
    if !have("fish") {
        return;
    }
    let env = stored_env();
    let read = read_back(&stored_names());
    let script = format!("bscred env --shell fish | source; {read}");
    run_real(&env, "fish", &["--no-config"], &script, 1);
}

#[test]
fn bscred_env_output_is_the_same_for_bash_zsh_and_no_shell_flag() {
    let env = stored_env();
    let default = env.ok(&["env"]);
    assert_eq!(env.ok(&["env", "--shell", "bash"]), default);
    assert_eq!(env.ok(&["env", "--shell", "zsh"]), default);
    assert!(!default.is_empty());
}

// ----------------------------------------------------------------- dotenv

/// Whether the dotenv form must refuse `value`: Node's dotenv turns a
/// carriage return into a newline; single quotes cannot hold `'` and end
/// badly on a trailing `\`; double quotes cannot hold `"`, `\` or `$`.
fn dotenv_must_refuse(value: &str) -> bool {
    value.contains('\r')
        || (value.contains('\'') && value.contains(['"', '\\', '$']))
        || (!value.contains('\'') && value.ends_with('\\'))
}

/// Splits values into those the dotenv form carries (rendered together) and
/// checks that the others are refused without showing the value.
fn dotenv_split(values: &[String]) -> Result<(Vec<(String, String)>, String), TestCaseError> {
    let mut kept = Vec::new();
    for value in values {
        let name = format!("V{}", kept.len());
        let one = vec![value.clone()];
        match render_values(Shell::Dotenv, &one) {
            Ok(_) => {
                prop_assert!(!dotenv_must_refuse(value), "rendered {value:?}");
                kept.push((name, value.clone()));
            }
            Err(message) => {
                prop_assert!(dotenv_must_refuse(value), "refused {value:?}: {message}");
                prop_assert!(
                    !message.contains(value.as_str()),
                    "the error shows the value: {message}"
                );
                prop_assert!(
                    message.contains("V0"),
                    "the error names no variable: {message}"
                );
            }
        }
    }
    // Rendering them all at once fails exactly when one is refused.
    let all = render_values(Shell::Dotenv, values);
    prop_assert_eq!(all.is_err(), kept.len() < values.len());
    let kept_values: Vec<String> = kept.iter().map(|(_, v)| v.clone()).collect();
    let text = render_values(Shell::Dotenv, &kept_values).expect("kept values render");
    Ok((kept, text))
}

#[test]
fn dotenv_output_is_parsed_back_exactly_by_dotenvy() {
    check(
        256,
        prop::collection::vec(dotenv_value(), 1..=8),
        |values| {
            let (kept, text) = dotenv_split(&values)?;
            let parsed: Result<Vec<(String, String)>, _> =
                dotenvy::from_read_iter(text.as_bytes()).collect();
            let parsed = parsed
                .map_err(|e| TestCaseError::fail(format!("dotenvy refused {text:?}: {e}")))?;
            prop_assert_eq!(parsed, kept, "dotenvy read {:?}", text);
            Ok(())
        },
    );
}

/// Node's `dotenv.parse` over stdin, with its default parser and with the
/// `fast` one (`DOTENV_FAST`), as JSON.
const NODE_PARSE: &str = "const fs = require('fs'); const dotenv = require('dotenv'); \
    const src = fs.readFileSync(0); \
    process.stdout.write(JSON.stringify([dotenv.parse(src), dotenv.parse(src, { fast: true })]));";

fn node_parse(text: &str) -> Result<[BTreeMap<String, String>; 2], String> {
    use std::io::Write as _;
    let mut child = Command::new("node")
        .args(["-e", NODE_PARSE])
        .current_dir(node_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "node failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("node printed no JSON: {e}"))
}

#[test]
fn dotenv_output_is_parsed_back_exactly_by_node_dotenv() {
    if !have_package("dotenv") {
        return;
    }
    check(64, prop::collection::vec(dotenv_value(), 8), |values| {
        let (kept, text) = dotenv_split(&values)?;
        let want: BTreeMap<String, String> = kept.into_iter().collect();
        let [classic, fast] = node_parse(&text).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&classic, &want, "dotenv.parse read {:?}", text);
        prop_assert_eq!(
            &fast,
            &want,
            "dotenv.parse(.., {{fast: true}}) read {:?}",
            text
        );
        Ok(())
    });
}

#[test]
fn dotenv_multi_line_and_quote_values_reach_both_parsers() {
    let values: Vec<String> = [
        "line one\nline two\n",
        "it's\nmulti\nline",
        "$HOME \"x\" \\n #not a comment",
        "  padded  ",
        "",
        "a\\b",
        "é😀\u{2028}\u{2029}\u{feff}",
        "'",
        "'#'",
        "`backticks`",
        "=",
        "# hash",
    ]
    .map(String::from)
    .to_vec();
    let text = render_values(Shell::Dotenv, &values).expect("all representable");
    let want: Vec<(String, String)> = names(values.len()).into_iter().zip(values).collect();
    let parsed: Vec<(String, String)> = dotenvy::from_read_iter(text.as_bytes())
        .collect::<Result<_, _>>()
        .expect("dotenvy parses");
    assert_eq!(parsed, want, "dotenvy read {text:?}");
    if have_package("dotenv") {
        let want: BTreeMap<String, String> = want.into_iter().collect();
        let [classic, fast] = node_parse(&text).expect("node parses");
        assert_eq!(classic, want, "dotenv.parse read {text:?}");
        assert_eq!(fast, want, "dotenv.parse fast read {text:?}");
    }
}

// -------------------------------------------------------------- json, nu

#[test]
fn json_and_nu_output_parse_back_to_exactly_the_values() {
    let any_value = prop_oneof![
        3 => value(),
        1 => any::<String>().prop_map(|s| s.replace('\0', "")),
    ];
    check(256, prop::collection::vec(any_value, 0..=8), |values| {
        let json = render_values(Shell::Json, &values).expect("json renders anything");
        let nu = render_values(Shell::Nu, &values).expect("nu renders anything");
        prop_assert_eq!(&nu, &json);
        prop_assert!(
            json.ends_with("}\n") && json.lines().count() == 1,
            "{json:?}"
        );
        let parsed: BTreeMap<String, String> = serde_json::from_str(&json)
            .map_err(|e| TestCaseError::fail(format!("not JSON: {e}: {json:?}")))?;
        let want: BTreeMap<String, String> = names(values.len()).into_iter().zip(values).collect();
        prop_assert_eq!(parsed, want);
        Ok(())
    });
}

// ------------------------------------------------------------- powershell

/// Reads `$env:NAME = '…' + [char]0xHHHH + …` lines the way PowerShell
/// would: each line one statement; single-quoted pieces are literal (any of
/// its single-quote characters would end one, so none may appear inside);
/// `[char]` pieces are UTF-16 units. Also checks each line is pure ASCII,
/// since `| Invoke-Expression` gets output line by line, possibly re-encoded.
fn parse_powershell(text: &str) -> Result<Vec<(String, String)>, String> {
    let is_quote = |c: char| PS_QUOTES.contains(&c);
    let mut vars = Vec::new();
    for line in text.lines() {
        if !line.is_ascii() {
            return Err(format!("not ASCII: {line:?}"));
        }
        let statement = line
            .strip_prefix("$env:")
            .ok_or_else(|| format!("expected `$env:` at {line:?}"))?;
        let (name, body) = statement
            .split_once(" = ")
            .ok_or_else(|| format!("expected ` = ` in {statement:?}"))?;
        let mut units: Vec<u16> = Vec::new();
        let mut rest = body;
        loop {
            if let Some(after) = rest.strip_prefix("[char]0x") {
                let hex = &after[..4.min(after.len())];
                units.push(u16::from_str_radix(hex, 16).map_err(|e| format!("{hex:?}: {e}"))?);
                rest = &after[hex.len()..];
            } else if let Some(after) = rest.strip_prefix('\'') {
                // A literal ends at the first quote character of any kind.
                let end = after
                    .find(is_quote)
                    .ok_or_else(|| format!("unterminated literal in {line:?}"))?;
                let inner = &after[..end];
                if inner.chars().any(|c| c.is_control()) {
                    return Err(format!("a control character inside {inner:?}"));
                }
                if !after[end..].starts_with('\'') {
                    return Err(format!("a curly quote ends a literal in {line:?}"));
                }
                units.extend(inner.encode_utf16());
                rest = &after[end + 1..];
            } else {
                return Err(format!("unexpected {rest:?} in {line:?}"));
            }
            match rest.strip_prefix(" + ") {
                Some(next) => rest = next,
                None if rest.is_empty() => break,
                None => return Err(format!("expected ` + ` at {rest:?}")),
            }
        }
        let value = String::from_utf16(&units).map_err(|e| e.to_string())?;
        vars.push((name.to_string(), value));
    }
    Ok(vars)
}

#[test]
fn powershell_lines_give_back_the_value() {
    let quote = prop::sample::select(PS_QUOTES.to_vec()).prop_map(String::from);
    let ps_value = prop::collection::vec(prop_oneof![2 => value(), 1 => quote], 0..6)
        .prop_map(|parts| parts.concat());
    check(256, prop::collection::vec(ps_value, 1..=6), |values| {
        let text = render_values(Shell::Powershell, &values).expect("renders anything");
        let parsed = parse_powershell(&text).map_err(TestCaseError::fail)?;
        let want: Vec<(String, String)> = names(values.len()).into_iter().zip(values).collect();
        prop_assert_eq!(parsed, want, "from {:?}", text);
        Ok(())
    });
}

/// The default (bash/zsh) form evaluated by dash — `/bin/sh` in npm scripts
/// and Makefiles on Debian — must fail loudly, not set corrupted values.
#[test]
fn the_bash_form_refuses_to_run_in_dash() {
    if !have("dash") {
        return;
    }
    let values = vec!["https://example.com:8080/a".to_string()];
    let code = render_values(Shell::Bash, &values).expect("renders");
    for script in [
        "eval $(cat code); echo \"[$V0]\"",
        "eval \"$(cat code)\" && echo \"[$V0]\"",
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("code"), &code).expect("write");
        let out = Command::new("dash")
            .args(["-c", script])
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .expect("dash runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--shell sh"), "{script}: {stderr}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("example.com"),
            "{script}: a value was set: {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
