//! `bscred env`: print shell code that exports the profile's variables.

use std::collections::BTreeMap;

use crate::context::{Context, ProfileSource};
use crate::error::{Error, Exit, Result};
use crate::profile::ProfileName;
use crate::secret::{Secret, VarName};
use crate::shell::{self, Shell};
use crate::store::{Document, Variable};

/// Print shell code that exports the profile's variables
///
/// Use it as `eval $(bscred env)` in bash or zsh; every value comes back
/// byte for byte, quoted or not. Without --shell the output is the bash/zsh
/// form whatever $SHELL says, so it behaves the same inside direnv, scripts
/// and sudo. stdout carries only the code; on failure it is empty.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    eval $(bscred env)                          # bash, zsh\n  \
    eval $(bscred env --shell sh)               # dash, POSIX sh\n  \
    bscred env --shell fish | source            # fish\n  \
    bscred env --shell powershell | Invoke-Expression\n  \
    bscred env --shell nu | from json | load-env\n  \
    bscred env --shell dotenv > .env.local      # plaintext: only if you must")]
pub struct Args {
    /// Output format [default: bash]
    #[arg(long, value_enum, value_name = "SHELL")]
    shell: Option<Shell>,

    /// Only these variables (comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    only: Vec<VarName>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let merged = merged(ctx)?;
    let vars = selected(ctx, &merged.doc, &args.only)?;
    let values: Vec<(&VarName, &Secret)> = vars.iter().map(|(n, v)| (*n, &v.value)).collect();
    let code =
        shell::render(args.shell.unwrap_or(Shell::Bash), &values).map_err(|e| Error::Refused {
            message: e.to_string(),
            hint: "use --shell json, or leave it out with --only".to_string(),
        })?;
    merged.remind(ctx, &vars)?;
    super::print(code.as_bytes())?;
    Ok(Exit::Ok)
}

/// The variables of the profiles `env` and `exec` read, and which profile
/// each came from.
pub(super) struct Merged {
    pub doc: Document,
    /// Variables that came from a profile after the first.
    from_later: BTreeMap<VarName, ProfileName>,
}

impl Merged {
    /// Prints the expiry reminders for `vars`, each naming the profile that
    /// holds the variable.
    pub fn remind(&self, ctx: &Context, vars: &[(&VarName, &Variable)]) -> Result<()> {
        ctx.remind_from(vars.iter().map(|(name, var)| {
            let profile = self.from_later.get(*name).unwrap_or(&ctx.profile);
            (name.as_str(), var.expires_at, profile)
        }))
    }
}

/// The profile's document, or, with several profiles (`-p a -p b`, or
/// `profiles` in the project file), their variables merged in order: a name
/// in a later profile wins, with a warning when the values differ.
pub(super) fn merged(ctx: &Context) -> Result<Merged> {
    let mut doc = ctx.open_profile()?.load(ctx.now)?;
    let mut from_later = BTreeMap::new();
    for name in &ctx.also {
        let later = ctx.open(name)?.load(ctx.now)?;
        for (var, value) in later.variables {
            if doc
                .variables
                .get(&var)
                .is_some_and(|earlier| !earlier.value.same_as(&value.value))
            {
                ctx.warn(format!(
                    "{var} is set differently in several profiles; the value from '{name}' wins"
                ));
            }
            from_later.insert(var.clone(), name.clone());
            doc.variables.insert(var, value);
        }
    }
    Ok(Merged { doc, from_later })
}

/// The variables `env` and `exec` hand out: all of them, or those named by
/// `--only`, once every variable the project requires is known to be there.
pub(super) fn selected<'d>(
    ctx: &Context,
    doc: &'d Document,
    only: &[VarName],
) -> Result<Vec<(&'d VarName, &'d Variable)>> {
    if let Some(project) = &ctx.project {
        let missing: Vec<String> = project
            .required
            .iter()
            .filter(|name| !doc.variables.contains_key(*name))
            .map(VarName::to_string)
            .collect();
        if !missing.is_empty() {
            return Err(Error::MissingRequired {
                profile: ctx.profile.to_string(),
                names: missing,
                project: project.path.clone(),
                name_profile: ctx.profile_source == ProfileSource::Option,
            });
        }
    }
    if only.is_empty() {
        return Ok(doc.variables.iter().collect());
    }
    let mut vars = Vec::with_capacity(only.len());
    for name in only {
        let (name, var) = doc
            .variables
            .get_key_value(name)
            .ok_or_else(|| Error::VarNotFound {
                name: name.to_string(),
                profile: ctx.profile.to_string(),
            })?;
        if !vars.iter().any(|(n, _)| *n == name) {
            vars.push((name, var));
        }
    }
    Ok(vars)
}
