//! `bscred profiles`: every profile on this machine, with its backend, store
//! and nearest expiry, from settings and the metadata cache alone; and
//! removing one.

use std::io::{ErrorKind, IsTerminal};

use jiff::Timestamp;
use serde::Serialize;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::expiry;
use crate::identity::IdentitySource;
use crate::ledger::Ledger;
use crate::profile::{Profile, Settings};
use crate::profile_name::ProfileName;
use crate::prompt;
use crate::store::Backend;
use crate::store::file::pending_dir;

/// List the profiles, with their backend, store and next expiry
///
/// Reads only settings and the non-secret metadata cache: needs no identity
/// or unlock. The profile this directory would use is marked with `*`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred profiles\n  \
    bscred -p team init                # add one\n  \
    bscred -p personal -p team exec -- yarn dev")]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,

    /// Print JSON for scripts
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// List the profiles (the default)
    List,
    /// Delete a profile: its store, metadata and settings (the identity stays)
    Rm {
        #[arg(value_name = "NAME")]
        name: ProfileName,
        /// Do not ask; needed when standard input is not a terminal
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Give a file-backend profile another name, store and all
    Rename {
        #[arg(value_name = "OLD")]
        old: ProfileName,
        #[arg(value_name = "NEW")]
        new: ProfileName,
    },
}

#[derive(Serialize)]
struct Row {
    name: String,
    current: bool,
    backend: String,
    store: String,
    /// How many variables the metadata cache records.
    variables: usize,
    /// The soonest expiry on record.
    next_expiry: Option<Timestamp>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    match args.action.unwrap_or(Action::List) {
        Action::List => list(ctx, args.json),
        Action::Rm { name, yes } => remove(ctx, &name, yes),
        Action::Rename { old, new } => rename(ctx, &old, &new),
    }
}

fn list(ctx: &Context, json: bool) -> Result<Exit> {
    let mut rows = Vec::new();
    for name in crate::profile::names(&ctx.dirs)? {
        // One broken profile must not hide the others.
        let profile = match Profile::open(&ctx.access, &name) {
            Ok(profile) => profile,
            Err(e) => {
                ctx.warn(format!("profile '{name}' skipped: {e}"));
                continue;
            }
        };
        let info = profile.info();
        let meta = profile.cached_metadata();
        let next_expiry = meta
            .iter()
            .flat_map(|m| m.variables.values())
            .filter_map(|v| v.expires_at)
            .min();
        rows.push(Row {
            current: name == ctx.profile,
            name: name.to_string(),
            backend: info.backend.to_string(),
            store: info.location,
            variables: meta.map_or(0, |m| m.variables.len()),
            next_expiry,
        });
    }
    if json {
        return super::print_json(&rows).map(|()| Exit::Ok);
    }
    if rows.is_empty() {
        ctx.note("no profiles yet; create one with `bscred init`");
        return Ok(Exit::Ok);
    }
    let table: Vec<[String; 5]> = rows
        .iter()
        .map(|row| {
            let mark = if row.current { "* " } else { "  " };
            [
                format!("{mark}{}", row.name),
                row.backend.clone(),
                row.variables.to_string(),
                expiry::describe(row.next_expiry, ctx.now, ctx.tz()),
                row.store.clone(),
            ]
        })
        .collect();
    let text = super::table(
        ["  NAME", "BACKEND", "VARS", "NEXT EXPIRY", "STORE"],
        &table,
    );
    super::print_text(&text)?;
    Ok(Exit::Ok)
}

/// Deletes the profile `name` once confirmed. The store goes first and the
/// settings last, so an interrupted removal leaves a profile that a second
/// `profiles rm` finishes, never settings pointing at nothing.
fn remove(ctx: &Context, name: &ProfileName, yes: bool) -> Result<Exit> {
    let profile = ctx.open(name)?;
    let location = profile.info().location;
    let count = profile.cached_metadata().map(|m| m.variables.len());
    if !yes {
        confirm_removal(name, count, &location)?;
    }
    let _lock = profile.lock()?;
    let store = if profile.store().exists()? {
        profile.remove_store()?
    } else {
        format!("its store {location} was already gone")
    };
    for path in [ctx.dirs.metadata(name), ctx.dirs.profile_settings(name)] {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => {
                return Err(Error::io(format!("cannot remove {}", path.display()))(e));
            }
            _ => {}
        }
    }
    let identity = match profile.settings.identity_source() {
        Some(IdentitySource::File(path)) => {
            format!("; the identity {} is kept", path.display())
        }
        Some(IdentitySource::Keychain(_)) => "; its identity stays in the keychain".to_string(),
        None => String::new(),
    };
    ctx.note(format!("removed profile '{name}': {store}{identity}"));
    Ok(Exit::Ok)
}

