//! Speaking to GitHub's REST API, and the token calls made with it.
//!
//! Shared by every GitHub call bscred makes (`verify`, `rotate`, `doctor
//! --revoke`, `github app-token`, `push github`, the device flow): the API
//! and web bases, which URLs a credential may go to (`is_secure`), the one
//! agent and request (`send`: the API's headers, a Bearer token in a wiped
//! buffer), reading an answer (`Answer`: rate limit and reset, GitHub's
//! `message` cleaned of control characters and secrets, JSON parsed
//! without quoting the body), `OWNER/REPO` as GitHub allows it (`Repo`),
//! percent-encoding, and the errors (`ApiError`).
//!
//! The token calls themselves: `verify` (`GET /user`: who a token belongs
//! to and when it expires, README "Token expiry") and `revoke` (`POST
//! /credentials/revoke`). A token goes only into the Authorization header
//! or the body GitHub takes it in; no message made here ever holds it.

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

/// The hint for `ApiError::Insecure`: `var` is the variable that set the
/// URL (`API_URL_VAR`, or `WEB_URL_VAR` for the device flow).
pub fn insecure_hint(var: &str) -> String {
    format!("use an https:// URL in {var} (plain http is allowed only to this machine)")
}

/// A request's method, and its JSON body if it has one (no `Debug`: a
/// body may hold tokens, as revoke's does).
#[derive(Clone, Copy)]
pub(crate) enum Method<'a> {
    Get,
    /// `None`: an empty body.
    Post(Option<&'a [u8]>),
    Put(&'a [u8]),
}

/// Sends one request to GitHub's REST API and reads its answer, of any
/// status. Every request carries GitHub's media type and the API version
/// bscred is written against; `bearer`, when given, goes into the
/// Authorization header, built in a buffer that is wiped and marked
/// sensitive (ureq's own copy of the header is not ours to wipe). A URL
/// `is_secure` refuses gets nothing sent.
pub(crate) fn send(
    method: Method<'_>,
    url: &str,
    bearer: Option<&str>,
) -> Result<Answer, ApiError> {
    if !is_secure(url) {
        return Err(ApiError::Insecure(url.to_string()));
    }
    let authorization = match bearer {
        Some(token) => {
            let text = zeroize::Zeroizing::new(format!("Bearer {token}"));
            let mut value =
                ureq::http::HeaderValue::from_str(&text).map_err(|_| ApiError::Unreachable {
                    url: url.to_string(),
                    reason: "the token holds characters an HTTP header cannot".to_string(),
                })?;
            value.set_sensitive(true);
            Some(value)
        }
        None => None,
    };
    let agent = agent();
    let sent = match method {
        Method::Get => headers(agent.get(url), authorization, false).call(),
        Method::Post(None) => headers(agent.post(url), authorization, false).send_empty(),
        Method::Post(Some(body)) => headers(agent.post(url), authorization, true).send(body),
        Method::Put(body) => headers(agent.put(url), authorization, true).send(body),
    };
    let mut response = sent.map_err(|e| unreachable(url, e))?;
    let (unread, body) = match response.body_mut().read_to_string() {
        Ok(text) => (None, text),
        Err(e) => (Some(e.to_string()), String::new()),
    };
    Ok(Answer {
        status: response.status().as_u16(),
        headers: std::mem::take(response.headers_mut()),
        body: zeroize::Zeroizing::new(body),
        unread,
    })
}

/// The headers every request to the API carries.
fn headers<B>(
    mut request: ureq::RequestBuilder<B>,
    authorization: Option<ureq::http::HeaderValue>,
    json: bool,
) -> ureq::RequestBuilder<B> {
    request = request
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28");
    if json {
        request = request.header("Content-Type", "application/json");
    }
    if let (Some(value), Some(headers)) = (authorization, request.headers_mut()) {
        headers.insert(ureq::http::header::AUTHORIZATION, value);
    }
    request
}

/// An answer of any status, read whole.
pub(crate) struct Answer {
    pub status: u16,
    headers: ureq::http::HeaderMap,
    /// Wiped when dropped: a token's answer holds the token.
    body: zeroize::Zeroizing<String>,
    /// Why the body could not be read, if it could not.
    unread: Option<String>,
}

/// Only the status: the body may hold a token.
impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Answer {
    /// A header's value, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error this answer is when GitHub's rate limit is spent: any
    /// 429, or a 403 that says so (`x-ratelimit-remaining: 0`, or a
    /// `retry-after` for the secondary limit). Its reset comes from
    /// `x-ratelimit-reset` (Unix seconds), else `retry-after` (seconds from
    /// `now`; without a clock, from the answer's `Date`).
    pub fn rate_limit(&self, now: Option<Timestamp>) -> Option<ApiError> {
        let retry_after = self
            .header("retry-after")
            .and_then(|s| s.trim().parse::<i64>().ok());
        let spent = self.header("x-ratelimit-remaining").map(str::trim) == Some("0")
            || self.header("retry-after").is_some();
        if !(self.status == 429 || (self.status == 403 && spent)) {
            return None;
        }
        let date = || {
            let text = self.header("date")?;
            jiff::fmt::rfc2822::DateTimeParser::new()
                .parse_timestamp(text)
                .ok()
        };
        let reset = self
            .header("x-ratelimit-reset")
            .and_then(|s| s.trim().parse::<i64>().ok())
            .and_then(|s| Timestamp::from_second(s).ok())
            .or_else(|| {
                let from = now.or_else(date)?;
                from.checked_add(jiff::SignedDuration::from_secs(retry_after?))
                    .ok()
            });
        Some(ApiError::RateLimited { reset })
    }

    /// GitHub's `message`, fit for a one-line error (`clean`, with
    /// `secrets` taken out).
    pub fn message(&self, secrets: &[&str]) -> Option<String> {
        #[derive(Deserialize)]
        struct Message {
            message: String,
        }
        serde_json::from_str::<Message>(&self.body)
            .ok()
            .map(|m| clean(&m.message, secrets))
    }

    /// The body as `T` (`parse_json`).
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        if let Some(reason) = &self.unread {
            return Err(ApiError::BadAnswer(format!(
                "it could not be read: {reason}"
            )));
        }
        parse_json(&self.body)
    }
}

