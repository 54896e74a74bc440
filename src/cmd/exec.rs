//! `bscred exec`: run one command with the profile's variables.

use std::ffi::OsString;
use std::process::Command;

use crate::app_token::{self, App, Ask, Permission, Target};
use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::github::Repo;
use crate::secret::VarName;

/// Run a command with the profile's variables in its environment
///
/// On Unix bscred becomes the command (exec), so signals, the terminal and
/// the exit status are the command's own. When bscred fails before the
/// command starts it exits 125 (126: not executable, 127: not found), so the
/// command's own codes are never mistaken for bscred's.
///
/// With --github-app-token VAR, bscred first asks GitHub for a fresh
/// installation token of the stored GitHub App (as `bscred github
/// app-token` does) and gives it to the command as VAR; if none can be had,
/// the command does not run (exit 125). The app's own secrets
/// (PREFIX_PRIVATE_KEY, PREFIX_CLIENT_SECRET, PREFIX_WEBHOOK_SECRET) are
/// then left out of the command's environment unless --only names them:
/// the command gets the token, not what mints more.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred exec -- yarn dev\n  \
    bscred exec --only GITHUB_TOKEN -- gh repo list\n  \
    bscred exec --github-app-token GH_TOKEN --repo acme/backstage -- gh pr list -R acme/backstage")]
pub struct Args {
    /// Only these variables (comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    only: Vec<VarName>,

    /// Keep a variable the environment already has instead of replacing it
    #[arg(long)]
    no_override: bool,

    /// Give the command a fresh installation token of the stored GitHub
    /// App as VAR (and not the app's private key, client secret or webhook
    /// secret, unless --only names them)
    #[arg(long, value_name = "VAR")]
    github_app_token: Option<VarName>,

    /// With --github-app-token: the installation to act for
    #[arg(
        long,
        value_name = "ID",
        requires = "github_app_token",
        conflicts_with = "repo"
    )]
    installation: Option<u64>,

    /// With --github-app-token: the repository to act on (a token limited
    /// to it)
    #[arg(long, value_name = "OWNER/REPO", requires = "github_app_token")]
    repo: Option<Repo>,

    /// With --github-app-token: only these permissions (comma-separated
    /// NAME=LEVEL)
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "NAME=LEVEL",
        requires = "github_app_token"
    )]
    permissions: Vec<Permission>,

    /// With --github-app-token: the prefix the app's variables were
    /// imported under
    #[arg(long, value_name = "PREFIX", requires = "github_app_token", default_value = crate::github_app::DEFAULT_PREFIX)]
    app_prefix: String,

    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let command = prepare(ctx, &args)?;
    launch(command, &args.command[0])
}

/// Everything that can fail before the command starts.
fn prepare(ctx: &Context, args: &Args) -> Result<Command> {
    let merged = crate::context::resolve::merged_only(ctx, &args.only)?;
    let mut vars = crate::context::resolve::selected(ctx, &merged.doc, &args.only)?;
    if args.github_app_token.is_some() {
        // The child gets an hour's token for the app, not the key that
        // mints more (nor the secrets that speak as the app), unless it
        // asked for them by name.
        let withheld = app_secrets(&args.app_prefix);
        vars.retain(|(name, _)| {
            !withheld.iter().any(|w| w == name.as_str()) || args.only.contains(name)
        });
    }
    merged.remind(ctx, &vars)?;
    let mut command = Command::new(program(&args.command[0], &vars, args.no_override));
    command.args(&args.command[1..]);
    if merged.vault {
        // The token bscred read the profile with is its own credential
        // (the issue: never in a child's environment), unless the profile
        // hands one out on purpose (set below).
        for name in ["VAULT_TOKEN", "BAO_TOKEN"] {
            command.env_remove(name);
        }
    }
    for (name, var) in vars {
        let value = &var.value;
        if args.no_override && std::env::var_os(name.as_str()).is_some() {
            continue;
        }
        command.env(name.as_str(), value.expose());
    }
    if let Some(name) = &args.github_app_token {
        // Asked for by name, so it is set even with --no-override, and
        // over a stored variable of the same name. Only in the
        // environment: never in argv, never printed.
        let token = app_token(ctx, args, &merged.doc)?;
        command.env(name.as_str(), token.expose());
    }
    Ok(command)
}

/// The variables holding the GitHub App's own secrets under `prefix`.
fn app_secrets(prefix: &str) -> [String; 3] {
    ["privateKey", "clientSecret", "webhookSecret"]
        .map(|key| crate::github_app::variable_name(prefix, key))
}

/// A fresh installation token for the GitHub App stored among the
/// variables the command gets.
fn app_token(
    ctx: &Context,
    args: &Args,
    doc: &crate::store::Document,
) -> Result<crate::secret::Secret> {
    let ask = Ask {
        target: Target::from_flags(args.installation, args.repo.clone()),
        permissions: app_token::permissions(&args.permissions)?,
    };
    let app = App::from_document(doc, &args.app_prefix, &format!("profile '{}'", ctx.profile))?;
    let host = ctx.open_profile()?.settings.github_host;
    let api = crate::github::api_base(
        &crate::github::host_of(&host),
        ctx.github_api_url.as_deref(),
    );
    Ok(app_token::mint(&api, &app, ctx.now, &ask)?.token)
}

