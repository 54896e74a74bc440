//! `bscred allow` and `bscred deny`: trust, or stop trusting, a project's
//! `.bscred.toml`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::allow::AllowList;
use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::project;
use crate::secret::VarName;
use crate::store::Backend;

/// Let a project's .bscred.toml take effect, or accept a Vault profile's names
///
/// A project file chooses the profile and the required variables for
/// everything run below its directory. One that came with a clone is
/// ignored until you have read it and allowed it; allowing pins its current
/// content, so a changed file needs allowing again.
///
/// With -p NAME (and no PATH), for a vault-backed profile: others write its
/// Vault secret, so `env` and `exec` export only the names you accepted
/// (and those you set through bscred). This lists the names added since you
/// last accepted and records them in your own settings of the profile.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred allow                 # the nearest .bscred.toml\n  \
    bscred -p team list          # read what a vault-backed profile holds\n  \
    bscred allow -p team         # then accept its new names")]
pub struct AllowArgs {
    /// The project file, or a directory to search upwards from [default: the
    /// nearest .bscred.toml]
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
}

/// Withdraw the permission `bscred allow` gave a project file
#[derive(Debug, clap::Args)]
pub struct DenyArgs {
    /// The project file, or a directory to search upwards from [default: the
    /// nearest .bscred.toml]
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
}

/// `bscred allow`: `profile_named` says whether `-p` was given on the
/// command line (`BSCRED_PROFILE` alone does not turn `allow` away from the
/// project file).
pub fn allow(ctx: &Context, args: AllowArgs, profile_named: bool) -> Result<Exit> {
    if profile_named {
        if let Some(path) = &args.path {
            return Err(Error::usage(
                format!(
                    "-p names a profile whose names to accept, and {} a project file to allow",
                    path.display()
                ),
                "run `bscred allow PATH` and `bscred allow -p NAME` separately",
            ));
        }
        return accept(ctx);
    }
    let (path, bytes) = find(args.path.as_deref())?;
    // Parse before allowing: a file bscred cannot use is not worth trusting.
    let project = project::parse(&path, &bytes)?;
    crate::team::check_inside(&project)?;
    let mut list = AllowList::read(&ctx.dirs)?;
    let before: Vec<String> = list.declared(&path).to_vec();
    let declared = project.variables.as_deref().unwrap_or_default();
    list.allow(&path, &bytes, declared);
    list.write(&ctx.dirs)?;
    let profile = project
        .profile
        .map_or("the default profile".to_string(), |p| {
            format!("profile '{p}'")
        });
    let required: Vec<&str> = project.required.iter().map(|n| n.as_str()).collect();
    let required = if required.is_empty() {
        String::new()
    } else {
        format!(", requires {}", required.join(", "))
    };
    let store = project
        .store
        .as_ref()
        .map(|s| format!(", team store {}", s.display()))
        .unwrap_or_default();
    ctx.note(format!(
        "allowed {}: {profile}{required}{store}",
        path.display()
    ));
    if project.store.is_some() {
        ctx.note(declaration(&project.variables, &before));
        let runs_code: Vec<&str> = declared
            .iter()
            .map(VarName::as_str)
            .filter(|name| crate::code_variables::runs_code(name))
            .collect();
        if !runs_code.is_empty() {
            ctx.warn(format!(
                "{} run code, so the team store may not set them even though declared (only allow_variables in your own config.toml lets one through)",
                runs_code.join(", ")
            ));
        }
    } else if project.variables.is_some() {
        ctx.warn("`variables` lists what a team store may set, and this file names no `store`; it has no effect");
    }
    Ok(Exit::Ok)
}

