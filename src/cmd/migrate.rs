//! `bscred migrate`: move a profile between backends without loss.

use crate::cli::VaultArgs;
use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::identity::{Identity, IdentitySource};
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

    /// Where the profile goes with `--to vault`
    #[command(flatten)]
    vault: VaultArgs,
}

/// The backends a profile can move to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    /// The OS keychain
    Keychain,
    /// An age-encrypted file, with your default identity
    File,
    /// A KV version 2 secret on a Vault/OpenBao server (--vault-addr, --vault-path)
    Vault,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let to = match args.to {
        Target::Keychain => Backend::Keychain,
        Target::File => Backend::File,
        Target::Vault => Backend::Vault,
    };
    if args.vault.any() && to != Backend::Vault {
        return Err(Error::usage(
            "the --vault-* options are for `--to vault`",
            "drop them",
        ));
    }
    let source = Profile::open(&ctx.access, &ctx.profile)?;
    if source.settings.backend == to {
        // Running a move again finishes one that was interrupted after the
        // switch: the old copy, older than the current one, goes now.
        let lock = source.lock()?;
        let current = source.load_locked(&lock, ctx.now)?;
        match other_copy(ctx, to) {
            Some((old, doc)) if doc.as_ref() == Some(&current) => ctx.note(format!(
                "profile '{}' already uses the {to} backend; removed the old copy an interrupted move left: {}",
                ctx.profile,
                old.remove_store()?
            )),
            Some((old, _)) => ctx.warn(format!(
                "profile '{}' already uses the {to} backend; another copy at {} differs from it (or cannot be read) and was left alone: check it, then delete it yourself",
                ctx.profile,
                old.info().location
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
    let lock = source.lock()?;
    let doc = source.load_locked(&lock, ctx.now)?;
    if to == Backend::Vault {
        // A Vault secret holds no refresh credential (`store/vault.rs`):
        // the copy would not read back identically, and a refresh token
        // that works once does not belong in a secret teammates share.
        if let Some(name) = doc
            .variables
            .iter()
            .find_map(|(name, var)| var.refresh.is_some().then_some(name))
        {
            return Err(Error::usage(
                format!(
                    "{name} in profile '{}' is a GitHub login (`bscred login github`); a personal GitHub login does not belong in a shared Vault secret",
                    ctx.profile
                ),
                format!(
                    "log in into a personal profile instead (`bscred init -p personal`, then `bscred -p personal login github --client-id ID`), and remove it here with `{} rm {name}`",
                    ctx.cli()
                ),
            ));
        }
    }

    let settings = match to {
        Backend::Keychain => {
            let keychain = ctx.access.keychain()?;
            keychain.probe()?;
            Settings::keychain(profile_account(&ctx.dirs, &ctx.profile))
        }
        Backend::File => Settings::file(&default_identity(ctx)?),
        Backend::Vault => {
            let mut vault = args.vault.settings(&ctx.access.vault)?;
            // Every name moved is the user's own, so accepted: `env` and
            // `exec` keep exporting it once others can write the secret.
            vault.accepted = doc.variables.keys().map(ToString::to_string).collect();
            Settings::vault(vault, &default_identity(ctx)?)
        }
    };
    let target = Profile::with_settings(&ctx.access, &ctx.profile, settings)?;

    // 1. Copy. Something already there is used only if it is exactly this
    //    profile (an interrupted move got that far); anything else may be
    //    the only copy of other values, and is never overwritten.
    if target.store().exists()? {
        let there = target.store().load().ok();
        if there.as_ref() != Some(&doc) {
            return Err(Error::Refused {
                message: format!(
                    "{} already holds a different copy of profile '{}'; nothing was moved",
                    target.info().location,
                    ctx.profile
                ),
                hint:
                    "check that copy and move or delete it first; bscred never overwrites a store"
                        .to_string(),
            });
        }
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
    target.load_locked(&lock, ctx.now)?;
    // 4. Remove the old copy. The move is done either way: a failure here
    //    leaves a stale copy, said plainly, not an error.
    let removed = if source.settings.backend == Backend::Vault {
        // The Vault secret is the team's: teammates (and CI) read it, so
        // moving one's own profile away must not delete it. Only this
        // machine's offline copy goes.
        let _ = std::fs::remove_file(ctx.dirs.offline_copy(&ctx.profile));
        // A `vault login` token has nothing left to open.
        let _ = std::fs::remove_file(ctx.dirs.vault_login(&ctx.profile));
        let _ = std::fs::remove_file(ctx.dirs.vault_login_record(&ctx.profile));
        format!(
            "the Vault secret {} is left in place for the others who use it (delete it with `bao kv metadata delete` if no one does)",
            source.info().location
        )
    } else {
        match source.remove_store() {
            Ok(removed) => removed,
            Err(e) => {
                ctx.warn(format!(
                "the old copy at {} could not be removed ({}); run `bscred migrate --to {to}` again to remove it",
                source.info().location,
                e
            ));
                "the old copy remains".to_string()
            }
        }
    };
    ctx.note(format!(
        "moved profile '{}' ({} variables) from the {} backend to {}; {removed}",
        ctx.profile,
        doc.variables.len(),
        source.settings.backend,
        target.info().location
    ));
    Ok(Exit::Ok)
}

/// The copy of the profile on the backend it does not use, where a move
/// would have put it, and its document if it can be read. `None` when there
/// is none (or no keychain to ask).
fn other_copy(
    ctx: &Context,
    current: Backend,
) -> Option<(Profile, Option<crate::store::Document>)> {
    let settings = match current {
        // A vault profile came from the file or the keychain backend: no
        // single place to look, and nothing there is the server's to keep.
        Backend::Vault => return None,
        Backend::File => Settings::keychain(profile_account(&ctx.dirs, &ctx.profile)),
        Backend::Keychain => Settings {
            backend: Backend::File,
            identity: Some(ctx.dirs.default_identity()),
            ..Settings::keychain(String::new())
        },
    };
    let other = Profile::with_settings(&ctx.access, &ctx.profile, settings).ok()?;
    if !other.store().exists().unwrap_or(false) {
        return None;
    }
    let doc = other.store().load().ok();
    Some((other, doc))
}

/// The identity a profile moving to the file backend is encrypted to: the
/// user's default identity file, created if there is none yet.
fn default_identity(ctx: &Context) -> Result<Identity> {
    let path = ctx.dirs.default_identity();
    if path.exists() {
        Identity::load(&path, &ctx.access)
    } else {
        let identity = Identity::generate(
            &IdentitySource::File(path.clone()),
            ctx.now,
            None,
            &ctx.access,
        )?;
        ctx.note(format!(
            "created identity {}; back it up: without it the store cannot be read",
            path.display()
        ));
        Ok(identity)
    }
}
