//! The project file `.bscred.toml`, found by walking up from the working
//! directory: which profile a project uses, which variables it requires,
//! and the team store it keeps in the repository.
//!
//! A project file arrives with a clone, and it chooses what lands in a
//! shell's environment, so it takes effect only once the user has allowed
//! that exact content (`bscred allow`, see `allow.rs`; docs/SECURITY.md,
//! "Project files that came with a clone").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::private_fs::{self, Regular};
use crate::profile_name::ProfileName;
use crate::secret::VarName;

/// The name of the project file.
pub const FILE_NAME: &str = ".bscred.toml";

/// The newest project-file version this build understands.
pub const VERSION: u32 = 1;

/// The four variables a Backstage app reads, required by the project file
/// `init` writes in a Backstage project.
pub const BACKSTAGE_REQUIRED: [&str; 4] = [
    "GITHUB_TOKEN",
    "GITHUB_USERNAME",
    "USER_DISPLAY_NAME",
    "USER_EMAIL",
];

/// A parsed, validated project file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub path: PathBuf,
    /// The profile the project uses, if it names one.
    pub profile: Option<ProfileName>,
    /// Further profiles `env` and `exec` merge after `profile` (`profiles =
    /// ["personal", "team"]` names both).
    pub also: Vec<ProfileName>,
    /// Variables `env` and `exec` refuse to run without. They declare
    /// nothing: a required name the team store holds but `variables` does
    /// not list is still left out.
    pub required: Vec<VarName>,
    /// The names the team store may export (`variables = ["A", "B"]`);
    /// `None` when the file has no such line, and then it exports none.
    pub variables: Option<Vec<VarName>>,
    /// Days before an expiry that reminders start, for this project.
    pub warn_days: Option<u32>,
    /// The team store (`store = ".bscred/team.age"`), relative to the
    /// project file's directory; checked to stay inside it (see `team.rs`
    /// for the checks only the file system can answer).
    pub store: Option<PathBuf>,
    /// Keys this version does not know (from a newer bscred, or typos).
    pub unknown_keys: Vec<String>,
}

/// The file as written; kept open to keys later versions add.
#[derive(Deserialize)]
struct Raw {
    #[serde(default = "first_version")]
    version: u32,
    profile: Option<String>,
    /// Several profiles for `env` and `exec`, merged in order.
    profiles: Option<Vec<String>>,
    #[serde(default)]
    required: Vec<String>,
    variables: Option<Vec<String>>,
    warn_days: Option<u32>,
    store: Option<String>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

fn first_version() -> u32 {
    1
}

/// A project file is a few lines; anything larger is not one.
const MAX_BYTES: u64 = 64 * 1024;

/// The nearest project file at or above `start`: its bytes, or why it
/// cannot be one (`Err`: a directory, a FIFO, a device, too large). Such a
/// file came with a clone or from another user (`/tmp/.bscred.toml`), so it
/// must never block, eat stdin or fill memory: it is opened without
/// blocking, checked on the open handle, and read only up to the limit.
pub fn locate(start: &Path) -> Option<(PathBuf, Result<Vec<u8>, String>)> {
    start.ancestors().find_map(|dir| {
        let path = dir.join(FILE_NAME);
        read(&path).map(|found| (path, found))
    })
}

/// The project file at `path`, as `locate` reads it; `None` when there is
/// none.
pub fn read(path: &Path) -> Option<Result<Vec<u8>, String>> {
    match private_fs::read_regular(path, MAX_BYTES) {
        Ok(Regular::Missing) => None,
        Ok(Regular::NotRegular | Regular::Symlink) => {
            Some(Err("it is not a regular file".to_string()))
        }
        Ok(Regular::TooLarge) => Some(Err(format!("it is larger than {} KiB", MAX_BYTES / 1024))),
        Ok(Regular::Foreign(uid)) => Some(Err(format!(
            "it belongs to another user (uid {uid}), who chose what it says; bscred reads such files only when you own them"
        ))),
        Ok(Regular::Bytes(bytes)) => Some(Ok(bytes)),
        // A directory we may not read hides nothing from us: keep going.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => None,
        Err(e) => Some(Err(format!("it cannot be read ({e})"))),
    }
}

/// Parses and validates a project file's bytes.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Project> {
    let bad = |reason: String| Error::Config {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| bad("it is not UTF-8 text".into()))?;
    let raw: Raw = toml::from_str(text).map_err(|e| bad(e.message().to_string()))?;
    if raw.version > VERSION {
        return Err(bad(format!(
            "it is version {}, and this bscred understands up to version {VERSION}; upgrade bscred",
            raw.version
        )));
    }
    // A Vault token goes only to the addresses the user gave at `init`: a
    // project file may name a vault-backed profile, never a server or any
    // other Vault setting, so one that tries is refused, not ignored (an
    // ignored line would look to its reader as if it took effect).
    if let Some(key) = raw.other.keys().find(|k| names_a_server(k)) {
        return Err(Error::Refused {
            message: format!(
                "{} sets `{key}`: a project file may name a profile, never a Vault server or its settings",
                path.display()
            ),
            hint: "a Vault token goes only to the addresses given at `bscred init --vault-addr`; name the vault-backed profile with profile = \"NAME\" and remove the line".to_string(),
        });
    }
    let named = |p: String| p.parse::<ProfileName>().map_err(bad);
    let (profile, also) = match (raw.profile, raw.profiles) {
        (Some(_), Some(_)) => {
            return Err(bad("it sets both `profile` and `profiles`; keep one".into()));
        }
        (Some(one), None) => (Some(named(one)?), Vec::new()),
        (None, Some(list)) => {
            let mut list = list
                .into_iter()
                .map(named)
                .collect::<Result<Vec<_>>>()?
                .into_iter();
            (list.next(), list.collect())
        }
        (None, None) => (None, Vec::new()),
    };
    let names = |key: &str, list: &[String]| {
        list.iter()
            .map(|n| {
                n.parse::<VarName>()
                    .map_err(|e| bad(format!("in `{key}`: {e}")))
            })
            .collect::<Result<Vec<_>>>()
    };
    let required = names("required", &raw.required)?;
    let variables = raw
        .variables
        .map(|list| names("variables", &list))
        .transpose()?;
    let store = raw
        .store
        .map(|store| store_path(&store))
        .transpose()
        .map_err(|why| Error::Refused {
            message: format!(
                "`store` in {} must be an .age file inside the project: {why}",
                path.display()
            ),
            hint: "name an .age file relative to the project file's directory, such as store = \".bscred/team.age\"".to_string(),
        })?;
    Ok(Project {
        path: path.to_path_buf(),
        profile,
        also,
        required,
        variables,
        warn_days: raw.warn_days,
        store,
        unknown_keys: raw.other.into_keys().collect(),
    })
}

