//! `bscred set`: store one variable.

use jiff::Timestamp;

use crate::context::Context;
use crate::context::target::Target;
use crate::error::{Error, Exit, Result};
use crate::expiry;
use crate::prompt;
use crate::secret::{BadValue, Secret, VarName};
use crate::store::Document;
use crate::token;

/// Store a variable (secret values from a hidden prompt or --stdin)
///
/// Secret values come from a hidden prompt or --stdin, never from the
/// command line, where other processes and your shell history would see
/// them. A name is secret when one of its _-separated words is TOKEN,
/// SECRET, PASSWORD, PASSWD, PASS, KEY, PAT, CREDENTIAL(S) or AUTH; --secret
/// and --plain override that.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred set GITHUB_TOKEN                          # hidden prompt\n  \
    gh auth token | bscred set GITHUB_TOKEN --stdin\n  \
    bscred set GITHUB_USERNAME octocat               # plain values may come from argv\n  \
    bscred set GITHUB_TOKEN --expires-in 90d\n  \
    bscred set --team AUTH_GITHUB_CLIENT_SECRET      # the project's team store")]
pub struct Args {
    /// Variable name: letters, digits and _, not starting with a digit
    name: VarName,

    /// The value, for plain variables only
    value: Option<String>,

    /// Read the value from stdin (all of it, minus one trailing newline)
    #[arg(long, conflicts_with = "value")]
    stdin: bool,

    /// Treat the value as secret whatever its name
    #[arg(long, conflicts_with = "plain")]
    secret: bool,

    /// Treat the value as plain (shown by `list`, allowed on the command line)
    #[arg(long)]
    plain: bool,

    /// When the value expires: YYYY-MM-DD (from the start of that day in your
    /// time zone) or an RFC 3339 time
    #[arg(long, value_name = "DATE", conflicts_with = "expires_in")]
    expires: Option<String>,

    /// When the value expires, from now: 90d, 12w
    #[arg(long, value_name = "DURATION")]
    expires_in: Option<String>,

    /// Forget a recorded expiry (a token that no longer expires)
    #[arg(long, conflicts_with_all = ["expires", "expires_in"])]
    no_expires: bool,

    /// Store it in the project's team store (`store` in .bscred.toml),
    /// creating the store on first use
    #[arg(long)]
    team: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let expires_at = expiry_of(&args, ctx.now, ctx.tz())?;
    // Open before asking for the value: a typo'd profile should fail before
    // the user pastes a token.
    let target = Target::open(ctx, args.team)?;
    let name = &args.name;
    let chosen = match (args.secret, args.plain) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    // A stored variable keeps its flag unless told otherwise: the metadata
    // cache answers without decrypting, so a secret's new value is refused
    // on argv before anything else happens. The document itself decides
    // below, in case the cache is stale.
    let cached = target
        .cached_metadata()
        .and_then(|m| m.variables.get(name.as_str()).map(|v| v.secret));
    let secret_of = |stored: Option<bool>| chosen.or(stored).unwrap_or_else(|| name.looks_secret());
    let typed = !args.stdin && args.value.is_none();
    let value = token::checked(
        ctx.quiet,
        name,
        read_value(&args, secret_of(cached))?,
        typed,
    )?;
    // A locked passphrase-protected identity is not needed to write: the
    // change is encrypted to the public key beside the store, and merged
    // into it by the next command that unlocks it.
    if let Target::Profile(profile) = &target
        && !args.no_expires
        && profile.writes_need_unlock()?
    {
        // Without the document, the flag of a stored variable is known only
        // from a current metadata cache; when it is not known, a value on
        // the command line is refused unless --plain says it is not secret.
        let known = profile
            .cached_metadata()
            .filter(|meta| profile.metadata_is_current(meta))
            .map(|meta| meta.variables.get(name.as_str()).map(|v| v.secret));
        let secret = secret_of(known.flatten());
        if args.value.is_some() && chosen != Some(false) && (secret || known.is_none()) {
            return Err(argv_refusal(name, false));
        }
        let mut change = Document::default();
        change.upsert(name.clone(), value.clone(), secret, expires_at, ctx.now);
        if chosen.is_some() {
            change.mark_flag_given(name);
        }
        if profile.append(&change, ctx.now)? {
            let kind = if secret { "secret" } else { "plain" };
            ctx.note(format!(
                "stored {name} ({kind}) in {} without unlocking it; it is merged into the store the next time the store is unlocked",
                target.describe()
            ));
            return Ok(Exit::Ok);
        }
    }
    let mut secret = false;
    let mut dropped_expiry = false;
    target.update(ctx.now, &mut |doc| {
        let existing = doc.variables.get(name);
        secret = secret_of(existing.map(|v| v.secret));
        if secret && args.value.is_some() {
            return Err(argv_refusal(name, args.team));
        }
        // An expiry belongs to a value: a new token has its own.
        dropped_expiry = doc.set_value(
            name.clone(),
            value.clone(),
            secret,
            expires_at,
            !args.no_expires,
            ctx.now,
        );
        Ok(())
    })?;
    let kind = if secret { "secret" } else { "plain" };
    ctx.note(format!("stored {name} ({kind}) in {}", target.describe()));
    if dropped_expiry {
        ctx.note(format!(
            "the old value's expiry was dropped; record the new one with `bscred verify {name}` (asks GitHub) or `--expires DATE`"
        ));
    }
    Ok(Exit::Ok)
}

