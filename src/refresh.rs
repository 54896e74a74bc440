//! Renewing a GitHub user token (`bscred login github`) before it is handed
//! out: `env`, `exec`, `get` and the git helper call `fresh` on what they
//! loaded, and a token that expires within five minutes is swapped for a
//! new one with its refresh token. A refresh token works once, so the
//! refresh happens under the profile's lock, after reading the document
//! again: a second process that waited on the lock finds the new token
//! and uses it without asking GitHub a second time.

use jiff::{SignedDuration, Timestamp};

use crate::device_flow::{self, OAuthError};
use crate::error::Result;
use crate::profile::Profile;
use crate::secret::VarName;
use crate::store::document::RefreshCredential;
use crate::store::{Document, Variable};
use crate::terminal::Notices;

/// How close to its expiry a token is refreshed: a command started now
/// gets a token that still works for a few minutes at least.
pub const WINDOW: SignedDuration = SignedDuration::from_mins(5);

/// What a refresh needs besides the profile: the time, the web base
/// override (`BSCRED_GITHUB_URL`), where warnings go, and how a hint
/// calls bscred for this profile (`bscred` or `bscred -p NAME`).
#[derive(Debug, Clone)]
pub struct Renewal<'a> {
    pub now: Timestamp,
    pub web_url: Option<&'a str>,
    pub notices: Notices,
    pub cli: String,
}

/// Whether `var` is a token bscred renews and is due: it expires within
/// `WINDOW` of `now`, or has expired.
pub fn due(var: &Variable, now: Timestamp) -> bool {
    var.renewal().is_some()
        && var
            .expires_at
            .is_some_and(|at| at.duration_since(now) <= WINDOW)
}

