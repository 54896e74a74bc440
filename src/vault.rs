//! The HashiCorp Vault / OpenBao HTTP client: the addresses a profile was
//! given at `init`, tried in order with a deadline on every call; each
//! answer sorted into "final" (401/403, sealed: asking another address or
//! an offline copy would hide a refusal) and "try the next address"
//! (refused connection, timeout, 5xx, a redirect from a standby); KV
//! version 2 reads and check-and-set writes; a few token calls.
//!
//! The token and the values never reach an error: errors name the address,
//! the path and the capability, and a server's own message is kept only
//! for statuses that cannot echo a request body.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use zeroize::Zeroizing;

/// Seconds each address gets to answer one call, unless
/// `BSCRED_VAULT_TIMEOUT` says otherwise. A LAN server answers in
/// milliseconds; a hung one must not hold `yarn dev` for long.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// The variable that sets the per-address deadline, in seconds.
pub const TIMEOUT_VAR: &str = "BSCRED_VAULT_TIMEOUT";

/// An answer is read up to this size: a profile of 1,000 variables of a
/// few KiB each fits many times over.
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// An answer: its status, its body (wiped when dropped), the address that gave it.
type Answered = (u16, Zeroizing<String>, String);

/// Why a call to the server failed. Never holds a token or a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// No address answered (refused, timed out, 5xx, standby without an
    /// active node): the only case in which an offline copy may serve.
    #[error("no Vault server answered ({})", describe_tried(.tried))]
    Unreachable { tried: Vec<(String, String)> },
    /// The server answered and refused the token (401/403).
    #[error("{addr} refused {capability} on {path} ({status}: {detail})")]
    Denied {
        addr: String,
        path: String,
        capability: String,
        status: u16,
        detail: String,
    },
    /// The server is sealed: it holds nothing anyone can read until unsealed.
    #[error("the Vault server at {addr} is sealed")]
    Sealed { addr: String },
    /// Any other refusal (a path with no KV v2 mount, a bad request).
    #[error("{addr} refused the request on {path} ({status}: {detail})")]
    Refused {
        addr: String,
        path: String,
        status: u16,
        detail: String,
    },
    /// The server answered something that is not what Vault sends.
    #[error("{addr} sent an answer bscred cannot read for {path}: {reason}")]
    BadAnswer {
        addr: String,
        path: String,
        reason: String,
    },
    /// No token: nothing in VAULT_TOKEN/BAO_TOKEN, no `bscred vault login`,
    /// no token helper file.
    #[error(
        "no Vault token: VAULT_TOKEN and BAO_TOKEN are unset, and there is none from `bscred vault login` or in {helper}"
    )]
    NoToken { helper: String },
    /// A token would go over plain HTTP to another machine.
    #[error(
        "{addr} is plain http:// to another machine; a Vault token is sent only over https:// (or http:// to this machine)"
    )]
    Insecure { addr: String },
    /// The CA certificate file (VAULT_CACERT, --vault-cacert) is unusable.
    #[error("cannot use the CA certificate {path}: {reason}")]
    CaCert { path: String, reason: String },
}

impl VaultError {
    /// Whether a 401/403 said the token is not (or no longer) good: the
    /// offline copy made with it must go.
    pub fn is_denied(&self) -> bool {
        matches!(self, VaultError::Denied { .. })
    }

    /// The line that says what to do about it.
    pub fn hint(&self) -> String {
        match self {
            VaultError::Unreachable { .. } => format!(
                "check the network and the server; every address given at `init` was tried (set {TIMEOUT_VAR}=SECONDS to wait longer)"
            ),
            VaultError::Denied { status: 401, .. } => {
                "the token is missing, expired or revoked: set VAULT_TOKEN, or run `bscred vault login`".to_string()
            }
            VaultError::Denied { path, capability, .. } => format!(
                "ask the Vault admins for a policy granting {capability} on {path} (README: \"Teams: keep the secrets in OpenBao or Vault\")"
            ),
            VaultError::Sealed { .. } => {
                "ask the Vault operators to unseal it; bscred uses no offline copy while a server answers".to_string()
            }
            VaultError::Refused { .. } => {
                "check --vault-path (MOUNT/PATH on a KV version 2 mount) and the namespace".to_string()
            }
            VaultError::BadAnswer { .. } => {
                "check that the address is a Vault or OpenBao server".to_string()
            }
            VaultError::NoToken { .. } => {
                "set VAULT_TOKEN (or BAO_TOKEN), or run `bscred vault login`".to_string()
            }
            VaultError::Insecure { .. } => {
                "use the server's https:// address (`bscred init --vault-addr https://…`)".to_string()
            }
            VaultError::CaCert { .. } => {
                "point VAULT_CACERT or --vault-cacert at a PEM file of CA certificates".to_string()
            }
        }
    }
}

