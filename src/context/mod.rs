//! The resolved global options every command runs with: directories, the
//! profile and where its name came from, the backend asked for, quietness,
//! the clock, and the access (keychain, unlocker) stores are opened with.
//! Built after argv is parsed, so `--help` works even when nothing else
//! would. Beside it, what the options select: `target` (the profile or the
//! team store a command acts on) and `resolve` (what `env` and `exec` hand
//! out). Only these and `src/cmd` see a `Context`; everything below takes
//! the pieces it needs.

pub mod resolve;
pub mod target;

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::access::Access;
use crate::allow::{AllowList, Standing};
use crate::cli::{BackendChoice, GlobalArgs};
use crate::config::{ConfigError, UserConfig};
use crate::error::{Error, Result};
use crate::keychain::Keychain;
use crate::paths::Dirs;
use crate::profile::Profile;
use crate::profile_name::ProfileName;
use crate::project::{self, Project};
use crate::store::Backend;
use crate::team::TeamStore;
use crate::terminal::Notices;
use crate::unlock::Unlocker;

/// Tests pin the clock through this variable (STYLE: time is a parameter).
pub const NOW_VAR: &str = "BSCRED_TEST_NOW";

/// Everything a command needs besides its own arguments.
#[derive(Debug)]
pub struct Context {
    pub dirs: Dirs,
    /// The directories again, with the keychain and the unlocker: what
    /// profiles, stores and identities are opened with.
    pub access: Access,
    /// The user's `config.toml`, read once, or why it could not be.
    config: std::result::Result<UserConfig, ConfigError>,
    pub profile: ProfileName,
    /// Further profiles, for `env` and `exec` only, merged after `profile`
    /// in order (`-p a -p b`, or `profiles = [..]` in the project file).
    pub also: Vec<ProfileName>,
    /// Where the profile name came from, for messages.
    pub profile_source: ProfileSource,
    /// The backend named by `--backend` or `BSCRED_BACKEND`, if any.
    pub backend: Option<BackendChoice>,
    pub quiet: bool,
    pub now: Timestamp,
    /// Whether `BSCRED_TEST_NOW` pinned `now`: waits are then virtual
    /// (see `clock`), so a test of polling takes no time.
    pub clock_pinned: bool,
    /// Whether a graphical session is there to open a browser in (on
    /// Linux, `DISPLAY` or `WAYLAND_DISPLAY`; elsewhere always).
    pub desktop: bool,
    /// The user's time zone (see `tz`), found on first use.
    tz: std::sync::OnceLock<TimeZone>,
    /// The project file in effect: the nearest `.bscred.toml`, if the user
    /// has allowed its current content.
    pub project: Option<Project>,
    /// `BSCRED_GITHUB_API_URL`: where GitHub's API is asked instead of the
    /// profile host's (tests point it at a stand-in on 127.0.0.1).
    pub github_api_url: Option<String>,
    /// `BSCRED_GITHUB_URL`: the web base instead of `https://HOST` (device
    /// flow, token pages).
    pub github_url: Option<String>,
    /// The user's home (`HOME`), where `doctor` looks for history files
    /// and `~/.git-credentials`.
    pub home: Option<PathBuf>,
    /// The user's shell history files: bash's, zsh's, fish's (under
    /// `XDG_DATA_HOME`) and the running shell's `HISTFILE`.
    pub history_files: Vec<PathBuf>,
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
    /// Resolves the global options against the process environment. With
    /// `announce`, a project file that is not allowed is mentioned on
    /// stderr (`allow` and `deny` pass false: they are the answer to it).
    pub fn new(global: &GlobalArgs, announce: bool) -> Result<Context> {
        let dirs = Dirs::resolve(|name| std::env::var_os(name))?;
        let config = UserConfig::read(&dirs);
        let unlocker = Unlocker::new(
            &dirs,
            global.passphrase_file.clone(),
            config
                .as_ref()
                .map(UserConfig::unlock_minutes)
                .map_err(Clone::clone),
            global.quiet,
        );
        let keychain = Keychain::new(
            std::env::var(crate::keychain::TIMEOUT_VAR).ok().as_deref(),
            session_bus(),
        );
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute());
        let now = clock()?;
        // Vault's own conventions (VAULT_TOKEN, VAULT_ADDR, …), read here
        // like every other variable.
        let vault =
            crate::vault::VaultEnv::from_vars(|n| std::env::var(n).ok(), home.as_deref(), now)
                .map_err(|e| {
                    Error::usage(e, format!("fix or unset {}", crate::vault::TIMEOUT_VAR))
                })?;
        let access = Access::new(dirs.clone(), keychain, unlocker).with_vault(vault);
        let project = allowed_project(&dirs, announce && !global.quiet)?;
        let chosen: Vec<ProfileName> = match global.profile.as_slice() {
            [] => from_env("BSCRED_PROFILE", |v| v.parse::<ProfileName>())?
                .into_iter()
                .collect(),
            names => names.to_vec(),
        };
        let backend = match global.backend {
            Some(backend) => Some(backend),
            None => from_env("BSCRED_BACKEND", |v| {
                <BackendChoice as clap::ValueEnum>::from_str(v, true)
                    .map_err(|_| format!("{v:?} is not one of auto, keychain, file, vault"))
            })?,
        };
        let (profile, also, profile_source) = match (chosen.split_first(), &project) {
            (Some((first, rest)), _) => (first.clone(), rest.to_vec(), ProfileSource::Option),
            (
                None,
                Some(Project {
                    profile: Some(name),
                    also,
                    path,
                    ..
                }),
            ) => (
                name.clone(),
                also.clone(),
                ProfileSource::ProjectFile(path.clone()),
            ),
            (None, _) => (ProfileName::default(), Vec::new(), ProfileSource::Default),
        };
        Ok(Context {
            dirs,
            access,
            config,
            profile,
            also,
            profile_source,
            backend,
            quiet: global.quiet,
            now,
            clock_pinned: std::env::var_os(NOW_VAR).is_some(),
            desktop: desktop(),
            tz: std::sync::OnceLock::new(),
            project,
            github_api_url: std::env::var(crate::github::API_URL_VAR).ok(),
            github_url: std::env::var(crate::github::WEB_URL_VAR).ok(),
            history_files: home.as_deref().map(history_files).unwrap_or_default(),
            home,
        })
    }

    /// Opens the current profile, refusing a `--backend` that contradicts
    /// the one recorded at `init` (never a silent switch to an empty store).
    pub fn open_profile(&self) -> Result<Profile> {
        self.open(&self.profile)
    }

    /// Opens the profile `name` (one of `profile` and `also`), as
    /// `open_profile` does.
    pub fn open(&self, name: &ProfileName) -> Result<Profile> {
        let profile = Profile::open(&self.access, name)
            .map(|p| p.quiet(self.quiet))
            .map_err(|e| match e {
                Error::NotInitialised { profile, .. } => Error::NotInitialised {
                    profile,
                    chosen_by: match &self.profile_source {
                        ProfileSource::ProjectFile(path) => Some(path.clone()),
                        _ => None,
                    },
                },
                other => other,
            })?;
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
                    "drop --backend/BSCRED_BACKEND to use the {recorded} backend; or move the profile with `bscred migrate --to {asked}`"
                ),
            ));
        }
        Ok(())
    }

    /// How to call bscred for this profile in a hint: `bscred`, or
    /// `bscred -p NAME` for any profile but the default (a hint followed
    /// elsewhere must not act on another profile).
    pub fn cli(&self) -> String {
        cli_for(&self.profile)
    }

    /// Days before an expiry that reminders start: the project file's
    /// `warn_days`, else the user's config, else 14.
    pub fn warn_days(&self) -> Result<i64> {
        if let Some(days) = self.project.as_ref().and_then(|p| p.warn_days) {
            return Ok(i64::from(days));
        }
        let user = self.user_config()?;
        Ok(user
            .warn_days
            .map_or(crate::expiry::DEFAULT_WARN_DAYS, i64::from))
    }

    /// Prints the expiry reminders for `vars` of this profile on stderr,
    /// one line each (silenced by `-q`). Only variables with an expiry on
    /// record count.
    pub fn remind<'a>(
        &self,
        vars: impl IntoIterator<Item = (&'a str, Option<Timestamp>)>,
    ) -> Result<()> {
        let profile = &self.profile;
        self.remind_from(vars.into_iter().map(|(name, at)| (name, at, profile)))
    }

    /// `remind` for variables gathered from several profiles: each fix
    /// hint names the profile that holds the variable.
    pub fn remind_from<'a>(
        &self,
        vars: impl IntoIterator<Item = (&'a str, Option<Timestamp>, &'a ProfileName)>,
    ) -> Result<()> {
        if self.quiet {
            return Ok(());
        }
        let mut window = None;
        for (name, expires, profile) in vars {
            let Some(expires) = expires else { continue };
            let days = match window {
                Some(days) => days,
                // A broken config.toml must not stop `exec`: say so, and
                // remind with the default window.
                None => *window.insert(self.warn_days().unwrap_or_else(|e| {
                    self.warn(format!(
                        "{e}; reminding {} days ahead",
                        crate::expiry::DEFAULT_WARN_DAYS
                    ));
                    crate::expiry::DEFAULT_WARN_DAYS
                })),
            };
            // Finding the time zone reads the system's zone database, which
            // costs more than the rest of `exec`: an expiry well outside the
            // window needs no calendar to know it.
            if expires.as_second() - self.now.as_second() > (days + 2) * 86_400 {
                continue;
            }
            if let Some(line) =
                crate::expiry::reminder(name, expires, self.now, self.tz(), days, &cli_for(profile))
            {
                crate::terminal::say(&line.to_string());
            }
        }
        Ok(())
    }

    /// The user's time zone (`TZ`, else the system's): the dates people
    /// read and type are in it (`expiry` says how); what is stored stays
    /// UTC. Found on first use, since it reads the system's zone database.
    pub fn tz(&self) -> &TimeZone {
        self.tz.get_or_init(time_zone)
    }

    /// The user's `config.toml` (read once per run); a broken one fails only
    /// the commands that need a setting from it.
    pub fn user_config(&self) -> Result<&UserConfig> {
        self.config.as_ref().map_err(|e| e.clone().into())
    }

    /// The clock that paces waiting (the device flow's polling): the
    /// system's, or with `BSCRED_TEST_NOW` a virtual one starting at `now`
    /// that a wait moves forward at once.
    pub fn clock(&self) -> Box<dyn crate::device_flow::Clock> {
        if self.clock_pinned {
            Box::new(crate::device_flow::VirtualClock::at(self.now))
        } else {
            Box::new(crate::device_flow::SystemClock)
        }
    }

    /// What refreshing a GitHub user token before handing it out needs
    /// (`refresh::fresh`), for the profile `name`.
    pub fn renewal(&self, name: &ProfileName) -> crate::refresh::Renewal<'_> {
        crate::refresh::Renewal {
            now: self.now,
            web_url: self.github_url.as_deref(),
            notices: self.notices(),
            cli: cli_for(name),
        }
    }

    /// Where this run's notices go (`-q` silences them).
    pub fn notices(&self) -> Notices {
        Notices { quiet: self.quiet }
    }

    /// An informational line on stderr, silenced by `-q`.
    pub fn note(&self, message: impl AsRef<str>) {
        self.notices().note(message);
    }

    /// A warning on stderr, silenced by `-q`.
    pub fn warn(&self, message: impl AsRef<str>) {
        self.notices().warn(message);
    }

    /// The team store the allowed project file names, if any, decrypted
    /// with the identity of the profile in use.
    pub fn team_store(&self) -> Result<Option<TeamStore>> {
        match &self.project {
            Some(project) if project.store.is_some() => TeamStore::in_project(
                project,
                &self.open_profile()?,
                &self.access,
                self.now,
                self.notices(),
            ),
            _ => Ok(None),
        }
    }

    /// The team store, for the commands given `--team`: there must be one.
    pub fn required_team_store(&self) -> Result<TeamStore> {
        self.team_store()?.ok_or_else(|| Error::Refused {
            message: format!(
                "--team needs an allowed {} that names a team store",
                project::FILE_NAME
            ),
            hint: format!(
                "add `store = \".bscred/team.age\"` to the project's {}, then run `bscred allow`",
                project::FILE_NAME
            ),
        })
    }
}

