//! The GitHub API client for `verify` and `rotate`: one `GET /user` with the
//! token, read for who it belongs to and when it expires (README, "Token
//! expiry"). The token goes only into the Authorization header; no
//! message here ever holds it.

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::expiry;
use crate::secret::{Secret, VarName};
use crate::store::Document;
use crate::store::document::TokenFacts;

/// Overrides the API base (tests point it at a stand-in on 127.0.0.1).
pub const API_URL_VAR: &str = "BSCRED_GITHUB_API_URL";
/// Overrides the web base (device flow, token pages), as `API_URL_VAR`
/// does the API base; tests point both at a stand-in on 127.0.0.1.
pub const WEB_URL_VAR: &str = "BSCRED_GITHUB_URL";
const TIMEOUT: Duration = Duration::from_secs(5);

/// What GitHub said about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub login: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// `None` when GitHub sends no expiration header: the token never expires.
    pub expires_at: Option<Timestamp>,
    /// Classic tokens' scopes (`X-OAuth-Scopes`); `None` for fine-grained.
    pub scopes: Option<Vec<String>>,
}

impl TokenInfo {
    /// What the store records about `value` from this answer.
    pub fn facts(&self, value: &Secret, host: &str, now: Timestamp) -> TokenFacts {
        TokenFacts {
            host: host.to_string(),
            login: self.login.clone(),
            token_type: crate::token::kind(value.expose()).to_string(),
            scopes: self.scopes.clone(),
            verified_at: now,
            never_expires: self.expires_at.is_none(),
        }
    }

    /// One line saying whose token `name` holds and when it expires.
    pub fn describe(&self, name: &VarName, now: Timestamp, tz: &TimeZone) -> String {
        let expiry = match self.expires_at {
            Some(at) => format!("expires {}", expiry::describe(Some(at), now, tz)),
            None => "never expires".to_string(),
        };
        let scopes = self
            .scopes
            .as_ref()
            .map(|s| {
                format!(
                    "; scopes: {}",
                    if s.is_empty() {
                        "none".to_string()
                    } else {
                        s.join(", ")
                    }
                )
            })
            .unwrap_or_default();
        format!("{name} belongs to {} and {expiry}{scopes}", self.login)
    }

    /// The warning when the token belongs to someone other than the
    /// profile's GITHUB_USERNAME, if it does.
    pub fn login_mismatch(&self, doc: &Document, name: &VarName) -> Option<String> {
        let username_var: VarName = "GITHUB_USERNAME".parse().ok()?;
        let username = doc.variables.get(&username_var)?;
        (!username.value.expose().eq_ignore_ascii_case(&self.login)).then(|| {
            format!(
                "{name} belongs to {}, but GITHUB_USERNAME is {}; fix one with `bscred set GITHUB_USERNAME {}`",
                self.login,
                username.value.expose(),
                self.login
            )
        })
    }
}

/// The host a profile's tokens belong to: the one it records (GitHub
/// Enterprise Server), else github.com.
pub fn host_of(configured: &Option<String>) -> String {
    configured
        .clone()
        .unwrap_or_else(|| "github.com".to_string())
}

/// Why a token could not be verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("GitHub rejected the token (revoked, expired or mistyped)")]
    Rejected,
    #[error("GitHub's rate limit is exhausted{}", reset.map(|r| format!("; it resets at {}", r.strftime("%Y-%m-%d %H:%M:%S UTC"))).unwrap_or_default())]
    RateLimited { reset: Option<Timestamp> },
    #[error("GitHub refused the request (HTTP {status}){}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused { status: u16, detail: Option<String> },
    #[error("GitHub could not be reached at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("GitHub's answer could not be read: {0}")]
    BadAnswer(String),
    #[error("refusing to send the token over plain http to {0}")]
    Insecure(String),
}

/// The API base for a host: `https://api.github.com` for github.com,
/// `https://HOST/api/v3` for GitHub Enterprise Server, unless `overridden`
/// (`BSCRED_GITHUB_API_URL`, which the context reads) says otherwise.
pub fn api_base(host: &str, overridden: Option<&str>) -> String {
    if let Some(url) = overridden.filter(|u| !u.is_empty()) {
        return url.trim_end_matches('/').to_string();
    }
    if host == "github.com" {
        "https://api.github.com".to_string()
    } else {
        format!("https://{host}/api/v3")
    }
}

