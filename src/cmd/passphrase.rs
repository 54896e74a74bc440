//! `bscred passphrase change`: protect the profile's identity file with a
//! new passphrase, add one to a plain file, or remove it. The key inside
//! stays the same, so no store is re-encrypted and teammates notice nothing.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::identity::{self, Identity, IdentitySource};
use crate::private_fs;
use crate::unlock;

/// Change, add or remove the passphrase of the profile's identity file
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred passphrase change                  # asks for the current one, then the new one twice\n  \
    bscred passphrase change --remove         # back to a plain 0600 file\n  \
    bscred --passphrase-file old.txt passphrase change --new-passphrase-file new.txt")]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Re-encrypt the identity file with a new passphrase (the current one
    /// is asked, or read from --passphrase-file); a plain identity file gets
    /// its first passphrase
    Change {
        /// Read the new passphrase from this file (first line, mode 0600)
        /// instead of asking twice on the terminal
        #[arg(long, value_name = "PATH", conflicts_with = "remove")]
        new_passphrase_file: Option<PathBuf>,
        /// Store the identity without a passphrase (a plain 0600 file)
        #[arg(long)]
        remove: bool,
    },
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let Action::Change {
        new_passphrase_file,
        remove,
    } = args.action;
    let path = ctx
        .open_profile()?
        .identity_file("the keychain protects it; a passphrase is for identity files")?;
    // Nothing reads or rewrites the file meanwhile (`identity rotate`).
    let _users = crate::profile::users_of(&ctx.access, &path, ctx.quiet)?;
    let source = IdentitySource::File(path.clone());
    let raw = identity::read_raw(&source, &ctx.access)?;
    if identity::is_ssh_key(&raw) {
        return Err(Error::usage(
            format!("the identity of profile '{}' is an SSH key", ctx.profile),
            format!(
                "change an SSH key's passphrase with `ssh-keygen -p -f {}`",
                path.display()
            ),
        ));
    }
    let protected = unlock::is_encrypted(&raw);
    // Knowing the current passphrase is the point: the cache does not count.
    let text = if protected {
        ctx.access
            .unlocker
            .open_with_passphrase(&source.describe(), &raw, unlock::Kind::Age)?
            .0
    } else {
        raw.clone()
    };
    if Identity::parse(&source, &text, &ctx.access.unlocker)?.is_ssh() {
        return Err(Error::usage(
            format!("the identity of profile '{}' is an SSH key", ctx.profile),
            format!(
                "change an SSH key's passphrase with `ssh-keygen -p -f {}`",
                path.display()
            ),
        ));
    }
    let new: Zeroizing<Vec<u8>> = if remove {
        if !protected {
            ctx.note(format!(
                "{} has no passphrase; nothing changed",
                path.display()
            ));
            return Ok(Exit::Ok);
        }
        text
    } else {
        let passphrase =
            unlock::new_passphrase(new_passphrase_file.as_deref(), &path.display().to_string())?;
        unlock::encrypt(&text, &passphrase)?
    };
    private_fs::write_atomic(&path, &new)?;
    ctx.access.unlocker.forget(&raw);
    if remove {
        ctx.warn(format!(
            "{} is now a plain 0600 file: anyone who can read it can read your stores",
            path.display()
        ));
    } else {
        ctx.note(format!(
            "{} is now protected by the new passphrase; the key inside is the same, so stores and teammates need nothing (backups exported before keep their own passphrase)",
            path.display()
        ));
    }
    Ok(Exit::Ok)
}
