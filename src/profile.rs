//! A profile: its name, the settings `init` recorded for it (backend,
//! identity, recipients), and the store those settings open, kept in step
//! with the metadata cache on every read and write.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::error::{Error, Result};
use crate::identity::{Identity, IdentitySource};
use crate::ledger::{Held, Ledger};
use crate::metadata::Metadata;
use crate::paths::Dirs;
use crate::private_fs::{self, Lock};
use crate::profile_name::ProfileName;
use crate::secret::VarName;
use crate::store::file::FileStore;
use crate::store::keychain::KeychainStore;
use crate::store::vault::{OfflineCopy, VaultSettings, VaultStore};
use crate::store::vault_login::LoginStore;
use crate::store::{Backend, Document, Store, StoreInfo};

/// What `init` recorded about a profile. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The backend chosen at `init`; later commands use it.
    pub backend: Backend,
    /// File backend: the identity file that decrypts the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<PathBuf>,
    /// File backend with `--identity-in-keychain`: the keychain account
    /// holding the identity instead of a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_item: Option<String>,
    /// File backend: the public keys the store is encrypted to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
    /// Keychain backend: the account of the item holding the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The GitHub host the profile's tokens belong to (GitHub Enterprise
    /// Server); github.com when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_host: Option<String>,
    /// The organisation that owns the repositories a new token is for
    /// (`rotate` prefills it as the token's resource owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_owner: Option<String>,
    /// Vault backend: the servers and the KV secret. (`identity` and
    /// `recipients` are then the user's own key, which the offline copy is
    /// encrypted to.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<VaultSettings>,
}

impl Settings {
    /// A file-backend profile decrypted by `identity` and encrypted to it.
    pub fn file(identity: &Identity) -> Settings {
        let (path, item) = match identity.source() {
            IdentitySource::File(path) => (Some(path.clone()), None),
            IdentitySource::Keychain(account) => (None, Some(account.clone())),
        };
        Settings {
            backend: Backend::File,
            identity: path,
            identity_item: item,
            recipients: identity.recipients(),
            item: None,
            github_host: None,
            github_owner: None,
            vault: None,
        }
    }

    /// A vault-backed profile in the KV secret `vault` describes, its
    /// offline copy encrypted to the user's own `identity`.
    pub fn vault(vault: VaultSettings, identity: &Identity) -> Settings {
        Settings {
            backend: Backend::Vault,
            vault: Some(vault),
            ..Settings::file(identity)
        }
    }

    /// A keychain-backend profile whose document is the item `account`.
    pub fn keychain(account: String) -> Settings {
        Settings {
            backend: Backend::Keychain,
            identity: None,
            identity_item: None,
            recipients: Vec::new(),
            item: Some(account),
            github_host: None,
            github_owner: None,
            vault: None,
        }
    }

    /// Whether two settings open the same store (other settings, such as
    /// the GitHub host, may differ).
    pub fn same_store(&self, other: &Settings) -> bool {
        (
            &self.backend,
            &self.identity,
            &self.identity_item,
            &self.recipients,
            &self.item,
            self.vault.as_ref().map(VaultSettings::shown_path),
        ) == (
            &other.backend,
            &other.identity,
            &other.identity_item,
            &other.recipients,
            &other.item,
            other.vault.as_ref().map(VaultSettings::shown_path),
        )
    }

    /// Where a file-backend profile's identity lives.
    pub fn identity_source(&self) -> Option<IdentitySource> {
        match (&self.identity, &self.identity_item) {
            (Some(path), _) => Some(IdentitySource::File(path.clone())),
            (None, Some(account)) => Some(IdentitySource::Keychain(account.clone())),
            (None, None) => None,
        }
    }

    /// Reads a profile's settings; `Ok(None)` when the profile was never
    /// initialised.
    pub fn read(dirs: &Dirs, name: &ProfileName) -> Result<Option<Settings>> {
        let path = dirs.profile_settings(name);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()))(e)),
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|e| Error::SettingsUnreadable {
                profile: name.to_string(),
                path,
                reason: e.message().to_string(),
            })
    }

    /// Records a profile's settings.
    pub fn write(&self, dirs: &Dirs, name: &ProfileName) -> Result<()> {
        let body = toml::to_string(self).unwrap_or_else(|_| unreachable!("settings serialise"));
        let text = format!(
            "# bscred settings for profile '{name}', written by `bscred init`. No secrets here.\n{body}"
        );
        private_fs::write_atomic(&dirs.profile_settings(name), text.as_bytes())
    }
}

