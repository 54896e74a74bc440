//! The hermetic test environment shared by every integration test.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

/// The fixed "now" every test runs at (STYLE: time is a parameter).
pub const NOW: &str = "2026-06-01T12:00:00Z";

/// A classic GitHub token (valid checksum) used across tests; any output
/// containing it leaks.
pub const TOKEN: &str = "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";

/// One sealed environment: its own HOME, BSCRED_HOME and working directory.
pub struct Env {
    _root: TempDir,
    pub home: PathBuf,
    pub bscred_home: PathBuf,
    pub work: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let root = tempfile::tempdir().expect("tempdir");
        let home = root.path().join("home");
        let bscred_home = root.path().join("bscred");
        let work = root.path().join("work");
        for dir in [&home, &work] {
            fs::create_dir_all(dir).expect("mkdir");
        }
        Env {
            _root: root,
            home,
            bscred_home,
            work,
        }
    }

    /// An initialised environment.
    pub fn initialised() -> Env {
        let env = Env::new();
        env.ok(&["init"]);
        env
    }

    /// `bscred` with a cleared environment: PATH, HOME, BSCRED_HOME, the
    /// fixed clock and the time zone (UTC) only.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.sealed(bin()))
    }

    /// `program` with the sealed environment of `cmd`, as a std `Command`
    /// (for other tools, or a run to time, keep or kill).
    pub fn sealed(&self, program: impl AsRef<OsStr>) -> std::process::Command {
        let mut cmd = std::process::Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("BSCRED_HOME", &self.bscred_home)
            .env("BSCRED_TEST_NOW", NOW)
            // Dates are shown in the user's time zone: pinned like the
            // clock, so a test means the same on a machine in any zone.
            // A test of another zone sets TZ itself.
            .env("TZ", "UTC")
            .current_dir(&self.work);
        cmd
    }

    /// Runs bscred with `args` and no stdin.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        self.cmd().args(args).output().expect("bscred runs")
    }

    /// Runs bscred with `args` in the directory `dir` (a project, say).
    pub fn run_in<S: AsRef<OsStr>>(&self, dir: &Path, args: &[S]) -> Output {
        self.cmd()
            .current_dir(dir)
            .args(args)
            .output()
            .expect("bscred runs")
    }

    /// Runs bscred with `args` and `input` on stdin.
    pub fn run_stdin<S: AsRef<OsStr>>(&self, args: &[S], input: &[u8]) -> Output {
        self.cmd()
            .args(args)
            .write_stdin(input)
            .output()
            .expect("bscred runs")
    }

    /// Runs bscred and asserts success, returning stdout.
    pub fn ok<S: AsRef<OsStr>>(&self, args: &[S]) -> String {
        let out = self.run(args);
        assert_success(&out);
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Stores a value through `set --stdin` (as a secret when the name says so).
    pub fn set(&self, name: &str, value: &str) {
        let out = self.run_stdin(&["set", name, "--stdin"], value.as_bytes());
        assert_success(&out);
    }

    /// A value read back through `get -n`.
    pub fn get(&self, name: &str) -> String {
        self.ok(&["get", "-n", name])
    }

    /// A passphrase file (0600) holding `passphrase`, for `--passphrase-file`.
    pub fn passphrase_file(&self, name: &str, passphrase: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.home.join(name);
        fs::write(&path, format!("{passphrase}\n")).expect("write passphrase file");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        path
    }

    /// An environment whose new identity is protected by `passphrase`
    /// (`init --passphrase`, given through a passphrase file), and the file.
    pub fn protected(passphrase: &str) -> (Env, PathBuf) {
        let env = Env::new();
        let file = env.passphrase_file("passphrase", passphrase);
        env.ok(&[
            OsStr::new("--passphrase-file"),
            file.as_os_str(),
            OsStr::new("init"),
            OsStr::new("--passphrase"),
            OsStr::new("--backend"),
            OsStr::new("file"),
            OsStr::new("--no-project-file"),
        ]);
        (env, file)
    }

    /// `list --json`, parsed.
    pub fn list_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["list", "--json"])).expect("json")
    }

    /// The profile's store file, as `status --json` reports it.
    pub fn store_path(&self) -> PathBuf {
        let status: serde_json::Value =
            serde_json::from_str(&self.ok(&["status", "--json"])).expect("json");
        PathBuf::from(status["store"].as_str().expect("store path"))
    }

    /// The identity file `init` created.
    pub fn identity_path(&self) -> PathBuf {
        self.bscred_home.join("data/identity.txt")
    }

    /// Every file under BSCRED_HOME and the work dir with its bytes, lock
    /// files aside (they are created empty by design), for "nothing changed"
    /// assertions.
    pub fn files(&self) -> Files {
        let mut files = BTreeMap::new();
        for root in [&self.bscred_home, &self.work] {
            collect(root, &mut files);
        }
        files.retain(|path, _| !path.starts_with(self.bscred_home.join("state/locks")));
        files
    }
}