impl BackendChoice {
    /// The backend this choice names, or `None` for `auto`.
    pub fn explicit(self) -> Option<Backend> {
        match self {
            BackendChoice::Auto => None,
            BackendChoice::File => Some(Backend::File),
            BackendChoice::Keychain => Some(Backend::Keychain),
            BackendChoice::Vault => Some(Backend::Vault),
        }
    }
}

/// The nearest project file, if its content is allowed. An unallowed or
/// changed one is ignored, with one line saying how to allow it.
fn allowed_project(dirs: &Dirs, announce: bool) -> Result<Option<Project>> {
    let Ok(cwd) = std::env::current_dir() else {
        return Ok(None);
    };
    let Some((path, found)) = project::locate(&cwd) else {
        return Ok(None);
    };
    let bytes = match found {
        Ok(bytes) => bytes,
        Err(why) => {
            if announce {
                crate::terminal::say(&format!("ignoring {}: {why}", path.display()));
            }
            return Ok(None);
        }
    };
    let why = match AllowList::read(dirs)?.standing(&path, &bytes) {
        Standing::Allowed => {
            let project = project::parse(&path, &bytes)?;
            if announce && !project.unknown_keys.is_empty() {
                crate::terminal::warn(&format!(
                    "{} has settings this bscred does not know ({}); they are ignored",
                    path.display(),
                    project.unknown_keys.join(", ")
                ));
            }
            return Ok(Some(project));
        }
        Standing::Unknown => "it is not allowed yet",
        Standing::Changed => "it changed since you allowed it",
    };
    if announce {
        crate::terminal::say(&format!(
            "ignoring {}: {why}; read it, then run `bscred allow`",
            path.display()
        ));
    }
    Ok(None)
}

