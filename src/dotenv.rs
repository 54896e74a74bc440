//! Reading dotenv files the way people write them, keeping track of which lines each entry came from so `import --remove` can delete exactly those lines.
//!
//! The accepted syntax is the common subset of what dotenvy (Rust), python-dotenv and Node's
//! dotenv read, plus what `echo "NAME=$VALUE" >> .env` produces:
//!
//! * blank lines and lines whose first non-blank character is `#` are ignored;
//! * `\n` and `\r\n` line endings, and a leading UTF-8 byte order mark;
//! * `[export ]NAME=value`, with optional spaces/tabs around the name and the `=`;
//! * unquoted values (with ` # comment` stripped), `'single'` and `` `backtick` `` quoted
//!   values (literal), and `"double"` quoted values (with a few backslash escapes);
//!   quoted values may span several lines.
//!
//! Values are always taken literally: there is deliberately no `${VAR}` or `$VAR` expansion.
//! A secret such as a password may well contain `$`, and silently substituting (usually empty)
//! environment variables into it would corrupt the secret being imported.
//!
//! Error messages never quote a value, only line numbers and variable names, because they end up
//! on terminals and in logs.

use std::fmt;
use std::ops::Range;

use zeroize::Zeroizing;

/// One `NAME=value` assignment found in a dotenv file.
pub struct Entry {
    pub name: String,
    pub value: Zeroizing<String>,
    /// 0-based indices of the physical lines (as split by `split_inclusive('\n')`) this entry occupies; more than one for a multi-line quoted value.
    pub lines: Range<usize>,
    /// Whether the value is the text after `=` exactly as written. False
    /// when an unquoted value lost an inline ` #…` comment or surrounding
    /// blanks, as dotenv parsers read it, but which a file written with
    /// `echo "NAME=$VALUE"` may have meant as part of the value.
    pub exact: bool,
    /// Whether a shell sourcing the file would have expanded part of the
    /// value (`$HOME`, `${X}`, `$(cmd)` or backticks, unquoted or in
    /// double quotes), which dotenv readers, and bscred, take literally.
    pub shell_expands: bool,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("value", &format_args!("[REDACTED]"))
            .field("lines", &self.lines)
            .finish()
    }
}

/// Why a dotenv file could not be read. The message names at most the variable, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number, as an editor shows it.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

const BOM: char = '\u{feff}';

/// Separators inside an assignment. Only spaces and tabs, as in the shell.
fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Parses a dotenv file into its assignments, in file order.
///
/// Duplicate names are all returned; the caller decides which one wins.
pub fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let lines = content_lines(text);
    let mut entries = Vec::new();
    let mut index = 0;
    while let Some(line) = lines.get(index) {
        let indented = line.trim_start_matches(is_blank);
        if line.trim().is_empty() || indented.starts_with('#') {
            index += 1;
            continue;
        }
        let entry = parse_entry(&lines, index, indented)?;
        index = entry.lines.end;
        entries.push(entry);
    }
    Ok(entries)
}

/// The text with every line of the given entries removed; every other line (comments, blank lines, other assignments) kept byte for byte, including the presence or absence of the final newline and CRLF line endings.
pub fn without_entries(text: &str, entries: &[&Entry]) -> String {
    // Sized up front so the buffer, which may still hold other secrets, is never reallocated
    // (a reallocation would leave a stray copy behind in freed memory).
    let mut out = String::with_capacity(text.len());
    // Which lines go, marked once: linear in the file, however many entries.
    let mut removed = vec![false; text.split_inclusive('\n').count()];
    for entry in entries {
        for index in entry.lines.clone() {
            if let Some(mark) = removed.get_mut(index) {
                *mark = true;
            }
        }
    }
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if !removed[index] {
            out.push_str(line);
        } else if index == 0 && line.starts_with(BOM) {
            // The byte order mark describes the file, not the first entry: keep it.
            out.push(BOM);
        }
    }
    out
}