fn collect(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        let kind = fs::symlink_metadata(&path).expect("stat").file_type();
        if kind.is_symlink() {
            // A link is recorded as where it points, dangling or not.
            let target = fs::read_link(&path).expect("readlink");
            let text = format!("symlink -> {}", target.display());
            files.insert(path.clone(), text.into_bytes());
        } else if kind.is_dir() {
            collect(&path, files);
        } else {
            files.insert(path.clone(), fs::read(&path).expect("read"));
        }
    }
}

/// Every file with its bytes, as `Env::files` returns them.
pub type Files = BTreeMap<PathBuf, Vec<u8>>;

/// Asserts that no file was created, removed or changed since `before`.
pub fn assert_unchanged(env: &Env, before: &Files) {
    let after = env.files();
    let changed: Vec<&PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|path| before.get(*path) != after.get(*path))
        .collect();
    assert!(changed.is_empty(), "files changed: {changed:?}");
}

/// The bscred binary under test.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("bscred")
}

/// A run's stderr, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit 0, showing stderr otherwise.
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "bscred failed with {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts a failure with `code`, empty stdout, and a one-line error
/// (plus an optional hint line) that never contains `TOKEN`.
pub fn assert_fails(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert!(out.stdout.is_empty(), "stdout not empty: {:?}", out.stdout);
    assert!(!stderr.contains(TOKEN), "the secret leaked: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    if code != 2 || stderr.starts_with("bscred: error:") {
        assert!(
            lines
                .first()
                .is_some_and(|l| l.starts_with("bscred: error: ")),
            "{stderr}"
        );
        assert!(lines.len() <= 2, "more than error + hint: {stderr}");
        if let Some(hint) = lines.get(1) {
            assert!(hint.starts_with("bscred: hint: "), "{stderr}");
        }
    }
    stderr
}

/// Whether an external tool is on PATH. When it is not, a test skips with a
/// printed reason by hand, and fails under CI so CI never passes by skipping.
pub fn have(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()));
    available(
        found,
        &format!("{tool} is not installed (scripts/test.sh installs it)"),
    )
}

/// `found`, after skipping with `missing` as the reason by hand, or failing
/// under CI, when it is false: CI never passes by skipping.
pub fn available(found: bool, missing: &str) -> bool {
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "required in CI: {missing}"
        );
        eprintln!("skipping: {missing}");
    }
    found
}

/// Whether the test command started a Secret Service for the tests
/// (`scripts/test.sh` exports `BSCRED_TEST_SECRET_SERVICE=1` once its
/// private gnome-keyring answers). Skips by hand, fails under CI.
pub fn have_secret_service() -> bool {
    let found = std::env::var_os("BSCRED_TEST_SECRET_SERVICE").is_some()
        && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some();
    available(
        found,
        "no Secret Service (run the tests through scripts/test.sh, which starts one)",
    )
}

/// Runs `bscred ARGS` on a real pseudo-terminal (util-linux `script`) with
/// the sealed environment plus `extra` variables, and plays `steps`: for
/// each, waits (with a deadline) for its prompt to appear on the screen
/// after the previous one, then types its input, as a person would.
/// Returns the exit code and everything the screen showed.
#[cfg(unix)]
pub fn on_pty(
    env: &Env,
    extra: &[(&str, &str)],
    args: &str,
    steps: &[(&str, &str)],
) -> (Option<i32>, String) {
    let command = format!("'{}' {args}", bin().display());
    command_on_pty(env, extra, &command, steps)
}

/// `on_pty` for any shell command line, such as another tool's prompt.
#[cfg(unix)]
pub fn command_on_pty(
    env: &Env,
    extra: &[(&str, &str)],
    command: &str,
    steps: &[(&str, &str)],
) -> (Option<i32>, String) {
    use std::io::{Read, Write};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    const DEADLINE: Duration = Duration::from_secs(20);
    let mut script = env.sealed("script");
    script
        .args(["-qec", command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    for (name, value) in extra {
        script.env(name, value);
    }
    let mut child = script.spawn().expect("script runs");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut stdin = child.stdin.take().expect("stdin");
    let mut screen = String::new();
    let mut seen = 0;
    for (prompt, input) in steps {
        let start = Instant::now();
        loop {
            if let Some(at) = screen[seen..].find(prompt) {
                seen += at + prompt.len();
                break;
            }
            match rx.recv_timeout(DEADLINE.saturating_sub(start.elapsed())) {
                Ok(chunk) => screen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{prompt:?} never appeared on the screen:\n{screen}");
                }
            }
        }
        stdin.write_all(input.as_bytes()).expect("type");
    }
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bscred did not finish:\n{screen}");
        }
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(20)) {
            screen.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    drop(stdin);
    while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(300)) {
        screen.push_str(&String::from_utf8_lossy(&chunk));
    }
    (status.code(), screen)
}

/// Whether the Go age CLI decrypts `store` with the identity `key`.
pub fn age_reads(key: &Path, store: &Path) -> bool {
    std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(key)
        .arg(store)
        .output()
        .expect("age runs")
        .status
        .success()
}
