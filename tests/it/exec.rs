//! `bscred exec` against real programs (node, sh, bash) and real signals, and
//! the failure side of `env`: exact values, the command's own exit status and
//! pid, arguments passed untouched, 125/126/127, and nothing on stdout when
//! bscred fails (docs/SECURITY.md "`env` and `exec`", README "Exit codes").
#![cfg(unix)]

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::harness::{Env, TOKEN, assert_fails, assert_success, bin, have, stderr};

/// How long a started command may take to say it is ready, or to exit.
const DEADLINE: Duration = Duration::from_secs(15);

/// Every `--shell` value `env` takes.
const SHELLS: [&str; 8] = [
    "bash",
    "zsh",
    "sh",
    "fish",
    "powershell",
    "nu",
    "dotenv",
    "json",
];

/// Values that break naive quoting or splitting, each stored whole.
const HARD_VALUES: [(&str, &str); 12] = [
    ("GITHUB_TOKEN", TOKEN),
    (
        "MULTI_LINE",
        "first line\nsecond line\n\nfourth, then a newline\n",
    ),
    ("QUOTES", r#"it's "double" and 'single' `back` \back\slash"#),
    ("UNICODE", "Zoë Ångström — 東京 🚀 \u{2019}curly\u{2019}"),
    (
        "SPACES",
        "  two leading,\ttabs\t\tand  runs  and trailing  ",
    ),
    (
        "SUBSTITUTION",
        "$(touch pwned) ${HOME} $HOME `touch pwned2`",
    ),
    ("EMPTY", ""),
    ("LEADING_DASH", "-n"),
    ("EQUALS", "a=b=c"),
    ("CRLF", "line\r\nnext\r\n"),
    ("GLOB", "* ? [abc] ~ # ; & | < > ( ) !"),
    ("ONLY_NEWLINES", "\n\n"),
];

/// Stores `value` exactly: `set --stdin` drops one trailing newline, so one
/// is added for it to drop.
fn store(env: &Env, name: &str, value: &str) {
    let mut input = value.as_bytes().to_vec();
    input.push(b'\n');
    assert_success(&env.run_stdin(&["set", name, "--stdin"], &input));
}

/// Asserts the one-line `bscred: error:` message (plus at most a hint) that
/// bscred prints when it cannot start a command, and that it names `what`.
fn assert_exec_error(out: &Output, code: i32, what: &str) {
    let text = assert_fails(out, code);
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("bscred: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{text}");
    assert!(errors[0].contains(what), "{text}");
}

/// `bscred` as a std `Command` with the environment `Env::cmd` sets, so a
/// run can be spawned, read while it runs, and signalled.
///
/// Signals this test process ignores would stay ignored through every exec
/// (POSIX keeps SIG_IGN across execve, and a shell cannot trap a signal
/// that was ignored on entry), e.g. under `nohup` or a background job
/// without job control. Then `env --default-signal` restores them before
/// bscred starts (it execs too, so the pid is unchanged), and the test still
/// checks only what bscred itself does with them.
fn bscred_std(env: &Env) -> Command {
    let ignored: Vec<&str> = [("INT", 2), ("TERM", 15)]
        .into_iter()
        .filter(|(_, number)| ignored_here(*number))
        .map(|(name, _)| name)
        .collect();
    if ignored.is_empty() {
        return env.sealed(bin());
    }
    let mut cmd = env.sealed("env");
    cmd.arg(format!("--default-signal={}", ignored.join(",")))
        .arg(bin());
    cmd
}

/// Whether this process ignores signal `number` (from /proc/self/status).
fn ignored_here(number: u32) -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (number - 1)) != 0)
}

