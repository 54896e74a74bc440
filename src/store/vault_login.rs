//! The Vault token `bscred vault login` got for a profile. The token is
//! age-encrypted to the user's own identity, like the offline copy (never
//! a plaintext file, unlike Vault's own `~/.vault-token`); what is not
//! secret about it (how it was got, when it expires, whether it renews)
//! sits beside it in the state directory, so `status` and the reminders
//! read it without decrypting anything.
//!
//! The token is a credential of the profile, never one of its variables:
//! it lives in a document of its own, which nothing exports.

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::file::FileStore;
use super::{Document, Store};
use crate::error::{Error, Result};
use crate::secret::{Secret, VarName};

/// The one field of the encrypted document.
const FIELD: &str = "VAULT_TOKEN";
/// The facts file is a few lines.
const MAX_FACTS: u64 = 64 * 1024;

/// What is known about a stored login token without decrypting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRecord {
    /// `userpass` or `approle`.
    pub method: String,
    /// The user name or role ID it was got with (not a secret).
    pub who: String,
    /// When it was got or last renewed (bscred's clock).
    pub renewed_at: Timestamp,
    /// When it stops working; `None`: it does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// Whether `auth/token/renew-self` can extend it.
    pub renewable: bool,
    /// The lease the server gave at login, in seconds. A renewal keeps it:
    /// one that grants less (the token nears its maximum TTL) leaves less
    /// than half of it, which is when the reminders start.
    pub ttl_seconds: u64,
}

impl LoginRecord {
    /// Whether it is time to renew: a renewable token with less than half
    /// its lease left (Vault's own agent renews at about two thirds).
    pub fn due(&self, now: Timestamp) -> bool {
        let Some(expires) = self.expires_at else {
            return false;
        };
        let ttl = i64::try_from(self.ttl_seconds).unwrap_or(i64::MAX);
        self.renewable
            && ttl > 0
            && expires.duration_since(now) < SignedDuration::from_secs(ttl / 2)
    }

    /// The record after a renewal that granted `lease` seconds at `now`.
    pub fn renewed(&self, now: Timestamp, lease: u64) -> LoginRecord {
        LoginRecord {
            renewed_at: now,
            expires_at: expiry(now, lease).or(self.expires_at),
            ..self.clone()
        }
    }

    /// Whether `env` and `exec` should remind: a token that expires within
    /// `window_days` and cannot be renewed, or a renewable one that
    /// renewal no longer extends (less than half its lease left after
    /// trying), or one already expired.
    pub fn needs_reminder(&self, now: Timestamp, window_days: i64) -> bool {
        let Some(expires) = self.expires_at else {
            return false;
        };
        if expires <= now {
            return true;
        }
        if self.renewable {
            return self.due(now);
        }
        expires.duration_since(now) <= SignedDuration::from_hours(24 * window_days)
    }

    /// "expires 2026-06-01 13:00 UTC, in 1 h 0 min", or "expired …", or
    /// "does not expire".
    pub fn describe(&self, now: Timestamp) -> String {
        let Some(at) = self.expires_at else {
            return "does not expire".to_string();
        };
        let date = at.strftime("%Y-%m-%d %H:%M UTC");
        if at <= now {
            format!(
                "expired {date}, {} ago",
                super::vault::human(now.duration_since(at))
            )
        } else {
            format!(
                "expires {date}, in {}",
                super::vault::human(at.duration_since(now))
            )
        }
    }
}

/// When a lease of `seconds` granted at `now` ends (`None`: 0, no expiry).
pub fn expiry(now: Timestamp, seconds: u64) -> Option<Timestamp> {
    let seconds = i64::try_from(seconds).ok().filter(|s| *s > 0)?;
    now.checked_add(SignedDuration::from_secs(seconds)).ok()
}

/// A profile's stored login: the encrypted token and its record.
#[derive(Debug)]
pub struct LoginStore {
    token: FileStore,
    record: PathBuf,
}

impl LoginStore {
    /// The login kept in `token` (an age file, opened like the offline
    /// copy) with its record at `record`.
    pub fn new(token: FileStore, record: PathBuf) -> LoginStore {
        LoginStore { token, record }
    }

