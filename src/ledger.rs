//! A store's ledger: the lock that serialises its writers and the metadata
//! cache that describes it. They belong together because the cache may only
//! be written under the lock (else a slow reader could record an old store
//! over a writer's newer cache). Each profile (`profile.rs`) and the team
//! store (`team.rs`) owns one; backends (`src/store`) never lock.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::error::{Error, Result};
use crate::metadata::Metadata;
use crate::paths::Dirs;
use crate::private_fs::{self, Lock};
use crate::profile_name::ProfileName;
use crate::store::{Document, Snapshot, Store};

/// The lock and the metadata cache of one store.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// What the cache calls the store: a profile's name, or "team".
    label: String,
    /// How a warning names the store.
    shown: String,
    lock_path: PathBuf,
    metadata_path: PathBuf,
    /// Whether notices and warnings are silenced (`-q`).
    quiet: bool,
}

/// Proof that this process holds a ledger's lock, until dropped. Locks are
/// not re-entrant (a second `flock` from this process would wait for
/// itself), so a command that holds one across several steps passes this
/// down to the `_locked` forms instead of locking again.
#[derive(Debug)]
pub struct Held {
    lock_path: PathBuf,
    _lock: Lock,
}

impl Ledger {
    /// The ledger of the profile `name`, which need not exist yet (a
    /// rename's new name is locked before it is written).
    pub fn of_profile(dirs: &Dirs, name: &ProfileName) -> Ledger {
        Ledger {
            label: name.to_string(),
            shown: format!("profile '{name}'"),
            lock_path: dirs.lock(name),
            metadata_path: dirs.metadata(name),
            quiet: false,
        }
    }

    /// The ledger of the team store at `store` (its physical path), shown
    /// in warnings as `shown`.
    pub fn of_team(dirs: &Dirs, store: &Path, shown: String) -> Ledger {
        Ledger {
            label: "team".to_string(),
            shown,
            lock_path: dirs.team_lock(store),
            metadata_path: dirs.team_metadata(store),
            quiet: false,
        }
    }

    /// The same ledger, its notices silenced or not (`-q`).
    pub fn quiet(mut self, quiet: bool) -> Ledger {
        self.quiet = quiet;
        self
    }

    /// Takes the lock, waiting for another writer (saying so, unless quiet).
    pub fn lock(&self) -> Result<Held> {
        Ok(Held {
            lock_path: self.lock_path.clone(),
            _lock: Lock::acquire(&self.lock_path, self.quiet)?,
        })
    }

    /// A lock passed for another store is a bug in bscred, not a state to
    /// handle.
    pub fn check(&self, held: &Held) {
        assert_eq!(
            held.lock_path, self.lock_path,
            "a write was passed another store's lock"
        );
    }

    /// The cache as last written; `None` before the first write, or when
    /// it is unreadable (it is rebuilt on the next read).
    pub fn cached(&self) -> Option<Metadata> {
        Metadata::read(&self.metadata_path)
    }

    /// Whether the cache describes what `store` gave in `snapshot`. A store
    /// that cannot tell cheaply whether it changed (the keychain, written
    /// only by bscred, and every write records) is trusted once cached.
    pub fn describes(&self, store: &dyn Store, snapshot: &Snapshot) -> bool {
        match Metadata::read_fingerprint(&self.metadata_path) {
            None => false,
            Some(_) if store.fingerprint().is_none() && !store.changes_elsewhere() => true,
            Some(fingerprint) => fingerprint == snapshot.fingerprint,
        }
    }

    /// After a read that took no lock: records `snapshot` when the cache
    /// does not describe it, but only if the lock is free now and no writer
    /// got in between (else the writer's own, newer cache stands). A read
    /// never waits for a writer or fails because of the cache.
    pub fn refresh(&self, store: &dyn Store, snapshot: &Snapshot, now: Timestamp) {
        if self.describes(store, snapshot) {
            return;
        }
        let Ok(Some(lock)) = Lock::try_acquire(&self.lock_path) else {
            return;
        };
        let held = Held {
            lock_path: self.lock_path.clone(),
            _lock: lock,
        };
        let unchanged = match store.fingerprint() {
            Some(current) => Some(current) == snapshot.fingerprint,
            // A store others write (a Vault secret) has no "latest write"
            // this machine could know of: the newest read is recorded.
            None => self.cached().is_none() || store.changes_elsewhere(),
        };
        if unchanged {
            let _ = self.write(&held, store, snapshot, now);
        }
    }

