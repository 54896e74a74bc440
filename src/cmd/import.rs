//! `bscred import`: move variables from a plaintext dotenv file (or the
//! current environment) into the profile, and optionally delete the
//! plaintext once the copy is verified (the work is in `src/import.rs`).

use std::path::PathBuf;

use crate::context::Context;
use crate::error::{Exit, Result};
use crate::import::{self, Options};
use crate::secret::VarName;

/// Import variables from a dotenv file or the environment
///
/// Reads a dotenv file (default .env) or, with --from-env, the current
/// environment. Names that look secret are stored as secret. A name that
/// already holds a different value is refused unless --overwrite.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred import .env --remove      # move a plaintext .env in, then delete its lines\n  \
    bscred import --from-env GITHUB_TOKEN GITHUB_USERNAME")]
pub struct Args {
    /// The dotenv file to read, or - for stdin [default: .env]
    #[arg(value_name = "FILE", conflicts_with = "from_env")]
    file: Option<PathBuf>,

    /// Take these variables from the current environment instead of a file
    #[arg(long, num_args = 1.., value_name = "NAME")]
    from_env: Vec<VarName>,

    /// Afterwards, delete the imported lines from FILE (keeping every other
    /// line), only once every value has been read back from the store
    #[arg(long, conflicts_with = "from_env")]
    remove: bool,

    /// With --remove, FILE may be a symlink: rewrite the file it points to
    /// (without this, a symlinked FILE is refused, since the real file may
    /// lie outside the project)
    #[arg(long, requires = "remove")]
    follow_symlink: bool,

    /// Replace variables that already hold a different value
    #[arg(long)]
    overwrite: bool,

    /// Store every imported value as secret
    #[arg(long, conflicts_with = "plain")]
    secret: bool,

    /// Store every imported value as plain
    #[arg(long)]
    plain: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    import::run(
        &ctx.open_profile()?,
        ctx.now,
        ctx.notices(),
        &Options {
            file: args.file,
            from_env: args.from_env,
            remove: args.remove,
            follow_symlink: args.follow_symlink,
            overwrite: args.overwrite,
            secret: args.secret,
            plain: args.plain,
            keep: Vec::new(),
        },
    )?;
    Ok(Exit::Ok)
}
