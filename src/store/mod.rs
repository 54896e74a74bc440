//! Where a profile's document lives: the `Store` trait every backend
//! implements and its laws, and the backends there are. Which backend a
//! profile uses is picked by `Profile::with_settings` from the settings
//! `init` recorded.

pub mod document;
pub mod file;
pub mod keychain;
pub mod vault;
pub mod vault_login;

use std::fmt;

use jiff::Timestamp;

use crate::error::Result;
use crate::secret::VarName;
pub use document::{Document, Variable};

/// A backend that holds one profile's document.
///
/// Laws every implementation keeps (checked by the store contract test in
/// `tests/`, run against every backend):
/// 1. `get` after `set` returns the same value and metadata.
/// 2. A variable that is not there is `Ok(None)`, not an error.
/// 3. `remove` is idempotent: removing an absent name is `Ok(false)`.
/// 4. `update` is all or nothing: when `edit` or the write fails, the stored
///    document is the one before the call.
///
/// Backends take no lock. Whoever owns a store serialises its writers —
/// the profile (`Profile::update` and friends) or the team store — so
/// parallel writes from several processes through the owner lose nothing.
/// 5. `load` and `update` on a store that cannot be read fail (exit 4) and
///    leave it untouched; they never start a fresh document over it.
/// 6. No method puts a value in an error.
/// 7. The fingerprint in a `Snapshot` is that of the very data read or
///    written, so a cache built from it can never claim to be current for a
///    store that changed in between.
/// 8. A change `append` accepted is in every later read, as `set` would
///    have made it, until an `update` folds it in; none is applied twice.
/// 9. A store others write without the owner's lock (the vault backend)
///    makes `update` a check-and-set: a change to a variable that another
///    writer changed since the read is refused (`Error::Conflict`, exit 6),
///    never written over it; changes to other variables both land.
pub trait Store: fmt::Debug {
    /// Which backend this is and where its data lives.
    fn info(&self) -> StoreInfo;

    /// Whether the store has been created.
    fn exists(&self) -> Result<bool>;

    /// Creates the store holding `doc`; fails if it already exists.
    fn create(&self, doc: &Document) -> Result<()>;

    /// Reads and decrypts the whole document.
    fn read(&self) -> Result<Snapshot>;

    /// Read-modify-write under an exclusive lock; returns what was written.
    fn update(&self, edit: &mut dyn FnMut(&mut Document) -> Result<()>) -> Result<Snapshot>;

    /// Records `change` (variables to set, as `set` sets them) without
    /// reading the store, so no identity is needed; every later read
    /// merges it, and the next `update` or `rewrite` folds it in.
    /// `Ok(false)`: this backend has no such path (the keychain needs no
    /// identity to write anyway).
    fn append(&self, change: &Document) -> Result<bool> {
        let _ = change;
        Ok(false)
    }

    /// How many appended changes wait to be folded into the store (a
    /// directory listing, no decryption).
    fn pending_changes(&self) -> usize {
        0
    }

    /// Writes the document again as it is, under the lock: the file backend
    /// re-encrypts it to its current recipients.
    fn rewrite(&self) -> Result<Snapshot>;

    /// For `env` and `exec`: `read`, or, when the store lives on a server
    /// that does not answer, the copy kept from an earlier read with the
    /// time it was read (the vault backend's offline copy).
    fn read_for_environment(&self) -> Result<(Snapshot, Option<Timestamp>)> {
        Ok((self.read()?, None))
    }

    /// Whether others change this store without the owner's lock (a
    /// server shared by a team): the metadata cache must then be refreshed
    /// from every read, not trusted once written.
    fn changes_elsewhere(&self) -> bool {
        false
    }

    /// A cheap token that changes whenever the stored data changes (size and
    /// modification time for a file), so the metadata cache can tell it is
    /// stale without decrypting anything. `None` when the backend cannot
    /// tell without a call that may prompt or block (the keychain).
    fn fingerprint(&self) -> Option<String>;

    /// The whole document.
    fn load(&self) -> Result<Document> {
        Ok(self.read()?.doc)
    }

    /// One variable, or `None`.
    fn get(&self, name: &VarName) -> Result<Option<Variable>> {
        Ok(self.load()?.variables.remove(name))
    }

    /// Stores `var` under `name` exactly as given.
    fn set(&self, name: &VarName, var: Variable) -> Result<()> {
        self.update(&mut |doc| {
            doc.variables.insert(name.clone(), var.clone());
            Ok(())
        })
        .map(drop)
    }

    /// Removes `name`; `Ok(false)` when it was not there.
    fn remove(&self, name: &VarName) -> Result<bool> {
        let mut removed = false;
        self.update(&mut |doc| {
            removed = doc.variables.remove(name).is_some();
            Ok(())
        })?;
        Ok(removed)
    }
}

/// A document together with the fingerprint of the stored data it came from.
#[derive(Debug)]
pub struct Snapshot {
    pub doc: Document,
    pub fingerprint: Option<String>,
}

/// The backends a profile can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// An age-encrypted file per profile.
    File,
    /// The OS keychain: one item per profile.
    Keychain,
    /// A KV version 2 secret on a HashiCorp Vault or OpenBao server.
    Vault,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::File => "file",
            Backend::Keychain => "keychain",
            Backend::Vault => "vault",
        })
    }
}

/// What `status` and `list --json` report about a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    pub backend: Backend,
    /// The file's path, or a description of the keychain item.
    pub location: String,
}