fn describe_tried(tried: &[(String, String)]) -> String {
    tried
        .iter()
        .map(|(addr, why)| format!("{addr}: {why}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where a Vault token came from, for `status` and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `VAULT_TOKEN` or `BAO_TOKEN`.
    Environment,
    /// The token `bscred vault login` kept for the profile.
    Login,
    /// Vault's token helper file (`~/.vault-token`).
    HelperFile,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenSource::Environment => "VAULT_TOKEN/BAO_TOKEN",
            TokenSource::Login => "`bscred vault login`",
            TokenSource::HelperFile => "the token helper file",
        })
    }
}

/// What every profile's client shares, resolved once by the context: the
/// token from the environment, Vault's token helper file, the deadline.
#[derive(Clone)]
pub struct VaultEnv {
    /// `VAULT_TOKEN`, else `BAO_TOKEN`.
    pub token: Option<SecretString>,
    /// Vault's default token helper file, `~/.vault-token`.
    pub helper_file: Option<std::path::PathBuf>,
    /// `VAULT_ADDR`, else `BAO_ADDR`: only `init` reads it (a token goes only
    /// to addresses the user gave there).
    pub addr: Option<String>,
    /// `VAULT_NAMESPACE` / `BAO_NAMESPACE`, for `init`.
    pub namespace: Option<String>,
    /// `VAULT_CACERT` / `BAO_CACERT`, for `init`.
    pub cacert: Option<String>,
    /// Per address and call.
    pub timeout: Duration,
    /// The run's clock: when an offline copy was made, and its age.
    pub now: jiff::Timestamp,
}

impl fmt::Debug for VaultEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultEnv")
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("helper_file", &self.helper_file)
            .field("addr", &self.addr)
            .field("namespace", &self.namespace)
            .field("cacert", &self.cacert)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Default for VaultEnv {
    fn default() -> Self {
        VaultEnv {
            token: None,
            helper_file: None,
            addr: None,
            namespace: None,
            cacert: None,
            timeout: DEFAULT_TIMEOUT,
            now: jiff::Timestamp::now(),
        }
    }
}

impl VaultEnv {
    /// Reads Vault's conventions from `var` (the context passes the process
    /// environment; nothing else reads it).
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        home: Option<&std::path::Path>,
        now: jiff::Timestamp,
    ) -> Result<VaultEnv, String> {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| var(n).filter(|v| !v.trim().is_empty()))
        };
        let timeout = match var(TIMEOUT_VAR).filter(|v| !v.is_empty()) {
            None => DEFAULT_TIMEOUT,
            Some(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    format!("{TIMEOUT_VAR} is not a number of seconds (0 < s ≤ 3600)")
                })?,
        };
        Ok(VaultEnv {
            token: first(&["VAULT_TOKEN", "BAO_TOKEN"])
                .map(|t| SecretString::from(t.trim().to_string())),
            helper_file: home.map(|h| h.join(".vault-token")),
            addr: first(&["VAULT_ADDR", "BAO_ADDR"]),
            namespace: first(&["VAULT_NAMESPACE", "BAO_NAMESPACE"]),
            cacert: first(&["VAULT_CACERT", "BAO_CACERT"]),
            timeout,
            now,
        })
    }
}

/// One profile's connection: its addresses, namespace, CA and token.
pub struct Client {
    addrs: Vec<String>,
    namespace: Option<String>,
    token: SecretString,
    agent: ureq::Agent,
    timeout: Duration,
    /// The index of the address to ask first: the one that last gave a
    /// final answer, or the one a standby's redirect named (only ever one
    /// of `addrs`). Dead nodes earlier in the list then cost a run's later
    /// calls nothing.
    first: std::sync::atomic::AtomicUsize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("addrs", &self.addrs)
            .field("namespace", &self.namespace)
            .field("token", &"[REDACTED]")
            .finish()
    }
}

