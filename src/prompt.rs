//! Reading a value from the user: a hidden prompt on the terminal, a visible
//! one for plain values, or all of stdin for scripts.

use std::io::{self, BufRead, IsTerminal, Read, Write};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::MAX_VALUE_BYTES;

/// Whether stdin is a terminal a person is typing into.
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Asks on the controlling terminal without echoing what is typed. Talks to
/// `/dev/tty` directly, so the prompt works even when stdout is captured
/// (as under `eval $(bscred env)`).
///
/// Ctrl-C ends the prompt with `Error::Interrupted` (exit 130) after the
/// terminal is put back as it was. The terminal does not turn it into
/// SIGINT here: the signal would end the process before any destructor
/// could switch echo back on, leaving the user's shell typing blind.
/// Catching SIGINT instead needs a signal handler: `unsafe` to install,
/// and limited to async-signal-safe calls. Other signals still end the
/// process at once: SIGHUP means the terminal is gone (nothing to
/// restore), and SIGTERM comes from a program, not the person typing.
#[cfg(unix)]
pub fn hidden(prompt: &str) -> Result<Zeroizing<String>> {
    use rustix::termios::{LocalModes, OptionalActions, SpecialCodeIndex, tcgetattr, tcsetattr};
    use std::fs::OpenOptions;

    let failed = || Error::io("cannot read from the terminal");
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(failed())?;
    let saved = tcgetattr(&tty).map_err(|e| failed()(e.into()))?;
    let keys = Keys::from_termios(&saved);
    let mut quiet = saved.clone();
    // No echo; byte by byte (no ICANON), so bscred does the line editing
    // and sees Ctrl-C; no signals from the keyboard (no ISIG), so Ctrl-C,
    // Ctrl-\ and Ctrl-Z arrive as bytes. Echo goes off before the prompt is
    // shown, so nothing typed after the prompt appears can be echoed.
    quiet
        .local_modes
        .remove(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG);
    quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
    quiet.special_codes[SpecialCodeIndex::VTIME] = 0;
    tcsetattr(&tty, OptionalActions::Now, &quiet).map_err(|e| failed()(e.into()))?;
    let restore = Restore { tty: &tty, saved };
    (&tty)
        .write_all(crate::terminal::escape(prompt).as_bytes())
        .and_then(|()| (&tty).flush())
        .map_err(failed())?;
    let mut line = Line::new();
    let ended = loop {
        let mut byte = Zeroizing::new([0u8; 1]);
        match (&tty).read(&mut byte[..]) {
            Ok(0) => break End::Closed,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed()(e)),
        }
        if let Some(end) = line.key(byte[0], &keys) {
            break end;
        }
    };
    // The Enter (or the Ctrl-C) was not echoed: end the line ourselves, so
    // what is printed next starts on a line of its own.
    let _ = (&tty).write_all(b"\n");
    drop(restore);
    match ended {
        End::Enter => line.into_string().map_err(failed()),
        End::Interrupt => Err(Error::Interrupted),
        // The terminal went away (or Ctrl-D on an empty line): nothing
        // was entered. Half a line is never taken for a whole one.
        End::Closed if line.is_empty() => Ok(Zeroizing::new(String::new())),
        End::Closed => Err(failed()(io::ErrorKind::UnexpectedEof.into())),
    }
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

#[cfg(unix)]
/// The editing keys the terminal is set up with (`stty -a` shows them),
/// so a person's habits carry over to the prompt.
#[derive(Debug, Clone, Copy)]
struct Keys {
    interrupt: Option<u8>,
    quit: Option<u8>,
    suspend: Option<u8>,
    eof: Option<u8>,
    erase: Option<u8>,
    kill: Option<u8>,
    word_erase: Option<u8>,
}

#[cfg(unix)]
impl Keys {
    #[cfg(unix)]
    fn from_termios(termios: &rustix::termios::Termios) -> Keys {
        use rustix::termios::SpecialCodeIndex as I;
        // A code of 0 (_POSIX_VDISABLE on Linux) means the key is off.
        let key = |index| Some(termios.special_codes[index]).filter(|&code| code != 0);
        Keys {
            interrupt: key(I::VINTR),
            quit: key(I::VQUIT),
            suspend: key(I::VSUSP),
            eof: key(I::VEOF),
            erase: key(I::VERASE),
            kill: key(I::VKILL),
            word_erase: key(I::VWERASE),
        }
    }
}

#[cfg(unix)]
/// How typing at the hidden prompt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Enter: the line is the answer.
    Enter,
    /// Ctrl-C or Ctrl-\.
    Interrupt,
    /// End of input: Ctrl-D on an empty line, or the terminal closed.
    Closed,
}

#[cfg(unix)]
/// The line being typed at the hidden prompt, edited as a terminal in
/// canonical mode would (erase, kill, word erase), in a buffer that is
/// zeroed whenever it is dropped or outgrown.
struct Line {
    bytes: Zeroizing<Vec<u8>>,
}

