//! `bscred recipients`: the public keys a file-backend profile, or with
//! `--team` the project's team store, is encrypted to — yours, and your
//! teammates' (README, "Sharing with a team").

use std::path::PathBuf;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::identity::{self, Identity};
use crate::profile::Profile;
use crate::store::Backend;
use crate::team::{self, TeamStore};

/// List, add or remove the keys the profile's store is encrypted to
///
/// Anyone whose key is a recipient can decrypt the store with their own
/// identity (`age -d -i KEY`), so a store file can be shared, e.g. in a
/// repository, without sharing a passphrase. Keys are age public keys
/// (age1…) or SSH public keys (ssh-ed25519, ssh-rsa), as
/// `https://github.com/USER.keys` lists them. Every change re-encrypts the
/// store.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    curl -s https://github.com/teammate.keys > teammate.keys\n  \
    bscred recipients add --file teammate.keys\n  \
    bscred recipients --team add 'ssh-ed25519 AAAA…'   # the project's team store")]
pub struct Args {
    /// Act on the project's team store (`store` in .bscred.toml) and its
    /// recipients file instead of the profile
    #[arg(long, global = true)]
    team: bool,

    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Show the recipients (yours is marked)
    List,
    /// Add keys, from arguments or a file of lines (- for stdin)
    Add {
        /// Public keys (quote SSH keys: they contain spaces)
        #[arg(value_name = "KEY")]
        keys: Vec<String>,
        /// A file of keys, one per line (# comments and blank lines skipped)
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Remove keys (the person keeps what they already saw: rotate it)
    Rm {
        #[arg(value_name = "KEY", required = true)]
        keys: Vec<String>,
    },
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    if args.team {
        return run_team(ctx, args.action);
    }
    let profile = ctx.open_profile()?;
    if profile.settings.backend != Backend::File {
        return Err(Error::usage(
            format!(
                "profile '{}' uses the {} backend; recipients are for the file backend",
                ctx.profile, profile.settings.backend
            ),
            "`bscred migrate --to file` first, to share the profile as an encrypted file",
        ));
    }
    let mine = own_keys(&profile)?;
    match args.action {
        Action::List => print_keys(&profile.settings.recipients, &mine)?,
        Action::Add { keys, file } => {
            let mut added = Vec::new();
            let mut recipients = profile.settings.recipients.clone();
            for key in wanted_keys(keys, file)? {
                let key = identity::normalise_recipient(&key);
                if !recipients.contains(&key) {
                    recipients.push(key.clone());
                    added.push(key);
                }
            }
            if added.is_empty() {
                ctx.note("every key given is already a recipient; nothing changed");
                return Ok(Exit::Ok);
            }
            profile.reencrypt(recipients, ctx.now)?;
            ctx.note(format!(
                "added {} recipient(s) and re-encrypted {}; share the file (and .bscred.toml) with them",
                added.len(),
                profile.info().location
            ));
        }
        Action::Rm { keys } => {
            let gone: Vec<String> = keys
                .iter()
                .map(|k| identity::normalise_recipient(k))
                .collect();
            check_known(
                &gone,
                &profile.settings.recipients,
                "bscred recipients list",
            )?;
            let recipients: Vec<String> = profile
                .settings
                .recipients
                .iter()
                .filter(|k| !gone.contains(k))
                .cloned()
                .collect();
            if !recipients.iter().any(|k| mine.contains(k)) {
                return Err(Error::OwnKeyRemoved {
                    store: "the store".to_string(),
                });
            }
            let doc = profile.reencrypt(recipients, ctx.now)?;
            ctx.note(format!(
                "removed {} recipient(s) and re-encrypted {}",
                gone.len(),
                profile.info().location
            ));
            warn_to_rotate(ctx, &doc, "`bscred rotate GITHUB_TOKEN`, `bscred set NAME`");
        }
    }
    Ok(Exit::Ok)
}

/// `recipients --team`: the same actions on the team store's recipients
/// file, re-encrypting the store to what the file then lists.
fn run_team(ctx: &Context, action: Action) -> Result<Exit> {
    let team = ctx.required_team_store()?;
    let (current, mine) = team.recipients()?;
    match action {
        Action::List => print_keys(&current, &mine)?,
        Action::Add { keys, file } => {
            let wanted = wanted_keys(keys, file)?;
            if wanted
                .iter()
                .all(|k| current.contains(&identity::normalise_recipient(k)))
            {
                ctx.note("every key given is already a recipient; nothing changed");
                return Ok(Exit::Ok);
            }
            let mut added = 0;
            let doc = team.change_recipients(|lines| {
                added = wanted.iter().filter(|k| team::add_line(lines, k)).count();
                Ok(())
            })?;
            ctx.note(format!(
                "added {added} recipient(s) to {}{}",
                team.recipients_path.display(),
                reencrypted(&team, doc.is_some())
            ));
        }
        Action::Rm { keys } => {
            let gone: Vec<String> = keys
                .iter()
                .map(|k| identity::normalise_recipient(k))
                .collect();
            check_known(&gone, &current, "bscred recipients --team list")?;
            let doc = team.change_recipients(|lines| {
                for key in &gone {
                    team::remove_line(lines, key);
                }
                Ok(())
            })?;
            ctx.note(format!(
                "removed {} recipient(s) from {}{}",
                gone.len(),
                team.recipients_path.display(),
                reencrypted(&team, doc.is_some())
            ));
            if let Some(doc) = doc {
                warn_to_rotate(ctx, &doc, "`bscred set --team NAME`");
            }
        }
    }
    Ok(Exit::Ok)
}

/// The end of a `recipients --team` note: what else changed, and what to
/// commit.
fn reencrypted(team: &TeamStore, store: bool) -> String {
    if store {
        format!(" and re-encrypted {}; commit both", team.shown.display())
    } else {
        "; commit it (the team store does not exist yet)".to_string()
    }
}

/// Prints `keys`, marking the user's own.
fn print_keys(keys: &[String], mine: &[String]) -> Result<()> {
    let mut text = String::new();
    for key in keys {
        let you = if mine.contains(key) { "  (you)" } else { "" };
        text.push_str(&format!("{key}{you}\n"));
    }
    super::print_text(&text)
}

/// The keys `add` was given, on the command line or in a file, each
/// checked to be a public key (and never quoted back when it is not).
fn wanted_keys(keys: Vec<String>, file: Option<PathBuf>) -> Result<Vec<String>> {
    let mut wanted = keys;
    if let Some(file) = file {
        wanted.extend(read_key_lines(&file)?);
    }
    if wanted.is_empty() {
        return Err(Error::usage(
            "no key given",
            "`bscred recipients add 'ssh-ed25519 AAAA…'`, or --file keys.txt (curl https://github.com/USER.keys > keys.txt)",
        ));
    }
    for key in &wanted {
        identity::parse_recipient(key).map_err(|reason| {
            Error::usage(
                reason,
                "paste the whole public key line (age1… or ssh-ed25519 AAAA…)",
            )
        })?;
    }
    Ok(wanted)
}

/// Refuses to remove keys that are not recipients (a typo must not pass
/// for a removal).
fn check_known(gone: &[String], recipients: &[String], list: &str) -> Result<()> {
    let unknown = gone.iter().filter(|k| !recipients.contains(k)).count();
    if unknown > 0 {
        return Err(Error::InputNotFound {
            what: format!("{unknown} recipient(s) among those given"),
            hint: Some(format!("`{list}` shows them")),
        });
    }
    Ok(())
}

/// After a removal: whoever held the key still knows what they could read.
fn warn_to_rotate(ctx: &Context, doc: &crate::store::Document, how: &str) {
    let secrets: Vec<String> = doc
        .variables
        .iter()
        .filter(|(_, v)| v.secret)
        .map(|(n, _)| n.to_string())
        .collect();
    if !secrets.is_empty() {
        ctx.warn(format!(
            "whoever held the removed key still knows the values they could read: rotate {} (e.g. {how})",
            secrets.join(", ")
        ));
    }
}

/// The public keys of the profile's own identity.
fn own_keys(profile: &Profile) -> Result<Vec<String>> {
    let source = profile
        .settings
        .identity_source()
        .ok_or_else(|| Error::Config {
            path: "profile settings".into(),
            reason: "it names no identity".to_string(),
        })?;
    Ok(Identity::load_from(&source, profile.access())?.recipients())
}

/// Key lines from a file (or stdin): blank lines and `#` comments skipped.
fn read_key_lines(path: &PathBuf) -> Result<Vec<String>> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(Error::io("cannot read standard input"))?;
        text
    } else {
        std::fs::read_to_string(path).map_err(Error::reading(path))?
    };
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}
