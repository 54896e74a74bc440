//! The key that decrypts a file-backend store: an age identity file, created
//! by `init` or named with `init --identity`, and the recipients (public
//! keys) a store is encrypted to.
//!
//! This version reads native X25519 identities (`AGE-SECRET-KEY-1…`, what
//! `age-keygen` writes). Passphrase-protected and SSH identities are planned;
//! the recipient list is already a list so teammates' keys can join it.

use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use age::x25519;
use jiff::Timestamp;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::private_fs;

/// An unlocked identity: the secret keys of one identity file.
pub struct Identity {
    path: PathBuf,
    keys: Vec<x25519::Identity>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("path", &self.path)
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl Identity {
    /// Creates a new identity file at `path` (0600, never overwriting).
    pub fn generate(path: &Path, now: Timestamp) -> Result<Identity> {
        let key = x25519::Identity::generate();
        let text = Zeroizing::new(format!(
            "# created: {}\n# public key: {}\n{}\n",
            now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            key.to_public(),
            key.to_string().expose_secret()
        ));
        private_fs::write_new(path, text.as_bytes())?;
        Ok(Identity {
            path: path.to_path_buf(),
            keys: vec![key],
        })
    }

    /// Reads an identity file, refusing one that other users can read.
    pub fn load(path: &Path) -> Result<Identity> {
        let bytes = Zeroizing::new(fs::read(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::IdentityMissing {
                    path: path.to_path_buf(),
                }
            } else {
                Error::io(format!("cannot read identity file {}", path.display()))(e)
            }
        })?);
        private_fs::check_private(path)?;
        let bad = |reason: String| Error::Identity {
            path: path.to_path_buf(),
            reason,
        };
        // An identity file encrypted with `age -p` starts with an age header
        // (binary or armored); say so rather than "not UTF-8".
        if bytes.starts_with(b"age-encryption.org/")
            || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
        {
            return Err(bad(
                "it is encrypted (age -p); passphrase-protected identities are not supported yet"
                    .into(),
            ));
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| bad("it is not a text file of age secret keys".into()))?;
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if !line.starts_with("AGE-SECRET-KEY-1") {
                // Say what the line is without echoing it: it may be a key.
                return Err(bad(format!(
                    "line {} is not a native age identity (only AGE-SECRET-KEY-1… lines are supported so far)",
                    index + 1
                )));
            }
            let key = x25519::Identity::from_str(line)
                .map_err(|_| bad(format!("line {} is not a valid age secret key", index + 1)))?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(bad("the file holds no age secret key".into()));
        }
        Ok(Identity {
            path: path.to_path_buf(),
            keys,
        })
    }

    /// Where the identity came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The public keys matching this identity, as `age1…` strings.
    pub fn recipients(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| k.to_public().to_string())
            .collect()
    }

    /// The keys in the form the age library decrypts with.
    pub fn age_identities(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.keys.iter().map(|k| k as &dyn age::Identity)
    }
}

/// Parses one recipient string (`age1…`).
pub fn parse_recipient(text: &str) -> Result<x25519::Recipient, String> {
    // Not quoted back: a secret key pasted where a public key belongs would
    // otherwise end up on screen.
    x25519::Recipient::from_str(text.trim())
        .map_err(|_| "a recipient is not an age X25519 public key (age1…)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identity_loads_back_with_the_same_recipient() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id.txt");
        let made = Identity::generate(&path, Timestamp::UNIX_EPOCH).expect("generate");
        let loaded = Identity::load(&path).expect("load");
        assert_eq!(made.recipients(), loaded.recipients());
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.contains(&format!("# public key: {}", made.recipients()[0])));
    }

    #[test]
    fn generate_never_overwrites() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id.txt");
        Identity::generate(&path, Timestamp::UNIX_EPOCH).expect("generate");
        let before = fs::read(&path).expect("read");
        assert!(Identity::generate(&path, Timestamp::UNIX_EPOCH).is_err());
        assert_eq!(fs::read(&path).expect("read"), before);
    }

    #[test]
    fn garbage_identity_is_refused_without_echoing_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id.txt");
        private_fs::write_atomic(&path, b"hunter2-not-a-key\n").expect("write");
        let error = Identity::load(&path).expect_err("refused");
        assert_eq!(error.exit().code(), 4);
        assert!(!error.render().contains("hunter2"));
    }

    #[test]
    fn passphrase_encrypted_identity_is_named_as_such() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id.age");
        private_fs::write_atomic(&path, b"age-encryption.org/v1\n-> scrypt x 18\n\xff\x00")
            .expect("write");
        let error = Identity::load(&path).expect_err("refused");
        assert_eq!(error.exit().code(), 4);
        assert!(error.to_string().contains("passphrase"), "{error}");
    }

    #[test]
    fn recipients_parse_and_reject() {
        let key = x25519::Identity::generate().to_public().to_string();
        assert!(parse_recipient(&key).is_ok());
        assert!(parse_recipient("age1nope").is_err());
    }
}
