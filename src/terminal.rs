//! What reaches a terminal: the one escaping function for text others
//! wrote, and the lines bscred writes on stderr.
//!
//! A repository, a teammate or a server chooses many strings bscred shows:
//! variable names and values in a team store, keys of a project file, file
//! names `doctor` finds, a login GitHub returns. A terminal obeys control
//! sequences inside such text: an OSC can set the window title or the
//! clipboard, a CSI can move the cursor and rewrite lines already printed
//! (hiding a warning), CR overwrites the start of a line, and the bidi
//! controls of Unicode (the "Trojan Source" trick) reorder what is shown.
//! So every line bscred prints passes through [`escape`] (STYLE "Terminal
//! output is untrusted text").
//!
//! Notices are best effort: a closed or full stderr must never stop the
//! command that was asked for, so write errors here are ignored.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;

/// `text` with every character a terminal would act on, rather than show,
/// written as a visible escape (`\u{1b}`, `\r`): C0 controls and DEL, C1
/// controls (a lone U+009B is a CSI to many terminals), the bidi embedding,
/// override and isolate controls, and the line and paragraph separators.
/// Everything else, non-ASCII letters included, is kept as it is.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acts_on_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if acts_on_terminal(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `escape` for text of several lines: each line escaped, the line breaks
/// kept (for reports bscred prints line by line).
pub fn escape_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| match line.strip_suffix('\n') {
            Some(content) => format!("{}\n", escape(content)),
            None => escape(line).into_owned(),
        })
        .collect()
}

/// Whether a terminal would act on `c` instead of showing it.
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Writes `bscred: MESSAGE` on stderr, escaped, as one line.
pub fn say(message: &str) {
    line("", message);
}

/// Writes `bscred: warning: MESSAGE` on stderr, escaped, as one line.
pub fn warn(message: &str) {
    line("warning: ", message);
}

/// Where notices and warnings go: stderr, one escaped line each, unless
/// silenced (`-q`). Modules below the commands take one of these instead
/// of the whole run's context.
#[derive(Debug, Clone, Copy, Default)]
pub struct Notices {
    pub quiet: bool,
}

impl Notices {
    /// An informational line, silenced by `-q`.
    pub fn note(&self, message: impl AsRef<str>) {
        if !self.quiet {
            say(message.as_ref());
        }
    }

    /// A warning, silenced by `-q`.
    pub fn warn(&self, message: impl AsRef<str>) {
        if !self.quiet {
            warn(message.as_ref());
        }
    }
}

/// Writes `text` on stderr as it is, for bscred's own multi-line text
/// (rendered errors and instructions whose parts were escaped already).
pub fn write_raw(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

fn line(kind: &str, message: &str) {
    write_raw(&format!("bscred: {kind}{}\n", escape(message)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_kept_as_it_is() {
        for text in ["GITHUB_TOKEN", "ghp_…3f9a", "Zoë Ångström 日本", ""] {
            assert!(matches!(escape(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn what_a_terminal_acts_on_is_shown_instead() {
        let cases = [
            ("\x1b[2J", "\\u{1b}[2J"),
            ("\x1b]0;title\x07", "\\u{1b}]0;title\\u{7}"),
            ("\x1b]52;c;aGk=\x1b\\", "\\u{1b}]52;c;aGk=\\u{1b}\\"),
            ("a\rb", "a\\rb"),
            ("a\nb\tc", "a\\nb\\tc"),
            ("\u{9b}31m", "\\u{9b}31m"),
            ("\u{7f}", "\\u{7f}"),
            ("\0", "\\u{0}"),
            ("abc\u{202e}fed\u{202c}", "abc\\u{202e}fed\\u{202c}"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("\u{200f}\u{061c}", "\\u{200f}\\u{61c}"),
            ("a\u{2028}b", "a\\u{2028}b"),
        ];
        for (raw, shown) in cases {
            let escaped = escape(raw);
            assert_eq!(escaped, shown, "{raw:?}");
            assert!(!escaped.chars().any(acts_on_terminal), "{raw:?}");
        }
    }

    #[test]
    fn lines_keep_their_breaks_and_lose_their_controls() {
        assert_eq!(escape_lines("a\x1b[1m\nb\rc\n"), "a\\u{1b}[1m\nb\\rc\n");
        assert_eq!(escape_lines("no end\x07"), "no end\\u{7}");
        assert_eq!(escape_lines(""), "");
    }
}
