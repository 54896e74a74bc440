//! Offline checks for values that look like GitHub tokens: the known
//! prefixes, whitespace or quotes picked up when pasting, and the checksum
//! classic tokens carry (README, "Token expiry").

use crate::error::{Error, Result};
use crate::secret::{Secret, VarName};

/// The prefixes GitHub puts on its tokens: personal (classic), OAuth, user
/// to server, server to server, refresh, and fine-grained personal tokens.
const CLASSIC_PREFIXES: [&str; 5] = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"];
const FINE_GRAINED_PREFIX: &str = "github_pat_";

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What the offline checks found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Whitespace or quotes around a token: almost surely pasted along.
    Padded,
    /// A classic token whose checksum does not match its body.
    BadChecksum {
        /// The 1-based position of a single character whose change would
        /// make the checksum match, if exactly one such change exists.
        likely_typo: Option<usize>,
    },
    /// A classic token of the wrong length: characters lost or added.
    BadLength { expected: usize, found: usize },
}

/// The kind of token a prefix says, for the record (`verify`).
pub fn kind(text: &str) -> &'static str {
    let core = strip_padding(text);
    match core.get(..4) {
        _ if core.starts_with(FINE_GRAINED_PREFIX) => "fine-grained",
        Some("ghp_") => "classic",
        Some("gho_") => "oauth",
        Some("ghu_") => "user-to-server",
        Some("ghs_") => "server-to-server",
        Some("ghr_") => "refresh",
        _ => "unknown",
    }
}

/// Whether `text` (ignoring surrounding whitespace and quotes) starts with a
/// GitHub token prefix.
pub fn looks_like_token(text: &str) -> bool {
    let core = strip_padding(text);
    core.starts_with(FINE_GRAINED_PREFIX) || CLASSIC_PREFIXES.iter().any(|p| core.starts_with(p))
}

/// The shortest body after a prefix that counts as a token inside other
/// text: real ones have 36 (classic) or 82 (fine-grained) characters, and
/// names such as `ghp_cache` stay names.
const MIN_EMBEDDED_BODY: usize = 20;

/// The token-shaped runs inside `text`, each as the byte range of its body
/// (what follows a known prefix: at least `MIN_EMBEDDED_BODY` letters,
/// digits or `_`).
fn embedded(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some((at, prefix)) = CLASSIC_PREFIXES
        .iter()
        .chain(std::iter::once(&FINE_GRAINED_PREFIX))
        .filter_map(|p| text[from..].find(p).map(|i| (from + i, *p)))
        .min()
    {
        let body_start = at + prefix.len();
        let body = text[body_start..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if body >= MIN_EMBEDDED_BODY {
            found.push(body_start..body_start + body);
            from = body_start + body;
        } else {
            from = body_start;
        }
    }
    found
}

/// Whether `text` holds a token anywhere (`GITHUB_TOKEN:ghp_…`,
/// `NAME,ghp_…`), for deciding what may be quoted back to the user.
pub fn contains_token(text: &str) -> bool {
    !embedded(text).is_empty()
}

/// `text` with every token-shaped run cut to its prefix and `…`: the last
/// guard before a message reaches the terminal, for messages that quote
/// what the user typed.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let runs = embedded(text);
    if runs.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for body in runs {
        out.push_str(&text[last..body.start]);
        out.push('…');
        last = body.end;
    }
    out.push_str(&text[last..]);
    std::borrow::Cow::Owned(out)
}

