//! The JSON Web Token a GitHub App signs to speak as itself: RS256 over the
//! app's private key, `iat` a minute in the past, `exp` nine minutes ahead,
//! `iss` the app's client ID (GitHub's "Generating a JSON Web Token (JWT)
//! for a GitHub App"). Only the signing is here; the calls it authorises
//! are in `app_token.rs`.
//!
//! The key is read from PEM: PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`,
//! what GitHub's settings page downloads) or PKCS#8 (`-----BEGIN PRIVATE
//! KEY-----`, what `openssl pkcs8 -topk8` and some vaults hand back). Its
//! bytes stay in wiped buffers; no error here quotes any of them.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::Timestamp;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use zeroize::Zeroizing;

/// How far `iat` is put in the past: GitHub's advice, against a local
/// clock that runs behind GitHub's.
pub const BACKDATE_SECONDS: i64 = 60;

/// How far ahead `exp` is put. GitHub refuses a JWT whose `exp` is more
/// than 10 minutes ahead of its own clock; nine leaves a minute for a local
/// clock that runs ahead, as the backdated `iat` does for one that runs
/// behind, and the token still lives 10 minutes from `iat` to `exp`.
pub const LIFETIME_SECONDS: i64 = 9 * 60;

/// A GitHub App's private key, ready to sign.
pub struct AppKey(RsaKeyPair);

impl fmt::Debug for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppKey([REDACTED])")
    }
}

/// Why a stored value is not a usable private key. Says what is wrong with
/// the form, never what the value holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("it is not a PEM private key (no -----BEGIN … PRIVATE KEY----- line)")]
    NotPem,
    #[error("it is an encrypted private key; GitHub's keys come unencrypted")]
    Encrypted,
    #[error("it is a PEM {0:?} block, not an RSA private key")]
    OtherKind(String),
    #[error("its PEM body is not base64")]
    NotBase64,
    #[error("it is not an RSA private key GitHub can use: {0}")]
    Rejected(String),
}

impl AppKey {
    /// Reads the first private key block of `pem`. A key stored on one line
    /// with literal `\n` escapes (as some `.env` files carry one) is taken
    /// too.
    pub fn from_pem(pem: &str) -> Result<AppKey, KeyError> {
        let unescaped;
        let pem = if !pem.contains('\n') && pem.contains("\\n") {
            unescaped = Zeroizing::new(pem.replace("\\n", "\n"));
            unescaped.as_str()
        } else {
            pem
        };
        let mut lines = pem.lines().map(str::trim);
        let label = lines
            .find_map(|l| {
                l.strip_prefix("-----BEGIN ")
                    .and_then(|l| l.strip_suffix("-----"))
            })
            .ok_or(KeyError::NotPem)?;
        let end = format!("-----END {label}-----");
        let mut body = Zeroizing::new(String::new());
        let mut ended = false;
        for line in lines {
            if line == end {
                ended = true;
                break;
            }
            // Old OpenSSL writes `Proc-Type: 4,ENCRYPTED` headers into an
            // encrypted PKCS#1 block.
            if line.contains(':') {
                return Err(if line.contains("ENCRYPTED") {
                    KeyError::Encrypted
                } else {
                    KeyError::NotBase64
                });
            }
            body.push_str(line);
        }
        if !ended {
            return Err(KeyError::NotPem);
        }
        let der = Zeroizing::new(
            STANDARD
                .decode(body.as_bytes())
                .map_err(|_| KeyError::NotBase64)?,
        );
        let pair = match label {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
            other => return Err(KeyError::OtherKind(other.to_string())),
        };
        // ring's reasons are fixed words ("InvalidEncoding", "TooSmall"),
        // never key material.
        pair.map(AppKey)
            .map_err(|e| KeyError::Rejected(e.to_string()))
    }
}

/// The claims GitHub reads. Field order is the JSON's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Claims {
    /// Issued at: `BACKDATE_SECONDS` before now.
    pub iat: i64,
    /// Expires: `LIFETIME_SECONDS` after now.
    pub exp: i64,
    /// The app: its client ID (`Iv1.…`), or its numeric app ID.
    pub iss: String,
}

impl Claims {
    /// The claims for a token issued by `issuer` at `now`.
    pub fn new(issuer: &str, now: Timestamp) -> Claims {
        let now = now.as_second();
        Claims {
            iat: now - BACKDATE_SECONDS,
            exp: now + LIFETIME_SECONDS,
            iss: issuer.to_string(),
        }
    }
}

/// The header of every token: RS256 is the one algorithm GitHub takes.
const HEADER: &str = r#"{"alg":"RS256","typ":"JWT"}"#;

/// `header.payload.signature`, each part base64url without padding (RFC
/// 7515's compact form). The token is a credential for its ten minutes, so
/// it is handed back in a wiped buffer.
pub fn sign(key: &AppKey, claims: &Claims) -> Zeroizing<String> {
    let payload = serde_json::to_vec(claims).expect("the claims serialise");
    let mut token = Zeroizing::new(format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(payload)
    ));
    let mut signature = vec![0u8; key.0.public().modulus_len()];
    // PKCS#1 v1.5 padding takes no randomness; ring asks for a source anyway.
    let rng = ring::rand::SystemRandom::new();
    key.0
        .sign(&RSA_PKCS1_SHA256, &rng, token.as_bytes(), &mut signature)
        .expect("a buffer of the modulus' length takes an RS256 signature");
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(&signature));
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-06-01T12:00:00Z".parse().expect("timestamp")
    }

    #[test]
    fn the_claims_backdate_iat_and_stay_within_ten_minutes() {
        let claims = Claims::new("Iv1.abc", now());
        let now = now().as_second();
        assert_eq!(claims.iat, now - 60);
        assert_eq!(claims.exp, now + 540);
        assert!(claims.exp - claims.iat <= 600);
        assert_eq!(
            serde_json::to_string(&claims).expect("json"),
            format!(
                r#"{{"iat":{},"exp":{},"iss":"Iv1.abc"}}"#,
                now - 60,
                now + 540
            )
        );
    }

    #[test]
    fn the_parts_are_base64url_without_padding() {
        // The header is 27 bytes: standard base64 would end in `=`.
        assert_eq!(
            URL_SAFE_NO_PAD.encode(HEADER),
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"
        );
        // Bytes that standard base64 writes as `+` and `/`.
        assert_eq!(URL_SAFE_NO_PAD.encode([0xfb, 0xff]), "-_8");
    }

    #[test]
    fn what_is_not_a_key_is_named_without_its_bytes() {
        let cases = [
            ("hunter2-not-a-key", KeyError::NotPem),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nsecretbytes\n",
                KeyError::NotPem,
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nsecretbytes\n-----END RSA PRIVATE KEY-----\n",
                KeyError::Encrypted,
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nc2VjcmV0\n-----END ENCRYPTED PRIVATE KEY-----\n",
                KeyError::Encrypted,
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0\n-----END OPENSSH PRIVATE KEY-----\n",
                KeyError::OtherKind("OPENSSH PRIVATE KEY".to_string()),
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nsecret*bytes\n-----END RSA PRIVATE KEY-----\n",
                KeyError::NotBase64,
            ),
        ];
        for (pem, want) in cases {
            let error = AppKey::from_pem(pem).expect_err(pem);
            assert_eq!(error, want, "{pem}");
            assert!(!error.to_string().contains("secret"), "{error}");
        }
        let error = AppKey::from_pem(
            "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n",
        )
        .expect_err("not DER");
        assert!(matches!(error, KeyError::Rejected(_)), "{error:?}");
    }
}
