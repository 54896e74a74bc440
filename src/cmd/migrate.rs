//! `bscred migrate`: move a profile between backends without loss.

use std::fs;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::identity::{Identity, IdentitySource};
use crate::keychain::{Keychain, SERVICE};
use crate::private_fs::Lock;
use crate::profile::{Profile, Settings, profile_account};
use crate::store::Backend;

/// Move a profile to another backend without loss
///
/// Copies every variable to the new backend, reads the copy back and
/// compares it, records the new backend, and only then removes the old
/// copy. Interrupted at any point, at least one complete copy remains and
/// the profile's settings point to one.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backend to move the profile to
    #[arg(long, value_enum, value_name = "BACKEND")]
    to: Target,
}

/// The backends a profile can move to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    /// The OS keychain
    Keychain,
    /// An age-encrypted file, with your default identity
    File,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let to = match args.to {
        Target::Keychain => Backend::Keychain,
        Target::File => Backend::File,
    };
    let source = Profile::open(&ctx.dirs, &ctx.profile)?;
    if source.settings.backend == to {
        // Running a move again finishes one that was interrupted after the
        // switch: the old copy, older than the current one, goes now.
        let _lock = Lock::acquire(&ctx.dirs.lock(&ctx.profile))?;
        source.load(ctx.now)?;
        match remove_leftover(ctx, to)? {
            Some(old) => ctx.note(format!(
                "profile '{}' already uses the {to} backend; removed the old copy an interrupted move left: {old}",
                ctx.profile
            )),
            None => ctx.note(format!(
                "profile '{}' already uses the {to} backend; nothing changed",
                ctx.profile
            )),
        }
        return Ok(Exit::Ok);
    }
    // One lock for the whole move: a `set` that waits for it finds the old
    // copy gone afterwards and fails loudly instead of writing where no one
    // will read.
    let _lock = Lock::acquire(&ctx.dirs.lock(&ctx.profile))?;
    let doc = source.load(ctx.now)?;

    let settings = match to {
        Backend::Keychain => {
            let keychain = Keychain::from_env().map_err(|e| Error::usage(e, "fix or unset it"))?;
            keychain.probe()?;
            Settings::keychain(profile_account(&ctx.dirs, &ctx.profile))
        }
        Backend::File => Settings::file(&default_identity(ctx)?),
    };
    let target = Profile::with_settings(&ctx.dirs, &ctx.profile, settings)?;

    // 1. Copy. A file left by an interrupted earlier move is replaced, but
    //    only if it decrypts: then it is bscred's own stale copy.
    if target.store().exists()? {
        target.store().update(&mut |d| {
            *d = doc.clone();
            Ok(())
        })?;
    } else {
        target.store().create(&doc)?;
    }
    // 2. Read the copy back from the new backend and compare.
    if target.store().load()? != doc {
        return Err(Error::Refused {
            message: format!(
                "the copy in {} did not read back identically; the profile still uses {}",
                target.info().location,
                source.info().location
            ),
            hint: "nothing was removed; try again, or keep using the current backend".to_string(),
        });
    }
    // 3. Switch: from here on the profile is the new copy.
    target.settings.write(&ctx.dirs, &ctx.profile)?;
    target.load(ctx.now)?;
    // 4. Remove the old copy.
    let removed = remove_source(&source)?;
    ctx.note(format!(
        "moved profile '{}' ({} variables) from the {} backend to {}; {removed}",
        ctx.profile,
        doc.variables.len(),
        source.settings.backend,
        target.info().location
    ));
    Ok(Exit::Ok)
}

/// Removes the copy of the profile on the backend it does not use, if an
/// interrupted move left one where a move puts it; says what it removed.
fn remove_leftover(ctx: &Context, current: Backend) -> Result<Option<String>> {
    match current {
        Backend::File => {
            let account = profile_account(&ctx.dirs, &ctx.profile);
            let keychain = Keychain::from_env().map_err(|e| Error::usage(e, "fix or unset it"))?;
            // No keychain to ask is no leftover to remove.
            Ok(match keychain.delete(&account) {
                Ok(true) => Some(format!("keychain item {SERVICE}/{account}")),
                Ok(false) | Err(_) => None,
            })
        }
        Backend::Keychain => {
            let path = ctx.dirs.profile_store(&ctx.profile);
            if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                return Ok(None);
            }
            fs::remove_file(&path)
                .map_err(Error::io(format!("cannot remove {}", path.display())))?;
            Ok(Some(path.display().to_string()))
        }
    }
}

/// The identity a profile moving to the file backend is encrypted to: the
/// user's default identity file, created if there is none yet.
fn default_identity(ctx: &Context) -> Result<Identity> {
    let path = ctx.dirs.default_identity();
    if path.exists() {
        Identity::load(&path)
    } else {
        let identity = Identity::generate(&IdentitySource::File(path.clone()), ctx.now)?;
        ctx.note(format!(
            "created identity {}; back it up: without it the store cannot be read",
            path.display()
        ));
        Ok(identity)
    }
}

/// Deletes the old copy; says what it did.
fn remove_source(source: &Profile) -> Result<String> {
    match source.settings.backend {
        Backend::Keychain => {
            let account = source.settings.item.as_deref().unwrap_or_default();
            let keychain = Keychain::from_env().map_err(|e| Error::usage(e, "fix or unset it"))?;
            keychain.delete(account)?;
            Ok(format!("removed {}", source.info().location))
        }
        Backend::File => {
            let path = std::path::PathBuf::from(source.info().location);
            if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                // The linked file may be a team's copy in a repository:
                // only the link is bscred's to remove.
                fs::remove_file(&path)
                    .map_err(Error::io(format!("cannot remove {}", path.display())))?;
                return Ok(format!(
                    "removed the link {}; the file it pointed to is untouched",
                    path.display()
                ));
            }
            fs::remove_file(&path)
                .map_err(Error::io(format!("cannot remove {}", path.display())))?;
            Ok(format!("removed {}", path.display()))
        }
    }
}
