//! `bscred github`: GitHub's side of the profile; `github app-token`
//! prints an installation token for the stored GitHub App (the work is in
//! `src/app_token.rs`).

use zeroize::Zeroizing;

use crate::app_token::{self, App, Ask, Permission, Target};
use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::github;
use crate::github::Repo;

/// Work with GitHub on the profile's behalf
///
/// `app-token` prints a one-hour installation token of the GitHub App whose
/// credentials `bscred import --github-app` stored.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred github app-token\n  \
    GH_TOKEN=$(bscred github app-token --repo acme/backstage) gh pr list -R acme/backstage")]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    AppToken(AppTokenArgs),
}

/// Print a one-hour installation token for the stored GitHub App
///
/// Signs a JWT with the app's private key (GITHUB_APP_PRIVATE_KEY, as
/// `bscred import --github-app` stores it; issuer GITHUB_APP_CLIENT_ID, or
/// GITHUB_APP_ID), asks GitHub for an installation token with it, and
/// prints only the token (ghs_…) on stdout. Without --installation or
/// --repo, the app's one installation is used; when it has several, bscred
/// lists them and asks you to name one. --repo limits the token to that
/// repository. Nothing is stored: each run asks GitHub for a new token.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    GH_TOKEN=$(bscred github app-token --repo acme/backstage) gh pr list -R acme/backstage\n  \
    bscred github app-token --installation 12345678 --permissions contents=read,issues=write\n  \
    bscred github app-token --app-prefix ACME_APP --json")]
pub struct AppTokenArgs {
    /// The installation to act for (its ID, from the app's installations
    /// page or the list bscred prints)
    #[arg(long, value_name = "ID", conflicts_with = "repo")]
    installation: Option<u64>,

    /// The repository to act on: the app's installation there, and a token
    /// limited to it
    #[arg(long, value_name = "OWNER/REPO")]
    repo: Option<Repo>,

    /// Ask for only these permissions (comma-separated NAME=LEVEL, LEVEL
    /// read, write or admin) [default: all the installation has]
    #[arg(long, value_delimiter = ',', value_name = "NAME=LEVEL")]
    permissions: Vec<Permission>,

    /// The prefix the app's variables were imported under (`import
    /// --github-app --app-prefix`)
    #[arg(long, value_name = "PREFIX", default_value = crate::github_app::DEFAULT_PREFIX)]
    app_prefix: String,

    /// Print {token, expires_at, installation_id, permissions} as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    match args.command {
        Command::AppToken(args) => app_token(ctx, args),
    }
}

fn app_token(ctx: &Context, args: AppTokenArgs) -> Result<Exit> {
    let ask = Ask {
        target: Target::from_flags(args.installation, args.repo),
        permissions: app_token::permissions(&args.permissions)?,
    };
    let profile = ctx.open_profile()?;
    let doc = profile.load(ctx.now)?;
    let app = App::from_document(
        &doc,
        &args.app_prefix,
        &format!("profile '{}'", ctx.profile),
    )?;
    let api = github::api_base(
        &github::host_of(&profile.settings.github_host),
        ctx.github_api_url.as_deref(),
    );
    let minted = app_token::mint(&api, &app, ctx.now, &ask)?;
    let text = if args.json {
        #[derive(serde::Serialize)]
        struct Shown<'a> {
            token: &'a str,
            expires_at: jiff::Timestamp,
            installation_id: u64,
            permissions: &'a std::collections::BTreeMap<String, String>,
        }
        // Written straight into a wiped buffer, large enough that it never
        // moves (and leaves a copy of the token behind) while it grows.
        let mut text = Zeroizing::new(Vec::with_capacity(4096));
        serde_json::to_writer_pretty(
            &mut *text,
            &Shown {
                token: minted.token.expose(),
                expires_at: minted.expires_at,
                installation_id: minted.installation_id,
                permissions: &minted.permissions,
            },
        )
        .map_err(|e| Error::io("cannot serialise JSON output")(e.into()))?;
        text.push(b'\n');
        text
    } else {
        Zeroizing::new(format!("{}\n", minted.token.expose()).into_bytes())
    };
    super::print(&text)?;
    Ok(Exit::Ok)
}