/// A KV version 2 secret as read: its fields, and the version they are
/// (0 and no fields when it was never written; the current version and no
/// fields when its latest version is deleted).
#[derive(Debug)]
pub struct KvSecret<T> {
    pub version: u64,
    pub fields: Option<T>,
    /// When this version was written (RFC 3339, as the server said).
    pub created_time: Option<jiff::Timestamp>,
}

/// What `auth/token/lookup-self` says about the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFacts {
    pub expire_time: Option<jiff::Timestamp>,
    pub renewable: bool,
    pub ttl: u64,
    pub display_name: String,
}

/// Whether `addr` may be sent a token: https, or http to this machine.
pub fn is_secure(addr: &str) -> bool {
    let Ok(uri) = addr.parse::<ureq::http::Uri>() else {
        return false;
    };
    if uri.authority().is_none_or(|a| a.as_str().contains('@')) {
        return false;
    }
    match uri.scheme_str() {
        Some("https") => true,
        Some("http") => matches!(
            uri.host(),
            Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
        ),
        _ => false,
    }
}

/// Checks and normalises an address given at `init`: no trailing slash,
/// no path, https or loopback http.
pub fn normalise_addr(addr: &str) -> Result<String, String> {
    let trimmed = addr.trim().trim_end_matches('/');
    let uri = trimmed
        .parse::<ureq::http::Uri>()
        .map_err(|_| format!("{trimmed} is not a URL"))?;
    if uri.path() != "/" && !uri.path().is_empty() {
        return Err(format!(
            "{trimmed} has a path; give the server's address only (https://HOST:8200)"
        ));
    }
    if !is_secure(trimmed) {
        return Err(format!(
            "{trimmed} is not https:// (plain http:// is allowed only to this machine)"
        ));
    }
    Ok(trimmed.to_string())
}

/// Checks a `MOUNT/PATH` given at `init`: two or more segments without
/// empty ones, `..`, or characters that would change the URL.
pub fn split_path(text: &str) -> Result<(String, String), String> {
    let text = text.trim().trim_matches('/');
    let ok = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+'))
    };
    let segments: Vec<&str> = text.split('/').collect();
    if segments.len() < 2 || !segments.iter().all(|s| ok(s)) {
        return Err(format!(
            "{text:?} is not MOUNT/PATH (e.g. secret/teams/backstage): segments of letters, digits, - _ . @ +"
        ));
    }
    Ok((segments[0].to_string(), segments[1..].join("/")))
}