    /// The record, if there is a stored login (read without decrypting).
    pub fn record(&self) -> Option<LoginRecord> {
        let (found, _) = crate::private_fs::read_own(&self.record, MAX_FACTS).ok()?;
        let crate::private_fs::Regular::Bytes(bytes) = found else {
            return None;
        };
        serde_json::from_slice(&bytes).ok()
    }

    /// The stored token, decrypted; `None` when there is no login.
    pub fn token(&self) -> Result<Option<SecretString>> {
        if self.record().is_none() || !self.token.exists()? {
            return Ok(None);
        }
        let doc = self.token.load()?;
        let name: VarName = FIELD.parse().unwrap_or_else(|_| unreachable!("a name"));
        Ok(doc
            .variables
            .get(&name)
            .map(|var| SecretString::from(var.value.expose().to_string())))
    }

    /// Keeps `token` (encrypted) and its `record`, replacing any earlier login.
    pub fn save(&self, token: &SecretString, record: &LoginRecord, now: Timestamp) -> Result<()> {
        let mut doc = Document::default();
        let name: VarName = FIELD.parse().unwrap_or_else(|_| unreachable!("a name"));
        let value = Secret::new(token.expose_secret().to_string()).map_err(|_| Error::Refused {
            message: "the server sent a Vault token bscred cannot keep".to_string(),
            hint: "check that the address is a Vault or OpenBao server".to_string(),
        })?;
        doc.upsert(name, value, true, record.expires_at, now);
        for path in [self.token_path(), self.record.clone()] {
            if let Some(dir) = path.parent() {
                crate::private_fs::ensure_dir(dir)?;
            }
        }
        self.token.replace(&doc)?;
        self.write_record(record)
    }

    /// Records a renewal (the token itself is unchanged).
    pub fn write_record(&self, record: &LoginRecord) -> Result<()> {
        let text = serde_json::to_vec_pretty(record).unwrap_or_else(|_| unreachable!("serialises"));
        crate::private_fs::write_atomic(&self.record, &text)
    }

    /// Where the encrypted token is.
    pub fn token_path(&self) -> PathBuf {
        PathBuf::from(self.token.info().location)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    #[test]
    fn a_renewable_token_is_due_with_less_than_half_its_lease_left() {
        let record = LoginRecord {
            method: "userpass".into(),
            who: "alice".into(),
            renewed_at: at("2026-06-01T12:00:00Z"),
            expires_at: expiry(at("2026-06-01T12:00:00Z"), 3600),
            renewable: true,
            ttl_seconds: 3600,
        };
        assert!(!record.due(at("2026-06-01T12:20:00Z")));
        assert!(record.due(at("2026-06-01T12:40:00Z")));
        assert!(record.due(at("2026-06-01T14:00:00Z")), "expired: still try");
        let fixed = LoginRecord {
            renewable: false,
            ..record.clone()
        };
        assert!(!fixed.due(at("2026-06-01T12:40:00Z")));
        let renewed = record.renewed(at("2026-06-01T12:40:00Z"), 3600);
        assert_eq!(renewed.expires_at, Some(at("2026-06-01T13:40:00Z")));
        assert!(!renewed.due(at("2026-06-01T12:41:00Z")));
        assert!(!renewed.needs_reminder(at("2026-06-01T12:41:00Z"), 14));
        // Capped by its maximum TTL: renewed, yet less than half is left.
        let capped = record.renewed(at("2026-06-01T12:40:00Z"), 600);
        assert!(capped.needs_reminder(at("2026-06-01T12:40:00Z"), 14));
        assert_eq!(
            capped.describe(at("2026-06-01T12:40:00Z")),
            "expires 2026-06-01 12:50 UTC, in 10 min"
        );
        assert!(fixed.needs_reminder(at("2026-06-01T12:01:00Z"), 14));
        assert!(!fixed.needs_reminder(at("2026-05-01T12:00:00Z"), 14));
        assert_eq!(expiry(at("2026-06-01T12:00:00Z"), 0), None);
    }
}
