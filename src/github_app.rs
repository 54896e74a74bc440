//! The credentials file of a GitHub App as `backstage-cli create-github-app`
//! writes it (`github-app-SLUG-credentials.yaml`: `appId`, `clientId`,
//! `clientSecret`, `webhookSecret`, `privateKey` and the like), turned into
//! variables (`GITHUB_APP_ID`, `GITHUB_APP_PRIVATE_KEY`, …) and the
//! `app-config.yaml` lines that reference them.
//!
//! The file is a flat YAML mapping. It is read strictly rather than with a
//! general YAML parser: top-level `key: value` lines whose value is plain,
//! single- or double-quoted, or a `|` block (the private key); anything
//! else is refused with the line number, so nothing is imported half-read
//! and the file is never deleted on a guess.

use zeroize::Zeroizing;

/// The fields bscred knows, with the variable suffix each becomes and
/// whether it is secret. Other keys become `PREFIX_KEY_IN_CAPITALS`.
const KNOWN: [(&str, &str, bool); 5] = [
    ("appId", "ID", false),
    ("clientId", "CLIENT_ID", false),
    ("clientSecret", "CLIENT_SECRET", true),
    ("webhookSecret", "WEBHOOK_SECRET", true),
    ("privateKey", "PRIVATE_KEY", true),
];

/// The variable prefix without `--app-prefix`.
pub const DEFAULT_PREFIX: &str = "GITHUB_APP";

/// One field of the file, as the variable it becomes.
#[derive(Debug)]
pub struct Field {
    /// The key in the file (`clientSecret`).
    pub key: String,
    /// The variable name (`GITHUB_APP_CLIENT_SECRET`).
    pub name: String,
    pub value: Zeroizing<String>,
    pub secret: bool,
}

/// Reads the credentials file's text into its fields, named with `prefix`.
/// The error names the line and what is wrong, never a value.
pub fn parse(text: &str, prefix: &str) -> Result<Vec<Field>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut fields: Vec<Field> = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let line = lines[at].trim_end();
        let number = at + 1;
        at += 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            return Err(format!(
                "line {number}: an indented line outside a `|` block"
            ));
        }
        let Some((key, rest)) = line.split_once(':') else {
            return Err(format!("line {number}: not a `key: value` line"));
        };
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("line {number}: the key is not a plain name"));
        }
        if !rest.is_empty() && !rest.starts_with(' ') {
            return Err(format!("line {number}: not a `key: value` line"));
        }
        let raw = rest.trim();
        let value = match raw.chars().next() {
            Some('|') => {
                let (value, next) = block(&lines, at, raw, number)?;
                at = next;
                value
            }
            Some('"') => double_quoted(raw).ok_or(format!(
                "line {number}: a double-quoted value this reader does not take (it must end on the same line)"
            ))?,
            Some('\'') => single_quoted(raw).ok_or(format!(
                "line {number}: a single-quoted value that does not end on the same line"
            ))?,
            Some('[' | '{' | '&' | '*' | '!' | '>' | '%' | '@' | '`') => {
                return Err(format!(
                    "line {number}: a YAML form this reader does not take (lists, mappings, anchors, tags, folded text)"
                ));
            }
            None => {
                return Err(format!(
                    "line {number}: `{key}` has no value (nested mappings are not taken)"
                ));
            }
            Some(_) => Zeroizing::new(plain(raw).to_string()),
        };
        if fields.iter().any(|f| f.key == key) {
            return Err(format!("line {number}: `{key}` appears twice"));
        }
        let name = variable_name(prefix, key);
        let secret = match KNOWN.iter().find(|(k, _, _)| *k == key) {
            Some((_, _, secret)) => *secret,
            None => name
                .parse::<crate::secret::VarName>()
                .map_or(true, |n| n.looks_secret()),
        };
        fields.push(Field {
            key: key.to_string(),
            name,
            value,
            secret,
        });
    }
    if !fields.iter().any(|f| f.key == "privateKey") || !fields.iter().any(|f| f.key == "appId") {
        return Err(
            "it has no `appId` and `privateKey`: not a GitHub App's credentials file".to_string(),
        );
    }
    Ok(fields)
}

/// The variable the field `key` of the file becomes under `prefix`:
/// `variable_name("GITHUB_APP", "privateKey")` is `GITHUB_APP_PRIVATE_KEY`.
/// `github app-token` finds the stored app by the same names.
pub fn variable_name(prefix: &str, key: &str) -> String {
    match KNOWN.iter().find(|(k, _, _)| *k == key) {
        Some((_, suffix, _)) => format!("{prefix}_{suffix}"),
        None => format!("{prefix}_{}", capitals(key)),
    }
}

