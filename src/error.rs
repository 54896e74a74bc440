//! One error type for the library, the hint that goes with each error, and the
//! exit-code table from the README ("Exit codes").
//!
//! Errors name the thing that is wrong (a variable name, a file path) and never
//! a value: nothing in this file has access to one.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

use crate::terminal::escape;
use crate::token::redact;

/// The process exit codes bscred promises. Scripts depend on these numbers:
/// add codes freely, never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything went as asked.
    Ok,
    /// A runtime failure that no other code describes.
    Failure,
    /// The command line was wrong (clap's own code).
    Usage,
    /// A variable, profile or store that was asked for does not exist.
    NotFound,
    /// The store cannot be opened or decrypted: wrong identity, corrupt or
    /// tampered file, unavailable keychain.
    Unavailable,
    /// GitHub rejected the token or could not be reached.
    GitHub,
    /// A write conflict: another writer changed the same variable since it
    /// was read; nothing was written.
    Conflict,
    /// `check`: something expires within the window.
    Expiring,
    /// `check`: something has expired.
    Expired,
    /// `doctor` found problems.
    Findings,
    /// The user pressed Ctrl-C at a prompt: 128 + SIGINT, what a shell
    /// reports for a command SIGINT ended.
    Interrupted,
    /// `exec`: bscred failed before it could start the command (as `env(1)`).
    ExecFailed,
    /// `exec`: the command exists but cannot be executed.
    NotExecutable,
    /// `exec`: the command was not found.
    CommandNotFound,
    /// `exec` where the command is a child (not Unix): its own status,
    /// whole (Windows exit codes are 32 bits).
    Child(u32),
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::NotFound => 3,
            Exit::Unavailable => 4,
            Exit::GitHub => 5,
            Exit::Conflict => 6,
            Exit::Expiring => 10,
            Exit::Expired => 11,
            Exit::Findings => 12,
            Exit::ExecFailed => 125,
            Exit::Interrupted => 130,
            Exit::NotExecutable => 126,
            Exit::CommandNotFound => 127,
            // The low byte, as a Unix wait status keeps it; `main` exits
            // with the whole code where the platform has more.
            Exit::Child(code) => code.to_le_bytes()[0],
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