/// Renames a file-backend profile: the store file moves first, then the
/// settings. A second run finishes an interrupted one; an existing profile
/// or store under the new name is never overwritten.
fn rename(ctx: &Context, old: &ProfileName, new: &ProfileName) -> Result<Exit> {
    if old == new {
        return Err(Error::usage(
            format!("profile '{old}' already has that name"),
            "name a different NEW",
        ));
    }
    let profile = ctx.open(old)?;
    if profile.settings.backend != Backend::File {
        return Err(Error::Refused {
            message: format!(
                "profile '{old}' uses the {} backend; rename moves file-backend profiles",
                profile.settings.backend
            ),
            hint: format!(
                "move it through a file: `bscred -p {old} migrate --to file`, `bscred profiles rename {old} {new}`, then `bscred -p {new} migrate --to keychain`"
            ),
        });
    }
    // Both names locked, in a fixed order so two renames cannot deadlock.
    let (first, second) = if old < new { (old, new) } else { (new, old) };
    let _first = Ledger::of_profile(&ctx.dirs, first)
        .quiet(ctx.quiet)
        .lock()?;
    let _second = Ledger::of_profile(&ctx.dirs, second)
        .quiet(ctx.quiet)
        .lock()?;
    let taken = || Error::Refused {
        message: format!("a profile named '{new}' already exists"),
        hint: format!("pick another name, or remove it first with `bscred profiles rm {new}`"),
    };
    // Settings under the new name equal to the old ones may be what an
    // interrupted rename left (or a profile sharing the identity: its store
    // then stops the move below); other settings are another profile.
    let theirs = Settings::read(&ctx.dirs, new)?;
    if theirs.as_ref().is_some_and(|t| *t != profile.settings) {
        return Err(taken());
    }
    let from = ctx.dirs.profile_store(old);
    let to = ctx.dirs.profile_store(new);
    let present = |path: &std::path::Path| std::fs::symlink_metadata(path).is_ok();
    // Changes waiting under the new name belong to some earlier store: they
    // would be merged into this one. Checked before anything moves.
    let (pending_from, pending_to) = (pending_dir(&from), pending_dir(&to));
    // (Unless the store already moved, in an interrupted rename: then they
    // are this store's own, moved with it.)
    let store_moved = present(&to) && !present(&from);
    if present(&pending_to) && !store_moved {
        return Err(Error::Refused {
            message: format!(
                "{} holds changes for an earlier store named '{new}'",
                pending_to.display()
            ),
            hint: "move it away (or delete it, if that store is gone for good), then rename again"
                .to_string(),
        });
    }
    // From the first move on, a profile split between two names explains
    // itself and points here (see `Profile::explain`).
    let journal = ctx.dirs.rename_journal(old);
    let begin = || {
        crate::private_fs::ensure_dir(journal.parent().unwrap_or(&ctx.dirs.state))?;
        crate::private_fs::write_atomic(&journal, new.as_str().as_bytes())
    };
    match (present(&from), present(&to)) {
        (true, true) if theirs.is_some() => return Err(taken()),
        (true, true) => {
            return Err(Error::StoreExists {
                location: to.display().to_string(),
            });
        }
        (true, false) => {
            begin()?;
            move_file(&from, &to)?;
        }
        // Moved by an interrupted rename.
        (false, true) => begin()?,
        (false, false) => {
            return Err(Error::StoreMissing {
                profile: old.to_string(),
                location: from.display().to_string(),
            });
        }
    }
    // Changes written without the identity follow their store.
    if present(&pending_from) {
        move_file(&pending_from, &pending_to)?;
    }
    profile.settings.write(&ctx.dirs, new)?;
    let metadata = ctx.dirs.metadata(old);
    if metadata.exists() {
        move_file(&metadata, &ctx.dirs.metadata(new))?;
    }
    let settings = ctx.dirs.profile_settings(old);
    std::fs::remove_file(&settings)
        .map_err(Error::io(format!("cannot remove {}", settings.display())))?;
    std::fs::remove_file(&journal)
        .map_err(Error::io(format!("cannot remove {}", journal.display())))?;
    ctx.note(format!(
        "renamed profile '{old}' to '{new}' (store {}); a .bscred.toml or BSCRED_PROFILE naming '{old}' must now name '{new}'",
        to.display()
    ));
    Ok(Exit::Ok)
}

/// Moves `from` to `to` within bscred's directories (a link stays a link).
fn move_file(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        crate::private_fs::ensure_dir(dir)?;
    }
    std::fs::rename(from, to).map_err(Error::io(format!(
        "cannot move {} to {}",
        from.display(),
        to.display()
    )))
}

/// Asks on the terminal for the profile's name before deleting it; refuses
/// when nobody is there to ask.
fn confirm_removal(name: &ProfileName, count: Option<usize>, location: &str) -> Result<()> {
    let refuse = |why: &str| Error::Refused {
        message: format!("profile '{name}' was not removed: {why}"),
        hint: format!("run it on a terminal, or add --yes: `bscred profiles rm {name} --yes`"),
    };
    if !std::io::stdin().is_terminal() {
        return Err(refuse("standard input is not a terminal to confirm on"));
    }
    let what = count.map_or_else(
        || "its variables".to_string(),
        |n| format!("its {n} variable{}", if n == 1 { "" } else { "s" }),
    );
    let question = format!(
        "This deletes profile '{name}' and {what} ({location}); it cannot be undone.\nType the profile name to confirm: "
    );
    let answer = prompt::visible(&question).map_err(Error::io("cannot read the confirmation"))?;
    if answer.trim() != name.as_str() {
        return Err(refuse("the name typed did not match"));
    }
    Ok(())
}
