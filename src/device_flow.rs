//! GitHub's OAuth endpoints for user tokens (issue 17, part 3): the device
//! flow that `bscred login github` walks through (`POST
//! /login/device/code`, then polling `POST /login/oauth/access_token`) and
//! the refresh of an expiring token with its refresh token. Both live on
//! the web base (`https://github.com`), not the API. Waiting between polls
//! goes through a `Clock`, so tests run the whole schedule without sleeping.
//!
//! GitHub's documentation: "Authorizing OAuth apps" (device flow) and
//! "Refreshing user access tokens" (GitHub Apps).

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::github::{self, ApiError};
use crate::secret::Secret;

/// The grant type GitHub's token endpoint takes for a device code.
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// What `slow_down` adds to the interval when GitHub names no new one (RFC
/// 8628, section 3.5).
const SLOW_DOWN_STEP: u64 = 5;

/// Where time comes from while polling: the system's clock and real
/// sleeps, or (tests, `BSCRED_TEST_NOW`) a virtual clock that a wait
/// advances at once.
pub trait Clock {
    fn now(&self) -> Timestamp;
    fn sleep(&mut self, wait: Duration);
}

/// The system clock; `sleep` sleeps.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn sleep(&mut self, wait: Duration) {
        std::thread::sleep(wait);
    }
}

/// A clock that stands still until told to wait, then moves by exactly
/// the wait; it records every wait.
#[derive(Debug)]
pub struct VirtualClock {
    now: Timestamp,
    pub waits: Vec<Duration>,
}

impl VirtualClock {
    pub fn at(now: Timestamp) -> VirtualClock {
        VirtualClock {
            now,
            waits: Vec::new(),
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Timestamp {
        self.now
    }

    fn sleep(&mut self, wait: Duration) {
        self.waits.push(wait);
        let step = SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX);
        self.now = self.now.saturating_add(step).unwrap_or(self.now);
    }
}

/// What `POST /login/device/code` gave: the code the user types on
/// GitHub's page, where, and how long and how often to poll.
#[derive(Debug)]
pub struct DeviceCode {
    /// Exchanged for the token while polling; a credential until it
    /// expires, so it is wiped and never shown.
    pub device_code: Zeroizing<String>,
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in: u64,
    pub interval: u64,
}

/// A user token and, for a GitHub App with expiring tokens, its refresh
/// token, each with how long it lasts from the moment of the answer.
#[derive(Debug)]
pub struct Grant {
    pub access_token: Secret,
    pub expires_in: Option<SignedDuration>,
    pub refresh_token: Option<Secret>,
    pub refresh_expires_in: Option<SignedDuration>,
}

/// One answer while polling.
#[derive(Debug)]
pub enum Poll {
    Granted(Grant),
    /// `authorization_pending`: the user has not entered the code yet.
    Pending,
    /// `slow_down`: poll less often (GitHub's new interval, if it sent one).
    SlowDown(Option<u64>),
}

/// Why no token came. `retry` is the command that starts over (it names
/// the profile and client ID, so it can be copied as it is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error("the code expired before it was entered on GitHub; nothing was stored")]
    CodeExpired { retry: String },
    #[error("the request was denied on GitHub (cancelled); nothing was stored")]
    Denied { retry: String },
    #[error("device flow is not enabled for the GitHub App with client ID {client_id}")]
    DeviceFlowDisabled { client_id: String },
    /// A 401 from the OAuth endpoints: no token was sent, so what GitHub
    /// turned down is the client ID.
    #[error("GitHub did not accept the client ID {client_id} (HTTP 401); nothing was stored")]
    ClientRejected { client_id: String },
    #[error("GitHub refused to refresh {name} ({why}); the stored tokens are unchanged")]
    RefreshRefused {
        name: String,
        why: String,
        retry: String,
    },
    #[error("GitHub answered with an error: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Other {
        error: String,
        description: Option<String>,
    },
    /// GitHub renewed the token and spent the old refresh token, but the
    /// new pair could not be written: only a new login gets one again.
    #[error(
        "GitHub renewed {name}, but the new token could not be stored ({cause}); the old refresh token is spent"
    )]
    NotStored {
        name: String,
        cause: String,
        retry: String,
    },
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// What to check when GitHub turns down the login itself.
const CHECK_CLIENT_ID: &str = "check the client ID: it is the GitHub App's \"Client ID\" (Iv1.… or Iv23…), and the app must have device flow enabled";

