//! What `env` and `exec` hand out: the project's team store, the profile
//! and any further profiles merged in order (a name set again later wins,
//! with a warning when the values differ), then checked against the
//! project's `required` names and narrowed by `--only`.

use std::collections::{BTreeMap, BTreeSet};

use crate::context::{Context, ProfileSource};
use crate::error::{Error, Result};
use crate::profile::Profile;
use crate::profile_name::ProfileName;
use crate::secret::VarName;
use crate::store::{Document, Variable};

/// The variables of the profiles `env` and `exec` read, and which profile
/// each came from.
#[derive(Debug)]
pub struct Merged {
    pub doc: Document,
    /// Variables that came from a profile after the first.
    from_later: BTreeMap<VarName, ProfileName>,
    /// Variables that came from the team store and no profile.
    from_team: BTreeSet<VarName>,
    /// Whether a merged profile is vault-backed: the Vault token that
    /// reached bscred is then bscred's credential, not the command's.
    pub vault: bool,
}

impl Merged {
    /// Prints the expiry reminders for `vars`, each naming the profile that
    /// holds the variable. The team store's variables get none: the fix a
    /// reminder names (`bscred rotate`) acts on profiles.
    pub fn remind(&self, ctx: &Context, vars: &[(&VarName, &Variable)]) -> Result<()> {
        ctx.remind_from(
            vars.iter()
                .filter(|(name, _)| !self.from_team.contains(*name))
                .map(|(name, var)| {
                    let profile = self.from_later.get(*name).unwrap_or(&ctx.profile);
                    (name.as_str(), var.reminder_expiry(), profile)
                }),
        )
    }
}

/// How messages name where `env` and `exec` looked: "profile 'a'", or
/// "profiles 'a', 'b'" when several are merged.
fn places(ctx: &Context) -> String {
    if ctx.also.is_empty() {
        return format!("profile '{}'", ctx.profile);
    }
    let names: Vec<String> = std::iter::once(&ctx.profile)
        .chain(&ctx.also)
        .map(|name| format!("'{name}'"))
        .collect();
    format!("profiles {}", names.join(", "))
}

/// The variables `env` and `exec` hand out: the project's team store first,
/// when an allowed `.bscred.toml` names one (without the variables that run
/// code, see `team.rs`), then the profile, then any further profiles (`-p a
/// -p b`, or `profiles` in the project file), in order: a name set again
/// later wins, with a warning when the values differ, so a personal value
/// overrides the team's.
///
/// GitHub user tokens due for renewal are renewed first, among the names
/// in `only` (all, when it is empty): a token left out by `--only` is not
/// handed out, so a refused renewal of it stops nothing.
pub fn merged_only(ctx: &Context, only: &[VarName]) -> Result<Merged> {
    let only: Vec<&VarName> = only.iter().collect();
    let renew = (!only.is_empty()).then_some(only.as_slice());
    let team = match ctx.team_store()? {
        Some(team) => team.for_environment(ctx.user_config())?,
        None => Document::default(),
    };
    // A vault-backed profile's offline copy may serve here, and only here.
    let first = ctx.open_profile()?;
    let mut vault = first.settings.backend == crate::store::Backend::Vault;
    let doc = first.load_for_environment(ctx.now)?;
    // GitHub user tokens about to expire are renewed before they go out.
    let mut doc = crate::refresh::fresh(&first, doc, renew, &ctx.renewal(&first.name))?;
    vault_floor(ctx, &first, &mut doc);
    vault_token_reminder(ctx, &first);
    let mut from_team = BTreeSet::new();
    for (var, value) in team.variables {
        match doc.variables.get(&var) {
            Some(mine) if !mine.value.same_as(&value.value) => ctx.warn(format!(
                "{var} is set differently in the team store and profile '{}'; the value from '{}' wins",
                ctx.profile, ctx.profile
            )),
            Some(_) => {}
            None => {
                from_team.insert(var.clone());
                doc.variables.insert(var, value);
            }
        }
    }
    let mut from_later = BTreeMap::new();
    for name in &ctx.also {
        let profile = ctx.open(name)?;
        vault |= profile.settings.backend == crate::store::Backend::Vault;
        let later = profile.load_for_environment(ctx.now)?;
        let mut later = crate::refresh::fresh(&profile, later, renew, &ctx.renewal(name))?;
        vault_floor(ctx, &profile, &mut later);
        vault_token_reminder(ctx, &profile);
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
            from_team.remove(&var);
            from_later.insert(var.clone(), name.clone());
            doc.variables.insert(var, value);
        }
    }
    Ok(Merged {
        doc,
        from_later,
        from_team,
        vault,
    })
}

