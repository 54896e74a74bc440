//! The project files the user has allowed, each pinned to the SHA-256 of
//! the content they read (as direnv does): a changed file needs allowing
//! again before it takes effect. Each entry also keeps the team-store
//! variables the file declared when it was allowed, so the next `allow`
//! can say which names are new.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::paths::Dirs;
use crate::private_fs;
use crate::secret::VarName;

/// Where a project file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Allowed with exactly this content.
    Allowed,
    /// Never allowed.
    Unknown,
    /// Allowed once, but the content changed since.
    Changed,
}

/// The allow list, stored in the data directory (it is a decision of the
/// user's, not a cache).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AllowList {
    /// Absolute path → what was allowed there.
    files: BTreeMap<PathBuf, Entry>,
}

/// One allowed project file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "Stored")]
struct Entry {
    /// SHA-256 (hex) of the allowed content.
    sha256: String,
    /// The names its `variables` declared then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    variables: Vec<String>,
}

/// An entry as read: the bare hash earlier versions wrote, or the entry.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Hash(String),
    Entry {
        sha256: String,
        #[serde(default)]
        variables: Vec<String>,
    },
}

impl From<Stored> for Entry {
    fn from(stored: Stored) -> Entry {
        match stored {
            Stored::Hash(sha256) => Entry {
                sha256,
                variables: Vec::new(),
            },
            Stored::Entry { sha256, variables } => Entry { sha256, variables },
        }
    }
}

impl AllowList {
    fn path(dirs: &Dirs) -> PathBuf {
        dirs.data.join("allowed.json")
    }

    /// Reads the list; a missing one is empty.
    pub fn read(dirs: &Dirs) -> Result<AllowList> {
        let path = AllowList::path(dirs);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Config {
                path,
                reason: format!("it is not a valid allow list ({e})"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AllowList::default()),
            Err(e) => Err(Error::io(format!("cannot read {}", path.display()))(e)),
        }
    }

    /// Saves the list.
    pub fn write(&self, dirs: &Dirs) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::io("cannot serialise the allow list")(e.into()))?;
        bytes.push(b'\n');
        private_fs::write_atomic(&AllowList::path(dirs), &bytes)
    }

    /// Whether `path` with content `bytes` is allowed.
    pub fn standing(&self, path: &Path, bytes: &[u8]) -> Standing {
        match self.files.get(path) {
            Some(entry) if entry.sha256 == digest(bytes) => Standing::Allowed,
            Some(_) => Standing::Changed,
            None => Standing::Unknown,
        }
    }

    /// Allows `path` with content `bytes`, which declares `variables`.
    pub fn allow(&mut self, path: &Path, bytes: &[u8], variables: &[VarName]) {
        let entry = Entry {
            sha256: digest(bytes),
            variables: variables.iter().map(VarName::to_string).collect(),
        };
        self.files.insert(path.to_path_buf(), entry);
    }

    /// The team-store variables `path` declared when it was last allowed
    /// (none when it never was).
    pub fn declared(&self, path: &Path) -> &[String] {
        self.files.get(path).map_or(&[], |e| &e.variables)
    }

    /// Withdraws `path`; `false` when it was not on the list.
    pub fn deny(&mut self, path: &Path) -> bool {
        self.files.remove(path).is_some()
    }
}

fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowing_pins_the_content() {
        let mut list = AllowList::default();
        let path = Path::new("/p/.bscred.toml");
        assert_eq!(list.standing(path, b"a"), Standing::Unknown);
        list.allow(path, b"a", &[]);
        assert_eq!(list.standing(path, b"a"), Standing::Allowed);
        assert_eq!(list.standing(path, b"b"), Standing::Changed);
        assert_eq!(
            list.standing(Path::new("/q/.bscred.toml"), b"a"),
            Standing::Unknown
        );
        assert!(list.deny(path));
        assert!(!list.deny(path));
        assert_eq!(list.standing(path, b"a"), Standing::Unknown);
    }

    #[test]
    fn the_list_survives_a_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dirs = Dirs {
            config: dir.path().join("c"),
            data: dir.path().join("d"),
            state: dir.path().join("s"),
        };
        let mut list = AllowList::read(&dirs).expect("empty");
        let name: VarName = "AUTH_GITHUB_CLIENT_ID".parse().expect("name");
        list.allow(Path::new("/p/.bscred.toml"), b"x", &[name]);
        list.write(&dirs).expect("write");
        let back = AllowList::read(&dirs).expect("read");
        assert_eq!(
            back.standing(Path::new("/p/.bscred.toml"), b"x"),
            Standing::Allowed
        );
        assert_eq!(
            back.declared(Path::new("/p/.bscred.toml")),
            ["AUTH_GITHUB_CLIENT_ID"]
        );
    }

    #[test]
    fn a_list_from_before_declarations_still_reads() {
        let old = br#"{"files": {"/p/.bscred.toml": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"}}"#;
        let list: AllowList = serde_json::from_slice(old).expect("reads");
        assert_eq!(
            list.standing(Path::new("/p/.bscred.toml"), b"x"),
            Standing::Allowed
        );
        assert!(list.declared(Path::new("/p/.bscred.toml")).is_empty());
    }
}
