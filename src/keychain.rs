//! The OS keychain through the keyring-rs project (`keyring-core` and a store
//! crate per platform): Secret Service on Linux, the macOS keychain, the
//! Windows credential manager. Every call is bounded by a timeout, since a
//! hung D-Bus must not hang `yarn dev`, and every failure is sorted into the
//! few cases a user can act on.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, mpsc};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};
use zeroize::Zeroizing;

/// The service name every bscred item carries.
pub const SERVICE: &str = "bscred";

/// Seconds a keychain call may take before bscred gives up on it.
pub const TIMEOUT_VAR: &str = "BSCRED_KEYCHAIN_TIMEOUT";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Windows' credential manager holds at most 2,560 bytes per item.
#[cfg(windows)]
const MAX_ITEM_BYTES: Option<usize> = Some(2560);
#[cfg(not(windows))]
const MAX_ITEM_BYTES: Option<usize> = None;

/// What went wrong, in the terms a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No D-Bus session bus to talk to (Linux).
    NoBus,
    /// A session bus, but no Secret Service on it (Linux).
    NoService,
    /// The keyring is locked.
    Locked,
    /// An unlock prompt was dismissed.
    Dismissed,
    /// The keychain is locked and may not ask to be unlocked here (macOS
    /// without a user interface: an SSH session, a daemon).
    NoInteraction,
    /// No answer within the timeout.
    TimedOut,
    /// The item would be larger than the platform allows.
    TooLarge,
    /// Several items match one of bscred's (another program added one).
    Ambiguous,
    /// Anything else the platform reported.
    Other,
}

/// A keychain failure. The message never holds a stored value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KeychainError {
    pub failure: Failure,
    pub message: String,
}

impl KeychainError {
    fn new(failure: Failure, message: impl Into<String>) -> Self {
        KeychainError {
            failure,
            message: message.into(),
        }
    }
}

/// What `Keychain::presence` learned, without reading an item or unlocking
/// anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// The keychain answers; its lock state was not asked (macOS and
    /// Windows, where asking could itself show a dialog or means nothing).
    Answers,
    /// A Secret Service answers and its default collection is unlocked.
    Unlocked,
    /// A Secret Service answers and its default collection is locked: the
    /// first command that reads the keychain will ask to unlock it.
    Locked,
    /// A Secret Service answers but has no default collection: the first
    /// write will have to create one (another prompt).
    NoDefaultCollection,
}

/// Access to the OS keychain with a deadline on every call.
#[derive(Debug, Clone, Copy)]
pub struct Keychain {
    timeout: Duration,
    /// Whether there is a session bus to reach the keychain on: a D-Bus
    /// session on Linux; always, elsewhere.
    session_bus: bool,
}

impl Keychain {
    /// The keychain with the timeout `timeout` gives (the value of
    /// `BSCRED_KEYCHAIN_TIMEOUT`: seconds, fractions allowed), else 5
    /// seconds; `session_bus` says whether the context found a bus.
    pub fn new(timeout: Option<&str>, session_bus: bool) -> Result<Keychain, String> {
        let timeout = match timeout {
            Some(text) if !text.is_empty() => text
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s <= 600.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    format!("{TIMEOUT_VAR} must be a number of seconds between 0 and 600")
                })?,
            _ => DEFAULT_TIMEOUT,
        };
        Ok(Keychain {
            timeout,
            session_bus,
        })
    }

    /// The timeout in force.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether a keychain answers and can store: writes, reads and deletes
    /// a throwaway item. (A lookup alone passes on a daemon with no usable
    /// collection, or a locked one, where the first real write would fail.)
    pub fn probe(&self) -> Result<(), KeychainError> {
        // One account per process: parallel probes must not see or delete
        // each other's item.
        let account = format!("probe:{}", std::process::id());
        self.set(
            &account,
            "bscred: availability check (safe to delete)",
            b"probe",
        )?;
        let read = self.get(&account)?;
        self.delete(&account)?;
        match read {
            Some(bytes) if bytes.as_slice() == b"probe" => Ok(()),
            _ => Err(KeychainError::new(
                Failure::Other,
                "the keychain did not give back what was stored",
            )),
        }
    }

    /// Whether a keychain answers, and whether it is locked, learned in a way
    /// that can never show an unlock prompt: `doctor` must not pop up a
    /// password dialog. On Linux: a session with the Secret Service, the
    /// `default` alias and the collection's `Locked` property, which the
    /// spec lets any client read; no item is searched for or read (a search
    /// that finds a locked item makes the store ask to unlock it).
    /// Elsewhere: only that the platform's store opens.
    pub fn presence(&self) -> Result<Presence, KeychainError> {
        self.bounded(platform_presence)
    }

    /// The bytes stored under `account`, or `None`.
    pub fn get(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeychainError> {
        let account = account.to_string();
        self.bounded(move || {
            let entry = entry(&account, None)?;
            match entry.get_secret() {
                Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(classify(e)),
            }
        })
    }

    /// Stores `bytes` under `account`, replacing what was there, with a
    /// label a person recognises in Seahorse or Keychain Access.
    pub fn set(&self, account: &str, label: &str, bytes: &[u8]) -> Result<(), KeychainError> {
        if let Some(limit) = MAX_ITEM_BYTES.filter(|limit| bytes.len() > *limit) {
            return Err(too_large(bytes.len(), limit));
        }
        let account = account.to_string();
        let label = label.to_string();
        let bytes = Zeroizing::new(bytes.to_vec());
        self.bounded(move || {
            entry(&account, Some(&label))?
                .set_secret(&bytes)
                .map_err(classify)
        })
    }

    /// Deletes the item under `account`; `false` when there was none.
    pub fn delete(&self, account: &str) -> Result<bool, KeychainError> {
        let account = account.to_string();
        self.bounded(move || match entry(&account, None)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(classify(e)),
        })
    }

    /// Runs `call` on a thread of its own and waits at most the timeout. A
    /// call that overruns is abandoned; the process ends soon after anyway.
    fn bounded<T: Send + 'static>(
        &self,
        call: impl FnOnce() -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, KeychainError> {
        // Fails fast, with a message that says so, when there is nothing
        // to connect to.
        if !self.session_bus {
            return Err(KeychainError::new(
                Failure::NoBus,
                "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
            ));
        }
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("keychain".into())
            .spawn(move || {
                let _ = tx.send(call());
            })
            .map_err(|e| {
                KeychainError::new(Failure::Other, format!("cannot start a thread: {e}"))
            })?;
        match rx.recv_timeout(self.timeout) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(KeychainError::new(
                Failure::TimedOut,
                format!(
                    "the keychain did not answer within {:?} (a write may still complete)",
                    self.timeout
                ),
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(KeychainError::new(
                Failure::Other,
                "the keychain call failed unexpectedly",
            )),
        }
    }
}