/// The web base for a host: `https://HOST` (github.com or a GitHub
/// Enterprise Server), unless `overridden` (`BSCRED_GITHUB_URL`, which the
/// context reads) says otherwise.
pub fn web_base(host: &str, overridden: Option<&str>) -> String {
    match overridden.filter(|u| !u.is_empty()) {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!("https://{host}"),
    }
}

/// Whether a token may be sent to `url`. Refused: anything but `https://`,
/// except plain `http://` to this machine (the tests' stand-in), where the
/// token never crosses a network. The URL is parsed, not matched as text:
/// `http://127.0.0.1:1@evil:8765` names the host `evil`. User info in the
/// authority is refused outright; GitHub's API never takes it.
pub fn is_secure(url: &str) -> bool {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return false;
    };
    if uri.authority().is_none_or(|a| a.as_str().contains('@')) {
        return false;
    }
    match uri.scheme_str() {
        Some("https") => true,
        Some("http") => matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]")),
        _ => false,
    }
}

/// The client for GitHub's API: a deadline on the whole call, answers of
/// every status read rather than turned into errors, and no redirects (one
/// would drop the Authorization header and take an unauthenticated answer
/// as the token's, or resend a revoked token's body elsewhere).
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("bscred/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// A call to `url` that got no answer.
pub(crate) fn unreachable(url: &str, error: ureq::Error) -> ApiError {
    ApiError::Unreachable {
        url: url.to_string(),
        reason: match error {
            ureq::Error::Timeout(_) => format!("no answer within {} seconds", TIMEOUT.as_secs()),
            other => other.to_string(),
        },
    }
}

/// Asks GitHub who `token` belongs to and when it expires.
pub fn verify(base: &str, token: &str, now: Timestamp) -> Result<TokenInfo, ApiError> {
    let url = format!("{base}/user");
    if !is_secure(&url) {
        return Err(ApiError::Insecure(base.to_string()));
    }
    // Whatever GitHub (or an impostor) sends back goes into messages only
    // with the token taken out and control characters dropped.
    let scrub = |text: &str| -> String {
        text.replace(token, "[token]")
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect()
    };
    let mut response = agent()
        .get(&url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .call()
        .map_err(|e| unreachable(&url, e))?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let status = response.status().as_u16();
    let rate_limited =
        header("x-ratelimit-remaining").as_deref() == Some("0") || header("retry-after").is_some();
    match status {
        200 => {}
        401 => return Err(ApiError::Rejected),
        403 | 429 if rate_limited => {
            let reset = header("x-ratelimit-reset")
                .and_then(|s| s.parse::<i64>().ok())
                .and_then(|s| Timestamp::from_second(s).ok())
                .or_else(|| {
                    header("retry-after")
                        .and_then(|s| s.parse::<i64>().ok())
                        .and_then(|secs| {
                            now.checked_add(jiff::SignedDuration::from_secs(secs)).ok()
                        })
                });
            return Err(ApiError::RateLimited { reset });
        }
        _ => {
            let detail = response
                .body_mut()
                .read_to_string()
                .ok()
                .and_then(|body| serde_json::from_str::<Message>(&body).ok())
                .map(|m| scrub(&m.message));
            return Err(ApiError::Refused { status, detail });
        }
    }
    let expires_at = match header("github-authentication-token-expiration") {
        Some(text) => Some(parse_expiration(&text).ok_or_else(|| {
            ApiError::BadAnswer(format!(
                "the expiration header {:?} is not a date",
                scrub(&text)
            ))
        })?),
        None => None,
    };
    let scopes = header("x-oauth-scopes").map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    });
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| ApiError::BadAnswer(e.to_string()))?;
    let user: User = serde_json::from_str(&body).map_err(|e| ApiError::BadAnswer(e.to_string()))?;
    Ok(TokenInfo {
        login: user.login,
        name: user.name.filter(|n| !n.is_empty()),
        email: user.email.filter(|e| !e.is_empty()),
        expires_at,
        scopes,
    })
}

/// The kinds of token GitHub's revocation endpoint takes: classic and
/// fine-grained personal access tokens, OAuth and GitHub App user tokens,
/// refresh tokens.
const REVOCABLE: [&str; 5] = ["ghp_", "github_pat_", "gho_", "ghu_", "ghr_"];

/// Whether `token` is of a kind `revoke` can ask GitHub to revoke.
pub fn is_revocable(token: &str) -> bool {
    REVOCABLE.iter().any(|prefix| token.starts_with(prefix))
}