/// GitHub's (or an impostor's) words, fit for a message: control
/// characters dropped (so it stays one line a terminal only shows), each
/// of `secrets` replaced by `[token]`, at most 200 characters.
pub fn clean(text: &str, secrets: &[&str]) -> String {
    // Control characters go first: one inside a secret would otherwise
    // keep it from being recognised, then vanish and join it up again.
    let mut text: String = text.chars().filter(|c| !c.is_control()).collect();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "[token]");
    }
    text.chars().take(200).collect()
}

/// An answer's JSON as `T`. The error names the kind of problem and where
/// (a line and column), never the text: serde's own message can quote the
/// answer, which may hold a token.
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    use serde_json::error::Category;
    serde_json::from_str(text).map_err(|e| {
        let kind = match e.classify() {
            Category::Io => "it could not be read",
            Category::Syntax | Category::Eof => "it is not JSON",
            Category::Data => "it is not the JSON GitHub sends",
        };
        ApiError::BadAnswer(format!("{kind} (line {}, column {})", e.line(), e.column()))
    })
}

/// Appends `text` percent-encoded to `out`: everything but RFC 3986's
/// unreserved characters, so it can be one path segment, query value or
/// form value and never change the URL's shape.
pub fn percent_encode_into(out: &mut String, text: &str) {
    use std::fmt::Write as _;
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

/// `text` percent-encoded (`percent_encode_into`).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    percent_encode_into(&mut out, text);
    out
}

/// A repository, `OWNER/REPO`, as GitHub allows the names: an owner
/// (user or organisation) is letters, digits and single hyphens, neither
/// starting nor ending with one, at most 39 characters; a repository
/// name is letters, digits, `-`, `_` and `.`, at most 100, and not `.` or
/// `..`. Nothing else can name one, and anything else could change the
/// path of the request it goes into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    pub owner: String,
    pub name: String,
}

