//! The file backend: one age-encrypted document per profile, encrypted to the
//! profile's recipients and decrypted with its identity. The reference `age`
//! CLI reads every file written here (`age -d -i IDENTITY FILE`) and bscred
//! reads files `age` wrote, so there is no lock-in.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::document::DocumentError;
use super::{Backend, Document, Snapshot, Store, StoreInfo};
use crate::access::Access;
use crate::error::{Error, Result};
use crate::identity::{self, Identity, IdentitySource};
use crate::private_fs::{self, Regular};

/// A store file can hold at most this much ciphertext. Far above any real
/// profile (1,000 variables of 1 KiB is about 1 MiB), it stops a wrong path
/// from making bscred read a disk image into memory.
const MAX_STORE_BYTES: u64 = 64 * 1024 * 1024;

/// One profile's age file.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    identity: IdentitySource,
    recipients: Vec<String>,
    /// What opens the identity (its unlocker, the keychain holding it).
    access: Access,
    /// Whether changes written without the identity are kept beside the
    /// store (`append`): only for the user's own profile stores, in
    /// bscred's private data directory. A store in a repository (the team
    /// store) never reads a `.pending` directory: anyone who can commit
    /// could point one anywhere.
    pending: bool,
}

impl FileStore {
    /// A store at `path`, decrypted with the identity at `identity` and
    /// encrypted to `recipients`, opened with `access`. Lock-free, like
    /// every backend: its owner (the profile, the team store) serialises
    /// the writes.
    pub fn new(
        path: PathBuf,
        identity: IdentitySource,
        recipients: Vec<String>,
        access: &Access,
    ) -> Self {
        FileStore {
            path,
            identity,
            recipients,
            access: access.clone(),
            pending: false,
        }
    }

    /// The same store, keeping changes written without the identity in
    /// `NAME.pending/` (see `pending_dir`).
    pub fn with_pending_changes(mut self) -> Self {
        self.pending = true;
        self
    }

    /// `doc` encrypted to the recipients, and with `identity` (the writer's,
    /// when it was unlocked for this write) a `bscred-self` stanza first for
    /// each of its keys that is a recipient, so its next read takes no
    /// Diffie-Hellman (age_x25519.rs).
    fn encrypt(&self, doc: &Document, identity: Option<&Identity>) -> Result<Vec<u8>> {
        let own = identity.map_or_else(Vec::new, |id| id.own_recipients(&self.recipients));
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
            own.iter()
                .map(|r| r as &dyn age::Recipient)
                .chain(recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient)),
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

    fn decrypt(&self, ciphertext: &[u8], identity: &Identity) -> Result<Document> {
        self.decrypt_file(&self.path, ciphertext, identity)
    }

