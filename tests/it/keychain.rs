//! The keychain backend through the CLI against a real Secret Service:
//! gnome-keyring on the test command's private D-Bus session (shared by the
//! tests, every item cleaned up), and on sessions these tests start and stop
//! themselves to restart, lock, remove or hang the Secret Service.
//! (Windows' per-item size limit cannot be exercised on Linux.)
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::harness::{self, Env, TOKEN, assert_fails, assert_success, have, stderr};

/// How long one bscred run may take before the test calls it hung.
const DEADLINE: Duration = Duration::from_secs(30);

/// How long a daemon may take to start answering.
const STARTUP: Duration = Duration::from_secs(10);

/// The variable bounding every keychain call (DESIGN "Keychain backend").
const TIMEOUT_VAR: &str = "BSCRED_KEYCHAIN_TIMEOUT";

/// The Secret Service's well-known bus name.
const SECRETS: &str = "org.freedesktop.secrets";

/// Values that exercise the document encoding: a token, quotes, newlines,
/// non-ASCII, a shell substitution.
const VALUES: [(&str, &str); 4] = [
    ("GITHUB_TOKEN", TOKEN),
    ("USER_DISPLAY_NAME", "Zoë O'Brien \"ZB\""),
    ("MULTI_LINE", "first\n  second\twith tab\n"),
    ("ODD_CHARS", "$(touch /tmp/x) `id` * ? [a] ~ # ; & | < >"),
];

/// `VALUES` as the map `Cli::values` returns.
fn all_values() -> BTreeMap<String, String> {
    VALUES
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

// ------------------------------------------------------------------ bscred

/// `bscred` for one profile in a harness `Env`, with exactly the sealed
/// environment of `Env::cmd` plus a D-Bus address (or none) and whatever
/// variables a test adds. A std `Command`, so a run can be timed, left
/// running and killed.
#[derive(Clone)]
struct Cli<'a> {
    env: &'a Env,
    profile: String,
    vars: Vec<(String, OsString)>,
}

impl<'a> Cli<'a> {
    /// Profile `profile` in `env`, talking to the bus at `bus`. `None` means
    /// no bus at all: no address, and an XDG_RUNTIME_DIR without a `bus`
    /// socket in it (where zbus would look next).
    fn new(env: &'a Env, profile: &str, bus: Option<&OsStr>) -> Cli<'a> {
        let runtime = env.home.join("run");
        fs::create_dir_all(&runtime).expect("mkdir run");
        fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).expect("chmod run");
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
    fn with(&self, name: &str, value: impl Into<OsString>) -> Cli<'a> {
        let mut cli = self.clone();
        cli.vars.retain(|(n, _)| n != name);
        cli.vars.push((name.to_string(), value.into()));
        cli
    }

    /// The same without a variable.
    fn without(&self, name: &str) -> Cli<'a> {
        let mut cli = self.clone();
        cli.vars.retain(|(n, _)| n != name);
        cli
    }

    fn command(&self) -> Command {
        let mut cmd = self.env.sealed(harness::bin());
        cmd.env("BSCRED_PROFILE", &self.profile);
        for (name, value) in &self.vars {
            cmd.env(name, value);
        }
        cmd
    }

    /// Starts bscred with `input` already written to its stdin and closed.
    fn spawn(&self, args: &[&str], input: &[u8]) -> Child {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn bscred");
        let mut stdin = child.stdin.take().expect("stdin");
        // A child killed before it reads its stdin breaks the pipe: fine.
        let _ = stdin.write_all(input);
        drop(stdin);
        child
    }

    /// Runs bscred to the end, and how long it took.
    fn run_timed(&self, args: &[&str], input: &[u8]) -> (Output, Duration) {
        let start = Instant::now();
        let out = finish(self.spawn(args, input), &format!("bscred {args:?}"));
        (out, start.elapsed())
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_timed(args, b"").0
    }

    /// Runs bscred, asserts success, returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_success(&out);
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// `set NAME --stdin` with exactly `value`.
    fn set(&self, name: &str, value: &str) {
        // `--stdin` drops one trailing newline: add it, so `value` is kept whole.
        let input = format!("{value}\n");
        let (out, _) = self.run_timed(&["set", name, "--stdin"], input.as_bytes());
        assert_success(&out);
    }

    /// Stores every one of `VALUES`.
    fn set_values(&self) {
        for (name, value) in VALUES {
            self.set(name, value);
        }
    }

    /// `get -n NAME`.
    fn get(&self, name: &str) -> String {
        self.ok(&["get", "-n", name])
    }

    /// `status --json`, parsed.
    fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["status", "--json"])).expect("status json")
    }

    /// Every variable with its value, from `env --shell json`.
    fn values(&self) -> BTreeMap<String, String> {
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
    fn setting(&self, key: &str) -> Option<String> {
        self.settings()
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }

    /// The file backend's store path for this profile.
    fn store_file(&self) -> PathBuf {
        self.env
            .bscred_home
            .join(format!("data/profiles/{}.age", self.profile))
    }
}

