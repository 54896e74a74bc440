//! The key that decrypts a file-backend store: an age identity file, created
//! by `init` or named with `init --identity`, and the recipients (public
//! keys) a store is encrypted to.
//!
//! An identity is native X25519 keys (`AGE-SECRET-KEY-1…`, what
//! `age-keygen` writes), the same text encrypted with a passphrase (what
//! `age -p` writes; `unlock.rs` opens it), or an SSH private key.

use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use jiff::Timestamp;
use zeroize::Zeroizing;

use crate::access::Access;
use crate::age_x25519::Key;
use crate::error::{Error, Result};
use crate::keychain::SERVICE;
use crate::private_fs;
use crate::ssh_key;
use crate::unlock::{self, Unlocker};

/// Where a profile's identity lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// A plain age identity file (0600).
    File(PathBuf),
    /// An item in the OS keychain (`init --identity-in-keychain`), by account.
    Keychain(String),
}

impl IdentitySource {
    /// How messages name it.
    pub fn describe(&self) -> String {
        match self {
            IdentitySource::File(path) => path.display().to_string(),
            IdentitySource::Keychain(account) => {
                format!("keychain item {SERVICE}/{account}")
            }
        }
    }
}

/// An unlocked identity: the secret keys of one identity.
pub struct Identity {
    source: IdentitySource,
    /// Native age keys, read as `age_x25519` reads them.
    native: Vec<Key>,
    /// An SSH key, as the age library reads it.
    ssh: Option<Box<dyn age::Identity>>,
    /// Where the public keys matching `keys` come from.
    public: PublicKeys,
    /// Whether the file is passphrase-protected.
    protected: bool,
}

/// The public halves of an identity's keys, as recipients are written.
enum PublicKeys {
    /// Computed from the X25519 keys when asked: a scalar multiplication
    /// per key that decrypting (the `exec` path) never needs.
    X25519(Vec<x25519::Identity>),
    /// Read with the key (an SSH key's `.pub`).
    Known(Vec<String>),
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("source", &self.source)
            .field(
                "keys",
                &(self.native.len() + usize::from(self.ssh.is_some())),
            )
            .field("public", &self.recipients())
            .field("protected", &self.protected)
            .finish()
    }
}

impl Identity {
    /// Creates a new identity and stores it at `source`: a file (0600, never
    /// overwriting; encrypted when a `passphrase` is given) or a keychain
    /// item (never replacing one).
    pub fn generate(
        source: &IdentitySource,
        now: Timestamp,
        passphrase: Option<&SecretString>,
        access: &Access,
    ) -> Result<Identity> {
        let key = x25519::Identity::generate();
        // The same text as an identity file, so `bscred` and `age -i` read
        // either the same way.
        let text = Zeroizing::new(format!(
            "# created: {}\n# public key: {}\n{}\n",
            now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            key.to_public(),
            key.to_string().expose_secret()
        ));
        match source {
            IdentitySource::File(path) => match passphrase {
                Some(passphrase) => {
                    let sealed = unlock::encrypt(text.as_bytes(), passphrase)?;
                    private_fs::write_new(path, &sealed)?;
                    // Just typed: the commands that follow `init` (the
                    // wizard's first `set`) need not ask again.
                    access.unlocker.remember(&sealed, text.as_bytes())?;
                }
                None => private_fs::write_new(path, text.as_bytes())?,
            },
            IdentitySource::Keychain(_) if passphrase.is_some() => {
                return Err(Error::usage(
                    "an identity in the keychain takes no passphrase",
                    "the keychain protects it; drop --passphrase",
                ));
            }
            IdentitySource::Keychain(account) => {
                let keychain = access.keychain()?;
                if keychain.get(account)?.is_some() {
                    return Err(Error::KeyExists {
                        what: source.describe(),
                    });
                }
                let label = format!("bscred: age identity ({account})");
                keychain.set(account, &label, text.as_bytes())?;
            }
        }
        let public = key.to_public().to_string();
        let native = Key::parse(key.to_string().expose_secret(), Some(&public))
            .expect("a key the age library generated");
        Ok(Identity {
            source: source.clone(),
            public: PublicKeys::X25519(vec![key]),
            native: vec![native],
            ssh: None,
            protected: passphrase.is_some(),
        })
    }

    /// Reads an identity file, refusing one that other users can read.
    pub fn load(path: &Path, access: &Access) -> Result<Identity> {
        Identity::load_from(&IdentitySource::File(path.to_path_buf()), access)
    }

