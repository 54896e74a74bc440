//! The keychain backend: one keychain item per profile holding the whole
//! document, so an `exec` costs one lookup (one unlock prompt on macOS) and
//! every update replaces the item whole. The keychain has no transactions:
//! the profile that owns the store serialises writers with its lock.

use sha2::{Digest, Sha256};

use super::document::DocumentError;
use super::{Backend, Document, Snapshot, Store, StoreInfo};
use crate::error::{Error, Result};
use crate::keychain::{Keychain, SERVICE};

/// One profile's keychain item.
#[derive(Debug)]
pub struct KeychainStore {
    profile: String,
    account: String,
    keychain: Keychain,
}

impl KeychainStore {
    /// The item `account` (under the service `bscred`) of `profile`.
    /// Lock-free: the profile serialises writers.
    pub fn new(profile: &str, account: &str, keychain: Keychain) -> Self {
        KeychainStore {
            profile: profile.to_string(),
            account: account.to_string(),
            keychain,
        }
    }

    fn label(&self) -> String {
        format!("bscred: profile '{}'", self.profile)
    }

    fn location(&self) -> String {
        format!(
            "keychain item \"{}\" ({SERVICE}/{})",
            self.label(),
            self.account
        )
    }

    fn write(&self, doc: &Document) -> Result<Option<String>> {
        let bytes = doc.to_bytes();
        self.keychain.set(&self.account, &self.label(), &bytes)?;
        Ok(Some(digest(&bytes)))
    }
}

/// The fingerprint of an item: a hash of its content (the keychain has no
/// cheap "modified" stamp to read without fetching the item).
fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store for KeychainStore {
    fn info(&self) -> StoreInfo {
        StoreInfo {
            backend: Backend::Keychain,
            location: self.location(),
        }
    }

    fn exists(&self) -> Result<bool> {
        Ok(self.keychain.get(&self.account)?.is_some())
    }

    fn create(&self, doc: &Document) -> Result<()> {
        if self.exists()? {
            return Err(Error::StoreExists {
                location: self.location(),
            });
        }
        self.write(doc).map(drop)
    }

    fn read(&self) -> Result<Snapshot> {
        let bytes = self
            .keychain
            .get(&self.account)?
            .ok_or_else(|| Error::StoreMissing {
                profile: self.profile.clone(),
                location: self.location(),
            })?;
        let doc = Document::from_bytes(&bytes).map_err(|e| match e {
            DocumentError::TooNew(version) => Error::TooNew {
                path: self.location().into(),
                version,
            },
            other => Error::Corrupt {
                path: self.location().into(),
                reason: other.to_string(),
            },
        })?;
        Ok(Snapshot {
            doc,
            fingerprint: Some(digest(&bytes)),
        })
    }

    fn update(&self, edit: &mut dyn FnMut(&mut Document) -> Result<()>) -> Result<Snapshot> {
        let Snapshot {
            mut doc,
            fingerprint,
        } = self.read()?;
        let before = doc.clone();
        edit(&mut doc)?;
        let fingerprint = if doc == before {
            fingerprint
        } else {
            self.write(&doc)?
        };
        Ok(Snapshot { doc, fingerprint })
    }

    /// The keychain encrypts the item itself: nothing to re-encrypt.
    fn rewrite(&self) -> Result<Snapshot> {
        self.read()
    }

    /// Unknown without asking the keychain, which `status` must not do: the
    /// metadata cache is trusted, since only bscred writes the item.
    fn fingerprint(&self) -> Option<String> {
        None
    }
}
