//! `bscred init`: create a profile's storage, then (on a terminal, or
//! with its flags) run the first-setup wizard in `wizard.rs`.

mod wizard;

use std::path::PathBuf;

use crate::allow::AllowList;
use crate::cli::{BackendChoice, VaultArgs};
use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::identity::{Identity, IdentitySource};
use crate::profile::{Profile, Settings, identity_account, profile_account};
use crate::project;
use crate::prompt;
use crate::store::Backend;
use crate::unlock;

/// Create a profile's storage: a keychain item, or an age identity and file
///
/// With --backend auto (the default) the profile lives in the OS keychain
/// when one answers, else in an age-encrypted file; stderr says which. The
/// file backend keeps your age identity in a 0600 file (created unless one
/// exists, or named with --identity) or in the keychain
/// (--identity-in-keychain). Running init again on an initialised profile
/// changes nothing.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Use this existing age identity file (as `age-keygen` writes it)
    /// instead of bscred's own (file backend)
    #[arg(long, value_name = "PATH", conflicts_with = "identity_in_keychain")]
    identity: Option<PathBuf>,

    /// File backend: keep a new age identity in the OS keychain instead of
    /// a file, so the encrypted store can live in a repository while the key
    /// stays in the keychain
    #[arg(long)]
    identity_in_keychain: bool,

    /// File backend: protect the new identity file with a passphrase (age
    /// scrypt, as `age -p` writes it), asked on the terminal or read from
    /// --passphrase-file. Writing values never needs it; reading asks once
    /// per session (see `bscred unlock`)
    #[arg(long, conflicts_with = "identity_in_keychain")]
    passphrase: bool,

    /// Write (and allow) a .bscred.toml here that names this profile and
    /// requires GITHUB_TOKEN, GITHUB_USERNAME, USER_DISPLAY_NAME and
    /// USER_EMAIL [default: ask on a terminal in a Backstage app]
    #[arg(long, conflicts_with = "no_project_file")]
    project_file: bool,

    /// Do not write a .bscred.toml, and do not ask
    #[arg(long)]
    no_project_file: bool,

    #[command(flatten)]
    vault: VaultArgs,

    #[command(flatten)]
    wizard: wizard::WizardArgs,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let identity_arg = args
        .identity
        .as_ref()
        .map(|p| {
            std::path::absolute(p).map_err(Error::io(format!("cannot resolve {}", p.display())))
        })
        .transpose()?;

    if let Some(settings) = Settings::read(&ctx.dirs, &ctx.profile)? {
        already_initialised(ctx, settings.clone(), identity_arg)?;
        offer_project_file(ctx, &args)?;
        // First-run answers given as flags still count (a piped token must
        // never be dropped in silence); on a terminal without them, the
        // profile is simply there already.
        if args.wizard.any() {
            let profile = Profile::with_settings(&ctx.access, &ctx.profile, settings)?;
            wizard::run(ctx, &profile, &args.wizard)?;
        }
        return Ok(Exit::Ok);
    }

    let choice = match ctx.backend {
        // The Vault flags name the backend by themselves.
        None if args.vault.vault_path.is_some() => Some(BackendChoice::Vault),
        None if args.identity.is_none() && !args.identity_in_keychain && !args.passphrase => {
            wizard::ask_backend(&args.wizard)?
        }
        given => given,
    };
    if args.vault.any() && choice != Some(BackendChoice::Vault) {
        return Err(Error::usage(
            "--vault-addr, --vault-path and the other --vault-* options are for the vault backend",
            "add --backend vault, or drop them",
        ));
    }
    let (backend, why) = choose_backend(ctx, choice, &args)?;
    let settings = match backend {
        Backend::Keychain => Settings::keychain(profile_account(&ctx.dirs, &ctx.profile)),
        Backend::File => Settings::file(&file_identity(ctx, &args, identity_arg.as_deref())?),
        // The user's own identity encrypts the offline copy (and a
        // `vault login` token kept in a file).
        Backend::Vault => {
            let vault = args.vault.settings(&ctx.access.vault)?;
            Settings::vault(vault, &file_identity(ctx, &args, identity_arg.as_deref())?)
        }
    };
    let profile = Profile::with_settings(&ctx.access, &ctx.profile, settings)?;
    if profile.store().exists()? {
        // A store without settings: its settings were lost, or an earlier
        // `init` was interrupted. Adopt it only if it can be read.
        let doc = profile.load(ctx.now)?;
        ctx.note(format!(
            "found an existing store at {} that can be read; adopting it",
            profile.info().location
        ));
        let others: Vec<String> = profile
            .unaccepted(&doc)
            .iter()
            .map(ToString::to_string)
            .collect();
        if !others.is_empty() {
            ctx.note(format!(
                "its Vault secret holds {}, which others wrote: `env` and `exec` leave them out until you read them (`bscred -p {} list`) and accept them (`bscred allow -p {}`)",
                others.join(", "),
                ctx.profile,
                ctx.profile
            ));
        }
    } else {
        profile.create(ctx.now)?;
    }
    profile.settings.write(&ctx.dirs, &ctx.profile)?;

    ctx.note(format!(
        "profile '{}' is ready: {backend} backend{why}, store {}",
        ctx.profile,
        profile.info().location
    ));
    offer_project_file(ctx, &args)?;
    if !wizard::run(ctx, &profile, &args.wizard)? {
        ctx.note(
            "next: `bscred set GITHUB_TOKEN` (hidden prompt), or `bscred import .env --remove`",
        );
    }
    Ok(Exit::Ok)
}

