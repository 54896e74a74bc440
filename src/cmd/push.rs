//! `bscred push github`: copy stored variables into GitHub's secret stores
//! (Actions, an environment, Codespaces, the user's Codespaces, Dependabot),
//! each value sealed to the store's public key before it leaves.

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::github;
use crate::github_secrets::{self, Outcome, PushError, Repo, Scope, Session};
use crate::secret::VarName;

/// Push variables to GitHub's secret stores, sealed
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred push github --repo acme/backstage AUTH_GITHUB_CLIENT_SECRET \\\n      \
    GITHUB_TOKEN=BACKSTAGE_GITHUB_TOKEN")]
pub struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    /// Push variables to a repository's GitHub secrets
    ///
    /// Each NAME is a variable of the profile; it becomes the secret NAME,
    /// or REMOTE_NAME when given as NAME=REMOTE_NAME. GitHub refuses secret
    /// names starting with GITHUB_, so GITHUB_TOKEN must be pushed under
    /// another name (GITHUB_TOKEN=BACKSTAGE_GITHUB_TOKEN). Every name is
    /// checked before anything is sent. The store's public key is fetched
    /// once, and each value is sealed to it (libsodium's sealed box) before
    /// it leaves: GitHub receives no plaintext, and nothing is written to
    /// disk. Existing secrets are replaced. The report names what was
    /// created and updated, never a value.
    ///
    /// The token (GITHUB_TOKEN, or the variable --token-var names) needs,
    /// on a fine-grained token: "Secrets" (read and write) for actions,
    /// "Environments" (read and write) with --environment, "Codespaces
    /// secrets" for codespaces, "Dependabot secrets" for dependabot, and
    /// the account permission "Codespaces user secrets" with --user.
    ///
    /// With --user, a secret is one of your own Codespaces secrets, made
    /// available to the repository: the repositories it was already
    /// available to keep it (bscred reads that list and adds the
    /// repository, since GitHub's write replaces the list).
    #[command(after_help = "Examples:\n  \
        bscred push github --repo acme/backstage AUTH_GITHUB_CLIENT_SECRET \\\n      \
        GITHUB_TOKEN=BACKSTAGE_GITHUB_TOKEN\n  \
        bscred push github --repo acme/backstage --environment production AUTH_GITHUB_CLIENT_SECRET\n  \
        bscred push github --repo acme/backstage --app codespaces --user \\\n      \
        GITHUB_TOKEN=BACKSTAGE_GITHUB_TOKEN\n  \
        bscred push github --repo acme/backstage --app dependabot NPM_TOKEN")]
    Github(GithubArgs),
}

#[derive(Debug, clap::Args)]
struct GithubArgs {
    /// The repository
    #[arg(long, value_name = "OWNER/REPO")]
    repo: Repo,

    /// Which of the repository's secret stores
    #[arg(long, value_enum, default_value_t = App::Actions)]
    app: App,

    /// With actions: the environment's secrets instead of the repository's
    #[arg(long, value_name = "ENV", conflicts_with = "user")]
    environment: Option<String>,

    /// With codespaces: your own Codespaces secrets, made available to the
    /// repository, instead of the repository's
    #[arg(long)]
    user: bool,

    /// The variable holding the GitHub token to push with
    #[arg(long, value_name = "VAR", default_value = "GITHUB_TOKEN")]
    token_var: VarName,

    /// The variables to push, each NAME or NAME=REMOTE_NAME
    #[arg(required = true, value_name = "NAME[=REMOTE_NAME]")]
    names: Vec<String>,
}

/// GitHub's secret stores of a repository, as `--app` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum App {
    /// GitHub Actions
    Actions,
    /// Codespaces
    Codespaces,
    /// Dependabot
    Dependabot,
}

/// One variable to push: its name here and its name on GitHub.
#[derive(Debug)]
struct Mapping {
    local: VarName,
    remote: String,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let Target::Github(args) = args.target;
    // Everything the command line can get wrong is refused before the
    // store is opened, and so before anything is sent.
    let scope = scope(&args)?;
    let mappings = mappings(&args.names)?;

    let profile = ctx.open_profile()?;
    let doc = profile.load(ctx.now)?;
    // A `login github` token lives 8 hours: the one pushed with is renewed
    // first, as `get` would.
    let doc = crate::refresh::fresh(
        &profile,
        doc,
        Some(&[&args.token_var]),
        &ctx.renewal(&profile.name),
    )?;
    let place = format!("profile '{}'", ctx.profile);
    for mapping in &mappings {
        match doc.variables.get(&mapping.local) {
            None => {
                return Err(Error::VarNotFound {
                    name: mapping.local.to_string(),
                    place,
                });
            }
            // GitHub's copy is not renewed: it stops working within hours.
            Some(var) if var.renewal().is_some() => ctx.warn(format!(
                "{} is a GitHub user token bscred renews by itself; the copy pushed as {} stops working when it expires{} (push a token that lasts, such as a fine-grained PAT)",
                mapping.local,
                mapping.remote,
                var.expires_at.map_or(String::new(), |at| format!(
                    ", {}",
                    crate::expiry::describe(Some(at), ctx.now, ctx.tz())
                )),
            )),
            Some(_) => {}
        }
    }
    let token = &doc
        .variables
        .get(&args.token_var)
        .ok_or_else(|| Error::InputNotFound {
            what: format!("the token {} in {place}", args.token_var),
            hint: Some(format!(
                "store one with `bscred set {}`, or name the variable holding it with --token-var",
                args.token_var
            )),
        })?
        .value;