/// The physical lines of `text`, split exactly as `without_entries` splits them (so indices
/// agree), without their `\n` / `\r\n` terminator and without a leading byte order mark.
fn content_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n')
        .enumerate()
        .map(|(index, raw)| {
            let line = match raw.strip_suffix('\n') {
                Some(line) => line.strip_suffix('\r').unwrap_or(line),
                None => raw,
            };
            if index == 0 {
                line.strip_prefix(BOM).unwrap_or(line)
            } else {
                line
            }
        })
        .collect()
}

/// Parses the assignment starting on line `start`; `line` is that line without indentation.
fn parse_entry(lines: &[&str], start: usize, line: &str) -> Result<Entry, ParseError> {
    let error = |message: String| ParseError {
        line: start + 1,
        message,
    };
    let line = strip_export(line);
    let Some((raw_name, after_eq)) = line.split_once('=') else {
        // Not even the text is quoted back: a line without `=` may be a pasted secret.
        return Err(error(
            "expected NAME=value, but the line has no \"=\"".to_owned(),
        ));
    };
    let name = raw_name.trim_end_matches(is_blank);
    check_name(name).map_err(error)?;

    let value_text = after_eq.trim_start_matches(is_blank);
    let mut chars = value_text.chars();
    let (value, last_line, exact, shell_expands) = match chars.next() {
        Some(quote @ ('\'' | '"' | '`')) => {
            let (value, last_line, expands) =
                parse_quoted(lines, start, chars.as_str(), quote, name)?;
            (value, last_line, true, expands)
        }
        _ => {
            let value = parse_unquoted(after_eq);
            let exact = value.as_str() == after_eq;
            let expands = shell_would_expand(&value);
            (value, start, exact, expands)
        }
    };
    if value.contains('\0') {
        return Err(error(format!("value of {name} contains a NUL byte")));
    }
    Ok(Entry {
        name: name.to_owned(),
        value,
        lines: start..last_line + 1,
        exact,
        shell_expands,
    })
}