impl OAuthError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            OAuthError::CodeExpired { retry } => {
                format!("run `{retry}` again and enter the code within the time it shows")
            }
            OAuthError::Denied { retry } => {
                format!("run `{retry}` again and choose \"Authorize\" on GitHub's page")
            }
            OAuthError::DeviceFlowDisabled { .. } => "enable \"Device Flow\" in the GitHub App's settings (Settings → Developer settings → GitHub Apps → the app → General), then log in again".to_string(),
            OAuthError::RefreshRefused { retry, .. } | OAuthError::NotStored { retry, .. } => {
                format!("log in again: `{retry}`")
            }
            OAuthError::ClientRejected { .. }
            | OAuthError::Other { .. }
            | OAuthError::Api(ApiError::Refused { .. } | ApiError::BadAnswer(_)) => {
                CHECK_CLIENT_ID.to_string()
            }
            OAuthError::Api(ApiError::Insecure(_)) => github::insecure_hint(github::WEB_URL_VAR),
            OAuthError::Api(_) => format!(
                "check the network (and {} if you set it), then try again",
                github::WEB_URL_VAR
            ),
        }
    }

    /// Whether GitHub could not answer (no connection, or a server error):
    /// a token that still works may then be handed out as it is.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            OAuthError::Api(ApiError::Unreachable { .. } | ApiError::RateLimited { .. })
        ) || matches!(self, OAuthError::Api(ApiError::Refused { status, .. }) if *status >= 500)
    }
}

/// Asks GitHub for a device code for the App `client_id`.
pub fn request_code(web: &str, client_id: &str) -> Result<DeviceCode, OAuthError> {
    #[derive(Deserialize)]
    struct Answer {
        device_code: Option<String>,
        user_code: Option<String>,
        verification_uri: Option<String>,
        expires_in: Option<u64>,
        interval: Option<u64>,
        error: Option<String>,
        error_description: Option<String>,
    }
    let body = post_form(
        &format!("{web}/login/device/code"),
        &[("client_id", client_id)],
    )
    .map_err(|e| client_rejected(e, client_id))?;
    let answer: Answer = parse(&body)?;
    if let Some(error) = answer.error {
        return Err(match error.as_str() {
            "device_flow_disabled" => OAuthError::DeviceFlowDisabled {
                client_id: client_id.to_string(),
            },
            _ => other(error, answer.error_description),
        });
    }
    match (
        answer.device_code,
        answer.user_code,
        answer.verification_uri,
    ) {
        (Some(device_code), Some(user_code), Some(verification_uri)) => Ok(DeviceCode {
            device_code: Zeroizing::new(device_code),
            user_code,
            verification_uri,
            // GitHub's defaults: 15 minutes, every 5 seconds.
            expires_in: answer.expires_in.unwrap_or(900),
            interval: answer.interval.unwrap_or(5),
        }),
        _ => Err(ApiError::BadAnswer("the device code answer lacks a field".to_string()).into()),
    }
}

/// Asks once whether the user has entered the code.
pub fn ask_token(
    web: &str,
    client_id: &str,
    code: &DeviceCode,
    retry: &str,
) -> Result<Poll, OAuthError> {
    let body = post_form(
        &format!("{web}/login/oauth/access_token"),
        &[
            ("client_id", client_id),
            ("device_code", code.device_code.as_str()),
            ("grant_type", DEVICE_GRANT),
        ],
    )
    .map_err(|e| client_rejected(e, client_id))?;
    let answer: TokenAnswer = parse(&body)?;
    let Some(error) = answer.error else {
        return answer.grant().map(Poll::Granted);
    };
    let retry = retry.to_string();
    match error.as_str() {
        "authorization_pending" => Ok(Poll::Pending),
        "slow_down" => Ok(Poll::SlowDown(answer.interval)),
        "expired_token" => Err(OAuthError::CodeExpired { retry }),
        "access_denied" => Err(OAuthError::Denied { retry }),
        "device_flow_disabled" => Err(OAuthError::DeviceFlowDisabled {
            client_id: client_id.to_string(),
        }),
        _ => Err(other(error, answer.error_description)),
    }
}

/// Polls with `ask` until GitHub grants a token or says no, honouring the
/// interval and `slow_down`, and gives up once the next poll would come
/// after the code expired. Returns the grant and when it came.
pub fn poll(
    code: &DeviceCode,
    clock: &mut dyn Clock,
    retry: &str,
    mut ask: impl FnMut() -> Result<Poll, OAuthError>,
) -> Result<(Grant, Timestamp), OAuthError> {
    let expires_in = i64::try_from(code.expires_in).unwrap_or(i64::MAX);
    let deadline = clock
        .now()
        .saturating_add(SignedDuration::from_secs(expires_in))
        .unwrap_or(Timestamp::MAX);
    // Never faster than once a second, whatever the answer said.
    let mut interval = code.interval.max(1);
    loop {
        let next = clock
            .now()
            .saturating_add(SignedDuration::from_secs(
                i64::try_from(interval).unwrap_or(i64::MAX),
            ))
            .unwrap_or(Timestamp::MAX);
        if next > deadline {
            return Err(OAuthError::CodeExpired {
                retry: retry.to_string(),
            });
        }
        clock.sleep(Duration::from_secs(interval));
        match ask()? {
            Poll::Granted(grant) => return Ok((grant, clock.now())),
            Poll::Pending => {}
            Poll::SlowDown(given) => {
                interval = given
                    .filter(|&given| given > interval)
                    .unwrap_or(interval + SLOW_DOWN_STEP);
            }
        }
    }
}