impl Repo {
    /// The repository's path in the API: `/repos/OWNER/REPO`.
    pub fn api_path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }
}

impl std::str::FromStr for Repo {
    type Err = String;

    fn from_str(text: &str) -> Result<Repo, String> {
        let Some((owner, name)) = text.split_once('/') else {
            return Err(format!("{text:?} is not OWNER/REPO (e.g. acme/backstage)"));
        };
        let owner_ok = !owner.is_empty()
            && owner.len() <= 39
            && !owner.starts_with('-')
            && !owner.ends_with('-')
            && !owner.contains("--")
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !owner_ok {
            return Err(format!(
                "{owner:?} is not a GitHub owner: letters, digits and single hyphens, not at either end, at most 39 characters (give OWNER/REPO, e.g. acme/backstage)"
            ));
        }
        let name_ok = !name.is_empty()
            && name.len() <= 100
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !name_ok {
            return Err(format!(
                "{name:?} is not a GitHub repository name: letters, digits, -, _ and ., at most 100 characters, not . or .. (give OWNER/REPO, e.g. acme/backstage)"
            ));
        }
        Ok(Repo {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }
}

impl std::fmt::Display for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// Asks GitHub who `token` belongs to and when it expires.
pub fn verify(base: &str, token: &str, now: Timestamp) -> Result<TokenInfo, ApiError> {
    let answer = send(Method::Get, &format!("{base}/user"), Some(token))?;
    if let Some(limited) = answer.rate_limit(Some(now)) {
        return Err(limited);
    }
    match answer.status {
        200 => {}
        401 => return Err(ApiError::Rejected),
        status => {
            return Err(ApiError::Refused {
                status,
                detail: answer.message(&[token]),
            });
        }
    }
    let expires_at = match answer.header("github-authentication-token-expiration") {
        Some(text) => Some(parse_expiration(text).ok_or_else(|| {
            ApiError::BadAnswer(format!(
                "the expiration header {:?} is not a date",
                clean(text, &[token])
            ))
        })?),
        None => None,
    };
    let scopes = answer.header("x-oauth-scopes").map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    });
    let user: User = answer.json()?;
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
    let answer = send(
        Method::Post(Some(body.as_slice())),
        &format!("{base}/credentials/revoke"),
        None,
    )?;
    if let Some(limited) = answer.rate_limit(None) {
        return Err(limited);
    }
    match answer.status {
        200..=299 => Ok(()),
        status => Err(ApiError::Refused {
            status,
            detail: answer.message(tokens),
        }),
    }
}