    /// Decrypts the age file at `path` (the store, or a pending change).
    fn decrypt_file(
        &self,
        path: &Path,
        ciphertext: &[u8],
        identity: &Identity,
    ) -> Result<Document> {
        let corrupt = |reason: String| Error::Corrupt {
            path: path.to_path_buf(),
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
        let mut reader = decryptor
            .decrypt(identity.age_identities())
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => Error::Decrypt {
                    path: path.to_path_buf(),
                    reason: format!(
                        "it is not encrypted to the identity {}",
                        identity.source().describe()
                    ),
                },
                other => corrupt(other.to_string()),
            })?;
        // The payload is authenticated chunk by chunk: a flipped or missing
        // byte anywhere fails here, before anything is parsed. It is
        // smaller than the ciphertext, so that bounds the buffer.
        let plain = private_fs::read_wiped(&mut reader, ciphertext.len())
            .map_err(|_| corrupt("it was truncated or tampered with".to_string()))?;
        Document::from_bytes(&plain).map_err(|e| match e {
            DocumentError::TooNew(version) => Error::TooNew {
                path: path.to_path_buf(),
                version,
            },
            other => corrupt(other.to_string()),
        })
    }

    /// The file's bytes and the fingerprint of the very file read (taken
    /// from the open handle: writers replace the file by rename, so the
    /// inode behind it never changes).
    /// A symlink or a FIFO where the store belongs is refused without
    /// being followed or opened for a blocking read.
    fn read_ciphertext(&self) -> Result<(Vec<u8>, Option<String>)> {
        let (found, meta) = private_fs::read_own(&self.path, MAX_STORE_BYTES)
            .map_err(Error::io(format!("cannot read {}", self.path.display())))?;
        let fingerprint = meta.as_ref().and_then(fingerprint_of);
        match found {
            Regular::Bytes(bytes) => Ok((bytes, fingerprint)),
            Regular::Missing => Err(self.missing()),
            Regular::TooLarge => Err(Error::Corrupt {
                path: self.path.clone(),
                reason: format!("it is larger than {} MiB", MAX_STORE_BYTES >> 20),
            }),
            other => Err(not_a_store_file(&self.path, &other)),
        }
    }

    /// The directory of changes written without the identity (`append`):
    /// `NAME.pending/` beside `NAME.age`. Each change is an age file
    /// encrypted to the same recipients, holding a document of the
    /// variables set; every read merges them in order, and the next write
    /// that decrypts the store folds them in and deletes them. So `set`
    /// never needs a passphrase (docs/file-format.md, "Identities").
    fn pending_dir(&self) -> PathBuf {
        pending_dir(&self.path)
    }

    /// The pending changes, oldest first, as (name, path). Their names
    /// start with a zero-padded sequence number, so name order is the
    /// order they were written in.
    fn pending(&self) -> Result<Vec<(String, PathBuf)>> {
        if !self.pending {
            return Ok(Vec::new());
        }
        let dir = self.pending_dir();
        let cannot = || Error::io(format!("cannot read {}", dir.display()));
        // One call on the usual path (none there), before every read.
        match fs::symlink_metadata(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(cannot()(e)),
            Ok(meta) if !meta.is_dir() => {
                return Err(Error::Corrupt {
                    path: dir,
                    reason: "it should be a directory of pending changes".to_string(),
                });
            }
            Ok(_) => {}
        }
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            // Emptied and removed by a writer just now.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(cannot()(e)),
        };
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(cannot())?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".age")
                && !stem.starts_with('.')
            {
                found.push((stem.to_string(), entry.path()));
            }
        }
        found.sort();
        Ok(found)
    }

    /// The store with its pending changes merged in; `doc.pending_applied`
    /// then names every pending file the result holds. The flag says
    /// whether any change was new to the stored document (so the next
    /// write must happen even if the edit changes nothing).
    fn read_merged(&self) -> Result<(Snapshot, bool, Identity)> {
        // Unlocked first: with a passphrase that can take a while, and the
        // steps below should follow each other closely.
        let identity = Identity::load_from(&self.identity, &self.access)?;
        // Readers take no lock. Listing the changes before reading the
        // store means a change folded in meanwhile is either in the store
        // read (and skipped by name) or its file is gone: then read again.
        for _ in 0..10 {
            let pending = self.pending()?;
            let (ciphertext, fingerprint) = self.read_ciphertext()?;
            let mut doc = self.decrypt(&ciphertext, &identity)?;
            let mut holds = Vec::new();
            let mut absorbed = false;
            let mut vanished = false;
            for (name, path) in pending {
                if !doc.pending_applied.contains(&name) {
                    let Some(bytes) = read_change(&path)? else {
                        vanished = true;
                        break;
                    };
                    doc.absorb(self.decrypt_file(&path, &bytes, &identity)?);
                    absorbed = true;
                }
                holds.push(name);
            }
            if vanished {
                continue;
            }
            doc.pending_applied = holds;
            return Ok((Snapshot { doc, fingerprint }, absorbed, identity));
        }
        Err(Error::ChangedMeanwhile {
            what: self.path.display().to_string(),
            outcome: "nothing was written".to_string(),
            hint: None,
        })
    }

    /// Deletes the pending changes `doc` holds, once it is written.
    fn drop_pending(&self, doc: &Document) {
        let dir = self.pending_dir();
        for name in &doc.pending_applied {
            let _ = fs::remove_file(dir.join(format!("{name}.age")));
        }
        // Only when empty: a change appended meanwhile stays.
        let _ = fs::remove_dir(&dir);
    }

    /// Encrypts and writes `doc` to `target` (see `target`).
    fn write(&self, target: &Path, doc: &Document, identity: Option<&Identity>) -> Result<()> {
        let bytes = self.encrypt(doc, identity)?;
        private_fs::write_atomic(target, &bytes)
    }

    /// The file writes go to: the store itself, never through a link (a
    /// link planted where a store belongs would send the write, and the
    /// store's content, wherever it points).
    fn target(&self) -> Result<PathBuf> {
        match fs::symlink_metadata(&self.path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                Err(not_a_store_file(&self.path, &Regular::Symlink))
            }
            _ => Ok(self.path.clone()),
        }
    }

    /// Writes `doc` as the whole store, created or replaced (the vault
    /// backend's offline copy: a cache of the server, never the only copy).
    pub fn replace(&self, doc: &Document) -> Result<()> {
        let target = self.target()?;
        private_fs::remove_stale_temps(&target);
        self.write(&target, doc, None)
    }

    fn missing(&self) -> Error {
        Error::StoreMissing {
            profile: profile_of(&self.path),
            location: self.path.display().to_string(),
        }
    }
}