    /// Reads an identity from where it lives.
    pub fn load_from(source: &IdentitySource, access: &Access) -> Result<Identity> {
        let bytes = read_raw(source, access)?;
        Identity::parse(source, &bytes, &access.unlocker)
    }

    /// Whether this is an SSH key (whose backup is the key file itself).
    pub fn is_ssh(&self) -> bool {
        matches!(self.public, PublicKeys::Known(_))
    }

    /// Whether the identity file is encrypted with a passphrase.
    pub fn is_protected(&self) -> bool {
        self.protected
    }

    /// An identity from the text of an identity file (age secret keys or an
    /// SSH private key); `source` is where it lives or will live.
    pub fn parse(source: &IdentitySource, bytes: &[u8], unlocker: &Unlocker) -> Result<Identity> {
        let bad = |reason: String| Error::Identity {
            origin: source.describe(),
            reason,
        };
        // An identity file encrypted with `age -p` starts with an age header
        // (binary or armored); inside is an ordinary identity file.
        if unlock::is_encrypted(bytes) {
            let plain = unlocker.open(&source.describe(), bytes, unlock::Kind::Age)?;
            if unlock::is_encrypted(&plain) || is_ssh_key(&plain) {
                return Err(bad(
                    "it decrypts to something other than age secret keys".into()
                ));
            }
            let mut identity = Identity::parse(source, &plain, unlocker)?;
            identity.protected = true;
            return Ok(identity);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| bad("it is not a text file of age secret keys".into()))?;
        if is_ssh_key(bytes) {
            return Identity::parse_ssh(source, bytes, unlocker);
        }
        let mut keys: Vec<Key> = Vec::new();
        // The `# public key: age1…` comment age-keygen and bscred write
        // above a key: decrypting need not compute it (see age_x25519.rs).
        let mut public: Option<&str> = None;
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(comment) = line.strip_prefix('#') {
                public = comment.trim().strip_prefix("public key:").map(str::trim);
                continue;
            }
            if line.is_empty() {
                continue;
            }
            if !line.starts_with("AGE-SECRET-KEY-1") {
                // Say what the line is without echoing it: it may be a key.
                return Err(bad(format!(
                    "line {} is not a native age identity (only AGE-SECRET-KEY-1… lines are supported so far)",
                    index + 1
                )));
            }
            let key = Key::parse(line, public.take())
                .ok_or_else(|| bad(format!("line {} is not a valid age secret key", index + 1)))?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(bad("it holds no age secret key".into()));
        }
        Ok(Identity {
            source: source.clone(),
            public: PublicKeys::X25519(keys.iter().map(|k| k.library().clone()).collect()),
            native: keys,
            ssh: None,
            protected: false,
        })
    }

    /// An SSH private key (`~/.ssh/id_ed25519`, `id_rsa`), as age uses
    /// them: the data is encrypted to the matching `ssh-…` public key, read
    /// from the `.pub` file beside it; a key with a passphrase asks for it
    /// on the terminal when it is needed.
    fn parse_ssh(source: &IdentitySource, bytes: &[u8], unlocker: &Unlocker) -> Result<Identity> {
        let bad = |reason: String| Error::Identity {
            origin: source.describe(),
            reason,
        };
        let IdentitySource::File(path) = source else {
            return Err(bad("SSH keys are read from files only".into()));
        };
        // A passphrase-protected OpenSSH key is unlocked here (from the
        // session cache, a passphrase file or the terminal); age's own
        // prompt remains for the legacy PEM form.
        let unlocked = if ssh_key::is_encrypted(bytes) {
            Some(unlocker.open(&source.describe(), bytes, unlock::Kind::Ssh)?)
        } else {
            None
        };
        let key = age::ssh::Identity::from_buffer(
            unlocked.as_deref().map_or(bytes, Vec::as_slice),
            Some(path.display().to_string()),
        )
        .map_err(|_| bad("it is not an SSH private key age can use".into()))?;
        if let age::ssh::Identity::Unsupported(_) = key {
            return Err(bad(
                "this kind of SSH key is not supported: use an ed25519 or RSA key".into(),
            ));
        }
        let public_path = PathBuf::from(format!("{}.pub", path.display()));
        let public = fs::read_to_string(&public_path).map_err(|_| {
            bad(format!(
                "its public key {} is missing (`ssh-keygen -y -f KEY > KEY.pub` recreates it)",
                public_path.display()
            ))
        })?;
        parse_recipient(&public).map_err(bad)?;
        Ok(Identity {
            source: source.clone(),
            public: PublicKeys::Known(vec![normalise_recipient(&public)]),
            native: Vec::new(),
            ssh: Some(Box::new(key.with_callbacks(TerminalPassphrase))),
            protected: unlocked.is_some(),
        })
    }

    /// Where the identity came from.
    pub fn source(&self) -> &IdentitySource {
        &self.source
    }

    /// The public keys matching this identity, as `age1…` strings.
    pub fn recipients(&self) -> Vec<String> {
        match &self.public {
            PublicKeys::X25519(keys) => keys.iter().map(|k| k.to_public().to_string()).collect(),
            PublicKeys::Known(keys) => keys.clone(),
        }
    }

    /// The keys in the form the age library decrypts with.
    pub fn age_identities(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.native
            .iter()
            .map(|k| k as &dyn age::Identity)
            .chain(self.ssh.as_deref())
    }

    /// The `bscred-self` recipients for the keys of this identity that are
    /// among `recipients` (see age_x25519.rs): a store its user wrote opens
    /// without a Diffie-Hellman. A key that is not a recipient gets none,
    /// so removing yourself from a store's recipients locks you out of the
    /// next version as it should.
    pub fn own_recipients(&self, recipients: &[String]) -> Vec<crate::age_x25519::Own<'_>> {
        if self.native.is_empty() {
            return Vec::new();
        }
        let listed: Vec<String> = recipients
            .iter()
            .map(|r| normalise_recipient(r).to_ascii_lowercase())
            .collect();
        self.native
            .iter()
            .filter(|key| listed.contains(&key.public().to_string()))
            .map(Key::own_recipient)
            .collect()
    }
}