/// Waits for `child` and collects its output, killing it and failing the
/// test when it runs past `DEADLINE` (polling, so a hang cannot hang the
/// test). bscred's output is small enough never to fill a pipe.
fn finish(mut child: Child, what: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} was still running after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.wait_with_output().expect("collect output")
}

/// A profile name unique to this test process, so tests sharing the
/// keyring never touch each other's items.
fn unique(stem: &str) -> String {
    format!("{stem}-{}", std::process::id())
}

/// The shared Secret Service's bus, or `None` (after `have_secret_service`
/// printed why, or failed under CI) when the tests run without it.
fn shared_bus() -> Option<OsString> {
    if !(harness::have_secret_service() && have("secret-tool")) {
        return None;
    }
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS")
}

/// Whether the tools for a private session are installed.
pub(crate) fn have_private_session() -> bool {
    [
        "dbus-daemon",
        "dbus-send",
        "gnome-keyring-daemon",
        "secret-tool",
    ]
    .into_iter()
    .all(have)
}

// -------------------------------------------------------------- secret-tool

/// `secret-tool search --all service bscred ATTRS…` on the keyring at
/// `bus`. It prints each item's path, label and secret on stdout and its
/// attributes on stderr.
fn search(bus: &OsStr, attributes: &[&str]) -> (String, String) {
    // Other tests share the keyring: an item they delete between
    // secret-tool's search and its read of that item makes it fail, so a
    // failed search is run again (a few times at most).
    let mut last = (String::new(), String::new());
    for _ in 0..5 {
        let Ok(out) = Command::new("timeout")
            .args(["10", "secret-tool", "search", "--all", "service", "bscred"])
            .args(attributes)
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
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
fn labels(bus: &OsStr, account: &str) -> Vec<String> {
    search(bus, &["username", account])
        .0
        .lines()
        .filter_map(|line| line.strip_prefix("label = "))
        .map(str::to_string)
        .collect()
}

/// The secret of the item `account`, or `None`.
fn lookup(bus: &OsStr, account: &str) -> Option<Vec<u8>> {
    let out = Command::new("timeout")
        .args(["10", "secret-tool", "lookup", "service", "bscred"])
        .args(["username", account])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .stdin(Stdio::null())
        .output()
        .expect("run secret-tool lookup");
    (out.status.success() && !out.stdout.is_empty()).then_some(out.stdout)
}

/// Deletes every item of a profile from the keyring at `bus` however the
/// test ends, including items an interrupted `migrate` left behind (the
/// accounts are `profile:NAME@…` and `identity:NAME@…`).
struct Cleanup {
    bus: OsString,
    profile: String,
}

impl Cleanup {
    fn owns(&self, account: &str) -> bool {
        ["profile", "identity"]
            .iter()
            .any(|kind| account.starts_with(&format!("{kind}:{}@", self.profile)))
    }

    /// This profile's items now on the keyring.
    fn accounts(&self) -> Vec<String> {
        accounts(&self.bus)
            .into_iter()
            .filter(|account| self.owns(account))
            .collect()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for account in self.accounts() {
            let _ = Command::new("timeout")
                .args(["10", "secret-tool", "clear", "service", "bscred"])
                .args(["username", &account])
                .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
                .stdin(Stdio::null())
                .output();
        }
    }
}

// --------------------------------------------------------- private sessions

/// A child process that is stopped (SIGTERM, then SIGKILL) and reaped when
/// dropped.
struct Daemon {
    child: Child,
    what: String,
    log: PathBuf,
}

impl Daemon {
    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asks it to stop, then makes it.
    fn stop(&mut self) {
        if !self.alive() {
            return;
        }
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A private D-Bus session bus. Its configuration is the stock session
/// one without service directories (as in scripts/test.sh): with
/// activation, asking for a Secret Service that is not running would start
/// a gnome-keyring in the real HOME instead of failing.
pub(crate) struct Bus {
    _daemon: Daemon,
    address: OsString,
}

impl Bus {
    fn start(dir: &Path) -> Bus {
        fs::create_dir_all(dir).expect("mkdir bus");
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).expect("chmod bus");
        let conf = dir.join("session.conf");
        fs::write(
            &conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.display()
            ),
        )
        .expect("write session.conf");
        let log = dir.join("dbus.log");
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).expect("create dbus log"))
            .spawn()
            .expect("start dbus-daemon");
        // The address is the first line on stdout; read it on a thread so
        // a daemon that never prints cannot hang the test.
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut daemon = Daemon {
            child,
            what: "dbus-daemon".to_string(),
            log,
        };
        let address = rx.recv_timeout(STARTUP).unwrap_or_default();
        let address = address.trim();
        assert!(
            !address.is_empty() && daemon.alive(),
            "dbus-daemon printed no address within {STARTUP:?}: {}",
            daemon.log()
        );
        Bus {
            address: OsString::from(address),
            _daemon: daemon,
        }
    }

    pub(crate) fn address(&self) -> &OsStr {
        &self.address
    }

    /// Whether `name` has an owner on this bus.
    fn has_owner(&self, name: &str) -> bool {
        Command::new("dbus-send")
            .args([
                "--session",
                "--reply-timeout=2000",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "--type=method_call",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
            ])
            .arg(format!("string:{name}"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
    }

    /// Polls until `owner` owns `name` on this bus, failing the test if it
    /// dies first or takes longer than `STARTUP`.
    fn wait_for_owner(&self, name: &str, owner: &mut Daemon) {
        let deadline = Instant::now() + STARTUP;
        while !self.has_owner(name) {
            assert!(
                owner.alive(),
                "{} exited before owning {name}: {}",
                owner.what,
                owner.log()
            );
            assert!(
                Instant::now() < deadline,
                "{name} has no owner after {STARTUP:?}: {}",
                owner.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Starts a process on this bus that must come to own `name`.
    fn start_owner(&self, name: &str, mut cmd: Command, what: &str, log: PathBuf) -> Daemon {
        let file = fs::File::create(&log).expect("create log");
        let child = cmd
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdout(file.try_clone().expect("clone log"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        let mut daemon = Daemon {
            child,
            what: what.to_string(),
            log,
        };
        self.wait_for_owner(name, &mut daemon);
        daemon
    }

    /// gnome-keyring-daemon with only the secrets component, keeping its
    /// keyrings under `dir/home` and its sockets in `dir/RUN`. `--unlock`
    /// reads `password` from stdin to EOF: it creates the login collection
    /// with it in an empty HOME, or unlocks the one there.
    fn start_keyring(&self, dir: &Path, run: &str, password: &str) -> Daemon {
        let home = dir.join("home");
        let runtime = dir.join(run);
        for d in [&home, &runtime] {
            fs::create_dir_all(d).expect("mkdir keyring");
            fs::set_permissions(d, fs::Permissions::from_mode(0o700)).expect("chmod keyring");
        }
        let mut cmd = Command::new("gnome-keyring-daemon");
        cmd.args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::piped());
        let child = cmd
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.join(format!("{run}.log"))).expect("create log"))
            .spawn()
            .expect("start gnome-keyring-daemon");
        let mut daemon = Daemon {
            child,
            what: "gnome-keyring-daemon".to_string(),
            log: dir.join(format!("{run}.log")),
        };
        let mut stdin = daemon.child.stdin.take().expect("stdin");
        stdin
            .write_all(password.as_bytes())
            .expect("write password");
        drop(stdin);
        self.wait_for_owner(SECRETS, &mut daemon);
        daemon
    }
}

/// A bus and the gnome-keyring on it (the keyring stops first).
pub(crate) struct Session {
    _keyring: Daemon,
    pub(crate) bus: Bus,
}

impl Session {
    pub(crate) fn start(root: &Path, keyring_dir: &Path, run: &str, password: &str) -> Session {
        let bus = Bus::start(&root.join(format!("bus-{run}")));
        let keyring = bus.start_keyring(keyring_dir, run, password);
        Session {
            _keyring: keyring,
            bus,
        }
    }

    /// Locks the login collection, as a screen locker would.
    pub(crate) fn lock(&self) {
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
}

/// A password for a test's keyring (not a secret: the keyring is a temp dir).
pub(crate) fn password() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("pw-{}-{nanos}", std::process::id())
}

// --------------------------------------------------------------- assertions

/// The `error:` line of a failure, after checking the harness's rules
/// (exit code, empty stdout, error + optional hint, no secret).
fn failure(out: &Output, code: i32) -> (String, String) {
    let text = assert_fails(out, code);
    let mut lines = text.lines();
    let error = lines.next().unwrap_or_default().to_string();
    let hint = lines.next().unwrap_or_default().to_string();
    (error, hint)
}

/// The keychain failure of a run: exit 4, a hint naming `--backend file`.
fn keychain_failure(out: &Output, elapsed: Duration, bound: Duration) -> (String, String) {
    let (error, hint) = failure(out, 4);
    assert!(hint.contains("--backend file"), "{error}\n{hint}");
    assert!(
        elapsed < bound,
        "took {elapsed:?}, more than {bound:?}: {error}"
    );
    (error, hint)
}

// ------------------------------------------------------------------ tests

#[test]
fn auto_init_picks_the_keychain_when_it_answers_and_the_file_without_a_bus() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-auto");
    let _cleanup = Cleanup {
        bus: bus.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&bus));
    let out = cli.run(&["init"]);
    assert_success(&out);
    let said = stderr(&out);
    assert!(said.contains("auto: the OS keychain answered"), "{said}");
    let status = cli.status();
    assert_eq!(status["backend"], "keychain", "{status}");
    let account = cli.setting("item").expect("settings name the item");
    assert!(
        account.starts_with(&format!("profile:{profile}@")),
        "{account}"
    );
    assert_eq!(cli.setting("backend").as_deref(), Some("keychain"));
    // The keychain backend needs no age identity and writes no store file.
    assert!(!env.identity_path().exists());
    assert!(!cli.store_file().exists());
    assert_eq!(
        labels(&bus, &account),
        vec![format!("bscred: profile '{profile}'")]
    );

    // No bus at all: the file backend, and stderr says why.
    let env = Env::new();
    let cli = Cli::new(&env, &profile, None);
    let out = cli.run(&["init"]);
    assert_success(&out);
    let said = stderr(&out);
    assert!(said.contains("auto: no keychain to use"), "{said}");
    assert!(said.contains("D-Bus session bus"), "{said}");
    assert!(said.contains("nothing is stored in plaintext"), "{said}");
    assert_eq!(cli.status()["backend"], "file");
    assert!(cli.store_file().exists());
}

#[test]
fn a_keychain_profile_round_trips_through_every_command() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-trip");
    let cleanup = Cleanup {
        bus: bus.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set_values();
    for (name, value) in VALUES {
        assert_eq!(cli.get(name), value, "{name}");
    }

    let list: serde_json::Value =
        serde_json::from_str(&cli.ok(&["list", "--json"])).expect("list json");
    let listed: BTreeMap<String, bool> = list["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| {
            let name = v["name"].as_str().expect("name").to_string();
            (name, v["secret"].as_bool().expect("secret"))
        })
        .collect();
    let expected: BTreeMap<String, bool> = VALUES
        .iter()
        .map(|(n, _)| (n.to_string(), *n == "GITHUB_TOKEN"))
        .collect();
    assert_eq!(listed, expected);
    assert!(!list.to_string().contains(TOKEN), "list leaked the token");

    let all = all_values();
    assert_eq!(cli.values(), all);

    // The metadata cache never holds a value.
    let cache = fs::read_to_string(
        env.bscred_home
            .join(format!("state/metadata/{profile}.json")),
    )
    .expect("metadata cache");
    for (name, value) in VALUES {
        assert!(cache.contains(name), "{cache}");
        assert!(
            !cache.contains(value),
            "the cache holds the value of {name}"
        );
    }

    // exec hands the values to the command.
    let script = r#"printf '%s|%s' "$GITHUB_TOKEN" "$MULTI_LINE""#;
    let out = cli.ok(&["exec", "--", "sh", "-c", script]);
    assert_eq!(out, format!("{TOKEN}|{}", VALUES[2].1));

    // rm: gone from get, list and the item itself.
    assert_success(&cli.run(&["rm", "ODD_CHARS"]));
    assert_fails(&cli.run(&["get", "ODD_CHARS"]), 3);
    assert!(!cli.values().contains_key("ODD_CHARS"));
    let account = cli.setting("item").expect("item");
    let secret = lookup(&bus, &account).expect("the item exists");
    let secret = String::from_utf8(secret).expect("utf-8 document");
    assert!(secret.contains("USER_DISPLAY_NAME") && !secret.contains("ODD_CHARS"));

    // The item is recognisable in a keyring browser.
    assert_eq!(
        labels(&bus, &account),
        vec![format!("bscred: profile '{profile}'")]
    );

    // A --backend naming another backend is refused, and nothing is written.
    let files = env.files();
    let item = lookup(&bus, &account);
    let out = cli
        .with("BSCRED_BACKEND", "file")
        .run_timed(&["set", "NEW_ONE", "--stdin"], b"x")
        .0;
    let (error, hint) = failure(&out, 2);
    assert!(error.contains("keychain"), "{error}");
    assert!(hint.contains("migrate --to file"), "{hint}");
    harness::assert_unchanged(&env, &files);
    assert_eq!(lookup(&bus, &account), item);
    assert_eq!(cleanup.accounts(), vec![account.clone()]);

    // rename moves file profiles only, and says how to move this one.
    let (error, hint) = failure(&cli.run(&["profiles", "rename", &profile, "renamed"]), 1);
    assert!(error.contains("keychain backend"), "{error}");
    assert!(hint.contains("migrate --to file"), "{hint}");
    harness::assert_unchanged(&env, &files);

    // profiles rm deletes the item with the profile.
    assert_success(&cli.run(&["profiles", "rm", &profile, "--yes"]));
    assert_eq!(lookup(&bus, &account), None);
    assert!(cleanup.accounts().is_empty());
    assert_fails(&cli.run(&["get", "GITHUB_TOKEN"]), 3);
}

#[test]
fn a_value_survives_a_keyring_daemon_restart() {
    if !have_private_session() {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let keyring_dir = root.path().join("keyring");
    let password = password();
    let env = Env::new();
    let first_address;
    {
        let session = Session::start(root.path(), &keyring_dir, "run1", &password);
        first_address = session.bus.address().to_os_string();
        let cli = Cli::new(&env, "restart", Some(session.bus.address()));
        assert_success(&cli.run(&["init", "--backend", "keychain"]));
        cli.set_values();
        assert_eq!(cli.get("GITHUB_TOKEN"), TOKEN);
        // Both daemons stop here.
    }
    let keyring_file = keyring_dir.join("home/.local/share/keyrings/login.keyring");
    let on_disk = fs::read(&keyring_file).expect("gnome-keyring wrote the login keyring");
    assert!(
        !on_disk.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
        "the keyring file holds the token in plaintext"
    );

    let session = Session::start(root.path(), &keyring_dir, "run2", &password);
    assert_ne!(session.bus.address(), first_address);
    let cli = Cli::new(&env, "restart", Some(session.bus.address()));
    let expected = all_values();
    assert_eq!(cli.values(), expected);
    assert_eq!(cli.get("GITHUB_TOKEN"), TOKEN);
    // And it is still writable.
    cli.set("AFTER_RESTART", "yes");
    assert_eq!(cli.get("AFTER_RESTART"), "yes");
}

#[test]
fn a_locked_keyring_fails_fast_with_exit_4_and_125() {
    if !have_private_session() {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let session = Session::start(
        root.path(),
        &root.path().join("keyring"),
        "run",
        &password(),
    );
    let env = Env::new();
    let cli = Cli::new(&env, "locked", Some(session.bus.address())).with(TIMEOUT_VAR, "2");
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set("GITHUB_TOKEN", TOKEN);
    session.lock();

    let bound = Duration::from_secs(10);
    let (out, elapsed) = cli.run_timed(&["get", "GITHUB_TOKEN"], b"");
    let (error, hint) = keychain_failure(&out, elapsed, bound);
    // Without a prompter gnome-keyring cannot ask for the password, so
    // the unlock prompt it returns ends as dismissed.
    assert_eq!(
        error,
        "bscred: error: the keyring is locked (its unlock prompt was dismissed or could not be shown)"
    );
    eprintln!("locked keyring: {error} ({elapsed:?})\n{hint}");

    let (out, elapsed) = cli.run_timed(&["exec", "--", "true"], b"");
    assert!(elapsed < bound, "exec took {elapsed:?}");
    let (exec_error, _) = failure(&out, 125);
    assert_eq!(exec_error, error);

    // A write fails the same way and changes nothing; status needs no
    // unlock (DESIGN: no keychain call).
    let files = env.files();
    let (out, elapsed) = cli.run_timed(&["set", "OTHER", "--stdin"], b"x");
    keychain_failure(&out, elapsed, bound);
    harness::assert_unchanged(&env, &files);
    let (out, elapsed) = cli.run_timed(&["status", "--json"], b"");
    assert_success(&out);
    assert!(elapsed < bound);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(status["variables"][0]["name"], "GITHUB_TOKEN");
    drop(session);
}

#[test]
fn no_session_bus_is_exit_4_naming_the_bus() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-nobus");
    let _cleanup = Cleanup {
        bus: bus.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&bus)).with(TIMEOUT_VAR, "2");
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set("GITHUB_TOKEN", TOKEN);

    let bound = Duration::from_secs(10);
    let unset = cli.without("DBUS_SESSION_BUS_ADDRESS");
    let bogus = cli.with("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    for (case, cli) in [("unset", unset), ("/nonexistent", bogus)] {
        for args in [&["get", "GITHUB_TOKEN"][..], &["env"], &["list"]] {
            let (out, elapsed) = cli.run_timed(args, b"");
            let (error, _) = keychain_failure(&out, elapsed, bound);
            assert!(
                error.contains("D-Bus session bus"),
                "{case} {args:?}: {error}"
            );
        }
        let (out, _) = cli.run_timed(&["exec", "--", "true"], b"");
        let (error, _) = failure(&out, 125);
        assert!(error.contains("D-Bus session bus"), "{case}: {error}");
        // Listing profiles reads no keychain item.
        let (out, _) = cli.run_timed(&["profiles", "--json"], b"");
        assert_success(&out);
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(listed[0]["backend"], "keychain", "{case}");
        assert_eq!(listed[0]["variables"], 1, "{case}");
    }
}

#[test]
fn keychain_errors_say_their_message_once() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-once");
    let _cleanup = Cleanup {
        bus: bus.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    let cli = cli.with("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    let (error, _) = failure(&cli.run(&["get", "X"]), 4);
    let message = error.trim_start_matches("bscred: error: ");
    // "cannot connect to the D-Bus session bus: cannot connect to the
    // D-Bus session bus" would be the message and its own cause again.
    let repeated = message
        .match_indices(": ")
        .any(|(i, _)| message[..i] == message[i + 2..]);
    assert!(!repeated, "the message is said twice: {error}");
}

#[test]
fn a_bus_without_a_secret_service_is_exit_4() {
    let Some(shared) = shared_bus() else { return };
    if !have_private_session() {
        return;
    }
    let env = Env::new();
    let profile = unique("kc-nosvc");
    let _cleanup = Cleanup {
        bus: shared.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&shared));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));

    let root = tempfile::tempdir().expect("tempdir");
    let bus = Bus::start(&root.path().join("bus"));
    assert!(!bus.has_owner(SECRETS));
    let cli = cli
        .with("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .with(TIMEOUT_VAR, "2");
    let (out, elapsed) = cli.run_timed(&["get", "GITHUB_TOKEN"], b"");
    let (error, hint) = keychain_failure(&out, elapsed, Duration::from_secs(10));
    assert!(error.contains("no Secret Service"), "{error}");
    assert!(hint.contains("gnome-keyring-daemon"), "{hint}");

    // init --backend auto on that bus: the file backend, and why.
    let env = Env::new();
    let cli = Cli::new(&env, &profile, Some(bus.address()));
    let out = cli.run(&["init"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("no Secret Service"),
        "{}",
        stderr(&out)
    );
    assert_eq!(cli.status()["backend"], "file");
}

#[test]
fn a_hung_secret_service_times_out() {
    let Some(shared) = shared_bus() else { return };
    if !have_private_session() || !have("dbus-test-tool") {
        return;
    }
    let env = Env::new();
    let profile = unique("kc-hung");
    let _cleanup = Cleanup {
        bus: shared.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&shared));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));

    // A black hole owns the Secret Service's name and never answers.
    let root = tempfile::tempdir().expect("tempdir");
    let bus = Bus::start(&root.path().join("bus"));
    let mut hole = Command::new("dbus-test-tool");
    hole.args(["black-hole", "--session", &format!("--name={SECRETS}")])
        .stdin(Stdio::null());
    let _hole = bus.start_owner(
        SECRETS,
        hole,
        "dbus-test-tool black-hole",
        root.path().join("hole.log"),
    );

    let timeout = Duration::from_secs(1);
    let bound = Duration::from_secs(5);
    let cli = cli
        .with("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .with(TIMEOUT_VAR, "1");
    for args in [&["get", "GITHUB_TOKEN"][..], &["set", "X", "--stdin"]] {
        let (out, elapsed) = cli.run_timed(args, b"x");
        let (error, hint) = keychain_failure(&out, elapsed, bound);
        assert!(elapsed >= timeout, "{args:?} gave up early: {elapsed:?}");
        assert!(error.contains("did not answer within 1s"), "{error}");
        assert!(hint.contains(TIMEOUT_VAR), "{hint}");
    }
    let (out, elapsed) = cli.run_timed(&["exec", "--", "true"], b"");
    assert!(elapsed < bound, "exec took {elapsed:?}");
    let (error, _) = failure(&out, 125);
    assert!(error.contains("did not answer"), "{error}");

    // init --backend keychain: refused, nothing written.
    let fresh = Env::new();
    let cli = Cli::new(&fresh, &profile, Some(bus.address())).with(TIMEOUT_VAR, "1");
    let (out, elapsed) = cli.run_timed(&["init", "--backend", "keychain"], b"");
    keychain_failure(&out, elapsed, bound);
    assert_eq!(fresh.files(), BTreeMap::new());

    // init --backend auto: the file backend after about the timeout.
    let (out, elapsed) = cli.run_timed(&["init", "--backend", "auto"], b"");
    assert_success(&out);
    assert!(
        elapsed >= timeout && elapsed < bound,
        "auto took {elapsed:?}"
    );
    let said = stderr(&out);
    assert!(said.contains("file backend"), "{said}");
    assert!(said.contains("did not answer within 1s"), "{said}");
    assert_eq!(cli.status()["backend"], "file");
}

