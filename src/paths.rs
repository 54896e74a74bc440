//! Where bscred keeps its files: XDG directories on Linux, the platform's
//! usual places elsewhere, or everything under `BSCRED_HOME` when it is set.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::profile_name::ProfileName;

/// The three roots bscred writes under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    /// Settings: per-profile settings, the user's config.
    pub config: PathBuf,
    /// Data: identities and encrypted stores.
    pub data: PathBuf,
    /// State: the metadata cache and lock files, safe to delete.
    pub state: PathBuf,
}

impl Dirs {
    /// Everything under one directory, as `BSCRED_HOME` asks.
    pub fn under(home: &Path) -> Dirs {
        Dirs {
            config: home.join("config"),
            data: home.join("data"),
            state: home.join("state"),
        }
    }

    /// Resolves the roots from the environment, read through `var` so tests
    /// can pass their own.
    pub fn resolve(var: impl Fn(&str) -> Option<OsString>) -> Result<Dirs> {
        // Only absolute paths count: the XDG Base Directory spec says a
        // relative value is invalid and must be ignored.
        let absolute = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
        if let Some(home) = var("BSCRED_HOME").filter(|v| !v.is_empty()) {
            let home = PathBuf::from(home);
            if !home.is_absolute() {
                return Err(Error::usage(
                    "BSCRED_HOME must be an absolute path",
                    "set it to a full path such as $HOME/.bscred, or unset it",
                ));
            }
            return Ok(Dirs::under(&home));
        }
        // Windows has USERPROFILE where Unix has HOME.
        let home = absolute("HOME")
            .or_else(|| absolute("USERPROFILE").filter(|_| cfg!(windows)))
            .ok_or_else(|| {
                Error::usage(
                    "cannot find your home directory: HOME is not set",
                    "set HOME, or set BSCRED_HOME to the directory bscred should use",
                )
            })?;
        Ok(platform_dirs(&home, absolute))
    }

    /// The settings file that records a profile's backend and identity.
    pub fn profile_settings(&self, profile: &ProfileName) -> PathBuf {
        self.config
            .join("profiles")
            .join(format!("{}.toml", profile.as_str()))
    }

    /// The file backend's encrypted store for a profile.
    pub fn profile_store(&self, profile: &ProfileName) -> PathBuf {
        self.data
            .join("profiles")
            .join(format!("{}.age", profile.as_str()))
    }

    /// The encrypted offline copy of a vault-backed profile's last read.
    pub fn offline_copy(&self, profile: &ProfileName) -> PathBuf {
        self.data
            .join("offline")
            .join(format!("{}.age", profile.as_str()))
    }

    /// The Vault token `bscred vault login` got for `profile`, encrypted.
    pub fn vault_login(&self, profile: &ProfileName) -> PathBuf {
        self.data
            .join("vault-login")
            .join(format!("{}.age", profile.as_str()))
    }

    /// What is not secret about that token (its expiry), for `status`.
    pub fn vault_login_record(&self, profile: &ProfileName) -> PathBuf {
        self.state
            .join("vault-login")
            .join(format!("{}.json", profile.as_str()))
    }

    /// The identity `init` creates when none is named.
    pub fn default_identity(&self) -> PathBuf {
        self.data.join("identity.txt")
    }

    /// The non-secret metadata cache of a profile.
    pub fn metadata(&self, profile: &ProfileName) -> PathBuf {
        self.metadata_dir()
            .join(format!("{}.json", profile.as_str()))
    }

    /// The note `profiles rename` keeps while it moves `profile`'s files:
    /// it holds the new name, and is gone once the rename is complete.
    pub fn rename_journal(&self, profile: &ProfileName) -> PathBuf {
        self.state
            .join("renames")
            .join(format!("{}.to", profile.as_str()))
    }

    /// The lock every writer of the identity file at `identity` holds, so
    /// that the leftovers of a killed writer can be told from a live one's
    /// temporary file.
    pub fn identity_lock(&self, identity: &Path) -> PathBuf {
        let id = short_id(identity.as_os_str().as_encoded_bytes());
        self.state.join("locks").join(format!("identity-{id}.lock"))
    }

    /// The lock file serialising writes to a profile's store.
    pub fn lock(&self, profile: &ProfileName) -> PathBuf {
        self.state
            .join("locks")
            .join(format!("{}.lock", profile.as_str()))
    }

