//! `bscred rotate`: guided renewal of a GitHub token.

use std::fmt::Write as _;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::expiry;
use crate::github;
use crate::prompt;
use crate::secret::{Secret, VarName};

/// The fine-grained token permissions a Backstage app's GitHub integration
/// needs, all at `write` (metadata read is implied).
const PERMISSIONS: [&str; 5] = [
    "administration",
    "secrets",
    "contents",
    "pull_requests",
    "workflows",
];

/// Renew a GitHub token: a prefilled token page, then verify and store
///
/// Prints GitHub's new-token page with the name, description, expiry and the
/// permissions a Backstage app needs filled in (--open opens it), reads the
/// new token (hidden prompt, or --stdin), asks GitHub about it, and only
/// then replaces the old one and records the new expiry. If GitHub rejects
/// it, the old token stays (exit 5). Once the new token is stored, the old
/// one is revoked on GitHub (unless --keep-old); a revocation that fails is
/// a warning with the manual step, never a lost new token.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred rotate --open\n  \
    bscred rotate --owner my-org            # the repositories belong to an organisation\n  \
    gh auth token | bscred rotate --stdin\n  \
    bscred rotate --no-verify --expires-in 90d   # GitHub unreachable")]
pub struct Args {
    /// The variable holding the token
    #[arg(default_value = "GITHUB_TOKEN")]
    name: VarName,

    /// Open the page in your browser
    #[arg(long)]
    open: bool,

    /// Read the new token from stdin instead of a hidden prompt
    #[arg(long)]
    stdin: bool,

    /// Store the new token without asking GitHub (when it cannot be
    /// reached); give its expiry with --expires or --expires-in
    #[arg(long)]
    no_verify: bool,

    /// With --no-verify: when the new token expires (YYYY-MM-DD)
    #[arg(
        long,
        value_name = "DATE",
        requires = "no_verify",
        conflicts_with = "expires_in"
    )]
    expires: Option<String>,

    /// With --no-verify: when the new token expires, from now (90d)
    #[arg(long, value_name = "DURATION", requires = "no_verify")]
    expires_in: Option<String>,

    /// How many days the new token should last, prefilled on the page
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    days: u32,

    /// The organisation that owns the repositories (prefilled as the
    /// token's resource owner, and remembered for the profile)
    #[arg(long, value_name = "ORG")]
    owner: Option<String>,

    /// Leave the old token valid on GitHub (it is revoked by default once
    /// the new one is stored)
    #[arg(long)]
    keep_old: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let mut profile = ctx.open_profile()?;
    if let Some(owner) = &args.owner {
        profile.settings.github_owner = Some(owner.clone());
        profile.settings.write(&ctx.dirs, &ctx.profile)?;
    }
    let host = github::host_of(&profile.settings.github_host);
    let url = template_url(
        &github::web_base(&host, ctx.github_url.as_deref()),
        ctx.profile.as_str(),
        args.days,
        profile.settings.github_owner.as_deref(),
        ctx.now,
    );
    // The instructions are the point of the command: they print even with -q.
    crate::terminal::write_raw(&format!("{}\n", instructions(&url, &args.name)));
    if args.open {
        crate::browser::open(&url, ctx.notices());
    }

    let value = read_token(&args)?;
    let value = crate::token::checked(ctx.quiet, &args.name, value, !args.stdin)?;
    let current = profile.load(ctx.now)?;
    let old = current
        .variables
        .get(&args.name)
        .map(|var| var.value.clone());
    if old.as_ref().is_some_and(|old| old.same_as(&value)) {
        // "Delete the old token" would then revoke the one just stored.
        return Err(Error::usage(
            format!(
                "that is the token {} already holds; nothing changed",
                args.name
            ),
            "generate a new token on the page above, then give bscred that one",
        ));
    }
    if !crate::token::looks_like_token(value.expose()) {
        ctx.warn(format!(
            "the new value of {} does not look like a GitHub token (ghp_…, github_pat_…)",
            args.name
        ));
    }

    let (expires_at, info) = if args.no_verify {
        let expires_at = match (&args.expires, &args.expires_in) {
            (Some(date), _) => Some(
                expiry::parse_date(date, ctx.tz())
                    .map_err(|e| Error::usage(e, "e.g. --expires 2026-12-31"))?,
            ),
            (None, Some(span)) => Some(
                expiry::parse_in(span, ctx.now)
                    .map_err(|e| Error::usage(e, "e.g. --expires-in 90d"))?,
            ),
            (None, None) => {
                ctx.warn(format!(
                    "no expiry recorded for {}: reminders need one (`bscred verify {}` once GitHub can be reached)",
                    args.name, args.name
                ));
                None
            }
        };
        (expires_at, None)
    } else {
        // Verify before storing: a rejected token never replaces a good one.
        let info = github::verify(
            &github::api_base(&host, ctx.github_api_url.as_deref()),
            value.expose(),
            ctx.now,
        )?;
        (info.expires_at, Some(info))
    };

    // One write: the new value with its expiry and what GitHub said.
    profile.update(ctx.now, &mut |doc| {
        doc.upsert(args.name.clone(), value.clone(), true, expires_at, ctx.now);
        if let (Some(info), Some(var)) = (&info, doc.variables.get_mut(&args.name)) {
            var.token = Some(info.facts(&value, &host, ctx.now));
        }
        Ok(())
    })?;
    match &info {
        Some(info) => {
            ctx.note(info.describe(&args.name, ctx.now, ctx.tz()));
            if let Some(warning) = info.login_mismatch(&profile.load(ctx.now)?, &args.name) {
                ctx.warn(warning);
            }
        }
        None => ctx.note(format!(
            "stored the new {} without asking GitHub; it {}",
            args.name,
            expires_at.map_or("has no expiry on record".to_string(), |at| format!(
                "expires {}",
                expiry::describe(Some(at), ctx.now, ctx.tz())
            ))
        )),
    }
    let by_hand = format!(
        "delete the old token on GitHub: https://{host}/settings/personal-access-tokens (fine-grained) or https://{host}/settings/tokens (classic)"
    );
    match old.filter(|old| github::is_revocable(old.expose())) {
        // Asked to keep it, or GitHub was not reachable a moment ago.
        Some(_) if args.keep_old || args.no_verify => {
            crate::terminal::say(&format!("the old token still works: {by_hand}"));
        }
        Some(old) => {
            let base = github::api_base(&host, ctx.github_api_url.as_deref());
            match github::revoke(&base, &[old.expose()]) {
                Ok(()) => ctx.note(format!(
                    "revoked the old {} on GitHub: it no longer works anywhere",
                    args.name
                )),
                Err(e) => ctx.warn(format!(
                    "the new {} is stored, but revoking the old one failed ({e}); {by_hand}",
                    args.name
                )),
            }
        }
        None => crate::terminal::say(&format!("now {by_hand}")),
    }
    Ok(Exit::Ok)
}

