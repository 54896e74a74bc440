//! `bscred status`: what the profile holds and when it expires, from the
//! non-secret metadata cache alone (no identity, no decryption).

use serde::Serialize;

use crate::context::Context;
use crate::error::{Exit, Result};
use crate::expiry;

/// Show the profile's backend, store and expiry dates, without decrypting
///
/// Reads only the non-secret metadata cache: needs no identity or unlock.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    profile: String,
    backend: String,
    store: String,
    /// False when the store changed since the cache was written (or there
    /// is no cache yet); the next command that decrypts refreshes it.
    metadata_current: bool,
    /// Changes `set` wrote without unlocking the identity, not yet merged
    /// into the store (every read merges them).
    pending_changes: usize,
    /// A vault-backed profile's Vault token: where it comes from, and for
    /// one `bscred vault login` got, when it expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    vault_token: Option<VaultToken>,
    variables: Vec<Row>,
}

#[derive(Serialize)]
struct VaultToken {
    /// `VAULT_TOKEN/BAO_TOKEN`, `` `bscred vault login` ``, `the token
    /// helper file`, or null when there is none.
    source: Option<String>,
    /// The login's method (`userpass`, `approle`).
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    expires_at: Option<String>,
    renewable: Option<bool>,
}

#[derive(Serialize)]
struct Row {
    name: String,
    secret: bool,
    created_at: String,
    updated_at: String,
    expires_at: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let profile = ctx.open_profile()?;
    let info = profile.info();
    let cached = profile.cached_metadata();
    let current = cached
        .as_ref()
        .is_some_and(|m| profile.metadata_is_current(m));
    let variables = cached.map(|m| m.variables).unwrap_or_default();
    let pending = profile.store().pending_changes();
    // From files alone: no decryption, no server.
    let store = profile.vault_store();
    let source = store.as_ref().and_then(|s| s.token_source_offline());
    let record = store.as_ref().and_then(|s| s.login_record());
    if args.json {
        let rows = variables
            .iter()
            .map(|(name, meta)| Row {
                name: name.clone(),
                secret: meta.secret,
                created_at: meta.created_at.to_string(),
                updated_at: meta.updated_at.to_string(),
                expires_at: meta.expires_at.map(|t| t.to_string()),
            })
            .collect();
        super::print_json(&Report {
            profile: ctx.profile.to_string(),
            backend: info.backend.to_string(),
            store: info.location.clone(),
            metadata_current: current,
            pending_changes: pending,
            vault_token: store.as_ref().map(|_| VaultToken {
                source: source.map(|s| s.to_string()),
                method: record.as_ref().map(|r| r.method.clone()),
                expires_at: record
                    .as_ref()
                    .and_then(|r| r.expires_at)
                    .map(|t| t.to_string()),
                renewable: record.as_ref().map(|r| r.renewable),
            }),
            variables: rows,
        })?;
        return Ok(Exit::Ok);
    }
    let mut text = format!(
        "profile  {}\nbackend  {}\nstore    {}\n",
        ctx.profile, info.backend, info.location
    );
    if store.is_some() {
        let line = match (source, &record) {
            (_, Some(r)) => format!(
                "`bscred vault login` ({} as {}): {}{}",
                r.method,
                r.who,
                r.describe(ctx.now),
                if r.renewable { ", renewable" } else { "" }
            ),
            (Some(source), None) => format!("{source} (its expiry is not recorded by bscred)"),
            (None, None) => "none: set VAULT_TOKEN, or run `bscred vault login`".to_string(),
        };
        text.push_str(&format!("token    {line}\n"));
    }
    if !current {
        text.push_str(
            "note     the store changed since this was recorded; `bscred list` refreshes it\n",
        );
    }
    if pending > 0 {
        text.push_str(&format!(
            "pending  {pending} change{} written without unlocking, merged into the store at the next write that unlocks it\n",
            if pending == 1 { "" } else { "s" }
        ));
    }
    if !variables.is_empty() {
        let rows: Vec<[String; 4]> = variables
            .iter()
            .map(|(name, meta)| {
                [
                    name.clone(),
                    (if meta.secret { "secret" } else { "plain" }).to_string(),
                    expiry::local_date(meta.updated_at, ctx.tz()).to_string(),
                    expiry::describe(meta.expires_at, ctx.now, ctx.tz()),
                ]
            })
            .collect();
        text.push('\n');
        text.push_str(&super::table(["NAME", "TYPE", "UPDATED", "EXPIRES"], &rows));
    }
    super::print_text(&text)?;
    Ok(Exit::Ok)
}
