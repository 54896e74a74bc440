//! The non-secret metadata cache: each profile's names, flags and expiry in
//! the state directory, rewritten on every write and never holding a value.
//! `status` and (later) `check` and the expiry reminders read only this, so
//! they need no unlock and cost a file read.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::private_fs;
use crate::store::document::TokenFacts;
use crate::store::{Backend, Document, StoreInfo};

const VERSION: u32 = 1;

/// What the cache knows of one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub version: u32,
    pub profile: String,
    pub backend: Backend,
    pub store: String,
    /// The store's fingerprint when this was written; a different one now
    /// means the store changed underneath (a `git pull`, another machine).
    pub fingerprint: Option<String>,
    pub written_at: Timestamp,
    pub variables: BTreeMap<String, VarMeta>,
}

/// The non-secret facts of one variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarMeta {
    pub secret: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenFacts>,
}

impl Metadata {
    /// The metadata of `doc`. Takes the document by reference and copies
    /// only names, flags and times: there is no path by which a value gets in.
    pub fn of(
        profile: &str,
        info: &StoreInfo,
        fingerprint: Option<String>,
        doc: &Document,
        now: Timestamp,
    ) -> Metadata {
        let variables = doc
            .variables
            .iter()
            .map(|(name, var)| {
                let meta = VarMeta {
                    secret: var.secret,
                    created_at: var.created_at,
                    updated_at: var.updated_at,
                    // For a token bscred renews by itself, the date the user
                    // must act: when its refresh token expires. `check`,
                    // `status` and the calendar read this, and must not
                    // call an 8-hour token "expiring" every day.
                    expires_at: var.reminder_expiry(),
                    token: var.token.clone(),
                };
                (name.to_string(), meta)
            })
            .collect();
        Metadata {
            version: VERSION,
            profile: profile.to_string(),
            backend: info.backend,
            store: info.location.clone(),
            fingerprint,
            written_at: now,
            variables,
        }
    }

    /// Records the variables of a change appended without decrypting the
    /// store (`Store::append`): what `set` would have recorded, except that
    /// an expiry is kept only when the change gives one, since whether the
    /// value is the same as before cannot be told without decrypting.
    pub fn record_change(&mut self, change: &Document, now: Timestamp) {
        for (name, var) in &change.variables {
            let created_at = self
                .variables
                .get(name.as_str())
                .map_or(var.created_at, |old| old.created_at);
            self.variables.insert(
                name.to_string(),
                VarMeta {
                    secret: var.secret,
                    created_at,
                    updated_at: var.updated_at,
                    expires_at: var.expires_at,
                    token: None,
                },
            );
        }
        self.written_at = now;
    }

    /// Reads the cache; `Ok(None)` when there is none (or it is from a newer
    /// version, or unreadable: it is only a cache, rebuilt on the next read).
    pub fn read(path: &Path) -> Option<Metadata> {
        let bytes = fs::read(path).ok()?;
        let meta: Metadata = serde_json::from_slice(&bytes).ok()?;
        (meta.version == VERSION).then_some(meta)
    }

    /// Only the cache's fingerprint (`Some(None)`: a cache without one);
    /// `None` as `read` gives it. What every `env` and `exec` asks to know
    /// whether the cache is current: the variables are skipped, not
    /// parsed, which at 10,000 of them is most of the cost of reading it.
    pub fn read_fingerprint(path: &Path) -> Option<Option<String>> {
        #[derive(Deserialize)]
        struct Head {
            version: u32,
            #[serde(default)]
            fingerprint: Option<String>,
        }
        let bytes = fs::read(path).ok()?;
        let head: Head = serde_json::from_slice(&bytes).ok()?;
        (head.version == VERSION).then_some(head.fingerprint)
    }

    /// Replaces the cache file atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::io("cannot serialise the metadata cache")(e.into()))?;
        bytes.push(b'\n');
        private_fs::write_atomic(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn holds_names_and_flags_but_never_a_value() {
        let mut doc = Document::default();
        let now = Timestamp::UNIX_EPOCH;
        let value = Secret::new("ghp_value_that_must_not_leak".into()).expect("valid");
        doc.upsert(
            "GITHUB_TOKEN".parse().expect("name"),
            value,
            true,
            Some(now),
            now,
        );
        let info = StoreInfo {
            backend: Backend::File,
            location: "/s.age".to_string(),
        };
        let meta = Metadata::of("default", &info, Some("1:2".into()), &doc, now);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.json");
        meta.write(&path).expect("write");
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.contains("GITHUB_TOKEN"));
        assert!(!text.contains("must_not_leak"));
        assert_eq!(Metadata::read(&path), Some(meta));
    }

    #[test]
    fn the_fingerprint_alone_reads_as_the_whole_cache_gives_it() {
        let now = Timestamp::UNIX_EPOCH;
        let info = StoreInfo {
            backend: Backend::File,
            location: "/s.age".to_string(),
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.json");
        assert_eq!(Metadata::read_fingerprint(&path), None, "no cache");
        for fingerprint in [Some("12:345".to_string()), None] {
            let meta = Metadata::of("p", &info, fingerprint.clone(), &Document::default(), now);
            meta.write(&path).expect("write");
            assert_eq!(Metadata::read_fingerprint(&path), Some(fingerprint));
        }
        // Another version's cache, or not JSON: no usable cache, as `read`.
        let text = fs::read_to_string(&path).expect("read");
        fs::write(
            &path,
            text.replace(&format!("\"version\": {VERSION}"), "\"version\": 999"),
        )
        .expect("write");
        assert_eq!(Metadata::read(&path), None);
        assert_eq!(Metadata::read_fingerprint(&path), None);
        fs::write(&path, b"{not json").expect("write");
        assert_eq!(Metadata::read_fingerprint(&path), None);
    }

    #[test]
    fn a_damaged_cache_is_just_absent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.json");
        fs::write(&path, "{not json").expect("write");
        assert_eq!(Metadata::read(&path), None);
    }
}
