//! The vault backend: a profile is one KV version 2 secret on a HashiCorp
//! Vault or OpenBao server, one field per variable, so `bao kv get
//! MOUNT/PATH` shows the team exactly what bscred exports. bscred's own
//! metadata (secret/plain, expiry, times, token facts) lives in the sibling
//! secret `MOUNT/PATH.bscred` (KV v2 `custom_metadata` cannot hold it: 64
//! keys of 512 bytes, no check-and-set). `docs/file-format.md` describes both.
//!
//! Others write this store with no lock bscred could take, so every write
//! is a check-and-set on the version that was read: a writer that lost the
//! race reads again and applies its change again, unless a variable it
//! changes was changed meanwhile, which is a conflict (exit 6), never a
//! silent overwrite. When no server answers, `env` and `exec` may use an
//! offline copy of the last successful read, encrypted with age to the
//! user's own identity (`read_for_environment`).

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::document::TokenFacts;
use super::file::FileStore;
use super::vault_login::{LoginRecord, LoginStore};
use super::{Backend, Document, Snapshot, Store, StoreInfo, Variable};
use crate::error::{Error, Result};
use crate::secret::{Secret, VarName};
use crate::vault::{Client, KvSecret, TokenSource, VaultEnv, VaultError};

/// The `format` marker of the metadata secret.
pub const META_FORMAT: &str = "bscred-vault-metadata";
/// The newest metadata version this build reads and writes.
pub const META_VERSION: u32 = 1;
/// The suffix of the metadata secret's path.
pub const META_SUFFIX: &str = ".bscred";
/// The field of an offline copy's document that says when it was read.
const FETCHED_AT: &str = "bscred_offline_fetched_at";
/// Variables per write request: two strings each, and OpenBao refuses a
/// request of more than 1,000 strings by default.
const FIELDS_PER_WRITE: usize = 400;
/// How many times a writer that lost a check-and-set race tries again.
const ATTEMPTS: u32 = 40;
/// How long an offline copy serves by default (the issue: 24 hours).
pub const DEFAULT_OFFLINE_HOURS: u32 = 24;

/// Where a vault-backed profile lives, as `init` recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSettings {
    /// The servers' addresses, tried in order: the only places the token
    /// is ever sent.
    pub addrs: Vec<String>,
    /// The KV version 2 mount (`secret`).
    pub mount: String,
    /// The secret's path under the mount (`teams/backstage`).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A PEM file of the CA certificates the servers' TLS certificates chain to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cacert: Option<String>,
    /// Hours an offline copy may serve `env` and `exec` when no server
    /// answers; 0: never. Unset: 24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_max_hours: Option<u32>,
    /// The names the user accepted for `env` and `exec` (`bscred allow -p`,
    /// or set through bscred): others write this store.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub accepted: BTreeSet<String>,
}

impl VaultSettings {
    /// `MOUNT/PATH`, as `bao kv get` takes it.
    pub fn shown_path(&self) -> String {
        format!("{}/{}", self.mount, self.path)
    }

    fn meta_path(&self) -> String {
        format!("{}{META_SUFFIX}", self.path)
    }
}

/// bscred's metadata for one variable, in the metadata secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct VarMeta {
    secret: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<TokenFacts>,
    #[serde(flatten)]
    extra: BTreeMap<String, serde_json::Value>,
}

/// The metadata secret's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Meta {
    format: String,
    version: u32,
    /// The version of the data secret this metadata was written with: a
    /// later one was written by something else (`bao kv put`, or a writer
    /// killed between its two writes), and its changed values are found by
    /// comparing with this version.
    data_version: u64,
    variables: BTreeMap<String, VarMeta>,
    /// The document's own fields this version does not know.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    document: BTreeMap<String, serde_json::Value>,
    /// The document's `pending_applied` (a copy moved from a file store).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending_applied: Vec<String>,
    #[serde(flatten)]
    extra: BTreeMap<String, serde_json::Value>,
}

