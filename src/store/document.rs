//! The profile document: every variable of one profile with its value and
//! metadata, versioned, serialised as JSON inside the encrypted store.
//! `docs/file-format.md` describes it for people reading a store with `age -d`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::secret::{Secret, VarName};

/// The document's `format` marker, so a decrypted file says what it is.
pub const FORMAT: &str = "bscred-profile";
/// The newest document version this build reads and writes.
pub const VERSION: u32 = 1;

/// The field of a variable in a pending change that says its secret flag
/// was chosen (`--secret`/`--plain`), not guessed; never stored in a store.
const FLAG_GIVEN: &str = "flag_given";

/// All variables of one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub format: String,
    pub version: u32,
    pub variables: BTreeMap<VarName, Variable>,
    /// The changes written beside the store without its identity (see
    /// `file.rs`, "pending") that this document already holds, by file
    /// name: a change whose file outlived a crash is not applied twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_applied: Vec<String>,
    /// Fields this version does not know, kept so that a teammate with an
    /// older bscred does not wipe what a newer one recorded.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// One stored variable.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Variable {
    pub value: Secret,
    /// Secret values are masked in listings and never taken from argv.
    pub secret: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// What GitHub said about this value when it was last verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenFacts>,
    /// How this value (a GitHub user token from `bscred login github`)
    /// is renewed. A credential of the profile, never a variable: nothing
    /// lists, exports or prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshCredential>,
    /// Fields this version does not know (see `Document::extra`).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Variable {
    /// The expiry a reminder is about: for a token bscred refreshes by
    /// itself (every 8 hours), the refresh token's, after which only a new
    /// `bscred login github` helps; otherwise the value's own.
    pub fn reminder_expiry(&self) -> Option<Timestamp> {
        match self.renewal() {
            Some(refresh) => refresh.expires_at,
            None => self.expires_at,
        }
    }

    /// The refresh credential, if it was issued with the value stored now.
    /// A bscred older than the field keeps it as an unknown field when it
    /// stores another value (`set`, `rotate`): renewing would then replace
    /// the user's new token (a PAT, say) with a user token, so such a
    /// credential is ignored and the value is a plain token.
    pub fn renewal(&self) -> Option<&RefreshCredential> {
        self.refresh.as_ref().filter(|r| r.renews(&self.value))
    }
}

/// The refresh token of a GitHub user token, and what it is redeemed
/// with: GitHub's web base for `host` and the App's public client ID. The
/// refresh token works once; each refresh stores the new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshCredential {
    /// The `ghr_…` refresh token (`Debug` shows `[REDACTED]`).
    pub token: Secret,
    /// When the refresh token stops working (about six months after it
    /// was issued); `None` when GitHub did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// The GitHub App's client ID (public, not a secret).
    pub client_id: String,
    /// The GitHub host the token belongs to (`github.com` or a GHES host).
    pub host: String,
    /// The SHA-256 (hex) of the token this credential renews: the
    /// credential belongs to that value only (see `Variable::renewal`).
    /// Missing, it matches no value.
    #[serde(default)]
    pub value_sha256: String,
}

impl RefreshCredential {
    /// The credential for renewing `value`.
    pub fn new(
        token: Secret,
        expires_at: Option<Timestamp>,
        client_id: String,
        host: String,
        value: &Secret,
    ) -> RefreshCredential {
        RefreshCredential {
            token,
            expires_at,
            client_id,
            host,
            value_sha256: fingerprint(value),
        }
    }

    /// Whether this credential was issued with `value`.
    pub fn renews(&self, value: &Secret) -> bool {
        !self.value_sha256.is_empty() && self.value_sha256 == fingerprint(value)
    }
}

/// The SHA-256 of a value, in hex. A hash of a random token says nothing
/// about it, and it is stored encrypted beside the value anyway.
fn fingerprint(value: &Secret) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(value.expose().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What `verify` learned about a token from GitHub. Not secret: it goes to
/// the metadata cache too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFacts {
    /// The GitHub host the token belongs to (`github.com` or a GHES host).
    pub host: String,
    pub login: String,
    /// `classic`, `fine-grained`, `oauth`, … from the token's prefix.
    pub token_type: String,
    /// A classic token's scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    pub verified_at: Timestamp,
    /// GitHub reported no expiry: the token never expires.
    #[serde(default)]
    pub never_expires: bool,
}

/// Why bytes are not a document this build can use. Never quotes the bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("it is not a bscred profile document ({0})")]
    NotADocument(String),
    #[error("it was written by a newer bscred (document version {0}); upgrade bscred to read it")]
    TooNew(u32),
}

