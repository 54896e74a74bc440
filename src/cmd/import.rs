//! `bscred import`: move variables from a plaintext dotenv file (or the
//! current environment) into the profile, and optionally delete the
//! plaintext once the copy is verified (the work is in `src/import.rs`).

use std::path::PathBuf;

use crate::context::Context;
use crate::error::{Exit, Result};
use crate::import::{self, AppOptions, Options};
use crate::secret::VarName;

/// Import variables from a dotenv file or the environment
///
/// Reads a dotenv file (default .env) or, with --from-env, the current
/// environment. Names that look secret are stored as secret. A name that
/// already holds a different value is refused unless --overwrite. With
/// --github-app, reads the credentials file `backstage-cli
/// create-github-app` writes into GITHUB_APP_ID, GITHUB_APP_CLIENT_ID,
/// GITHUB_APP_CLIENT_SECRET, GITHUB_APP_WEBHOOK_SECRET and
/// GITHUB_APP_PRIVATE_KEY (other fields likewise), and prints the
/// app-config.yaml lines that reference them.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred import .env --remove      # move a plaintext .env in, then delete its lines\n  \
    bscred import --from-env GITHUB_TOKEN GITHUB_USERNAME\n  \
    bscred import --github-app github-app-backstage-acme-credentials.yaml --remove")]
pub struct Args {
    /// The dotenv file to read, or - for stdin [default: .env]
    #[arg(value_name = "FILE", conflicts_with_all = ["from_env", "github_app"])]
    file: Option<PathBuf>,

    /// Read a GitHub App's credentials file (github-app-*-credentials.yaml)
    /// instead of a dotenv file
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from_env", "secret", "plain"])]
    github_app: Option<PathBuf>,

    /// With --github-app: the variables' prefix, for a second app
    /// (ACME_APP gives ACME_APP_PRIVATE_KEY, …)
    #[arg(long, value_name = "PREFIX", requires = "github_app", default_value = crate::github_app::DEFAULT_PREFIX)]
    app_prefix: String,

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
    if let Some(file) = &args.github_app {
        let snippet = import::github_app(
            &ctx.open_profile()?,
            ctx.now,
            ctx.notices(),
            file,
            &AppOptions {
                prefix: args.app_prefix,
                remove: args.remove,
                follow_symlink: args.follow_symlink,
                overwrite: args.overwrite,
            },
        )?;
        super::print(snippet.as_bytes())?;
        return Ok(Exit::Ok);
    }
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