/// The offline checks for a value that looks like a GitHub token (README,
/// "Token expiry"): whitespace or quotes a paste brought along are
/// stripped — after asking, when the value was typed at the terminal — and
/// a classic token's checksum is checked, with a warning (never a refusal)
/// that names the likely typo. Any other value is returned exactly as given.
pub fn checked(quiet: bool, name: &VarName, value: Secret, on_terminal: bool) -> Result<Secret> {
    if !looks_like_token(value.expose()) {
        return Ok(value);
    }
    let warn = |message: String| {
        if !quiet {
            crate::terminal::warn(&message);
        }
    };
    let mut value = value;
    for finding in check(value.expose()) {
        match finding {
            Finding::Padded => {
                let strip = if on_terminal {
                    crate::prompt::confirm(&format!(
                        "The value of {name} has spaces, a newline or quotes around the token. Remove them? [Y/n] "
                    ))
                    .map_err(Error::io("cannot read from the terminal"))?
                } else {
                    if !quiet {
                        crate::terminal::say(&format!(
                            "removed the spaces, newline or quotes around the token in {name}"
                        ));
                    }
                    true
                };
                if strip {
                    let stripped = strip_padding(value.expose()).to_string();
                    value = Secret::new(stripped).map_err(|e| Error::BadValue {
                        name: name.to_string(),
                        problem: e.to_string(),
                    })?;
                }
            }
            Finding::BadChecksum { likely_typo } => warn(match likely_typo {
                Some(at) => format!(
                    "the value of {name} fails the GitHub token checksum: character {at} looks mistyped; stored anyway"
                ),
                None => format!(
                    "the value of {name} fails the GitHub token checksum: a character may be mistyped; stored anyway"
                ),
            }),
            Finding::BadLength { expected, found } => warn(format!(
                "the value of {name} is {found} characters long, and a classic GitHub token has {expected}: was it cut off or pasted twice? stored anyway"
            )),
        }
    }
    Ok(value)
}

/// The token without the whitespace and quotes a paste can add around it,
/// however they nest (` ' "ghp_…" ' `): `set` stores what this returns, so
/// it must leave nothing that `check` would call padding.
pub fn strip_padding(text: &str) -> &str {
    let mut core = text.trim();
    loop {
        let inner = core.trim_matches(['"', '\'', '`']).trim();
        if inner.len() == core.len() {
            return core;
        }
        core = inner;
    }
}

/// Checks a value recognised as a token; empty when all is well.
pub fn check(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let core = strip_padding(text);
    if core != text {
        findings.push(Finding::Padded);
    }
    if let Some(body) = CLASSIC_PREFIXES.iter().find_map(|p| core.strip_prefix(p)) {
        // Classic tokens: 30 random base62 characters, then the CRC-32 of
        // those 30 in base62, zero-padded to 6.
        if body.len() != 36 || !body.bytes().all(|b| BASE62.contains(&b)) {
            findings.push(Finding::BadLength {
                expected: 36 + 4,
                found: core.len(),
            });
        } else if !checksum_matches(body.as_bytes()) {
            findings.push(Finding::BadChecksum {
                likely_typo: likely_typo(body.as_bytes()).map(|i| i + 5),
            });
        }
    }
    findings
}

/// Whether the last 6 characters of a 36-character classic token body are
/// the base62 CRC-32 of the first 30.
fn checksum_matches(body: &[u8]) -> bool {
    let (random, check) = body.split_at(30);
    base62_6(crc32(random)).as_bytes() == check
}

/// The one position (0-based, within the body) where a single different
/// character would make the checksum match, if exactly one exists.
fn likely_typo(body: &[u8]) -> Option<usize> {
    let mut fixes = Vec::new();
    let mut candidate = body.to_vec();
    for position in 0..body.len() {
        for &replacement in BASE62 {
            if replacement == body[position] {
                continue;
            }
            candidate[position] = replacement;
            if checksum_matches(&candidate) {
                fixes.push(position);
                break;
            }
        }
        candidate[position] = body[position];
    }
    match fixes.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib computes it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// `n` in base62 (0-9, A-Z, a-z), left-padded with `0` to 6 characters.
fn base62_6(mut n: u32) -> String {
    let mut digits = [b'0'; 6];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&digits).into_owned()
}

