//! `bscred rm`: delete variables.

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::secret::VarName;

/// Delete variables
///
/// All or nothing: if one name is not in the profile, nothing is deleted
/// (unless --force).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Variable names
    #[arg(required = true, value_name = "NAME")]
    names: Vec<VarName>,

    /// Ignore names that are not in the profile
    #[arg(short, long)]
    force: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let profile = ctx.open_profile()?;
    let mut removed = Vec::new();
    profile.update(ctx.now, &mut |doc| {
        removed.clear();
        let missing: Vec<&str> = args
            .names
            .iter()
            .filter(|n| !doc.variables.contains_key(*n))
            .map(VarName::as_str)
            .collect();
        if !missing.is_empty() && !args.force {
            return Err(Error::VarNotFound {
                name: missing.join(", "),
                profile: ctx.profile.to_string(),
            });
        }
        for name in &args.names {
            if doc.variables.remove(name).is_some() {
                removed.push(name.to_string());
            }
        }
        Ok(())
    })?;
    if removed.is_empty() {
        ctx.note("nothing to remove");
    } else {
        ctx.note(format!(
            "removed {} from profile '{}'",
            removed.join(", "),
            ctx.profile
        ));
    }
    Ok(Exit::Ok)
}