/// The vault store of a profile's `settings` (`None` when they name no
/// Vault secret). The offline copy is encrypted to the user's own key; the
/// settings say how old it may be when it serves.
fn vault_store(access: &Access, name: &ProfileName, settings: &Settings) -> Option<VaultStore> {
    let vault = settings.vault.clone()?;
    let offline = settings.identity_source().map(|source| OfflineCopy {
        store: FileStore::new(
            access.dirs.offline_copy(name),
            source,
            settings.recipients.clone(),
            access,
        ),
        max_age: match vault
            .offline_max_hours
            .unwrap_or(crate::store::vault::DEFAULT_OFFLINE_HOURS)
        {
            0 => None,
            hours => Some(jiff::SignedDuration::from_hours(i64::from(hours))),
        },
    });
    // The token `bscred vault login` got, encrypted to the same key.
    let login = settings.identity_source().map(|source| {
        LoginStore::new(
            FileStore::new(
                access.dirs.vault_login(name),
                source,
                settings.recipients.clone(),
                access,
            ),
            access.dirs.vault_login_record(name),
        )
    });
    Some(VaultStore::new(
        name.as_str(),
        vault,
        access.vault.clone(),
        login,
        offline,
    ))
}

/// The names an edit set: added, given a new value, or written again
/// (`set` moves `updated_at` even for the same value). A change to an
/// expiry or a token's facts alone (`verify`) sets nothing.
fn set_names(before: &Document, after: &Document) -> BTreeSet<String> {
    after
        .variables
        .iter()
        .filter(|(name, var)| {
            before.variables.get(*name).is_none_or(|old| {
                !old.value.same_as(&var.value) || old.updated_at != var.updated_at
            })
        })
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The keychain account of profile `name`'s document: the profile name for
/// people, plus an id derived from this bscred home's data directory, so
/// that two homes (or parallel tests) never share an item, while the same
/// home always finds the same one — an interrupted `migrate` leaves no copy
/// that a later one would not find and replace or remove.
pub fn profile_account(dirs: &Dirs, name: &ProfileName) -> String {
    format!("profile:{name}@{}", home_id(dirs))
}

/// A short id for this bscred home (its data directory), stable across runs.
pub fn home_id(dirs: &Dirs) -> String {
    let home = std::path::absolute(&dirs.data).unwrap_or_else(|_| dirs.data.clone());
    crate::paths::short_id(home.as_os_str().as_encoded_bytes())
}

/// The keychain account of a new age identity for profile `name`: random,
/// since an identity is never replaced, so a new one must never collide.
pub fn identity_account(name: &ProfileName) -> String {
    // A fresh X25519 key is 32 bytes from the OS's random source; its
    // public half, hashed, is a random id without another dependency.
    let entropy = age::x25519::Identity::generate().to_public().to_string();
    format!(
        "identity:{name}@{}",
        crate::paths::short_id(entropy.as_bytes())
    )
}

/// The profiles `init` created, by name: one settings file each.
pub fn names(dirs: &Dirs) -> Result<Vec<ProfileName>> {
    let dir = dirs.profile_settings(&ProfileName::default());
    let dir = dir.parent().expect("a settings file is inside a directory");
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::io(format!("cannot read {}", dir.display()))(e));
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io(format!("cannot read {}", dir.display())))?;
        let file = entry.file_name();
        let Some(stem) = file.to_str().and_then(|f| f.strip_suffix(".toml")) else {
            continue;
        };
        // Stale temporaries and other strays are not profiles.
        if let Ok(name) = stem.parse::<ProfileName>() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Every profile whose identity is the file at `path`, each locked until
