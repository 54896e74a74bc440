//! `bscred init`: create a profile's storage.

use std::path::PathBuf;

use crate::cli::BackendChoice;
use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::identity::Identity;
use crate::profile::{Profile, Settings};
use crate::store::Backend;

/// Create a profile's storage: an age identity and an empty encrypted store
///
/// The file backend keeps your age identity in a 0600 file (created unless
/// one exists, or named with --identity) and the profile's variables in an
/// age-encrypted file. Running init again on an initialised profile changes
/// nothing.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Use this existing age identity file (as `age-keygen` writes it)
    /// instead of bscred's own
    #[arg(long, value_name = "PATH")]
    identity: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let backend = match ctx.backend {
        None | Some(BackendChoice::Auto) | Some(BackendChoice::File) => Backend::File,
        Some(BackendChoice::Keychain) => {
            return Err(Error::usage(
                "the keychain backend is not available in this version of bscred",
                "use the file backend: `bscred init` (or --backend file)",
            ));
        }
    };
    let identity_arg = args
        .identity
        .map(|p| {
            std::path::absolute(&p).map_err(Error::io(format!("cannot resolve {}", p.display())))
        })
        .transpose()?;

    if let Some(settings) = Settings::read(&ctx.dirs, &ctx.profile)? {
        return already_initialised(ctx, settings, identity_arg);
    }

    let identity = match &identity_arg {
        Some(path) => Identity::load(path)?,
        None => {
            let path = ctx.dirs.default_identity();
            if path.exists() {
                let identity = Identity::load(&path)?;
                ctx.note(format!("using your existing identity {}", path.display()));
                identity
            } else if ctx.dirs.profile_store(&ctx.profile).exists() {
                // A new key could never open an existing store; creating one
                // would only leave an unused identity behind.
                return Err(Error::Refused {
                    message: format!(
                        "a store already exists at {}, and there is no identity to open it",
                        ctx.dirs.profile_store(&ctx.profile).display()
                    ),
                    hint: "name the identity that opens it: `bscred init --identity PATH`"
                        .to_string(),
                });
            } else {
                let identity = Identity::generate(&path, ctx.now)?;
                ctx.note(format!(
                    "created identity {} (public key {}); back it up: without it the store cannot be read",
                    path.display(),
                    identity.recipients().join(", ")
                ));
                identity
            }
        }
    };
    let settings = Settings {
        backend,
        identity: identity.path().to_path_buf(),
        recipients: identity.recipients(),
    };
    let profile = Profile::with_settings(&ctx.dirs, &ctx.profile, settings);
    if profile.store().exists()? {
        // A store without settings: its settings were lost, or an earlier
        // `init` was interrupted. Adopt it only if this identity opens it.
        profile.load(ctx.now)?;
        ctx.note(format!(
            "found an existing store at {} that this identity decrypts; adopting it",
            profile.info().location.display()
        ));
    } else {
        profile.create(ctx.now)?;
    }
    profile.settings.write(&ctx.dirs, &ctx.profile)?;

    let chosen = if matches!(ctx.backend, None | Some(BackendChoice::Auto)) {
        " (auto: this version has no keychain backend yet, so the file backend)"
    } else {
        ""
    };
    ctx.note(format!(
        "profile '{}' is ready: {backend} backend{chosen}, store {}",
        ctx.profile,
        profile.info().location.display()
    ));
    ctx.note("next: `bscred set GITHUB_TOKEN` (hidden prompt), or `bscred import .env --remove`");
    Ok(Exit::Ok)
}

fn already_initialised(
    ctx: &Context,
    settings: Settings,
    identity: Option<PathBuf>,
) -> Result<Exit> {
    ctx.check_backend(settings.backend)?;
    if let Some(path) = identity
        && path != settings.identity
    {
        return Err(Error::Refused {
            message: format!(
                "profile '{}' is already initialised with identity {}",
                ctx.profile,
                settings.identity.display()
            ),
            hint: "use another profile (-p NAME) for a different identity".to_string(),
        });
    }
    let profile = Profile::with_settings(&ctx.dirs, &ctx.profile, settings);
    if !profile.store().exists()? {
        return Err(Error::StoreMissing {
            profile: ctx.profile.to_string(),
            path: profile.info().location,
        });
    }
    ctx.note(format!(
        "profile '{}' is already initialised ({} backend, store {}); nothing changed",
        ctx.profile,
        profile.settings.backend,
        profile.info().location.display()
    ));
    Ok(Exit::Ok)
}
