//! `bscred identity`: back up the age identity that opens a profile's store,
//! and bring a backup back. Losing the identity loses every store
//! encrypted only to it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::identity::{self, Identity, IdentitySource};
use crate::private_fs;
use crate::prompt;

/// Back up or restore the age identity that decrypts your stores
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
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    match args.action {
        Action::Export { file, passphrase } => export(ctx, &file, passphrase),
        Action::Import { file, to } => import(ctx, &file, to),
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
    let text = identity::read_raw(&source)?;
    let identity = Identity::from_text(&source, &text)?;
    if identity.is_ssh() {
        return Err(Error::usage(
            format!("the identity of profile '{}' is an SSH key", ctx.profile),
            format!("back up the key file itself: {}", source.describe()),
        ));
    }
    refuse_existing(file)?;
    let bytes = if passphrase {
        encrypt_with_passphrase(&text)?
    } else {
        text
    };
    private_fs::write_new(file, &bytes)?;
    let how = if passphrase {
        "encrypted with your passphrase; `bscred identity import` or `age -d` reads it"
    } else {
        "in plaintext: anyone with this file can read your stores"
    };
    ctx.note(format!(
        "wrote the identity of profile '{}' (public key {}) to {}, {how}",
        ctx.profile,
        identity.recipients().join(", "),
        file.display()
    ));
    Ok(Exit::Ok)
}

fn import(ctx: &Context, file: &Path, to: Option<PathBuf>) -> Result<Exit> {
    let dest = to.unwrap_or_else(|| ctx.dirs.default_identity());
    let mut raw = Zeroizing::new(Vec::new());
    std::fs::File::open(file)
        .and_then(|mut f| f.read_to_end(&mut raw))
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::InputNotFound {
                    what: file.display().to_string(),
                    hint: None,
                }
            } else {
                Error::io(format!("cannot read {}", file.display()))(e)
            }
        })?;
    let text = if is_age_file(&raw) {
        decrypt_with_passphrase(file, &raw)?
    } else {
        raw
    };
    let source = IdentitySource::File(dest.clone());
    let identity = Identity::from_text(&source, &text)?;
    if identity.is_ssh() {
        return Err(Error::usage(
            "that is an SSH key, not an age identity",
            "use it where it is: `bscred init --identity KEY`",
        ));
    }
    if dest.exists() {
        let present = Identity::load(&dest)?;
        if present.recipients() == identity.recipients() {
            ctx.note(format!("{} already holds this identity", dest.display()));
            return Ok(Exit::Ok);
        }
        refuse_existing(&dest)?;
    }
    private_fs::write_new(&dest, &text)?;
    ctx.note(format!(
        "saved the identity (public key {}) to {}; a profile uses it with `bscred init --identity {}`",
        identity.recipients().join(", "),
        dest.display(),
        dest.display()
    ));
    Ok(Exit::Ok)
}

/// Refuses to replace a file: an identity or backup there may be the only
/// copy of a key.
fn refuse_existing(path: &Path) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::Refused {
            message: format!("{} already exists", path.display()),
            hint: "bscred never replaces a key file; name another path".to_string(),
        });
    }
    Ok(())
}

fn is_age_file(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/")
        || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

/// Asks twice for a new passphrase and encrypts `plain` to it, armored.
fn encrypt_with_passphrase(plain: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let ask = |question: &str| {
        prompt::hidden(question).map_err(Error::io("cannot read a passphrase from the terminal"))
    };
    let first = ask("Passphrase for the backup (input hidden): ")?;
    if first.is_empty() {
        return Err(Error::Refused {
            message: "the passphrase is empty".to_string(),
            hint: "choose a passphrase, or export without --passphrase".to_string(),
        });
    }
    if *ask("The same passphrase again: ")? != *first {
        return Err(Error::Refused {
            message: "the two passphrases differ".to_string(),
            hint: "run it again and type the same passphrase twice".to_string(),
        });
    }
    let recipient = age::scrypt::Recipient::new(SecretString::from(first.to_string()));
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as _))
        .map_err(|e| Error::io("cannot encrypt the backup")(std::io::Error::other(e)))?;
    let mut out = Zeroizing::new(Vec::new());
    let written = age::armor::ArmoredWriter::wrap_output(&mut *out, age::armor::Format::AsciiArmor)
        .and_then(|armor| {
            let mut writer = encryptor.wrap_output(armor)?;
            writer.write_all(plain)?;
            writer.finish()?.finish()
        });
    written.map_err(Error::io("cannot encrypt the backup"))?;
    Ok(out)
}

/// Decrypts a passphrase-encrypted backup, asking for the passphrase.
fn decrypt_with_passphrase(file: &Path, bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let fail = |reason: &str| Error::Decrypt {
        path: file.to_path_buf(),
        reason: reason.to_string(),
    };
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(bytes))
        .map_err(|_| fail("it is not a valid age file"))?;
    if !decryptor.is_scrypt() {
        return Err(fail(
            "it is encrypted to keys, not a passphrase; decrypt it with `age -d -i KEY` first",
        ));
    }
    let passphrase = prompt::hidden(&format!(
        "Passphrase for {} (input hidden): ",
        file.display()
    ))
    .map_err(Error::io("cannot read a passphrase from the terminal"))?;
    let key = age::scrypt::Identity::new(SecretString::from(passphrase.to_string()));
    let mut reader = decryptor
        .decrypt(std::iter::once(&key as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                fail("the passphrase is wrong")
            }
            other => fail(&other.to_string()),
        })?;
    let mut plain = Zeroizing::new(Vec::new());
    reader
        .read_to_end(&mut plain)
        .map_err(|_| fail("it was truncated or tampered with"))?;
    Ok(plain)
}
