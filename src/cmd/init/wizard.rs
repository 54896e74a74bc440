//! The first-run part of `bscred init`: the token at a hidden prompt,
//! checked offline and with GitHub, the other Backstage variables prefilled
//! from GitHub's answer, the expiry recorded, an existing `.env` moved in.
//! On a terminal it asks; every question also has a flag, so scripts can
//! run all of it without one.

use std::path::PathBuf;

use crate::cli::BackendChoice;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::expiry;
use crate::github::{self, ApiError, TokenInfo};
use crate::profile::Profile;
use crate::prompt;
use crate::secret::{Secret, VarName};

/// The answers the wizard would ask for.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "First-run setup (asked on a terminal when not given)")]
pub struct WizardArgs {
    /// Read GITHUB_TOKEN from stdin (otherwise a hidden prompt on a terminal)
    #[arg(long)]
    token_stdin: bool,

    /// Skip the token and everything that follows from it
    #[arg(long, conflicts_with = "token_stdin")]
    no_token: bool,

    /// Do not ask GitHub about the token (offline); give its expiry with
    /// --token-expires or --token-expires-in
    #[arg(long)]
    no_verify: bool,

    /// With --no-verify: when the token expires (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", conflicts_with = "token_expires_in")]
    token_expires: Option<String>,

    /// With --no-verify: when the token expires, from now (90d)
    #[arg(long, value_name = "DURATION")]
    token_expires_in: Option<String>,

    /// GITHUB_USERNAME [default: the token's login]
    #[arg(long, value_name = "LOGIN")]
    username: Option<String>,

    /// USER_DISPLAY_NAME [default: the GitHub profile's name]
    #[arg(long, value_name = "NAME")]
    display_name: Option<String>,

    /// USER_EMAIL [default: the GitHub profile's public email]
    #[arg(long, value_name = "EMAIL")]
    email: Option<String>,

    /// Import ./.env and remove its plaintext lines
    #[arg(long, conflicts_with = "no_import_env")]
    import_env: bool,

    /// Leave ./.env alone
    #[arg(long)]
    no_import_env: bool,
}

impl WizardArgs {
    /// Whether any answer was given on the command line: then the wizard
    /// runs, asking a terminal only for what is missing.
    pub(super) fn any(&self) -> bool {
        self.token_stdin
            || self.no_verify
            || self.token_expires.is_some()
            || self.token_expires_in.is_some()
            || self.username.is_some()
            || self.display_name.is_some()
            || self.email.is_some()
            || self.import_env
    }
}

/// On a terminal, asks where the profile should live (auto suggested);
/// elsewhere, `auto`.
pub(super) fn ask_backend(args: &WizardArgs) -> Result<Option<BackendChoice>> {
    if !prompt::stdin_is_terminal() || args.token_stdin {
        return Ok(None);
    }
    loop {
        let answer = ask(
            "Keep this profile in the OS keychain, an encrypted file, or whichever works (auto)? [auto/keychain/file]",
            Some("auto"),
        )?;
        match answer.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("auto" | "a") | None => return Ok(Some(BackendChoice::Auto)),
            Some("keychain" | "k") => return Ok(Some(BackendChoice::Keychain)),
            Some("file" | "f") => return Ok(Some(BackendChoice::File)),
            Some(_) => crate::terminal::say("please answer auto, keychain or file"),
        }
    }
}

/// Runs the first-run steps on a freshly initialised profile: on a
/// terminal, or when answers were given as flags. Returns whether it ran.
pub(super) fn run(ctx: &Context, profile: &Profile, args: &WizardArgs) -> Result<bool> {
    let terminal = prompt::stdin_is_terminal() && !args.token_stdin;
    if !terminal && !args.any() {
        return Ok(false);
    }
    let stored = token_steps(ctx, profile, args, terminal)?;
    env_file_step(ctx, args, terminal, stored)?;
    ctx.note("done. Run your app with `bscred exec -- yarn dev` (or `yarn start`), and in app-config.yaml keep the token out of the file:");
    for line in [
        "  integrations:",
        "    github:",
        "      - host: github.com",
        "        token: ${GITHUB_TOKEN}",
    ] {
        ctx.note(line);
    }
    Ok(true)
}