/// The bytes of a pending change: a regular file of at most a store's size
/// (never a FIFO or a device). `None` when it is gone: folded in by a
/// writer since it was listed.
fn read_change(path: &Path) -> Result<Option<Vec<u8>>> {
    match private_fs::read_own(path, MAX_STORE_BYTES) {
        Ok((Regular::Bytes(bytes), _)) => Ok(Some(bytes)),
        Ok((Regular::Missing, _)) => Ok(None),
        Ok((found @ (Regular::Symlink | Regular::NotRegular), _)) => {
            Err(not_a_store_file(path, &found))
        }
        Ok((Regular::TooLarge | Regular::Foreign(_), _)) => Err(Error::Corrupt {
            path: path.to_path_buf(),
            reason: "it is not a pending change bscred wrote".to_string(),
        }),
        Err(e) => Err(Error::io(format!("cannot read {}", path.display()))(e)),
    }
}

/// The refusal of a symlink or special file where a store belongs.
fn not_a_store_file(path: &Path, found: &Regular) -> Error {
    Error::NotAStoreFile {
        path: path.to_path_buf(),
        what: match found {
            Regular::Symlink => "a symlink",
            Regular::Foreign(_) => "owned by another user",
            _ => "not a regular file (a FIFO, a device or a directory)",
        },
    }
}

/// The directory of changes pending for the store at `store` (see
/// `FileStore::pending_dir`); whoever moves or deletes a store moves or
/// deletes it too.
pub fn pending_dir(store: &Path) -> PathBuf {
    store.with_extension("pending")
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
        private_fs::remove_stale_temps(&self.path);
        if self.exists()? {
            return Err(Error::StoreExists {
                location: self.path.display().to_string(),
            });
        }
        // Changes left from a store that is gone would be merged into
        // this new one.
        if self.pending && fs::symlink_metadata(self.pending_dir()).is_ok() {
            return Err(Error::Refused {
                message: format!(
                    "{} holds changes for an earlier store of this name",
                    self.pending_dir().display()
                ),
                hint: "move it away (or delete it, if that store is gone for good), then run init again"
                    .to_string(),
            });
        }
        self.write(&self.path, doc, None)
    }

    fn read(&self) -> Result<Snapshot> {
        self.read_merged().map(|(snapshot, _, _)| snapshot)
    }

    fn update(&self, edit: &mut dyn FnMut(&mut Document) -> Result<()>) -> Result<Snapshot> {
        let target = self.target()?;
        private_fs::remove_stale_temps(&target);
        let (Snapshot { mut doc, .. }, absorbed, identity) = self.read_merged()?;
        let before = doc.clone();
        edit(&mut doc)?;
        // Nothing changed, nothing written: no new ciphertext for git to
        // show in a shared store. Pending changes are folded in, though.
        if doc != before || absorbed {
            self.write(&target, &doc, Some(&identity))?;
        }
        self.drop_pending(&doc);
        // Under the owner's lock: no other writer can have replaced the file.
        let fingerprint = self.fingerprint();
        Ok(Snapshot { doc, fingerprint })
    }

    fn rewrite(&self) -> Result<Snapshot> {
        let target = self.target()?;
        private_fs::remove_stale_temps(&target);
        let (Snapshot { doc, .. }, _, identity) = self.read_merged()?;
        self.write(&target, &doc, Some(&identity))?;
        self.drop_pending(&doc);
        let fingerprint = self.fingerprint();
        Ok(Snapshot { doc, fingerprint })
    }

    fn pending_changes(&self) -> usize {
        self.pending().map_or(0, |pending| pending.len())
    }

    fn append(&self, change: &Document) -> Result<bool> {
        if !self.pending {
            return Ok(false);
        }
        if !self.exists()? {
            return Err(self.missing());
        }
        let bytes = self.encrypt(change, None)?;
        let dir = self.pending_dir();
        private_fs::ensure_dir(&dir)?;
        let next = self
            .pending()?
            .last()
            .and_then(|(name, _)| name.split('-').next()?.parse::<u64>().ok())
            .map_or(1, |seq| seq + 1);
        // Under the owner's lock the sequence is unique; the suffix keeps a name
        // from ever matching one an older document lists as applied.
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("{next:08}-{stamp:x}{:x}", std::process::id());
        private_fs::write_new(&dir.join(format!("{name}.age")), &bytes)?;
        Ok(true)
    }

    fn fingerprint(&self) -> Option<String> {
        fingerprint_of(&fs::metadata(&self.path).ok()?)
    }
}
