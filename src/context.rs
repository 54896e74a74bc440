//! The resolved global options every command runs with: directories, the
//! profile and where its name came from, the backend asked for, quietness and
//! the clock. Built after argv is parsed, so `--help` works even when nothing
//! else would.

use std::path::PathBuf;

use jiff::Timestamp;

use crate::cli::{BackendChoice, GlobalArgs};
use crate::error::{Error, Result};
use crate::paths::Dirs;
use crate::profile::{Profile, ProfileName};
use crate::project;
use crate::store::Backend;

/// Tests pin the clock through this variable (STYLE: time is a parameter).
pub const NOW_VAR: &str = "BSCRED_TEST_NOW";

/// Everything a command needs besides its own arguments.
#[derive(Debug)]
pub struct Context {
    pub dirs: Dirs,
    pub profile: ProfileName,
    /// Where the profile name came from, for messages.
    pub profile_source: ProfileSource,
    /// The backend named by `--backend` or `BSCRED_BACKEND`, if any.
    pub backend: Option<BackendChoice>,
    pub quiet: bool,
    pub now: Timestamp,
}

/// Where the profile name came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileSource {
    /// `-p` or `BSCRED_PROFILE`.
    Option,
    /// A project's `.bscred.toml`.
    ProjectFile(PathBuf),
    /// Nothing chose one.
    Default,
}

impl Context {
    /// Resolves the global options against the process environment.
    pub fn new(global: &GlobalArgs) -> Result<Context> {
        let dirs = Dirs::resolve(|name| std::env::var_os(name))?;
        let (profile, profile_source) = match &global.profile {
            Some(name) => (name.clone(), ProfileSource::Option),
            None => project_profile()?,
        };
        Ok(Context {
            dirs,
            profile,
            profile_source,
            backend: global.backend,
            quiet: global.quiet,
            now: clock()?,
        })
    }

    /// Opens the current profile, refusing a `--backend` that contradicts
    /// the one recorded at `init` (never a silent switch to an empty store).
    pub fn open_profile(&self) -> Result<Profile> {
        let profile = Profile::open(&self.dirs, &self.profile)?;
        self.check_backend(profile.settings.backend)?;
        Ok(profile)
    }

    /// Refuses a `--backend`/`BSCRED_BACKEND` naming another backend than
    /// the one the profile recorded.
    pub fn check_backend(&self, recorded: Backend) -> Result<()> {
        if let Some(asked) = self.backend.and_then(BackendChoice::explicit)
            && asked != recorded
        {
            return Err(Error::usage(
                format!(
                    "profile '{}' uses the {recorded} backend, not {asked}",
                    self.profile
                ),
                format!(
                    "drop --backend/BSCRED_BACKEND to use the {recorded} backend; moving a profile between backends will be `bscred migrate --to {asked}`"
                ),
            ));
        }
        Ok(())
    }

    /// An informational line on stderr, silenced by `-q`.
    pub fn note(&self, message: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("bscred: {}", message.as_ref());
        }
    }

    /// A warning on stderr, silenced by `-q`.
    pub fn warn(&self, message: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("bscred: warning: {}", message.as_ref());
        }
    }
}

impl BackendChoice {
    /// The backend this choice names, or `None` for `auto`.
    pub fn explicit(self) -> Option<Backend> {
        match self {
            BackendChoice::Auto => None,
            BackendChoice::File => Some(Backend::File),
            BackendChoice::Keychain => Some(Backend::Keychain),
        }
    }
}

fn project_profile() -> Result<(ProfileName, ProfileSource)> {
    let Ok(cwd) = std::env::current_dir() else {
        return Ok((ProfileName::default(), ProfileSource::Default));
    };
    match project::find(&cwd)? {
        Some((path, file)) => match file.profile {
            Some(name) => {
                let name = name.parse().map_err(|reason| Error::Config {
                    path: path.clone(),
                    reason,
                })?;
                Ok((name, ProfileSource::ProjectFile(path)))
            }
            None => Ok((ProfileName::default(), ProfileSource::Default)),
        },
        None => Ok((ProfileName::default(), ProfileSource::Default)),
    }
}

fn clock() -> Result<Timestamp> {
    match std::env::var(NOW_VAR) {
        Ok(text) => text
            .parse()
            .map_err(|_| Error::usage(format!("{NOW_VAR} is not an RFC 3339 time"), "unset it")),
        Err(_) => Ok(Timestamp::now()),
    }
}
