//! Quoting per shell: the code `bscred env` prints, which must give every
//! value back byte for byte and run nothing, however it is evaluated
//! (docs/SECURITY.md, "`env` and `exec`").

use std::fmt::{self, Write as _};
use std::io;

use zeroize::Zeroizing;

use crate::secret::{Secret, VarName};

/// The output formats of `bscred env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// `export NAME=…;` in ANSI-C quotes, for bash and zsh (the default)
    Bash,
    /// The same as bash
    Zsh,
    /// POSIX sh and dash
    Sh,
    /// `set -gx NAME '…';`, for `| source`
    Fish,
    /// `$env:NAME = '…'`
    Powershell,
    /// A JSON object, for `from json | load-env`
    Nu,
    /// `NAME='…'` lines that dotenvy and Node's dotenv read back exactly
    Dotenv,
    /// A JSON object of names to values
    Json,
}

/// A value the chosen format cannot carry exactly. Names the variable, never
/// the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the value of {name} cannot be written exactly in {format} form: {why}")]
pub struct Unrepresentable {
    pub name: String,
    pub format: &'static str,
    pub why: &'static str,
}

/// Checks that every value can be written in `shell`'s form, before any
/// output: `env` prints all or nothing.
pub fn check(shell: Shell, vars: &[(&VarName, &Secret)]) -> Result<(), Unrepresentable> {
    if shell == Shell::Dotenv {
        for (name, value) in vars {
            dotenv_form(name, value.expose())?;
        }
    }
    Ok(())
}

/// Writes `vars` as code for `shell` to `out`, through a small buffer that
/// is wiped after every flush: a large store costs that buffer, not a copy
/// of its escaped form (up to 20 times its size). Call `check` first: a
/// value it refuses is an error here too, but output may have started.
pub fn write(
    shell: Shell,
    vars: &[(&VarName, &Secret)],
    out: &mut dyn io::Write,
) -> Result<(), WriteError> {
    let mut sink = Sink::new(out);
    match shell {
        Shell::Nu | Shell::Json => json(vars, &mut sink),
        Shell::Bash | Shell::Zsh => {
            // dash (and any sh without `$'…'`) would read `$'\x41'` as `$\x41`
            // and corrupt every value without a word: test for ANSI-C
            // quoting first, and fail loudly without it. (`true`, not `:`,
            // which an `IFS=:` would split away.)
            sink.push_str("if test $'\\x41' = A; then true;\n");
            for (name, value) in vars {
                bash(name, value.expose(), &mut sink);
            }
            sink.push_str(
                "else echo bscred: error: this shell has no ANSI-C quoting, use bscred env --shell sh >&2; false; fi;\n",
            );
        }
        _ => {
            for (name, value) in vars {
                let value = value.expose();
                match shell {
                    Shell::Sh => sh(name, value, &mut sink),
                    Shell::Fish => fish(name, value, &mut sink),
                    Shell::Powershell => powershell(name, value, &mut sink),
                    Shell::Dotenv => dotenv(name, value, &mut sink).map_err(WriteError::Value)?,
                    Shell::Nu | Shell::Json | Shell::Bash | Shell::Zsh => {
                        unreachable!("handled above")
                    }
                }
            }
        }
    }
    sink.finish().map_err(WriteError::Io)
}

/// Renders `vars` as code for `shell` into memory, wiped when dropped (for
/// tests and small outputs; `env` streams with `write`).
pub fn render(
    shell: Shell,
    vars: &[(&VarName, &Secret)],
) -> Result<Zeroizing<String>, Unrepresentable> {
    check(shell, vars)?;
    let mut bytes = Zeroizing::new(Vec::new());
    match write(shell, vars, &mut *bytes) {
        Ok(()) => {}
        Err(WriteError::Value(refused)) => return Err(refused),
        Err(WriteError::Io(e)) => unreachable!("writing to memory cannot fail: {e}"),
    }
    let text = String::from_utf8(std::mem::take(&mut *bytes))
        .unwrap_or_else(|_| unreachable!("every form is UTF-8"));
    Ok(Zeroizing::new(text))
}

/// Why `write` stopped.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Value(Unrepresentable),
    #[error("cannot write the output: {0}")]
    Io(io::Error),
}