/// `doc` (just loaded from `profile`) with every due token among `names`
/// (all, when `None`) refreshed and stored. Without a due token nothing
/// happens: plain tokens and everything else pass through untouched.
///
/// A refusal (a used, revoked or expired refresh token, a wrong client ID)
/// fails with exit 5 and leaves the stored tokens as they were. GitHub out
/// of reach is a warning while the token still works, and a failure once
/// it has expired.
pub fn fresh(
    profile: &Profile,
    doc: Document,
    names: Option<&[&VarName]>,
    renewal: &Renewal,
) -> Result<Document> {
    let wanted = |name: &VarName| names.is_none_or(|names| names.contains(&name));
    let now = renewal.now;
    if !doc
        .variables
        .iter()
        .any(|(name, var)| wanted(name) && due(var, now))
    {
        return Ok(doc);
    }
    // The refresh token works once: read again under the lock, and renew
    // only what is still due (another process may have done it meanwhile).
    let held = profile.lock()?;
    let current = profile.load_locked(&held, now)?;
    let due_now: Vec<(VarName, Variable)> = current
        .variables
        .iter()
        .filter(|(name, var)| wanted(name) && due(var, now))
        .map(|(name, var)| (name.clone(), var.clone()))
        .collect();
    if due_now.is_empty() {
        return Ok(current);
    }
    let mut renewed = Vec::new();
    let mut failure = None;
    for (name, var) in due_now {
        let Some(credential) = var.renewal() else {
            continue;
        };
        match renew(&name, credential, renewal) {
            Ok(new) => renewed.push((name, new)),
            Err(e) if e.is_transient() && var.expires_at.is_some_and(|at| at > now) => {
                renewal.notices.warn(format!(
                    "{name} expires within {} minutes and could not be refreshed ({e}); handing out the current token",
                    WINDOW.as_mins()
                ));
            }
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    let doc = if renewed.is_empty() {
        current
    } else {
        // GitHub has already spent the old refresh tokens: what it gave
        // is stored before anything else can fail.
        profile
            .update_locked(&held, now, &mut |doc| {
                for (name, (value, expires_at, credential)) in &renewed {
                    doc.upsert(name.clone(), value.clone(), true, *expires_at, now);
                    if let Some(var) = doc.variables.get_mut(name) {
                        var.refresh.clone_from(credential);
                    }
                }
                Ok(())
            })
            .map_err(|e| not_stored(&renewed, &current, e, renewal))?
    };
    for (name, (_, expires_at, _)) in &renewed {
        renewal.notices.note(format!(
            "refreshed {name} on GitHub{}",
            expires_at.map_or(String::new(), |at| format!(
                "; the new token lasts {} minutes",
                at.duration_since(now).as_mins()
            ))
        ));
    }
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(doc),
    }
}

/// The error when GitHub renewed tokens that then could not be written
/// (the profile moved meanwhile, a full disk, a keychain timeout): the old
/// refresh tokens are spent, so the way out is to log in again.
fn not_stored(
    renewed: &[(VarName, Renewed)],
    current: &Document,
    cause: crate::error::Error,
    renewal: &Renewal,
) -> crate::error::Error {
    let names: Vec<&str> = renewed.iter().map(|(name, _)| name.as_str()).collect();
    let retry = renewed
        .iter()
        .find_map(|(name, _)| {
            let credential = current.variables.get(name)?.renewal()?;
            Some(login_command(&renewal.cli, &credential.client_id, name))
        })
        .unwrap_or_default();
    OAuthError::NotStored {
        name: names.join(", "),
        cause: cause.to_string(),
        retry,
    }
    .into()
}

/// The command that logs in again for `name` with the App `client_id`,
/// as a hint names it: `cli` is `bscred` or `bscred -p NAME`, and
/// `--name` appears only when the variable is not the default.
pub fn login_command(cli: &str, client_id: &str, name: &VarName) -> String {
    let mut command = format!("{cli} login github --client-id {client_id}");
    if name.as_str() != "GITHUB_TOKEN" {
        command.push_str(&format!(" --name {name}"));
    }
    command
}

/// A new token, its expiry and its refresh credential.
type Renewed = (
    crate::secret::Secret,
    Option<Timestamp>,
    Option<RefreshCredential>,
);

/// Redeems one refresh token.
fn renew(
    name: &VarName,
    credential: &RefreshCredential,
    renewal: &Renewal,
) -> Result<Renewed, OAuthError> {
    let now = renewal.now;
    let retry = login_command(&renewal.cli, &credential.client_id, name);
    if credential.expires_at.is_some_and(|at| at <= now) {
        return Err(OAuthError::RefreshRefused {
            name: name.to_string(),
            why: "its refresh token expired".to_string(),
            retry,
        });
    }
    let web = crate::github::web_base(&credential.host, renewal.web_url);
    let grant = device_flow::refresh(
        &web,
        &credential.client_id,
        &credential.token,
        name.as_str(),
        &retry,
    )?;
    let at = |span: Option<SignedDuration>| span.and_then(|s| now.checked_add(s).ok());
    // GitHub sends a new refresh token with every refresh; should one not
    // come, the token can no longer be renewed and is left to expire.
    let refresh = grant.refresh_token.map(|token| {
        RefreshCredential::new(
            token,
            at(grant.refresh_expires_in),
            credential.client_id.clone(),
            credential.host.clone(),
            &grant.access_token,
        )
    });
    Ok((grant.access_token, at(grant.expires_in), refresh))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn var(expires_at: Option<Timestamp>, refresh: bool) -> Variable {
        let t = Timestamp::UNIX_EPOCH;
        let value = Secret::new("ghu_x".to_string()).expect("value");
        Variable {
            secret: true,
            created_at: t,
            updated_at: t,
            expires_at,
            token: None,
            refresh: refresh.then(|| {
                RefreshCredential::new(
                    Secret::new("ghr_x".to_string()).expect("value"),
                    None,
                    "Iv1.x".to_string(),
                    "github.com".to_string(),
                    &value,
                )
            }),
            value,
            extra: Default::default(),
        }
    }

    #[test]
    fn only_a_refreshable_token_within_five_minutes_is_due() {
        let now: Timestamp = "2026-06-01T12:00:00Z".parse().expect("time");
        let at = |mins: i64| Some(now + SignedDuration::from_mins(mins));
        assert!(due(&var(at(5), true), now));
        assert!(due(&var(at(3), true), now));
        assert!(due(&var(at(-60), true), now), "expired: due too");
        assert!(!due(&var(at(6), true), now));
        assert!(!due(&var(None, true), now));
        // A plain token is never refreshed, however close its expiry.
        assert!(!due(&var(at(1), false), now));
        // Nor is another value that kept a credential not issued with it
        // (an older bscred's `set`).
        let mut pat = var(at(1), true);
        pat.value = Secret::new("ghp_other".to_string()).expect("value");
        assert!(!due(&pat, now));
    }

    #[test]
    fn the_refresh_token_never_shows_in_debug_output() {
        let text = format!("{:?}", var(None, true));
        assert!(!text.contains("ghr_x") && !text.contains("ghu_x"), "{text}");
    }
}
