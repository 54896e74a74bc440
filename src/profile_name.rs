//! The name of a profile, validated once where it enters (argv, the
//! environment, a project file): it becomes part of file names and keychain
//! accounts. It lives at the bottom with the other name types, so the
//! modules that build paths from it need nothing above them.

use std::fmt;
use std::str::FromStr;

/// A profile name: it becomes part of file names, so it is kept to
/// `[A-Za-z0-9][A-Za-z0-9._-]*`, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileName(String);

impl ProfileName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ProfileName {
    fn default() -> Self {
        ProfileName("default".to_string())
    }
}

impl FromStr for ProfileName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut chars = s.chars();
        let ok = s.len() <= 64
            && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(ProfileName(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is not a valid profile name: use up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            ))
        }
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_are_safe_file_names() {
        for good in ["default", "work", "team.backstage", "a-b_c", "9"] {
            assert!(good.parse::<ProfileName>().is_ok(), "{good}");
        }
        for bad in ["", "../x", "a/b", ".hidden", "-x", "a b", &"x".repeat(65)] {
            assert!(bad.parse::<ProfileName>().is_err(), "{bad:?}");
        }
    }
}
