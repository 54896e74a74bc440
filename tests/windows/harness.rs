//! A sealed environment per case (its own `BSCRED_HOME`, working directory
//! and cleared environment) and the assertions every case makes.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The fixed clock every run sees, as in the Linux suite.
pub const NOW: &str = "2026-06-01T12:00:00Z";

/// How long one bscred run may take: Wine starts slowly on a loaded
/// machine, but a hang (a prompt waiting for a console) must fail.
const DEADLINE: Duration = Duration::from_secs(120);

/// The bscred.exe under test.
pub fn exe() -> PathBuf {
    if let Some(path) = std::env::var_os("BSCRED_EXE") {
        return PathBuf::from(path);
    }
    // cargo puts test binaries in target/<triple>/debug/deps and the
    // binary one level up.
    let me = std::env::current_exe().expect("current_exe");
    let path = me
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("bscred.exe");
    assert!(
        path.is_file(),
        "{} is missing: build it first, or set BSCRED_EXE",
        path.display()
    );
    path
}

/// One sealed environment.
pub struct Env {
    _dir: tempfile::TempDir,
    /// The throwaway user profile directory (`USERPROFILE`).
    pub profile_dir: PathBuf,
    /// `BSCRED_HOME`, or `None` to test the default layout.
    pub home: Option<PathBuf>,
    /// The working directory of every run.
    pub work: PathBuf,
    extra: Vec<(String, std::ffi::OsString)>,
}

impl Env {
    pub fn new() -> Env {
        Env::named("bscred-win-")
    }

    /// An environment whose temporary directory starts with `prefix`
    /// (spaces and non-ASCII characters included).
    pub fn named(prefix: &str) -> Env {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("tempdir");
        let profile_dir = dir.path().join("user");
        let home = dir.path().join("bscred home");
        let work = dir.path().join("work");
        for d in [&profile_dir, &work] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        Env {
            profile_dir,
            home: Some(home),
            work,
            _dir: dir,
            extra: Vec::new(),
        }
    }

    /// An environment initialised with `init --backend BACKEND`.
    pub fn initialised(backend: &str) -> Env {
        let env = Env::new();
        env.ok(&["--backend", backend, "init"]);
        env
    }

    /// Adds a variable to every later run's environment.
    pub fn set_var(&mut self, name: &str, value: impl AsRef<OsStr>) {
        self.extra
            .push((name.to_string(), value.as_ref().to_os_string()));
    }

    /// `%LOCALAPPDATA%` of this environment.
    pub fn local_app_data(&self) -> PathBuf {
        self.profile_dir.join("AppData").join("Local")
    }

    /// `program` with the sealed environment: only what Windows itself
    /// needs to start programs, plus the user's directories and bscred's.
    pub fn sealed(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear();
        for name in [
            "SystemRoot",
            "windir",
            "ComSpec",
            "PATH",
            "PATHEXT",
            "SystemDrive",
        ] {
            if let Some(value) = std::env::var_os(name) {
                cmd.env(name, value);
            }
        }
        let temp = self.profile_dir.join("AppData").join("Local").join("Temp");
        std::fs::create_dir_all(&temp).expect("mkdir temp");
        cmd.env("USERPROFILE", &self.profile_dir)
            .env("HOME", &self.profile_dir)
            .env("LOCALAPPDATA", self.local_app_data())
            .env("APPDATA", self.profile_dir.join("AppData").join("Roaming"))
            .env("TEMP", &temp)
            .env("TMP", &temp)
            .env("BSCRED_TEST_NOW", NOW)
            .env("TZ", "UTC")
            .current_dir(&self.work);
        if let Some(home) = &self.home {
            cmd.env("BSCRED_HOME", home);
        }
        for (name, value) in &self.extra {
            cmd.env(name, value);
        }
        cmd
    }

    pub fn cmd(&self) -> Command {
        self.sealed(exe())
    }

    /// Runs bscred with `args` and no stdin.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        let mut cmd = self.cmd();
        cmd.args(args);
        finish(cmd, None)
    }

    /// Runs bscred with `args`, `input` on its stdin.
    pub fn run_stdin<S: AsRef<OsStr>>(&self, args: &[S], input: &[u8]) -> Output {
        let mut cmd = self.cmd();
        cmd.args(args);
        finish(cmd, Some(input))
    }

    /// Runs bscred, asserts exit 0, returns stdout.
    pub fn ok<S: AsRef<OsStr>>(&self, args: &[S]) -> String {
        let out = self.run(args);
        assert_code(&out, 0, &shown(args));
        text(&out.stdout)
    }

    /// Stores `value` under `name`, piped to `set --stdin` (never argv).
    pub fn set(&self, name: &str, value: &str, flags: &[&str]) {
        let mut args = vec!["set", name, "--stdin"];
        args.extend_from_slice(flags);
        let out = self.run_stdin(&args, value.as_bytes());
        assert_code(&out, 0, &format!("set {name}"));
    }

    /// `get -n NAME`: the value exactly as stored.
    pub fn get(&self, name: &str) -> String {
        self.ok(&["get", "-n", name])
    }
}

/// Runs `cmd` to its end (or the deadline, which fails the case), feeding
/// `input` and collecting both outputs.
pub fn finish(mut cmd: Command, input: Option<&[u8]>) -> Output {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input).expect("write stdin");
    }
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn shown<S: AsRef<OsStr>>(args: &[S]) -> String {
    args.iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts the exit code, showing both outputs when it differs.
pub fn assert_code(out: &Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "`bscred {what}`: expected exit {code}\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `dir`, relative, with `/` between components.
pub fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("under dir");
                let parts: Vec<_> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                found.push(parts.join("/"));
            }
        }
    }
    found.sort();
    found
}

/// A fixture token: the right shape, obviously fake.
pub fn token(seed: u32) -> String {
    format!("ghp_{:0>36}", format!("windowstest{seed}"))
}