/// the locks are dropped: nothing may encrypt to or decrypt with the file
/// while it changes. The identity's own lock comes first (see
/// `lock_identity`). A profile that cannot be opened is skipped with a
/// warning (unless `quiet`).
pub fn users_of(access: &Access, path: &Path, quiet: bool) -> Result<Users> {
    let dirs = &access.dirs;
    let identity_lock = lock_identity(dirs, path, quiet)?;
    let mut users = Vec::new();
    for name in names(dirs)? {
        let user = match Profile::open(access, &name) {
            Ok(user) => user.quiet(quiet),
            Err(e) => {
                if !quiet {
                    crate::terminal::warn(&format!("profile '{name}' skipped: {e}"));
                }
                continue;
            }
        };
        if user.settings.identity.as_deref() == Some(path) {
            users.push(user);
        }
    }
    let locks = users
        .iter()
        .map(Profile::lock)
        .collect::<Result<Vec<_>>>()?;
    Ok(Users {
        profiles: users,
        locks,
        _identity: identity_lock,
    })
}

/// The profiles that use one identity file, each with its lock held, and
/// the identity's own lock, until dropped.
#[derive(Debug)]
pub struct Users {
    pub profiles: Vec<Profile>,
    /// `locks[i]` is `profiles[i]`'s.
    pub locks: Vec<Held>,
    _identity: Lock,
}

/// Takes the lock every writer of the identity file at `path` holds, and
/// under it clears what a killed writer left: a temporary file that may
/// hold the key. Only under the lock: another writer's temporary file is
/// its write in progress.
pub fn lock_identity(dirs: &Dirs, path: &Path, quiet: bool) -> Result<Lock> {
    let lock = Lock::acquire(&dirs.identity_lock(path), quiet)?;
    private_fs::remove_stale_temps(path);
    Ok(lock)
}

/// The profile being renamed to `new` by a `profiles rename` that has not
/// finished, if any.
fn renaming_to(dirs: &Dirs, new: &ProfileName) -> Option<String> {
    let journals = fs::read_dir(dirs.state.join("renames")).ok()?;
    journals.flatten().find_map(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        let old = name.strip_suffix(".to")?.to_string();
        let target = fs::read_to_string(entry.path()).ok()?;
        (target.trim() == new.as_str()).then_some(old)
    })
}

/// An initialised profile, ready to read and write.
#[derive(Debug)]
pub struct Profile {
    pub name: ProfileName,
    pub settings: Settings,
    store: Box<dyn Store>,
    access: Access,
    /// Its lock and metadata cache.
    ledger: Ledger,
    /// Whether warnings are silenced (`-q`).
    quiet: bool,
}

impl Profile {
    /// Opens the profile `init` created, or says it does not exist.
    pub fn open(access: &Access, name: &ProfileName) -> Result<Profile> {
        let dirs = &access.dirs;
        let Some(settings) = Settings::read(dirs, name)? else {
            // The new name of a rename that stopped before its settings
            // were written is not a profile to `init`.
            if let Some(old) = renaming_to(dirs, name) {
                return Err(Error::RenameInterrupted {
                    old,
                    new: name.to_string(),
                });
            }
            return Err(Error::NotInitialised {
                profile: name.to_string(),
                chosen_by: None,
            });
        };
        Profile::with_settings(access, name, settings)
    }

    /// The profile these settings describe (for `init` and `migrate`, before
    /// they are saved).
    pub fn with_settings(
        access: &Access,
        name: &ProfileName,
        settings: Settings,
    ) -> Result<Profile> {
        let dirs = &access.dirs;
        let incomplete = |what: &str| Error::Config {
            path: dirs.profile_settings(name),
            reason: format!("it names no {what}"),
        };
        let store: Box<dyn Store> = match settings.backend {
            Backend::File => Box::new(
                FileStore::new(
                    dirs.profile_store(name),
                    settings
                        .identity_source()
                        .ok_or_else(|| incomplete("identity"))?,
                    settings.recipients.clone(),
                    access,
                )
                .with_pending_changes(),
            ),
            Backend::Keychain => Box::new(KeychainStore::new(
                name.as_str(),
                settings
                    .item
                    .as_deref()
                    .ok_or_else(|| incomplete("keychain item"))?,
                access.keychain()?,
            )),
            Backend::Vault => Box::new(
                vault_store(access, name, &settings)
                    .ok_or_else(|| incomplete("Vault address and path"))?,
            ),
        };
        Ok(Profile {
            name: name.clone(),
            settings,
            store,
            access: access.clone(),
            ledger: Ledger::of_profile(dirs, name),
            quiet: false,
        })
    }