/// The buffer rendered code goes through on its way to a writer: a fixed
/// size, flushed when full and wiped after each flush, so no unwiped copy
/// of a value is left behind by a reallocation, and memory stays bounded.
struct Sink<'w> {
    /// Never grows past `SINK_BYTES` (so never reallocates, leaving no
    /// copy behind); what it held is wiped before it is cleared, so the
    /// spare capacity only ever holds zeros. Wiping just the bytes written,
    /// not the whole 64 KiB on every flush and again on drop, is most of
    /// what printing four variables costs otherwise.
    buf: Vec<u8>,
    out: &'w mut dyn io::Write,
    failed: Option<io::Error>,
}

/// The sink's size: many variables per write, a small fixed cost.
const SINK_BYTES: usize = 64 * 1024;

impl<'w> Sink<'w> {
    fn new(out: &'w mut dyn io::Write) -> Sink<'w> {
        Sink {
            buf: Vec::with_capacity(SINK_BYTES),
            out,
            failed: None,
        }
    }

    fn push(&mut self, c: char) {
        let mut bytes = [0u8; 4];
        self.push_str(c.encode_utf8(&mut bytes));
    }

    fn push_str(&mut self, text: &str) {
        if self.buf.len() + text.len() > SINK_BYTES {
            self.flush();
        }
        if text.len() > SINK_BYTES {
            // A piece larger than the buffer (a whole dotenv value) goes
            // straight out rather than through a larger copy.
            self.send(text.as_bytes());
        } else {
            self.buf.extend_from_slice(text.as_bytes());
        }
    }

    /// Sends what the buffer holds and wipes it, keeping its allocation.
    fn flush(&mut self) {
        if self.failed.is_none()
            && let Err(e) = self.out.write_all(&self.buf)
        {
            self.failed = Some(e);
        }
        self.wipe();
    }

    fn send(&mut self, bytes: &[u8]) {
        if self.failed.is_none()
            && let Err(e) = self.out.write_all(bytes)
        {
            self.failed = Some(e);
        }
    }

    fn wipe(&mut self) {
        zeroize::Zeroize::zeroize(self.buf.as_mut_slice());
        self.buf.clear();
    }

    fn finish(mut self) -> io::Result<()> {
        self.flush();
        if self.failed.is_none()
            && let Err(e) = self.out.flush()
        {
            self.failed = Some(e);
        }
        self.failed.take().map_or(Ok(()), Err)
    }
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl fmt::Write for Sink<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.push_str(text);
        Ok(())
    }
}

/// Characters that mean nothing to any shell in any position, and that no
/// sane `IFS` holds, so they can stay as they are; everything else is
/// escaped. (Punctuation is not safe: scripts set `IFS=:` or `IFS=/`, and
/// the unquoted `eval $(bscred env)` splits on whatever IFS holds.)
fn is_inert(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `export NAME=$'…';` with every byte but the inert ones as `\xHH`.
///
/// `eval $(bscred env)` (unquoted, as people type it) splits the output on
/// whitespace, expands globs in each word, and joins the words with single
/// spaces before eval sees them: a value written with plain single quotes
/// would lose its runs of spaces, tabs and newlines, and a `*` could match
/// files. Inside `$'…'` (ANSI-C quoting, in bash and zsh) whitespace and glob
/// characters can be written as escapes, so the words hold none of them and
/// both the quoted and the unquoted eval see the same text.
fn bash(name: &VarName, value: &str, out: &mut Sink<'_>) {
    let _ = write!(out, "export {name}=$'");
    // Non-ASCII goes out as escaped bytes too: in a multibyte locale such as
    // GBK the last byte of a character followed by `\` can read as one
    // character, which would break the escape after it.
    for byte in value.bytes() {
        if byte.is_ascii() && is_inert(char::from(byte)) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out.push_str("';\n");
}

/// `NAME=$(printf '…_'); NAME=${NAME%_}; export NAME;` for dash, which has
/// no `$'…'`: the value is built inside the shell by printf from octal
/// escapes, so the printed words hold no whitespace or glob characters. The
/// trailing `_` keeps command substitution from eating trailing newlines.
fn sh(name: &VarName, value: &str, out: &mut Sink<'_>) {
    let _ = write!(out, "{name}=$(printf '");
    for byte in value.bytes() {
        let c = char::from(byte);
        // Everything but letters, digits and `_` as an octal escape: that
        // covers `%` (a printf directive) and a leading `-` (which dash's
        // printf would read as an option) too.
        if byte.is_ascii() && is_inert(c) {
            out.push(c);
        } else {
            let _ = write!(out, "\\{byte:03o}");
        }
    }
    let _ = writeln!(out, "_'); {name}=${{{name}%_}}; export {name};");
}

/// `set -gx NAME '…';`: in fish single quotes only `\\` and `\'` are escapes,
/// and newlines are literal. Non-ASCII goes out as `\XHH` bytes outside the
/// quotes: in a multibyte locale such as GBK, the last byte of a character
/// followed by `\` could read as one character. Meant for `| source` (fish's
/// `eval (…)` splits command output on newlines).
fn fish(name: &VarName, value: &str, out: &mut Sink<'_>) {
    let _ = write!(out, "set -gx {name} '");
    for c in value.chars() {
        if c.is_ascii() {
            if matches!(c, '\\' | '\'') {
                out.push('\\');
            }
            out.push(c);
        } else {
            out.push('\'');
            let mut bytes = [0u8; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                let _ = write!(out, "\\X{byte:02x}");
            }
            out.push('\'');
        }
    }
    out.push_str("';\n");
}

/// `$env:NAME = '' + '…' + [char]0x000A + '…'`: one ASCII line per
/// variable, so `| Invoke-Expression`, which receives a command's output line
/// by line, sees each assignment whole. Single-quoted PowerShell strings are
/// literal; any of its five single-quote characters would end one, so those,
/// control characters and everything non-ASCII are spelled as `[char]` codes
/// (UTF-16 units, as PowerShell strings are).
fn powershell(name: &VarName, value: &str, out: &mut Sink<'_>) {
    let _ = write!(out, "$env:{name} = ''");
    let mut quoted = false;
    let mut units = [0u16; 2];
    for c in value.chars() {
        let plain = c.is_ascii() && !c.is_ascii_control() && c != '\'';
        if plain {
            if !quoted {
                out.push_str(" + '");
                quoted = true;
            }
            out.push(c);
        } else {
            if quoted {
                out.push('\'');
                quoted = false;
            }
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, " + [char]0x{unit:04X}");
            }
        }
    }
    if quoted {
        out.push('\'');
    }
    out.push('\n');
}