/// A running `bscred exec`, its stdout read line by line on a thread. Killed
/// on drop, so a failing assertion leaves no process behind.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(env: &Env, args: &[&str]) -> Running {
        let mut child = bscred_std(env)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("bscred starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// The next line of stdout, failing the test at the deadline.
    fn line(&self) -> String {
        self.lines
            .recv_timeout(DEADLINE)
            .expect("the command prints its next line in time")
    }

    /// Sends `signal` (a name `kill` knows) to the spawned pid only.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the exit, polling against the deadline.
    fn wait(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "the command did not exit within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn node_reads_every_value_exactly() {
    if !have("node") {
        return;
    }
    let env = Env::initialised();
    for (name, value) in HARD_VALUES {
        store(&env, name, value);
    }
    let out = env.run(&[
        "exec",
        "--",
        "node",
        "-e",
        "process.stdout.write(JSON.stringify(process.env))",
    ]);
    assert_success(&out);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json from node");
    for (name, value) in HARD_VALUES {
        assert_eq!(seen[name].as_str(), Some(value), "{name}");
    }
    // Inherited variables are still there beside the stored ones.
    assert_eq!(
        seen["HOME"].as_str(),
        Some(env.home.to_str().expect("utf-8"))
    );
    // No shell ever saw the values, so nothing in them ran.
    assert!(!env.work.join("pwned").exists());
    assert!(!env.work.join("pwned2").exists());
}

#[test]
fn the_commands_exit_status_is_bscreds() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    for code in [0, 1, 7, 255] {
        let out = env.run(&["exec", "--", "sh", "-c", &format!("exit {code}")]);
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        assert!(out.stderr.is_empty(), "{}", stderr(&out));
    }
    // The command's own 3, 4 and 125 are passed on as they are.
    for code in [3, 4, 125, 126, 127] {
        let out = env.run(&["exec", "--", "sh", "-c", &format!("exit {code}")]);
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        assert!(out.stderr.is_empty(), "{}", stderr(&out));
    }
}

#[test]
fn not_executable_is_126_and_not_found_is_127() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let script = env.work.join("script.sh");
    fs::write(&script, "#!/bin/sh\ntouch ran\n").expect("write");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).expect("chmod");
    let directory = env.work.join("a-directory");
    fs::create_dir(&directory).expect("mkdir");
    let script_abs = script.to_str().expect("utf-8");
    let directory_abs = directory.to_str().expect("utf-8");

    for (command, code) in [
        ("./script.sh", 126),
        (script_abs, 126),
        ("./a-directory", 126),
        (directory_abs, 126),
        ("bscred-test-no-such-command", 127),
        ("./no-such-file", 127),
        ("/nonexistent/dir/cmd", 127),
    ] {
        let out = env.run(&["exec", "--", command, "arg"]);
        assert_exec_error(&out, code, command);
    }
    assert!(!env.work.join("ran").exists());

    // Made executable, the same file runs.
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_success(&env.run(&["exec", "--", "./script.sh"]));
    assert!(env.work.join("ran").exists());
}

/// A shell that traps `signal`, exiting with `code`, prints its pid and
/// "ready", then waits; the signal goes to the pid of `bscred exec`.
fn signal_reaches_the_command(shell: &str, signal: &str, code: i32) {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let script = format!(
        "trap 'exit {code}' {signal}; echo \"$$\"; echo ready; while :; do sleep 0.1; done"
    );
    let mut running = Running::start(&env, &["exec", "--", shell, "-c", &script]);
    let pid = running.line();
    assert_eq!(running.line(), "ready");
    // exec, not a child: the shell is the process that was started.
    assert_eq!(pid, running.child.id().to_string(), "{shell}: a new pid");
    running.signal(signal);
    let status = running.wait();
    assert_eq!(
        status.code(),
        Some(code),
        "{shell} {signal}: {status:?} (signal {:?})",
        status.signal()
    );
}

#[test]
fn sigterm_to_bscred_reaches_the_command() {
    signal_reaches_the_command("sh", "TERM", 42);
    if have("bash") {
        signal_reaches_the_command("bash", "TERM", 42);
    }
}

#[test]
fn sigint_to_bscred_reaches_the_command() {
    signal_reaches_the_command("sh", "INT", 43);
    if have("bash") {
        signal_reaches_the_command("bash", "INT", 43);
    }
}

