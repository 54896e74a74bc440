//! `bscred identity`: back up the age identity that opens a profile's store,
//! bring a backup back, or give it a new key. Losing the identity loses every store
//! encrypted only to it.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::identity::{self, Identity, IdentitySource};
use crate::private_fs::{self};
use crate::team::{TeamStore, add_line, remove_line};
use crate::unlock;

/// Back up, restore or rotate the age identity that decrypts your stores
///
/// Anyone holding the identity can read every store encrypted to it, and
/// without it (or a teammate's key among the recipients) those stores
/// cannot be opened again: keep a backup somewhere safe, offline.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred identity export --passphrase ~/bscred-identity.age   # asks for a passphrase\n  \
    bscred identity import ~/bscred-identity.age                # on a new machine\n  \
    age -d ~/bscred-identity.age                                # the Go age CLI reads it too")]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Write the profile's identity to a new file (0600), optionally
    /// encrypted with a passphrase (`age -p` format)
    Export {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Encrypt the copy with a passphrase asked on the terminal
        #[arg(long)]
        passphrase: bool,
    },
    /// Save an identity backup (plain or passphrase-encrypted) as an
    /// identity file
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Where to save it [default: bscred's default identity file]
        #[arg(long, value_name = "PATH")]
        to: Option<PathBuf>,
    },
    /// Replace the identity file's key with a new one and re-encrypt every
    /// profile that uses it (copies encrypted before, such as backups and
    /// git history, then open only with the old key: export it first if
    /// you need them)
    Rotate,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    match args.action {
        Action::Export { file, passphrase } => export(ctx, &file, passphrase),
        Action::Import { file, to } => import(ctx, &file, to),
        Action::Rotate => rotate(ctx),
    }
}

fn export(ctx: &Context, file: &Path, passphrase: bool) -> Result<Exit> {
    let profile = ctx.open_profile()?;
    let Some(source) = profile.settings.identity_source() else {
        return Err(Error::usage(
            format!(
                "profile '{}' uses the keychain backend, which has no identity to export",
                ctx.profile
            ),
            "the keychain holds its values; back up the keychain itself",
        ));
    };
    let raw = identity::read_raw(&source, &ctx.access)?;
    // Unlocking a protected one proves the copy is usable.
    let identity = Identity::parse(&source, &raw, &ctx.access.unlocker)?;
    if identity.is_ssh() {
        return Err(Error::usage(
            format!("the identity of profile '{}' is an SSH key", ctx.profile),
            format!("back up the key file itself: {}", source.describe()),
        ));
    }
    refuse_existing(file)?;
    let (bytes, how) = if identity.is_protected() {
        (
            raw,
            "still encrypted with the identity's passphrase; `bscred identity import` or `age -d` reads it",
        )
    } else if passphrase {
        let passphrase =
            unlock::new_passphrase(ctx.access.unlocker.passphrase_file(), "the backup")?;
        (
            unlock::encrypt(&raw, &passphrase)?,
            "encrypted with your passphrase; `bscred identity import` or `age -d` reads it",
        )
    } else {
        (
            raw,
            "in plaintext: anyone with this file can read your stores",
        )
    };
    private_fs::write_new(file, &bytes)?;
    ctx.note(format!(
        "wrote the identity of profile '{}' (public key {}) to {}, {how}",
        ctx.profile,
        identity.recipients().join(", "),
        file.display()
    ));
    Ok(Exit::Ok)
}

/// Saves a backup as an identity file, as it is: a passphrase-encrypted
/// one stays protected by its passphrase (checked by unlocking it).
fn import(ctx: &Context, file: &Path, to: Option<PathBuf>) -> Result<Exit> {
    let dest = to.unwrap_or_else(|| ctx.dirs.default_identity());
    let _lock = crate::profile::lock_identity(&ctx.dirs, &dest, ctx.quiet)?;
    // A key file is a few hundred bytes; its size, read first, bounds a
    // buffer that never grows (and so leaves no unwiped copy).
    let raw = std::fs::File::open(file)
        .and_then(|f| {
            let len = f.metadata()?.len().min(1 << 20);
            private_fs::read_wiped(f, usize::try_from(len).unwrap_or(1 << 20))
        })
        .map_err(Error::reading(file))?;
    if dest.exists() {
        let present = identity::read_raw(&IdentitySource::File(dest.clone()), &ctx.access)?;
        // Compared without unlocking anything: the same bytes, or the
        // same keys in two plain files.
        let same = *present == *raw
            || (!unlock::is_encrypted(&present)
                && !unlock::is_encrypted(&raw)
                && Identity::load(&dest, &ctx.access)?.recipients()
                    == Identity::parse(
                        &IdentitySource::File(file.to_path_buf()),
                        &raw,
                        &ctx.access.unlocker,
                    )?
                    .recipients());
        if same {
            ctx.note(format!("{} already holds this identity", dest.display()));
            return Ok(Exit::Ok);
        }
        refuse_existing(&dest)?;
    }
    let identity = Identity::parse(
        &IdentitySource::File(file.to_path_buf()),
        &raw,
        &ctx.access.unlocker,
    )?;
    if identity.is_ssh() {
        return Err(Error::usage(
            "that is an SSH key, not an age identity",
            "use it where it is: `bscred init --identity KEY`",
        ));
    }
    private_fs::write_new(&dest, &raw)?;
    let protection = if identity.is_protected() {
        ", protected by the backup's passphrase"
    } else {
        ""
    };
    ctx.note(format!(
        "saved the identity (public key {}) to {}{protection}; a profile uses it with `bscred init --identity {}`",
        identity.recipients().join(", "),
        dest.display(),
        dest.display()
    ));
    Ok(Exit::Ok)
}

