//! The two types every value passes through: `VarName`, a variable name that
//! is valid by construction, and `Secret`, a value that never shows itself in
//! `Debug`, is zeroized on drop, and is checked once at the boundary.

use std::fmt;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest value bscred stores. Linux refuses a single environment string
/// over 128 KiB (`MAX_ARG_STRLEN`), so anything near that could never reach a
/// command; 64 KiB leaves room and still fits certificates and JSON keys.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// A variable name matching `[A-Za-z_][A-Za-z0-9_]*`, the names every shell
/// can export.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VarName(String);

impl VarName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name says its value is secret: one of its `_`-separated
    /// words is TOKEN, SECRET, PASSWORD, … (README, "Quick start"). Whole words only,
    /// so `API_KEY` is secret while `MONKEY` and `PATH` are not.
    ///
    /// ```
    /// use bscred::secret::VarName;
    /// let name = |s: &str| s.parse::<VarName>().unwrap();
    /// assert!(name("API_KEY").looks_secret());
    /// assert!(!name("MONKEY").looks_secret());
    /// ```
    pub fn looks_secret(&self) -> bool {
        const WORDS: [&str; 10] = [
            "TOKEN",
            "SECRET",
            "PASSWORD",
            "PASSWD",
            "PASS",
            "KEY",
            "PAT",
            "CREDENTIAL",
            "CREDENTIALS",
            "AUTH",
        ];
        self.0
            .split('_')
            .any(|word| WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)))
    }
}

/// Why a string is not a variable name. Quotes the string only when it
/// cannot be a pasted value: `set GITHUB_TOKEN=ghp_…` must not put the token
/// on screen.
#[derive(Clone, PartialEq, Eq)]
pub struct BadName(String);

impl fmt::Display for BadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = &self.0;
        if text.contains('=') {
            f.write_str(
                "NAME=VALUE is not a variable name: give the name alone, and the value at the prompt, with --stdin, or (plain values only) as the next argument",
            )
        } else if crate::token::contains_token(text) {
            f.write_str(
                "that holds a GitHub token, not just a variable name: give the name alone (such as GITHUB_TOKEN), and the token at the prompt or with --stdin",
            )
        } else if text.chars().count() <= 64 && text.chars().all(|c| c.is_ascii_graphic()) {
            write!(
                f,
                "{text:?} is not a valid variable name: use letters, digits and _, not starting with a digit"
            )
        } else {
            f.write_str(
                "that is not a valid variable name: use letters, digits and _, not starting with a digit",
            )
        }
    }
}

impl fmt::Debug for BadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BadName({self})")
    }
}

impl std::error::Error for BadName {}

impl FromStr for VarName {
    type Err = BadName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut chars = s.chars();
        let valid_start = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        // A token is a valid name by its characters (`ghp_…`), but storing
        // a variable named after it would put the token in every listing.
        if valid_start
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !crate::token::contains_token(s)
        {
            Ok(VarName(s.to_string()))
        } else {
            Err(BadName(s.to_string()))
        }
    }
}

impl fmt::Display for VarName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VarName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VarName({})", self.0)
    }
}

impl Serialize for VarName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for VarName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What is wrong with a candidate value. Never carries the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadValue {
    #[error("contains a NUL byte, which no environment variable can hold")]
    Nul,
    #[error("is too large: the limit is {MAX_VALUE_BYTES} bytes")]
    TooLarge,
    #[error("is not valid UTF-8")]
    NotUtf8,
}