/// Whether `bytes` is the text of an SSH private key file.
pub fn is_ssh_key(bytes: &[u8]) -> bool {
    let has = |marker: &[u8]| bytes.windows(marker.len()).any(|w| w == marker);
    has(b"-----BEGIN OPENSSH PRIVATE KEY-----") || has(b"-----BEGIN RSA PRIVATE KEY-----")
}

/// A replacement for the identity whose file text is `old`: the new key's
/// public half, the text to hold while stores are re-encrypted (the new key
/// and the old ones, so every store opens throughout), and the final text.
pub fn rotation(old: &[u8], now: Timestamp) -> (String, Zeroizing<Vec<u8>>, Zeroizing<Vec<u8>>) {
    let key = x25519::Identity::generate();
    let public = key.to_public().to_string();
    let fresh = Zeroizing::new(format!(
        "# created: {}\n# public key: {public}\n{}\n",
        now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        key.to_string().expose_secret()
    ));
    let mut both = Zeroizing::new(fresh.as_bytes().to_vec());
    both.extend_from_slice(b"# the previous identity, until every store is re-encrypted:\n");
    both.extend_from_slice(old);
    if !old.ends_with(b"\n") {
        both.push(b'\n');
    }
    (public, both, Zeroizing::new(fresh.as_bytes().to_vec()))
}

/// The bytes of an identity where it lives, unparsed; a file must be
/// private to its owner.
pub fn read_raw(source: &IdentitySource, access: &Access) -> Result<Zeroizing<Vec<u8>>> {
    let missing = || Error::IdentityMissing {
        origin: source.describe(),
    };
    let bytes = match source {
        IdentitySource::File(path) => {
            let bytes = Zeroizing::new(fs::read(path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    missing()
                } else {
                    Error::io(format!("cannot read identity file {}", path.display()))(e)
                }
            })?);
            private_fs::check_private(path)?;
            bytes
        }
        IdentitySource::Keychain(account) => {
            access.keychain()?.get(account)?.ok_or_else(missing)?
        }
    };
    Ok(bytes)
}

/// Asks for an SSH key's passphrase on the terminal (`/dev/tty`), so it
/// works under `eval $(bscred env)`.
#[derive(Debug, Clone, Copy)]
struct TerminalPassphrase;

impl age::Callbacks for TerminalPassphrase {
    fn display_message(&self, message: &str) {
        crate::terminal::say(message);
    }

    fn confirm(&self, _message: &str, _yes: &str, _no: Option<&str>) -> Option<bool> {
        None
    }