/// Whether a project-file key tries to choose a Vault server or its
/// settings: `vault`, `bao`, `openbao`, anything starting with `vault_`,
/// `vault-`, `bao_` or `bao-`, and any key about an address or a URL.
fn names_a_server(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    matches!(key.as_str(), "vault" | "bao" | "openbao" | "server")
        || ["vault_", "vault-", "bao_", "bao-"]
            .iter()
            .any(|p| key.starts_with(p))
        || ["addr", "url", "endpoint"].iter().any(|w| key.contains(w))
}

/// The `store` setting as a path relative to the project's directory, or
/// why it is not one. A repository chooses this path, so it may only point
/// below the project file: never absolute, never up with `..` (a symlink
/// leading out is caught where the file is opened). It ends in `.age`,
/// which keeps its recipients file (`.recipients` beside it) a different
/// file.
fn store_path(text: &str) -> Result<PathBuf, &'static str> {
    use std::path::Component;
    let path = Path::new(text);
    if path.has_root() || path.is_absolute() {
        return Err("it is an absolute path");
    }
    let mut normal = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(part) => normal.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err("it leads out with `..`"),
            Component::RootDir | Component::Prefix(_) => return Err("it is an absolute path"),
        }
    }
    if normal.extension().is_none_or(|e| e != "age") {
        return Err("it does not name an .age file");
    }
    Ok(normal)
}