#[derive(Deserialize)]
struct User {
    login: String,
    name: Option<String>,
    email: Option<String>,
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
    fn repositories_follow_githubs_naming_rules() {
        let repo: Repo = "acme-corp/back-stage.io_2".parse().expect("valid");
        assert_eq!(
            (repo.owner.as_str(), repo.name.as_str()),
            ("acme-corp", "back-stage.io_2")
        );
        assert_eq!(repo.to_string(), "acme-corp/back-stage.io_2");
        assert_eq!(repo.api_path(), "/repos/acme-corp/back-stage.io_2");
        let longest_owner = format!("{}/x", "o".repeat(39));
        let longest_name = format!("o/{}", "n".repeat(100));
        for good in [
            "a/b",
            "A1/.github",
            "o/..x",
            "o/_",
            &longest_owner,
            &longest_name,
        ] {
            assert!(good.parse::<Repo>().is_ok(), "{good}");
        }
        let long_owner = format!("{}/x", "o".repeat(40));
        let long_name = format!("o/{}", "n".repeat(101));
        for bad in [
            // Not OWNER/REPO at all.
            "acme",
            "acme/",
            "/x",
            "a/b/c",
            "",
            // Owners: single hyphens inside, no underscore or dot.
            "a_b/x",
            "a.b/x",
            "-acme/x",
            "acme-/x",
            "ac--me/x",
            &long_owner,
            // Names: nothing that changes a path or a query.
            "acme/.",
            "acme/..",
            "acme/x?y",
            "acme/%2e",
            "ac me/x",
            "acme/x y",
            "acme/é",
            &long_name,
        ] {
            assert!(bad.parse::<Repo>().is_err(), "{bad:?}");
        }
        let why = "a_b/x".parse::<Repo>().expect_err("underscore");
        assert!(why.contains("single hyphens"), "{why}");
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("aZ09-._~"), "aZ09-._~");
        assert_eq!(
            percent_encode("prod eu/1?&=#%"),
            "prod%20eu%2F1%3F%26%3D%23%25"
        );
        assert_eq!(percent_encode("é"), "%C3%A9");
        let mut out = String::from("x=");
        percent_encode_into(&mut out, "a b");
        assert_eq!(out, "x=a%20b");
    }

    #[test]
    fn githubs_words_lose_control_characters_and_secrets_and_stay_short() {
        let token = "ghp_0123456789abcdef";
        assert_eq!(
            clean(
                "bad\ncredentials\x1b[31m for ghp_0123456789abcdef",
                &[token]
            ),
            "badcredentials[31m for [token]"
        );
        // A control character inside the token does not smuggle it out.
        assert_eq!(clean("ghp_0123456789\x07abcdef", &[token]), "[token]");
        // An empty secret is no secret (it would match everywhere).
        assert_eq!(clean("fine", &[""]), "fine");
        assert_eq!(clean(&"x".repeat(500), &[]).len(), 200);
    }

    #[test]
    fn a_bad_answer_is_described_without_quoting_it() {
        #[derive(Debug, Deserialize)]
        struct Wants {
            #[allow(dead_code)]
            id: u64,
        }
        for body in [
            r#"{"id": "ghp_leaked0123456789"}"#,
            r#"{"ghp_leaked0123456789": 1}"#,
            "ghp_leaked0123456789",
        ] {
            let error = parse_json::<Wants>(body).expect_err(body).to_string();
            assert!(!error.contains("leaked"), "{error}");
            assert!(error.contains("line 1, column"), "{error}");
        }
    }

    fn answer(status: u16, headers: &[(&'static str, &str)]) -> Answer {
        let mut map = ureq::http::HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().expect("header value"));
        }
        Answer {
            status,
            headers: map,
            body: zeroize::Zeroizing::new(r#"{"message":"slow down"}"#.to_string()),
            unread: None,
        }
    }

    #[test]
    fn a_spent_rate_limit_is_told_apart_with_its_reset() {
        let now: Timestamp = "2026-06-01T12:00:00Z".parse().expect("time");
        let reset = |a: Answer, now| match a.rate_limit(now) {
            Some(ApiError::RateLimited { reset }) => Some(reset),
            _ => None,
        };
        // The primary limit: the reset GitHub names.
        let primary = answer(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1780318800"),
            ],
        );
        assert_eq!(
            reset(primary, None),
            Some("2026-06-01T13:00:00Z".parse().ok())
        );
        // The secondary limit: seconds from the clock, else from the answer's Date.
        assert_eq!(
            reset(answer(429, &[("retry-after", "60")]), Some(now)),
            Some("2026-06-01T12:01:00Z".parse().ok())
        );
        assert_eq!(
            reset(
                answer(
                    429,
                    &[
                        ("retry-after", "60"),
                        ("date", "Mon, 01 Jun 2026 12:30:00 GMT")
                    ]
                ),
                None
            ),
            Some("2026-06-01T12:31:00Z".parse().ok())
        );
        // A 429 is a rate limit even without headers; a plain 403 is not.
        assert_eq!(reset(answer(429, &[]), Some(now)), Some(None));
        assert_eq!(
            reset(answer(403, &[("x-ratelimit-remaining", "12")]), Some(now)),
            None
        );
        assert_eq!(reset(answer(500, &[("retry-after", "5")]), Some(now)), None);
        assert_eq!(answer(403, &[]).message(&[]).as_deref(), Some("slow down"));
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
