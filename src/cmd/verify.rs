//! `bscred verify`: ask GitHub who a token belongs to and when it expires.

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::expiry;
use crate::github::{self, TokenInfo};
use crate::secret::{Secret, VarName};
use crate::store::document::TokenFacts;

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
    let host = host_of(&profile.settings.github_host);
    let info = github::verify(&github::api_base(&host), var.value.expose(), ctx.now)?;
    record(ctx, &profile, &args.name, &var.value, &host, &info)?;
    report(ctx, &args.name, &info);
    check_login(ctx, &doc, &args.name, &info);
    Ok(Exit::Ok)
}

/// Warns when the token belongs to someone other than GITHUB_USERNAME.
pub(super) fn check_login(
    ctx: &Context,
    doc: &crate::store::Document,
    name: &VarName,
    info: &TokenInfo,
) {
    let username_var: Option<VarName> = "GITHUB_USERNAME".parse().ok();
    if let Some(username) = username_var.as_ref().and_then(|n| doc.variables.get(n))
        && !username.value.expose().eq_ignore_ascii_case(&info.login)
    {
        ctx.warn(format!(
            "{name} belongs to {}, but GITHUB_USERNAME is {}; fix one with `bscred set GITHUB_USERNAME {}`",
            info.login,
            username.value.expose(),
            info.login
        ));
    }
}

/// The host a profile's tokens belong to.
pub(super) fn host_of(configured: &Option<String>) -> String {
    configured
        .clone()
        .unwrap_or_else(|| "github.com".to_string())
}

/// Stores what GitHub said next to the value it said it about. If the value
/// changed meanwhile (another `set`), nothing is recorded.
pub(super) fn record(
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
            var.token = Some(facts(value, host, info, ctx));
        }
        Ok(())
    })?;
    Ok(())
}

pub(super) fn facts(value: &Secret, host: &str, info: &TokenInfo, ctx: &Context) -> TokenFacts {
    TokenFacts {
        host: host.to_string(),
        login: info.login.clone(),
        token_type: crate::token::kind(value.expose()).to_string(),
        scopes: info.scopes.clone(),
        verified_at: ctx.now,
        never_expires: info.expires_at.is_none(),
    }
}

/// One line saying whose token it is and when it expires.
pub(super) fn report(ctx: &Context, name: &VarName, info: &TokenInfo) {
    let expiry = match info.expires_at {
        Some(at) => format!("expires {}", expiry::describe(Some(at), ctx.now, &ctx.tz)),
        None => "never expires".to_string(),
    };
    let scopes = info
        .scopes
        .as_ref()
        .map(|s| {
            format!(
                "; scopes: {}",
                if s.is_empty() {
                    "none".to_string()
                } else {
                    s.join(", ")
                }
            )
        })
        .unwrap_or_default();
    ctx.note(format!(
        "{name} belongs to {} and {expiry}{scopes}",
        info.login
    ));
}