/// Redeems `refresh_token` for a new user token and refresh token
/// (`grant_type=refresh_token`). The refresh token works once.
pub fn refresh(
    web: &str,
    client_id: &str,
    refresh_token: &Secret,
    name: &str,
    retry: &str,
) -> Result<Grant, OAuthError> {
    let refused = |why: &str| OAuthError::RefreshRefused {
        name: name.to_string(),
        why: why.to_string(),
        retry: retry.to_string(),
    };
    let body = match post_form(
        &format!("{web}/login/oauth/access_token"),
        &[
            ("client_id", client_id),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ],
    ) {
        Ok(body) => body,
        Err(ApiError::Rejected) => return Err(refused("HTTP 401")),
        Err(e) => return Err(e.into()),
    };
    let answer: TokenAnswer = parse(&body)?;
    match answer.error.as_deref() {
        None => answer.grant(),
        Some(
            error @ ("bad_refresh_token"
            | "incorrect_client_credentials"
            | "unauthorized_client"
            | "invalid_grant"),
        ) => Err(refused(error)),
        Some(_) => Err(other(
            answer.error.unwrap_or_default(),
            answer.error_description,
        )),
    }
}

/// A 401 during the device flow names the client ID, not a token: the
/// only credential sent is the device code GitHub itself just issued.
fn client_rejected(error: ApiError, client_id: &str) -> OAuthError {
    match error {
        ApiError::Rejected => OAuthError::ClientRejected {
            client_id: client_id.to_string(),
        },
        e => e.into(),
    }
}

/// The token endpoint's answer, in all its forms: GitHub answers 200 with
/// an `error` field when it says no.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<Secret>,
    expires_in: Option<i64>,
    refresh_token: Option<Secret>,
    refresh_token_expires_in: Option<i64>,
    interval: Option<u64>,
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenAnswer {
    fn grant(self) -> Result<Grant, OAuthError> {
        let access_token = self.access_token.ok_or_else(|| {
            ApiError::BadAnswer("the token answer holds no access_token".to_string())
        })?;
        Ok(Grant {
            access_token,
            expires_in: self.expires_in.map(SignedDuration::from_secs),
            refresh_token: self.refresh_token,
            refresh_expires_in: self.refresh_token_expires_in.map(SignedDuration::from_secs),
        })
    }
}

/// An error GitHub named that bscred has no special case for; its words
/// are someone else's text, cut short and without control characters.
fn other(error: String, description: Option<String>) -> OAuthError {
    OAuthError::Other {
        error: github::clean(&error, &[]),
        description: description.map(|d| github::clean(&d, &[])),
    }
}

/// Parses an answer; serde's own message would quote the body, which may
/// hold a token.
fn parse<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, OAuthError> {
    github::parse_json(body).map_err(OAuthError::from)
}