impl Meta {
    fn of(doc: &Document, data_version: u64, extra: BTreeMap<String, serde_json::Value>) -> Meta {
        Meta {
            format: META_FORMAT.to_string(),
            version: META_VERSION,
            data_version,
            variables: doc
                .variables
                .iter()
                .map(|(name, var)| (name.to_string(), var_meta(var)))
                .collect(),
            document: doc.extra.clone(),
            pending_applied: doc.pending_applied.clone(),
            extra,
        }
    }
}

fn var_meta(var: &Variable) -> VarMeta {
    VarMeta {
        secret: var.secret,
        created_at: var.created_at,
        updated_at: var.updated_at,
        expires_at: var.expires_at,
        token: var.token.clone(),
        extra: var.extra.clone(),
    }
}

/// One read of both secrets.
struct Fetched {
    doc: Document,
    data_version: u64,
    meta_version: u64,
    /// Whether the data secret's latest version holds data (not deleted).
    data_exists: bool,
    meta_extra: BTreeMap<String, serde_json::Value>,
    exists: bool,
}

impl Fetched {
    fn fingerprint(&self) -> String {
        fingerprint(self.data_version, self.meta_version)
    }
}

fn fingerprint(data: u64, meta: u64) -> String {
    format!("kv:{data}:{meta}")
}

/// The encrypted offline copy of the last successful read, and how long
/// it may serve.
#[derive(Debug)]
pub struct OfflineCopy {
    pub store: FileStore,
    /// `None`: never serve one (the setting is 0).
    pub max_age: Option<SignedDuration>,
}

/// One profile's KV secret.
#[derive(Debug)]
pub struct VaultStore {
    profile: String,
    settings: VaultSettings,
    env: VaultEnv,
    login: Option<LoginStore>,
    offline: Option<OfflineCopy>,
    client: std::sync::OnceLock<(Client, TokenSource)>,
}

impl VaultStore {
    /// The store `settings` describe; `offline` keeps the copy of the last
    /// read (none: no copy is kept). Lock-free and connection-less until
    /// the first call.
    pub fn new(
        profile: &str,
        settings: VaultSettings,
        env: VaultEnv,
        login: Option<LoginStore>,
        offline: Option<OfflineCopy>,
    ) -> VaultStore {
        VaultStore {
            profile: profile.to_string(),
            settings,
            env,
            login,
            offline,
            client: std::sync::OnceLock::new(),
        }
    }

    fn location(&self) -> String {
        format!(
            "{} on {}",
            self.settings.shown_path(),
            self.settings.addrs.join(", ")
        )
    }

    /// The token, from the first place that has one: VAULT_TOKEN/BAO_TOKEN,
    /// `bscred vault login`, Vault's token helper file.
    pub fn token(&self) -> Result<(SecretString, TokenSource)> {
        if let Some(token) = &self.env.token {
            return Ok((token.clone(), TokenSource::Environment));
        }
        if let Some(login) = &self.login
            && let Some(token) = login.token()?
        {
            return Ok((token, TokenSource::Login));
        }
        if let Some(file) = &self.env.helper_file
            && let Ok(text) = std::fs::read_to_string(file).map(Zeroizing::new)
            && !text.trim().is_empty()
        {
            return Ok((
                SecretString::from(text.trim().to_string()),
                TokenSource::HelperFile,
            ));
        }
        Err(Error::from(VaultError::NoToken {
            helper: self
                .env
                .helper_file
                .as_ref()
                .map_or("~/.vault-token".to_string(), |p| p.display().to_string()),
        }))
    }