/// Everything that can go wrong inside bscred.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something that cannot be done as asked.
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// A value given on the command line, stdin or a prompt is not acceptable.
    #[error("the value for {name} {problem}")]
    BadValue { name: String, problem: String },
    /// The profile has no settings yet: `init` was never run for it.
    #[error("profile '{profile}'{} is not initialised", chosen_by.as_ref().map(|p| format!(" (named by {})", p.display())).unwrap_or_default())]
    NotInitialised {
        profile: String,
        /// The project file that named the profile, if one did.
        chosen_by: Option<PathBuf>,
    },
    /// A variable that was asked for is not in the profile (or the team
    /// store); `place` says which, as "profile 'NAME'".
    #[error("no variable {name} in {place}")]
    VarNotFound { name: String, place: String },
    /// An input the user named does not exist.
    #[error("{what} not found")]
    InputNotFound { what: String, hint: Option<String> },
    /// The profile's settings say a store exists, but its file is gone.
    #[error("the store of profile '{profile}' is missing: {location}")]
    StoreMissing { profile: String, location: String },
    /// A `profiles rename` stopped partway: the profile's files are split
    /// between its old and new names.
    #[error("profile '{old}' is being renamed to '{new}', and that rename was interrupted")]
    RenameInterrupted { old: String, new: String },
    /// The store exists but cannot be decrypted with the identity at hand.
    #[error("cannot decrypt {path}: {reason}")]
    Decrypt { path: PathBuf, reason: String },
    /// Where a store or a pending change belongs there is a symlink, a
    /// FIFO or another kind of file bscred never writes there.
    #[error("{path} is {what}, not a file bscred keeps a store in; it was not opened")]
    NotAStoreFile { path: PathBuf, what: &'static str },
    /// A profile's settings file this version cannot read: most likely a
    /// newer bscred wrote it (a backend or a key added since).
    #[error("cannot read the settings of profile '{profile}' in {path}: {reason}")]
    SettingsUnreadable {
        profile: String,
        path: PathBuf,
        reason: String,
    },
    /// The store decrypts (or should) but its content is damaged.
    #[error("the store {path} is damaged: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// The team store was encrypted without the user's key (never added,
    /// or removed with `recipients --team rm`).
    #[error("cannot decrypt the team store {path}: it is not encrypted to your key")]
    NotARecipient {
        path: PathBuf,
        /// The user's public key, for the teammate who can add it.
        key: Option<String>,
    },
    /// The store was written by a newer bscred with a newer document format.
    #[error("{path} was written by a newer bscred (document version {version})")]
    TooNew { path: PathBuf, version: u32 },
    /// An identity file that other users can read is refused.
    #[error("identity file {path} can be read by other users (mode {mode:04o})")]
    IdentityExposed { path: PathBuf, mode: u32 },
    /// A passphrase-protected identity could not be unlocked: no way to
    /// ask for the passphrase, a wrong one, an unreadable passphrase file.
    #[error("{message}")]
    Locked { message: String, hint: String },
    /// The identity file a profile records is gone.
    #[error("the identity {origin} does not exist")]
    IdentityMissing { origin: String },
    /// GitHub rejected the token or could not be asked.
    #[error(transparent)]
    GitHub(#[from] crate::github::ApiError),
    /// `push github` stopped: GitHub refused or could not be reached; the
    /// secrets written before it stopped are named.
    #[error(transparent)]
    Push(Box<crate::github_secrets::PushError>),
    /// No installation token could be had for a stored GitHub App.
    #[error(transparent)]
    AppToken(#[from] crate::app_token::AppTokenError),
    /// GitHub's login endpoints gave no user token: the device flow of
    /// `login github` failed, or a refresh was refused.
    #[error(transparent)]
    OAuth(#[from] crate::device_flow::OAuthError),
    /// A Vault/OpenBao server refused, failed or did not answer.
    #[error(transparent)]
    Vault(Box<crate::vault::VaultError>),
    /// No Vault server answered, and the offline copy cannot serve.
    #[error("{cause}; {why}")]
    VaultOffline {
        cause: Box<crate::vault::VaultError>,
        why: String,
    },
    /// Another writer changed the same variable since this command read
    /// it (a vault-backed profile); nothing was written.
    #[error(
        "{name} was changed in {place} by someone else while this command ran; nothing was written"
    )]
    Conflict { name: String, place: String },
    /// The OS keychain failed or did not answer.
    #[error(transparent)]
    Keychain(#[from] crate::keychain::KeychainError),
    /// An identity file that cannot be used for another reason.
    #[error("cannot use the identity {origin}: {reason}")]
    Identity { origin: String, reason: String },
    /// A configuration file (profile settings, `.bscred.toml`) is malformed.
    #[error("cannot read {path}: {reason}")]
    Config { path: PathBuf, reason: String },
    /// A dotenv file could not be parsed.
    #[error("cannot import {path}: {reason}")]
    Import {
        path: PathBuf,
        reason: String,
        hint: Option<String>,
    },
    /// The project requires variables the profile does not have.
    #[error("{place} {} {} required by {}", if place.starts_with("profiles") { "lack" } else { "lacks" }, names.join(", "), project.display())]
    MissingRequired {
        /// The profile a `set` should go to (the first one).
        profile: String,
        /// Where `env` looked: "profile 'a'", or "profiles 'a', 'b'".
        place: String,
        names: Vec<String>,
        project: PathBuf,
        /// Whether the hint must name the profile (`-p`): it was chosen on
        /// the command line or in the environment, not by the project file.
        name_profile: bool,
    },
    /// `exec` failed before the command started (exit 125, as `env(1)`).
    #[error(transparent)]
    BeforeExec(Box<Error>),
    /// `exec` could not start the command.
    #[error("cannot run {program}: {reason}")]
    Spawn {
        program: String,
        reason: String,
        code: Exit,
    },
    /// A store is already where a new one would go: bscred never replaces
    /// one (init, migrate's copy, a rename).
    #[error("a store already exists at {location}")]
    StoreExists { location: String },
    /// A key (an identity file or keychain item, a backup) is already where
    /// a new one would go: it may be the only copy.
    #[error("{what} already exists")]
    KeyExists { what: String },
    /// Something this command read changed under it before it could finish
    /// (another writer, a `migrate`); `outcome` says what was left as it was.
    #[error("{what} changed while this command ran; {outcome}")]
    ChangedMeanwhile {
        what: String,
        outcome: String,
        hint: Option<String>,
    },
    /// A change to a recipients list would leave out the user's own key,
    /// so they could no longer read `store`.
    #[error("that would remove your own key: you could no longer read {store}")]
    OwnKeyRemoved { store: String },
    /// git's credential request (or whatever fed `git-credential`) is not
    /// one bscred can answer safely: too large, or ambiguous.
    #[error(transparent)]
    CredentialRequest(#[from] crate::credential_request::RequestError),
    /// A refusal that protects data (overwriting, conflicting state).
    #[error("{message}")]
    Refused { message: String, hint: String },
    /// Ctrl-C at a prompt. The terminal does not send SIGINT while bscred
    /// reads a hidden prompt (see `prompt::hidden`), so the interrupt
    /// comes back as this error and destructors still run.
    #[error("interrupted")]
    Interrupted,
    /// An operating-system error, with what bscred was doing at the time.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl From<crate::vault::VaultError> for Error {
    fn from(error: crate::vault::VaultError) -> Error {
        Error::Vault(Box::new(error))
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what was being done, e.g. "cannot write /x/y".
    pub fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    /// Reading the file `path` the user named failed: not found is exit 3
    /// (with no hint), anything else an I/O error.
    pub fn reading(path: &std::path::Path) -> impl FnOnce(io::Error) -> Error {
        let what = path.display().to_string();
        move |source| {
            if source.kind() == io::ErrorKind::NotFound {
                Error::InputNotFound { what, hint: None }
            } else {
                Error::Io {
                    context: format!("cannot read {what}"),
                    source,
                }
            }
        }
    }

    /// `exec` could not start `program`: 127 when it does not exist, 126 when
    /// it exists but cannot be executed.
    pub fn spawn(program: &std::ffi::OsStr, error: &io::Error) -> Error {
        let names_a_file = std::path::Path::new(program).components().count() > 1
            && std::path::Path::new(program).is_file();
        let (code, reason) = match error.kind() {
            // The file is there, so what is missing is the interpreter its
            // `#!` line names (the kernel reports both as ENOENT).
            io::ErrorKind::NotFound if names_a_file => (
                Exit::NotExecutable,
                "the interpreter on its #! line was not found".to_string(),
            ),
            io::ErrorKind::NotFound => (Exit::CommandNotFound, "command not found".to_string()),
            io::ErrorKind::PermissionDenied => {
                (Exit::NotExecutable, "permission denied".to_string())
            }
            // Nothing is wrong with the command: bscred could not hand it
            // this much (a value over 128 KiB, or all of them over the
            // system's limit), so it is bscred's failure, 125.
            io::ErrorKind::ArgumentListTooLong => (
                Exit::ExecFailed,
                "its environment and arguments are larger than the system lets a program start with (E2BIG)"
                    .to_string(),
            ),
            _ => (Exit::NotExecutable, error.to_string()),
        };
        Error::Spawn {
            program: program.to_string_lossy().into_owned(),
            reason,
            code,
        }
    }

    /// This error as `exec` reports it: bscred failed before the command
    /// started, so 125 (as `env(1)` does), never a code the command could
    /// return itself. The command's own start-up failures (126, 127, and
    /// E2BIG's 125) keep theirs.
    pub fn before_exec(self) -> Error {
        match self {
            Error::Spawn { .. } | Error::BeforeExec(_) => self,
            other => Error::BeforeExec(Box::new(other)),
        }
    }

    /// A usage error with a hint.
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// The exit code this error maps to (the README's table).
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage { .. } | Error::BadValue { .. } => Exit::Usage,
            Error::NotInitialised { .. }
            | Error::MissingRequired { .. }
            | Error::VarNotFound { .. }
            | Error::InputNotFound { .. } => Exit::NotFound,
            Error::StoreMissing { .. }
            | Error::RenameInterrupted { .. }
            | Error::Decrypt { .. }
            | Error::NotARecipient { .. }
            | Error::Corrupt { .. }
            | Error::NotAStoreFile { .. }
            | Error::TooNew { .. }
            | Error::IdentityExposed { .. }
            | Error::IdentityMissing { .. }
            | Error::Locked { .. }
            | Error::Keychain(_)
            | Error::Vault(_)
            | Error::VaultOffline { .. }
            | Error::Identity { .. } => Exit::Unavailable,
            Error::Conflict { .. } => Exit::Conflict,
            Error::Config { .. }
            | Error::SettingsUnreadable { .. }
            | Error::Import { .. }
            | Error::CredentialRequest(_)
            | Error::Refused { .. }
            | Error::StoreExists { .. }
            | Error::KeyExists { .. }
            | Error::ChangedMeanwhile { .. }
            | Error::OwnKeyRemoved { .. }
            | Error::Io { .. } => Exit::Failure,
            // Ctrl-C at `exec`'s passphrase prompt is an interrupt, not a
            // failure: 130, as when the command itself is interrupted.
            Error::BeforeExec(inner) if matches!(**inner, Error::Interrupted) => Exit::Interrupted,
            Error::BeforeExec(_) => Exit::ExecFailed,
            Error::Interrupted => Exit::Interrupted,
            Error::GitHub(_) | Error::Push(_) | Error::OAuth(_) => Exit::GitHub,
            // The app's variables are missing: like any missing variable.
            // A malformed key is a bad value in a store that opened fine,
            // so 1, as a malformed settings or dotenv file is (4 would
            // send the user after the store's identity or keychain). Not
            // naming an installation among several is the command line's
            // fault. Everything else is GitHub's answer, or none.
            Error::AppToken(error) => {
                use crate::app_token::AppTokenError;
                match error {
                    AppTokenError::Missing { .. } => Exit::NotFound,
                    AppTokenError::BadKey { .. } => Exit::Failure,
                    AppTokenError::Several { .. } => Exit::Usage,
                    _ => Exit::GitHub,
                }
            }
            Error::Spawn { code, .. } => *code,
        }
    }

    /// The line that tells the user what to do about it, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Usage { hint, .. }
            | Error::InputNotFound { hint, .. }
            | Error::Import { hint, .. } => hint.clone(),
            Error::BadValue { .. } => Some(format!(
                "values are UTF-8 text without NUL bytes, at most {} KiB; for a larger file, store its path instead",
                crate::secret::MAX_VALUE_BYTES / 1024
            )),
            Error::MissingRequired {
                names,
                profile,
                name_profile,
                ..
            } => {
                let p = if *name_profile {
                    format!("-p {profile} ")
                } else {
                    String::new()
                };
                Some(
                    names
                        .iter()
                        .map(|n| format!("`bscred set {p}{n}`"))
                        .collect::<Vec<_>>()
                        .join(", then "),
                )
            }
            Error::BeforeExec(inner) => inner.hint(),
            Error::Spawn { code, .. } if *code == Exit::CommandNotFound => Some(
                "check the command's name, and that it is on PATH (a PATH stored in the profile is the one searched)"
                    .to_string(),
            ),
            Error::Spawn { reason, .. } if reason.contains("#!") => {
                Some("install that interpreter, or fix the script's first line".to_string())
            }
            Error::Spawn { code, .. } if *code == Exit::ExecFailed => Some(
                "pass fewer or smaller variables with --only; a large value belongs in a file the program reads"
                    .to_string(),
            ),
            Error::Spawn { .. } => Some("check that the file is an executable program".to_string()),
            Error::NotInitialised { profile, .. } => Some(if profile == "default" {
                "run `bscred init` to create it".to_string()
            } else {
                format!("run `bscred init -p {profile}` to create it, or pick another profile with -p")
            }),
            Error::VarNotFound { .. } => Some(
                "`bscred list` shows the names in the profile, `bscred list --team` those in the team store"
                    .to_string(),
            ),
            Error::RenameInterrupted { old, new } => Some(format!(
                "run `bscred profiles rename {old} {new}` again: it finishes where it stopped"
            )),
            Error::StoreMissing { .. } => Some(
                "restore it from a backup; bscred does not start an empty store over a lost one"
                    .to_string(),
            ),
            Error::Decrypt { .. } => Some(
                "check that the profile's identity file is the one the store was encrypted to"
                    .to_string(),
            ),
            Error::NotARecipient { key, .. } => Some(format!(
                "ask a teammate who can read it to run `bscred recipients --team add {}` and commit the result, then pull",
                key.as_deref().unwrap_or("YOUR_PUBLIC_KEY")
            )),
            Error::ChangedMeanwhile { hint, .. } => {
                Some(hint.clone().unwrap_or_else(|| "run the command again".to_string()))
            }
            Error::OwnKeyRemoved { .. } => {
                Some("keep your key; remove only other people's".to_string())
            }
            Error::NotAStoreFile { .. } => Some(
                "bscred reads and writes its stores only as regular files and follows no link there: put the real file in its place"
                    .to_string(),
            ),
            Error::Corrupt { .. } => Some(
                "the file was left unchanged; restore it from a backup or version control".to_string(),
            ),
            Error::TooNew { .. } => Some(
                "upgrade bscred to read it; this version leaves the file unchanged".to_string(),
            ),
            Error::Keychain(error) => Some(keychain_hint(error.failure)),
            Error::Vault(error) => Some(error.hint()),
            Error::VaultOffline { .. } => Some(
                "bring a server back (or fix the network) and run the command again; `offline_max_hours` under [vault] in the profile's settings file sets how old a copy may be".to_string(),
            ),
            Error::Conflict { name, .. } => Some(format!(
                "see the new value with `bscred get {name}`, then set it again if yours should win"
            )),
            Error::GitHub(error) => Some(github_hint(error)),
            Error::Push(error) => Some(error.hint()),
            Error::AppToken(error) => Some(error.hint()),
            Error::OAuth(error) => Some(error.hint()),
            Error::IdentityMissing { .. } => Some(
                "restore it from your backup: without it this profile's store cannot be decrypted"
                    .to_string(),
            ),
            Error::IdentityExposed { path, .. } => Some(format!("run `chmod 600 {}`", path.display())),
            Error::Identity { .. } => Some(
                "an identity file holds AGE-SECRET-KEY-1… lines, as `age-keygen` writes them".to_string(),
            ),
            Error::Config { .. } => Some("fix or remove the file, then try again".to_string()),
            // Never "remove the file": without its settings a profile's
            // store cannot be opened, and `init` would start another.
            Error::SettingsUnreadable { .. } => Some(
                "a newer bscred probably wrote it: upgrade bscred; keep the file, since the profile's store cannot be opened without it"
                    .to_string(),
            ),
            Error::CredentialRequest(_) => Some(format!(
                "git sends a few short key=value lines, each key once, up to {} KiB; check the program that runs `bscred git-credential`",
                crate::credential_request::MAX_BYTES / 1024
            )),
            Error::Refused { hint, .. } | Error::Locked { hint, .. } => Some(hint.clone()),
            Error::StoreExists { .. } => Some(
                "bscred never replaces a store: move it away (or delete it) first if you mean to start over"
                    .to_string(),
            ),
            Error::KeyExists { .. } => Some(
                "bscred never replaces a key, which may be the only copy: name another place, or move the existing one away yourself"
                    .to_string(),
            ),
            Error::Io { source, .. } if source.kind() == io::ErrorKind::PermissionDenied => {
                Some("check the ownership and permissions of bscred's directories".to_string())
            }
            Error::Io { .. } | Error::Interrupted => None,
        }
    }

    /// The error as the user sees it: one `error:` line holding the cause
    /// chain, then an optional `hint:` line.
    pub fn render(&self) -> String {
        // Messages name files, variables and keys others may have chosen:
        // escaped, so each stays one line a terminal only shows.
        let mut message = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let _ = write!(message, ": {cause}");
            source = cause.source();
        }
        // And a token the user typed where a name belongs is never quoted
        // back whole.
        let shown = |text: &str| escape(&redact(text)).into_owned();
        let mut text = format!("bscred: error: {}\n", shown(&message));
        if let Some(hint) = self.hint() {
            let _ = writeln!(text, "bscred: hint: {}", shown(&hint));
        }
        text
    }

    /// Whether this is a write to a closed pipe (`bscred list | head`), which
    /// ends the program quietly with success, as ripgrep does.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// What to do about each GitHub failure.
