//! `bscred git-credential`: a git credential helper that answers for the
//! profile's GitHub host, and `install`/`uninstall` to wire it into git
//! (README, "Using bscred with Backstage").

use std::io::Write;

use zeroize::Zeroizing;

use crate::context::Context;
use crate::credential_request::{self, Request};
use crate::error::{Error, Exit, Result};
use crate::git;
use crate::secret::VarName;

/// A git credential helper serving GITHUB_TOKEN
///
/// git runs `bscred git-credential get` with a request on stdin; for https
/// and the profile's GitHub host (github.com unless `verify --host` said
/// otherwise) it answers with GITHUB_USERNAME (or x-access-token) and the
/// token; for anything else it answers nothing, so git asks its other
/// helpers. `store` and `erase` do nothing. `install` configures git for
/// the host the way gh does.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Answer git's request for a credential (git calls this)
    Get,
    /// Do nothing: the token lives in bscred (git calls this)
    Store,
    /// Do nothing: bscred's copy stays (git calls this)
    Erase,
    /// Configure git (globally) to ask bscred for the host's credentials
    Install,
    /// Remove what `install` configured
    Uninstall,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    match args.action {
        Action::Get => get(ctx),
        Action::Store | Action::Erase => {
            // Read the request to its end, as the protocol expects; one
            // that get would refuse is refused here too.
            read_request()?;
            Ok(Exit::Ok)
        }
        Action::Install => install(ctx),
        Action::Uninstall => uninstall(ctx),
    }
}

/// The request git sends on stdin (see `credential_request.rs`).
fn read_request() -> Result<Request> {
    credential_request::read(std::io::stdin().lock())
}

fn host(ctx: &Context) -> Result<String> {
    let profile = ctx.open_profile()?;
    Ok(crate::github::host_of(&profile.settings.github_host))
}

fn get(ctx: &Context) -> Result<Exit> {
    let request = read_request()?;
    let profile = ctx.open_profile()?;
    let host = crate::github::host_of(&profile.settings.github_host);
    // Only https to the profile's GitHub host: the token must never go to
    // another server, or over plain http.
    if !request.is_https_to(&host) {
        return Ok(Exit::Ok);
    }
    let doc = profile.load(ctx.now)?;
    let name = |n: &str| n.parse::<VarName>().ok();
    // A GitHub user token about to expire is renewed first: git asks on
    // every push and fetch, so a long-running shell always gets a fresh one.
    let doc = match name("GITHUB_TOKEN") {
        Some(token) => {
            crate::refresh::fresh(&profile, doc, Some(&[&token]), &ctx.renewal(&profile.name))?
        }
        None => doc,
    };
    let Some(token) = name("GITHUB_TOKEN").and_then(|n| doc.variables.get(&n)) else {
        // Nothing to offer: git goes on to its other helpers or a prompt.
        ctx.warn(format!(
            "no GITHUB_TOKEN in profile '{}' to give git",
            ctx.profile
        ));
        return Ok(Exit::Ok);
    };
    ctx.remind([("GITHUB_TOKEN", token.reminder_expiry())])?;
    let username = name("GITHUB_USERNAME")
        .and_then(|n| doc.variables.get(&n))
        .map_or("x-access-token".to_string(), |v| {
            v.value.expose().to_string()
        });
    let mut answer = Zeroizing::new(format!(
        "username={username}\npassword={}\n",
        token.value.expose()
    ));
    if let Some(at) = token.expires_at {
        // Git 2.41+ stops using a credential once this passes.
        answer.push_str(&format!("password_expiry_utc={}\n", at.as_second()));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(answer.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::io("cannot answer git"))?;
    Ok(Exit::Ok)
}

fn key(host: &str) -> String {
    format!("credential.https://{host}.helper")
}

fn git_config(args: &[&str]) -> Result<std::process::Output> {
    // The working directory may be a repository someone else configured.
    git::command(std::path::Path::new("."))
        .arg("config")
        .args(args)
        .output()
        .map_err(Error::io("cannot run git"))
}

/// The values of `key` in the global git config, in order.
fn global_values(key: &str) -> Result<Vec<String>> {
    let current = git_config(&["--global", "--get-all", key])?;
    Ok(String::from_utf8_lossy(&current.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

fn install(ctx: &Context) -> Result<Exit> {
    let host = host(ctx)?;
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(Error::io("cannot find bscred's own path"))?;
    let ours = git::helper_command(&exe);
    let key = key(&host);
    let values = global_values(&key)?;
    if values == ["".to_string(), ours.clone()] {
        ctx.note(format!(
            "git already asks bscred for {host} ({key} in ~/.gitconfig); nothing changed"
        ));
    } else {
        // An empty helper first clears the helpers configured before it
        // (a system-wide `store`, say) for this host; then bscred's.
        for args in [
            vec!["--global", "--replace-all", key.as_str(), ""],
            vec!["--global", "--add", key.as_str(), ours.as_str()],
        ] {
            let out = git_config(&args)?;
            if !out.status.success() {
                return Err(Error::Refused {
                    message: format!(
                        "git config failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                    hint: "check that ~/.gitconfig is writable".to_string(),
                });
            }
        }
        if values.is_empty() {
            ctx.note(format!("set {key} in ~/.gitconfig to \"\" and {ours}"));
        } else {
            ctx.note(format!(
                "replaced {key} in ~/.gitconfig (was: {}) with \"\" and {ours}",
                values
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    warn_plaintext_helpers(ctx, &host)?;
    Ok(Exit::Ok)
}

fn uninstall(ctx: &Context) -> Result<Exit> {
    let host = host(ctx)?;
    let key = key(&host);
    let values = global_values(&key)?;
    if !values.iter().any(|v| git::is_bscred(v)) {
        ctx.note(format!(
            "{key} in ~/.gitconfig does not name bscred; nothing changed"
        ));
        return Ok(Exit::Ok);
    }
    if values.iter().all(|v| v.is_empty() || git::is_bscred(v)) {
        git_config(&["--global", "--unset-all", &key])?;
        ctx.note(format!("removed {key} from ~/.gitconfig"));
    } else {
        // Someone else's helper is there too: remove only bscred's line.
        let pattern = "bscred.*git-credential$";
        git_config(&["--global", "--unset-all", &key, pattern])?;
        ctx.note(format!(
            "removed bscred's line from {key} in ~/.gitconfig; the others stay"
        ));
    }
    Ok(Exit::Ok)
}

/// Warns when, after bscred, git would still hand the credential to a
/// helper that keeps it: an empty helper line only clears the ones read
/// before it, so a `credential.helper=store` in a later file (a repo's
/// .git/config) or a later line would write the token to disk.
pub(super) fn warn_plaintext_helpers(ctx: &Context, host: &str) -> Result<()> {
    let entries = git::helper_entries(std::path::Path::new("."))?;
    for entry in git::effective(&entries, host) {
        if git::stores_credentials(&entry.value) {
            ctx.warn(format!(
                "git would also give the {host} token to `{}` ({} {}, {}), which keeps credentials{}; remove it for {host}",
                entry.value,
                entry.scope,
                entry.key,
                entry.origin,
                if entry.value.contains("store") {
                    " in plaintext (~/.git-credentials)"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(())
}