/// The error for a document too large for one item. Splitting it across
/// items would make a partial write possible; refusing keeps every write
/// whole, and the file backend has no such limit.
pub fn too_large(len: usize, limit: usize) -> KeychainError {
    KeychainError::new(
        Failure::TooLarge,
        format!("the profile is {len} bytes, and this keychain holds at most {limit} per item"),
    )
}

/// The process-wide connection to the platform's store, made once (a D-Bus
/// connection on Linux) on the first call's thread.
fn store() -> Result<Arc<CredentialStore>, KeychainError> {
    static STORE: OnceLock<Arc<CredentialStore>> = OnceLock::new();
    if let Some(store) = STORE.get() {
        return Ok(store.clone());
    }
    let store = platform_store()?;
    Ok(STORE.get_or_init(|| store).clone())
}

fn entry(account: &str, label: Option<&str>) -> Result<Entry, KeychainError> {
    let store = store()?;
    let result = match label.filter(|_| cfg!(target_os = "linux")) {
        // Only the Secret Service store takes a label modifier.
        Some(label) => Entry::new_in_store_with_modifiers(
            &store,
            SERVICE,
            account,
            &HashMap::from([("label", label)]),
        ),
        None => Entry::new_in_store(&store, SERVICE, account),
    };
    result.map_err(classify)
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>, KeychainError> {
    let store = zbus_secret_service_keyring_store::Store::new().map_err(classify)?;
    Ok(store)
}

#[cfg(target_os = "linux")]
fn platform_presence() -> Result<Presence, KeychainError> {
    use secret_service::blocking::SecretService;
    use secret_service::{EncryptionType, Error as S};
    let sorted = |error: S| {
        let failure = platform_failure(&error);
        KeychainError::new(failure, message(failure, &error.to_string()))
    };
    // Plain: no secret crosses this session, so no key exchange is needed.
    let service = SecretService::connect(EncryptionType::Plain).map_err(sorted)?;
    match service.get_default_collection() {
        Ok(collection) => Ok(if collection.is_locked().map_err(sorted)? {
            Presence::Locked
        } else {
            Presence::Unlocked
        }),
        Err(S::NoResult) => Ok(Presence::NoDefaultCollection),
        Err(error) => Err(sorted(error)),
    }
}

#[cfg(not(target_os = "linux"))]
fn platform_presence() -> Result<Presence, KeychainError> {
    store().map(|_| Presence::Answers)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, KeychainError> {
    let store = apple_native_keyring_store::keychain::Store::new().map_err(classify)?;
    Ok(store)
}

#[cfg(windows)]
fn platform_store() -> Result<Arc<CredentialStore>, KeychainError> {
    let store = windows_native_keyring_store::Store::new().map_err(classify)?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn platform_store() -> Result<Arc<CredentialStore>, KeychainError> {
    Err(KeychainError::new(
        Failure::Other,
        "bscred has no keychain support on this platform",
    ))
}

/// Sorts a platform error into a `Failure`. On Linux the store wraps the
/// secret-service crate's errors, which say locked, dismissed or missing.
fn classify(error: keyring_core::Error) -> KeychainError {
    use keyring_core::Error as K;
    let text = error.to_string();
    let failure = match &error {
        K::NoStorageAccess(inner) | K::PlatformFailure(inner) => platform_failure(inner.as_ref()),
        K::TooLong(..) => Failure::TooLarge,
        K::Ambiguous(_) => Failure::Ambiguous,
        _ => Failure::Other,
    };
    KeychainError::new(failure, message(failure, &text))
}

/// What a user reads for each failure; `text` is the platform's own words.
fn message(failure: Failure, text: &str) -> String {
    let macos = cfg!(target_os = "macos");
    match failure {
        Failure::NoBus => "cannot connect to the D-Bus session bus".to_string(),
        Failure::NoService if macos => "there is no default keychain to use".to_string(),
        Failure::NoService => "no Secret Service answers on the session bus".to_string(),
        Failure::Locked if macos => "the keychain is locked".to_string(),
        Failure::Dismissed if macos => "the keychain's password prompt was cancelled".to_string(),
        Failure::Locked | Failure::Dismissed => {
            "the keyring is locked (its unlock prompt was dismissed or could not be shown)"
                .to_string()
        }
        Failure::NoInteraction => {
            "the keychain is locked and cannot ask to be unlocked here (no user interface, as over SSH)"
                .to_string()
        }
        Failure::Ambiguous => "more than one keychain item matches bscred's item".to_string(),
        _ => format!("the keychain failed: {text}"),
    }
}

/// How the macOS Security framework's result codes (`OSStatus`, from
/// `SecBase.h`) sort into failures. "Item not found" (-25300) never gets
/// here: the store reports it as no entry, which `get` returns as `None`.
#[cfg(any(target_os = "macos", test))]
fn macos_failure(status: i32) -> Failure {
    match status {
        // errSecUserCanceled: the user pressed Cancel at the password prompt.
        -128 => Failure::Dismissed,
        // errSecAuthFailed: the keychain's password was not given correctly.
        -25293 => Failure::Locked,
        // errSecInteractionNotAllowed, errSecInteractionRequired: locked,
        // and no dialog may be shown from this session.
        -25308 | -25315 => Failure::NoInteraction,
        // errSecNotAvailable, errSecNoSuchKeychain, errSecNoDefaultKeychain.
        -25291 | -25294 | -25307 => Failure::NoService,
        _ => Failure::Other,
    }
}

#[cfg(target_os = "linux")]
fn platform_failure(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> Failure {
    use secret_service::Error as S;
    match inner.downcast_ref::<S>() {
        Some(S::Locked) => Failure::Locked,
        Some(S::Prompt | S::PromptDisconnected) => Failure::Dismissed,
        Some(S::Unavailable) => Failure::NoService,
        Some(S::Zbus(_) | S::ZbusFdo(_)) | None => {
            // zbus is not a direct dependency: its errors are told apart
            // by the D-Bus error names and messages they carry.
            let text = inner.to_string();
            if text.contains("ServiceUnknown") || text.contains("not provided by any .service") {
                Failure::NoService
            } else if text.contains("Failed to connect") || text.contains("Address") {
                Failure::NoBus
            } else {
                Failure::Other
            }
        }
        Some(_) => Failure::Other,
    }
}

/// On macOS the store wraps the Security framework's error, whose code
/// says cancelled, locked or not allowed to ask.
#[cfg(target_os = "macos")]
fn platform_failure(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> Failure {
    inner
        .downcast_ref::<security_framework::base::Error>()
        .map_or(Failure::Other, |error| macos_failure(error.code()))
}

/// Windows' Credential Manager reports nothing a user could act on
/// differently: its failures are shown in its own words.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn platform_failure(_inner: &(dyn std::error::Error + Send + Sync + 'static)) -> Failure {
    Failure::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_names_both_sizes() {
        let error = too_large(3000, 2560);
        assert_eq!(error.failure, Failure::TooLarge);
        assert!(error.message.contains("3000") && error.message.contains("2560"));
    }

    #[test]
    fn macos_result_codes_are_sorted() {
        assert_eq!(macos_failure(-128), Failure::Dismissed);
        assert_eq!(macos_failure(-25293), Failure::Locked);
        assert_eq!(macos_failure(-25308), Failure::NoInteraction);
        assert_eq!(macos_failure(-25315), Failure::NoInteraction);
        assert_eq!(macos_failure(-25307), Failure::NoService);
        assert_eq!(macos_failure(-25294), Failure::NoService);
        assert_eq!(macos_failure(-25291), Failure::NoService);
        // errSecDuplicateItem, wrPermErr: reported in the platform's words.
        assert_eq!(macos_failure(-25299), Failure::Other);
        assert_eq!(macos_failure(-61), Failure::Other);
    }

    #[test]
    fn no_interaction_says_why_nothing_was_asked() {
        let text = message(Failure::NoInteraction, "ignored");
        assert!(text.contains("cannot ask"), "{text}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn secret_service_errors_are_sorted() {
        let sorted = |e: secret_service::Error| platform_failure(&e);
        assert_eq!(sorted(secret_service::Error::Locked), Failure::Locked);
        assert_eq!(sorted(secret_service::Error::Prompt), Failure::Dismissed);
        assert_eq!(
            sorted(secret_service::Error::Unavailable),
            Failure::NoService
        );
        assert_eq!(sorted(secret_service::Error::NoResult), Failure::Other);
    }
}