/// The backend for a new profile, and the words that say why it was chosen
/// when `auto` chose it. `auto` asks the keychain (within the timeout) and
/// falls back to the file backend, never to plaintext.
fn choose_backend(
    ctx: &Context,
    choice: Option<BackendChoice>,
    args: &Args,
) -> Result<(Backend, String)> {
    let keychain = || ctx.access.keychain();
    match choice {
        Some(BackendChoice::File) => Ok((Backend::File, String::new())),
        Some(BackendChoice::Vault) => Ok((Backend::Vault, String::new())),
        Some(BackendChoice::Keychain) => {
            if args.identity.is_some() || args.identity_in_keychain || args.passphrase {
                return Err(Error::usage(
                    "--identity, --identity-in-keychain and --passphrase are for the file backend",
                    "drop them, or use --backend file",
                ));
            }
            keychain()?.probe()?;
            Ok((Backend::Keychain, String::new()))
        }
        None | Some(BackendChoice::Auto) => {
            if args.identity.is_some() || args.identity_in_keychain || args.passphrase {
                return Ok((Backend::File, String::new()));
            }
            match keychain()?.probe() {
                Ok(()) => Ok((
                    Backend::Keychain,
                    " (auto: the OS keychain answered)".to_string(),
                )),
                Err(e) => Ok((
                    Backend::File,
                    format!(
                        " (auto: no keychain to use, {}; nothing is stored in plaintext)",
                        e.message
                    ),
                )),
            }
        }
    }
}

/// The identity a new file-backend profile uses: the one named, a new one
/// in the keychain, or the user's default identity file (created if need be).
fn file_identity(ctx: &Context, args: &Args, named: Option<&std::path::Path>) -> Result<Identity> {
    if let Some(path) = named {
        return existing(ctx, path, args);
    }
    if args.identity_in_keychain {
        if ctx.dirs.profile_store(&ctx.profile).exists() {
            // A new key could never open it; making one would only leave an
            // unreferenced secret key in the keychain.
            return Err(Error::Refused {
                message: format!(
                    "a store already exists at {}, and a new identity could not open it",
                    ctx.dirs.profile_store(&ctx.profile).display()
                ),
                hint: "name the identity that opens it: `bscred init --identity PATH`".to_string(),
            });
        }
        let source = IdentitySource::Keychain(identity_account(&ctx.profile));
        let identity = Identity::generate(&source, ctx.now, None, &ctx.access)?;
        ctx.note(format!(
            "created an age identity in the {} (public key {}); the store can live anywhere, even in a repository, while the key stays in the keychain; back it up with `bscred identity export --passphrase FILE`",
            source.describe(),
            identity.recipients().join(", ")
        ));
        return Ok(identity);
    }
    let path = ctx.dirs.default_identity();
    if path.exists() {
        let identity = existing(ctx, &path, args)?;
        ctx.note(format!("using your existing identity {}", path.display()));
        return Ok(identity);
    }
    if ctx.dirs.profile_store(&ctx.profile).exists() {
        // A new key could never open an existing store; creating one would
        // only leave an unused identity behind.
        return Err(Error::Refused {
            message: format!(
                "a store already exists at {}, and there is no identity to open it",
                ctx.dirs.profile_store(&ctx.profile).display()
            ),
            hint: "name the identity that opens it: `bscred init --identity PATH`".to_string(),
        });
    }
    let passphrase = if args.passphrase {
        Some(unlock::new_passphrase(
            ctx.access.unlocker.passphrase_file(),
            "the new identity",
        )?)
    } else {
        None
    };
    let identity = Identity::generate(
        &IdentitySource::File(path.clone()),
        ctx.now,
        passphrase.as_ref(),
        &ctx.access,
    )?;
    let (protection, backup) = if args.passphrase {
        (
            "protected by your passphrase",
            "keep a copy (it stays encrypted): `bscred identity export FILE`",
        )
    } else {
        (
            "a plain 0600 file",
            "back it up with `bscred identity export --passphrase FILE`",
        )
    };
    ctx.note(format!(
        "created identity {} (public key {}), {protection}; without it the store cannot be read: {backup}",
        path.display(),
        identity.recipients().join(", ")
    ));
    Ok(identity)
}

