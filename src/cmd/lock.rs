//! `bscred unlock` and `bscred lock`: put a passphrase-protected identity
//! in the session cache ahead of time, or drop it before its timeout.

use crate::context::Context;
use crate::error::{Exit, Result};
use crate::identity::{self, Identity, IdentitySource};
use crate::unlock;

/// Unlock the profile's passphrase-protected identity for this session
///
/// Asks for the passphrase now, so that later commands (a script, an IDE
/// task, `bscred exec` without a terminal) do not. The unlocked identity is
/// kept in the Linux kernel's user keyring for `unlock_minutes` (config.toml,
/// default 15); `bscred lock` drops it sooner. Other platforms have no such
/// cache.
#[derive(Debug, clap::Args)]
pub struct UnlockArgs {}

/// Forget every unlocked identity this bscred keeps in the session cache
///
/// The next command that needs a passphrase-protected identity asks for
/// its passphrase again.
#[derive(Debug, clap::Args)]
pub struct LockArgs {}

pub fn unlock(ctx: &Context, _args: UnlockArgs) -> Result<Exit> {
    let path = ctx
        .open_profile()?
        .identity_file("the keychain unlocks it; there is no passphrase to cache")?;
    let source = IdentitySource::File(path.clone());
    let raw = identity::read_raw(&source, &ctx.access)?;
    if !unlock::is_protected(&raw) {
        ctx.note(format!(
            "the identity {} has no passphrase; there is nothing to unlock",
            path.display()
        ));
        return Ok(Exit::Ok);
    }
    Identity::parse(&source, &raw, &ctx.access.unlocker)?;
    match ctx.access.unlocker.cached(&raw)? {
        Some(minutes) => ctx.note(format!(
            "unlocked {} for {minutes} minutes; `bscred lock` forgets it sooner",
            path.display()
        )),
        None => ctx.warn(format!(
            "unlocked {}, but the session cache is off (unlock_minutes = 0) or refused: each command will ask again",
            path.display()
        )),
    }
    Ok(Exit::Ok)
}

pub fn lock(ctx: &Context, _args: LockArgs) -> Result<Exit> {
    match ctx.access.unlocker.lock()? {
        Some(0) => ctx.note("no unlocked identity was cached"),
        Some(count) => ctx.note(format!(
            "forgot {count} unlocked {}; the next use asks for the passphrase",
            if count == 1 { "identity" } else { "identities" }
        )),
        None => ctx.note("the session cache is off (unlock_minutes = 0); nothing to forget"),
    }
    Ok(Exit::Ok)
}
