//! `bscred identity`: back up the age identity that opens a profile's store,
//! bring a backup back, or give it a new key. Losing the identity loses every store
//! encrypted only to it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::identity::{self, Identity, IdentitySource};
use crate::private_fs::{self, Lock};
use crate::prompt;

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
    let text = identity::read_raw(&source)?;
    let identity = Identity::parse(&source, &text)?;
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
        .map_err(Error::reading(file))?;
    let text = if is_age_file(&raw) {
        decrypt_with_passphrase(file, &raw)?
    } else {
        raw
    };
    let source = IdentitySource::File(dest.clone());
    let identity = Identity::parse(&source, &text)?;
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

/// Gives the profile's identity file a new key. The file first holds the
/// new key and the old, then each profile using it is re-encrypted to the
/// new key, then the old key is dropped: interrupted anywhere, every store
/// still opens, and running it again finishes the job.
fn rotate(ctx: &Context) -> Result<Exit> {
    let profile = ctx.open_profile()?;
    let path = match profile.settings.identity_source() {
        Some(IdentitySource::File(path)) => path,
        Some(IdentitySource::Keychain(_)) => {
            return Err(Error::usage(
                format!(
                    "the identity of profile '{}' is in the keychain",
                    ctx.profile
                ),
                "rotating a keychain-held identity is not supported yet; `bscred identity export` backs it up",
            ));
        }
        None => {
            return Err(Error::usage(
                format!(
                    "profile '{}' uses the keychain backend, which has no identity",
                    ctx.profile
                ),
                "identities belong to file-backend profiles",
            ));
        }
    };
    let source = IdentitySource::File(path.clone());
    let text = identity::read_raw(&source)?;
    let old = Identity::parse(&source, &text)?;
    if old.is_ssh() {
        return Err(Error::usage(
            format!("the identity of profile '{}' is an SSH key", ctx.profile),
            "make a new key with ssh-keygen, `bscred recipients add` its .pub, then point the profile at it",
        ));
    }
    let old_keys = old.recipients();
    // Every profile opened by this file, each locked for the whole rotation.
    let mut users = Vec::new();
    for name in super::profiles::names(&ctx.dirs)? {
        let user = match ctx.open(&name) {
            Ok(user) => user,
            Err(e) => {
                ctx.warn(format!("profile '{name}' skipped: {e}"));
                continue;
            }
        };
        if user.settings.identity.as_deref() == Some(path.as_path()) {
            users.push(user);
        }
    }
    let _locks = users
        .iter()
        .map(|user| Lock::acquire(&ctx.dirs.lock(&user.name)))
        .collect::<Result<Vec<_>>>()?;
    let (public, both, fresh) = identity::rotation(&text, ctx.now);
    private_fs::write_atomic(&path, &both)?;
    let mut names = Vec::new();
    for user in &users {
        let mut recipients: Vec<String> = user
            .settings
            .recipients
            .iter()
            .filter(|key| !old_keys.contains(key))
            .cloned()
            .collect();
        recipients.insert(0, public.clone());
        super::recipients::reencrypt(ctx, user, recipients)?;
        names.push(format!("'{}'", user.name));
    }
    private_fs::write_atomic(&path, &fresh)?;
    ctx.note(format!(
        "{} now holds a new key (public key {public}); re-encrypted profile{} {}. Copies encrypted before (backups, git history) open only with the old key, which is gone; teammates need do nothing.",
        path.display(),
        if names.len() == 1 { "" } else { "s" },
        names.join(", ")
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
