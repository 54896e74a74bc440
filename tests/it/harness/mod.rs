//! The hermetic test environment shared by every integration test, and
//! the assertions every test makes. The rigs for particular concerns have
//! files of their own here.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

pub mod age;
pub mod bao;
#[cfg(target_os = "linux")]
pub mod dbus;
pub mod git;
pub mod github;
#[cfg(target_os = "linux")]
pub mod keychain;
pub mod node;
pub mod process;
#[cfg(unix)]
pub mod pty;
pub mod random;
pub mod team;
pub mod transcript;

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
        let path = self.home.join(name);
        fs::write(&path, format!("{passphrase}\n")).expect("write passphrase file");
        set_mode(&path, 0o600);
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

/// A run's stdout, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
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

/// The error line and the hint line (empty when there is none) of a
/// failure, after checking it as `assert_fails` does. (Only the keychain
/// tests, which need a Secret Service, use it.)
#[cfg(target_os = "linux")]
pub fn failure(out: &Output, code: i32) -> (String, String) {
    let text = assert_fails(out, code);
    let mut lines = text.lines();
    let error = lines.next().unwrap_or_default().to_string();
    let hint = lines.next().unwrap_or_default().to_string();
    (error, hint)
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

/// Creates `dir` (and its parents) and makes it private (0700), as
/// runtime and keyring directories must be (the D-Bus and keychain rigs,
/// Linux only).
#[cfg(target_os = "linux")]
pub fn private_dir(dir: &Path) {
    fs::create_dir_all(dir).expect("mkdir");
    set_mode(dir, 0o700);
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A file's permission bits.
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

/// Entries of the store's directory other than the store itself, sorted:
/// a temporary file a write left behind shows up here.
pub fn strays(store: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(store.parent().expect("store dir"))
        .expect("list store dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p != store)
        .collect();
    found.sort();
    found
}
