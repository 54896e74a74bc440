//! GitHub's secret stores, written through the REST API: a repository's
//! Actions secrets, an environment's, a repository's Codespaces and
//! Dependabot secrets, and the user's own Codespaces secrets. Each store
//! hands out a public key; a value goes to GitHub only sealed to it
//! (`sealed_box.rs`), never in plaintext, and the token only in the
//! Authorization header.
//!
//! GitHub's documentation: "REST API endpoints for GitHub Actions secrets",
//! "… for Codespaces repository secrets", "… for Codespaces user secrets",
//! "… for Dependabot secrets" (API version 2022-11-28).

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::github::{self, Answer, ApiError, Method};
use crate::sealed_box;
use crate::secret::Secret;

/// `OWNER/REPO`; here too because `push github` names it through this
/// module.
pub use crate::github::Repo;

/// Which of GitHub's secret stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The repository's Actions secrets.
    Actions,
    /// An Actions environment's secrets.
    Environment(String),
    /// The repository's Codespaces secrets.
    Codespaces,
    /// The user's own Codespaces secrets, made available to the repository.
    CodespacesUser,
    /// The repository's Dependabot secrets.
    Dependabot,
}

impl Scope {
    /// The path of the store (the public key and each secret are under it).
    fn store_path(&self, repo: &Repo) -> String {
        let r = repo.api_path();
        match self {
            Scope::Actions => format!("{r}/actions/secrets"),
            Scope::Environment(env) => {
                format!("{r}/environments/{}/secrets", github::percent_encode(env))
            }
            Scope::Codespaces => format!("{r}/codespaces/secrets"),
            Scope::CodespacesUser => "/user/codespaces/secrets".to_string(),
            Scope::Dependabot => format!("{r}/dependabot/secrets"),
        }
    }

    /// The fine-grained token permission writing to this store needs, as
    /// GitHub's token page names it.
    pub fn permission(&self) -> &'static str {
        match self {
            Scope::Actions => "the repository permission \"Secrets\" (read and write)",
            Scope::Environment(_) => "the repository permission \"Environments\" (read and write)",
            Scope::Codespaces => {
                "the repository permission \"Codespaces secrets\" (read and write)"
            }
            Scope::CodespacesUser => {
                "the account permission \"Codespaces user secrets\" (read and write)"
            }
            Scope::Dependabot => {
                "the repository permission \"Dependabot secrets\" (read and write)"
            }
        }
    }

    /// Where a secret went, for the report: `actions, acme/backstage`.
    pub fn describe(&self, repo: &Repo) -> String {
        match self {
            Scope::Actions => format!("actions, {repo}"),
            Scope::Environment(env) => format!("actions environment {env}, {repo}"),
            Scope::Codespaces => format!("codespaces, {repo}"),
            Scope::CodespacesUser => format!("your codespaces, available to {repo}"),
            Scope::Dependabot => format!("dependabot, {repo}"),
        }
    }
}

/// Why GitHub would refuse `name` as a secret's name, if it would: letters,
/// digits and underscores, not starting with a digit, not starting with
/// `GITHUB_` (in any case; GitHub keeps that prefix for itself).
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Some("may hold only letters, digits and underscores")
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        Some("may not start with a digit")
    } else if name.to_ascii_uppercase().starts_with("GITHUB_") {
        Some("may not start with GITHUB_ (GitHub keeps that prefix)")
    } else {
        None
    }
}

/// Whether a `PUT` made a new secret or replaced one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
}

/// What went wrong with one request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// 401 or 403: the token is not good for this store.
    #[error("GitHub refused the token (HTTP {status}){}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Denied {
        status: u16,
        message: Option<String>,
    },
    /// 404: GitHub answers this for what exists but the token cannot see.
    #[error("repository or environment not found, or the token cannot see it")]
    NotFound,
    /// 422: GitHub understood the request and refused it.
    #[error("GitHub refused {name} (HTTP 422){}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Unprocessable {
        name: String,
        message: Option<String>,
    },
    /// Unreachable, rate limited, refused otherwise, or an answer that
    /// cannot be read.
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// A push that stopped: where, why, and which secrets were already
/// written before it did (GitHub keeps those).
#[derive(Debug, thiserror::Error)]
#[error("cannot push to {place}: {failure}; {}", if pushed.is_empty() { "nothing was pushed".to_string() } else { format!("already pushed: {}", pushed.join(", ")) })]
pub struct PushError {
    /// `Scope::describe`.
    pub place: String,
    pub failure: Failure,
    pub pushed: Vec<String>,
    /// `Scope::permission`.
    pub permission: &'static str,
}

