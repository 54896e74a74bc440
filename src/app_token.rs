//! Installation access tokens for a GitHub App stored in a profile (`github
//! app-token`, `exec --github-app-token`): the app's variables as `import
//! --github-app` names them, the installation to act for, and GitHub's
//! `POST /app/installations/{id}/access_tokens`, each call authorised by a
//! JWT from `github_jwt.rs`. The JWT and the token it buys go only into
//! headers and the answer; no message here ever holds either, nor the key.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::Deserialize;

use crate::github::{self, ApiError, Method, Repo};
use crate::github_jwt::{AppKey, Claims, KeyError};
use crate::secret::{Secret, VarName};
use crate::store::Document;

/// A stored GitHub App, ready to sign.
#[derive(Debug)]
pub struct App {
    /// The JWT's `iss`: the client ID, else the app ID.
    issuer: String,
    key: AppKey,
    /// The prefix its variables were found under (for hints).
    prefix: String,
}

impl App {
    /// The app whose variables in `doc` carry `prefix` (`GITHUB_APP`:
    /// `GITHUB_APP_PRIVATE_KEY`, `GITHUB_APP_CLIENT_ID`, `GITHUB_APP_ID`).
    /// GitHub takes the client ID or the app ID as the issuer; the client
    /// ID is what it recommends, so the app ID serves only without one.
    /// `place` names where `doc` came from ("profile 'default'").
    pub fn from_document(doc: &Document, prefix: &str, place: &str) -> Result<App, AppTokenError> {
        let name = |key: &str| crate::github_app::variable_name(prefix, key);
        let value = |name: &str| {
            name.parse::<VarName>()
                .ok()
                .and_then(|n| doc.variables.get(&n))
                .map(|var| &var.value)
                .filter(|v| !v.expose().trim().is_empty())
        };
        let (key_name, client_name, id_name) =
            (name("privateKey"), name("clientId"), name("appId"));
        let key = value(&key_name);
        let issuer = value(&client_name).or_else(|| value(&id_name));
        let mut missing = Vec::new();
        if key.is_none() {
            missing.push(key_name.clone());
        }
        if issuer.is_none() {
            missing.push(format!("{client_name} (or {id_name})"));
        }
        let (Some(key), Some(issuer)) = (key, issuer) else {
            return Err(AppTokenError::Missing {
                names: missing,
                place: place.to_string(),
                prefix: prefix.to_string(),
            });
        };
        let key = AppKey::from_pem(key.expose()).map_err(|reason| AppTokenError::BadKey {
            name: key_name,
            reason,
        })?;
        Ok(App {
            issuer: issuer.expose().trim().to_string(),
            key,
            prefix: prefix.to_string(),
        })
    }
}

/// One `NAME=LEVEL` of `--permissions` (`contents=read`): a permission
/// the token asks for, at most what the installation grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub name: String,
    pub level: String,
}

impl FromStr for Permission {
    type Err = String;

    fn from_str(text: &str) -> Result<Permission, String> {
        let bad = || {
            format!(
                "{text:?} is not NAME=LEVEL: e.g. contents=read or pull_requests=write (levels: read, write, admin)"
            )
        };
        let (name, level) = text.split_once('=').ok_or_else(bad)?;
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid_name || !matches!(level, "read" | "write" | "admin") {
            return Err(bad());
        }
        Ok(Permission {
            name: name.to_string(),
            level: level.to_string(),
        })
    }
}

/// Which installation the token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// This installation ID.
    Installation(u64),
    /// The installation on this repository; the token is limited to it.
    Repo(Repo),
    /// The app's only installation.
    Only,
}

impl Target {
    /// The installation `--installation` or `--repo` names, else the only one.
    pub fn from_flags(installation: Option<u64>, repo: Option<Repo>) -> Target {
        match (installation, repo) {
            (Some(id), _) => Target::Installation(id),
            (None, Some(repo)) => Target::Repo(repo),
            (None, None) => Target::Only,
        }
    }
}

/// What a token is asked for.
#[derive(Debug, Clone)]
pub struct Ask {
    pub target: Target,
    /// Each permission once (`permissions` refuses a name given twice).
    pub permissions: BTreeMap<String, String>,
}

/// The permissions as GitHub takes them, refusing a name given twice with
/// different levels (which one was meant cannot be told).
pub fn permissions(list: &[Permission]) -> crate::error::Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for p in list {
        if let Some(before) = map.insert(p.name.clone(), p.level.clone())
            && before != p.level
        {
            return Err(crate::error::Error::usage(
                format!(
                    "--permissions names {} twice ({before} and {})",
                    p.name, p.level
                ),
                "give each permission once",
            ));
        }
    }
    Ok(map)
}