/// A vault-backed profile is written by others, so `env` and `exec` take
/// from it only the names its user accepted (`bscred allow -p`, or set
/// through bscred), with one line naming those left out; and under that,
/// never a name that runs code (`code_variables.rs`, `VAULT_*` and
/// `BAO_*` among them) unless the user's own config allows it by name.
fn vault_floor(ctx: &Context, profile: &Profile, doc: &mut Document) {
    if profile.settings.backend != crate::store::Backend::Vault {
        return;
    }
    let name = &profile.name;
    let unaccepted = profile.unaccepted(doc);
    if !unaccepted.is_empty() {
        for var in &unaccepted {
            doc.variables.remove(var);
        }
        ctx.warn(format!(
            "left out of profile '{name}': {}, which others added to its Vault secret and you have not accepted; read them with `{} list`, then accept them with `bscred allow -p {name}`",
            joined(&unaccepted),
            crate::context::cli_for(name),
        ));
    }
    let allowed = match ctx.user_config() {
        Ok(config) => config.allow_variables.clone(),
        // A broken config allows nothing more: fail closed, and say so.
        Err(e) => {
            ctx.warn(format!("{e}; no variable that runs code is allowed"));
            Vec::new()
        }
    };
    let refused: Vec<VarName> = doc
        .variables
        .keys()
        .filter(|n| crate::code_variables::runs_code(n.as_str()) && !allowed.contains(n))
        .cloned()
        .collect();
    if refused.is_empty() {
        return;
    }
    for var in &refused {
        doc.variables.remove(var);
    }
    ctx.warn(format!(
        "left out of profile '{name}' (a Vault secret others write): {}, which run code; to let one through, add allow_variables = [\"{}\"] to {}",
        joined(&refused),
        refused[0],
        crate::config::UserConfig::path(&ctx.dirs).display(),
    ));
}

/// One line, like a variable's expiry reminder, when the Vault token
/// `bscred vault login` got for a vault-backed profile expires within the
/// warning window and cannot be renewed, no longer renews, or has expired.
/// (Read after the profile was loaded, so after any renewal.)
fn vault_token_reminder(ctx: &Context, profile: &Profile) {
    if ctx.quiet || profile.settings.backend != crate::store::Backend::Vault {
        return;
    }
    let Some(record) = profile.vault_store().and_then(|s| s.login_record()) else {
        return;
    };
    let days = ctx.warn_days().unwrap_or(crate::expiry::DEFAULT_WARN_DAYS);
    if !record.needs_reminder(ctx.now, days) {
        return;
    }
    let why = match (
        record.expires_at.is_some_and(|at| at <= ctx.now),
        record.renewable,
    ) {
        (true, _) => "",
        (false, true) => ", and renewing no longer extends it",
        (false, false) => ", and it cannot be renewed",
    };
    crate::terminal::say(&format!(
        "the Vault token of profile '{}' ({} login) {}{why}; log in again with `{} vault login --method {}`",
        profile.name,
        record.method,
        record.describe(ctx.now),
        crate::context::cli_for(&profile.name),
        record.method,
    ));
}

fn joined(names: &[VarName]) -> String {
    names
        .iter()
        .map(VarName::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The variables `env` and `exec` hand out: all of them, or those named by
/// `--only`, once every variable the project requires is known to be there.
pub fn selected<'d>(
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
                place: places(ctx),
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
                place: places(ctx),
            })?;
        if !vars.iter().any(|(n, _)| *n == name) {
            vars.push((name, var));
        }
    }
    Ok(vars)
}
