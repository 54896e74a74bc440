//! Private D-Bus session buses the tests start and stop themselves, the
//! daemons on them, and `dbus-monitor` to see what a run asked a service.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::private_dir;
use super::process::first_line;

/// How long a daemon may take to start answering.
pub const STARTUP: Duration = Duration::from_secs(10);

/// A child process that is stopped (SIGTERM, then SIGKILL) and reaped when
/// dropped.
#[derive(Debug)]
pub struct Daemon {
    child: Child,
    what: String,
    log: PathBuf,
}

impl Daemon {
    /// `child`, called `what` in failures, which writes to `log`.
    pub fn new(child: Child, what: &str, log: PathBuf) -> Daemon {
        Daemon {
            child,
            what: what.to_string(),
            log,
        }
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asks it to stop, then makes it.
    pub fn stop(&mut self) {
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

/// Whether `name` has an owner on the bus at `address` (also how a test
/// sends a harmless call that names something, as `Monitor` markers do).
pub fn has_owner(address: &OsStr, name: &str) -> bool {
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
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
}

/// A private D-Bus session bus. Its configuration is the stock session
/// one without service directories (as in scripts/test.sh): with
/// activation, asking for a Secret Service that is not running would start
/// a gnome-keyring in the real HOME instead of failing.
#[derive(Debug)]
pub struct Bus {
    _daemon: Daemon,
    address: OsString,
}

impl Bus {
    pub fn start(dir: &Path) -> Bus {
        private_dir(dir);
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
        // The address is the first line on stdout.
        let stdout = child.stdout.take().expect("stdout");
        let mut daemon = Daemon::new(child, "dbus-daemon", log);
        let address = first_line(stdout, STARTUP).unwrap_or_default();
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

    pub fn address(&self) -> &OsStr {
        &self.address
    }

    /// Whether `name` has an owner on this bus.
    pub fn has_owner(&self, name: &str) -> bool {
        has_owner(&self.address, name)
    }

    /// Polls until `owner` owns `name` on this bus, failing the test if it
    /// dies first or takes longer than `STARTUP`.
    pub fn wait_for_owner(&self, name: &str, owner: &mut Daemon) {
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
    pub fn start_owner(&self, name: &str, mut cmd: Command, what: &str, log: PathBuf) -> Daemon {
        let file = fs::File::create(&log).expect("create log");
        let child = cmd
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdout(file.try_clone().expect("clone log"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        let mut daemon = Daemon::new(child, what, log);
        self.wait_for_owner(name, &mut daemon);
        daemon
    }
}

/// `dbus-monitor` on a private bus, writing everything it sees to a file.
/// Markers (a `NameHasOwner` call naming them) tell when it has started
/// seeing messages and when it has seen everything sent before the end.
#[derive(Debug)]
pub struct Monitor {
    child: Child,
    log: PathBuf,
    bus: OsString,
}

impl Monitor {
    pub fn start(bus: &OsStr, log: PathBuf) -> Monitor {
        let child = Command::new("dbus-monitor")
            .arg("--address")
            .arg(bus)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log).expect("create monitor log"))
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor starts");
        let mut monitor = Monitor {
            child,
            log,
            bus: bus.to_os_string(),
        };
        monitor.mark("bscred.test.start");
        monitor
    }

    /// Sends a marker call until the monitor has written it down.
    fn mark(&mut self, marker: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            has_owner(&self.bus, marker);
            if fs::read_to_string(&self.log).is_ok_and(|t| t.contains(marker)) {
                return;
            }
            assert!(
                Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)),
                "dbus-monitor never saw {marker}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops it and returns the methods called on `destination` and its
    /// objects since it started, as `interface.member`.
    pub fn stop(self, destination: &str) -> Vec<String> {
        self.stop_with_senders(destination)
            .into_iter()
            .map(|(_, call)| call)
            .collect()
    }

    /// `stop`, with each call's sender (its connection's unique name).
    pub fn stop_with_senders(mut self, destination: &str) -> Vec<(String, String)> {
        self.mark("bscred.test.end");
        let _ = self.child.kill();
        let _ = self.child.wait();
        let text = fs::read_to_string(&self.log).expect("monitor log");
        let to = format!("destination={destination}");
        text.lines()
            .filter(|line| line.starts_with("method call") && line.contains(&to))
            .map(|line| {
                let part = |key: &str| {
                    line.split(&format!("{key}="))
                        .nth(1)
                        .and_then(|rest| rest.split([';', ' ']).next())
                        .unwrap_or("")
                        .to_string()
                };
                (
                    part("sender"),
                    format!("{}.{}", part("interface"), part("member")),
                )
            })
            .collect()
    }
}
