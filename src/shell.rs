//! Quoting per shell: the code `bscred env` prints, which must give every
//! value back byte for byte and run nothing, however it is evaluated
//! (DESIGN "Shell output").

use std::fmt::Write as _;

use zeroize::Zeroizing;

use crate::secret::{Secret, VarName};

/// The output formats of `bscred env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// `export NAME=$'…';` for bash and zsh (the default)
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

/// Renders `vars` as code for `shell`, into a buffer wiped when dropped.
pub fn render(
    shell: Shell,
    vars: &[(&VarName, &Secret)],
) -> Result<Zeroizing<String>, Unrepresentable> {
    let mut out = Zeroizing::new(String::with_capacity(vars.len() * 64));
    match shell {
        Shell::Nu | Shell::Json => json(vars, &mut out),
        _ => {
            for (name, value) in vars {
                let value = value.expose();
                match shell {
                    Shell::Bash | Shell::Zsh => bash(name, value, &mut out),
                    Shell::Sh => sh(name, value, &mut out),
                    Shell::Fish => fish(name, value, &mut out),
                    Shell::Powershell => powershell(name, value, &mut out),
                    Shell::Dotenv => dotenv(name, value, &mut out)?,
                    Shell::Nu | Shell::Json => unreachable!("handled above"),
                }
            }
        }
    }
    Ok(out)
}

/// Characters that mean nothing to any shell in any position, so they can
/// stay as they are; everything else ASCII is escaped.
fn is_inert(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '.' | '/' | ':' | '@' | '%' | '+' | ',' | '=' | '-')
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
fn bash(name: &VarName, value: &str, out: &mut String) {
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
fn sh(name: &VarName, value: &str, out: &mut String) {
    let _ = write!(out, "{name}=$(printf '");
    for byte in value.bytes() {
        let c = char::from(byte);
        if c == '%' {
            // A literal % in a printf format.
            out.push_str("%%");
        } else if byte.is_ascii() && is_inert(c) && c != '-' {
            // (A `-` first in the format makes dash's printf read an option.)
            out.push(c);
        } else {
            let _ = write!(out, "\\{byte:03o}");
        }
    }
    let _ = writeln!(out, "_'); {name}=${{{name}%_}}; export {name};");
}

/// `set -gx NAME '…';`: in fish single quotes only `\\` and `\'` are escapes,
/// and newlines are literal. Meant for `| source` (fish's `eval (…)` splits
/// command output on newlines).
fn fish(name: &VarName, value: &str, out: &mut String) {
    let _ = write!(out, "set -gx {name} '");
    for c in value.chars() {
        if matches!(c, '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push_str("';\n");
}

/// `$env:NAME = '…'`: PowerShell single-quoted strings are literal, and any
/// of its four single-quote characters is escaped by doubling it.
fn powershell(name: &VarName, value: &str, out: &mut String) {
    let _ = write!(out, "$env:{name} = '");
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push_str("'\n");
}

/// dotenv lines that the dotenvy crate and Node's `dotenv` both read back
/// exactly. They share little: Node's single quotes take anything but `'`
/// literally (and a final `\` would escape the closing quote); its double
/// quotes turn `\n` into a newline and keep every other backslash, while
/// dotenvy's double quotes also unescape `\\`, `\"` and `\$` and substitute
/// `$VAR`. Node turns every carriage return into a newline before parsing.
/// So: single quotes when the value has no `'`; else double quotes when it
/// has no `"`, `\` or `$`; else no exact form exists.
fn dotenv(name: &VarName, value: &str, out: &mut String) -> Result<(), Unrepresentable> {
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
        let _ = writeln!(out, "{name}='{value}'");
        return Ok(());
    }
    if value.contains(['"', '\\', '$']) {
        return Err(refuse(
            "it holds a single quote together with a double quote, backslash or dollar sign",
        ));
    }
    let _ = write!(out, "{name}=\"");
    for c in value.chars() {
        if c == '\n' {
            out.push_str("\\n");
        } else {
            out.push(c);
        }
    }
    out.push_str("\"\n");
    Ok(())
}

/// A JSON object of names to values (for `nu`'s `load-env` and scripts).
fn json(vars: &[(&VarName, &Secret)], out: &mut String) {
    out.push('{');
    for (i, (name, value)) in vars.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Names and values are strings: serialising them cannot fail.
        let _ = write!(
            out,
            "{}:{}",
            serde_json::Value::from(name.as_str()),
            serde_json::Value::from(value.expose())
        );
    }
    out.push_str("}\n");
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

    #[test]
    fn bash_escapes_whitespace_globs_and_quotes() {
        assert_eq!(one(Shell::Bash, "a b"), "export V=$'a\\x20b';\n");
        assert_eq!(
            one(Shell::Bash, "*?['\\\n"),
            "export V=$'\\x2a\\x3f\\x5b\\x27\\x5c\\x0a';\n"
        );
        assert_eq!(
            one(Shell::Bash, "ghp_Ab9-x.y"),
            "export V=$'ghp_Ab9-x.y';\n"
        );
        assert_eq!(one(Shell::Bash, "é"), "export V=$'\\xc3\\xa9';\n");
        assert_eq!(one(Shell::Zsh, "a b"), one(Shell::Bash, "a b"));
    }

    #[test]
    fn bash_output_words_hold_no_whitespace_or_glob_characters() {
        let out = one(Shell::Bash, " \t\n*?[]{}~$`\"'!#;&|<>()");
        let statement = out.trim_end_matches('\n');
        assert_eq!(statement.split_whitespace().count(), 2, "{out}");
        assert!(!statement.contains(['*', '?', '[', '\t']), "{out}");
    }

    #[test]
    fn sh_builds_the_value_with_printf() {
        assert_eq!(
            one(Shell::Sh, "a b%\n"),
            "V=$(printf 'a\\040b%%\\012_'); V=${V%_}; export V;\n"
        );
        assert_eq!(
            one(Shell::Sh, "é-'"),
            "V=$(printf '\\303\\251\\055\\047_'); V=${V%_}; export V;\n"
        );
    }

    #[test]
    fn fish_escapes_backslash_and_quote_only() {
        assert_eq!(
            one(Shell::Fish, "it's a\\b\n$x"),
            "set -gx V 'it\\'s a\\\\b\n$x';\n"
        );
    }

    #[test]
    fn powershell_doubles_every_single_quote_kind() {
        assert_eq!(
            one(Shell::Powershell, "it's ‘q’ ‚r‛ $x"),
            "$env:V = 'it''s ‘‘q’’ ‚‚r‛‛ $x'\n"
        );
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
