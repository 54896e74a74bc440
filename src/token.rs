//! Offline checks for values that look like GitHub tokens: the known
//! prefixes, whitespace or quotes picked up when pasting, and the checksum
//! classic tokens carry (DESIGN "Token lifecycle").

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
