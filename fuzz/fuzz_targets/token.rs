//! The offline token checks `bscred set` runs on anything token-shaped:
//! `bscred::token::check`, `kind`, `looks_like_token`, `strip_padding`.
//!
//! Checks: no panic; a finding never quotes the value (its `Debug` holds
//! its own names and numbers only); `Padded` exactly when stripping changes the text, and a
//! stripped value is never reported as padded again (`set` stores what
//! `strip_padding` returns); a wrong length reports the length found; a
//! likely typo names a position inside the token where one different
//! character does make the checksum match; `kind` and `looks_like_token`
//! agree.
#![no_main]

use bscred::token::{self, Finding};
use libfuzzer_sys::fuzz_target;

/// Every word the `Debug` of a finding may hold.
const WORDS: [&str; 8] = [
    "Padded",
    "BadChecksum",
    "likely_typo",
    "Some",
    "None",
    "BadLength",
    "expected",
    "found",
];

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn checksum_fails(text: &str) -> bool {
    token::check(text)
        .iter()
        .any(|f| matches!(f, Finding::BadChecksum { .. }))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let findings = token::check(text);
    let core = token::strip_padding(text);

    // The findings' `Debug` is made of their own names and numbers only.
    let shown = format!("{findings:?}");
    for word in shown.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        assert!(
            word.is_empty() || word.bytes().all(|b| b.is_ascii_digit()) || WORDS.contains(&word),
            "a finding shows more than its names and numbers: {shown}"
        );
    }
    assert!(
        shown
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _{}[](),:".contains(c)),
        "a finding shows more than its names and numbers: {shown}"
    );

    assert_eq!(
        findings.contains(&Finding::Padded),
        core != text,
        "Padded and strip_padding disagree"
    );
    assert!(
        !token::check(core).contains(&Finding::Padded),
        "a stripped value is still padded"
    );
    assert_eq!(
        token::looks_like_token(text),
        token::kind(text) != "unknown",
        "kind and looks_like_token disagree"
    );

    for finding in &findings {
        match *finding {
            Finding::Padded => {}
            Finding::BadLength { expected, found } => {
                assert_eq!((expected, found), (40, core.len()));
            }
            Finding::BadChecksum { likely_typo } => {
                assert_eq!(core.len(), 40, "a checksum checked on a wrong length");
                if let Some(at) = likely_typo {
                    // 1-based, after the 4-character prefix.
                    assert!((5..=40).contains(&at), "typo at {at}");
                    let fixed = BASE62.iter().any(|&c| {
                        let mut candidate = core.as_bytes().to_vec();
                        candidate[at - 1] = c;
                        std::str::from_utf8(&candidate).is_ok_and(|t| !checksum_fails(t))
                    });
                    assert!(fixed, "no character at {at} fixes the checksum");
                }
            }
        }
    }
});