fn github_hint(error: &crate::github::ApiError) -> String {
    use crate::github::ApiError;
    match error {
        ApiError::Rejected => {
            "create a new token: `bscred rotate` walks you through it".to_string()
        }
        ApiError::RateLimited { .. } => "try again after the reset time".to_string(),
        ApiError::Unreachable { .. } => format!(
            "check the network (and {} if you set it); `bscred rotate --no-verify` stores a token without asking GitHub",
            crate::github::API_URL_VAR
        ),
        ApiError::Insecure(_) => crate::github::insecure_hint(crate::github::API_URL_VAR),
        ApiError::Refused { .. } | ApiError::BadAnswer(_) => {
            "check that the token is a GitHub token for this host".to_string()
        }
    }
}

/// What to do about each keychain failure; `--backend file` is always a
/// way out.
fn keychain_hint(failure: crate::keychain::Failure) -> String {
    use crate::keychain::Failure;
    let macos = cfg!(target_os = "macos");
    match failure {
        Failure::NoBus => "start a session bus and an unlocked keyring (`dbus-run-session -- $SHELL`, then `gnome-keyring-daemon --unlock --components=secrets`, type the password and press Ctrl-D), or use `--backend file`".to_string(),
        Failure::NoService if macos => "create or choose a default keychain in Keychain Access (or `security default-keychain -s login.keychain-db`), or use `--backend file`".to_string(),
        Failure::NoService => "start an unlocked keyring daemon (`gnome-keyring-daemon --unlock --components=secrets`, type the password and press Ctrl-D; or KeePassXC with Secret Service on), or use `--backend file`".to_string(),
        Failure::Locked | Failure::Dismissed if macos => "unlock the login keychain when macOS asks (or `security unlock-keychain`), then try again; or use `--backend file`".to_string(),
        Failure::Locked | Failure::Dismissed => "unlock the keyring (accept its prompt on the desktop; without one, run `gnome-keyring-daemon --unlock`, type the password and press Ctrl-D), or use `--backend file`".to_string(),
        Failure::NoInteraction => "unlock the keychain in this session first (`security unlock-keychain`), or use `--backend file` over SSH".to_string(),
        Failure::Ambiguous => format!("delete the extra item that is not labelled \"bscred: …\" (`secret-tool search --all service {}`), then try again", crate::keychain::SERVICE),
        Failure::TimedOut => format!(
            "the keyring daemon may be hung: restart it, set {}=SECONDS to wait longer, or use `--backend file`",
            crate::keychain::TIMEOUT_VAR
        ),
        Failure::TooLarge => "use the file backend for this profile: `bscred migrate --to file`".to_string(),
        Failure::Other => "use `--backend file` if the keychain keeps failing".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_match_the_design_table() {
        let table = [
            (Exit::Ok, 0),
            (Exit::Failure, 1),
            (Exit::Usage, 2),
            (Exit::NotFound, 3),
            (Exit::Unavailable, 4),
            (Exit::GitHub, 5),
            (Exit::Conflict, 6),
            (Exit::Expiring, 10),
            (Exit::Expired, 11),
            (Exit::Findings, 12),
            (Exit::ExecFailed, 125),
            (Exit::NotExecutable, 126),
            (Exit::CommandNotFound, 127),
            (Exit::Interrupted, 130),
        ];
        for (exit, code) in table {
            assert_eq!(exit.code(), code, "{exit:?}");
        }
    }

    #[test]
    fn errors_map_to_their_documented_codes() {
        use crate::app_token::AppTokenError;
        let path = PathBuf::from("/x");
        let cases = [
            (Error::usage("m", "h"), 2),
            (
                Error::NotInitialised {
                    profile: "p".into(),
                    chosen_by: None,
                },
                3,
            ),
            (
                Error::VarNotFound {
                    name: "A".into(),
                    place: "profile 'p'".into(),
                },
                3,
            ),
            (
                Error::Decrypt {
                    path: path.clone(),
                    reason: "r".into(),
                },
                4,
            ),
            (
                Error::Corrupt {
                    path: path.clone(),
                    reason: "r".into(),
                },
                4,
            ),
            (Error::IdentityExposed { path, mode: 0o644 }, 4),
            (Error::Interrupted, 130),
            (Error::BeforeExec(Box::new(Error::Interrupted)), 130),
            (Error::BeforeExec(Box::new(Error::usage("m", "h"))), 125),
            (
                Error::CredentialRequest(crate::credential_request::RequestError::TooLarge),
                1,
            ),
            (
                Error::Locked {
                    message: "m".into(),
                    hint: "h".into(),
                },
                4,
            ),
            (
                Error::AppToken(AppTokenError::Missing {
                    names: vec!["GITHUB_APP_PRIVATE_KEY".into()],
                    place: "profile 'p'".into(),
                    prefix: "GITHUB_APP".into(),
                }),
                3,
            ),
            (
                Error::AppToken(AppTokenError::BadKey {
                    name: "GITHUB_APP_PRIVATE_KEY".into(),
                    reason: crate::github_jwt::KeyError::NotPem,
                }),
                1,
            ),
            (
                Error::AppToken(AppTokenError::Several {
                    installations: Vec::new(),
                }),
                2,
            ),
            (Error::AppToken(AppTokenError::NoInstallation), 5),
            (
                Error::BeforeExec(Box::new(Error::AppToken(AppTokenError::NoInstallation))),
                125,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.exit().code(), code, "{error:?}");
        }
    }

    #[test]
    fn render_is_one_error_line_and_one_hint_line() {
        let error = Error::Io {
            context: "cannot write /s".into(),
            source: io::Error::new(io::ErrorKind::PermissionDenied, "denied"),
        };
        let text = error.render();
        assert_eq!(
            text,
            "bscred: error: cannot write /s: denied\n\
             bscred: hint: check the ownership and permissions of bscred's directories\n"
        );
    }

    #[test]
    fn exposed_identity_hint_names_the_chmod() {
        let error = Error::IdentityExposed {
            path: "/h/id.txt".into(),
            mode: 0o644,
        };
        assert!(error.render().contains("mode 0644"));
        assert_eq!(error.hint().as_deref(), Some("run `chmod 600 /h/id.txt`"));
    }
}
