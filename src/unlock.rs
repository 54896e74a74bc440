//! Unlocking a passphrase-protected identity file: an age file encrypted
//! with a passphrase (age's scrypt recipient, what `age -p` writes) whose
//! content is an ordinary identity file.
//!
//! The passphrase comes from the file named by `--passphrase-file` (0600,
//! for scripts) or is asked on the terminal (`/dev/tty`, so it works under
//! `eval $(bscred env)`); never from argv or the environment, which other
//! processes can read. The unlocked identity is kept in the session cache
//! (`session_cache.rs`) so the next `exec` skips scrypt.
//!
//! How to unlock is a property of the run (its options, its terminal, the
//! user's config), not of a profile: the context builds one [`Unlocker`]
//! and hands it, inside `access::Access`, to whatever decrypts.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::config::ConfigError;
use crate::error::{Error, Result};
use crate::paths::Dirs;
use crate::session_cache::{self, SessionCache};

/// A passphrase file holds one line; anything longer is not one.
const MAX_PASSPHRASE_FILE: u64 = 4096;

/// The scrypt work factor (log2 N) of files bscred encrypts.
const WORK_FACTOR: u8 = 18;

/// The highest scrypt work factor (log2 N) accepted, as in the Go age CLI.
const MAX_WORK_FACTOR: u8 = 22;

/// Tries at a terminal prompt before giving up, as sudo and ssh do.
const TERMINAL_TRIES: usize = 3;

/// How this run unlocks passphrase-protected identities: where the
/// passphrase comes from, whether and how long the session cache keeps an
/// unlock, and what this run has unlocked already. Clones share the last.
#[derive(Debug, Clone)]
pub struct Unlocker {
    /// The user's directories, for the session cache; `None` keeps nothing
    /// (library use and unit tests).
    dirs: Option<Dirs>,
    /// `--passphrase-file`; without it the passphrase is asked on the
    /// terminal.
    passphrase_file: Option<PathBuf>,
    /// The user's `unlock_minutes` (0: no session cache), or why their
    /// config could not be read (said when the cache is needed).
    minutes: std::result::Result<u32, ConfigError>,
    quiet: bool,
    /// Identities this run has unlocked, by a hash of their encrypted
    /// file, for the rest of the command (a few hundred bytes each; wiped
    /// when dropped, and the process is short-lived).
    unlocked: Arc<Mutex<Vec<Unlocked>>>,
}

/// A hash of an encrypted identity file, and its text.
type Unlocked = ([u8; 32], Zeroizing<Vec<u8>>);

impl Default for Unlocker {
    /// Asks on the terminal and caches nothing beyond the run.
    fn default() -> Unlocker {
        Unlocker {
            dirs: None,
            passphrase_file: None,
            minutes: Ok(0),
            quiet: false,
            unlocked: Arc::default(),
        }
    }
}

impl Unlocker {
    /// The unlocker of a run for `dirs`: the passphrase from
    /// `passphrase_file` or the terminal, the session cache kept for
    /// `minutes` (the user's `unlock_minutes`, or why it is unknown).
    pub fn new(
        dirs: &Dirs,
        passphrase_file: Option<PathBuf>,
        minutes: std::result::Result<u32, ConfigError>,
        quiet: bool,
    ) -> Unlocker {
        Unlocker {
            dirs: Some(dirs.clone()),
            passphrase_file,
            minutes,
            quiet,
            unlocked: Arc::default(),
        }
    }

    /// `--passphrase-file`, for commands that take a new passphrase from it
    /// (`init --passphrase`, `identity backup`).
    pub fn passphrase_file(&self) -> Option<&Path> {
        self.passphrase_file.as_deref()
    }

    /// The text of the passphrase-protected identity `encrypted` (from
    /// `origin`): from the session cache, or decrypted with a passphrase and
    /// then cached.
    pub fn open(&self, origin: &str, encrypted: &[u8], kind: Kind) -> Result<Zeroizing<Vec<u8>>> {
        // One command may open the same identity more than once (a profile and
        // the team store, each profile `identity rotate` re-encrypts): ask once.
        if let Some(plain) = self.remembered(encrypted) {
            return Ok(plain);
        }
        let cache = self.cache()?;
        if let Some(cache) = &cache {
            match cache.get(encrypted) {
                Ok(Some(plain)) => {
                    self.remember_here(encrypted, &plain);
                    return Ok(plain);
                }
                Ok(None) => {}
                Err(refused) => self.say_refused_once(&refused),
            }
        }
        let plain = self.open_with_passphrase(origin, encrypted, kind)?.0;
        if let Some(cache) = &cache {
            self.keep(cache, encrypted, &plain);
        }
        self.remember_here(encrypted, &plain);
        Ok(plain)
    }