    /// The same profile, its warnings silenced or not (`-q`).
    pub fn quiet(mut self, quiet: bool) -> Profile {
        self.quiet = quiet;
        self.ledger = self.ledger.quiet(quiet);
        self
    }

    /// The backend and location of the store.
    pub fn info(&self) -> StoreInfo {
        self.store.info()
    }

    /// What the profile is opened with.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The store itself, for the few callers that need more than a document.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Decrypts the whole document. Refreshes the metadata cache when the
    /// store changed since it was written (a `git pull`, a manual edit).
    pub fn load(&self, now: Timestamp) -> Result<Document> {
        let snapshot = self.store.read().map_err(|e| self.explain(e))?;
        self.ledger.refresh(self.store(), &snapshot, now);
        Ok(snapshot.doc)
    }

    /// `load` for `env` and `exec`: when the store's server does not answer,
    /// the offline copy serves (the vault backend), with one line saying
    /// how old it is. The metadata cache is refreshed only from the server.
    pub fn load_for_environment(&self, now: Timestamp) -> Result<Document> {
        let (snapshot, offline) = self
            .store
            .read_for_environment()
            .map_err(|e| self.explain(e))?;
        match offline {
            None => self.ledger.refresh(self.store(), &snapshot, now),
            Some(at) => {
                if !self.quiet {
                    crate::terminal::warn(&format!(
                        "no Vault server answered for profile '{}'; using its offline copy from {} ago ({})",
                        self.name,
                        crate::store::vault::human(now.duration_since(at)),
                        at.strftime("%Y-%m-%d %H:%M UTC")
                    ));
                }
            }
        }
        Ok(snapshot.doc)
    }

    /// Takes the profile's lock, waiting for another writer (saying so,
    /// unless quiet). The writes below take it themselves; a command that
    /// must hold it across several steps takes it here and passes it to
    /// the `_locked` forms, so nothing ever takes the same lock twice.
    pub fn lock(&self) -> Result<Held> {
        self.ledger.lock()
    }

    /// Read-modify-write and the metadata cache, both under the profile's
    /// lock, so the cache always describes the latest write. Refuses when
    /// the profile moved to another store while this command waited for the
    /// lock (a `migrate`): writing to the old one would lose the value.
    pub fn update(
        &self,
        now: Timestamp,
        edit: &mut dyn FnMut(&mut Document) -> Result<()>,
    ) -> Result<Document> {
        let lock = self.lock()?;
        self.update_locked(&lock, now, edit)
    }

    /// `update`, under a lock the caller holds.
    pub fn update_locked(
        &self,
        held: &Held,
        now: Timestamp,
        edit: &mut dyn FnMut(&mut Document) -> Result<()>,
    ) -> Result<Document> {
        self.ledger.check(held);
        let current = Settings::read(&self.access.dirs, &self.name)?;
        if current
            .as_ref()
            .is_some_and(|c| !c.same_store(&self.settings))
        {
            return Err(Error::ChangedMeanwhile {
                what: format!("the store of profile '{}'", self.name),
                outcome: "the profile moved to another store, and nothing was written".to_string(),
                hint: None,
            });
        }
        // A vault-backed profile is written by others, and exports only the
        // names its user accepted; a name the user sets through bscred is
        // accepted by that act. The store may run `edit` several times (a
        // check-and-set race): the names of the run that was written count.
        let vault = self.settings.backend == Backend::Vault;
        let mut set_here = BTreeSet::new();
        let mut tracked = |doc: &mut Document| -> Result<()> {
            if !vault {
                return edit(doc);
            }
            let before = doc.clone();
            edit(doc)?;
            set_here = set_names(&before, doc);
            Ok(())
        };
        let snapshot = self
            .store
            .update(&mut tracked)
            .map_err(|e| self.explain(e))?;
        self.ledger.record(held, self.store(), &snapshot, now);
        if !set_here.is_empty() {
            self.accept_locked(held, set_here)?;
        }
        Ok(snapshot.doc)
    }