/// The shell history files under `home`, and the running shell's own
/// (`HISTFILE`), wherever it puts it.
fn history_files(home: &std::path::Path) -> Vec<PathBuf> {
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".local/share"));
    let mut files = vec![
        home.join(".bash_history"),
        home.join(".zsh_history"),
        data_home.join("fish/fish_history"),
    ];
    if let Some(file) = std::env::var_os("HISTFILE").map(PathBuf::from)
        && !files.contains(&file)
    {
        files.push(file);
    }
    files
}

/// A setting from the environment; empty counts as unset, as users of such
/// variables expect (`BSCRED_PROFILE= bscred …`).
fn from_env<T>(name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>> {
    match std::env::var(name) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => parse(&value).map(Some).map_err(|reason| {
            Error::usage(format!("{name}: {reason}"), format!("fix or unset {name}"))
        }),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::usage(
            format!("{name} is not valid UTF-8"),
            format!("fix or unset {name}"),
        )),
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

/// The system's time zone, as the C library finds it: `TZ` (a name such
/// as `Europe/Berlin`, a POSIX rule such as `EST5EDT`, or a file), else
/// /etc/localtime. One jiff cannot use means UTC, as `date` falls back to
/// UTC for a `TZ` it does not know: a date a few hours off is better than
/// refusing to start `yarn dev`. Tests pin it through `TZ`.
fn time_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

/// How to call bscred for `profile` in a hint: `bscred`, or `bscred -p NAME`
/// for any profile but the default.
pub(crate) fn cli_for(profile: &ProfileName) -> String {
    if *profile == ProfileName::default() {
        "bscred".to_string()
    } else {
        format!("bscred -p {profile}")
    }
}

/// Whether a browser can be opened: on Linux and the BSDs only inside a
/// graphical session; macOS and Windows always have one.
fn desktop() -> bool {
    if cfg!(any(target_os = "macos", windows)) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// Whether a session bus is there to reach the keychain on: on Linux a
/// D-Bus session (`DBUS_SESSION_BUS_ADDRESS`, or the bus socket in
/// `XDG_RUNTIME_DIR`); elsewhere the keychain needs none.
fn session_bus() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let address = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").filter(|v| !v.is_empty());
    let runtime_bus = std::env::var_os("XDG_RUNTIME_DIR")
        .map(|dir| PathBuf::from(dir).join("bus"))
        .filter(|path| path.exists());
    address.is_some() || runtime_bus.is_some()
}