/// Gives the profile's identity file a new key. The file first holds the
/// new key and the old, then each profile using it is re-encrypted to the
/// new key, then the old key is dropped: interrupted anywhere, every store
/// still opens, and running it again finishes the job.
fn rotate(ctx: &Context) -> Result<Exit> {
    let path = ctx.open_profile()?.identity_file(
        "rotating a keychain-held identity is not supported yet; `bscred identity export` backs it up",
    )?;
    let source = IdentitySource::File(path.clone());
    let raw = identity::read_raw(&source, &ctx.access)?;
    let (text, passphrase) = if unlock::is_encrypted(&raw) {
        let (text, passphrase) = ctx.access.unlocker.open_with_passphrase(
            &source.describe(),
            &raw,
            unlock::Kind::Age,
        )?;
        (text, Some(passphrase))
    } else {
        (raw.clone(), None)
    };
    let old = Identity::parse(&source, &text, &ctx.access.unlocker)?;
    if old.is_ssh() {
        return Err(Error::usage(
            format!("the identity of profile '{}' is an SSH key", ctx.profile),
            "make a new key with ssh-keygen, `bscred recipients add` its .pub, then point the profile at it",
        ));
    }
    let old_keys = old.recipients();
    let users = crate::profile::users_of(&ctx.access, &path, ctx.quiet)?;
    // Team stores list the key in a recipients file in their repository:
    // each must learn the new key while the old one still opens it, so each
    // is checked before anything changes.
    let (known, skipped) = TeamStore::known(&ctx.access, &source, ctx.now, ctx.notices())?;
    let mut teams = Vec::new();
    for team in known {
        let listed = team.lists_any(&old_keys).and_then(|listed| {
            if listed {
                team.load()?;
            }
            Ok(listed)
        });
        match listed {
            Ok(true) => teams.push(team),
            Ok(false) => {}
            Err(e) => {
                return Err(Error::Refused {
                    message: format!("{} cannot be moved to a new key: {e}", team.describe()),
                    hint: format!(
                        "nothing was changed; fix it and rotate again, or leave it behind with `bscred deny {}`",
                        team.project_file().display()
                    ),
                });
            }
        }
    }
    let (public, both_text, fresh_text) = identity::rotation(&text, ctx.now);
    // A protected identity stays protected, with the same passphrase; the
    // session cache learns each version, so re-encrypting every profile
    // (which decrypts it first) does not ask again.
    let seal = |plain: &Zeroizing<Vec<u8>>| -> Result<Zeroizing<Vec<u8>>> {
        let Some(passphrase) = &passphrase else {
            return Ok(plain.clone());
        };
        let sealed = unlock::encrypt(plain, passphrase)?;
        ctx.access.unlocker.remember(&sealed, plain)?;
        Ok(sealed)
    };
    let (both, fresh) = (seal(&both_text)?, seal(&fresh_text)?);
    ctx.access.unlocker.forget(&raw);
    private_fs::write_atomic(&path, &both)?;
    let mut names = Vec::new();
    for (user, lock) in users.profiles.iter().zip(&users.locks) {
        let mut recipients: Vec<String> = user
            .settings
            .recipients
            .iter()
            .filter(|key| !old_keys.contains(key))
            .cloned()
            .collect();
        recipients.insert(0, public.clone());
        user.reencrypt_locked(lock, recipients, ctx.now)?;
        names.push(format!("profile '{}'", user.name));
    }
    for team in &teams {
        team.change_recipients(|lines| {
            add_line(lines, &public);
            for key in &old_keys {
                remove_line(lines, key);
            }
            Ok(())
        })?;
        names.push(format!(
            "{} (commit it and {})",
            team.describe(),
            team.recipients_path.display()
        ));
    }
    private_fs::write_atomic(&path, &fresh)?;
    ctx.access.unlocker.forget(&both);
    for (store, why) in &skipped {
        ctx.warn(format!(
            "the team store {} was not moved to the new key ({why}); if it lists your old key, a teammate can add the new one: `bscred recipients --team add {public}`",
            store.display()
        ));
    }
    ctx.note(format!(
        "{} now holds a new key (public key {public}); re-encrypted {}. Copies encrypted before (backups, git history) open only with the old key, which is gone.",
        path.display(),
        names.join(", ")
    ));
    Ok(Exit::Ok)
}

/// Refuses to replace a file: an identity or backup there may be the only
/// copy of a key.
fn refuse_existing(path: &Path) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::KeyExists {
            what: path.display().to_string(),
        });
    }
    Ok(())
}
