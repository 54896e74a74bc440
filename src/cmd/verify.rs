//! `bscred verify`: ask GitHub who a token belongs to and when it expires.

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::github::{self, TokenInfo};
use crate::secret::{Secret, VarName};

/// Ask GitHub who a token belongs to and when it expires, and record it
///
/// Sends the token to GitHub's `GET /user` (nowhere else) and records the
/// expiry GitHub reports — or that the token never expires — with the login,
/// the token type and, for classic tokens, its scopes. The token is never
/// printed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The variable holding the token
    #[arg(default_value = "GITHUB_TOKEN")]
    name: VarName,

    /// The GitHub Enterprise Server host the profile's tokens belong to
    /// (remembered for the profile) [default: github.com]
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let mut profile = ctx.open_profile()?;
    if let Some(host) = &args.host {
        let host = host.trim().trim_end_matches('/').to_string();
        if host.is_empty() || host.contains(['/', ' ']) {
            return Err(Error::usage(
                format!("--host {host:?} is not a host name"),
                "give just the host, e.g. --host github.example.com",
            ));
        }
        profile.settings.github_host = (host != "github.com").then_some(host);
        profile.settings.write(&ctx.dirs, &ctx.profile)?;
    }
    let doc = profile.load(ctx.now)?;
    let var = doc
        .variables
        .get(&args.name)
        .ok_or_else(|| Error::VarNotFound {
            name: args.name.to_string(),
            place: format!("profile '{}'", ctx.profile),
        })?;
    let host = github::host_of(&profile.settings.github_host);
    let info = github::verify(
        &github::api_base(&host, ctx.github_api_url.as_deref()),
        var.value.expose(),
        ctx.now,
    )?;
    record(ctx, &profile, &args.name, &var.value, &host, &info)?;
    ctx.note(info.describe(&args.name, ctx.now, ctx.tz()));
    if let Some(warning) = info.login_mismatch(&doc, &args.name) {
        ctx.warn(warning);
    }
    Ok(Exit::Ok)
}

/// Stores what GitHub said next to the value it said it about. If the value
/// changed meanwhile (another `set`), nothing is recorded.
fn record(
    ctx: &Context,
    profile: &crate::profile::Profile,
    name: &VarName,
    value: &Secret,
    host: &str,
    info: &TokenInfo,
) -> Result<()> {
    profile.update(ctx.now, &mut |doc| {
        if let Some(var) = doc.variables.get_mut(name)
            && var.value.same_as(value)
        {
            var.expires_at = info.expires_at;
            var.token = Some(info.facts(value, host, ctx.now));
        }
        Ok(())
    })?;
    Ok(())
}
