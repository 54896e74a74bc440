//! The file backend: one age-encrypted document per profile, encrypted to the
//! profile's recipients and decrypted with its identity. The reference `age`
//! CLI reads every file written here (`age -d -i IDENTITY FILE`) and bscred
//! reads files `age` wrote, so there is no lock-in.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::document::DocumentError;
use super::{Backend, Document, Snapshot, Store, StoreInfo};
use crate::error::{Error, Result};
use crate::identity::{self, Identity, IdentitySource};
use crate::private_fs::{self, Lock};

/// A store file can hold at most this much ciphertext. Far above any real
/// profile (1,000 variables of 1 KiB is about 1 MiB), it stops a wrong path
/// from making bscred read a disk image into memory.
const MAX_STORE_BYTES: u64 = 64 * 1024 * 1024;

/// One profile's age file.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    lock: PathBuf,
    identity: IdentitySource,
    recipients: Vec<String>,
}

impl FileStore {
    /// A store at `path`, decrypted with the identity at `identity` and
    /// encrypted to `recipients`; writes are serialised with the lock file
    /// at `lock`.
    pub fn new(
        path: PathBuf,
        lock: PathBuf,
        identity: IdentitySource,
        recipients: Vec<String>,
    ) -> Self {
        FileStore {
            path,
            lock,
            identity,
            recipients,
        }
    }

    fn encrypt(&self, doc: &Document) -> Result<Vec<u8>> {
        let recipients = self
            .recipients
            .iter()
            .map(|r| identity::parse_recipient(r))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|reason| Error::Config {
                path: self.path.clone(),
                reason: format!("its recipient list is invalid: {reason}"),
            })?;
        let encryptor = age::Encryptor::with_recipients(
            recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient),
        )
        .map_err(|e| Error::Refused {
            message: format!("cannot encrypt {}: {e}", self.path.display()),
            hint: "the profile needs at least one recipient".to_string(),
        })?;
        let plain = doc.to_bytes();
        let mut out = Vec::with_capacity(plain.len() + 512);
        let written = encryptor.wrap_output(&mut out).and_then(|mut writer| {
            writer.write_all(&plain)?;
            writer.finish()
        });
        written.map_err(Error::io(format!("cannot encrypt {}", self.path.display())))?;
        Ok(out)
    }

    fn decrypt(&self, ciphertext: &[u8]) -> Result<Document> {
        let corrupt = |reason: String| Error::Corrupt {
            path: self.path.clone(),
            reason,
        };
        // `age -a` writes ASCII armor, handy for a store kept in git; the
        // armored reader passes binary files through unchanged.
        let input = age::armor::ArmoredReader::new(ciphertext);
        let decryptor = age::Decryptor::new_buffered(input).map_err(|e| match e {
            // A short file that is not age at all (a plaintext `.env` put
            // in its place) ends before a header could: the same answer.
            age::DecryptError::InvalidHeader
            | age::DecryptError::UnknownFormat
            | age::DecryptError::Io(_) => corrupt("it is not an age file".to_string()),
            other => corrupt(other.to_string()),
        })?;
        let identity = Identity::load_from(&self.identity)?;
        let mut reader = decryptor
            .decrypt(identity.age_identities())
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => Error::Decrypt {
                    path: self.path.clone(),
                    reason: format!(
                        "it is not encrypted to the identity {}",
                        identity.source().describe()
                    ),
                },
                other => corrupt(other.to_string()),
            })?;
        let mut plain = Zeroizing::new(Vec::new());
        // The payload is authenticated chunk by chunk: a flipped or missing
        // byte anywhere fails here, before anything is parsed.
        reader
            .read_to_end(&mut plain)
            .map_err(|_| corrupt("it was truncated or tampered with".to_string()))?;
        Document::from_bytes(&plain).map_err(|e| match e {
            DocumentError::TooNew(version) => Error::TooNew {
                path: self.path.clone(),
                version,
            },
            other => corrupt(other.to_string()),
        })
    }

    /// The file's bytes and the fingerprint of the very file read (taken
    /// from the open handle: writers replace the file by rename, so the
    /// inode behind it never changes).
    fn read_ciphertext(&self) -> Result<(Vec<u8>, Option<String>)> {
        let file = fs::File::open(&self.path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                self.missing()
            } else {
                Error::io(format!("cannot read {}", self.path.display()))(e)
            }
        })?;
        let fingerprint = file.metadata().ok().and_then(|m| fingerprint_of(&m));
        let mut bytes = Vec::new();
        file.take(MAX_STORE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(Error::io(format!("cannot read {}", self.path.display())))?;
        if bytes.len() as u64 > MAX_STORE_BYTES {
            return Err(Error::Corrupt {
                path: self.path.clone(),
                reason: format!("it is larger than {} MiB", MAX_STORE_BYTES >> 20),
            });
        }
        Ok((bytes, fingerprint))
    }

    /// Encrypts and writes `doc` to `target` (see `target`).
    fn write(&self, target: &Path, doc: &Document) -> Result<()> {
        let bytes = self.encrypt(doc)?;
        private_fs::write_atomic(target, &bytes)
    }

    /// The file writes go to: the store itself, or the file its symlink
    /// points at (a store kept in a repository and linked here). Renaming
    /// over the link would leave the real store behind, stale; a link that
    /// points nowhere is a missing store, never a place for a new one.
    fn target(&self) -> Result<PathBuf> {
        match fs::symlink_metadata(&self.path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                fs::canonicalize(&self.path).map_err(|_| self.missing())
            }
            _ => Ok(self.path.clone()),
        }
    }

    fn missing(&self) -> Error {
        Error::StoreMissing {
            profile: profile_of(&self.path),
            location: self.path.display().to_string(),
        }
    }
}