    /// The lock serialising this user's writes to the team store at `store`
    /// (its physical path).
    pub fn team_lock(&self, store: &Path) -> PathBuf {
        let id = short_id(store.as_os_str().as_encoded_bytes());
        self.state.join("locks").join(format!("team-{id}.lock"))
    }

    /// The names-only cache of the team store at `store`, as last read or
    /// written here; its `store` field says where to look again.
    pub fn team_metadata(&self, store: &Path) -> PathBuf {
        let id = short_id(store.as_os_str().as_encoded_bytes());
        self.metadata_dir().join(format!("team-{id}.json"))
    }

    /// Where every metadata cache lives.
    pub fn metadata_dir(&self) -> PathBuf {
        self.state.join("metadata")
    }
}

#[cfg(not(any(target_os = "macos", windows)))]
fn platform_dirs(home: &Path, absolute: impl Fn(&str) -> Option<PathBuf>) -> Dirs {
    let xdg = |name: &str, fallback: &str| {
        absolute(name)
            .unwrap_or_else(|| home.join(fallback))
            .join("bscred")
    };
    Dirs {
        config: xdg("XDG_CONFIG_HOME", ".config"),
        data: xdg("XDG_DATA_HOME", ".local/share"),
        state: xdg("XDG_STATE_HOME", ".local/state"),
    }
}

#[cfg(target_os = "macos")]
fn platform_dirs(home: &Path, _absolute: impl Fn(&str) -> Option<PathBuf>) -> Dirs {
    let support = home.join("Library/Application Support/bscred");
    Dirs {
        config: support.join("config"),
        data: support.join("data"),
        state: support.join("state"),
    }
}

#[cfg(windows)]
fn platform_dirs(home: &Path, absolute: impl Fn(&str) -> Option<PathBuf>) -> Dirs {
    let local = absolute("LOCALAPPDATA")
        .unwrap_or_else(|| home.join("AppData/Local"))
        .join("bscred");
    Dirs {
        config: local.join("config"),
        data: local.join("data"),
        state: local.join("state"),
    }
}

/// A short hex id of `bytes` (the first 6 bytes of their SHA-256), for
/// names that must be stable and distinct but need not be secret.
pub fn short_id(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(pairs: &[(&str, &str)]) -> Result<Dirs> {
        let env: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Dirs::resolve(|name| env.get(name).cloned())
    }

    #[test]
    fn bscred_home_puts_everything_under_one_directory() {
        // An absolute path on this platform (`/b` has no drive on Windows).
        let b = if cfg!(windows) { r"C:\b" } else { "/b" };
        let dirs = resolve(&[("BSCRED_HOME", b), ("HOME", "/h")]).expect("resolves");
        assert_eq!(dirs.config, Path::new(b).join("config"));
        assert_eq!(dirs.data, Path::new(b).join("data"));
        assert_eq!(dirs.state, Path::new(b).join("state"));
    }

    #[cfg(windows)]
    #[test]
    fn windows_uses_local_app_data_and_falls_back_to_the_profile() {
        let dirs = resolve(&[
            ("USERPROFILE", r"C:\Users\o"),
            ("LOCALAPPDATA", r"D:\Local"),
        ])
        .expect("resolves");
        assert_eq!(dirs.config, PathBuf::from(r"D:\Local\bscred\config"));
        assert_eq!(dirs.data, PathBuf::from(r"D:\Local\bscred\data"));
        assert_eq!(dirs.state, PathBuf::from(r"D:\Local\bscred\state"));
    }

    #[test]
    fn relative_bscred_home_is_a_usage_error() {
        let error = resolve(&[("BSCRED_HOME", "rel")]).expect_err("refused");
        assert_eq!(error.exit().code(), 2);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn xdg_variables_are_honoured_and_relative_ones_ignored() {
        let dirs = resolve(&[
            ("HOME", "/h"),
            ("XDG_CONFIG_HOME", "/c"),
            ("XDG_DATA_HOME", "relative"),
        ])
        .expect("resolves");
        assert_eq!(dirs.config, PathBuf::from("/c/bscred"));
        assert_eq!(dirs.data, PathBuf::from("/h/.local/share/bscred"));
        assert_eq!(dirs.state, PathBuf::from("/h/.local/state/bscred"));
    }

    #[test]
    fn no_home_at_all_is_explained() {
        let error = resolve(&[]).expect_err("no home");
        assert!(error.to_string().contains("HOME"));
    }
}