/// The program to start: on Windows the file cmd.exe would run, looked up
/// on the `PATH` the child gets; elsewhere the name, which exec() looks up.
#[cfg(windows)]
fn program(
    name: &OsString,
    vars: &[(&VarName, &crate::store::Variable)],
    no_override: bool,
) -> OsString {
    let from_profile = vars
        .iter()
        .find(|(n, _)| n.as_str().eq_ignore_ascii_case("PATH"))
        .filter(|_| !(no_override && std::env::var_os("PATH").is_some()))
        .map(|(_, var)| OsString::from(var.value.expose()));
    let path = from_profile.or_else(|| std::env::var_os("PATH"));
    let pathext = std::env::var_os("PATHEXT");
    find_program(name, path.as_deref(), pathext.as_deref())
        .map_or_else(|| name.clone(), std::path::PathBuf::into_os_string)
}

#[cfg(not(windows))]
fn program<T>(name: &OsString, _vars: &[T], _no_override: bool) -> OsString {
    name.clone()
}

/// Replaces this process with the command; returns only on failure.
#[cfg(unix)]
fn launch(mut command: Command, program: &OsString) -> Result<Exit> {
    use std::os::unix::process::CommandExt;
    let error = command.exec();
    Err(Error::spawn(program, &error))
}

/// Windows has no exec: start the command, wait, and pass its status on.
/// Ctrl-C goes to every process on the console, the child included, which
/// decides for itself; bscred only must not die of it first (its handler
/// does nothing), so the child's own code still comes back.
#[cfg(not(unix))]
fn launch(command: Command, program: &OsString) -> Result<Exit> {
    // Best effort: without the handler, Ctrl-C ends bscred as before.
    #[cfg(windows)]
    let _ = ctrlc::set_handler(|| {});
    let mut command = command;
    let status = command.status().map_err(|e| Error::spawn(program, &e))?;
    // Windows exit codes are 32 bits (an NTSTATUS such as 0xC000013A after
    // Ctrl-C): passed on whole, since cutting 256 to its low byte is 0.
    let code = status.code().unwrap_or(1);
    Ok(Exit::Child(u32::from_ne_bytes(code.to_ne_bytes())))
}

/// Finds `program` as cmd.exe does, so `bscred exec -- yarn dev` runs
/// `yarn.cmd`: std's own lookup only tries `.exe`. A name with a directory
/// in it is tried as it is and with each `PATHEXT` extension; a bare name
/// in each `PATH` directory, in order. The current directory is not
/// searched (as PowerShell, and std, do not). `None`: leave it to std,
/// which reports it as not found.
#[cfg(windows)]
fn find_program(
    program: &std::ffi::OsStr,
    path: Option<&std::ffi::OsStr>,
    pathext: Option<&std::ffi::OsStr>,
) -> Option<std::path::PathBuf> {
    use std::path::{Path, PathBuf};
    let default_ext = OsString::from(".COM;.EXE;.BAT;.CMD");
    let exts: Vec<String> = pathext
        .unwrap_or(&default_ext)
        .to_string_lossy()
        .split(';')
        .filter(|e| e.starts_with('.') && e.len() > 1)
        .map(str::to_ascii_lowercase)
        .collect();
    let name = Path::new(program);
    let has_known_ext = name
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy().to_ascii_lowercase()))
        .is_some_and(|e| exts.contains(&e));
    let candidates = |base: PathBuf| {
        let mut all = Vec::new();
        if has_known_ext {
            all.push(base.clone());
        }
        for ext in &exts {
            let mut with = base.clone().into_os_string();
            with.push(ext);
            all.push(PathBuf::from(with));
        }
        all
    };
    if name.components().count() > 1 || name.is_absolute() {
        return candidates(name.to_path_buf())
            .into_iter()
            .find(|p| p.is_file());
    }
    std::env::split_paths(path?)
        .filter(|dir| dir.is_absolute())
        .flat_map(|dir| candidates(dir.join(name)))
        .find(|p| p.is_file())
}

#[cfg(all(test, windows))]
mod tests {
    use super::find_program;
    use std::ffi::OsStr;

    #[test]
    fn a_cmd_script_is_found_by_its_bare_name_and_pathext_order_holds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let later = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("tool.cmd"), "").expect("write");
        std::fs::write(dir.path().join("tool.bat"), "").expect("write");
        std::fs::write(later.path().join("tool.exe"), "").expect("write");
        std::fs::write(dir.path().join("noext"), "").expect("write");
        let path = std::env::join_paths([dir.path(), later.path()]).expect("join");
        let ext = OsStr::new(".EXE;.BAT;.CMD");
        let found = |name: &str| find_program(OsStr::new(name), Some(&path), Some(ext));
        // The first directory wins, and in it the first PATHEXT entry.
        assert_eq!(found("tool"), Some(dir.path().join("tool.bat")));
        assert_eq!(found("tool.cmd"), Some(dir.path().join("tool.cmd")));
        // A file without a PATHEXT extension is not a command.
        assert_eq!(found("noext"), None);
        assert_eq!(found("missing"), None);
        let full = dir.path().join("tool");
        assert_eq!(
            find_program(full.as_os_str(), None, Some(ext)),
            Some(dir.path().join("tool.bat"))
        );
    }
}