impl Client {
    /// A client for `addrs` (tried in order), with `token`.
    pub fn new(
        addrs: &[String],
        namespace: Option<&str>,
        cacert: Option<&str>,
        token: SecretString,
        timeout: Duration,
    ) -> Result<Client, VaultError> {
        if let Some(bad) = addrs.iter().find(|a| !is_secure(a)) {
            return Err(VaultError::Insecure { addr: bad.clone() });
        }
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // A redirect (a standby naming the active node) would take the
            // token to an address the user never gave: not followed; the
            // next address given is tried instead.
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(concat!("bscred/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = cacert {
            config = config.tls_config(tls_with_ca(path)?);
        }
        Ok(Client {
            addrs: addrs.to_vec(),
            namespace: namespace.map(str::to_string),
            token,
            agent: config.build().into(),
            timeout,
            first: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Sends one request to each address in turn until one answers with
    /// something other than "try another". `body` is sent as JSON.
    fn call(
        &self,
        method: &str,
        api_path: &str,
        shown_path: &str,
        capability: &str,
        body: Option<&[u8]>,
    ) -> Result<Answered, VaultError> {
        // A cluster electing a new leader answers 5xx from every standby
        // for a few seconds: while some address answers at all, the round
        // is repeated until the deadline. Addresses that refuse or time out
        // are not waited for again (the offline copy is then the answer).
        let start = std::time::Instant::now();
        let mut round = 0u64;
        loop {
            let mut answered = false;
            match self.round_inner(
                method,
                api_path,
                shown_path,
                capability,
                body,
                &mut answered,
            ) {
                Err(VaultError::Unreachable { .. })
                    if answered && start.elapsed() + Duration::from_millis(250) < self.timeout =>
                {
                    round += 1;
                    std::thread::sleep(Duration::from_millis((50 * round).min(250)));
                }
                other => return other,
            }
        }
    }

    /// One pass over the addresses; `answered` says whether any answered
    /// HTTP at all.
    fn round_inner(
        &self,
        method: &str,
        api_path: &str,
        shown_path: &str,
        capability: &str,
        body: Option<&[u8]>,
        answered: &mut bool,
    ) -> Result<Answered, VaultError> {
        use std::sync::atomic::Ordering;
        let mut tried = Vec::new();
        // Addresses that did not answer this round: a redirect to one of
        // them (a standby still naming the dead leader) is no hint.
        let mut silent = vec![false; self.addrs.len()];
        let first = self.first.load(Ordering::Relaxed) % self.addrs.len().max(1);
        let order = (0..self.addrs.len()).map(|i| (first + i) % self.addrs.len());
        for index in order {
            let addr = &self.addrs[index];
            let url = format!("{addr}/v1/{api_path}");
            let mut request = ureq::http::Request::builder()
                .method(method)
                .uri(&url)
                .header("X-Vault-Request", "true");
            // A login client has no token yet.
            if !self.token.expose_secret().is_empty() {
                request = request.header("X-Vault-Token", self.token.expose_secret());
            }
            if let Some(ns) = &self.namespace {
                request = request.header("X-Vault-Namespace", ns);
            }
            let result = match body {
                Some(bytes) => {
                    let kind = if method == "PATCH" {
                        "application/merge-patch+json"
                    } else {
                        "application/json"
                    };
                    let request = request
                        .header("Content-Type", kind)
                        .body(bytes)
                        .map_err(|e| bad(addr, shown_path, e.to_string()))?;
                    self.agent.run(request)
                }
                None => {
                    let request = request
                        .body(())
                        .map_err(|e| bad(addr, shown_path, e.to_string()))?;
                    self.agent.run(request)
                }
            };
            let mut response = match result {
                Ok(response) => response,
                Err(e) => {
                    silent[index] = true;
                    tried.push((addr.clone(), transport_reason(&e, self.timeout)));
                    continue;
                }
            };
            let status = response.status().as_u16();
            // A standby names the active node in `Location`. It is never
            // followed as such (it would take the token wherever the
            // answer says); when it is one of the addresses the user gave,
            // that address is asked first from the next round on.
            let named = (300..400)
                .contains(&status)
                .then(|| response.headers().get("location"))
                .flatten()
                .and_then(|value| value.to_str().ok())
                .and_then(|location| self.configured(location));
            let text = match response
                .body_mut()
                .with_config()
                .limit(MAX_BODY)
                .read_to_string()
            {
                Ok(text) => Zeroizing::new(text),
                Err(e) => {
                    silent[index] = true;
                    tried.push((addr.clone(), transport_reason(&e, self.timeout)));
                    continue;
                }
            };
            let detail = server_message(&text);
            let settle = || self.first.store(index, Ordering::Relaxed);
            match status {
                401 | 403 => {
                    settle();
                    return Err(VaultError::Denied {
                        addr: addr.clone(),
                        path: shown_path.to_string(),
                        capability: capability.to_string(),
                        status,
                        detail: if detail.is_empty() {
                            "permission denied".to_string()
                        } else {
                            detail
                        },
                    });
                }
                503 if detail.contains("sealed") => {
                    settle();
                    return Err(VaultError::Sealed { addr: addr.clone() });
                }
                // 3xx: a standby pointing elsewhere; 429: a performance
                // standby or rate limit; 5xx: no active node, or broken;
                // a KV mount still upgrading its storage (a new mount, or
                // one a freshly elected node has not caught up with) says
                // so in a 400 and serves again a moment later.
                300..=399 | 429 | 500..=599 => {
                    *answered = true;
                    if let Some(active) = named.filter(|&i| !silent[i]) {
                        self.first.store(active, Ordering::Relaxed);
                    }
                    let why = if detail.is_empty() {
                        format!("HTTP {status}")
                    } else {
                        format!("HTTP {status}: {detail}")
                    };
                    tried.push((addr.clone(), why));
                    continue;
                }
                400 if detail.contains("Waiting for the primary to upgrade") => {
                    *answered = true;
                    let why = if detail.is_empty() {
                        format!("HTTP {status}")
                    } else {
                        format!("HTTP {status}: {detail}")
                    };
                    tried.push((addr.clone(), why));
                    continue;
                }
                _ => {
                    settle();
                    return Ok((status, text, addr.clone()));
                }
            }
        }
        Err(VaultError::Unreachable { tried })
    }

    /// The index of the configured address a redirect's `location` points
    /// at (same scheme, host and port), if any.
    fn configured(&self, location: &str) -> Option<usize> {
        let target = location.parse::<ureq::http::Uri>().ok()?;
        let origin = |uri: &ureq::http::Uri| {
            Some((
                uri.scheme_str()?.to_ascii_lowercase(),
                uri.host()?.to_ascii_lowercase(),
                uri.port_u16().or(match uri.scheme_str()? {
                    "https" => Some(443),
                    "http" => Some(80),
                    _ => None,
                })?,
            ))
        };
        let wanted = origin(&target)?;
        self.addrs.iter().position(|addr| {
            addr.parse::<ureq::http::Uri>()
                .ok()
                .and_then(|uri| origin(&uri))
                .is_some_and(|o| o == wanted)
        })
    }

    /// Reads the KV v2 secret `path` on `mount` (its `version`, or the
    /// latest).
    pub fn kv_read<T: serde::de::DeserializeOwned>(
        &self,
        mount: &str,
        path: &str,
        version: Option<u64>,
    ) -> Result<KvSecret<T>, VaultError> {
        let shown = format!("{mount}/data/{path}");
        let api = match version {
            Some(v) => format!("{shown}?version={v}"),
            None => shown.clone(),
        };
        let (status, text, addr) = self.call("GET", &api, &shown, "read", None)?;
        #[derive(Deserialize)]
        #[serde(bound = "T: serde::de::DeserializeOwned")]
        struct Answer<T> {
            data: Option<Data<T>>,
        }
        #[derive(Deserialize)]
        #[serde(bound = "T: serde::de::DeserializeOwned")]
        struct Data<T> {
            data: Option<T>,
            metadata: Option<Meta>,
        }
        #[derive(Deserialize)]
        struct Meta {
            version: Option<u64>,
            created_time: Option<String>,
        }
        match status {
            200 | 404 => {}
            _ => return Err(refused(&addr, &shown, status, &text)),
        }
        if status == 404 && !text.contains("\"metadata\"") {
            // Never written (or its metadata destroyed): version 0.
            return Ok(KvSecret {
                version: 0,
                fields: None,
                created_time: None,
            });
        }
        let answer: Answer<T> = serde_json::from_str(&text).map_err(|e| {
            bad(
                &addr,
                &shown,
                format!(
                    "{} (each variable of a profile is a string field)",
                    describe_json(&e)
                ),
            )
        })?;
        let Some(data) = answer.data else {
            return Err(bad(&addr, &shown, "it holds no data".to_string()));
        };
        let meta = data.metadata;
        Ok(KvSecret {
            version: meta.as_ref().and_then(|m| m.version).unwrap_or(0),
            fields: if status == 200 { data.data } else { None },
            created_time: meta
                .and_then(|m| m.created_time)
                .and_then(|t| t.parse().ok()),
        })
    }

    /// Writes `fields` (a JSON object) as the next version of `path`,
    /// only if the current version is `cas` (0: only if it does not exist).
    /// `Ok(None)`: someone else wrote first (check-and-set failed).
    pub fn kv_write(
        &self,
        mount: &str,
        path: &str,
        fields: &[u8],
        cas: u64,
    ) -> Result<Option<u64>, VaultError> {
        self.kv_send(mount, path, fields, cas, false)
    }

    /// Changes only the fields in `fields` (JSON merge patch: a `null`
    /// removes one), only if the current version is `cas`. A server takes
    /// a bounded number of strings per request (OpenBao: 1,000), so large
    /// profiles are written a few hundred fields per patch.
    pub fn kv_patch(
        &self,
        mount: &str,
        path: &str,
        fields: &[u8],
        cas: u64,
    ) -> Result<Option<u64>, VaultError> {
        self.kv_send(mount, path, fields, cas, true)
    }

    fn kv_send(
        &self,
        mount: &str,
        path: &str,
        fields: &[u8],
        cas: u64,
        patch: bool,
    ) -> Result<Option<u64>, VaultError> {
        let shown = format!("{mount}/data/{path}");
        // The body is assembled around the already-serialised fields, in a
        // buffer wiped when dropped: it holds the values.
        let mut body = Zeroizing::new(Vec::with_capacity(fields.len() + 64));
        body.extend_from_slice(format!("{{\"options\":{{\"cas\":{cas}}},\"data\":").as_bytes());
        body.extend_from_slice(fields);
        body.push(b'}');
        let capability = match (patch, cas) {
            (true, _) => "patch",
            (false, 0) => "create",
            (false, _) => "update",
        };
        let method = if patch { "PATCH" } else { "POST" };
        let (status, text, addr) = self.call(method, &shown, &shown, capability, Some(&body))?;
        match status {
            200 | 204 => {}
            400 if text.contains("check-and-set") => return Ok(None),
            _ => return Err(refused(&addr, &shown, status, &text)),
        }
        #[derive(Deserialize)]
        struct Answer {
            data: Written,
        }
        #[derive(Deserialize)]
        struct Written {
            version: u64,
        }
        let answer: Answer =
            serde_json::from_str(&text).map_err(|e| bad(&addr, &shown, describe_json(&e)))?;
        Ok(Some(answer.data.version))
    }

    /// Deletes every version and the metadata of `path` (`migrate` away,
    /// after the copy is verified).
    pub fn kv_destroy(&self, mount: &str, path: &str) -> Result<(), VaultError> {
        let shown = format!("{mount}/metadata/{path}");
        let (status, text, addr) = self.call("DELETE", &shown, &shown, "delete", None)?;
        match status {
            200 | 204 | 404 => Ok(()),
            _ => Err(refused(&addr, &shown, status, &text)),
        }
    }

    /// What the server says about this client's token.
    pub fn lookup_self(&self) -> Result<TokenFacts, VaultError> {
        let shown = "auth/token/lookup-self";
        let (status, text, addr) = self.call("GET", shown, shown, "read", None)?;
        if status != 200 {
            return Err(refused(&addr, shown, status, &text));
        }
        #[derive(Deserialize)]
        struct Answer {
            data: Facts,
        }
        #[derive(Deserialize)]
        struct Facts {
            expire_time: Option<String>,
            #[serde(default)]
            renewable: bool,
            #[serde(default)]
            ttl: u64,
            #[serde(default)]
            display_name: String,
        }
        let answer: Answer =
            serde_json::from_str(&text).map_err(|e| bad(&addr, shown, describe_json(&e)))?;
        Ok(TokenFacts {
            expire_time: answer.data.expire_time.and_then(|t| t.parse().ok()),
            renewable: answer.data.renewable,
            ttl: answer.data.ttl,
            display_name: answer.data.display_name,
        })
    }

    /// Renews this client's token (a renewable one), returning the lease
    /// it now has, in seconds.
    pub fn renew_self(&self) -> Result<u64, VaultError> {
        let shown = "auth/token/renew-self";
        let (status, text, addr) = self.call("POST", shown, shown, "update", Some(b"{}"))?;
        if status != 200 {
            return Err(refused(&addr, shown, status, &text));
        }
        #[derive(Deserialize)]
        struct Answer {
            auth: Lease,
        }
        #[derive(Deserialize)]
        struct Lease {
            #[serde(default)]
            lease_duration: u64,
        }
        let answer: Answer =
            serde_json::from_str(&text).map_err(|e| bad(&addr, shown, describe_json(&e)))?;
        Ok(answer.auth.lease_duration)
    }

    /// Logs in at `auth/MOUNT/login[/USER]` with `body` (the credentials,
    /// JSON), returning the new token. The client's own token is not sent
    /// for a login (it has none yet); `self.token` is empty.
    pub fn login(
        &self,
        api_path: &str,
        body: &[u8],
    ) -> Result<(SecretString, LoginFacts), VaultError> {
        let (status, text, addr) = self.call("POST", api_path, api_path, "update", Some(body))?;
        if status != 200 {
            return Err(refused(&addr, api_path, status, &text));
        }
        #[derive(Deserialize)]
        struct Answer {
            auth: Option<Auth>,
        }
        #[derive(Deserialize)]
        struct Auth {
            client_token: String,
            #[serde(default)]
            renewable: bool,
            #[serde(default)]
            lease_duration: u64,
        }
        let answer: Answer =
            serde_json::from_str(&text).map_err(|e| bad(&addr, api_path, describe_json(&e)))?;
        let auth = answer
            .auth
            .ok_or_else(|| bad(&addr, api_path, "the answer holds no token".to_string()))?;
        Ok((
            SecretString::from(auth.client_token),
            LoginFacts {
                renewable: auth.renewable,
                lease_duration: auth.lease_duration,
            },
        ))
    }
}

/// What a login said about the token it issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFacts {
    pub renewable: bool,
    pub lease_duration: u64,
}

fn tls_with_ca(path: &str) -> Result<ureq::tls::TlsConfig, VaultError> {
    let fail = |reason: String| VaultError::CaCert {
        path: path.to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("it holds no PEM certificate".to_string()));
    }
    Ok(ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
        .build())
}

fn transport_reason(error: &ureq::Error, timeout: Duration) -> String {
    match error {
        ureq::Error::Timeout(_) => format!("no answer within {:.1} s", timeout.as_secs_f64()),
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused".to_string()
        }
        other => other.to_string(),
    }
}

/// Vault's `{"errors": [...]}`, joined, control characters dropped and
/// capped: the server's words, which name paths, never values.
fn server_message(text: &str) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<String>,
    }
    serde_json::from_str::<Errors>(text)
        .map(|e| e.errors.join("; "))
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect()
}

