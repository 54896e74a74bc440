//! `bscred login github`: a short-lived GitHub user token by device flow,
//! stored with its refresh token so that `env`, `exec`, `get` and the git
//! helper renew it (issue 17, part 3; `device_flow.rs`, `refresh.rs`).

use std::io::IsTerminal;

use crate::context::Context;
use crate::device_flow::{self, DeviceCode};
use crate::error::{Error, Exit, Result};
use crate::github;
use crate::secret::VarName;
use crate::store::Backend;
use crate::store::document::RefreshCredential;

/// Log in to a service and store a short-lived token
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    service: Service,
}

#[derive(Debug, clap::Subcommand)]
enum Service {
    Github(GithubArgs),
}

/// Get a GitHub user token by device flow; bscred renews it
///
/// Asks GitHub for a code, prints it with the page to enter it on (and
/// opens that page on a desktop), then waits until you approve. The user
/// token (ghu_…, valid 8 hours) is stored as GITHUB_TOKEN (or --name),
/// with its expiry; its refresh token (valid about 6 months) is kept with
/// it as a credential of the profile, never exported or printed. `env`,
/// `exec`, `get` and the git helper renew a token that expires within 5
/// minutes before handing it out. --client-id is the GitHub App's Client ID
/// (Iv1.… or Iv23…); the App must have "Enable Device Flow" checked.
///
/// Limit: a process keeps the token it started with. A `yarn dev` left
/// running for more than 8 hours holds an expired token: restart it (bscred
/// hands the new process a fresh token), or let git use the helper, which
/// renews on every call.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred login github --client-id Iv23liABCDEF123456\n  \
    bscred -p work login github --client-id Iv23liABCDEF123456 --name GH_TOKEN")]
struct GithubArgs {
    /// The GitHub App's Client ID (public; shown on the App's settings page)
    #[arg(long, value_name = "ID")]
    client_id: String,

    /// The variable to store the token in
    #[arg(long, value_name = "VAR", default_value = "GITHUB_TOKEN")]
    name: VarName,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    match args.service {
        Service::Github(args) => github(ctx, &args),
    }
}

fn github(ctx: &Context, args: &GithubArgs) -> Result<Exit> {
    let client_id = &args.client_id;
    if client_id.is_empty()
        || client_id.len() > 100
        || !client_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(Error::usage(
            "--client-id is not a GitHub App client ID",
            "copy the \"Client ID\" (Iv1.… or Iv23…) from the App's settings page on GitHub",
        ));
    }
    let profile = ctx.open_profile()?;
    if profile.settings.backend == Backend::Vault {
        // The refresh token works once and the profile's lock is this
        // machine's: teammates sharing the secret would spend it in turn.
        return Err(Error::usage(
            format!(
                "profile '{}' is a shared Vault secret; a personal GitHub login does not belong there",
                profile.name
            ),
            "log in into a personal profile: `bscred -p personal login github --client-id ID` (after `bscred init -p personal`)",
        ));
    }
    let host = github::host_of(&profile.settings.github_host);
    let web = github::web_base(&host, ctx.github_url.as_deref());
    let retry = crate::refresh::login_command(&ctx.cli(), client_id, &args.name);

    let code = device_flow::request_code(&web, client_id)?;
    announce(ctx, &web, &code);
    let mut clock = ctx.clock();
    let (grant, at) = device_flow::poll(&code, clock.as_mut(), &retry, || {
        device_flow::ask_token(&web, client_id, &code, &retry)
    })?;

    let expiry = |span: Option<jiff::SignedDuration>| span.and_then(|s| at.checked_add(s).ok());
    let expires_at = expiry(grant.expires_in);
    let refresh = grant.refresh_token.map(|token| {
        RefreshCredential::new(
            token,
            expiry(grant.refresh_expires_in),
            client_id.clone(),
            host.clone(),
            &grant.access_token,
        )
    });
    let refresh_expires = refresh.as_ref().and_then(|r| r.expires_at);
    let renewable = refresh.is_some();
    // The kind of token the variable held, when it was not a login's own:
    // replacing it here leaves it valid on GitHub.
    let mut replaced = None;
    profile.update(at, &mut |doc| {
        replaced = doc
            .variables
            .get(&args.name)
            .filter(|old| {
                old.renewal().is_none() && crate::token::looks_like_token(old.value.expose())
            })
            .map(|old| crate::token::kind(old.value.expose()));
        doc.upsert(
            args.name.clone(),
            grant.access_token.clone(),
            true,
            expires_at,
            at,
        );
        if let Some(var) = doc.variables.get_mut(&args.name) {
            var.refresh.clone_from(&refresh);
        }
        Ok(())
    })?;

    if let Some(kind) = replaced {
        ctx.warn(format!(
            "{} held another GitHub token ({kind}); it is replaced here but still works on GitHub until it expires: delete it at {web}/settings/personal-access-tokens (fine-grained) or {web}/settings/tokens (classic)",
            args.name
        ));
    }
    let tz = ctx.tz();
    ctx.note(match (expires_at, renewable) {
        (Some(expires), true) => format!(
            "stored the GitHub user token in {}; it expires {} and is renewed when `env`, `exec`, `get` or the git helper hand it out, until {} (then log in again)",
            args.name,
            crate::expiry::describe(Some(expires), at, tz),
            refresh_expires.map_or("GitHub revokes its refresh token".to_string(), |r| {
                crate::expiry::describe(Some(r), at, tz)
            }),
        ),
        (Some(expires), false) => format!(
            "stored the GitHub user token in {}; it expires {} and cannot be renewed (GitHub sent no refresh token): log in again then",
            args.name,
            crate::expiry::describe(Some(expires), at, tz),
        ),
        (None, _) => format!(
            "stored the GitHub user token in {}; GitHub gave it no expiry",
            args.name
        ),
    });
    Ok(Exit::Ok)
}

/// Tells the user where to enter the code. This is the point of the
/// command: it prints even with -q. The code and page come from the
/// server, so they are escaped; the browser opens only on a desktop, from
/// a terminal, for a plain https page under the web base it came from
/// (`browser::is_page_of`), and never in tests.
fn announce(ctx: &Context, web: &str, code: &DeviceCode) {
    let uri = crate::terminal::escape(&code.verification_uri);
    let user_code = crate::terminal::escape(&code.user_code);
    crate::terminal::write_raw(&format!(
        "bscred: open {uri} and enter the code {user_code}\n\
         bscred: waiting for you to approve it on GitHub (the code expires in {} minutes)…\n",
        code.expires_in.div_ceil(60)
    ));
    if ctx.desktop
        && !ctx.clock_pinned
        && std::io::stderr().is_terminal()
        && crate::browser::is_page_of(&code.verification_uri, web)
    {
        crate::browser::open(&code.verification_uri, ctx.notices());
    }
}