impl PushError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match &self.failure {
            Failure::Denied { status: 401, .. } => format!(
                "`bscred verify` checks the token (revoked or expired?); pushing here needs {}; `bscred rotate` makes a new one, or --token-var names a variable holding another",
                self.permission
            ),
            Failure::Denied { .. } => format!(
                "the token needs {}; `bscred rotate` makes a new one, or --token-var names a variable holding another",
                self.permission
            ),
            Failure::NotFound => format!(
                "check --repo (and --environment); a fine-grained token must include the repository and {}",
                self.permission
            ),
            Failure::Unprocessable { .. } => {
                "GitHub takes names of letters, digits and underscores and values up to 48 KB"
                    .to_string()
            }
            Failure::Api(ApiError::Unreachable { .. }) => format!(
                "check the network (and {} if you set it), then run the command again",
                github::API_URL_VAR
            ),
            Failure::Api(ApiError::Insecure(_)) => github::insecure_hint(github::API_URL_VAR),
            Failure::Api(ApiError::RateLimited { .. }) => {
                "try again after the reset time".to_string()
            }
            Failure::Api(_) => "check that the token is a GitHub token for this host".to_string(),
        }
    }
}

/// One store, ready to take secrets: its public key fetched once.
#[derive(Debug)]
pub struct Session<'a> {
    base: String,
    token: &'a Secret,
    repo: &'a Repo,
    scope: &'a Scope,
    key_id: String,
    key: sealed_box::PublicKey,
    /// The repository's ID, for the user's Codespaces secrets.
    repo_id: Option<u64>,
}

impl<'a> Session<'a> {
    /// Fetches the store's public key (and, for the user's Codespaces
    /// secrets, the repository's ID). `base` is the API base.
    pub fn open(
        base: &str,
        token: &'a Secret,
        repo: &'a Repo,
        scope: &'a Scope,
    ) -> Result<Session<'a>, Failure> {
        let base = base.trim_end_matches('/').to_string();
        if !github::is_secure(&base) {
            return Err(ApiError::Insecure(base).into());
        }
        let answer = get(
            &base,
            token,
            &format!("{}/public-key", scope.store_path(repo)),
        )?;
        let key: Key = ok_json(&answer, token, "")?;
        let key_id = match key.key_id {
            serde_json::Value::String(id) => id,
            serde_json::Value::Number(id) => id.to_string(),
            _ => return Err(bad_answer("the public key's key_id is not a string")),
        };
        let public_key = sealed_box::PublicKey::from_base64(&key.key)
            .map_err(|e| Failure::Api(ApiError::BadAnswer(e)))?;
        let repo_id = if *scope == Scope::CodespacesUser {
            let answer = get(&base, token, &repo.api_path())?;
            let found: Repository = ok_json(&answer, token, "")?;
            Some(found.id)
        } else {
            None
        };
        Ok(Session {
            base,
            token,
            repo,
            scope,
            key_id,
            key: public_key,
            repo_id,
        })
    }

    /// Seals `value` to the store's key and writes it as the secret `name`
    /// (already checked with `name_problem`).
    pub fn put(&self, name: &str, value: &Secret) -> Result<Outcome, Failure> {
        let path = format!("{}/{name}", self.scope.store_path(self.repo));
        let selected_repository_ids = match self.repo_id {
            Some(id) => Some(self.selection_with(name, id)?),
            None => None,
        };
        // The value is sealed straight from the stored secret: no other
        // copy of its plaintext is made.
        let sealed = self.key.seal(value.expose().as_bytes());
        let body = serde_json::to_vec(&PutBody {
            encrypted_value: base64::engine::general_purpose::STANDARD.encode(sealed),
            key_id: &self.key_id,
            selected_repository_ids,
        })
        .map_err(|e| bad_answer(&e.to_string()))?;
        let url = format!("{}{path}", self.base);
        let answer = github::send(Method::Put(&body), &url, Some(self.token.expose()))?;
        match answer.status {
            201 => Ok(Outcome::Created),
            200 | 204 => Ok(Outcome::Updated),
            _ => Err(failure(&answer, self.token, name)),
        }
    }

    /// The repositories a user secret is available to, with `id` added:
    /// a `PUT` replaces the selection, and the secret may already serve
    /// other repositories that must keep it.
    fn selection_with(&self, name: &str, id: u64) -> Result<Vec<u64>, Failure> {
        let answer = get(
            &self.base,
            self.token,
            &format!("{}/{name}/repositories", self.scope.store_path(self.repo)),
        )?;
        if answer.status == 404 {
            // No such secret yet: it starts with this repository alone.
            return Ok(vec![id]);
        }
        let selected: Selected = ok_json(&answer, self.token, name)?;
        if selected.total_count > selected.repositories.len() {
            // Writing back a partial list would drop the rest.
            return Err(bad_answer(&format!(
                "GitHub listed {} of the {} repositories {name} is available to",
                selected.repositories.len(),
                selected.total_count
            )));
        }
        let mut ids: Vec<u64> = selected.repositories.iter().map(|r| r.id).collect();
        if !ids.contains(&id) {
            ids.push(id);
        }
        Ok(ids)
    }
}

