//! Reading a value from the user: a hidden prompt on the terminal, a visible
//! one for plain values, or all of stdin for scripts.

use std::io::{self, BufRead, IsTerminal, Read, Write};

use zeroize::Zeroizing;

use crate::secret::MAX_VALUE_BYTES;

/// Whether stdin is a terminal a person is typing into.
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Asks on the terminal without echoing what is typed. rpassword talks to
/// the controlling terminal (`/dev/tty`) directly, so the prompt works even
/// when stdout is captured.
pub fn hidden(prompt: &str) -> io::Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt).map(Zeroizing::new)
}

/// Asks on the terminal with echo, for values that are not secret.
pub fn visible(prompt: &str) -> io::Result<Zeroizing<String>> {
    let mut stderr = io::stderr();
    stderr.write_all(prompt.as_bytes())?;
    stderr.flush()?;
    let mut line = Zeroizing::new(String::new());
    io::stdin().lock().read_line(&mut line)?;
    let trimmed = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(trimmed);
    Ok(line)
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