/// A classic token with a valid checksum, for tests: `prefix` + `random`
/// (30 base62 characters) + checksum.
pub fn classic_for_tests(prefix: &str, random: &str) -> String {
    format!("{prefix}{random}{}", base62_6(crc32(random.as_bytes())))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_inside_arguments_are_found_and_redacted() {
        let token = classic_for_tests("ghp_", "R4nd0mT0k3nV4lu3ThatMustNeverL1");
        for text in [
            format!("GITHUB_TOKEN:{token}"),
            format!("NAME,{token}"),
            format!("--{token}"),
            format!("github_pat_11AAAAAAA0{}", "x".repeat(70)),
        ] {
            assert!(contains_token(&text), "{text}");
            let shown = redact(&text);
            assert!(
                !shown.contains("R4nd0m") && !shown.contains("xxxx"),
                "{shown}"
            );
            assert!(shown.contains('…'), "{shown}");
        }
        assert_eq!(redact(&format!("a {token} b")), "a ghp_… b");
        assert_eq!(
            redact(&format!("github_pat_{}", "A".repeat(30))),
            "github_pat_…"
        );
        for text in ["GITHUB_TOKEN", "ghp_cache", "MY_ghp_VAR", "github_pat_"] {
            assert!(!contains_token(text), "{text}");
            assert_eq!(redact(text), text);
        }
    }

    use super::*;

    const RANDOM: &str = "R4nd0mT0k3nV4lu3ThatMustNever1";

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32 check value of "123456789" (every CRC catalogue lists it).
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn base62_is_zero_padded() {
        assert_eq!(base62_6(0), "000000");
        assert_eq!(base62_6(61), "00000z");
        assert_eq!(base62_6(62), "000010");
        assert_eq!(base62_6(u32::MAX), "4gfFC3");
    }

    #[test]
    fn a_valid_classic_token_passes() {
        let token = classic_for_tests("ghp_", RANDOM);
        assert_eq!(token.len(), 40);
        assert!(looks_like_token(&token));
        assert_eq!(check(&token), vec![]);
    }

    #[test]
    fn a_one_character_typo_is_found_and_located() {
        let token = classic_for_tests("ghp_", RANDOM);
        for position in [4usize, 10, 33] {
            let mut bytes = token.clone().into_bytes();
            bytes[position] = if bytes[position] == b'x' { b'y' } else { b'x' };
            let typo = String::from_utf8(bytes).expect("ascii");
            match check(&typo).as_slice() {
                [Finding::BadChecksum { likely_typo }] => {
                    assert_eq!(*likely_typo, Some(position + 1), "{typo}")
                }
                other => panic!("{typo}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_lost_character_is_a_length_problem() {
        let token = classic_for_tests("ghp_", RANDOM);
        let short = &token[..39];
        assert_eq!(
            check(short),
            vec![Finding::BadLength {
                expected: 40,
                found: 39
            }]
        );
    }

    #[test]
    fn padding_is_noticed_and_stripped() {
        let token = classic_for_tests("ghp_", RANDOM);
        for padded in [
            format!(" {token}\n"),
            format!("\"{token}\""),
            format!("'{token}' "),
        ] {
            assert!(looks_like_token(&padded));
            assert_eq!(check(&padded), vec![Finding::Padded]);
            assert_eq!(strip_padding(&padded), token);
        }
    }

    #[test]
    fn nested_padding_is_stripped_to_the_token() {
        // Found by the fuzz target `token` (fuzz/corpus/token): one pass
        // of trimming left the inner backticks, so `set` stored them.
        let token = classic_for_tests("ghs_", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
        let padded = format!(" ' `{token}` ' ");
        assert_eq!(check(&padded), vec![Finding::Padded]);
        assert_eq!(strip_padding(&padded), token);
        assert_eq!(check(strip_padding(&padded)), vec![]);
        assert_eq!(strip_padding(" \" ' \n"), "");
    }

    #[test]
    fn fine_grained_tokens_are_recognised_without_a_checksum() {
        let token = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz";
        assert!(looks_like_token(token));
        assert_eq!(check(token), vec![]);
        assert!(!looks_like_token("not a token"));
        assert!(!looks_like_token("ghx_abc"));
    }
}