#[test]
fn arguments_after_the_separator_pass_through_untouched() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let mut args: Vec<OsString> = [
        "-x",
        "--help",
        "--",
        "",
        "a b",
        "  spaced  ",
        "line1\nline2\n",
        "-p",
        "team",
        "--only",
        "NOPE",
        "-q",
        "--version",
        "$(touch pwned)",
        "*",
        "tab\there",
    ]
    .into_iter()
    .map(OsString::from)
    .collect();
    // Not UTF-8: argv is bytes, and bytes must arrive.
    args.push(OsString::from_vec(vec![0xff, 0xfe, b'x']));

    let out = env
        .cmd()
        .args(["exec", "--", "sh", "-c", r#"printf '%s\0' "$@""#, "sh"])
        .args(&args)
        .output()
        .expect("runs");
    assert_success(&out);
    let mut got: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
    assert_eq!(got.pop(), Some(&b""[..]), "ends with a NUL");
    let want: Vec<Vec<u8>> = args.into_iter().map(OsString::into_vec).collect();
    assert_eq!(got, want);
    assert!(!env.work.join("pwned").exists());

    // A command that looks like an option is still the command.
    for command in ["--help", "--version", "-q"] {
        let out = env.run(&["exec", "--", command]);
        assert_exec_error(&out, 127, command);
    }
}

#[test]
fn stored_values_override_inherited_ones_unless_told_not_to() {
    let env = Env::initialised();
    store(&env, "GITHUB_USERNAME", "stored");
    store(&env, "USER_EMAIL", "stored@example.com");
    let show = r#"printf '%s|%s|%s' "$GITHUB_USERNAME" "$USER_EMAIL" "$INHERITED_ONLY""#;
    let run = |extra: &[&str]| {
        let out = env
            .cmd()
            .env("GITHUB_USERNAME", "inherited")
            .env("INHERITED_ONLY", "kept")
            .arg("exec")
            .args(extra)
            .args(["--", "sh", "-c", show])
            .output()
            .expect("runs");
        assert_success(&out);
        String::from_utf8(out.stdout).expect("utf-8")
    };
    assert_eq!(run(&[]), "stored|stored@example.com|kept");
    assert_eq!(run(&["--no-override"]), "inherited|stored@example.com|kept");
}

#[test]
fn only_passes_just_the_named_variables() {
    let env = Env::initialised();
    store(&env, "ALPHA", "a");
    store(&env, "BETA", "b");
    store(&env, "GAMMA", "c");
    let show = r#"printf '%s|%s|%s' "${ALPHA-unset}" "${BETA-unset}" "${GAMMA-unset}""#;
    let out = env.run(&["exec", "--only", "ALPHA,BETA", "--", "sh", "-c", show]);
    assert_success(&out);
    assert_eq!(out.stdout, b"a|b|unset");
    let out = env.run(&["exec", "--only", "GAMMA", "--", "sh", "-c", show]);
    assert_success(&out);
    assert_eq!(out.stdout, b"unset|unset|c");

    // A name that is not stored: bscred's own failure, the command never runs.
    for only in ["MISSING", "ALPHA,MISSING"] {
        let out = env.run(&["exec", "--only", only, "--", "touch", "marker"]);
        assert_exec_error(&out, 125, "MISSING");
        assert!(!env.work.join("marker").exists(), "--only {only}");
    }
}

/// Asserts that `env` fails with `env_code` and nothing on stdout, for every
/// `--shell`, and that `exec` fails with 125 without running the command.
fn assert_env_and_exec_fail(env: &Env, profile: &[&str], env_code: i32, what: &str) {
    let args: Vec<&str> = profile.iter().copied().chain(["env"]).collect();
    assert_fails(&env.run(&args), env_code);
    for shell in SHELLS {
        let mut args = args.clone();
        args.extend(["--shell", shell]);
        let out = env.run(&args);
        assert_fails(&out, env_code);
    }
    let args: Vec<&str> = profile
        .iter()
        .copied()
        .chain(["exec", "--", "touch", "marker"])
        .collect();
    let out = env.run(&args);
    assert_exec_error(&out, 125, what);
    assert!(!env.work.join("marker").exists(), "the command ran");
}

#[test]
fn broken_store_prints_nothing_and_runs_nothing() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let store_file = env.store_path();
    let garbage: Vec<u8> = (0..512u32).map(|i| (i * 37 % 251) as u8).collect();
    fs::write(&store_file, &garbage).expect("overwrite the store");
    assert_env_and_exec_fail(&env, &[], 4, &store_file.display().to_string());
    assert_eq!(
        fs::read(&store_file).expect("read"),
        garbage,
        "left as found"
    );

    // An age header followed by garbage is damaged too.
    let mut truncated = b"age-encryption.org/v1\n-> X25519 ".to_vec();
    truncated.extend(&garbage);
    fs::write(&store_file, &truncated).expect("overwrite the store");
    assert_env_and_exec_fail(&env, &[], 4, &store_file.display().to_string());
}