/// The token and the three Backstage variables; returns the names stored.
fn token_steps(
    ctx: &Context,
    profile: &Profile,
    args: &WizardArgs,
    terminal: bool,
) -> Result<Vec<VarName>> {
    let name = var_name("GITHUB_TOKEN")?;
    let token = match args.no_token {
        true => None,
        false => read_token(args, terminal)?,
    };
    let host = github::host_of(&profile.settings.github_host);
    let (token, info, expires_at) = match token {
        None => (None, None, None),
        Some(token) => {
            let token = crate::token::checked(ctx.quiet, &name, token, terminal)?;
            let info = verify_or_go_on(ctx, args, terminal, &host, &token)?;
            let expires_at = match &info {
                Some(info) => info.expires_at,
                None => offline_expiry(ctx, args, terminal)?,
            };
            (Some(token), info, expires_at)
        }
    };

    let mut values: Vec<(VarName, Secret, bool)> = Vec::new();
    if let Some(token) = &token {
        values.push((name.clone(), token.clone(), true));
    }
    let login = info.as_ref().map(|i| i.login.clone());
    let name_guess = info.as_ref().and_then(|i| i.name.clone());
    let email_guess = info.as_ref().and_then(|i| i.email.clone());
    let mut missing = Vec::new();
    for (var, given, guess, question) in [
        ("GITHUB_USERNAME", &args.username, login, "GitHub username"),
        (
            "USER_DISPLAY_NAME",
            &args.display_name,
            name_guess,
            "Your name, as Backstage shows it",
        ),
        ("USER_EMAIL", &args.email, email_guess, "Your email"),
    ] {
        // Flags always count; questions only follow a token.
        let value = match (given, terminal && token.is_some()) {
            (Some(value), _) => Some(value.clone()),
            (None, true) => ask(question, guess.as_deref())?,
            (None, false) => guess,
        };
        match value.filter(|v| !v.is_empty()) {
            Some(value) => {
                let secret = Secret::new(value).map_err(|e| Error::BadValue {
                    name: var.to_string(),
                    problem: e.to_string(),
                })?;
                values.push((var_name(var)?, secret, false));
            }
            None => missing.push(var),
        }
    }
    if values.is_empty() {
        return Ok(Vec::new());
    }

    profile.update(ctx.now, &mut |doc| {
        for (var, value, secret) in &values {
            let expires = if var == &name { expires_at } else { None };
            doc.upsert(var.clone(), value.clone(), *secret, expires, ctx.now);
        }
        if let (Some(info), Some(token), Some(var)) = (&info, &token, doc.variables.get_mut(&name))
        {
            var.token = Some(info.facts(token, &host, ctx.now));
        }
        Ok(())
    })?;
    let stored: Vec<VarName> = values.into_iter().map(|(n, _, _)| n).collect();
    ctx.note(format!(
        "stored {} in profile '{}'",
        stored
            .iter()
            .map(VarName::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        ctx.profile
    ));
    if token.is_some() {
        match &info {
            Some(info) => ctx.note(info.describe(&name, ctx.now, ctx.tz())),
            None => ctx.note(match expires_at {
                Some(at) => format!("GITHUB_TOKEN expires {}", expiry::describe(Some(at), ctx.now, ctx.tz())),
                None => "no expiry on record for GITHUB_TOKEN; `bscred verify` records it once GitHub can be reached".to_string(),
            }),
        }
        for var in missing {
            ctx.warn(format!(
                "{var} is not set (a Backstage app reads it): `{} set {var}`",
                ctx.cli()
            ));
        }
    }
    Ok(stored)
}

/// Asks GitHub about the token; offline on a terminal, offers to go on.
fn verify_or_go_on(
    ctx: &Context,
    args: &WizardArgs,
    terminal: bool,
    host: &str,
    token: &Secret,
) -> Result<Option<TokenInfo>> {
    if args.no_verify {
        return Ok(None);
    }
    match github::verify(
        &github::api_base(host, ctx.github_api_url.as_deref()),
        token.expose(),
        ctx.now,
    ) {
        Ok(info) => Ok(Some(info)),
        // Offline: a terminal may go on without GitHub; a script said what
        // it wanted with its flags.
        Err(e @ ApiError::Unreachable { .. }) if terminal => {
            ctx.warn(e.to_string());
            if prompt::confirm("Store the token without checking it with GitHub? [Y/n] ")
                .map_err(Error::io("cannot read from the terminal"))?
            {
                Ok(None)
            } else {
                Err(Error::GitHub(e))
            }
        }
        Err(e) => Err(Error::GitHub(e)),
    }
}

fn var_name(name: &str) -> Result<VarName> {
    name.parse().map_err(|e: crate::secret::BadName| {
        Error::usage(e.to_string(), "a bscred bug: please report it")
    })
}

fn read_token(args: &WizardArgs, terminal: bool) -> Result<Option<Secret>> {
    let bad = |e: crate::secret::BadValue| Error::BadValue {
        name: "GITHUB_TOKEN".to_string(),
        problem: e.to_string(),
    };
    if args.token_stdin {
        let bytes = prompt::read_stdin().map_err(Error::io("cannot read standard input"))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::usage(
                "--token-stdin was given, but stdin holds no token",
                "pipe the token: `gh auth token | bscred init --token-stdin`, or drop --token-stdin",
            ));
        }
        return Secret::from_bytes(bytes.to_vec()).map(Some).map_err(bad);
    }
    if !terminal {
        return Ok(None);
    }
    crate::terminal::say(
        "create a fine-grained token with `bscred rotate --open` later, or paste an existing one now.",
    );
    let typed = prompt::hidden("GitHub token (input hidden; Enter to skip): ")?;
    if typed.is_empty() {
        return Ok(None);
    }
    Secret::new(typed.to_string()).map(Some).map_err(bad)
}