#[derive(Deserialize)]
struct Key {
    key_id: serde_json::Value,
    key: String,
}

#[derive(Deserialize)]
struct Repository {
    id: u64,
}

#[derive(Deserialize)]
struct Selected {
    total_count: usize,
    repositories: Vec<Repository>,
}

#[derive(Serialize)]
struct PutBody<'a> {
    encrypted_value: String,
    key_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    selected_repository_ids: Option<Vec<u64>>,
}

fn bad_answer(what: &str) -> Failure {
    Failure::Api(ApiError::BadAnswer(what.to_string()))
}

/// `GET {base}{path}` with the token.
fn get(base: &str, token: &Secret, path: &str) -> Result<Answer, Failure> {
    Ok(github::send(
        Method::Get,
        &format!("{base}{path}"),
        Some(token.expose()),
    )?)
}

/// The body of a 200 answer as `T`, or the failure the status means.
fn ok_json<T: serde::de::DeserializeOwned>(
    answer: &Answer,
    token: &Secret,
    name: &str,
) -> Result<T, Failure> {
    if answer.status != 200 {
        return Err(failure(answer, token, name));
    }
    Ok(answer.json()?)
}

/// What a status other than success means; GitHub's words come without
/// the token (an answer never holds it; one that did would not reach a
/// message through here).
fn failure(answer: &Answer, token: &Secret, name: &str) -> Failure {
    let message = || answer.message(&[token.expose()]);
    if let Some(limited) = answer.rate_limit(None) {
        return Failure::Api(limited);
    }
    match answer.status {
        401 | 403 => Failure::Denied {
            status: answer.status,
            message: message(),
        },
        404 => Failure::NotFound,
        422 => Failure::Unprocessable {
            name: name.to_string(),
            message: message(),
        },
        status => Failure::Api(ApiError::Refused {
            status,
            detail: message(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_follow_githubs_rules() {
        for good in ["BACKSTAGE_GITHUB_TOKEN", "a", "_X1", "MY_GITHUB", "GITHUB"] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "GITHUB_TOKEN",
            "github_x",
            "1ABC",
            "A-B",
            "A B",
            "A.B",
            "É",
        ] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn every_store_has_its_path() {
        let repo: Repo = "o/r".parse().unwrap();
        let cases = [
            (Scope::Actions, "/repos/o/r/actions/secrets"),
            (
                Scope::Environment("prod eu/1".into()),
                "/repos/o/r/environments/prod%20eu%2F1/secrets",
            ),
            (Scope::Codespaces, "/repos/o/r/codespaces/secrets"),
            (Scope::CodespacesUser, "/user/codespaces/secrets"),
            (Scope::Dependabot, "/repos/o/r/dependabot/secrets"),
        ];
        for (scope, path) in cases {
            assert_eq!(scope.store_path(&repo), path);
        }
    }
}
