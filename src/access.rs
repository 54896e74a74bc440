//! What a run reaches its secrets with: the user's directories, the OS
//! keychain (with its deadline) and the unlocker for passphrase-protected
//! identities. The context (`context/mod.rs`) resolves it once from the options,
//! the environment and the user's config; profiles, stores and identities
//! take it instead of reading any of those themselves.

use crate::error::{Error, Result};
use crate::keychain::Keychain;
use crate::paths::Dirs;
use crate::unlock::Unlocker;
use crate::vault::VaultEnv;

/// The means of one run.
#[derive(Debug, Clone)]
pub struct Access {
    pub dirs: Dirs,
    /// The keychain, or why its settings are unusable (said only when a
    /// command needs the keychain: a file-backend command never fails on it).
    keychain: std::result::Result<Keychain, String>,
    pub unlocker: Unlocker,
    /// Vault's conventions from the environment (token, deadline, clock),
    /// for vault-backed profiles.
    pub vault: VaultEnv,
}

impl Access {
    pub fn new(
        dirs: Dirs,
        keychain: std::result::Result<Keychain, String>,
        unlocker: Unlocker,
    ) -> Access {
        Access {
            dirs,
            keychain,
            unlocker,
            vault: VaultEnv::default(),
        }
    }

    /// Access for `dirs` with the defaults: the keychain with its default
    /// deadline, and an unlocker that asks on the terminal and caches
    /// nothing (library use and tests).
    pub fn with_defaults(dirs: &Dirs) -> Access {
        Access::new(dirs.clone(), Keychain::new(None, true), Unlocker::default())
    }

    /// The same access, with Vault's conventions `vault`.
    pub fn with_vault(mut self, vault: VaultEnv) -> Access {
        self.vault = vault;
        self
    }

    /// The keychain, refusing unusable settings with what to do.
    pub fn keychain(&self) -> Result<Keychain> {
        self.keychain
            .clone()
            .map_err(|e| Error::usage(e, "fix or unset it"))
    }
}