/// An installation as GitHub lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Installation {
    pub id: u64,
    pub account: Option<Account>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    pub login: String,
}

impl fmt::Display for Installation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.account {
            Some(account) => write!(f, "{} (--installation {})", account.login, self.id),
            None => write!(f, "--installation {}", self.id),
        }
    }
}

/// The token GitHub minted: good for an hour, for one installation.
#[derive(Debug, Deserialize)]
pub struct InstallationToken {
    pub token: Secret,
    pub expires_at: Timestamp,
    /// What the token may do (GitHub always says; `null` or nothing is
    /// taken as "not said").
    #[serde(default, deserialize_with = "null_as_empty")]
    pub permissions: BTreeMap<String, String>,
    #[serde(skip)]
    pub installation_id: u64,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::deserialize(deserializer)?.unwrap_or_default())
}

/// Why no installation token could be had.
#[derive(Debug, thiserror::Error)]
pub enum AppTokenError {
    /// The app's variables are not in the profile.
    #[error("{place} has no {}: the GitHub App's credentials are not stored there", names.join(" and no "))]
    Missing {
        names: Vec<String>,
        place: String,
        prefix: String,
    },
    /// The stored private key cannot sign.
    #[error("{name} cannot sign for the GitHub App: {reason}")]
    BadKey { name: String, reason: KeyError },
    /// GitHub refused the JWT.
    #[error("GitHub did not accept the app's signed request (HTTP 401){}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Unauthorized {
        detail: Option<String>,
        prefix: String,
    },
    /// The app is not installed where the token was asked for.
    #[error("the GitHub App is not installed on {on} (HTTP 404)")]
    NotInstalled { on: String },
    /// The app is installed nowhere.
    #[error("the GitHub App is not installed on any account or repository")]
    NoInstallation,
    /// The app is installed in several places and none was named.
    #[error("the GitHub App is installed in {} places: {}", installations.len(), list(installations))]
    Several { installations: Vec<Installation> },
    /// Any other refusal, or no answer at all.
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// At most ten installations, for one line.
fn list(installations: &[Installation]) -> String {
    let mut shown: Vec<String> = installations
        .iter()
        .take(10)
        .map(|i| i.to_string())
        .collect();
    if installations.len() > 10 {
        shown.push(format!("and {} more", installations.len() - 10));
    }
    shown.join(", ")
}

impl AppTokenError {
    /// The line that says what to do about it.
    pub fn hint(&self) -> String {
        let import = |prefix: &str| {
            if prefix == crate::github_app::DEFAULT_PREFIX {
                "bscred import --github-app FILE".to_string()
            } else {
                format!("bscred import --github-app FILE --app-prefix {prefix}")
            }
        };
        match self {
            AppTokenError::Missing { prefix, .. } => format!(
                "store the app's credentials with `{}` (the github-app-*-credentials.yaml `backstage-cli create-github-app` wrote), or name the app's prefix with --app-prefix",
                import(prefix)
            ),
            AppTokenError::BadKey { name, .. } => format!(
                "store the .pem file from the app's settings page on GitHub (Private keys): `bscred set {name} --stdin < app.private-key.pem`"
            ),
            AppTokenError::Unauthorized { prefix, .. } => format!(
                "the private key or the client ID is wrong, the key was deleted on GitHub, or the app was deleted (or this machine's clock is off): generate a new private key on the app's settings page and store it with `bscred set {} --stdin < key.pem`",
                crate::github_app::variable_name(prefix, "privateKey")
            ),
            AppTokenError::NotInstalled { .. } => "install the app there (the app's public page on GitHub, Install App), or name another installation with --installation ID or --repo OWNER/REPO".to_string(),
            AppTokenError::NoInstallation => "install the app on an account or repository first (the app's public page on GitHub, Install App)".to_string(),
            AppTokenError::Several { .. } => "name one with --installation ID, or with --repo OWNER/REPO for a repository it is installed on".to_string(),
            AppTokenError::Api(ApiError::Unreachable { .. } | ApiError::BadAnswer(_)) => format!(
                "check the network (and {} if you set it)",
                github::API_URL_VAR
            ),
            AppTokenError::Api(ApiError::Insecure(_)) => github::insecure_hint(github::API_URL_VAR),
            AppTokenError::Api(ApiError::RateLimited { .. }) => "try again after the reset time".to_string(),
            AppTokenError::Api(ApiError::Rejected | ApiError::Refused { .. }) => "ask only for permissions and repositories the installation grants (--permissions, --repo); the app's settings page on GitHub lists them".to_string(),
        }
    }
}