fn offline_expiry(
    ctx: &Context,
    args: &WizardArgs,
    terminal: bool,
) -> Result<Option<jiff::Timestamp>> {
    let parse = |text: &str| {
        expiry::parse_date(text, ctx.tz())
            .or_else(|_| expiry::parse_in(text, ctx.now))
            .map_err(|e| Error::usage(e, "e.g. 2026-12-31 or 90d"))
    };
    if let Some(date) = &args.token_expires {
        return parse(date).map(Some);
    }
    if let Some(span) = &args.token_expires_in {
        return expiry::parse_in(span, ctx.now)
            .map(Some)
            .map_err(|e| Error::usage(e, "e.g. 90d"));
    }
    if !terminal {
        return Ok(None);
    }
    match ask(
        "When does the token expire? (YYYY-MM-DD or 90d; Enter if it never does)",
        None,
    )? {
        Some(text) => parse(&text).map(Some),
        None => Ok(None),
    }
}

/// Offers to move a plaintext `.env` here into the profile; the values just
/// stored (`stored`) win over the file's.
fn env_file_step(
    ctx: &Context,
    args: &WizardArgs,
    terminal: bool,
    stored: Vec<VarName>,
) -> Result<()> {
    let path = PathBuf::from(".env");
    if args.no_import_env || !path.is_file() {
        return Ok(());
    }
    let import = args.import_env
        || (terminal
            && prompt::confirm("There is a plaintext .env here. Move its variables into bscred and remove them from the file? [Y/n] ")
                .map_err(Error::io("cannot read from the terminal"))?);
    if import {
        crate::import::run(
            &ctx.open_profile()?,
            ctx.now,
            ctx.notices(),
            &crate::import::Options::file_and_remove(path).keeping(stored),
        )?;
    }
    Ok(())
}

/// Asks a question with an optional default; `None` for an empty answer
/// without a default.
fn ask(question: &str, default: Option<&str>) -> Result<Option<String>> {
    let prompt_text = match default {
        Some(d) => format!("{question} [{d}]: "),
        None => format!("{question}: "),
    };
    let answer =
        prompt::visible(&prompt_text).map_err(Error::io("cannot read from the terminal"))?;
    let answer = answer.trim();
    Ok(if answer.is_empty() {
        default.map(str::to_string)
    } else {
        Some(answer.to_string())
    })
}