/// Says where the document is wrong without serde_json's own message, which
/// quotes the offending input ("invalid type: string \"ghp_…\"") and so
/// could put a value in an error.
fn describe(error: serde_json::Error) -> DocumentError {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Io | Category::Syntax | Category::Eof => "it is not valid JSON",
        Category::Data => "a field is missing, unknown or has the wrong type",
    };
    DocumentError::NotADocument(format!(
        "{what} at line {}, column {}",
        error.line(),
        error.column()
    ))
}

impl Default for Document {
    fn default() -> Self {
        Document {
            format: FORMAT.to_string(),
            version: VERSION,
            variables: BTreeMap::new(),
            pending_applied: Vec::new(),
            extra: BTreeMap::new(),
        }
    }
}

impl Document {
    /// Serialises to JSON in a buffer that is wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut buffer = Zeroizing::new(Vec::with_capacity(4096));
        // Writing to a Vec cannot fail, and every field serialises.
        serde_json::to_writer_pretty(&mut *buffer, self)
            .unwrap_or_else(|_| unreachable!("a document always serialises"));
        buffer.push(b'\n');
        buffer
    }

    /// Parses decrypted bytes, checking the format marker and version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Document, DocumentError> {
        #[derive(Deserialize)]
        struct Header {
            format: String,
            version: u32,
        }
        let header: Header = serde_json::from_slice(bytes).map_err(describe)?;
        if header.format != FORMAT {
            return Err(DocumentError::NotADocument(
                "the format marker is wrong".to_string(),
            ));
        }
        if header.version > VERSION {
            return Err(DocumentError::TooNew(header.version));
        }
        serde_json::from_slice(bytes).map_err(describe)
    }

    /// Stores a value, keeping the creation time of an existing variable.
    /// Sets `name` as `bscred set` does: an expiry belongs to a value, so
    /// the stored one is kept (when `keep_expiry`) only for the same value,
    /// and `expires_at` replaces it. Returns whether an expiry was dropped.
    pub fn set_value(
        &mut self,
        name: VarName,
        value: Secret,
        secret: bool,
        expires_at: Option<Timestamp>,
        keep_expiry: bool,
        now: Timestamp,
    ) -> bool {
        let existing = self.variables.get(&name);
        let kept = existing
            .filter(|v| keep_expiry && v.value.same_as(&value))
            .and_then(|v| v.expires_at);
        let dropped = expires_at.is_none()
            && keep_expiry
            && existing.is_some_and(|v| v.expires_at.is_some() && !v.value.same_as(&value));
        self.upsert(name, value, secret, expires_at.or(kept), now);
        dropped
    }

    /// Marks, in a change written without the identity, that `set` was
    /// told `--secret` or `--plain` for `name`: only then does the change's
    /// flag replace the stored one.
    pub fn mark_flag_given(&mut self, name: &VarName) {
        if let Some(var) = self.variables.get_mut(name) {
            var.extra
                .insert(FLAG_GIVEN.to_string(), serde_json::Value::Bool(true));
        }
    }

    /// Applies a change written without the identity: each of its
    /// variables is set as `bscred set` set it, at the time it was set. A
    /// stored variable keeps its secret flag unless the change was told
    /// otherwise (the flag in a change is a guess made without the
    /// document, and must never turn a secret plain).
    pub fn absorb(&mut self, change: Document) {
        for (name, var) in change.variables {
            let secret = match self.variables.get(&name) {
                Some(stored) if !var.extra.contains_key(FLAG_GIVEN) => stored.secret,
                _ => var.secret,
            };
            self.set_value(
                name,
                var.value,
                secret,
                var.expires_at,
                true,
                var.updated_at,
            );
        }
    }

    pub fn upsert(
        &mut self,
        name: VarName,
        value: Secret,
        secret: bool,
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) {
        let (created_at, extra) = self
            .variables
            .get(&name)
            .map_or((now, BTreeMap::new()), |existing| {
                (existing.created_at, existing.extra.clone())
            });
        self.variables.insert(
            name,
            Variable {
                value,
                secret,
                created_at,
                updated_at: now,
                expires_at,
                token: None,
                // A new value is not the one the refresh token renews;
                // `login` and the refresh set it again after this.
                refresh: None,
                extra,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> VarName {
        s.parse().expect("valid")
    }

    fn secret(s: &str) -> Secret {
        Secret::new(s.into()).expect("valid")
    }

    #[test]
    fn round_trips_every_field() {
        let mut doc = Document::default();
        let t = Timestamp::from_second(1_800_000_000).expect("time");
        doc.upsert(name("A"), secret("x\n\ty"), true, Some(t), t);
        doc.upsert(name("B"), secret(""), false, None, t);
        let back = Document::from_bytes(&doc.to_bytes()).expect("parses");
        assert_eq!(back.variables, doc.variables);
    }

    #[test]
    fn a_refresh_credential_round_trips_and_stores_without_one_read_unchanged() {
        let plain = br#"{"format":"bscred-profile","version":1,"variables":{"A":{"value":"v","secret":true,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}}"#;
        let doc = Document::from_bytes(plain).expect("parses");
        let text = String::from_utf8(doc.to_bytes().to_vec()).expect("utf-8");
        assert!(!text.contains("refresh"), "{text}");
        assert_eq!(Document::from_bytes(text.as_bytes()).expect("again"), doc);

        let mut doc = doc;
        let t = Timestamp::from_second(1_800_000_000).expect("time");
        let credential = RefreshCredential::new(
            secret("ghr_refresh"),
            Some(t),
            "Iv23li".to_string(),
            "github.com".to_string(),
            &secret("v"),
        );
        doc.variables.get_mut(&name("A")).expect("A").refresh = Some(credential.clone());
        let back = Document::from_bytes(&doc.to_bytes()).expect("parses");
        assert_eq!(back.variables[&name("A")].refresh, Some(credential));
        assert!(!format!("{back:?}").contains("ghr_refresh"));
        // A new value is not the one the refresh token renews.
        doc.upsert(name("A"), secret("w"), true, None, t);
        assert_eq!(doc.variables[&name("A")].refresh, None);
    }

    #[test]
    fn a_refresh_credential_renews_only_the_value_it_was_issued_with() {
        let t = Timestamp::from_second(1_800_000_000).expect("time");
        let mut doc = Document::default();
        doc.upsert(name("A"), secret("ghu_first"), true, Some(t), t);
        let credential = RefreshCredential::new(
            secret("ghr_refresh"),
            Some(t),
            "Iv23li".to_string(),
            "github.com".to_string(),
            &secret("ghu_first"),
        );
        doc.variables.get_mut(&name("A")).expect("A").refresh = Some(credential);
        let var = &doc.variables[&name("A")];
        assert!(var.renewal().is_some());
        assert_eq!(var.reminder_expiry(), Some(t));

        // What an older bscred's `set` leaves: a new value (a PAT) with the
        // old credential kept as it was.
        let mut older = var.clone();
        older.value = secret("ghp_a_new_personal_access_token");
        older.expires_at = None;
        assert!(older.renewal().is_none());
        assert_eq!(older.reminder_expiry(), None, "the PAT's own expiry");
        // A credential without the field (written before it existed)
        // renews nothing.
        let mut unmarked = var.clone();
        if let Some(r) = unmarked.refresh.as_mut() {
            r.value_sha256 = String::new();
        }
        assert!(unmarked.renewal().is_none());
        // The hash is not the value.
        let text = String::from_utf8(doc.to_bytes().to_vec()).expect("utf-8");
        assert_eq!(text.matches("ghu_first").count(), 1, "{text}");
    }

    #[test]
    fn fields_from_a_newer_version_survive_a_rewrite() {
        let newer = br#"{"format":"bscred-profile","version":1,"team":"x","variables":{"A":{"value":"v","secret":true,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","login":"octocat"}}}"#;
        let mut doc = Document::from_bytes(newer).expect("parses");
        let t = Timestamp::from_second(5).expect("time");
        doc.upsert(name("A"), secret("w"), true, None, t);
        let text = String::from_utf8(doc.to_bytes().to_vec()).expect("utf-8");
        assert!(text.contains("\"team\": \"x\""), "{text}");
        assert!(text.contains("\"login\": \"octocat\""), "{text}");
    }

    #[test]
    fn absorbing_a_change_follows_the_rules_of_set() {
        let t1 = Timestamp::from_second(1).expect("time");
        let t2 = Timestamp::from_second(2).expect("time");
        let mut doc = Document::default();
        doc.upsert(name("SAME"), secret("s"), true, Some(t2), t1);
        doc.upsert(name("NEW"), secret("old"), true, Some(t2), t1);
        let mut change = Document::default();
        change.upsert(name("SAME"), secret("s"), true, None, t2);
        change.upsert(name("NEW"), secret("new"), false, None, t2);
        change.upsert(name("ADDED"), secret("a"), false, Some(t1), t2);
        doc.absorb(change);
        let var = |n: &str| &doc.variables[&name(n)];
        // The same value keeps its expiry; a new one drops it.
        assert_eq!(var("SAME").expires_at, Some(t2));
        assert_eq!(var("NEW").expires_at, None);
        assert_eq!(var("NEW").value.expose(), "new");
        // The change's flag was a guess: the stored one stands.
        assert!(var("NEW").secret);
        assert_eq!((var("NEW").created_at, var("NEW").updated_at), (t1, t2));
        assert_eq!(var("ADDED").expires_at, Some(t1));

        // A guessed flag never turns a stored secret plain; a chosen one does.
        assert!(var("SAME").secret);
        let mut guessed = Document::default();
        guessed.upsert(name("SAME"), secret("s2"), false, None, t2);
        doc.absorb(guessed);
        assert!(doc.variables[&name("SAME")].secret);
        let mut chosen = Document::default();
        chosen.upsert(name("SAME"), secret("s3"), false, None, t2);
        chosen.mark_flag_given(&name("SAME"));
        doc.absorb(chosen);
        assert!(!doc.variables[&name("SAME")].secret);
        assert!(doc.variables[&name("SAME")].extra.is_empty());
    }

    #[test]
    fn upsert_keeps_created_and_moves_updated() {
        let mut doc = Document::default();
        let t1 = Timestamp::from_second(1).expect("time");
        let t2 = Timestamp::from_second(2).expect("time");
        doc.upsert(name("A"), secret("1"), true, None, t1);
        doc.upsert(name("A"), secret("2"), true, None, t2);
        let var = &doc.variables[&name("A")];
        assert_eq!((var.created_at, var.updated_at), (t1, t2));
        assert_eq!(var.value.expose(), "2");
    }

    #[test]
    fn refuses_other_formats_and_newer_versions_without_quoting_them() {
        let err = Document::from_bytes(b"ghp_leaky not json").expect_err("garbage");
        assert!(!err.to_string().contains("ghp_leaky"));
        let other = br#"{"format":"x","version":1,"variables":{}}"#;
        assert!(matches!(
            Document::from_bytes(other),
            Err(DocumentError::NotADocument(_))
        ));
        let newer = br#"{"format":"bscred-profile","version":99,"variables":{}}"#;
        assert_eq!(
            Document::from_bytes(newer).err(),
            Some(DocumentError::TooNew(99))
        );
    }

    #[test]
    fn numbers_in_unknown_fields_survive_a_rewrite_exactly() {
        // Found by the fuzz target `document` (this input): serde_json's
        // default float parser read "-2.222e+100", as bscred had written it,
        // back one step off, so each rewrite could change a field that a
        // newer version recorded. float_roundtrip (Cargo.toml) fixes it.
        let fuzzed = r#"{"format":"bscred-profile","version":1,"team":"x","ratio":0.1,"n":-22220000000000000000000000000000000000000000000000000000000000000000000000000000009237627654550818356,"nesteAd":{"a":[1,2.5e10,null,true]},"variables":{"A":{"value":"v","secret":true,"created_at":"9946-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00+02:00","login$":"octocaeeeeeeeeeeeeeeeee0eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeet","flag_g\\to{frm\\^\\bt\\^\\\tsion":1,"ven":true}}}"#;
        let reduced = format!(
            r#"{{"format":"bscred-profile","version":1,"variables":{{}},"n":-2222{}}}"#,
            "0".repeat(97)
        );
        for input in [fuzzed, reduced.as_str()] {
            let doc = Document::from_bytes(input.as_bytes()).expect("parses");
            let again = Document::from_bytes(&doc.to_bytes()).expect("parses again");
            assert_eq!(again, doc, "{input}");
        }
    }

    #[test]
    fn bad_names_and_nul_values_inside_a_document_are_refused() {
        let bad_name = br#"{"format":"bscred-profile","version":1,"variables":{"A-B":{"value":"v","secret":true,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}}"#;
        assert!(Document::from_bytes(bad_name).is_err());
        let nul = br#"{"format":"bscred-profile","version":1,"variables":{"A":{"value":"sec\u0000ret","secret":true,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}}"#;
        let err = Document::from_bytes(nul).expect_err("nul refused");
        assert!(!err.to_string().contains("sec"));
        let wrong_type = br#"{"format":"bscred-profile","version":1,"variables":{"A":{"value":"v","secret":"ghp_leak","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}}"#;
        let err = Document::from_bytes(wrong_type).expect_err("wrong type");
        assert!(!err.to_string().contains("ghp_leak"), "{err}");
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
