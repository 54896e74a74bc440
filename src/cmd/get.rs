//! `bscred get`: print one value.

use zeroize::Zeroizing;

use crate::context::Context;
use crate::context::target::Target;
use crate::error::{Error, Exit, Result};
use crate::secret::VarName;

/// Print one variable's value
///
/// The value goes to stdout followed by a newline (none with -n).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Variable name
    name: VarName,

    /// Print the value exactly, without the trailing newline
    #[arg(short = 'n', long)]
    no_newline: bool,

    /// Read it from the project's team store (`store` in .bscred.toml)
    #[arg(long)]
    team: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let target = Target::open(ctx, args.team)?;
    let mut doc = target.load(ctx.now)?;
    if let Target::Profile(profile) = &target {
        // A GitHub user token about to expire is renewed first.
        doc = crate::refresh::fresh(
            profile,
            doc,
            Some(&[&args.name]),
            &ctx.renewal(&profile.name),
        )?;
    }
    let var = doc
        .variables
        .remove(&args.name)
        .ok_or_else(|| Error::VarNotFound {
            name: args.name.to_string(),
            place: target.describe(),
        })?;
    // The reminder's fix (`bscred rotate`) acts on profiles only.
    if !target.is_team() {
        ctx.remind([(args.name.as_str(), var.reminder_expiry())])?;
    }
    let mut out = Zeroizing::new(var.value.expose().as_bytes().to_vec());
    if !args.no_newline {
        out.push(b'\n');
    }
    super::print(&out)?;
    Ok(Exit::Ok)
}