#[test]
fn missing_identity_prints_nothing_and_runs_nothing() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let identity = env.identity_path();
    fs::rename(&identity, env.home.join("moved-away.txt")).expect("move the identity");
    assert_env_and_exec_fail(&env, &[], 4, &identity.display().to_string());
}

#[test]
fn uninitialised_profile_prints_nothing_and_runs_nothing() {
    let env = Env::new();
    assert_env_and_exec_fail(&env, &[], 3, "'default'");
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    assert_env_and_exec_fail(&env, &["-p", "nobody"], 3, "'nobody'");
}

#[test]
fn env_stdout_is_only_code_whatever_goes_to_stderr() {
    let env = Env::initialised();
    // Values every format carries (dotenv refuses a carriage return, and a
    // single quote beside a double quote, backslash or dollar sign).
    for (name, value) in HARD_VALUES
        .iter()
        .filter(|(name, _)| !["CRLF", "QUOTES"].contains(name))
    {
        store(&env, name, value);
    }
    store(&env, "DOUBLE_QUOTES", r#""double" `back` \back\slash $x"#);
    // An unallowed project file makes every command print a notice.
    fs::write(env.work.join(".bscred.toml"), "profile = \"default\"\n").expect("write");
    let mut formats: Vec<Vec<&str>> = vec![vec!["env"]];
    formats.extend(SHELLS.iter().map(|shell| vec!["env", "--shell", shell]));
    for args in formats {
        let loud = env.run(&args);
        assert_success(&loud);
        assert!(!loud.stderr.is_empty(), "{args:?}: expected the notice");
        let quiet_args: Vec<&str> = ["-q"].into_iter().chain(args.iter().copied()).collect();
        let quiet = env.run(&quiet_args);
        assert_success(&quiet);
        assert!(quiet.stderr.is_empty(), "{args:?}: {}", stderr(&quiet));
        assert!(!quiet.stdout.is_empty(), "{args:?}");
        assert_eq!(loud.stdout, quiet.stdout, "{args:?}");
    }

    // exec: the command's stdout is all there is on stdout.
    let out = env.run(&["exec", "--", "printf", "only this"]);
    assert_success(&out);
    assert_eq!(out.stdout, b"only this");
    assert!(!out.stderr.is_empty(), "expected the notice");
}

#[test]
fn a_value_the_format_cannot_carry_fails_with_empty_stdout() {
    let env = Env::initialised();
    // Sorted last: the values before it are fine, and still nothing is
    // written, since every value is checked before the first byte.
    store(&env, "Z_CRLF", "line\r\nnext");
    store(&env, "PLAIN", "fine");
    let out = env.run(&["env", "--shell", "dotenv"]);
    let text = assert_fails(&out, 1);
    assert!(text.contains("Z_CRLF"), "{text}");
    // --only leaves it out, as the hint says.
    let out = env.run(&["env", "--shell", "dotenv", "--only", "PLAIN"]);
    assert_success(&out);
    assert!(!out.stdout.is_empty());
}

#[test]
fn exec_does_not_touch_the_store() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    let store_file = env.store_path();
    let before = fs::read(&store_file).expect("read");
    assert_success(&env.run(&["exec", "--", "true"]));
    assert_success(&env.run(&["env"]));
    assert_eq!(fs::read(&store_file).expect("read"), before);
}

