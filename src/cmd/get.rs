//! `bscred get`: print one value.

use zeroize::Zeroizing;

use crate::context::Context;
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
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let profile = ctx.open_profile()?;
    let mut doc = profile.load(ctx.now)?;
    let var = doc
        .variables
        .remove(&args.name)
        .ok_or_else(|| Error::VarNotFound {
            name: args.name.to_string(),
            profile: ctx.profile.to_string(),
        })?;
    ctx.remind([(args.name.as_str(), var.expires_at)])?;
    let mut out = Zeroizing::new(var.value.expose().as_bytes().to_vec());
    if !args.no_newline {
        out.push(b'\n');
    }
    super::print(&out)?;
    Ok(Exit::Ok)
}
