//! The pseudo-terminal driver: a program on a real terminal (util-linux
//! `script`) with the sealed environment, played as a person would, each
//! step waiting with a deadline for what the screen must show first.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use super::{Env, bin};

/// How long anything a test waits for on the screen may take.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A program running on a pseudo-terminal. Killed on drop, so a failed
/// test leaves nothing behind.
#[derive(Debug)]
pub struct Pty {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Vec<u8>>,
    screen: String,
    seen: usize,
    asked: u32,
}

impl Pty {
    /// Starts the shell command line `command` in `dir` with `env`'s
    /// sealed environment plus `extra`.
    pub fn spawn(env: &Env, dir: &Path, command: &str, extra: &[(&str, &str)]) -> Pty {
        let mut script = env.sealed("script");
        script
            .args(["-qec", command, "/dev/null"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (name, value) in extra {
            script.env(name, value);
        }
        let mut child = script.spawn().expect("script runs");
        let mut stdout = child.stdout.take().expect("stdout");
        let stdin = child.stdin.take().expect("stdin");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Pty {
            child,
            stdin,
            rx,
            screen: String::new(),
            seen: 0,
            asked: 0,
        }
    }

    /// An interactive shell (`command`) started as `spawn` does, once it
    /// has shown its first prompt, `prompt`.
    pub fn shell(
        env: &Env,
        dir: &Path,
        command: &str,
        extra: &[(&str, &str)],
        prompt: &str,
    ) -> Pty {
        let mut pty = Pty::spawn(env, dir, command, extra);
        pty.expect(prompt);
        pty
    }

    /// Waits until `text` appears on the screen after what was already
    /// seen, and moves past it.
    pub fn expect(&mut self, text: &str) {
        let start = Instant::now();
        loop {
            if let Some(at) = self.screen[self.seen..].find(text) {
                self.seen += at + text.len();
                return;
            }
            match self
                .rx
                .recv_timeout(DEADLINE.saturating_sub(start.elapsed()))
            {
                Ok(chunk) => self.screen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => panic!("{text:?} never appeared on the screen:\n{}", self.screen),
            }
        }
    }

    /// Types `text`.
    pub fn send(&mut self, text: &str) {
        self.stdin.write_all(text.as_bytes()).expect("type");
        self.stdin.flush().expect("flush");
    }

    /// Types `echo` of `expr` into a shell and returns what the shell
    /// expanded it to, once it has. The answer is tagged `ansN:` with N
    /// computed by the shell, so the echoed keystrokes (`ans$((1000+N))`)
    /// never match. Variables in `expr` go in braces: zsh reads `$NAME:e`
    /// as a modifier.
    pub fn ask(&mut self, expr: &str) -> String {
        self.asked += 1;
        let n = self.asked;
        self.send(&format!("echo \"ans$((1000+{n})):{expr}:end\"\n"));
        self.expect(&format!("ans{}:", 1000 + n));
        let start = self.seen;
        self.expect(":end");
        self.screen[start..self.seen - ":end".len()].to_string()
    }

    /// Types `line` into a shell, then waits until the shell has run it
    /// and shown its next prompt (an `ask` on the following line answers
    /// only then).
    pub fn run(&mut self, line: &str) {
        self.send(&format!("{line}\n"));
        self.ask("");
    }

    /// Types `exit` into a shell and waits for it to end; returns the
    /// screen.
    pub fn exit(&mut self) -> String {
        self.send("exit\n");
        self.end("the shell did not exit", Duration::from_millis(100));
        self.screen.clone()
    }

    /// Waits for the program to end by itself; returns its exit code and
    /// everything the screen showed.
    pub fn wait(mut self) -> (Option<i32>, String) {
        let status = self.end("the program did not finish", Duration::from_millis(300));
        (status.code(), std::mem::take(&mut self.screen))
    }

    /// Waits, with the deadline, for the program to end (failing the test
    /// with `what` and the screen if it does not), then collects what it
    /// still shows within `drain`.
    fn end(&mut self, what: &str, drain: Duration) -> ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(start.elapsed() < DEADLINE, "{what}:\n{}", self.screen);
            if let Ok(chunk) = self.rx.recv_timeout(Duration::from_millis(20)) {
                self.screen.push_str(&String::from_utf8_lossy(&chunk));
            }
        };
        while let Ok(chunk) = self.rx.recv_timeout(drain) {
            self.screen.push_str(&String::from_utf8_lossy(&chunk));
        }
        status
    }
}

impl Drop for Pty {
    /// A failed test leaves no program behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `bscred ARGS` on a pseudo-terminal with the sealed environment
/// plus `extra` variables, and plays `steps`: for each, waits (with a
/// deadline) for its prompt to appear on the screen after the previous
/// one, then types its input, as a person would. Returns the exit code
/// and everything the screen showed.
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
pub fn command_on_pty(
    env: &Env,
    extra: &[(&str, &str)],
    command: &str,
    steps: &[(&str, &str)],
) -> (Option<i32>, String) {
    let mut pty = Pty::spawn(env, &env.work, command, extra);
    for (prompt, input) in steps {
        pty.expect(prompt);
        pty.send(input);
    }
    pty.wait()
}