/// Whether a shell would expand something in `raw` (unquoted or
/// double-quoted text): a `$` before a name, a digit, a special parameter
/// (`$$`, `$?`, …), `{` or `(`, or a backtick, not escaped by a backslash.
fn shell_would_expand(raw: &str) -> bool {
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '`' => return true,
            '$' if chars.peek().is_some_and(|n| {
                n.is_ascii_alphanumeric()
                    || matches!(n, '_' | '{' | '(' | '$' | '?' | '!' | '#' | '*' | '@' | '-')
            }) =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// Drops a leading `export` keyword (as in a sourced shell script).
fn strip_export(line: &str) -> &str {
    if let Some(after) = line.strip_prefix("export") {
        let rest = after.trim_start_matches(is_blank);
        // The keyword must be followed by a blank (`exportFOO=1` assigns `exportFOO`), and
        // `export = 1` is an assignment to a variable that happens to be called `export`.
        if rest.len() < after.len() && !rest.starts_with('=') {
            return rest;
        }
    }
    line
}

/// Checks `name` against `[A-Za-z_][A-Za-z0-9_]*`, the names a shell can export.
fn check_name(name: &str) -> Result<(), String> {
    const RULE: &str =
        "names may contain only ASCII letters, digits and _, and may not start with a digit";
    let mut chars = name.chars();
    let valid = match chars.next() {
        None => return Err("missing variable name before \"=\"".to_owned()),
        Some(first) => {
            (first.is_ascii_alphabetic() || first == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
    };
    if valid {
        return Ok(());
    }
    // The text before `=` is not always a name: in a value that was pasted over several lines
    // without quotes, it is part of the secret. Only echo it when it looks like a mistyped
    // name (`FOO-BAR`, `app.key`), which is short and uses a narrow alphabet.
    let looks_like_a_name = name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if looks_like_a_name {
        Err(format!("\"{name}\" is not a valid variable name ({RULE})"))
    } else {
        Err(format!("invalid variable name before \"=\" ({RULE})"))
    }
}

/// An unquoted value: everything after `=` up to an inline comment, trimmed.
fn parse_unquoted(after_eq: &str) -> Zeroizing<String> {
    let value = strip_inline_comment(after_eq)
        .trim_start_matches(is_blank)
        .trim_end();
    Zeroizing::new(value.to_owned())
}

/// Cuts `text` at the first `#` that follows a space or tab.
///
/// Requiring the blank is what keeps secrets intact: tokens and passwords contain `#`
/// (`ghp_ab#c`, `p#ssw0rd`), but nobody writes a comment glued to the value. `text` starts
/// right after the `=`, so in `NAME=#abc` the `#` has no blank before it and is kept, while
/// `NAME= # note` is an empty value with a comment.
fn strip_inline_comment(text: &str) -> &str {
    let mut after_blank = false;
    for (index, c) in text.char_indices() {
        if c == '#' && after_blank {
            return &text[..index];
        }
        after_blank = is_blank(c);
    }
    text
}

/// A quoted value. `first` is the rest of line `start` after the opening `quote`; the value may
/// continue on the following lines. Returns the value, the index of the line that closes it,
/// and whether a shell would have expanded part of it (backticks are command substitution to a
/// shell; double quotes expand `$…`).
fn parse_quoted(
    lines: &[&str],
    start: usize,
    first: &str,
    quote: char,
    name: &str,
) -> Result<(Zeroizing<String>, usize, bool), ParseError> {
    let following = lines.get(start + 1..).unwrap_or_default();
    let segments = || std::iter::once(first).chain(following.iter().copied());
    let Some((closing_segment, closing_at)) = find_closing_quote(segments(), quote) else {
        return Err(ParseError {
            line: start + 1,
            message: format!("unterminated quoted value for {name} (no closing {quote} found)"),
        });
    };

    // Decoding only ever shrinks the text (`\n` becomes one byte, other pairs stay as they
    // are), so this capacity is enough and the secret is never copied by a reallocation.
    let raw_len: usize = segments()
        .take(closing_segment + 1)
        .map(|segment| segment.len() + 1)
        .sum();
    let mut value = Zeroizing::new(String::with_capacity(raw_len));
    let mut expands = quote == '`';
    for (index, segment) in segments().enumerate().take(closing_segment + 1) {
        let (body, is_last) = if index == closing_segment {
            (&segment[..closing_at], true)
        } else {
            (segment, false)
        };
        if quote == '"' {
            expands |= shell_would_expand(body);
            unescape_into(&mut value, body);
        } else {
            value.push_str(body);
        }
        if !is_last {
            // The line break is part of the value; a CRLF file's `\r` was already dropped with
            // the line ending, so multi-line values read the same from either kind of file.
            value.push('\n');
        }
    }

    let closing_line = start + closing_segment;
    let after = segments()
        .nth(closing_segment)
        .map_or("", |segment| &segment[closing_at + quote.len_utf8()..]);
    if !is_blank_or_comment(after) {
        return Err(ParseError {
            line: closing_line + 1,
            message: format!(
                "unexpected text after the closing quote of {name} (only whitespace or a \" #\" comment may follow)"
            ),
        });
    }
    Ok((value, closing_line, expands))
}

/// Finds the closing `quote` in consecutive line segments: (segment index, byte offset).
///
/// Only double quotes have escapes; a backslash at the very end of a line escapes the line
/// break (and is kept, see `unescape_into`), never the first character of the next line.
fn find_closing_quote<'a>(
    segments: impl Iterator<Item = &'a str>,
    quote: char,
) -> Option<(usize, usize)> {
    for (segment_index, segment) in segments.enumerate() {
        let mut escaped = false;
        for (offset, c) in segment.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' && quote == '"' {
                escaped = true;
            } else if c == quote {
                return Some((segment_index, offset));
            }
        }
    }
    None
}

