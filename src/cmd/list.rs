//! `bscred list`: the profile's variables, values masked.

use serde::Serialize;

use crate::context::Context;
use crate::context::target::Target;
use crate::error::{Exit, Result};
use crate::expiry;
use crate::store::Variable;

/// List the profile's variables, secret values masked
///
/// Shows each variable's name, whether it is secret, a preview (secret
/// values masked as `ghp_…3f9a`), and its expiry.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON for scripts (includes the profile's backend and store path)
    #[arg(long)]
    json: bool,

    /// List the project's team store (`store` in .bscred.toml) instead
    #[arg(long)]
    team: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    profile: &'a str,
    /// Whether this lists the team store rather than the profile.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    team: bool,
    backend: String,
    store: String,
    variables: Vec<Row>,
}

#[derive(Serialize)]
struct Row {
    name: String,
    secret: bool,
    preview: String,
    created_at: String,
    updated_at: String,
    expires_at: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let target = Target::open(ctx, args.team)?;
    let doc = target.load(ctx.now)?;
    let info = target.info();
    let rows: Vec<Row> = doc
        .variables
        .iter()
        .map(|(name, var)| Row {
            name: name.to_string(),
            secret: var.secret,
            preview: preview(var),
            created_at: var.created_at.to_string(),
            updated_at: var.updated_at.to_string(),
            expires_at: var.expires_at.map(|t| t.to_string()),
        })
        .collect();
    if args.json {
        super::print_json(&Report {
            profile: ctx.profile.as_str(),
            team: target.is_team(),
            backend: info.backend.to_string(),
            store: info.location,
            variables: rows,
        })?;
        return Ok(Exit::Ok);
    }
    if rows.is_empty() {
        let set = if target.is_team() {
            "set --team"
        } else {
            "set"
        };
        ctx.note(format!(
            "{} has no variables yet; add one with `bscred {set} NAME`",
            target.describe()
        ));
        return Ok(Exit::Ok);
    }
    let table: Vec<[String; 4]> = doc
        .variables
        .iter()
        .zip(&rows)
        .map(|((_, var), row)| {
            let kind = if row.secret { "secret" } else { "plain" };
            [
                row.name.clone(),
                kind.to_string(),
                row.preview.clone(),
                expiry::describe(var.expires_at, ctx.now, ctx.tz()),
            ]
        })
        .collect();
    super::print_text(&super::table(["NAME", "TYPE", "VALUE", "EXPIRES"], &table))?;
    if let Some(team) = target.team() {
        let undeclared = team.undeclared(&doc);
        if !undeclared.is_empty() {
            let names: Vec<&str> = undeclared.iter().map(|n| n.as_str()).collect();
            ctx.note(format!(
                "not handed to env or exec, since {} does not declare them in `variables`: {}",
                team.project_file().display(),
                names.join(", ")
            ));
        }
    }
    Ok(Exit::Ok)
}

/// Secret values masked; plain ones shown on one line, cut at 40 characters.
fn preview(var: &Variable) -> String {
    if var.secret {
        return var.value.masked();
    }
    let text: String = var.value.expose().escape_debug().collect();
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(39).collect();
        format!("{cut}…")
    } else {
        text
    }
}
