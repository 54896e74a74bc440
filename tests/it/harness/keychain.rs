//! The keychain backend's test rig: bscred talking to a Secret Service
//! (the test command's shared gnome-keyring, or one a test starts on a
//! private bus), `secret-tool` to look at the items from outside, and the
//! cleanup that removes a test's items however it ends.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::dbus::{Bus, Daemon};
use super::{Env, assert_success, failure, have, private_dir, process};

/// How long one bscred run may take before the test calls it hung.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The variable bounding every keychain call (docs/SECURITY.md "The keychain backend").
pub const TIMEOUT_VAR: &str = "BSCRED_KEYCHAIN_TIMEOUT";

/// The Secret Service's well-known bus name.
pub const SECRETS: &str = "org.freedesktop.secrets";

// ------------------------------------------------------------------ bscred

/// `bscred` for one profile in a harness `Env`, with exactly the sealed
/// environment of `Env::cmd` plus a D-Bus address (or none) and whatever
/// variables a test adds. A std `Command`, so a run can be timed, left
/// running and killed.
#[derive(Clone)]
pub struct Cli<'a> {
    env: &'a Env,
    profile: String,
    vars: Vec<(String, OsString)>,
}

impl<'a> Cli<'a> {
    /// Profile `profile` in `env`, talking to the bus at `bus`. `None` means
    /// no bus at all: no address, and an XDG_RUNTIME_DIR without a `bus`
    /// socket in it (where zbus would look next).
    pub fn new(env: &'a Env, profile: &str, bus: Option<&OsStr>) -> Cli<'a> {
        let runtime = env.home.join("run");
        private_dir(&runtime);
        let mut vars = vec![("XDG_RUNTIME_DIR".to_string(), runtime.into_os_string())];
        if let Some(bus) = bus {
            vars.push(("DBUS_SESSION_BUS_ADDRESS".to_string(), bus.to_os_string()));
        }
        Cli {
            env,
            profile: profile.to_string(),
            vars,
        }
    }

    /// The same with one more variable (a later one wins).
    pub fn with(&self, name: &str, value: impl Into<OsString>) -> Cli<'a> {
        let mut cli = self.clone();
        cli.vars.retain(|(n, _)| n != name);
        cli.vars.push((name.to_string(), value.into()));
        cli
    }

    /// The same without a variable.
    pub fn without(&self, name: &str) -> Cli<'a> {
        let mut cli = self.clone();
        cli.vars.retain(|(n, _)| n != name);
        cli
    }

    fn command(&self) -> Command {
        let mut cmd = self.env.sealed(super::bin());
        cmd.env("BSCRED_PROFILE", &self.profile);
        for (name, value) in &self.vars {
            cmd.env(name, value);
        }
        cmd
    }

    /// Starts bscred with `input` already written to its stdin and closed.
    pub fn spawn(&self, args: &[&str], input: &[u8]) -> Child {
        process::spawn_fed(self.command().args(args), input)
    }

    /// Runs bscred to the end, and how long it took.
    pub fn run_timed(&self, args: &[&str], input: &[u8]) -> (Output, Duration) {
        let start = Instant::now();
        let out = finish(self.spawn(args, input), &format!("bscred {args:?}"));
        (out, start.elapsed())
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_timed(args, b"").0
    }

    /// Runs bscred, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_success(&out);
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// `set NAME --stdin` with exactly `value`.
    pub fn set(&self, name: &str, value: &str) {
        // `--stdin` drops one trailing newline: add it, so `value` is kept whole.
        let input = format!("{value}\n");
        let (out, _) = self.run_timed(&["set", name, "--stdin"], input.as_bytes());
        assert_success(&out);
    }

    /// `get -n NAME`.
    pub fn get(&self, name: &str) -> String {
        self.ok(&["get", "-n", name])
    }

    /// `status --json`, parsed.
    pub fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["status", "--json"])).expect("status json")
    }

    /// Every variable with its value, from `env --shell json`.
    pub fn values(&self) -> std::collections::BTreeMap<String, String> {
        serde_json::from_str(&self.ok(&["env", "--shell", "json"])).expect("env json")
    }

    /// The profile's settings file, parsed.
    fn settings(&self) -> toml::Table {
        let path = self
            .env
            .bscred_home
            .join(format!("config/profiles/{}.toml", self.profile));
        let text = fs::read_to_string(&path).expect("read settings");
        toml::from_str(&text).expect("settings toml")
    }

    /// A text field of the settings (`backend`, `item`, `identity_item`).
    pub fn setting(&self, key: &str) -> Option<String> {
        self.settings()
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }

    /// The file backend's store path for this profile.
    pub fn store_file(&self) -> PathBuf {
        self.env
            .bscred_home
            .join(format!("data/profiles/{}.age", self.profile))
    }
}