/// Size and modification time: changes on every write (each write is a new
/// file), costs one `stat`.
fn fingerprint_of(meta: &fs::Metadata) -> Option<String> {
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{}:{}", meta.len(), modified.as_nanos()))
}

fn profile_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Store for FileStore {
    fn info(&self) -> StoreInfo {
        StoreInfo {
            backend: Backend::File,
            location: self.path.display().to_string(),
        }
    }

    fn exists(&self) -> Result<bool> {
        // A dangling symlink counts as a store that exists (and is missing).
        match fs::symlink_metadata(&self.path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(format!("cannot check {}", self.path.display()))(
                e,
            )),
        }
    }

    fn create(&self, doc: &Document) -> Result<()> {
        let _lock = Lock::acquire(&self.lock)?;
        private_fs::remove_stale_temps(&self.path);
        if self.exists()? {
            return Err(Error::Refused {
                message: format!("a store already exists at {}", self.path.display()),
                hint: "bscred never replaces a store; move it away first if you mean to start over"
                    .to_string(),
            });
        }
        self.write(&self.path, doc)
    }

    fn read(&self) -> Result<Snapshot> {
        let (ciphertext, fingerprint) = self.read_ciphertext()?;
        let doc = self.decrypt(&ciphertext)?;
        Ok(Snapshot { doc, fingerprint })
    }

    fn update(&self, edit: &mut dyn FnMut(&mut Document) -> Result<()>) -> Result<Snapshot> {
        let _lock = Lock::acquire(&self.lock)?;
        let target = self.target()?;
        private_fs::remove_stale_temps(&target);
        let mut doc = self.load()?;
        let before = doc.clone();
        edit(&mut doc)?;
        // Nothing changed, nothing written: no new ciphertext for git to
        // show in a shared store.
        if doc != before {
            self.write(&target, &doc)?;
        }
        // Still under the lock: no other writer can have replaced the file.
        let fingerprint = self.fingerprint();
        Ok(Snapshot { doc, fingerprint })
    }

    fn rewrite(&self) -> Result<Snapshot> {
        let _lock = Lock::acquire(&self.lock)?;
        let target = self.target()?;
        private_fs::remove_stale_temps(&target);
        let doc = self.load()?;
        self.write(&target, &doc)?;
        let fingerprint = self.fingerprint();
        Ok(Snapshot { doc, fingerprint })
    }

    fn fingerprint(&self) -> Option<String> {
        fingerprint_of(&fs::metadata(&self.path).ok()?)
    }
}