    fn remembered(&self, encrypted: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let key = digest(encrypted);
        let unlocked = self.unlocked.lock().ok()?;
        unlocked
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, plain)| plain.clone())
    }

    fn remember_here(&self, encrypted: &[u8], plain: &Zeroizing<Vec<u8>>) {
        if let Ok(mut unlocked) = self.unlocked.lock() {
            let key = digest(encrypted);
            unlocked.retain(|(k, _)| *k != key);
            unlocked.push((key, plain.clone()));
        }
    }

    /// Unlocks `encrypted` with a freshly given passphrase, bypassing the
    /// cache (for changing the passphrase: knowing it is the point). Returns
    /// the identity text and the passphrase.
    pub fn open_with_passphrase(
        &self,
        origin: &str,
        encrypted: &[u8],
        kind: Kind,
    ) -> Result<(Zeroizing<Vec<u8>>, SecretString)> {
        // A damaged file or one encrypted to keys is said before asking.
        if kind == Kind::Age
            && let Err(Wrong::Other(error)) = decryptor(origin, encrypted)
        {
            return Err(error);
        }
        let mut tries = 0;
        loop {
            tries += 1;
            let (passphrase, from_terminal) = self.passphrase(origin, kind)?;
            let opened = match kind {
                Kind::Age => decrypt(origin, encrypted, &passphrase),
                Kind::Ssh => decrypt_ssh(origin, encrypted, &passphrase),
            };
            match opened {
                Ok(plain) => return Ok((plain, passphrase)),
                Err(Wrong::Passphrase) if from_terminal && tries < TERMINAL_TRIES => {
                    crate::terminal::say("wrong passphrase, try again");
                }
                Err(Wrong::Passphrase) => {
                    return Err(Error::Locked {
                        message: format!("the passphrase for {origin} is wrong"),
                        hint: "type it again; a forgotten passphrase cannot be recovered, only a backup of the key restored".to_string(),
                    });
                }
                Err(Wrong::Other(error)) => return Err(error),
            }
        }
    }

    /// Drops every unlocked identity of this home from the session cache;
    /// returns how many there were, or `None` when no cache is in use.
    pub fn lock(&self) -> Result<Option<usize>> {
        let Some(dirs) = &self.dirs else {
            return Ok(None);
        };
        let minutes = self.minutes()?;
        // Clear even with the cache now switched off: entries from before
        // the change may still be there.
        match SessionCache::new(&dirs.data, minutes.max(1)).clear() {
            Ok(count) => Ok(Some(count)),
            Err(_) if minutes == 0 => Ok(None),
            Err(refused) => Err(Error::Locked {
                message: format!("cannot reach the kernel keyring: {}", refused.0),
                hint: "where the kernel refuses it, nothing is cached; entries an unrestricted shell cached expire on their own, or run `bscred lock` there".to_string(),
            }),
        }
    }

    /// How many minutes the session cache keeps the unlock of `encrypted`, if
    /// it holds it now (`None`: the cache is off, refused, or it is not there).
    pub fn cached(&self, encrypted: &[u8]) -> Result<Option<u32>> {
        Ok(self.cache()?.and_then(|cache| match cache.get(encrypted) {
            Ok(Some(_)) => Some(cache.minutes()),
            _ => None,
        }))
    }

    /// Whether opening the identity file `raw` would have to ask for its
    /// passphrase: it has one, no `--passphrase-file` was given, and the session
    /// cache does not hold it.
    pub fn would_ask(&self, raw: &[u8]) -> Result<bool> {
        if !is_protected(raw) {
            return Ok(false);
        }
        if self.passphrase_file.is_some() {
            return Ok(false);
        }
        Ok(self.cached(raw)?.is_none())
    }

    /// Forgets the cached unlock of `encrypted` (its passphrase changed, or
    /// the identity was replaced).
    pub fn forget(&self, encrypted: &[u8]) {
        if let Ok(Some(cache)) = self.cache() {
            cache.forget(encrypted);
        }
    }

    /// The cache configured for this home, or `None` when there is no home
    /// (library use) or the user set `unlock_minutes = 0`.
    fn minutes(&self) -> Result<u32> {
        self.minutes.clone().map_err(Error::from)
    }

    fn cache(&self) -> Result<Option<SessionCache>> {
        let Some(dirs) = &self.dirs else {
            return Ok(None);
        };
        let minutes = self.minutes()?;
        Ok((minutes > 0).then(|| SessionCache::new(&dirs.data, minutes)))
    }

    /// Caches `plain`, the identity just encrypted as `encrypted` (by `init`
    /// or a passphrase change), when the cache is on.
    pub fn remember(&self, encrypted: &[u8], plain: &[u8]) -> Result<()> {
        self.remember_here(encrypted, &Zeroizing::new(plain.to_vec()));
        if let Some(cache) = self.cache()? {
            self.keep(&cache, encrypted, plain);
        }
        Ok(())
    }

    fn keep(&self, cache: &SessionCache, encrypted: &[u8], plain: &[u8]) {
        match cache.put(encrypted, plain) {
            Ok(()) => {
                if let Some(marker) = self.refused_marker() {
                    let _ = std::fs::remove_file(marker);
                }
            }
            Err(refused) => self.say_refused_once(&refused),
        }
    }

    /// Where bscred notes that the refusal was already reported, so it is
    /// said once rather than on every command.
    fn refused_marker(&self) -> Option<PathBuf> {
        self.dirs
            .as_ref()
            .map(|dirs| dirs.state.join("session-cache-refused"))
    }

    fn say_refused_once(&self, refused: &session_cache::Refused) {
        let Some(marker) = self.refused_marker() else {
            return;
        };
        if marker.exists() {
            return;
        }
        if !self.quiet {
            crate::terminal::warn(&format!(
                "the kernel keyring refused the session cache ({}); the passphrase will be asked every time (said once)",
                refused.0
            ));
        }
        let _ = crate::private_fs::write_atomic(&marker, b"");
    }

    /// The passphrase for `origin`: from `--passphrase-file`, else asked on
    /// the terminal. The flag says whether it was asked (and may be again).
    fn passphrase(&self, origin: &str, kind: Kind) -> Result<(SecretString, bool)> {
        if let Some(path) = &self.passphrase_file {
            return Ok((read_passphrase_file(path)?, false));
        }
        let question = match kind {
            Kind::Age => format!("Passphrase for {origin} (input hidden): "),
            Kind::Ssh => format!("Enter passphrase for SSH key {origin} (input hidden): "),
        };
        // An empty answer is a wrong passphrase, tried like any other.
        let hint = if matches!(self.cache(), Ok(Some(_))) {
            "run `bscred unlock` in a terminal first, or pass --passphrase-file PATH (a 0600 file)"
        } else {
            "pass --passphrase-file PATH (a 0600 file), or run it in a terminal (the session cache is off, so `bscred unlock` keeps nothing)"
        };
        let typed = ask(&question, hint)?;
        Ok((typed, true))
    }
}