/// Waits for a bscred `child` and collects its output, failing the test
/// when it runs past `DEADLINE`.
pub fn finish(child: Child, what: &str) -> Output {
    process::finish(child, what, DEADLINE)
}

/// A profile name unique to this test process, so tests sharing the
/// keyring never touch each other's items.
pub fn unique(stem: &str) -> String {
    format!("{stem}-{}", std::process::id())
}

/// The shared Secret Service's bus, or `None` (after `have_secret_service`
/// printed why, or failed under CI) when the tests run without it.
pub fn shared_bus() -> Option<OsString> {
    if !(super::have_secret_service() && have("secret-tool")) {
        return None;
    }
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS")
}

/// Whether the tools for a private session are installed.
pub fn have_private_session() -> bool {
    [
        "dbus-daemon",
        "dbus-send",
        "gnome-keyring-daemon",
        "secret-tool",
    ]
    .into_iter()
    .all(have)
}

/// The keychain failure of a run: exit 4, a hint naming `--backend file`,
/// within `bound`. Returns the error and hint lines.
pub fn keychain_failure(out: &Output, elapsed: Duration, bound: Duration) -> (String, String) {
    let (error, hint) = failure(out, 4);
    assert!(hint.contains("--backend file"), "{error}\n{hint}");
    assert!(
        elapsed < bound,
        "took {elapsed:?}, more than {bound:?}: {error}"
    );
    (error, hint)
}

// -------------------------------------------------------------- secret-tool

/// `secret-tool ARGS` on the keyring at `bus`, bounded by `timeout`.
fn secret_tool(bus: &OsStr, args: &[&str]) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.args(["10", "secret-tool"])
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", bus);
    cmd
}

/// `secret-tool search --all service bscred ATTRS…` on the keyring at
/// `bus`. It prints each item's path, label and secret on stdout and its
/// attributes on stderr.
fn search(bus: &OsStr, attributes: &[&str]) -> (String, String) {
    // Other tests share the keyring: an item they delete between
    // secret-tool's search and its read of that item makes it fail, so a
    // failed search is run again (a few times at most).
    let mut last = (String::new(), String::new());
    for _ in 0..5 {
        let Ok(out) = secret_tool(bus, &["search", "--all", "service", "bscred"])
            .args(attributes)
            .stdin(Stdio::null())
            .output()
        else {
            continue;
        };
        last = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        // "No matching results" is a success of sorts: nothing there.
        if out.status.success() || last.1.contains("No matching") || last.1.is_empty() {
            break;
        }
    }
    last
}

/// The accounts (`username` attributes) of every bscred item on the keyring.
fn accounts(bus: &OsStr) -> Vec<String> {
    search(bus, &[])
        .1
        .lines()
        .filter_map(|line| line.strip_prefix("attribute.username = "))
        .map(str::to_string)
        .collect()
}

/// The labels of the items under `account`, one per item.
pub fn labels(bus: &OsStr, account: &str) -> Vec<String> {
    search(bus, &["username", account])
        .0
        .lines()
        .filter_map(|line| line.strip_prefix("label = "))
        .map(str::to_string)
        .collect()
}

/// The secret of the item `account`, or `None`.
pub fn lookup(bus: &OsStr, account: &str) -> Option<Vec<u8>> {
    let out = secret_tool(bus, &["lookup", "service", "bscred", "username", account])
        .stdin(Stdio::null())
        .output()
        .expect("run secret-tool lookup");
    (out.status.success() && !out.stdout.is_empty()).then_some(out.stdout)
}