    /// The client, made on first use.
    pub fn client(&self) -> Result<&(Client, TokenSource)> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let (token, source) = self.token()?;
        let client = Client::new(
            &self.settings.addrs,
            self.settings.namespace.as_deref(),
            self.settings.cacert.as_deref(),
            token,
            self.env.timeout,
        )
        .map_err(Error::from)?;
        if source == TokenSource::Login {
            self.renew_if_due(&client);
        }
        Ok(self.client.get_or_init(|| (client, source)))
    }

    /// Renews a stored login token with less than half its lease left, and
    /// records the new expiry. A renewal that fails changes nothing: the
    /// token works until it expires, and the reminders say when.
    fn renew_if_due(&self, client: &Client) {
        let Some(login) = &self.login else { return };
        let Some(record) = login.record() else { return };
        if !record.due(self.env.now) {
            return;
        }
        if let Ok(lease) = client.renew_self() {
            let _ = login.write_record(&record.renewed(self.env.now, lease));
        }
    }

    /// The stored login's record, if the token in use comes from it
    /// (read without decrypting or asking the server).
    pub fn login_record(&self) -> Option<LoginRecord> {
        if self.env.token.is_some() {
            return None;
        }
        self.login.as_ref().and_then(LoginStore::record)
    }

    /// The stored login of this profile, if it keeps one.
    pub fn login_store(&self) -> Option<&LoginStore> {
        self.login.as_ref()
    }

    /// Where the token would come from, without decrypting anything: for
    /// `status`.
    pub fn token_source_offline(&self) -> Option<TokenSource> {
        if self.env.token.is_some() {
            return Some(TokenSource::Environment);
        }
        if self.login.as_ref().and_then(LoginStore::record).is_some() {
            return Some(TokenSource::Login);
        }
        self.env
            .helper_file
            .as_ref()
            .filter(|f| f.is_file())
            .map(|_| TokenSource::HelperFile)
    }

    /// Runs `call` against the server; a 401/403 deletes the offline copy
    /// (it was made with access the server no longer grants).
    fn with_client<T>(
        &self,
        call: impl FnOnce(&Client) -> std::result::Result<T, VaultError>,
    ) -> Result<T> {
        let (client, _) = self.client()?;
        call(client).map_err(|e| {
            if e.is_denied() {
                self.drop_offline_copy();
            }
            Error::from(e)
        })
    }

    fn drop_offline_copy(&self) {
        if let Some(offline) = &self.offline {
            let path = std::path::PathBuf::from(offline.store.info().location);
            let _ = std::fs::remove_file(path);
        }
    }

    fn corrupt(&self, reason: String) -> Error {
        Error::Corrupt {
            path: self.settings.meta_path().into(),
            reason,
        }
    }

    /// Reads both secrets and puts the document together.
    fn fetch(&self) -> Result<Fetched> {
        let s = &self.settings;
        let data: KvSecret<BTreeMap<String, Secret>> =
            self.with_client(|c| c.kv_read(&s.mount, &s.path, None))?;
        let (meta_version, parsed, meta_exists) = self.read_meta()?;
        let exists = data.fields.is_some() || meta_exists;
        let data_present = data.fields.is_some();
        // Values someone changed without bscred (`bao kv put`): found by
        // comparing with the version bscred last wrote metadata for.
        let older = match &parsed {
            Some(m) if m.data_version < data.version && m.data_version > 0 => {
                let old: KvSecret<BTreeMap<String, Secret>> =
                    self.with_client(|c| c.kv_read(&s.mount, &s.path, Some(m.data_version)))?;
                old.fields
            }
            _ => None,
        };
        let written_at = data.created_time.unwrap_or(self.env.now);
        let mut doc = Document::default();
        let mut meta_extra = BTreeMap::new();
        let mut metas = BTreeMap::new();
        if let Some(m) = parsed {
            doc.extra = m.document;
            doc.pending_applied = m.pending_applied;
            meta_extra = m.extra;
            metas = m.variables;
        }
        for (field, value) in data.fields.unwrap_or_default() {
            // A field whose name is no variable name (someone's `bao kv
            // put`) is not bscred's to export; writes patch only the
            // fields they change, so it stays as it is.
            let Ok(name) = field.parse::<VarName>() else {
                continue;
            };
            let changed_elsewhere = older
                .as_ref()
                .is_some_and(|old| old.get(&field).is_none_or(|before| !before.same_as(&value)));
            let var = match metas.remove(&field) {
                Some(m) if !changed_elsewhere => Variable {
                    value,
                    secret: m.secret,
                    created_at: m.created_at,
                    updated_at: m.updated_at,
                    expires_at: m.expires_at,
                    token: m.token,
                    // Never kept in a shared Vault secret (`login github`
                    // refuses a vault-backed profile).
                    refresh: None,
                    extra: m.extra,
                },
                // A value bscred did not write: its flag as recorded (or
                // guessed from the name), its time the version's, and no
                // expiry (an expiry belongs to a value).
                found => Variable {
                    secret: found.as_ref().map_or(name.looks_secret(), |m| m.secret),
                    created_at: found.as_ref().map_or(written_at, |m| m.created_at),
                    updated_at: written_at,
                    expires_at: None,
                    token: None,
                    refresh: None,
                    extra: BTreeMap::new(),
                    value,
                },
            };
            doc.variables.insert(name, var);
        }
        Ok(Fetched {
            doc,
            data_version: data.version,
            meta_version,
            data_exists: data_present,
            meta_extra,
            exists,
        })
    }

    /// The metadata secret: its version, its content if bscred's, and
    /// whether it exists.
    fn read_meta(&self) -> Result<(u64, Option<Meta>, bool)> {
        let s = &self.settings;
        let meta: KvSecret<BTreeMap<String, serde_json::Value>> =
            self.with_client(|c| c.kv_read(&s.mount, &s.meta_path(), None))?;
        let Some(fields) = meta.fields else {
            return Ok((meta.version, None, false));
        };
        if fields.get("format").and_then(|f| f.as_str()) != Some(META_FORMAT) {
            return Err(self.corrupt("its format marker is not bscred's".to_string()));
        }
        let text = fields
            .get("metadata")
            .and_then(|m| m.as_str())
            .ok_or_else(|| self.corrupt("it has no metadata field".to_string()))?;
        #[derive(Deserialize)]
        struct Header {
            version: u32,
        }
        let header: Header = serde_json::from_str(text)
            .map_err(|_| self.corrupt("its metadata field is not bscred's JSON".to_string()))?;
        if header.version > META_VERSION {
            return Err(Error::TooNew {
                path: s.meta_path().into(),
                version: header.version,
            });
        }
        let parsed: Meta = serde_json::from_str(text).map_err(|e| {
            self.corrupt(format!(
                "a field is missing or has the wrong type (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        Ok((meta.version, Some(parsed), true))
    }

    /// Writes the values of `changed` names in `doc` (a removed one as
    /// `null`) over the data secret at `version`: a few hundred fields per
    /// request, each a check-and-set on the version before it. `None`:
    /// another writer got in first (the caller reads again; chunks already
    /// written are then found in place).
    fn write_data(
        &self,
        doc: &Document,
        changed: &[String],
        mut version: u64,
        mut exists: bool,
    ) -> Result<Option<u64>> {
        let s = &self.settings;
        for chunk in changed.chunks(FIELDS_PER_WRITE) {
            let fields: BTreeMap<&str, Option<&Secret>> = chunk
                .iter()
                .map(|n| {
                    let value = n
                        .parse::<VarName>()
                        .ok()
                        .and_then(|name| doc.variables.get(&name))
                        .map(|var| &var.value);
                    (n.as_str(), value)
                })
                // A new secret is written whole: nothing to remove.
                .filter(|(_, v)| exists || v.is_some())
                .collect();
            let mut body = Zeroizing::new(Vec::with_capacity(64 * fields.len() + 2));
            serde_json::to_writer(&mut *body, &fields)
                .unwrap_or_else(|_| unreachable!("strings always serialise"));
            let written = if exists {
                self.with_client(|c| c.kv_patch(&s.mount, &s.path, &body, version))?
            } else {
                self.with_client(|c| c.kv_write(&s.mount, &s.path, &body, version))?
            };
            match written {
                Some(v) => {
                    version = v;
                    exists = true;
                }
                None => return Ok(None),
            }
        }
        Ok(Some(version))
    }

    /// Writes the metadata for `doc` after its data went in as
    /// `data_version`. Another writer's metadata that landed meanwhile is
    /// kept, with this write's `touched` names laid over it.
    fn write_meta(
        &self,
        doc: &Document,
        touched: &BTreeSet<String>,
        data_version: u64,
        mut meta_version: u64,
        extra: BTreeMap<String, serde_json::Value>,
    ) -> Result<u64> {
        let s = &self.settings;
        let mut meta = Meta::of(doc, data_version, extra);
        for _ in 0..ATTEMPTS {
            // One string field: a server takes a bounded number of strings
            // per request, and a 1,000-variable profile's metadata as JSON
            // fields would pass it.
            let text = serde_json::to_string(&meta).unwrap_or_else(|_| unreachable!("serialises"));
            let body = serde_json::to_vec(&serde_json::json!({
                "format": META_FORMAT,
                "metadata": text,
            }))
            .unwrap_or_else(|_| unreachable!("serialises"));
            if let Some(v) =
                self.with_client(|c| c.kv_write(&s.mount, &s.meta_path(), &body, meta_version))?
            {
                return Ok(v);
            }
            let (version, theirs, _) = self.read_meta()?;
            meta_version = version;
            if let Some(mut merged) = theirs {
                for name in touched {
                    match meta.variables.get(name) {
                        Some(mine) => merged.variables.insert(name.clone(), mine.clone()),
                        None => merged.variables.remove(name),
                    };
                }
                merged.data_version = merged.data_version.max(data_version);
                merged.document = doc.extra.clone();
                merged.pending_applied = doc.pending_applied.clone();
                meta = merged;
            }
        }
        Err(self.busy())
    }

    fn busy(&self) -> Error {
        Error::ChangedMeanwhile {
            what: format!("the Vault secret {}", self.settings.shown_path()),
            outcome: format!("bscred gave up after {ATTEMPTS} tries to write its change"),
            hint: Some("others are writing it right now: run the command again".to_string()),
        }
    }

    /// Keeps `doc` as the offline copy, encrypted to the user's identity.
    /// A copy that cannot be written is not an error: the server has the
    /// data, and the next read tries again.
    fn keep_offline_copy(&self, doc: &Document) {
        let Some(offline) = &self.offline else {
            return;
        };
        if offline.max_age.is_none() {
            return;
        }
        let mut copy = doc.clone();
        copy.extra.insert(
            FETCHED_AT.to_string(),
            serde_json::Value::String(self.env.now.to_string()),
        );
        let path = std::path::PathBuf::from(offline.store.info().location);
        if let Some(dir) = path.parent() {
            let _ = crate::private_fs::ensure_dir(dir);
        }
        let _ = offline.store.replace(&copy);
    }

    /// The offline copy and when it was read, if it may serve now.
    fn offline_copy(&self, unreachable: VaultError) -> Result<(Snapshot, Timestamp)> {
        let Some(offline) = &self.offline else {
            return Err(Error::from(unreachable));
        };
        let Some(max_age) = offline.max_age else {
            return Err(Error::VaultOffline {
                cause: Box::new(unreachable),
                why: "offline copies are turned off for this profile".to_string(),
            });
        };
        if !offline.store.exists()? {
            return Err(Error::VaultOffline {
                cause: Box::new(unreachable),
                why: "there is no offline copy yet (one is kept after every successful read)"
                    .to_string(),
            });
        }
        let Snapshot { mut doc, .. } = offline.store.read()?;
        let fetched_at = doc
            .extra
            .remove(FETCHED_AT)
            .and_then(|v| v.as_str().and_then(|t| t.parse::<Timestamp>().ok()))
            .ok_or_else(|| Error::Corrupt {
                path: offline.store.info().location.into(),
                reason: "it does not say when it was read".to_string(),
            })?;
        let age = self.env.now.duration_since(fetched_at);
        if age > max_age {
            return Err(Error::VaultOffline {
                cause: Box::new(unreachable),
                why: format!(
                    "the offline copy is {} old, older than the {} allowed",
                    human(age),
                    human(max_age)
                ),
            });
        }
        Ok((
            Snapshot {
                doc,
                fingerprint: None,
            },
            fetched_at,
        ))
    }

    /// The token's source, for `status` (without asking the server).
    pub fn token_source(&self) -> Option<TokenSource> {
        self.token().ok().map(|(_, source)| source)
    }

    /// What the server says about the token in use.
    pub fn token_facts(&self) -> Result<crate::vault::TokenFacts> {
        self.with_client(Client::lookup_self)
    }

    /// Renews the token in use; the lease it now has, in seconds.
    pub fn renew_token(&self) -> Result<u64> {
        self.with_client(Client::renew_self)
    }

    /// A client for `bscred vault login`: the profile's addresses, and no
    /// token yet.
    pub fn login_client(&self) -> Result<Client> {
        Client::new(
            &self.settings.addrs,
            self.settings.namespace.as_deref(),
            self.settings.cacert.as_deref(),
            SecretString::from(String::new()),
            self.env.timeout,
        )
        .map_err(Error::from)
    }

    /// The run's clock.
    pub fn now(&self) -> Timestamp {
        self.env.now
    }

    /// Whether VAULT_TOKEN/BAO_TOKEN is set (it comes before a login).
    pub fn token_from_environment(&self) -> bool {
        self.env.token.is_some()
    }

    /// Forgets this machine's copy of the secret (the offline copy), for
    /// `profiles rm` and a move away. The secret on the server is the
    /// team's and stays: removing one's own profile never deletes it.
    pub fn forget_here(&self) {
        self.drop_offline_copy();
    }

    /// The settings this store was opened with.
    pub fn settings(&self) -> &VaultSettings {
        &self.settings
    }
}

/// A duration as people read it: "3 h 20 min", "2 d 4 h".
pub fn human(d: SignedDuration) -> String {
    let minutes = d.as_secs().max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, h) => format!("{h} h {mins} min"),
        (d, h) => format!("{d} d {h} h"),
    }
}

/// The names whose variable differs between `a` and `b` (added, removed or
/// changed in any field).
fn differing(a: &Document, b: &Document) -> BTreeSet<String> {
    let names: BTreeSet<&VarName> = a.variables.keys().chain(b.variables.keys()).collect();
    names
        .into_iter()
        .filter(|n| a.variables.get(*n) != b.variables.get(*n))
        .map(|n| n.to_string())
        .collect()
}

/// Whether another writer changed `name` between `base` and `now`: its value
/// or its presence (a flag or time alone is not a conflict of values).
fn changed_value(base: &Document, now: &Document, name: &str) -> bool {
    let Ok(name) = name.parse::<VarName>() else {
        return false;
    };
    match (base.variables.get(&name), now.variables.get(&name)) {
        (None, None) => false,
        (Some(a), Some(b)) => !a.value.same_as(&b.value),
        _ => true,
    }
}

impl Store for VaultStore {
    fn info(&self) -> StoreInfo {
        StoreInfo {
            backend: Backend::Vault,
            location: self.location(),
        }
    }

    fn exists(&self) -> Result<bool> {
        Ok(self.fetch()?.exists)
    }

    fn create(&self, doc: &Document) -> Result<()> {
        let fetched = self.fetch()?;
        if fetched.exists {
            return Err(Error::StoreExists {
                location: self.location(),
            });
        }
        let names: Vec<String> = doc.variables.keys().map(ToString::to_string).collect();
        let Some(version) =
            self.write_data(doc, &names, fetched.data_version, fetched.data_exists)?
        else {
            return Err(Error::StoreExists {
                location: self.location(),
            });
        };
        let touched = doc.variables.keys().map(ToString::to_string).collect();
        self.write_meta(
            doc,
            &touched,
            version,
            fetched.meta_version,
            BTreeMap::new(),
        )?;
        Ok(())
    }

    fn read(&self) -> Result<Snapshot> {
        let fetched = self.fetch()?;
        if !fetched.exists {
            return Err(Error::StoreMissing {
                profile: self.profile.clone(),
                location: self.location(),
            });
        }
        self.keep_offline_copy(&fetched.doc);
        Ok(Snapshot {
            fingerprint: Some(fetched.fingerprint()),
            doc: fetched.doc,
        })
    }

    fn update(&self, edit: &mut dyn FnMut(&mut Document) -> Result<()>) -> Result<Snapshot> {
        let s = &self.settings;
        // What the first try read, and the names its edit changed: on a
        // later try, another writer's change to one of them is a conflict.
        let mut first: Option<(Document, BTreeSet<String>)> = None;
        // What the last try meant to write: a write that went through although
        // its answer was lost (a 5xx, a leader change) is found as already
        // there, not taken for someone else's change.
        let mut intended: Option<Document> = None;
        for attempt in 0..ATTEMPTS {
            let fetched = self.fetch()?;
            if !fetched.exists {
                return Err(Error::StoreMissing {
                    profile: self.profile.clone(),
                    location: self.location(),
                });
            }
            if let Some((base, touched)) = &first
                && let Some(name) = touched.iter().find(|name| {
                    changed_value(base, &fetched.doc, name)
                        && intended
                            .as_ref()
                            .is_none_or(|mine| changed_value(mine, &fetched.doc, name))
                })
            {
                return Err(Error::Conflict {
                    name: name.clone(),
                    place: format!("the Vault secret {}", s.shown_path()),
                });
            }
            let mut doc = fetched.doc.clone();
            edit(&mut doc)?;
            let mut touched = differing(&fetched.doc, &doc);
            if touched.is_empty() && doc.extra == fetched.doc.extra {
                self.keep_offline_copy(&doc);
                return Ok(Snapshot {
                    fingerprint: Some(fetched.fingerprint()),
                    doc,
                });
            }
            match &mut first {
                None => first = Some((fetched.doc.clone(), touched.clone())),
                Some((_, before)) => {
                    before.extend(touched.iter().cloned());
                    touched = before.clone();
                }
            }
            intended = Some(doc.clone());
            // Only values that changed go to the data secret (a flag or an
            // expiry is metadata): fields others added are never touched.
            let changed: Vec<String> = touched
                .iter()
                .filter(|n| changed_value(&fetched.doc, &doc, n))
                .cloned()
                .collect();
            let written = if changed.is_empty() {
                Some(fetched.data_version)
            } else {
                self.write_data(&doc, &changed, fetched.data_version, fetched.data_exists)?
            };
            let Some(data_version) = written else {
                // Someone wrote first: read again, apply again. A short
                // pause, longer each time and different per process, so
                // that writers racing in step fall out of step.
                let jitter = u64::from(std::process::id() % 7) * 3;
                std::thread::sleep(std::time::Duration::from_millis(
                    5 + u64::from(attempt.min(10)) * 10 + jitter,
                ));
                continue;
            };
            let meta_version = self.write_meta(
                &doc,
                &touched,
                data_version,
                fetched.meta_version,
                fetched.meta_extra,
            )?;
            self.keep_offline_copy(&doc);
            return Ok(Snapshot {
                fingerprint: Some(fingerprint(data_version, meta_version)),
                doc,
            });
        }
        Err(self.busy())
    }

    fn read_for_environment(&self) -> Result<(Snapshot, Option<Timestamp>)> {
        match self.read() {
            Ok(snapshot) => Ok((snapshot, None)),
            Err(Error::Vault(e)) if matches!(*e, VaultError::Unreachable { .. }) => {
                let (snapshot, at) = self.offline_copy(*e)?;
                Ok((snapshot, Some(at)))
            }
            Err(e) => Err(e),
        }
    }

    /// Nothing to re-encrypt: the server encrypts its storage itself.
    fn rewrite(&self) -> Result<Snapshot> {
        self.read()
    }

    /// Unknown without asking the server.
    fn fingerprint(&self) -> Option<String> {
        None
    }

    fn changes_elsewhere(&self) -> bool {
        true
    }
}