    fn request_public_string(&self, _description: &str) -> Option<String> {
        None
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        // age takes no error here: Ctrl-C is an unanswered prompt, and age
        // reports the key as unusable.
        crate::prompt::hidden(&format!("{description}: "))
            .ok()
            .map(|typed| SecretString::from(typed.to_string()))
    }
}

/// Parses one recipient: an age X25519 key (`age1…`) or an SSH public key
/// (`ssh-ed25519 …`, `ssh-rsa …`, as `~/.ssh/id_*.pub` and
/// `https://github.com/USER.keys` give them; a trailing comment is fine).
pub fn parse_recipient(text: &str) -> Result<Box<dyn age::Recipient + Send>, String> {
    let text = text.trim();
    // Not quoted back: a secret key pasted where a public key belongs would
    // otherwise end up on screen.
    if text.starts_with("ssh-") {
        return age::ssh::Recipient::from_str(text)
            .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
            .map_err(|_| {
                "a recipient is not a usable SSH public key (ssh-ed25519 or ssh-rsa)".to_string()
            });
    }
    x25519::Recipient::from_str(text)
        .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
        .map_err(|_| {
            "a recipient is neither an age public key (age1…) nor an SSH public key".to_string()
        })
}

/// A recipient as it is recorded: the key itself, without an SSH key's
/// trailing comment (which may name a person, but does not encrypt).
pub fn normalise_recipient(text: &str) -> String {
    let text = text.trim();
    if text.starts_with("ssh-") {
        text.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Dirs;

    fn access(dir: &tempfile::TempDir) -> Access {
        Access::with_defaults(&Dirs::under(dir.path()))
    }

    #[test]
    fn generated_identity_loads_back_with_the_same_recipient() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id.txt");
        let made = Identity::generate(
            &IdentitySource::File(path.clone()),
            Timestamp::UNIX_EPOCH,
            None,
            &access(&dir),
        )
        .expect("generate");
        let loaded = Identity::load(&path, &access(&dir)).expect("load");
        assert_eq!(made.recipients(), loaded.recipients());
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.contains(&format!("# public key: {}", made.recipients()[0])));
    }

    #[test]
    fn generate_never_overwrites() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id.txt");
        Identity::generate(
            &IdentitySource::File(path.clone()),
            Timestamp::UNIX_EPOCH,
            None,
            &access(&dir),
        )
        .expect("generate");
        let before = fs::read(&path).expect("read");
        assert!(
            Identity::generate(
                &IdentitySource::File(path.clone()),
                Timestamp::UNIX_EPOCH,
                None,
                &access(&dir),
            )
            .is_err()
        );
        assert_eq!(fs::read(&path).expect("read"), before);
    }

    #[test]
    fn garbage_identity_is_refused_without_echoing_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id.txt");
        private_fs::write_atomic(&path, b"hunter2-not-a-key\n").expect("write");
        let error = Identity::load(&path, &access(&dir)).expect_err("refused");
        assert_eq!(error.exit().code(), 4);
        assert!(!error.render().contains("hunter2"));
    }

    #[test]
    fn damaged_passphrase_identity_is_refused_without_asking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id.age");
        private_fs::write_atomic(&path, b"age-encryption.org/v1\n-> scrypt x 18\n\xff\x00")
            .expect("write");
        let error = Identity::load(&path, &access(&dir)).expect_err("refused");
        assert_eq!(error.exit().code(), 4);
        assert!(
            error.to_string().contains("not a valid age file"),
            "{error}"
        );
    }

    #[test]
    fn only_keys_that_are_recipients_get_an_own_stanza() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id.txt");
        let identity = Identity::generate(
            &IdentitySource::File(path),
            Timestamp::UNIX_EPOCH,
            None,
            &access(&dir),
        )
        .expect("generate");
        let mine = identity.recipients()[0].clone();
        let theirs = x25519::Identity::generate().to_public().to_string();
        let count = |recipients: &[String]| identity.own_recipients(recipients).len();
        assert_eq!(count(&[theirs.clone(), mine.clone()]), 1);
        assert_eq!(count(&[mine.to_uppercase()]), 1, "bech32 in capitals");
        // Removed from the recipients: the next version is not for this key.
        assert_eq!(count(std::slice::from_ref(&theirs)), 0);
        assert_eq!(count(&[]), 0);
    }

    #[test]
    fn recipients_parse_and_reject() {
        let key = x25519::Identity::generate().to_public().to_string();
        assert!(parse_recipient(&key).is_ok());
        assert!(parse_recipient("age1nope").is_err());
    }
}
