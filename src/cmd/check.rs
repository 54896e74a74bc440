//! `bscred check`: is everything in date? For cron, CI and shell prompts.

use crate::context::Context;
use crate::error::{Exit, Result};
use crate::expiry;
use crate::team::TeamStore;

/// Check expiry dates and required variables, without decrypting anything
///
/// Reads only the non-secret metadata cache, so it works with a locked
/// keychain or no identity at hand and costs almost nothing. Prints one line
/// per problem (nothing when all is well) and exits 0 when fine, 10 when
/// something expires within the window, 11 when something has expired, 3
/// when a variable the project requires is missing.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Warn this many days ahead [default: warn_days from .bscred.toml or
    /// config.toml, else 14]
    #[arg(long, value_name = "DAYS")]
    within: Option<u32>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let profile = ctx.open_profile()?;
    let meta = profile.required_metadata()?;
    let window = match args.within {
        Some(days) => i64::from(days),
        None => ctx.warn_days()?,
    };
    let mut lines = Vec::new();
    // The team store provides variables too: what it held when last read
    // here counts (check decrypts nothing).
    let team = ctx.team_store()?;
    let team_meta = team.as_ref().and_then(TeamStore::cached_metadata);
    let in_team = |name: &str| {
        team_meta
            .as_ref()
            .is_some_and(|m| m.variables.contains_key(name))
    };
    let missing: Vec<String> = ctx
        .project
        .iter()
        .flat_map(|p| p.required.iter())
        .filter(|name| !meta.variables.contains_key(name.as_str()) && !in_team(name.as_str()))
        .map(ToString::to_string)
        .collect();
    let unread = match (&team, &team_meta) {
        (Some(team), None) => format!(
            " (or it may be in {}, not read here yet: `bscred list --team`)",
            team.describe()
        ),
        _ => String::new(),
    };
    for name in &missing {
        lines.push(format!(
            "{name} is required by the project but not set; add it with `bscred set {name}`{unread}"
        ));
    }
    let (mut expired, mut expiring) = (false, false);
    for (name, var) in &meta.variables {
        let Some(at) = var.expires_at else { continue };
        if let Some(reminder) = expiry::reminder(name, at, ctx.now, ctx.tz(), window, &ctx.cli()) {
            if reminder.expired {
                expired = true;
            } else {
                expiring = true;
            }
            lines.push(reminder.to_string());
        }
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    super::print_text(&text)?;
    Ok(if !missing.is_empty() {
        Exit::NotFound
    } else if expired {
        Exit::Expired
    } else if expiring {
        Exit::Expiring
    } else {
        Exit::Ok
    })
}
