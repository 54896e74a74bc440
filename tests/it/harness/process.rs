//! Child processes the tests start and wait for: fed their stdin, read
//! with a deadline, never waited on without one (STYLE: no test sleeps to
//! wait for something; a hang fails the test instead of hanging it).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Starts `cmd` with piped stdio.
fn spawn_piped(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()))
}

/// Starts `cmd` with piped stdio and `input` already written to its stdin
/// and closed. A child killed before it reads its stdin breaks the pipe:
/// fine, that is what such tests do.
pub fn spawn_fed(cmd: &mut Command, input: &[u8]) -> Child {
    let mut child = spawn_piped(cmd);
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(input);
    drop(stdin);
    child
}

/// Runs `cmd` with `input` on stdin to the end and collects its output;
/// the write must succeed (the program reads its stdin).
pub fn output_fed(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = spawn_piped(cmd);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .unwrap_or_else(|e| panic!("write to {:?}: {e}", cmd.get_program()));
    child.wait_with_output().expect("collect output")
}

/// Waits for `child` and collects its output, killing it and failing the
/// test when it runs past `deadline` (polling, so a hang cannot hang the
/// test). The output must be small enough never to fill a pipe.
pub fn finish(mut child: Child, what: &str, deadline: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} was still running after {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.wait_with_output().expect("collect output")
}

/// The first line `output` gives (a daemon's address, a server's port),
/// read on a thread so a program that never prints cannot hang the test;
/// `None` when none came within `deadline`.
pub fn first_line(output: impl Read + Send + 'static, deadline: Duration) -> Option<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(output).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(deadline).ok()
}