fn read_token(args: &Args) -> Result<Secret> {
    let bad = |e: crate::secret::BadValue| Error::BadValue {
        name: args.name.to_string(),
        problem: e.to_string(),
    };
    if args.stdin {
        let bytes = prompt::read_stdin().map_err(Error::io("cannot read standard input"))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            // `gh auth token | bscred rotate --stdin` with gh logged out:
            // an empty token must never replace a working one.
            return Err(Error::usage(
                "no token on stdin; the old one stays",
                format!(
                    "pipe the new token: `gh auth token | bscred rotate {} --stdin`",
                    args.name
                ),
            ));
        }
        return Secret::from_bytes(bytes.to_vec()).map_err(bad);
    }
    if !prompt::stdin_is_terminal() {
        return Err(Error::usage(
            "stdin is not a terminal to ask for the new token on",
            format!(
                "pipe it with --stdin: `gh auth token | bscred rotate {} --stdin`",
                args.name
            ),
        ));
    }
    let typed = prompt::hidden(&format!("New token for {} (input hidden): ", args.name))?;
    if typed.is_empty() {
        return Err(Error::usage(
            "no token entered; the old one stays",
            format!(
                "run `bscred rotate {}` again when you have the new token",
                args.name
            ),
        ));
    }
    Secret::new(typed.to_string()).map_err(bad)
}

/// GitHub's new fine-grained token page (on the web base `web`, e.g.
/// `https://github.com`) with everything it lets a link prefill.
/// Repository selection cannot be prefilled.
pub fn template_url(
    web: &str,
    profile: &str,
    days: u32,
    owner: Option<&str>,
    now: jiff::Timestamp,
) -> String {
    // GitHub limits a token's name to 40 characters.
    let name: String = format!("bscred {profile} {}", now.strftime("%Y-%m-%d"))
        .chars()
        .take(40)
        .collect();
    let description = format!("Backstage development, stored by bscred (profile {profile})");
    let mut url = format!(
        "{web}/settings/personal-access-tokens/new?name={}&description={}",
        github::percent_encode(&name),
        github::percent_encode(&description)
    );
    if let Some(owner) = owner {
        let _ = write!(url, "&target_name={}", github::percent_encode(owner));
    }
    let _ = write!(url, "&expires_in={days}");
    for permission in PERMISSIONS {
        let _ = write!(url, "&{permission}=write");
    }
    url
}

/// What to do on the page, in words that still make sense if GitHub
/// ignores a parameter (it has changed this page before).
fn instructions(url: &str, name: &VarName) -> String {
    format!(
        "bscred: create the new token on GitHub:\n\n  {url}\n\n\
         bscred: on that page, check that:\n\
         bscred:   - the resource owner is the user or organisation that owns your Backstage repositories;\n\
         bscred:   - under Repository access you pick the repositories (GitHub cannot prefill them);\n\
         bscred:   - Administration, Secrets, Contents, Pull requests and Workflows are \"Read and write\";\n\
         bscred:   - the expiration suits you (bscred will remind you before it).\n\
         bscred: then generate the token and give it to bscred; it replaces {name} once GitHub accepts it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_url_prefills_what_github_takes() {
        let now: jiff::Timestamp = "2026-06-01T12:00:00Z".parse().expect("time");
        let url = template_url("https://github.com", "default", 90, Some("my org"), now);
        assert!(url.starts_with("https://github.com/settings/personal-access-tokens/new?"));
        assert!(url.contains("name=bscred%20default%202026-06-01"), "{url}");
        assert!(url.contains("&target_name=my%20org"), "{url}");
        assert!(url.contains("&expires_in=90"), "{url}");
        for permission in PERMISSIONS {
            assert!(url.contains(&format!("&{permission}=write")), "{url}");
        }
        let long = template_url("https://ghe.example.com", &"p".repeat(60), 30, None, now);
        assert!(long.starts_with("https://ghe.example.com/settings/"));
        assert!(!long.contains("target_name"));
        let name = long
            .split("name=")
            .nth(1)
            .and_then(|s| s.split('&').next())
            .expect("name");
        assert_eq!(name.replace("%20", " ").chars().count(), 40);
    }
}
