//! `bscred rm`: delete variables.

use crate::context::Context;
use crate::context::target::Target;
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

    /// Delete them from the project's team store (`store` in .bscred.toml)
    #[arg(long)]
    team: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let target = Target::open(ctx, args.team)?;
    let mut removed = Vec::new();
    target.update(ctx.now, &mut |doc| {
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
                place: target.describe(),
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
            "removed {} from {}",
            removed.join(", "),
            target.describe()
        ));
    }
    Ok(Exit::Ok)
}