/// Refuses a secret value given on the command line. The value is already in
/// argv by then; refusing teaches the safe forms. Never echoes it.
fn argv_refusal(name: &VarName, team: bool) -> Error {
    // The hint's commands must write where this one would have.
    let set = if team { "set --team" } else { "set" };
    Error::usage(
        format!("refusing to take the secret value of {name} from the command line"),
        format!(
            "the command line is visible to other processes and saved in shell history; run `bscred {set} {name}` for a hidden prompt, or pipe it: `gh auth token | bscred {set} {name} --stdin` (--plain if it is not secret)"
        ),
    )
}

fn expiry_of(args: &Args, now: Timestamp, tz: &jiff::tz::TimeZone) -> Result<Option<Timestamp>> {
    fn bad(flag: &'static str) -> impl Fn(String) -> Error {
        move |reason| {
            Error::usage(
                format!("--{flag}: {reason}"),
                "e.g. --expires 2026-12-31 or --expires-in 90d",
            )
        }
    }
    match (&args.expires, &args.expires_in) {
        (Some(date), _) => expiry::parse_date(date, tz)
            .map(Some)
            .map_err(bad("expires")),
        (None, Some(span)) => expiry::parse_in(span, now)
            .map(Some)
            .map_err(bad("expires-in")),
        (None, None) => Ok(None),
    }
}

fn read_value(args: &Args, secret: bool) -> Result<Secret> {
    let name = &args.name;
    let bad = |problem: BadValue| Error::BadValue {
        name: name.to_string(),
        problem: problem.to_string(),
    };
    if let Some(value) = &args.value {
        if secret {
            return Err(argv_refusal(name, args.team));
        }
        return Secret::new(value.clone()).map_err(bad);
    }
    if args.stdin {
        let bytes = prompt::read_stdin().map_err(Error::io("cannot read standard input"))?;
        return Secret::from_bytes(bytes.to_vec()).map_err(bad);
    }
    if !prompt::stdin_is_terminal() {
        return Err(Error::usage(
            format!("no value given for {name}, and stdin is not a terminal to prompt on"),
            format!(
                "pipe the value with --stdin: `printf %s \"$VALUE\" | bscred set {name} --stdin`"
            ),
        ));
    }
    let typed = if secret {
        prompt::hidden(&format!("Value for {name} (input hidden): "))?
    } else {
        prompt::visible(&format!("Value for {name}: "))
            .map_err(Error::io("cannot read from the terminal"))?
    };
    if typed.is_empty() {
        return Err(Error::usage(
            format!("no value entered for {name}; nothing changed"),
            "to store an empty value on purpose, use `printf '' | bscred set NAME --stdin`",
        ));
    }
    Secret::new(typed.to_string()).map_err(bad)
}
