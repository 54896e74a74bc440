//! Reading a value from the user: a hidden prompt on the terminal, a visible
//! one for plain values, or all of stdin for scripts.

use std::io::{self, BufRead, IsTerminal, Read, Write};

use zeroize::Zeroizing;

use crate::secret::MAX_VALUE_BYTES;

/// Whether stdin is a terminal a person is typing into.
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Asks on the controlling terminal without echoing what is typed. Talks to
/// `/dev/tty` directly, so the prompt works even when stdout is captured
/// (as under `eval $(bscred env)`).
#[cfg(unix)]
pub fn hidden(prompt: &str) -> io::Result<Zeroizing<String>> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    use std::fs::OpenOptions;

    let tty = OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    let saved = tcgetattr(&tty)?;
    let mut quiet = saved.clone();
    // Echo goes off before the prompt is shown, so nothing typed after the
    // prompt appears can be echoed; ECHONL still moves to a new line.
    quiet.local_modes.remove(LocalModes::ECHO);
    quiet.local_modes.insert(LocalModes::ECHONL);
    tcsetattr(&tty, OptionalActions::Now, &quiet)?;
    let restore = Restore { tty: &tty, saved };
    (&tty).write_all(crate::terminal::escape(prompt).as_bytes())?;
    (&tty).flush()?;
    let mut line = Zeroizing::new(String::new());
    io::BufReader::new(&tty).read_line(&mut line)?;
    drop(restore);
    let trimmed = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(trimmed);
    Ok(line)
}

/// Puts the terminal back as it was, also when reading fails.
#[cfg(unix)]
struct Restore<'a> {
    tty: &'a std::fs::File,
    saved: rustix::termios::Termios,
}

#[cfg(unix)]
impl Drop for Restore<'_> {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            self.tty,
            rustix::termios::OptionalActions::Now,
            &self.saved,
        );
    }
}

/// Asks on the console without echo (rpassword handles Windows consoles).
#[cfg(not(unix))]
pub fn hidden(prompt: &str) -> io::Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt).map(Zeroizing::new)
}

/// Asks on the terminal with echo, for values that are not secret.
pub fn visible(prompt: &str) -> io::Result<Zeroizing<String>> {
    let mut stderr = io::stderr();
    stderr.write_all(crate::terminal::escape(prompt).as_bytes())?;
    stderr.flush()?;
    let mut line = Zeroizing::new(String::new());
    io::stdin().lock().read_line(&mut line)?;
    let trimmed = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(trimmed);
    Ok(line)
}

/// Asks a yes/no question on the terminal; Enter means yes, and Ctrl-D
/// (end of input) means no: walking away must not delete anything.
pub fn confirm(question: &str) -> io::Result<bool> {
    let mut stderr = io::stderr();
    stderr.write_all(crate::terminal::escape(question).as_bytes())?;
    stderr.flush()?;
    let mut line = Zeroizing::new(String::new());
    if io::stdin().lock().read_line(&mut line)? == 0 {
        stderr.write_all(b"\n")?;
        return Ok(false);
    }
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "" | "y" | "yes"
    ))
}

/// All of stdin, minus exactly one trailing newline (`\n` or `\r\n`), which
/// `echo` and most pipes add. Reads at most one byte past the value limit so
/// a huge input is refused without being held in memory.
pub fn read_stdin() -> io::Result<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(Vec::new());
    io::stdin()
        .lock()
        .take(MAX_VALUE_BYTES as u64 + 3)
        .read_to_end(&mut bytes)?;
    drop_one_newline(&mut bytes);
    Ok(bytes)
}

fn drop_one_newline(bytes: &mut Vec<u8>) {
    if bytes.ends_with(b"\r\n") {
        bytes.truncate(bytes.len() - 2);
    } else if bytes.ends_with(b"\n") {
        bytes.truncate(bytes.len() - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_trailing_newline_is_dropped() {
        let cases: [(&[u8], &[u8]); 6] = [
            (b"tok\n", b"tok"),
            (b"tok\n\n", b"tok\n"),
            (b"tok\r\n", b"tok"),
            (b"tok", b"tok"),
            (b"\n", b""),
            (b"a\nb", b"a\nb"),
        ];
        for (input, expected) in cases {
            let mut bytes = input.to_vec();
            drop_one_newline(&mut bytes);
            assert_eq!(bytes, expected);
        }
    }
}