/// Appends `text` (part of a double-quoted value) to `out`, decoding backslash escapes.
///
/// Unknown escapes keep both the backslash and the character, as dotenvy does, so a Windows
/// path or a regex in a double-quoted value survives unchanged.
fn unescape_into(out: &mut String, text: &str) {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(escaped @ ('"' | '\\' | '$' | '`')) => out.push(escaped),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
}

/// Whether the text after a closing quote is only whitespace or a ` #` comment.
fn is_blank_or_comment(after: &str) -> bool {
    let rest = after.trim_start_matches(is_blank);
    // As for unquoted values, a comment needs a blank before its `#`.
    rest.trim_end().is_empty() || (rest.starts_with('#') && rest.len() < after.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<Entry> {
        match parse(text) {
            Ok(entries) => entries,
            Err(error) => panic!("parse failed: {error}"),
        }
    }

    fn parse_err(text: &str) -> ParseError {
        match parse(text) {
            Ok(entries) => panic!("expected an error, got {entries:?}"),
            Err(error) => error,
        }
    }

    /// Parses a file expected to hold exactly one entry and returns its value.
    fn value_of(text: &str) -> String {
        let entries = parse_ok(text);
        assert_eq!(entries.len(), 1, "{text:?} gave {entries:?}");
        entries[0].value.to_string()
    }

    fn pairs(entries: &[Entry]) -> Vec<(&str, &str)> {
        entries
            .iter()
            .map(|entry| (entry.name.as_str(), entry.value.as_str()))
            .collect()
    }

    #[test]
    fn exact_tells_whether_an_unquoted_value_lost_anything() {
        let exact = |text: &str| parse(text).expect("parses")[0].exact;
        assert!(exact("A=x\n"));
        assert!(exact("A=x\r\n"));
        assert!(exact("A=x#y\n"));
        assert!(exact("A='x y' # note\n"));
        assert!(exact("A=\"x\"\n"));
        assert!(!exact("A=p4ss #w0rd\n"));
        assert!(!exact("A= lead\n"));
        assert!(!exact("A=trail \n"));
    }

    #[test]
    fn empty_file_has_no_entries() {
        assert!(parse_ok("").is_empty());
        assert!(parse_ok("\n\n").is_empty());
    }

    #[test]
    fn blank_and_comment_lines_are_skipped() {
        let text = "# header\n\n   \n\t# indented comment\nA=1\n  #B=2\n";
        let entries = parse_ok(text);
        assert_eq!(pairs(&entries), [("A", "1")]);
        assert_eq!(entries[0].lines, 4..5);
    }

    #[test]
    fn crlf_line_endings_are_stripped() {
        let entries = parse_ok("A=1\r\nB='2'\r\nC=\"3\"\r\n\r\n# c\r\nD=4");
        assert_eq!(
            pairs(&entries),
            [("A", "1"), ("B", "2"), ("C", "3"), ("D", "4")]
        );
    }

    #[test]
    fn leading_bom_is_ignored() {
        let entries = parse_ok("\u{feff}TOKEN=abc\n");
        assert_eq!(pairs(&entries), [("TOKEN", "abc")]);
        assert!(parse_ok("\u{feff}# comment\n").is_empty());
    }

    #[test]
    fn export_prefix_is_optional() {
        let entries = parse_ok("export A=1\nexport \t  B=2\nexport\tC=3\nD=4\n");
        assert_eq!(
            pairs(&entries),
            [("A", "1"), ("B", "2"), ("C", "3"), ("D", "4")]
        );
    }

    #[test]
    fn export_is_only_a_keyword_when_followed_by_a_blank() {
        assert_eq!(pairs(&parse_ok("exportFOO=1\n")), [("exportFOO", "1")]);
        assert_eq!(pairs(&parse_ok("export=1\n")), [("export", "1")]);
        assert_eq!(pairs(&parse_ok("export = 1\n")), [("export", "1")]);
    }

    #[test]
    fn whitespace_around_name_and_equals_is_allowed() {
        let entries = parse_ok("  A = 1\n\tB\t=\t2\nC= 3\nD =4\n");
        assert_eq!(
            pairs(&entries),
            [("A", "1"), ("B", "2"), ("C", "3"), ("D", "4")]
        );
    }

    #[test]
    fn valid_names() {
        let entries = parse_ok("_=1\n_A1=2\nabc_DEF_9=3\n");
        assert_eq!(
            pairs(&entries),
            [("_", "1"), ("_A1", "2"), ("abc_DEF_9", "3")]
        );
    }

    #[test]
    fn invalid_names_are_errors() {
        let error = parse_err("A=1\nFOO-BAR=x\n");
        assert_eq!(error.line, 2);
        assert!(
            error
                .message
                .contains("\"FOO-BAR\" is not a valid variable name")
        );

        assert!(parse_err("app.key=x").message.contains("\"app.key\""));
        assert!(parse_err("1ABC=x").message.contains("\"1ABC\""));
        assert!(parse_err("export 9=x").message.contains("\"9\""));
        assert!(
            parse_err("FOO BAR=x")
                .message
                .contains("invalid variable name")
        );
        assert!(
            parse_err("\"QUOTED\"=x")
                .message
                .contains("invalid variable name")
        );
        assert!(
            parse_err("NAMÉ=x")
                .message
                .contains("invalid variable name")
        );
    }

    #[test]
    fn missing_name_or_equals_is_an_error() {
        let error = parse_err("# c\n\nJUST_A_WORD\n");
        assert_eq!(error.line, 3);
        assert!(error.message.contains("expected NAME=value"));

        assert_eq!(parse_err("export FOO\n").line, 1);
        assert!(
            parse_err("=value\n")
                .message
                .contains("missing variable name")
        );
        assert!(
            parse_err("  = value\n")
                .message
                .contains("missing variable name")
        );
    }

    #[test]
    fn equals_sign_inside_the_value_is_kept() {
        assert_eq!(pairs(&parse_ok("A=b=c\n")), [("A", "b=c")]);
        assert_eq!(value_of("B=dGVzdA==\n"), "dGVzdA==");
    }

    #[test]
    fn unquoted_value_is_trimmed() {
        assert_eq!(value_of("A=  some value \t \n"), "some value");
        assert_eq!(value_of("A=x\t\r\n"), "x");
    }

    #[test]
    fn inline_comment_needs_preceding_whitespace() {
        assert_eq!(value_of("A=value # comment\n"), "value");
        assert_eq!(value_of("A=value\t# comment\n"), "value");
        assert_eq!(value_of("A=ghp_ab#c\n"), "ghp_ab#c");
        assert_eq!(value_of("A=ghp_ab#c # with a comment\n"), "ghp_ab#c");
        assert_eq!(value_of("A=#abc\n"), "#abc");
        assert_eq!(value_of("A= # only a comment\n"), "");
        assert_eq!(value_of("A=a#b#c\n"), "a#b#c");
    }

    #[test]
    fn unquoted_values_are_literal() {
        assert_eq!(value_of(r"A=a\nb\\c"), r"a\nb\\c");
        assert_eq!(value_of("A=${HOME}/$USER\n"), "${HOME}/$USER");
        assert_eq!(value_of("A=it's \"fine\"\n"), "it's \"fine\"");
    }

    #[test]
    fn single_quoted_values_are_literal() {
        assert_eq!(value_of(r"A='a\nb \ $HOME ${X}'"), r"a\nb \ $HOME ${X}");
        assert_eq!(
            value_of("A=' padded # not a comment '\n"),
            " padded # not a comment "
        );
        assert_eq!(value_of("A='double \" inside'\n"), "double \" inside");
    }

    #[test]
    fn single_quoted_values_may_span_lines() {
        let entries = parse_ok("A=1\nKEY='-----BEGIN-----\nabc\n-----END-----'\nB=2\n");
        assert_eq!(
            pairs(&entries),
            [
                ("A", "1"),
                ("KEY", "-----BEGIN-----\nabc\n-----END-----"),
                ("B", "2")
            ]
        );
        assert_eq!(entries[1].lines, 1..4);
        assert_eq!(entries[2].lines, 4..5);
    }

    #[test]
    fn continuation_lines_are_part_of_the_value() {
        // Inside quotes, a line that looks like a comment or an assignment is still value.
        let entries = parse_ok("A='x\n# not a comment\nB=not an entry\n'\nC=1\n");
        assert_eq!(
            pairs(&entries),
            [("A", "x\n# not a comment\nB=not an entry\n"), ("C", "1")]
        );
        assert_eq!(entries[0].lines, 0..4);
    }

    #[test]
    fn double_quoted_escapes() {
        assert_eq!(value_of(r#"A="a\nb\rc\td""#), "a\nb\rc\td");
        assert_eq!(
            value_of(r#"A="q\"q \\ \$HOME \`cmd\`""#),
            r#"q"q \ $HOME `cmd`"#
        );
        assert_eq!(value_of(r#"A="\\n""#), r"\n");
    }

    #[test]
    fn unknown_escapes_keep_the_backslash() {
        assert_eq!(value_of(r#"A="C:\Users\x \é""#), r"C:\Users\x \é");
    }

    #[test]
    fn values_a_shell_would_expand_are_marked_and_kept_literally() {
        let entry = |text: &str| parse(text).expect("parses").remove(0);
        for text in [
            "A=$HOME/bin:$PATH\n",
            "A=${HOME}\n",
            "A=$(id)\n",
            "A=\"x $USER\"\n",
            "A=\"x\n$USER\"\n",
            "A=`id`\n",
            "A=pa$$word\n",
            "A=cost$5\n",
        ] {
            let e = entry(text);
            assert!(e.shell_expands, "{text:?}");
            assert!(e.value.contains('$') || e.value.contains("id"), "{text:?}");
        }
        for text in [
            "A='$HOME'\n",
            "A=\"\\$HOME\"\n",
            "A=ends$\n",
            "A=a$ b$%\n",
            "A=plain\n",
        ] {
            assert!(!entry(text).shell_expands, "{text:?}");
        }
        assert_eq!(&*entry("A=$HOME/bin:$PATH\n").value, "$HOME/bin:$PATH");
    }

    #[test]
    fn double_quoted_values_are_not_expanded() {
        assert_eq!(value_of("A=\"${HOME} $USER\"\n"), "${HOME} $USER");
    }

    #[test]
    fn double_quoted_values_may_span_lines() {
        let entries = parse_ok("A=\"line 1\n  line 2 # not a comment\n\\\"end\\\"\" # done\nB=x\n");
        assert_eq!(
            pairs(&entries),
            [
                ("A", "line 1\n  line 2 # not a comment\n\"end\""),
                ("B", "x")
            ]
        );
        assert_eq!(entries[0].lines, 0..3);
    }

    #[test]
    fn multi_line_values_from_crlf_files_use_lf() {
        assert_eq!(value_of("A='x\r\ny'\r\n"), "x\ny");
        assert_eq!(value_of("A=\"x\r\ny\"\r\n"), "x\ny");
    }

    #[test]
    fn backslash_at_end_of_line_is_kept_in_double_quotes() {
        assert_eq!(value_of("A=\"x\\\ny\"\n"), "x\\\ny");
    }

    #[test]
    fn backtick_quoted_values_are_literal() {
        assert_eq!(value_of(r#"A=`it's "both" \n`"#), r#"it's "both" \n"#);
        let entries = parse_ok("A=`x\ny` # c\n");
        assert_eq!(pairs(&entries), [("A", "x\ny")]);
        assert_eq!(entries[0].lines, 0..2);
    }

    #[test]
    fn quote_only_counts_at_the_start_of_the_value() {
        assert_eq!(value_of("A=x\"y\"\n"), "x\"y\"");
        assert_eq!(value_of("A=x'y\n"), "x'y");
        assert_eq!(value_of("A =  'spaced'\n"), "spaced");
    }

    #[test]
    fn text_after_the_closing_quote() {
        assert_eq!(value_of("A='x'   \n"), "x");
        assert_eq!(value_of("A=\"x\" # comment\n"), "x");
        assert_eq!(value_of("A=`x`\t#comment\n"), "x");

        for text in [
            "A='x'y\n",
            "A=\"x\"y\n",
            "A=`x` y\n",
            "A='x'#c\n",
            "A=\"x\"\"y\"\n",
        ] {
            let error = parse_err(text);
            assert_eq!(error.line, 1, "{text:?}");
            assert!(
                error.message.contains("after the closing quote of A"),
                "{text:?}"
            );
        }
        // Reported where the quote closes, not where it opens.
        assert_eq!(parse_err("# c\nA='x\ny'z\n").line, 3);
    }

    #[test]
    fn unterminated_quote_points_at_the_opening_line() {
        for text in [
            "A=1\nB='abc\n\nC=3\n",
            "A=1\nB=\"abc\\\"\nC=3",
            "A=1\nB=`abc",
        ] {
            let error = parse_err(text);
            assert_eq!(error.line, 2, "{text:?}");
            assert!(
                error.message.contains("unterminated quoted value for B"),
                "{text:?}"
            );
        }
    }

    #[test]
    fn nul_in_a_value_is_an_error() {
        let error = parse_err("A=1\nB=x\0y\n");
        assert_eq!(
            error,
            ParseError {
                line: 2,
                message: "value of B contains a NUL byte".into()
            }
        );
        assert_eq!(parse_err("B='x\n\0'\n").line, 1);
        // A NUL in a dropped comment is harmless.
        assert_eq!(value_of("A=x # \0\n"), "x");
    }

    #[test]
    fn empty_values() {
        let entries = parse_ok("A=\nB=\"\"\nC=''\nD=``\nE=   \nF= \"\" # c\n");
        let names: Vec<_> = entries.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "D", "E", "F"]);
        assert!(entries.iter().all(|entry| entry.value.is_empty()));
    }

    #[test]
    fn duplicates_are_all_returned_in_order() {
        let entries = parse_ok("A=1\nB=2\nA=3\n");
        assert_eq!(pairs(&entries), [("A", "1"), ("B", "2"), ("A", "3")]);
        assert_eq!(entries[2].lines, 2..3);
    }

    #[test]
    fn file_without_trailing_newline() {
        let entries = parse_ok("A=1\nB=2");
        assert_eq!(pairs(&entries), [("A", "1"), ("B", "2")]);
        assert_eq!(entries[1].lines, 1..2);
        assert_eq!(value_of("A='x\ny'"), "x\ny");
    }

    #[test]
    fn debug_redacts_the_value() {
        let entries = parse_ok("TOKEN=ghp_supersecret\n");
        let debug = format!("{:?}", entries[0]);
        assert!(!debug.contains("supersecret"), "{debug}");
        assert!(
            debug.contains("TOKEN") && debug.contains("[REDACTED]"),
            "{debug}"
        );
        assert!(debug.contains("0..1"), "{debug}");
    }

    #[test]
    fn parse_error_display_and_error_trait() {
        let error = parse_err("\nFOO-BAR=1\n");
        assert!(
            error
                .to_string()
                .starts_with("line 2: \"FOO-BAR\" is not a valid variable name")
        );
        let boxed: Box<dyn std::error::Error> = Box::new(error);
        assert!(boxed.to_string().starts_with("line 2: "));
    }

    #[test]
    fn error_messages_never_contain_the_value() {
        let secret = "s3cretVALUE";
        let inputs = [
            format!("A='{secret}\n"),
            format!("A=\"{secret}\n"),
            format!("A=`{secret}"),
            format!("A='{secret}'{secret}\n"),
            format!("A=\"{secret}\"{secret}\n"),
            format!("A={secret}\0{secret}\n"),
            format!("A=\"{secret}\\0\0\"\n"),
            format!("{secret}\n"),
            format!("export {secret}\n"),
            // An unquoted value continued on the next line: the text before `=` is secret.
            format!("KEY={secret}\n{secret}+/{secret}==\n"),
            format!("KEY={secret}\n{secret} {secret}=x\n"),
            format!("KEY={secret}\n{}-{secret}=x\n", secret.repeat(8)),
        ];
        for input in inputs {
            let error = parse_err(&input);
            assert!(!error.message.contains(secret), "{input:?} gave {error}");
            assert!(!error.message.contains("s3cret"), "{input:?} gave {error}");
        }
    }

    fn remove_named(text: &str, name: &str) -> String {
        let entries = parse_ok(text);
        let selected: Vec<&Entry> = entries.iter().filter(|entry| entry.name == name).collect();
        without_entries(text, &selected)
    }

    #[test]
    fn without_no_entries_is_identity() {
        for text in ["", "A=1", "A=1\n", "# c\r\nA=1\r\n", "\u{feff}A='x\ny'\n\n"] {
            assert_eq!(without_entries(text, &[]), text);
        }
    }

    #[test]
    fn without_entries_crlf_round_trip() {
        let text = "# secrets\r\nA=1\r\n\r\nTOKEN=\"ghp_x\"\r\nB=2\r\n";
        assert_eq!(
            remove_named(text, "TOKEN"),
            "# secrets\r\nA=1\r\n\r\nB=2\r\n"
        );
        assert_eq!(
            remove_named(text, "A"),
            "# secrets\r\n\r\nTOKEN=\"ghp_x\"\r\nB=2\r\n"
        );
    }

    #[test]
    fn without_entries_removes_multi_line_entry_and_keeps_comments() {
        let text =
            "A=1\n# key follows\nKEY=\"-----BEGIN-----\nabc\n-----END-----\"\n# between\nB=2\n";
        let entries = parse_ok(text);
        let both: Vec<&Entry> = entries.iter().filter(|entry| entry.name != "A").collect();
        assert_eq!(
            without_entries(text, &both),
            "A=1\n# key follows\n# between\n"
        );
        assert_eq!(
            remove_named(text, "KEY"),
            "A=1\n# key follows\n# between\nB=2\n"
        );
    }

    #[test]
    fn without_entries_keeps_missing_final_newline() {
        assert_eq!(remove_named("A=1\nB=2", "A"), "B=2");
        assert_eq!(remove_named("A=1\nB=2", "B"), "A=1\n");
        assert_eq!(remove_named("A=1", "A"), "");
        assert_eq!(remove_named("# c\nA='x\ny'", "A"), "# c\n");
    }

    #[test]
    fn without_entries_removes_duplicates_only_when_asked() {
        let text = "A=1\nB=2\nA=3\n";
        assert_eq!(remove_named(text, "A"), "B=2\n");
        let entries = parse_ok(text);
        assert_eq!(without_entries(text, &[&entries[2]]), "A=1\nB=2\n");
    }

    #[test]
    fn without_entries_keeps_the_bom() {
        assert_eq!(remove_named("\u{feff}A=1\nB=2\n", "A"), "\u{feff}B=2\n");
        assert_eq!(remove_named("\u{feff}A=1\nB=2\n", "B"), "\u{feff}A=1\n");
    }
}