/// dotenv lines that the dotenvy crate and Node's `dotenv` both read back
/// exactly. They share little: Node's single quotes take anything but `'`
/// literally (and a final `\` would escape the closing quote); its double
/// quotes turn `\n` into a newline and keep every other backslash, while
/// dotenvy's double quotes also unescape `\\`, `\"` and `\$` and substitute
/// `$VAR`. Node turns every carriage return into a newline before parsing.
/// So: single quotes when the value has no `'`; else double quotes when it
/// has no `"`, `\` or `$`; else no exact form exists.
fn dotenv(name: &VarName, value: &str, out: &mut Sink<'_>) -> Result<(), Unrepresentable> {
    match dotenv_form(name, value)? {
        Quote::Single => {
            let _ = write!(out, "{name}='");
            out.push_str(value);
            out.push_str("'\n");
        }
        Quote::Double => {
            let _ = write!(out, "{name}=\"");
            for c in value.chars() {
                if c == '\n' {
                    out.push_str("\\n");
                } else {
                    out.push(c);
                }
            }
            out.push_str("\"\n");
        }
    }
    Ok(())
}

/// The quotes a dotenv line for a value takes.
enum Quote {
    Single,
    Double,
}

/// Which quotes carry `value` exactly, or why none do (see `dotenv`).
fn dotenv_form(name: &VarName, value: &str) -> Result<Quote, Unrepresentable> {
    let refuse = |why| Unrepresentable {
        name: name.to_string(),
        format: "dotenv",
        why,
    };
    if value.contains('\r') {
        return Err(refuse(
            "it holds a carriage return, which Node's dotenv turns into a newline",
        ));
    }
    if !value.contains('\'') {
        if value.ends_with('\\') {
            return Err(refuse(
                "it ends with a backslash, which Node's dotenv reads as escaping the closing quote",
            ));
        }
        return Ok(Quote::Single);
    }
    if value.contains(['"', '\\', '$']) {
        return Err(refuse(
            "it holds a single quote together with a double quote, backslash or dollar sign",
        ));
    }
    Ok(Quote::Double)
}

/// A JSON object of names to values (for `nu`'s `load-env` and scripts),
/// escaped straight into the wiped buffer (RFC 8259 §7).
fn json(vars: &[(&VarName, &Secret)], out: &mut Sink<'_>) {
    out.push('{');
    for (i, (name, value)) in vars.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(name.as_str(), out);
        out.push(':');
        json_string(value.expose(), out);
    }
    out.push_str("}\n");
}