#[test]
fn parallel_sets_through_the_keychain_lose_nothing() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-parallel");
    let _cleanup = Cleanup {
        bus: bus.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    let writers: Vec<(String, String, Child)> = (0..12)
        .map(|i| {
            let name = format!("VAR_{i}");
            let value = format!("value {i}: ünï \"q\"\n second line");
            let input = format!("{value}\n");
            let child = cli.spawn(&["set", &name, "--stdin"], input.as_bytes());
            (name, value, child)
        })
        .collect();
    let mut expected = BTreeMap::new();
    for (name, value, child) in writers {
        assert_success(&finish(child, &format!("set {name}")));
        expected.insert(name, value);
    }
    assert_eq!(cli.values(), expected);
    for (name, value) in &expected {
        assert_eq!(&cli.get(name), value, "{name}");
    }
}

/// Asserts that the document `age` decrypts holds exactly `expected`.
fn assert_age_decrypts(identity: &Path, store: &Path, expected: &BTreeMap<String, String>) {
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(store)
        .output()
        .expect("run age");
    assert!(
        out.status.success(),
        "age -d failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("document json");
    let values: BTreeMap<String, String> = doc["variables"]
        .as_object()
        .expect("variables")
        .iter()
        .map(|(name, v)| {
            (
                name.clone(),
                v["value"].as_str().expect("value").to_string(),
            )
        })
        .collect();
    assert_eq!(&values, expected);
}

#[test]
fn migrate_both_ways_keeps_every_value_and_removes_the_old_copy() {
    let Some(bus) = shared_bus() else { return };
    if !have("age") {
        return;
    }
    let env = Env::new();
    let profile = unique("kc-migrate");
    let cleanup = Cleanup {
        bus: bus.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set_values();
    let expected = all_values();
    let first = cli.setting("item").expect("item");

    // To the file: every value, the item gone, `age` reads the copy.
    assert_success(&cli.run(&["migrate", "--to", "file"]));
    assert_eq!(cli.status()["backend"], "file");
    assert_eq!(cli.setting("item"), None);
    assert_eq!(lookup(&bus, &first), None);
    assert_eq!(cleanup.accounts(), Vec::<String>::new());
    assert_eq!(cli.values(), expected);
    assert_age_decrypts(&env.identity_path(), &cli.store_file(), &expected);

    // And back: every value, the file gone, one item.
    assert_success(&cli.run(&["migrate", "--to", "keychain"]));
    assert_eq!(cli.status()["backend"], "keychain");
    assert!(!cli.store_file().exists(), "the file copy is still there");
    let second = cli.setting("item").expect("item");
    assert_eq!(cleanup.accounts(), vec![second.clone()]);
    assert!(lookup(&bus, &second).is_some());
    assert_eq!(cli.values(), expected);
    for (name, value) in VALUES {
        assert_eq!(cli.get(name), value, "{name}");
    }

    // Moving to where it already is changes nothing.
    let files = env.files();
    let out = cli.run(&["migrate", "--to", "keychain"]);
    assert_success(&out);
    assert!(stderr(&out).contains("already"), "{}", stderr(&out));
    harness::assert_unchanged(&env, &files);
    assert_eq!(cleanup.accounts(), vec![second]);
}

/// SplitMix64: a tiny seeded PRNG so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn interrupted_migrations_lose_nothing() {
    let Some(bus) = shared_bus() else { return };
    const ROUNDS: usize = 30;
    let seed = 0x5EED_C4A1_0000_0007_u64;
    let mut rng = Rng(seed);
    let env = Env::new();
    let profile = unique("kc-interrupt");
    let cleanup = Cleanup {
        bus: bus.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set_values();
    let expected = all_values();
    let (mut killed, mut switched_anyway, mut resumed) = (0, 0, 0);

    for round in 0..ROUNDS {
        let context = format!("round {round} (seed {seed:#x})");
        let from = cli.setting("backend").expect("backend");
        let to = if from == "keychain" {
            "file"
        } else {
            "keychain"
        };
        let mut child = cli.spawn(&["migrate", "--to", to], b"");
        std::thread::sleep(Duration::from_millis(rng.below(81)));
        // It may have finished already; kill() then fails harmlessly.
        let _ = child.kill();
        let out = finish(child, &format!("{context}: migrate --to {to}"));
        let now = cli.setting("backend").expect("backend");
        if out.status.signal() == Some(9) {
            killed += 1;
            if now != from {
                switched_anyway += 1;
            }
        } else {
            assert_success(&out);
            assert_eq!(now, to, "{context}");
        }

        // Whatever backend the settings name gives every value back.
        assert_eq!(
            cli.values(),
            expected,
            "{context}: {from} -> {to}, now {now}"
        );
        assert_eq!(cli.get("GITHUB_TOKEN"), TOKEN, "{context}");

        // Half the time the interrupted move is finished by hand: that
        // works, and the old copy goes.
        if now == from && rng.below(2) == 0 {
            let old_item = cli.setting("item");
            let out = cli.run(&["migrate", "--to", to]);
            assert!(
                out.status.success(),
                "{context}: resuming migrate --to {to} failed: {}",
                stderr(&out)
            );
            resumed += 1;
            assert_eq!(cli.values(), expected, "{context}: after resuming");
            match old_item {
                Some(account) => assert_eq!(lookup(&bus, &account), None, "{context}"),
                None => assert!(!cli.store_file().exists(), "{context}"),
            }
        }
    }

    // A final move in each direction still works, and the move back
    // removes the copy it came from (stale leftovers of killed moves
    // included, for the file).
    let last = cli.setting("backend").expect("backend");
    let (there, back) = if last == "keychain" {
        ("file", "keychain")
    } else {
        ("keychain", "file")
    };
    assert_success(&cli.run(&["migrate", "--to", there]));
    assert_success(&cli.run(&["migrate", "--to", back]));
    assert_eq!(cli.values(), expected);
    assert_eq!(cli.setting("backend").as_deref(), Some(back));
    let current = cli.setting("item");
    assert_eq!(cli.store_file().exists(), back == "file");
    if let Some(account) = &current {
        assert!(lookup(&bus, account).is_some());
    }
    let orphans: Vec<String> = cleanup
        .accounts()
        .into_iter()
        .filter(|a| Some(a) != current.as_ref())
        .collect();
    eprintln!(
        "{ROUNDS} rounds: {killed} migrations killed ({switched_anyway} after switching), \
         {resumed} resumed; items left by killed migrations: {}",
        orphans.len()
    );
    assert!(
        killed > 0,
        "no migrate was interrupted: the test tested nothing"
    );
}

#[test]
fn identity_in_the_keychain_opens_the_file_store() {
    let Some(bus) = shared_bus() else { return };
    if !have("age") {
        return;
    }
    let env = Env::new();
    let profile = unique("kc-identity");
    let _cleanup = Cleanup {
        bus: bus.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&bus));
    let out = cli.run(&["init", "--backend", "file", "--identity-in-keychain"]);
    assert_success(&out);
    assert_eq!(cli.setting("backend").as_deref(), Some("file"));
    assert_eq!(cli.setting("identity"), None);
    let account = cli.setting("identity_item").expect("identity_item");
    assert!(
        account.starts_with(&format!("identity:{profile}@")),
        "{account}"
    );
    cli.set("GITHUB_TOKEN", TOKEN);
    cli.set("USER_EMAIL", "zoe@example.com");
    assert_eq!(cli.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(cli.status()["backend"], "file");

    // No identity on disk: no identity file, no secret key in any file.
    assert!(!env.identity_path().exists());
    for (path, bytes) in env.files() {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("AGE-SECRET-KEY-"),
            "{} holds a secret key",
            path.display()
        );
    }

    // The identity from the keychain decrypts the store with `age`.
    let identity = lookup(&bus, &account).expect("the identity item");
    let text = String::from_utf8(identity).expect("utf-8 identity");
    assert!(text.contains("AGE-SECRET-KEY-1"), "not an age identity");
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("identity.txt");
    fs::write(&key, &text).expect("write identity");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).expect("chmod");
    let expected = BTreeMap::from([
        ("GITHUB_TOKEN".to_string(), TOKEN.to_string()),
        ("USER_EMAIL".to_string(), "zoe@example.com".to_string()),
    ]);
    assert_age_decrypts(&key, &cli.store_file(), &expected);

    // `identity export` backs up the key from the keychain, byte for byte.
    let backup = dir.path().join("backup.txt");
    assert_success(&cli.run(&["identity", "export", backup.to_str().expect("utf-8")]));
    assert_eq!(fs::read_to_string(&backup).expect("backup"), text);

    // Without the keychain the store cannot be opened: the key is only there.
    let (out, elapsed) = cli
        .without("DBUS_SESSION_BUS_ADDRESS")
        .run_timed(&["get", "GITHUB_TOKEN"], b"");
    let (error, _) = keychain_failure(&out, elapsed, Duration::from_secs(10));
    assert!(error.contains("D-Bus session bus"), "{error}");
}