    /// The names of `doc` a vault-backed profile's user has not accepted
    /// (none for other backends: the user's own store holds only what the
    /// user put there).
    pub fn unaccepted(&self, doc: &Document) -> Vec<VarName> {
        let Some(vault) = self
            .settings
            .vault
            .as_ref()
            .filter(|_| self.settings.backend == Backend::Vault)
        else {
            return Vec::new();
        };
        doc.variables
            .keys()
            .filter(|name| !vault.accepted.contains(name.as_str()))
            .cloned()
            .collect()
    }

    /// Records `names` as accepted in the user's own settings of this
    /// vault-backed profile (`bscred allow -p`, or a `set`), under the lock
    /// the caller holds. The settings are read again first: another
    /// process may have accepted names since this one opened the profile.
    pub fn accept_locked(
        &self,
        held: &Held,
        names: impl IntoIterator<Item = String>,
    ) -> Result<()> {
        self.ledger.check(held);
        let dirs = &self.access.dirs;
        let Some(mut settings) = Settings::read(dirs, &self.name)? else {
            return Ok(());
        };
        let Some(vault) = settings.vault.as_mut() else {
            return Ok(());
        };
        let before = vault.accepted.len();
        vault.accepted.extend(names);
        if vault.accepted.len() != before {
            settings.write(dirs, &self.name)?;
        }
        Ok(())
    }

    /// Whether writing would ask for a passphrase: the identity file is
    /// passphrase-protected, not unlocked in the session cache, and no
    /// `--passphrase-file` was given. `set` then appends instead.
    pub fn writes_need_unlock(&self) -> Result<bool> {
        let Some(source) = self.settings.identity_source() else {
            return Ok(false);
        };
        let raw = crate::identity::read_raw(&source, &self.access)?;
        self.access.unlocker.would_ask(&raw)
    }

    /// Stores `change` without decrypting anything (`Store::append`), and
    /// records it in the metadata cache.
    pub fn append(&self, change: &Document, now: Timestamp) -> Result<bool> {
        let held = self.lock()?;
        if !self.store.append(change)? {
            return Ok(false);
        }
        self.ledger.record_change(&held, change, now);
        Ok(true)
    }

    /// Creates the store with an empty document and its metadata, then
    /// reads it back: a store the identity cannot open fails here, at
    /// `init`, not at the first `get`.
    pub fn create(&self, now: Timestamp) -> Result<()> {
        let held = self.lock()?;
        self.store.create(&Document::default())?;
        let snapshot = self.store.read()?;
        self.ledger.record(&held, self.store(), &snapshot, now);
        Ok(())
    }

    /// The vault store, for the commands that talk to the server about
    /// more than the document (the token, `migrate`).
    pub fn vault_store(&self) -> Option<VaultStore> {
        vault_store(&self.access, &self.name, &self.settings)
    }

    /// The cached metadata, without touching the store.
    pub fn cached_metadata(&self) -> Option<Metadata> {
        self.ledger.cached()
    }

    /// The cached metadata, for the commands that read nothing else.
    pub fn required_metadata(&self) -> Result<Metadata> {
        self.cached_metadata().ok_or_else(|| Error::Refused {
            message: format!("there is no metadata for profile '{}' yet", self.name),
            hint: "run `bscred list` once (it decrypts the store and records the metadata)"
                .to_string(),
        })
    }

    /// Whether the cache describes the store as it is now. A backend that
    /// cannot tell cheaply (the keychain, written only by bscred) is trusted.
    pub fn metadata_is_current(&self, meta: &Metadata) -> bool {
        match self.store.fingerprint() {
            Some(now) => meta.fingerprint.as_deref() == Some(now.as_str()),
            None => self.settings.backend == Backend::Keychain,
        }
    }

    /// A missing store whose profile is halfway through `profiles rename`
    /// moved on to the new name: say so, not "restore it from a backup".
    fn explain(&self, error: Error) -> Error {
        let Error::StoreMissing { .. } = error else {
            return error;
        };
        match fs::read_to_string(self.access.dirs.rename_journal(&self.name)) {
            Ok(new) => Error::RenameInterrupted {
                old: self.name.to_string(),
                new: new.trim().to_string(),
            },
            Err(_) => error,
        }
    }