fn json_string(text: &str, out: &mut Sink<'_>) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(shell: Shell, value: &str) -> String {
        let name: VarName = "V".parse().expect("name");
        let secret = Secret::new(value.to_string()).expect("value");
        render(shell, &[(&name, &secret)])
            .expect("renders")
            .to_string()
    }

    /// The export line of a one-variable bash rendering.
    fn bash_line(value: &str) -> String {
        let out = one(Shell::Bash, value);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(lines[0].starts_with("if test $'\\x41' = A; then"), "{out}");
        assert!(lines[2].starts_with("else echo bscred: error:"), "{out}");
        lines[1].to_string()
    }

    #[test]
    fn bash_escapes_everything_but_letters_digits_and_underscore() {
        assert_eq!(bash_line("a b"), "export V=$'a\\x20b';");
        assert_eq!(
            bash_line("*?['\\\n"),
            "export V=$'\\x2a\\x3f\\x5b\\x27\\x5c\\x0a';"
        );
        assert_eq!(bash_line("ghp_Ab9:x"), "export V=$'ghp_Ab9\\x3ax';");
        assert_eq!(bash_line("é"), "export V=$'\\xc3\\xa9';");
        assert_eq!(one(Shell::Zsh, "a b"), one(Shell::Bash, "a b"));
    }

    #[test]
    fn bash_output_words_hold_no_whitespace_glob_or_ifs_characters() {
        let line = bash_line(" \t\n*?[]{}~$`\"'!#;&|<>():/,.@%+=-");
        assert_eq!(line.split_whitespace().count(), 2, "{line}");
        assert!(
            !line.contains(['*', '?', '[', '\t', ':', '/', ',', '.', '@']),
            "{line}"
        );
    }

    #[test]
    fn an_empty_profile_still_parses_in_bash() {
        let out = render(Shell::Bash, &[]).expect("renders").to_string();
        assert!(out.contains("then true;"), "{out}");
    }

    #[test]
    fn sh_builds_the_value_with_printf() {
        assert_eq!(
            one(Shell::Sh, "a b%\n"),
            "V=$(printf 'a\\040b\\045\\012_'); V=${V%_}; export V;\n"
        );
        assert_eq!(
            one(Shell::Sh, "é-'"),
            "V=$(printf '\\303\\251\\055\\047_'); V=${V%_}; export V;\n"
        );
    }

    #[test]
    fn fish_escapes_backslash_and_quote_and_spells_non_ascii_as_bytes() {
        assert_eq!(
            one(Shell::Fish, "it's a\\b\n$x"),
            "set -gx V 'it\\'s a\\\\b\n$x';\n"
        );
        assert_eq!(one(Shell::Fish, "é\\"), "set -gx V ''\\Xc3\\Xa9'\\\\';\n");
    }

    #[test]
    fn powershell_is_one_ascii_line_with_quotes_and_controls_as_chars() {
        assert_eq!(
            one(Shell::Powershell, "it's ‘q’\nx"),
            "$env:V = '' + 'it' + [char]0x0027 + 's ' + [char]0x2018 + 'q' + [char]0x2019 + [char]0x000A + 'x'\n"
        );
        // Outside the BMP: two UTF-16 units.
        assert_eq!(
            one(Shell::Powershell, "😀"),
            "$env:V = '' + [char]0xD83D + [char]0xDE00\n"
        );
        assert_eq!(one(Shell::Powershell, ""), "$env:V = ''\n");
    }

    #[test]
    fn json_and_nu_are_one_object() {
        assert_eq!(one(Shell::Json, "a\"\n"), "{\"V\":\"a\\\"\\n\"}\n");
        assert_eq!(one(Shell::Nu, "x"), one(Shell::Json, "x"));
    }

    #[test]
    fn dotenv_picks_a_form_both_parsers_agree_on() {
        assert_eq!(one(Shell::Dotenv, "a b\n$x\"\\y"), "V='a b\n$x\"\\y'\n");
        assert_eq!(one(Shell::Dotenv, "it's\nok"), "V=\"it's\\nok\"\n");
    }

    #[test]
    fn dotenv_refuses_what_it_cannot_carry_without_showing_it() {
        let name: VarName = "V".parse().expect("name");
        for value in ["it's $HOME", "a\rb", "'\"", "x'\\", "ends\\"] {
            let secret = Secret::new(value.to_string()).expect("value");
            let error = render(Shell::Dotenv, &[(&name, &secret)]).expect_err(value);
            assert!(!error.to_string().contains(value), "{error}");
        }
    }
}