/// A move interrupted after the switch leaves the old copy behind; running
/// the same move again removes it, so no stale copy of the secrets lingers.
#[test]
fn running_a_move_again_removes_the_copy_an_interrupted_one_left() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-leftover");
    let cleanup = Cleanup {
        bus: bus.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&bus));
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set("GITHUB_TOKEN", TOKEN);
    let account = cli.setting("item").expect("item");
    let stale = lookup(&bus, &account).expect("the item");
    assert_success(&cli.run(&["migrate", "--to", "file"]));
    assert_eq!(lookup(&bus, &account), None);

    // Put the old item back, as a move killed before its last step leaves it.
    let mut store = Command::new("secret-tool")
        .args([
            "store",
            "--label",
            "bscred: leftover",
            "service",
            "bscred",
            "username",
            &account,
        ])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool");
    store
        .stdin
        .take()
        .expect("stdin")
        .write_all(&stale)
        .expect("write");
    assert!(store.wait().expect("wait").success());
    assert!(lookup(&bus, &account).is_some());

    let out = cli.run(&["migrate", "--to", "file"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("removed the old copy"),
        "{}",
        stderr(&out)
    );
    assert_eq!(lookup(&bus, &account), None);
    assert_eq!(cli.get("GITHUB_TOKEN"), TOKEN);
    drop(cleanup);
}

