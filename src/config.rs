//! The user's own configuration, `config.toml` in bscred's config directory:
//! settings that apply to every profile and project.

use std::fs;
use std::path::PathBuf;

use serde::Deserialize;

use crate::error::Error;
use crate::paths::Dirs;
use crate::secret::VarName;

/// What the user's config may say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Days before an expiry that reminders start (default 14); a project's
    /// `.bscred.toml` may say otherwise for its profile.
    pub warn_days: Option<u32>,
    /// Minutes an unlocked passphrase-protected identity stays in the
    /// session cache (default 15); 0 turns the cache off.
    pub unlock_minutes: Option<u32>,
    /// Variables that run code (`code_variables.rs`) which a team store may
    /// set anyway, by name: `allow_variables = ["PATH"]`. The user's
    /// decision, so it lives here and never in a project file.
    #[serde(default)]
    pub allow_variables: Vec<VarName>,
}

impl UserConfig {
    /// Where the config lives, for hints.
    pub fn path(dirs: &Dirs) -> PathBuf {
        dirs.config.join("config.toml")
    }

    /// Reads the config; none at all is the defaults. The context reads it
    /// once per run and keeps the outcome (`Context::user_config`).
    pub fn read(dirs: &Dirs) -> Result<UserConfig, ConfigError> {
        let path = UserConfig::path(dirs);
        match fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigError {
                path,
                reason: e.message().to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(UserConfig::default()),
            Err(e) => Err(ConfigError {
                path,
                reason: e.to_string(),
            }),
        }
    }

    /// Minutes the session cache keeps an unlock (0: off).
    pub fn unlock_minutes(&self) -> u32 {
        self.unlock_minutes
            .unwrap_or(crate::session_cache::DEFAULT_MINUTES)
    }
}

/// Why the user's config could not be read. Kept (it is cloned into the
/// unlocker) and said by whatever needs a setting from the file: a broken
/// config fails only the commands that depend on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {}: {reason}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    pub reason: String,
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::Config {
            path: e.path,
            reason: e.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_config_is_the_defaults_and_typos_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dirs = Dirs {
            config: dir.path().to_path_buf(),
            data: dir.path().join("d"),
            state: dir.path().join("s"),
        };
        assert_eq!(
            UserConfig::read(&dirs).expect("defaults"),
            UserConfig::default()
        );
        fs::write(dir.path().join("config.toml"), "warn_days = 30\n").expect("write");
        assert_eq!(UserConfig::read(&dirs).expect("read").warn_days, Some(30));
        fs::write(
            dir.path().join("config.toml"),
            "allow_variables = [\"PATH\"]\n",
        )
        .expect("write");
        let allowed = UserConfig::read(&dirs).expect("read").allow_variables;
        assert_eq!(allowed.len(), 1);
        assert_eq!(allowed[0].as_str(), "PATH");
        fs::write(
            dir.path().join("config.toml"),
            "allow_variables = [\"A-B\"]\n",
        )
        .expect("write");
        assert!(UserConfig::read(&dirs).is_err());
        fs::write(dir.path().join("config.toml"), "warn_dayz = 30\n").expect("write");
        assert!(UserConfig::read(&dirs).is_err());
    }
}