fn refused(addr: &str, path: &str, status: u16, text: &str) -> VaultError {
    let detail = server_message(text);
    VaultError::Refused {
        addr: addr.to_string(),
        path: path.to_string(),
        status,
        detail: if detail.is_empty() {
            "no reason given".to_string()
        } else {
            detail
        },
    }
}

fn bad(addr: &str, path: &str, reason: String) -> VaultError {
    VaultError::BadAnswer {
        addr: addr.to_string(),
        path: path.to_string(),
        reason,
    }
}

/// Where JSON is wrong, without serde_json's message, which can quote the
/// input (and so a value).
fn describe_json(error: &serde_json::Error) -> String {
    format!(
        "unexpected JSON at line {}, column {}",
        error.line(),
        error.column()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_go_only_over_https_or_to_this_machine() {
        assert!(is_secure("https://vault.example.com:8200"));
        assert!(is_secure("http://127.0.0.1:8200"));
        assert!(!is_secure("http://vault.example.com:8200"));
        assert!(!is_secure("http://127.0.0.1:1@evil:8200"));
        assert!(normalise_addr("https://v.example/").is_ok());
        assert!(normalise_addr("https://v.example/v1/secret").is_err());
    }

    #[test]
    fn paths_are_mount_and_path() {
        assert_eq!(
            split_path("secret/teams/app").expect("ok"),
            ("secret".to_string(), "teams/app".to_string())
        );
        for bad in [
            "secret",
            "secret//x",
            "secret/../x",
            "secret/a?b",
            "secret/a b",
        ] {
            assert!(split_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_timeout_variable_is_seconds() {
        let env = |v: &'static str| {
            VaultEnv::from_vars(
                move |n| (n == TIMEOUT_VAR).then(|| v.to_string()),
                None,
                jiff::Timestamp::UNIX_EPOCH,
            )
        };
        assert_eq!(env("1.5").expect("ok").timeout, Duration::from_millis(1500));
        assert!(env("0").is_err());
        assert!(env("soon").is_err());
    }

    #[test]
    fn a_redirect_counts_only_when_it_names_a_configured_address() {
        let client = Client::new(
            &[
                "http://127.0.0.1:8200".to_string(),
                "https://vault-b.example".to_string(),
            ],
            None,
            None,
            SecretString::from("t".to_string()),
            DEFAULT_TIMEOUT,
        )
        .expect("client");
        assert_eq!(
            client.configured("http://127.0.0.1:8200/v1/secret/data/app"),
            Some(0)
        );
        assert_eq!(
            client.configured("https://VAULT-B.example:443/v1/x"),
            Some(1)
        );
        assert_eq!(client.configured("http://127.0.0.1:8201/v1/x"), None);
        assert_eq!(client.configured("https://evil.example/v1/x"), None);
        assert_eq!(client.configured("http://vault-b.example/v1/x"), None);
        assert_eq!(client.configured("/v1/relative"), None);
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let client = Client::new(
            &["http://127.0.0.1:1".to_string()],
            None,
            None,
            SecretString::from("hvs.supersecret".to_string()),
            DEFAULT_TIMEOUT,
        )
        .expect("client");
        assert!(!format!("{client:?}").contains("supersecret"));
        let env = VaultEnv {
            token: Some(SecretString::from("hvs.supersecret".to_string())),
            ..VaultEnv::default()
        };
        assert!(!format!("{env:?}").contains("supersecret"));
    }
}