/// Lost settings and a fresh `init` on the other backend: a later `migrate`
/// must never delete or overwrite the copy that still holds the values.
#[test]
fn migrate_never_destroys_a_copy_that_differs() {
    let Some(bus) = shared_bus() else { return };
    let env = Env::new();
    let profile = unique("kc-differs");
    let cleanup = Cleanup {
        bus: bus.clone(),
        profile: profile.clone(),
    };
    let cli = Cli::new(&env, &profile, Some(&bus));
    let settings = env
        .bscred_home
        .join(format!("config/profiles/{profile}.toml"));

    // The keychain holds the token; the settings are lost; a new, empty
    // file profile is made. `migrate --to file` must keep the item.
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    cli.set("GITHUB_TOKEN", TOKEN);
    let account = cli.setting("item").expect("item");
    fs::remove_file(&settings).expect("lose the settings");
    assert_success(&cli.run(&["init", "--backend", "file"]));
    let out = cli.run(&["migrate", "--to", "file"]);
    assert_success(&out);
    assert!(stderr(&out).contains("differs"), "{}", stderr(&out));
    assert!(
        lookup(&bus, &account).is_some(),
        "the only copy was deleted"
    );

    // The file holds a value; the keychain profile is empty: moving to
    // the file must refuse rather than overwrite it.
    cli.set("ONLY_IN_FILE", "precious");
    let store = cli.store_file();
    let before = fs::read(&store).expect("read");
    fs::remove_file(&settings).expect("lose the settings again");
    // The old keychain item still exists (it differs): clear it so `init`
    // can make a fresh keychain profile.
    assert!(
        Command::new("secret-tool")
            .args(["clear", "service", "bscred", "username", &account])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .status()
            .expect("secret-tool")
            .success()
    );
    assert_success(&cli.run(&["init", "--backend", "keychain"]));
    let out = cli.run(&["migrate", "--to", "file"]);
    let (error, _) = failure(&out, 1);
    assert!(error.contains("different copy"), "{error}");
    assert_eq!(
        fs::read(&store).expect("read"),
        before,
        "the file was changed"
    );
    drop(cleanup);
}