/// POSTs `fields` as a form (the body built in a buffer that is wiped: it
/// may hold a refresh token), asking for JSON back. A 401 is `Rejected`,
/// any other status but 2xx `Refused`; the body comes back in a buffer
/// that is wiped too.
fn post_form(url: &str, fields: &[(&str, &str)]) -> Result<Zeroizing<String>, ApiError> {
    if !github::is_secure(url) {
        return Err(ApiError::Insecure(url.to_string()));
    }
    let mut body = Zeroizing::new(String::new());
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            body.push('&');
        }
        github::percent_encode_into(&mut body, name);
        body.push('=');
        github::percent_encode_into(&mut body, value);
    }
    let mut response = github::agent()
        .post(url)
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())
        .map_err(|e| github::unreachable(url, e))?;
    let status = response.status().as_u16();
    let text = Zeroizing::new(
        response
            .body_mut()
            .read_to_string()
            .map_err(|e| ApiError::BadAnswer(e.to_string()))?,
    );
    match status {
        200..=299 => Ok(text),
        401 => Err(ApiError::Rejected),
        429 => Err(ApiError::RateLimited { reset: None }),
        _ => {
            #[derive(Deserialize)]
            struct Said {
                error_description: Option<String>,
                error: Option<String>,
                message: Option<String>,
            }
            let detail = serde_json::from_str::<Said>(&text)
                .ok()
                .and_then(|s| s.error_description.or(s.message).or(s.error))
                .map(|d| github::clean(&d, &[]));
            Err(ApiError::Refused { status, detail })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(expires_in: u64, interval: u64) -> DeviceCode {
        DeviceCode {
            device_code: Zeroizing::new("dc".to_string()),
            user_code: "WDJB-MJHT".to_string(),
            verification_uri: "https://github.com/login/device".to_string(),
            expires_in,
            interval,
        }
    }

    fn grant() -> Grant {
        Grant {
            access_token: Secret::new("ghu_new".to_string()).expect("value"),
            expires_in: Some(SignedDuration::from_hours(8)),
            refresh_token: None,
            refresh_expires_in: None,
        }
    }

    fn start() -> Timestamp {
        "2026-06-01T12:00:00Z".parse().expect("time")
    }

    /// Runs `poll` with the answers in order; the waits and the outcome.
    fn run(
        code: &DeviceCode,
        answers: Vec<Result<Poll, OAuthError>>,
    ) -> (Vec<u64>, Result<Timestamp, OAuthError>, usize) {
        let mut clock = VirtualClock::at(start());
        let mut answers = answers.into_iter();
        let mut asked = 0;
        let outcome = poll(
            code,
            &mut clock,
            "bscred login github --client-id X",
            || {
                asked += 1;
                answers.next().unwrap_or(Ok(Poll::Pending))
            },
        )
        .map(|(_, at)| at);
        let waits = clock.waits.iter().map(Duration::as_secs).collect();
        (waits, outcome, asked)
    }

    #[test]
    fn pending_waits_the_interval_and_slow_down_adds_five_seconds() {
        let (waits, outcome, _) = run(
            &code(900, 5),
            vec![
                Ok(Poll::Pending),
                Ok(Poll::SlowDown(None)),
                Ok(Poll::Pending),
                Ok(Poll::Granted(grant())),
            ],
        );
        assert_eq!(waits, [5, 5, 10, 10]);
        assert_eq!(
            outcome,
            Ok(start() + SignedDuration::from_secs(30)),
            "granted after the waits"
        );
    }

    #[test]
    fn slow_down_with_an_interval_takes_github_s() {
        let (waits, outcome, _) = run(
            &code(900, 5),
            vec![Ok(Poll::SlowDown(Some(12))), Ok(Poll::Granted(grant()))],
        );
        assert_eq!(waits, [5, 12]);
        assert!(outcome.is_ok());
        // Twice in a row without an interval: +5 each time.
        let (waits, _, _) = run(
            &code(900, 5),
            vec![
                Ok(Poll::SlowDown(None)),
                Ok(Poll::SlowDown(None)),
                Ok(Poll::Granted(grant())),
            ],
        );
        assert_eq!(waits, [5, 10, 15]);
    }

    #[test]
    fn polling_gives_up_when_the_code_expires() {
        // Pending forever: polls at 5, 10, … 900 s, and not after.
        let (waits, outcome, asked) = run(&code(900, 5), Vec::new());
        assert_eq!(asked, 180);
        assert_eq!(waits.iter().sum::<u64>(), 900);
        assert!(matches!(outcome, Err(OAuthError::CodeExpired { .. })));
        // A next poll that would come after the expiry is not made.
        let (waits, outcome, asked) = run(&code(12, 5), Vec::new());
        assert_eq!((waits, asked), (vec![5, 5], 2));
        assert!(matches!(outcome, Err(OAuthError::CodeExpired { .. })));
    }

    #[test]
    fn a_final_answer_stops_polling_at_once() {
        for error in [
            OAuthError::Denied {
                retry: "r".to_string(),
            },
            OAuthError::CodeExpired {
                retry: "r".to_string(),
            },
            OAuthError::DeviceFlowDisabled {
                client_id: "c".to_string(),
            },
        ] {
            let (waits, outcome, asked) =
                run(&code(900, 5), vec![Ok(Poll::Pending), Err(error.clone())]);
            assert_eq!((waits, asked), (vec![5, 5], 2));
            assert_eq!(outcome, Err(error));
        }
    }

    #[test]
    fn a_refresh_never_goes_over_plain_http_to_another_machine() {
        let token = Secret::new("ghr_x".to_string()).expect("value");
        let outcome = refresh("http://example.com", "Iv1.x", &token, "GITHUB_TOKEN", "r");
        assert!(matches!(
            outcome,
            Err(OAuthError::Api(ApiError::Insecure(_)))
        ));
    }
}