fn digest(encrypted: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(encrypted).into()
}

/// What a locked identity file is, which says how it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An identity file encrypted with `age -p`.
    Age,
    /// An OpenSSH private key with a passphrase.
    Ssh,
}

/// Whether `bytes` is an age file (binary or armored) rather than the text
/// of an identity.
pub fn is_encrypted(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/")
        || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

/// Whether the identity file `raw` has a passphrase: an `age -p` file or
/// an OpenSSH key encrypted with one.
pub fn is_protected(raw: &[u8]) -> bool {
    is_encrypted(raw) || crate::ssh_key::is_encrypted(raw)
}

/// Why a decryption failed.
enum Wrong {
    Passphrase,
    Other(Error),
}

/// Unlocks an OpenSSH key with `passphrase` (see `ssh_key.rs`).
fn decrypt_ssh(
    origin: &str,
    encrypted: &[u8],
    passphrase: &SecretString,
) -> std::result::Result<Zeroizing<Vec<u8>>, Wrong> {
    crate::ssh_key::decrypt(encrypted, passphrase).map_err(|failure| match failure {
        crate::ssh_key::Failure::WrongPassphrase => Wrong::Passphrase,
        crate::ssh_key::Failure::Unsupported(what) => Wrong::Other(Error::Locked {
            message: format!("cannot unlock the SSH key {origin}: its {what} is not supported"),
            hint: "re-encrypt it with a current ssh-keygen: `ssh-keygen -p -f KEY`".to_string(),
        }),
        crate::ssh_key::Failure::Malformed => damaged(origin, "it is not a valid OpenSSH key"),
    })
}

fn damaged(origin: &str, reason: &str) -> Wrong {
    Wrong::Other(Error::Locked {
        message: format!("cannot unlock {origin}: {reason}"),
        hint: "a passphrase-protected identity is an identity file encrypted with `age -p`, or an SSH key from ssh-keygen"
            .to_string(),
    })
}

/// The decryptor of an `age -p` file, refusing anything else.
fn decryptor<'a>(
    origin: &str,
    encrypted: &'a [u8],
) -> std::result::Result<age::Decryptor<impl std::io::BufRead + 'a>, Wrong> {
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(encrypted))
        .map_err(|_| damaged(origin, "it is not a valid age file"))?;
    if !decryptor.is_scrypt() {
        return Err(damaged(
            origin,
            "it is encrypted to keys, not a passphrase; decrypt it with `age -d -i KEY` first",
        ));
    }
    Ok(decryptor)
}