/// Asks GitHub for an installation token for `app` (the API at `api`),
/// signing with the clock's `now`.
pub fn mint(
    api: &str,
    app: &App,
    now: Timestamp,
    ask: &Ask,
) -> Result<InstallationToken, AppTokenError> {
    let jwt = crate::github_jwt::sign(&app.key, &Claims::new(&app.issuer, now));
    let call = Call {
        jwt: &jwt,
        prefix: &app.prefix,
        now,
    };
    let installation_id = match &ask.target {
        Target::Installation(id) => *id,
        Target::Repo(repo) => {
            let url = format!("{api}{}/installation", repo.api_path());
            let answer = call.expect(&url, Method::Get, 200, || repo.to_string())?;
            answer.json::<Installation>()?.id
        }
        Target::Only => {
            // One page of 100: more installations than that are "several"
            // whatever the next pages hold.
            let url = format!("{api}/app/installations?per_page=100");
            let answer = call.expect(&url, Method::Get, 200, || "any account".to_string())?;
            let mut all = answer.json::<Vec<Installation>>()?;
            match all.len() {
                0 => return Err(AppTokenError::NoInstallation),
                1 => all.remove(0).id,
                _ => return Err(AppTokenError::Several { installations: all }),
            }
        }
    };
    let mut body = serde_json::Map::new();
    if let Target::Repo(repo) = &ask.target {
        // Only this repository: the token can do nothing to the
        // installation's other repositories.
        body.insert("repositories".into(), vec![repo.name.clone()].into());
    }
    if !ask.permissions.is_empty() {
        body.insert(
            "permissions".into(),
            serde_json::to_value(&ask.permissions)
                .map_err(|e| ApiError::BadAnswer(e.to_string()))?,
        );
    }
    let body = (!body.is_empty()).then(|| serde_json::Value::Object(body).to_string());
    let url = format!("{api}/app/installations/{installation_id}/access_tokens");
    let answer = call.expect(
        &url,
        Method::Post(body.as_deref().map(str::as_bytes)),
        201,
        || format!("installation {installation_id}"),
    )?;
    let mut token = answer.json::<InstallationToken>()?;
    token.installation_id = installation_id;
    Ok(token)
}

/// What every call shares: the JWT it is authorised by.
struct Call<'a> {
    jwt: &'a str,
    prefix: &'a str,
    now: Timestamp,
}

impl Call<'_> {
    /// `GET url`, or `POST url` with its body if any (none: all the
    /// installation's permissions and repositories), answered with `want`
    /// (its body is wiped when dropped: the token's answer holds the token).
    /// `on` names what a 404 says the app is not installed on.
    fn expect(
        &self,
        url: &str,
        method: Method<'_>,
        want: u16,
        on: impl FnOnce() -> String,
    ) -> Result<github::Answer, AppTokenError> {
        let answer = github::send(method, url, Some(self.jwt))?;
        if answer.status == want {
            return Ok(answer);
        }
        if let Some(limited) = answer.rate_limit(Some(self.now)) {
            return Err(limited.into());
        }
        let detail = answer.message(&[self.jwt]);
        Err(match answer.status {
            401 => AppTokenError::Unauthorized {
                detail,
                prefix: self.prefix.to_string(),
            },
            404 => AppTokenError::NotInstalled { on: on() },
            status => ApiError::Refused { status, detail }.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_name_equals_level_and_each_name_once() {
        let p = |s: &str| s.parse::<Permission>();
        assert_eq!(
            p("pull_requests=write"),
            Ok(Permission {
                name: "pull_requests".into(),
                level: "write".into()
            })
        );
        for bad in [
            "contents",
            "contents=",
            "contents=all",
            "=read",
            "Contents=read",
            "a b=read",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
        let list = [
            p("contents=read").unwrap(),
            p("issues=write").unwrap(),
            p("contents=read").unwrap(),
        ];
        let map = permissions(&list).expect("the same level twice is one");
        assert_eq!(map.len(), 2);
        let clash = [p("contents=read").unwrap(), p("contents=write").unwrap()];
        assert!(permissions(&clash).is_err());
    }

    #[test]
    fn several_installations_are_listed_on_one_line() {
        let error = AppTokenError::Several {
            installations: vec![
                Installation {
                    id: 1,
                    account: Some(Account {
                        login: "acme".into(),
                    }),
                },
                Installation {
                    id: 2,
                    account: None,
                },
            ],
        };
        assert_eq!(
            error.to_string(),
            "the GitHub App is installed in 2 places: acme (--installation 1), --installation 2"
        );
    }
}