/// An identity file that exists already, used as it is: `--passphrase`
/// must not quietly leave an unprotected key in place.
fn existing(ctx: &Context, path: &std::path::Path, args: &Args) -> Result<Identity> {
    let identity = Identity::load(path, &ctx.access)?;
    if args.passphrase && !identity.is_protected() {
        return Err(Error::Refused {
            message: format!(
                "the identity {} exists and has no passphrase",
                path.display()
            ),
            hint: "initialise without --passphrase, then protect the file with `bscred passphrase change`".to_string(),
        });
    }
    Ok(identity)
}

/// In a Backstage app (an `app-config.yaml` here), offers to write a
/// `.bscred.toml` naming this profile and the four variables the app reads,
/// and allows it: the user made it, so there is nothing to review.
fn offer_project_file(ctx: &Context, args: &Args) -> Result<()> {
    if args.no_project_file {
        return Ok(());
    }
    let cwd = std::env::current_dir().map_err(Error::io("cannot read the working directory"))?;
    let path = cwd.join(project::FILE_NAME);
    if path.exists() {
        if args.project_file {
            ctx.note(format!("{} already exists; left unchanged", path.display()));
        }
        return Ok(());
    }
    let backstage = cwd.join("app-config.yaml").is_file();
    let write = if args.project_file {
        true
    } else if backstage && prompt::stdin_is_terminal() {
        prompt::confirm(&format!(
            "This looks like a Backstage app. Write {} requiring {}? [Y/n] ",
            project::FILE_NAME,
            project::BACKSTAGE_REQUIRED.join(", ")
        ))
        .map_err(Error::io("cannot read from the terminal"))?
    } else {
        if backstage {
            ctx.note("this looks like a Backstage app: `bscred init --project-file` writes a .bscred.toml that requires its four variables");
        }
        false
    };
    if !write {
        return Ok(());
    }
    let text = project::template(&ctx.profile, &project::BACKSTAGE_REQUIRED);
    // A file meant to be committed: created with the usual permissions, and
    // never over an existing one.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()))
        .map_err(Error::io(format!("cannot write {}", path.display())))?;
    let mut list = AllowList::read(&ctx.dirs)?;
    list.allow(&path, text.as_bytes(), &[]);
    list.write(&ctx.dirs)?;
    ctx.note(format!(
        "wrote and allowed {}; commit it so your team gets the same setup",
        path.display()
    ));
    Ok(())
}

fn already_initialised(ctx: &Context, settings: Settings, identity: Option<PathBuf>) -> Result<()> {
    ctx.check_backend(settings.backend)?;
    if let Some(path) = identity
        && Some(&path) != settings.identity.as_ref()
    {
        return Err(Error::Refused {
            message: format!(
                "profile '{}' is already initialised with identity {}",
                ctx.profile,
                settings
                    .identity_source()
                    .map_or("(none)".to_string(), |s| s.describe())
            ),
            hint: "use another profile (-p NAME) for a different identity".to_string(),
        });
    }
    // "Already initialised" must also mean "usable": a lost identity is
    // said here, not at the first `get`.
    if let Some(source) = settings.identity_source() {
        Identity::load_from(&source, &ctx.access)?;
    }
    let profile = Profile::with_settings(&ctx.access, &ctx.profile, settings)?;
    if !profile.store().exists()? {
        return Err(Error::StoreMissing {
            profile: ctx.profile.to_string(),
            location: profile.info().location,
        });
    }
    ctx.note(format!(
        "profile '{}' is already initialised ({} backend, store {}); nothing changed",
        ctx.profile,
        profile.settings.backend,
        profile.info().location
    ));
    Ok(())
}