#[cfg(unix)]
impl Line {
    fn new() -> Line {
        Line {
            bytes: Zeroizing::new(Vec::with_capacity(256)),
        }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Takes one typed byte; `Some` when it ends the line.
    fn key(&mut self, byte: u8, keys: &Keys) -> Option<End> {
        let is = |key: Option<u8>| key == Some(byte);
        if byte == b'\n' || byte == b'\r' {
            return Some(End::Enter);
        }
        if is(keys.interrupt) || is(keys.quit) {
            return Some(End::Interrupt);
        }
        if is(keys.eof) {
            // As in canonical mode, Ctrl-D ends input only on an empty
            // line; on a typed one there is nothing to do with it here.
            return self.is_empty().then_some(End::Closed);
        }
        if is(keys.suspend) {
            // Stopping with echo off would leave the shell typing blind
            // until `fg`; the key does nothing at this prompt.
            return None;
        }
        if is(keys.erase) || byte == 0x08 || byte == 0x7f {
            self.erase_char();
        } else if is(keys.kill) {
            self.bytes.clear();
        } else if is(keys.word_erase) {
            while self.bytes.last().is_some_and(u8::is_ascii_whitespace) {
                self.bytes.pop();
            }
            while self.bytes.last().is_some_and(|b| !b.is_ascii_whitespace()) {
                self.erase_char();
            }
        } else {
            self.push(byte);
        }
        None
    }

    /// Removes the last character, all the bytes of a UTF-8 one.
    fn erase_char(&mut self) {
        while let Some(byte) = self.bytes.pop() {
            // Stop after a byte that is not a UTF-8 continuation byte.
            if byte & 0b1100_0000 != 0b1000_0000 {
                break;
            }
        }
    }

    /// Appends a byte. Past the largest value bscred stores, bytes are
    /// dropped: the value is refused as too large anyway, and memory stays
    /// bounded. Growing copies into a new buffer and zeroes the old one (a
    /// plain `Vec` would leave the old copy behind in freed memory).
    fn push(&mut self, byte: u8) {
        if self.bytes.len() > MAX_VALUE_BYTES {
            return;
        }
        if self.bytes.len() == self.bytes.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(self.bytes.capacity() * 2));
            bigger.extend_from_slice(&self.bytes);
            self.bytes = bigger;
        }
        self.bytes.push(byte);
    }

    /// The line as text; not UTF-8 is an error, as `read_line` makes it.
    fn into_string(self) -> io::Result<Zeroizing<String>> {
        let text = std::str::from_utf8(&self.bytes).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, "what was typed is not UTF-8")
        })?;
        let mut out = Zeroizing::new(String::with_capacity(text.len()));
        out.push_str(text);
        Ok(out)
    }
}

/// Asks on the console without echo (rpassword handles Windows consoles).
#[cfg(not(unix))]
pub fn hidden(prompt: &str) -> Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(Error::io("cannot read from the terminal"))
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
    // Sized up front: a growing buffer would leave unwiped copies.
    let limit = MAX_VALUE_BYTES + 3;
    let mut bytes = crate::private_fs::read_wiped(io::stdin().lock().take(limit as u64), limit)?;
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

    /// The keys `stty sane` sets on Linux.
    #[cfg(unix)]
    const SANE: Keys = Keys {
        interrupt: Some(0x03),
        quit: Some(0x1c),
        suspend: Some(0x1a),
        eof: Some(0x04),
        erase: Some(0x7f),
        kill: Some(0x15),
        word_erase: Some(0x17),
    };

    /// Types `input` into a new line: how it ended and what it holds.
    #[cfg(unix)]
    fn typed(input: &[u8]) -> (Option<End>, Vec<u8>) {
        let mut line = Line::new();
        let mut end = None;
        for &byte in input {
            end = line.key(byte, &SANE);
            if end.is_some() {
                break;
            }
        }
        (end, line.bytes.to_vec())
    }

    #[cfg(unix)]
    #[test]
    fn the_hidden_line_is_edited_as_in_canonical_mode() {
        assert_eq!(typed(b"tok\r"), (Some(End::Enter), b"tok".to_vec()));
        assert_eq!(typed(b"tok\n"), (Some(End::Enter), b"tok".to_vec()));
        assert_eq!(typed(b"tox\x7fk\r").1, b"tok");
        assert_eq!(typed(b"tox\x08k\r").1, b"tok");
        assert_eq!(typed("zoé\x7f\x7fe\r".as_bytes()).1, b"ze");
        assert_eq!(typed(b"\x7f\x7fa\r").1, b"a");
        assert_eq!(typed(b"wrong\x15tok\r").1, b"tok");
        assert_eq!(typed(b"one two  \x17\r").1, b"one ");
        // Ctrl-Z does nothing; Ctrl-D ends only an empty line.
        assert_eq!(typed(b"t\x1aok\r").1, b"tok");
        assert_eq!(typed(b"\x04"), (Some(End::Closed), Vec::new()));
        assert_eq!(typed(b"to\x04k\r"), (Some(End::Enter), b"tok".to_vec()));
        // Ctrl-C and Ctrl-\ interrupt, whatever was typed.
        assert_eq!(typed(b"tok\x03").0, Some(End::Interrupt));
        assert_eq!(typed(b"\x1c").0, Some(End::Interrupt));
    }

    #[cfg(unix)]
    #[test]
    fn a_disabled_key_is_an_ordinary_byte_and_the_line_is_bounded() {
        let keys = Keys {
            interrupt: None,
            ..SANE
        };
        let mut line = Line::new();
        assert_eq!(line.key(0x03, &keys), None);
        assert_eq!(line.bytes.as_slice(), b"\x03");
        let mut line = Line::new();
        for _ in 0..MAX_VALUE_BYTES + 100 {
            line.key(b'a', &SANE);
        }
        assert_eq!(line.bytes.len(), MAX_VALUE_BYTES + 1);
        let mut line = Line::new();
        line.key(0xff, &SANE);
        assert!(line.into_string().is_err());
    }

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