/// A stored value. `Debug` prints `[REDACTED]`; the memory is zeroized when
/// dropped. Plain (non-secret) values use the same type so that a value
/// marked plain by mistake is still handled carefully.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Checks a value at the boundary: no NUL, at most `MAX_VALUE_BYTES`.
    pub fn new(value: String) -> Result<Self, BadValue> {
        let secret = Secret(SecretString::from(value));
        let text = secret.expose();
        if text.len() > MAX_VALUE_BYTES {
            return Err(BadValue::TooLarge);
        }
        if text.contains('\0') {
            return Err(BadValue::Nul);
        }
        Ok(secret)
    }

    /// Checks raw bytes (stdin, files): UTF-8 first, then as `new`.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, BadValue> {
        if bytes.len() > MAX_VALUE_BYTES {
            zeroize::Zeroize::zeroize(&mut { bytes });
            return Err(BadValue::TooLarge);
        }
        match String::from_utf8(bytes) {
            Ok(text) => Secret::new(text),
            Err(error) => {
                zeroize::Zeroize::zeroize(&mut error.into_bytes());
                Err(BadValue::NotUtf8)
            }
        }
    }

    /// The value itself. Every call site is a place where a secret leaves
    /// bscred's care; keep them few.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether two values are equal (used to verify a copy before deleting
    /// the original).
    pub fn same_as(&self, other: &Secret) -> bool {
        self.expose() == other.expose()
    }

    /// A preview safe to show on screen: for values long enough that four
    /// characters reveal little, a known token prefix and the last four
    /// characters (`ghp_…3f9a`); otherwise nothing of the value.
    ///
    /// ```
    /// use bscred::secret::Secret;
    /// let token = Secret::new("ghp_0123456789abcdefghij3f9a".to_string()).unwrap();
    /// assert_eq!(token.masked(), "ghp_…3f9a");
    /// assert_eq!(format!("{token:?}"), "[REDACTED]");
    /// ```
    pub fn masked(&self) -> String {
        const PREFIXES: [&str; 6] = ["github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"];
        let text = self.expose();
        let chars = text.chars().count();
        if chars == 0 {
            return "(empty)".to_string();
        }
        if chars < 16 {
            return "••••••••".to_string();
        }
        let prefix = PREFIXES
            .iter()
            .find(|p| text.starts_with(*p))
            .copied()
            .unwrap_or("");
        let tail: String = text.chars().skip(chars - 4).collect();
        format!("{prefix}…{tail}")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.same_as(other)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        // The message names the problem, never the value.
        Secret::new(text).map_err(|e| serde::de::Error::custom(format!("a value {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> VarName {
        s.parse().expect("valid name")
    }

    #[test]
    fn names_follow_the_shell_rule() {
        for good in ["A", "_", "_A1", "GITHUB_TOKEN", "a_b_9"] {
            assert!(good.parse::<VarName>().is_ok(), "{good}");
        }
        for bad in ["", "1A", "A-B", "A.B", "A B", "Ä", "A=", "$A"] {
            assert!(bad.parse::<VarName>().is_err(), "{bad:?}");
        }
        let pasted = "GITHUB_TOKEN=ghp_pasted"
            .parse::<VarName>()
            .expect_err("bad");
        assert!(!pasted.to_string().contains("ghp_pasted"), "{pasted}");
        assert!(!format!("{pasted:?}").contains("ghp_pasted"));
        let long = "x y".repeat(30).parse::<VarName>().expect_err("bad");
        assert!(!long.to_string().contains("x y"), "{long}");
        let typo = "GITHUB-TOKEN".parse::<VarName>().expect_err("bad");
        assert!(typo.to_string().contains("\"GITHUB-TOKEN\""), "{typo}");
    }

    #[test]
    fn secret_names_are_whole_words() {
        for secret in [
            "GITHUB_TOKEN",
            "API_KEY",
            "AUTH_GITHUB_CLIENT_SECRET",
            "DB_PASSWORD",
            "MY_PAT",
            "AWS_CREDENTIALS",
            "token",
        ] {
            assert!(name(secret).looks_secret(), "{secret}");
        }
        for plain in [
            "MONKEY",
            "PATH",
            "GITHUB_USERNAME",
            "USER_EMAIL",
            "PATTERN",
            "TOKENS_USED",
        ] {
            assert!(!name(plain).looks_secret(), "{plain}");
        }
    }

    #[test]
    fn values_are_checked_at_the_boundary() {
        assert!(Secret::new(String::new()).is_ok());
        assert!(Secret::new("a\nb\n".into()).is_ok());
        assert_eq!(Secret::new("a\0b".into()).err(), Some(BadValue::Nul));
        assert!(Secret::new("x".repeat(MAX_VALUE_BYTES)).is_ok());
        assert_eq!(
            Secret::new("x".repeat(MAX_VALUE_BYTES + 1)).err(),
            Some(BadValue::TooLarge)
        );
        assert_eq!(
            Secret::from_bytes(vec![0xff, 0xfe]).err(),
            Some(BadValue::NotUtf8)
        );
    }

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("ghp_supersecretvalue".into()).expect("valid");
        assert_eq!(format!("{secret:?}"), "[REDACTED]");
        assert!(!format!("{:?}", Some(&secret)).contains("supersecret"));
    }

    #[test]
    fn masked_previews_reveal_little() {
        let mask = |s: &str| Secret::new(s.into()).expect("valid").masked();
        assert_eq!(mask("ghp_abcdefghijklmnopqrstuvwxyz3f9a"), "ghp_…3f9a");
        assert_eq!(
            mask("github_pat_11AAAAAAAA_bbbbbbbbbbbbwxyz"),
            "github_pat_…wxyz"
        );
        assert_eq!(mask("some-long-api-key-value-1234"), "…1234");
        assert_eq!(mask("short"), "••••••••");
        assert_eq!(mask(""), "(empty)");
    }
}