/// Decrypts an `age -p` file with `passphrase`.
fn decrypt(
    origin: &str,
    encrypted: &[u8],
    passphrase: &SecretString,
) -> std::result::Result<Zeroizing<Vec<u8>>, Wrong> {
    let fail = |reason: &str| damaged(origin, reason);
    let decryptor = decryptor(origin, encrypted)?;
    let mut key = age::scrypt::Identity::new(passphrase.clone());
    // The library's own limit is calibrated against this machine's speed
    // at the moment (its target plus 4); on a loaded machine that falls
    // below the 18 `age -p` writes, refusing a good file. Accept what the
    // Go age CLI accepts.
    key.set_max_work_factor(MAX_WORK_FACTOR);
    let mut reader = decryptor
        .decrypt(std::iter::once(&key as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                Wrong::Passphrase
            }
            age::DecryptError::ExcessiveWork { .. } => {
                fail("its scrypt work factor would take minutes on this machine")
            }
            _ => fail("its header is damaged"),
        })?;
    // Smaller than the file it comes from: a buffer that never grows.
    crate::private_fs::read_wiped(&mut reader, encrypted.len())
        .map_err(|_| fail("it was truncated or tampered with"))
}

/// Encrypts `plain` with `passphrase` as `age -p -a` does (armored text,
/// so the file reads as text, as an identity file does).
pub fn encrypt(plain: &[u8], passphrase: &SecretString) -> Result<Zeroizing<Vec<u8>>> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    // Fixed rather than calibrated to the moment: a busy machine must not
    // write a weaker file. 18 is what `age -p` writes (about a second).
    recipient.set_work_factor(WORK_FACTOR);
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as _))
        .map_err(|e| Error::io("cannot encrypt the identity")(std::io::Error::other(e)))?;
    let mut out = Zeroizing::new(Vec::new());
    let written = age::armor::ArmoredWriter::wrap_output(&mut *out, age::armor::Format::AsciiArmor)
        .and_then(|armor| {
            let mut writer = encryptor.wrap_output(armor)?;
            writer.write_all(plain)?;
            writer.finish()?.finish()
        });
    written.map_err(Error::io("cannot encrypt the identity"))?;
    Ok(out)
}

/// A new passphrase: from `file`, else asked twice on the terminal.
/// `what` names what it protects, for the prompt.
pub fn new_passphrase(file: Option<&Path>, what: &str) -> Result<SecretString> {
    if let Some(path) = file {
        return read_passphrase_file(path);
    }
    let hint = "run it in a terminal, or give the new passphrase in a 0600 file (--passphrase-file, or --new-passphrase-file for `passphrase change`)";
    let first = ask(&format!("New passphrase for {what} (input hidden): "), hint)?;
    if first.expose_secret().is_empty() {
        return Err(Error::Refused {
            message: "the passphrase is empty".to_string(),
            hint: "type a passphrase; an empty one protects nothing".to_string(),
        });
    }
    if ask("The same passphrase again: ", hint)?.expose_secret() != first.expose_secret() {
        return Err(Error::Refused {
            message: "the two passphrases differ".to_string(),
            hint: "run it again and type the same passphrase twice".to_string(),
        });
    }
    Ok(first)
}

/// Asks on the terminal; without one, fails with `hint`.
fn ask(question: &str, hint: &str) -> Result<SecretString> {
    let typed = crate::prompt::hidden(question).map_err(|e| match e {
        Error::Io { source, .. } => Error::Locked {
            message: format!("cannot ask for the passphrase: no terminal ({source})"),
            hint: hint.to_string(),
        },
        other => other,
    })?;
    Ok(SecretString::from(typed.to_string()))
}

