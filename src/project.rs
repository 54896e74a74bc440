//! The project file `.bscred.toml`, found by walking up from the working
//! directory, which names the profile a project uses.
//!
//! For now it only chooses a profile name, which cannot put anything into an
//! environment by itself; settings that can (a store inside the repo) will
//! need `bscred allow` first, as DESIGN ("Project files are not trusted
//! blindly") requires.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The name of the project file.
pub const FILE_NAME: &str = ".bscred.toml";

/// What a project file may say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// The profile to use inside this project.
    pub profile: Option<String>,
}

/// The nearest project file at or above `start`, parsed.
pub fn find(start: &Path) -> Result<Option<(PathBuf, ProjectFile)>> {
    for dir in start.ancestors() {
        let path = dir.join(FILE_NAME);
        match fs::read_to_string(&path) {
            Ok(text) => {
                let file = toml::from_str(&text).map_err(|e| Error::Config {
                    path: path.clone(),
                    reason: e.message().to_string(),
                })?;
                return Ok(Some((path, file)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            // A directory we may not read stops nothing: keep walking up.
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => continue,
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()))(e)),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_file_up_the_tree_wins() {
        let root = tempfile::tempdir().expect("tempdir");
        let inner = root.path().join("a/b");
        fs::create_dir_all(&inner).expect("mkdir");
        fs::write(root.path().join(FILE_NAME), "profile = \"outer\"\n").expect("write");
        fs::write(
            root.path().join("a").join(FILE_NAME),
            "profile = \"inner\"\n",
        )
        .expect("write");
        let (path, file) = find(&inner).expect("ok").expect("found");
        assert_eq!(path, root.path().join("a").join(FILE_NAME));
        assert_eq!(file.profile.as_deref(), Some("inner"));
    }

    #[test]
    fn malformed_file_is_a_config_error_naming_it() {
        let root = tempfile::tempdir().expect("tempdir");
        fs::write(root.path().join(FILE_NAME), "profile = [").expect("write");
        let error = find(root.path()).expect_err("malformed");
        assert!(error.to_string().contains(FILE_NAME));
        assert_eq!(error.exit().code(), 1);
    }

    #[test]
    fn unknown_keys_are_reported() {
        let root = tempfile::tempdir().expect("tempdir");
        fs::write(root.path().join(FILE_NAME), "profle = \"x\"").expect("write");
        assert!(find(root.path()).is_err());
    }
}