    let host = github::host_of(&profile.settings.github_host);
    let base = github::api_base(&host, ctx.github_api_url.as_deref());
    let stopped = |failure, pushed: &[String]| {
        Error::Push(Box::new(PushError {
            place: scope.describe(&args.repo),
            failure,
            pushed: pushed.to_vec(),
            permission: scope.permission(),
        }))
    };
    let session = Session::open(&base, token, &args.repo, &scope).map_err(|f| stopped(f, &[]))?;
    let mut pushed = Vec::new();
    for mapping in &mappings {
        let value = &doc.variables[&mapping.local].value;
        let outcome = session
            .put(&mapping.remote, value)
            .map_err(|f| stopped(f, &pushed))?;
        pushed.push(mapping.remote.clone());
        // A line as each one lands: a push that stops midway has already
        // said what it wrote.
        super::print_text(&report(mapping, outcome, &scope.describe(&args.repo)))?;
    }
    Ok(Exit::Ok)
}

/// The store `--app`, `--environment` and `--user` name together.
fn scope(args: &GithubArgs) -> Result<Scope> {
    match (args.app, &args.environment, args.user) {
        (App::Actions, None, false) => Ok(Scope::Actions),
        (App::Actions, Some(env), false) => {
            if env.is_empty() || env.chars().any(char::is_control) {
                Err(Error::usage(
                    "--environment needs an environment's name",
                    "e.g. --environment production",
                ))
            } else {
                Ok(Scope::Environment(env.clone()))
            }
        }
        (App::Codespaces, None, false) => Ok(Scope::Codespaces),
        (App::Codespaces, None, true) => Ok(Scope::CodespacesUser),
        (App::Dependabot, None, false) => Ok(Scope::Dependabot),
        (app, Some(_), _) => Err(Error::usage(
            format!(
                "--environment goes only with --app actions, not {}",
                app_name(app)
            ),
            "environments hold Actions secrets: drop --app, or drop --environment",
        )),
        (app, None, true) => Err(Error::usage(
            format!(
                "--user goes only with --app codespaces, not {}",
                app_name(app)
            ),
            "only Codespaces has user secrets: add --app codespaces, or drop --user",
        )),
    }
}

fn app_name(app: App) -> &'static str {
    match app {
        App::Actions => "actions",
        App::Codespaces => "codespaces",
        App::Dependabot => "dependabot",
    }
}

/// The NAME[=REMOTE_NAME] arguments, every one checked against GitHub's
/// rules for secret names before anything is sent.
fn mappings(names: &[String]) -> Result<Vec<Mapping>> {
    let mut out: Vec<Mapping> = Vec::new();
    for arg in names {
        let (local, remote) = match arg.split_once('=') {
            Some((local, remote)) => (local, Some(remote)),
            None => (arg.as_str(), None),
        };
        let local: VarName = local.parse().map_err(|e: crate::secret::BadName| {
            Error::usage(
                e.to_string(),
                "give each variable as NAME or NAME=REMOTE_NAME (the name of the secret on GitHub)",
            )
        })?;
        // A token pasted where a name belongs (GITHUB_TOKEN=ghp_…) would
        // otherwise become a secret's name, and be printed in the report.
        if remote.is_some_and(crate::token::contains_token) {
            return Err(Error::usage(
                format!("the name given to {local} after `=` holds a GitHub token"),
                "push takes names only; the values come from the profile",
            ));
        }
        let remote = remote.unwrap_or(local.as_str()).to_string();
        if let Some(problem) = github_secrets::name_problem(&remote) {
            return Err(if remote == local.as_str() && problem_is_prefix(&remote) {
                Error::usage(
                    format!(
                        "GitHub refuses secret names starting with GITHUB_, so {local} needs another name there"
                    ),
                    format!("push it under a name of its own: {local}=BACKSTAGE_{local}"),
                )
            } else {
                Error::usage(
                    format!("the secret name {remote} {problem}"),
                    "GitHub takes letters, digits and underscores, not starting with a digit or GITHUB_",
                )
            });
        }
        if let Some(twice) = out.iter().find(|m| m.remote.eq_ignore_ascii_case(&remote)) {
            return Err(Error::usage(
                format!(
                    "{} and {local} would both become the secret {remote}",
                    twice.local
                ),
                "give each a name of its own with NAME=REMOTE_NAME",
            ));
        }
        out.push(Mapping { local, remote });
    }
    Ok(out)
}

fn problem_is_prefix(name: &str) -> bool {
    name.to_ascii_uppercase().starts_with("GITHUB_")
}

/// `created  BACKSTAGE_GITHUB_TOKEN from GITHUB_TOKEN (actions, acme/backstage)`
fn report(mapping: &Mapping, outcome: Outcome, place: &str) -> String {
    let verb = match outcome {
        Outcome::Created => "created",
        Outcome::Updated => "updated",
    };
    let from = if mapping.remote == mapping.local.as_str() {
        String::new()
    } else {
        format!(" from {}", mapping.local)
    };
    format!("{verb}  {}{from} ({place})\n", mapping.remote)
}