/// Reads a passphrase file: its first line, from a file only its owner
/// can read (the same rule as for identity files).
fn read_passphrase_file(path: &Path) -> Result<SecretString> {
    let bad =
        |reason: String| {
            Error::Locked {
        message: format!("cannot use the passphrase file {}: {reason}", path.display()),
        hint: "write the passphrase alone on the first line of a file only you can read (chmod 600)"
            .to_string(),
    }
        };
    let file = std::fs::File::open(path).map_err(|e| bad(e.kind().to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(|e| bad(e.kind().to_string()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Error::Locked {
                message: format!(
                    "the passphrase file {} can be read by other users (mode {:04o})",
                    path.display(),
                    mode & 0o7777
                ),
                hint: format!("run `chmod 600 {}`", path.display()),
            });
        }
    }
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_PASSPHRASE_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|_| bad("it is not UTF-8 text".to_string()))?;
    if text.len() as u64 > MAX_PASSPHRASE_FILE {
        return Err(bad("it is too long to be a passphrase".to_string()));
    }
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(bad("its first line is empty".to_string()));
    }
    Ok(SecretString::from(line.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_then_decrypt_with_the_same_passphrase_only() {
        let right = SecretString::from("correct horse".to_string());
        let wrong = SecretString::from("battery staple".to_string());
        let sealed = encrypt(b"AGE-SECRET-KEY-1X\n", &right).expect("encrypt");
        assert!(is_encrypted(&sealed));
        assert!(!String::from_utf8_lossy(&sealed).contains("AGE-SECRET-KEY"));
        // The header's scrypt stanza: `-> scrypt SALT 18`, whatever the load.
        let mut binary = Vec::new();
        age::armor::ArmoredReader::new(&sealed[..])
            .read_to_end(&mut binary)
            .expect("armor");
        let header = String::from_utf8_lossy(&binary[..binary.len().min(200)]).into_owned();
        let stanza = header.lines().nth(1).expect("stanza");
        assert!(
            stanza.starts_with("-> scrypt ") && stanza.ends_with(" 18"),
            "{stanza}"
        );
        assert_eq!(
            &decrypt("id", &sealed, &right).ok().expect("decrypts")[..],
            b"AGE-SECRET-KEY-1X\n"
        );
        assert!(matches!(
            decrypt("id", &sealed, &wrong),
            Err(Wrong::Passphrase)
        ));
    }

    /// Sets a file's mode; modes exist on Unix only, and Windows checks
    /// the rest.
    fn chmod(_path: &Path, _mode: u32) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(_path, std::fs::Permissions::from_mode(_mode)).expect("chmod");
        }
    }

    #[test]
    fn each_unlocker_uses_its_own_passphrase_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dirs = Dirs::under(dir.path());
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            chmod(&path, 0o600);
            path
        };
        let sealed = |plain: &[u8], passphrase: &str| {
            encrypt(plain, &SecretString::from(passphrase.to_string())).expect("encrypt")
        };
        let first = sealed(b"AGE-SECRET-KEY-1FIRST\n", "alpha");
        let second = sealed(b"AGE-SECRET-KEY-1SECOND\n", "beta");
        // Two runs' worth of options in one process: neither sees the
        // other's passphrase file (no process-wide "first call wins").
        let a = Unlocker::new(&dirs, Some(file("a", "alpha\n")), Ok(0), true);
        let b = Unlocker::new(&dirs, Some(file("b", "beta\n")), Ok(0), true);
        assert_eq!(
            &a.open("first", &first, Kind::Age).expect("a opens")[..],
            b"AGE-SECRET-KEY-1FIRST\n"
        );
        assert_eq!(
            &b.open("second", &second, Kind::Age).expect("b opens")[..],
            b"AGE-SECRET-KEY-1SECOND\n"
        );
        let error = b
            .open("first", &first, Kind::Age)
            .expect_err("wrong passphrase");
        assert_eq!(error.exit().code(), 4);
        // What `a` unlocked stays with `a` and its clones.
        assert!(a.clone().remembered(&first).is_some());
        assert!(b.remembered(&first).is_none());
    }

    #[test]
    fn passphrase_file_rules() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pass");
        std::fs::write(&path, "s3cret phrase\nignored\n").expect("write");
        chmod(&path, 0o600);
        assert_eq!(
            read_passphrase_file(&path).expect("read").expose_secret(),
            "s3cret phrase"
        );
        #[cfg(unix)]
        {
            chmod(&path, 0o644);
            let error = read_passphrase_file(&path).expect_err("readable by others");
            assert_eq!(error.exit().code(), 4);
            assert!(!error.render().contains("s3cret"), "{}", error.render());
        }
        std::fs::write(&path, "\n").expect("write");
        chmod(&path, 0o600);
        assert!(read_passphrase_file(&path).is_err());
        assert!(read_passphrase_file(&dir.path().join("missing")).is_err());
    }
}