/// A `|`, `|-` or `|+` block starting after line `number`: its text, and
/// the index of the first line after it.
fn block(
    lines: &[&str],
    start: usize,
    header: &str,
    number: usize,
) -> Result<(Zeroizing<String>, usize), String> {
    let chomp = match header {
        "|" => Chomp::Clip,
        "|-" => Chomp::Strip,
        "|+" => Chomp::Keep,
        _ => {
            return Err(format!(
                "line {number}: a block header this reader does not take (only |, |- and |+)"
            ));
        }
    };
    let mut end = start;
    while end < lines.len() && (lines[end].trim().is_empty() || lines[end].starts_with(' ')) {
        end += 1;
    }
    let body = &lines[start..end];
    let indent = body
        .iter()
        .find(|l| !l.trim().is_empty())
        .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
    if indent == 0 {
        return Err(format!("line {number}: an empty `|` block"));
    }
    let mut text = Zeroizing::new(String::new());
    for (offset, line) in body.iter().enumerate() {
        if line.trim().is_empty() {
            text.push('\n');
            continue;
        }
        let Some(content) = line
            .get(indent..)
            .filter(|_| line[..indent].trim().is_empty())
        else {
            return Err(format!(
                "line {}: less indented than the block it is in",
                start + offset + 1
            ));
        };
        text.push_str(content.trim_end_matches('\r'));
        text.push('\n');
    }
    match chomp {
        Chomp::Keep => {}
        Chomp::Clip | Chomp::Strip => {
            while text.ends_with('\n') {
                text.pop();
            }
            if chomp == Chomp::Clip {
                text.push('\n');
            }
        }
    }
    Ok((text, end))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// A double-quoted scalar on one line; its escapes are JSON's (the ones a
/// YAML writer uses for such values).
fn double_quoted(raw: &str) -> Option<Zeroizing<String>> {
    let end = raw.rfind('"').filter(|&e| e > 0)?;
    let rest = raw[end + 1..].trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    serde_json::from_str::<String>(&raw[..=end])
        .ok()
        .map(Zeroizing::new)
}

/// A single-quoted scalar on one line (`''` is a quote).
fn single_quoted(raw: &str) -> Option<Zeroizing<String>> {
    let end = raw.rfind('\'').filter(|&e| e > 0)?;
    let rest = raw[end + 1..].trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    Some(Zeroizing::new(raw[1..end].replace("''", "'")))
}

/// A plain scalar without a ` #` comment.
fn plain(raw: &str) -> &str {
    raw.find(" #").map_or(raw, |at| &raw[..at]).trim()
}

/// `webhookUrl` → `WEBHOOK_URL`.
fn capitals(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The `app-config.yaml` lines that reference the imported variables.
pub fn app_config(fields: &[Field]) -> String {
    let mut text = String::from(
        "# app-config.yaml (or app-config.local.yaml)\nintegrations:\n  github:\n    - host: github.com\n      apps:\n",
    );
    let mut first = true;
    for field in fields
        .iter()
        .filter(|f| KNOWN.iter().any(|(k, _, _)| *k == f.key))
    {
        let lead = if first { "        - " } else { "          " };
        first = false;
        text.push_str(&format!("{lead}{}: ${{{}}}\n", field.key, field.name));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nx4Vd==\n-----END RSA PRIVATE KEY-----\n";

    fn file() -> String {
        format!(
            "appId: 123456\nwebhookUrl: https://smee.io/abc # forwarded\nclientId: Iv1.0a1b2c3d\nclientSecret: \"0a1b\\\"2c\"\nwebhookSecret: 'it''s'\nprivateKey: |\n  {}\n",
            KEY.trim_end().replace('\n', "\n  ")
        )
    }

    #[test]
    fn every_field_becomes_a_variable_and_the_key_keeps_its_lines() {
        let fields = parse(&file(), DEFAULT_PREFIX).expect("parses");
        let got: Vec<(&str, &str, bool)> = fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_str(), f.secret))
            .collect();
        assert_eq!(
            got,
            [
                ("GITHUB_APP_ID", "123456", false),
                ("GITHUB_APP_WEBHOOK_URL", "https://smee.io/abc", false),
                ("GITHUB_APP_CLIENT_ID", "Iv1.0a1b2c3d", false),
                ("GITHUB_APP_CLIENT_SECRET", "0a1b\"2c", true),
                ("GITHUB_APP_WEBHOOK_SECRET", "it's", true),
                ("GITHUB_APP_PRIVATE_KEY", KEY, true),
            ]
        );
    }

    #[test]
    fn a_prefix_names_a_second_app() {
        let fields = parse(&file(), "ACME_APP").expect("parses");
        assert!(fields.iter().any(|f| f.name == "ACME_APP_PRIVATE_KEY"));
        assert!(app_config(&fields).contains("privateKey: ${ACME_APP_PRIVATE_KEY}"));
    }

    #[test]
    fn block_chomping_follows_yaml() {
        for (header, want) in [("|", "a\nb\n"), ("|-", "a\nb"), ("|+", "a\nb\n\n")] {
            let text = format!("appId: 1\nprivateKey: {header}\n  a\n  b\n\n");
            let fields = parse(&text, "X").expect("parses");
            assert_eq!(fields[1].value.as_str(), want, "{header}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_its_line_and_no_value() {
        for (text, line) in [
            ("appId: 1\nprivateKey:\n  nested: 1\n", "line 2"),
            ("appId: [1]\nprivateKey: k\n", "line 1"),
            ("appId: 1\nprivateKey: >\n  folded\n", "line 2"),
            ("appId: 1\nappId: 2\nprivateKey: k\n", "line 2"),
            ("appId: 1\n  stray\nprivateKey: k\n", "line 2"),
            ("appId: 1\nprivateKey: \"sec\nret\"\n", "line 2"),
        ] {
            let error = parse(text, "X").expect_err(text);
            assert!(error.starts_with(line), "{text:?}: {error}");
            assert!(!error.contains("sec"), "{error}");
        }
        assert!(
            parse("clientId: x\n", "X")
                .unwrap_err()
                .contains("not a GitHub App")
        );
    }

    #[test]
    fn the_snippet_references_each_known_field() {
        let snippet = app_config(&parse(&file(), DEFAULT_PREFIX).expect("parses"));
        for (key, suffix, _) in KNOWN {
            assert!(
                snippet.contains(&format!("{key}: ${{GITHUB_APP_{suffix}}}")),
                "{snippet}"
            );
        }
        assert!(!snippet.contains("webhookUrl"), "{snippet}");
    }
}