/// Stores `secret` as the item `account` with `label`, from outside bscred.
pub fn store(bus: &OsStr, account: &str, label: &str, secret: &[u8]) {
    let args = [
        "store", "--label", label, "service", "bscred", "username", account,
    ];
    let out = process::output_fed(&mut secret_tool(bus, &args), secret);
    assert!(
        out.status.success(),
        "secret-tool store: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Deletes the item `account`; whether secret-tool succeeded.
pub fn clear(bus: &OsStr, account: &str) -> bool {
    secret_tool(bus, &["clear", "service", "bscred", "username", account])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Deletes every item of a profile from the keyring at `bus` however the
/// test ends, including items an interrupted `migrate` left behind (the
/// accounts are `profile:NAME@…` and `identity:NAME@…`).
#[derive(Debug)]
pub struct Cleanup {
    bus: OsString,
    profile: String,
}

impl Cleanup {
    pub fn new(bus: &OsStr, profile: &str) -> Cleanup {
        Cleanup {
            bus: bus.to_os_string(),
            profile: profile.to_string(),
        }
    }

    fn owns(&self, account: &str) -> bool {
        ["profile", "identity"]
            .iter()
            .any(|kind| account.starts_with(&format!("{kind}:{}@", self.profile)))
    }

    /// This profile's items now on the keyring.
    pub fn accounts(&self) -> Vec<String> {
        accounts(&self.bus)
            .into_iter()
            .filter(|account| self.owns(account))
            .collect()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for account in self.accounts() {
            clear(&self.bus, &account);
        }
    }
}

// --------------------------------------------------------- private sessions

/// A private bus and the gnome-keyring on it (the keyring stops first).
#[derive(Debug)]
pub struct Session {
    _keyring: Daemon,
    pub bus: Bus,
}

impl Session {
    /// A bus under `root` and a keyring keeping its files in
    /// `keyring_dir` (the same dir again restarts the same keyring),
    /// unlocked with `password`; `run` names this start.
    pub fn start(root: &Path, keyring_dir: &Path, run: &str, password: &str) -> Session {
        let bus = Bus::start(&root.join(format!("bus-{run}")));
        let keyring = start_keyring(&bus, keyring_dir, run, password);
        Session {
            _keyring: keyring,
            bus,
        }
    }

    /// A new keyring under `root`, on a new bus there.
    pub fn fresh(root: &Path) -> Session {
        Session::start(root, &root.join("keyring"), "run", &password())
    }

    /// Locks the login collection, as a screen locker would.
    pub fn lock(&self) {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                &format!("--dest={SECRETS}"),
                "--type=method_call",
                "--print-reply",
                "--reply-timeout=5000",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus.address())
            .stdin(Stdio::null())
            .output()
            .expect("run dbus-send");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("/org/freedesktop/secrets/collection/login"),
            "Lock did not lock the login collection: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Whether the login collection is locked, asked as any client may.
    pub fn is_locked(&self) -> bool {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                &format!("--dest={SECRETS}"),
                "/org/freedesktop/secrets/collection/login",
                "org.freedesktop.DBus.Properties.Get",
                "string:org.freedesktop.Secret.Collection",
                "string:Locked",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus.address())
            .stdin(Stdio::null())
            .output()
            .expect("dbus-send runs");
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }
}

/// gnome-keyring-daemon on `bus` with only the secrets component, keeping
/// its keyrings under `dir/home` and its sockets in `dir/RUN`. `--unlock`
/// reads `password` from stdin to EOF: it creates the login collection
/// with it in an empty HOME, or unlocks the one there.
fn start_keyring(bus: &Bus, dir: &Path, run: &str, password: &str) -> Daemon {
    let home = dir.join("home");
    let runtime = dir.join(run);
    for d in [&home, &runtime] {
        private_dir(d);
    }
    let log = dir.join(format!("{run}.log"));
    let mut child = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log).expect("create log"))
        .spawn()
        .expect("start gnome-keyring-daemon");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut daemon = Daemon::new(child, "gnome-keyring-daemon", log);
    stdin
        .write_all(password.as_bytes())
        .expect("write password");
    drop(stdin);
    bus.wait_for_owner(SECRETS, &mut daemon);
    daemon
}

/// A password for a test's keyring (not a secret: the keyring is a temp dir).
pub fn password() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("pw-{}-{nanos}", std::process::id())
}