    /// Deletes the profile's store (only the link, for a linked file); says what
    /// it did.
    pub fn remove_store(&self) -> Result<String> {
        match self.settings.backend {
            Backend::Vault => {
                // The secret is the team's: others read it. Only what this
                // machine keeps of it goes (the offline copy, a login).
                if let Some(store) = self.vault_store() {
                    store.forget_here();
                }
                let dirs = &self.access.dirs;
                for path in [
                    dirs.offline_copy(&self.name),
                    dirs.vault_login(&self.name),
                    dirs.vault_login_record(&self.name),
                ] {
                    match fs::remove_file(&path) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(Error::io(format!("cannot remove {}", path.display()))(e));
                        }
                        _ => {}
                    }
                }
                Ok(format!(
                    "the Vault secret {} is left in place for the others who use it (delete it with `bao kv metadata delete` if no one does)",
                    self.info().location
                ))
            }
            Backend::Keychain => {
                let account = self.settings.item.as_deref().unwrap_or_default();
                self.access.keychain()?.delete(account)?;
                Ok(format!("removed {}", self.info().location))
            }
            Backend::File => {
                let path = PathBuf::from(self.info().location);
                // Changes written without the identity go first: the caller
                // has copied them (migrate) or is deleting the profile (rm), and
                // a removal interrupted after this is finished by a re-run.
                let pending = crate::store::file::pending_dir(&path);
                match fs::remove_dir_all(&pending) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(Error::io(format!("cannot remove {}", pending.display()))(e));
                    }
                }
                if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                    // The linked file may be a team's copy in a repository:
                    // only the link is bscred's to remove.
                    fs::remove_file(&path)
                        .map_err(Error::io(format!("cannot remove {}", path.display())))?;
                    return Ok(format!(
                        "removed the link {}; the file it pointed to is untouched",
                        path.display()
                    ));
                }
                fs::remove_file(&path)
                    .map_err(Error::io(format!("cannot remove {}", path.display())))?;
                Ok(format!("removed {}", path.display()))
            }
        }
    }

    /// Re-encrypts the store to `recipients`, then records them, all under
    /// the profile's lock. Interrupted between the two, the store is
    /// encrypted to one of the two lists, and the next write settles it.
    pub fn reencrypt(&self, recipients: Vec<String>, now: Timestamp) -> Result<Document> {
        let lock = self.lock()?;
        self.reencrypt_locked(&lock, recipients, now)
    }

    /// `reencrypt`, under a lock the caller holds.
    pub fn reencrypt_locked(
        &self,
        held: &Held,
        recipients: Vec<String>,
        now: Timestamp,
    ) -> Result<Document> {
        self.ledger.check(held);
        let settings = Settings {
            recipients,
            ..self.settings.clone()
        };
        let updated = Profile::with_settings(&self.access, &self.name, settings)?.quiet(self.quiet);
        let snapshot = updated.store().rewrite()?;
        updated.settings.write(&self.access.dirs, &self.name)?;
        updated.ledger.record(held, updated.store(), &snapshot, now);
        Ok(snapshot.doc)
    }

    /// `load`, under a lock the caller holds: the metadata cache is brought
    /// up to date with what was read (a plain `load` does that only when
    /// no writer holds the lock).
    pub fn load_locked(&self, held: &Held, now: Timestamp) -> Result<Document> {
        let snapshot = self.store.read().map_err(|e| self.explain(e))?;
        self.ledger
            .refresh_locked(held, self.store(), &snapshot, now);
        Ok(snapshot.doc)
    }

    /// The identity file that opens this profile's store, refusing the
    /// other places an identity can be; `keychain_hint` says what to do for
    /// a keychain-held one.
    pub fn identity_file(&self, keychain_hint: &str) -> Result<PathBuf> {
        match self.settings.identity_source() {
            Some(IdentitySource::File(path)) => Ok(path),
            Some(IdentitySource::Keychain(_)) => Err(Error::usage(
                format!("the identity of profile '{}' is in the keychain", self.name),
                keychain_hint,
            )),
            None => Err(Error::usage(
                format!(
                    "profile '{}' uses the keychain backend, which has no identity",
                    self.name
                ),
                "identities belong to file-backend profiles",
            )),
        }
    }
}