#[test]
fn the_command_gets_stdin_and_the_terminal() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    // bscred reads nothing of stdin: all of it is the command's.
    let input = b"piped line 1\npiped line 2\n";
    let out = env.run_stdin(&["exec", "--", "cat"], input);
    assert_success(&out);
    assert_eq!(out.stdout, input);

    if !have("script") {
        return;
    }
    // On a terminal, the command's stdin, stdout and stderr are that terminal.
    let command = format!(
        "'{}' exec -- sh -c '[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-on-the-tty'",
        bin().display()
    );
    let mut child = env
        .sealed("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script runs");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut screen = String::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            screen.push_str(&line);
            screen.push('\n');
        }
        let _ = tx.send(screen);
    });
    // stdin stays open (held in `child`) until script has finished.
    let Ok(screen) = rx.recv_timeout(DEADLINE) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("script did not finish within {DEADLINE:?}");
    };
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}: {screen}");
    assert!(screen.contains("all-on-the-tty"), "{screen}");
}

#[test]
fn exec_usage_errors_are_125_not_a_code_the_command_could_return() {
    let env = Env::initialised();
    for args in [
        &["exec", "--bogus", "--", "true"][..],
        &["exec"],
        &["exec", "--only", "bad-name", "--", "true"],
        &["-p", "default", "exec", "--nope", "--", "true"],
        // Every global option that takes a value, its value included.
        &["--passphrase-file", "F", "exec", "--bogus", "--", "true"],
        &[
            "--backend",
            "file",
            "--profile",
            "default",
            "exec",
            "--bogus",
        ],
    ] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(125), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    // Other commands keep clap's 2.
    assert_eq!(env.run(&["get", "--bogus"]).status.code(), Some(2));
}

#[test]
fn a_missing_interpreter_is_126_and_says_so() {
    let env = Env::initialised();
    let script = env.work.join("badint");
    fs::write(&script, "#!/nonexistent/interpreter\necho hi\n").expect("write");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = env.run(&["exec", "--", "./badint"]);
    assert_exec_error(&out, 126, "./badint");
    assert!(stderr(&out).contains("#!"), "{}", stderr(&out));
}

/// An environment larger than the system lets a program start with (here
/// 4 MB of values, over Linux's usual 2 MB) cannot be handed to any
/// program: exit 125 (bscred's failure, not the command's), saying E2BIG,
/// not 126 "not executable".
#[test]
fn an_environment_too_large_to_start_a_program_is_125_with_the_reason() {
    let env = Env::initialised();
    let value = "x".repeat(60_000);
    let text: String = (0..70).map(|i| format!("HUGE_{i}={value}\n")).collect();
    fs::write(env.work.join("huge.env"), text).expect("write");
    assert_success(&env.run(&["import", "huge.env"]));
    let out = env.run(&["exec", "--", "true"]);
    assert_exec_error(&out, 125, "E2BIG");
    assert!(stderr(&out).contains("--only"), "{}", stderr(&out));
    // The hint works: without the large value the command runs.
    store(&env, "SMALL", "ok");
    let out = env.run(&["exec", "--only", "SMALL", "--", "printenv", "SMALL"]);
    assert_success(&out);
    assert_eq!(out.stdout, b"ok\n");
}

/// `env` streams its output: memory stays within a small multiple of the
/// store (it held the escaped output whole, up to 20 times the store).
/// Peak RSS as GNU time reports it; not a timing.
#[test]
fn env_memory_stays_within_a_small_multiple_of_the_store() {
    if !have("time") {
        return;
    }
    let env = Env::initialised();
    let value = "a b:c/d$e".repeat(6_000);
    let text: String = (0..150).map(|i| format!("BIG_{i}='{value}'\n")).collect();
    fs::write(env.work.join("big.env"), &text).expect("write");
    assert_success(&env.run(&["import", "big.env"]));
    let store = fs::metadata(env.store_path()).expect("store").len();
    assert!(store > 7_000_000, "{store}");
    for shell in ["bash", "json", "powershell"] {
        let out = env
            .sealed("time")
            .args(["-f", "%M"])
            .arg(bin())
            .args(["env", "--shell", shell])
            .output()
            .expect("time runs");
        assert!(out.status.success(), "{}", stderr(&out));
        let kib: u64 = stderr(&out)
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .expect("a peak RSS in KiB");
        let limit = 4 * store / 1024 + 16 * 1024;
        assert!(
            kib < limit,
            "{shell}: peak RSS {kib} KiB for a {store}-byte store (limit {limit} KiB)"
        );
    }
}