/// The text of the project file `init` writes.
pub fn template(profile: &ProfileName, required: &[&str]) -> String {
    let names: Vec<String> = required.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        "# bscred project file: the profile this project uses and the variables it needs.\n\
         # Commit it. Each developer reads it and runs `bscred allow` once.\n\
         version = {VERSION}\n\
         profile = \"{profile}\"\n\
         required = [{}]\n",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use std::fs;

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
        let (path, bytes) = locate(&inner).expect("found");
        let bytes = bytes.expect("readable");
        assert_eq!(path, root.path().join("a").join(FILE_NAME));
        let project = parse(&path, &bytes).expect("parses");
        assert_eq!(
            project.profile.map(|p| p.to_string()).as_deref(),
            Some("inner")
        );
    }

    #[cfg(unix)]
    #[test]
    fn files_that_are_not_regular_are_reported_without_reading_them() {
        let root = tempfile::tempdir().expect("tempdir");
        let path = root.path().join(FILE_NAME);
        // A FIFO: opening it for reading must not block.
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        let (_, found) = locate(root.path()).expect("found");
        assert!(found.expect_err("unusable").contains("not a regular file"));
        fs::remove_file(&path).expect("rm");
        std::os::unix::fs::symlink("/dev/zero", &path).expect("link");
        let (_, found) = locate(root.path()).expect("found");
        assert!(found.expect_err("unusable").contains("not a regular file"));
        fs::remove_file(&path).expect("rm");
        fs::create_dir(&path).expect("mkdir");
        let (_, found) = locate(root.path()).expect("found");
        assert!(found.is_err());
        fs::remove_dir(&path).expect("rmdir");
        fs::write(&path, vec![b'#'; 70 * 1024]).expect("write");
        let (_, found) = locate(root.path()).expect("found");
        assert!(found.expect_err("too large").contains("larger"));
    }

    #[test]
    fn required_names_and_version_are_checked() {
        let path = Path::new("/p/.bscred.toml");
        let ok = parse(
            path,
            b"version = 1\nrequired = [\"GITHUB_TOKEN\", \"USER_EMAIL\"]\n",
        )
        .expect("parses");
        assert_eq!(ok.required.len(), 2);
        assert!(parse(path, b"required = [\"NOT-A-NAME\"]").is_err());
        let newer = parse(path, b"version = 2").expect_err("too new");
        assert!(newer.to_string().contains("upgrade"), "{newer}");
        assert!(parse(path, b"profile = [").is_err());
        assert!(parse(path, b"profile = \"../etc\"").is_err());
    }

    #[test]
    fn declared_variables_are_names_and_absent_means_none() {
        let path = Path::new("/p/.bscred.toml");
        let project = parse(path, b"variables = [\"AUTH_GITHUB_CLIENT_ID\"]\n").expect("parses");
        let declared: Vec<&str> = project
            .variables
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(VarName::as_str)
            .collect();
        assert_eq!(declared, ["AUTH_GITHUB_CLIENT_ID"]);
        assert!(project.unknown_keys.is_empty());
        assert_eq!(parse(path, b"").expect("parses").variables, None);
        assert_eq!(
            parse(path, b"variables = []").expect("parses").variables,
            Some(Vec::new())
        );
        let bad = parse(path, b"variables = [\"A-B\"]").expect_err("not a name");
        assert!(bad.to_string().contains("in `variables`"), "{bad}");
    }

    #[test]
    fn unknown_keys_are_kept_for_a_warning() {
        let project = parse(Path::new("/p/.bscred.toml"), b"colour = \"x\"\n").expect("parses");
        assert_eq!(project.unknown_keys, ["colour"]);
    }

    #[test]
    fn a_project_file_never_names_a_vault_server() {
        let path = Path::new("/p/.bscred.toml");
        for text in [
            "vault_addr = \"https://evil.example:8200\"\n",
            "VAULT_ADDR = \"https://evil.example:8200\"\n",
            "[vault]\naddrs = [\"https://evil.example:8200\"]\n",
            "bao-address = \"https://evil.example\"\n",
            "server_url = \"https://evil.example\"\n",
        ] {
            let error = parse(path, text.as_bytes()).expect_err(text);
            assert!(
                error.to_string().contains("never a Vault server"),
                "{text}: {error}"
            );
            assert!(!error.render().contains("evil.example"), "{text}: {error}");
        }
        let named = parse(path, b"profile = \"team\"\n").expect("a profile name is fine");
        assert_eq!(
            named.profile.map(|p| p.to_string()).as_deref(),
            Some("team")
        );
    }

    #[test]
    fn the_store_stays_inside_the_project() {
        let path = Path::new("/p/.bscred.toml");
        let store = |text: &str| parse(path, format!("store = {text:?}\n").as_bytes());
        assert_eq!(
            store("./.bscred/team.age").expect("inside").store,
            Some(PathBuf::from(".bscred/team.age"))
        );
        for (bad, why) in [
            ("/etc/team.age", "absolute"),
            ("../team.age", "`..`"),
            (".bscred/../../team.age", "`..`"),
            (".bscred/team.txt", ".age"),
            ("", ".age"),
        ] {
            let error = store(bad).expect_err(bad);
            assert_eq!(error.exit().code(), 1, "{bad}");
            assert!(error.to_string().contains(why), "{bad}: {error}");
            assert!(
                error.hint().is_some_and(|h| h.contains("store = ")),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_template_parses_back() {
        let profile: ProfileName = "work".parse().expect("name");
        let text = template(&profile, &BACKSTAGE_REQUIRED);
        let project = parse(Path::new("/p/.bscred.toml"), text.as_bytes()).expect("parses");
        assert_eq!(project.profile, Some(profile));
        assert_eq!(project.required.len(), 4);
        assert!(project.unknown_keys.is_empty());
    }
}