/// Asks GitHub to revoke `tokens` (`POST /credentials/revoke`, which takes
/// up to 1,000 in one request: one request spends one of the endpoint's
/// rate-limited calls). The request carries no `Authorization` header: the
/// endpoint takes none, and the tokens it revokes are the ones in the body.
/// GitHub answers 202 when it has accepted the request.
pub fn revoke(base: &str, tokens: &[&str]) -> Result<(), ApiError> {
    let url = format!("{base}/credentials/revoke");
    if !is_secure(&url) {
        return Err(ApiError::Insecure(base.to_string()));
    }
    // Serialised straight from the borrowed token into a buffer that is
    // wiped: no other copy of it is made.
    #[derive(serde::Serialize)]
    struct Body<'a> {
        credentials: &'a [&'a str],
    }
    let body = zeroize::Zeroizing::new(
        serde_json::to_vec(&Body {
            credentials: tokens,
        })
        .map_err(|e| ApiError::BadAnswer(e.to_string()))?,
    );
    let mut response = agent()
        .post(&url)
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .header("Content-Type", "application/json")
        .send(body.as_slice())
        .map_err(|e| unreachable(&url, e))?;
    let status = response.status().as_u16();
    match status {
        200..=299 => Ok(()),
        429 => Err(ApiError::RateLimited { reset: None }),
        _ => {
            let detail = response
                .body_mut()
                .read_to_string()
                .ok()
                .and_then(|body| serde_json::from_str::<Message>(&body).ok())
                .map(|m| {
                    tokens
                        .iter()
                        .fold(m.message, |text, token| text.replace(token, "[token]"))
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(200)
                        .collect()
                });
            Err(ApiError::Refused { status, detail })
        }
    }
}

#[derive(Deserialize)]
struct User {
    login: String,
    name: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    message: String,
}

/// Parses `GitHub-Authentication-Token-Expiration`, which comes as
/// `2026-01-31 23:00:00 UTC` or `2026-01-31 23:00:00 +0200`.
pub fn parse_expiration(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Some(local) = text.strip_suffix(" UTC") {
        let datetime: jiff::civil::DateTime = local.trim().parse().ok()?;
        return TimeZone::UTC.to_timestamp(datetime).ok();
    }
    Timestamp::strptime("%Y-%m-%d %H:%M:%S %z", text).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_go_only_to_https_or_this_machine() {
        for good in [
            "https://api.github.com/user",
            "https://ghe.example.com/api/v3/user",
            "http://127.0.0.1:8765/user",
            "http://localhost/user",
            "http://[::1]:9/user",
        ] {
            assert!(is_secure(good), "{good}");
        }
        for bad in [
            "http://127.0.0.1:1@evil:8765/user",
            "http://localhost@evil/user",
            "https://user:pass@api.github.com/user",
            "http://127.0.0.1.evil.com/user",
            "http://localhost.evil/user",
            "http://evil/127.0.0.1",
            "ftp://127.0.0.1/user",
            "127.0.0.1:8765/user",
            "http:///user",
            "",
        ] {
            assert!(!is_secure(bad), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn both_expiration_forms_parse() {
        assert_eq!(
            parse_expiration("2026-01-31 23:00:00 UTC"),
            "2026-01-31T23:00:00Z".parse().ok()
        );
        assert_eq!(
            parse_expiration("2026-01-31 23:00:00 +0200"),
            "2026-01-31T21:00:00Z".parse().ok()
        );
        assert_eq!(
            parse_expiration("2026-01-31 23:00:00 -0530"),
            "2026-02-01T04:30:00Z".parse().ok()
        );
        assert_eq!(parse_expiration("next tuesday"), None);
    }

    #[test]
    fn plain_http_goes_only_to_this_machine() {
        let now = Timestamp::UNIX_EPOCH;
        for base in [
            "http://example.com",
            "http://127.0.0.1.evil.example",
            "http://[::2]:80",
        ] {
            assert!(
                matches!(verify(base, "t", now), Err(ApiError::Insecure(_))),
                "{base}"
            );
        }
    }

    #[test]
    fn enterprise_hosts_get_the_v3_path() {
        assert_eq!(api_base("github.com", None), "https://api.github.com");
        assert_eq!(
            api_base("ghe.example.com", None),
            "https://ghe.example.com/api/v3"
        );
        assert_eq!(
            api_base("github.com", Some("http://127.0.0.1:9/")),
            "http://127.0.0.1:9"
        );
        assert_eq!(api_base("github.com", Some("")), "https://api.github.com");
    }
}
