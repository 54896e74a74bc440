//! `bscred version`: what this build is, for bug reports.

use crate::error::{Exit, Result};
use crate::version;

/// Show the version, the commit and the target this binary was built for
///
/// The same as `bscred --version`, or as JSON with --json, to paste into a
/// bug report: it holds nothing about you, your profiles or your secrets.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print a JSON object (name, version, commit, target, debug)
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<Exit> {
    if args.json {
        super::print_json(&version::build())?;
    } else {
        super::print(format!("bscred {}\n", version::LINE).as_bytes())?;
    }
    Ok(Exit::Ok)
}