    /// `refresh`, under a lock the caller holds: the cache is brought up to
    /// date with what was read.
    pub fn refresh_locked(
        &self,
        held: &Held,
        store: &dyn Store,
        snapshot: &Snapshot,
        now: Timestamp,
    ) {
        if !self.describes(store, snapshot) {
            self.record(held, store, snapshot, now);
        }
    }

    /// Records a write that has happened. The store is the truth and
    /// already holds it: a cache that cannot be written (a full disk, a
    /// state directory gone read-only) is a warning, never a failed command
    /// that makes the user write again.
    pub fn record(&self, held: &Held, store: &dyn Store, snapshot: &Snapshot, now: Timestamp) {
        if let Err(e) = self.write(held, store, snapshot, now) {
            self.cache_failed(&e);
        }
    }

    /// Records a change appended without decrypting the store, when there
    /// is a cache to add it to.
    pub fn record_change(&self, held: &Held, change: &Document, now: Timestamp) {
        self.check(held);
        if let Some(mut meta) = self.cached() {
            meta.record_change(change, now);
            if let Err(e) = meta.write(&self.metadata_path) {
                self.cache_failed(&e);
            }
        }
    }

    /// Writes the cache for `snapshot`; under the lock, so the leftovers of
    /// a killed writer can be cleared safely.
    fn write(
        &self,
        held: &Held,
        store: &dyn Store,
        snapshot: &Snapshot,
        now: Timestamp,
    ) -> Result<()> {
        self.check(held);
        let meta = Metadata::of(
            &self.label,
            &store.info(),
            snapshot.fingerprint.clone(),
            &snapshot.doc,
            now,
        );
        private_fs::remove_stale_temps(&self.metadata_path);
        meta.write(&self.metadata_path)
    }

    fn cache_failed(&self, error: &Error) {
        if !self.quiet {
            let cause =
                std::error::Error::source(error).map_or(String::new(), |c| format!(": {c}"));
            crate::terminal::warn(&format!(
                "{} is written, but its metadata cache is not ({error}{cause}); `status`, `check` and reminders may be out of date until the next write",
                self.shown
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Access;
    use crate::identity::{Identity, IdentitySource};
    use crate::store::file::FileStore;

    #[test]
    fn a_read_records_the_cache_only_when_no_writer_holds_the_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dirs = Dirs::under(dir.path());
        let access = Access::with_defaults(&dirs);
        let source = IdentitySource::File(dir.path().join("identity.txt"));
        let identity =
            Identity::generate(&source, Timestamp::UNIX_EPOCH, None, &access).expect("identity");
        let store = FileStore::new(
            dir.path().join("s.age"),
            source,
            identity.recipients(),
            &access,
        );
        store.create(&Document::default()).expect("create");
        let ledger = Ledger::of_profile(&dirs, &"work".parse().expect("name")).quiet(true);
        let snapshot = store.read().expect("read");

        let writer = ledger.lock().expect("lock");
        ledger.refresh(&store, &snapshot, Timestamp::UNIX_EPOCH);
        assert_eq!(
            ledger.cached(),
            None,
            "a writer holds the lock: its cache stands"
        );
        drop(writer);

        ledger.refresh(&store, &snapshot, Timestamp::UNIX_EPOCH);
        let cached = ledger.cached().expect("recorded once the lock is free");
        assert_eq!(cached.profile, "work");
        assert_eq!(cached.fingerprint, snapshot.fingerprint);
        assert!(ledger.describes(&store, &snapshot));
    }

    #[test]
    #[should_panic(expected = "another store's lock")]
    fn a_lock_passed_for_another_store_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dirs = Dirs::under(dir.path());
        let one = Ledger::of_profile(&dirs, &"one".parse().expect("name"));
        let other = Ledger::of_team(&dirs, &dir.path().join("team.age"), "team".into());
        let held = one.lock().expect("lock");
        other.check(&held);
    }
}