/// `bscred allow -p NAME`: records the names of a vault-backed profile's
/// secret the user has not accepted yet, read under the profile's lock so
/// that exactly the names listed are recorded.
fn accept(ctx: &Context) -> Result<Exit> {
    let profile = ctx.open_profile()?;
    let name = &profile.name;
    if profile.settings.backend != Backend::Vault {
        return Err(Error::usage(
            format!(
                "profile '{name}' uses the {} backend; only a vault-backed profile, which others write, has names to accept",
                profile.settings.backend
            ),
            "to allow a project file, run `bscred allow [PATH]` without -p",
        ));
    }
    let held = profile.lock()?;
    let doc = profile.load_locked(&held, ctx.now)?;
    let new = profile.unaccepted(&doc);
    if new.is_empty() {
        ctx.note(format!(
            "profile '{name}': nothing new to accept; `env` and `exec` already export every name in its Vault secret"
        ));
        return Ok(Exit::Ok);
    }
    profile.accept_locked(&held, new.iter().map(VarName::to_string))?;
    let names: Vec<&str> = new.iter().map(VarName::as_str).collect();
    ctx.note(format!(
        "accepted for profile '{name}': {}; `env` and `exec` export them from now on",
        names.join(", ")
    ));
    let runs_code: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| crate::code_variables::runs_code(n))
        .collect();
    if !runs_code.is_empty() {
        ctx.warn(format!(
            "{} run code, so they stay left out even though accepted (only allow_variables in your own config.toml lets one through)",
            runs_code.join(", ")
        ));
    }
    Ok(Exit::Ok)
}

/// What the team store may set under `declared`, and which of those names
/// are new since the file was last allowed (when it declared `before`).
fn declaration(declared: &Option<Vec<VarName>>, before: &[String]) -> String {
    let Some(declared) = declared.as_deref().filter(|d| !d.is_empty()) else {
        return "the team store may set no variable: list the names it may set in `variables = [\"A\", \"B\"]`, then allow the file again".to_string();
    };
    let names: Vec<&str> = declared.iter().map(VarName::as_str).collect();
    let new: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| !before.iter().any(|b| b == name))
        .collect();
    let new = match new.len() {
        0 => " (none new since you last allowed it)".to_string(),
        n if n == names.len() && before.is_empty() => String::new(),
        _ => format!(" (new since you last allowed it: {})", new.join(", ")),
    };
    format!("the team store may set {}{new}", names.join(", "))
}

pub fn deny(ctx: &Context, args: DenyArgs) -> Result<Exit> {
    let (path, _) = find(args.path.as_deref())?;
    let mut list = AllowList::read(&ctx.dirs)?;
    if list.deny(&path) {
        list.write(&ctx.dirs)?;
        ctx.note(format!("{} is no longer allowed", path.display()));
    } else {
        ctx.note(format!(
            "{} was not allowed; nothing changed",
            path.display()
        ));
    }
    Ok(Exit::Ok)
}

/// The project file `path` names (a file, or a directory to search upwards
/// from), or the nearest one above the working directory; absolute, since
/// the allow list is keyed by path.
fn find(path: Option<&Path>) -> Result<(PathBuf, Vec<u8>)> {
    let resolve = |p: &Path| {
        fs::canonicalize(p).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::InputNotFound {
                    what: p.display().to_string(),
                    hint: None,
                }
            } else {
                Error::io(format!("cannot resolve {}", p.display()))(e)
            }
        })
    };
    let start = match path {
        Some(p) if !p.is_dir() => {
            if p.file_name() != Some(project::FILE_NAME.as_ref()) {
                return Err(Error::usage(
                    format!("{} is not a project file", p.display()),
                    format!("bscred only reads files named {}", project::FILE_NAME),
                ));
            }
            // The key is the path commands find: the physical directory
            // (no `..`, no symlinked directories) joined with the file's
            // name, whatever the file itself links to.
            let parent = match p.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            let path = resolve(parent)?.join(project::FILE_NAME);
            let found = project::read(&path).ok_or_else(|| Error::InputNotFound {
                what: p.display().to_string(),
                hint: None,
            })?;
            return usable(path, found);
        }
        Some(p) => resolve(p)?,
        None => std::env::current_dir().map_err(Error::io("cannot read the working directory"))?,
    };
    let (path, found) = project::locate(&start).ok_or_else(|| Error::InputNotFound {
        what: format!("{} in {} or above", project::FILE_NAME, start.display()),
        hint: Some("`bscred init --project-file` writes one in a Backstage project".to_string()),
    })?;
    usable(path, found)
}

fn usable(
    path: PathBuf,
    found: std::result::Result<Vec<u8>, String>,
) -> Result<(PathBuf, Vec<u8>)> {
    match found {
        Ok(bytes) => Ok((path, bytes)),
        Err(reason) => Err(Error::Config { path, reason }),
    }
}
