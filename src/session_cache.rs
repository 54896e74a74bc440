//! The session cache: an unlocked passphrase-protected identity kept for a
//! while in the Linux kernel keyring, so scrypt (about a second by design)
//! runs once per session instead of on every `exec`.
//!
//! Which keyring, and why (docs/file-format.md, "Identities"): the **user keyring**
//! (`@u`), named explicitly. The session keyring (`@s`) looks like the
//! natural home, but many processes have none of their own — containers,
//! CI runners, some terminals and `sudo` shells — and then each process may
//! get a fresh anonymous one, so a key one command caches is invisible to
//! the next. `@u` is one per user ID and outlives sessions; a key in it is
//! found by any later process of the same user, whether or not its session
//! keyring links `@u`, because the key grants the *user* (not only its
//! possessor) view, read, search and setattr. Group and others get nothing,
//! and every key carries a timeout after which the kernel destroys it.
//!
//! A key's description is `bscred:SCOPE:DIGEST`: SCOPE names this bscred
//! home (so `bscred lock` drops exactly its own keys), DIGEST is a hash of
//! the encrypted identity file, so an entry never outlives a passphrase
//! change or a new key at the same path: it is simply not found.
//!
//! On other platforms there is no cache; each unlock asks again.

use std::path::Path;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Default lifetime of a cached identity, in minutes.
pub const DEFAULT_MINUTES: u32 = 15;

/// Largest payload read back: an identity file is a few hundred bytes.
#[cfg(target_os = "linux")]
const MAX_PAYLOAD: usize = 16 * 1024;

/// The cache of one bscred home.
#[derive(Debug, Clone)]
pub struct SessionCache {
    scope: String,
    seconds: u32,
}

/// Why the kernel would not keep or give back a key.
#[derive(Debug)]
pub struct Refused(pub String);

impl SessionCache {
    /// The cache for the home whose data directory is `data`, keeping
    /// entries for `minutes`.
    pub fn new(data: &Path, minutes: u32) -> SessionCache {
        SessionCache {
            scope: hex(&Sha256::digest(data.as_os_str().as_encoded_bytes())[..8]),
            seconds: minutes.saturating_mul(60),
        }
    }

    /// The description of the entry for the identity file holding
    /// `encrypted` (what `keyctl show @u` and `/proc/keys` list).
    pub fn description(&self, encrypted: &[u8]) -> String {
        format!("{}{}", self.prefix(), hex(&Sha256::digest(encrypted)[..16]))
    }

    fn prefix(&self) -> String {
        format!("bscred:{}:", self.scope)
    }

    /// How long an entry lives, in minutes.
    pub fn minutes(&self) -> u32 {
        self.seconds / 60
    }
}

#[cfg(target_os = "linux")]
mod kernel {
    use linux_keyutils::{KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};

    use super::*;

    fn user_keyring() -> Result<KeyRing, Refused> {
        KeyRing::from_special_id(KeyRingIdentifier::User, true).map_err(refused)
    }

    fn refused(e: KeyError) -> Refused {
        Refused(e.to_string())
    }

    impl SessionCache {
        /// The unlocked identity cached for the file holding `encrypted`,
        /// if there is one. `Ok(None)` when there is none (or it expired).
        pub fn get(&self, encrypted: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, Refused> {
            let ring = user_keyring()?;
            let key = match ring.search(&self.description(encrypted)) {
                Ok(key) => key,
                Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                    return Ok(None);
                }
                Err(e) => return Err(refused(e)),
            };
            let mut buffer = Zeroizing::new(vec![0u8; MAX_PAYLOAD]);
            match key.read(&mut *buffer) {
                Ok(len) if len <= MAX_PAYLOAD => {
                    buffer.truncate(len);
                    Ok(Some(buffer))
                }
                // Not something bscred wrote: ignore it.
                Ok(_) => Ok(None),
                Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                    Ok(None)
                }
                Err(e) => Err(refused(e)),
            }
        }

        /// Keeps `plain`, the unlocked identity of the file holding
        /// `encrypted`, until the timeout.
        pub fn put(&self, encrypted: &[u8], plain: &[u8]) -> Result<(), Refused> {
            // Made in this process's own keyring, which it possesses, so
            // it may set the key's permissions and timeout before anyone
            // else can see it; only then linked into `@u`. (Made in `@u`
            // directly, a process whose session keyring does not link `@u`
            // would not possess the key, and could not change it.)
            let own =
                KeyRing::from_special_id(KeyRingIdentifier::Process, true).map_err(refused)?;
            let key = own
                .add_key(&self.description(encrypted), plain)
                .map_err(refused)?;
            // The user ID, not possession, grants access: a later process
            // with another (or no) session keyring still finds it.
            let owner =
                || Permission::VIEW | Permission::READ | Permission::SEARCH | Permission::SETATTR;
            let perms = KeyPermissionsBuilder::builder()
                .posessor(owner() | Permission::WRITE | Permission::LINK)
                .user(owner())
                .build();
            let linked = key
                .set_timeout(self.seconds as usize)
                .and_then(|()| key.set_perms(perms))
                .and_then(|()| user_keyring().map_err(|_| KeyError::AccessDenied))
                .and_then(|ring| ring.link_key(key));
            let _ = own.unlink_key(key);
            if let Err(e) = linked {
                let _ = key.invalidate();
                return Err(refused(e));
            }
            Ok(())
        }

        /// Drops the entry for the file holding `encrypted`, if any.
        pub fn forget(&self, encrypted: &[u8]) {
            if let Ok(ring) = user_keyring()
                && let Ok(key) = ring.search(&self.description(encrypted))
            {
                let _ = key.invalidate();
            }
        }

        /// Drops every entry of this home; returns how many there were.
        pub fn clear(&self) -> Result<usize, Refused> {
            let ring = user_keyring()?;
            let links = ring.get_links(4096).map_err(refused)?;
            let prefix = self.prefix();
            let mut dropped = 0;
            for key in links.iter().filter_map(|node| node.as_key()) {
                let ours = key
                    .metadata()
                    .is_ok_and(|m| m.get_description().starts_with(&prefix));
                if ours && key.invalidate().is_ok() {
                    dropped += 1;
                }
            }
            Ok(dropped)
        }
    }
}

#[cfg(not(target_os = "linux"))]
impl SessionCache {
    const UNSUPPORTED: &str = "there is no session cache on this platform";

    pub fn get(&self, _encrypted: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, Refused> {
        Err(Refused(Self::UNSUPPORTED.to_string()))
    }

    pub fn put(&self, _encrypted: &[u8], _plain: &[u8]) -> Result<(), Refused> {
        Err(Refused(Self::UNSUPPORTED.to_string()))
    }

    pub fn forget(&self, _encrypted: &[u8]) {}

    pub fn clear(&self) -> Result<usize, Refused> {
        Err(Refused(Self::UNSUPPORTED.to_string()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The kernel keyring may be refused where these tests run (a seccomp
    /// profile): by hand they then skip, saying why; under CI they fail.
    fn cache(tag: &str) -> Option<SessionCache> {
        let dir =
            std::env::temp_dir().join(format!("bscred-cache-test-{tag}-{}", std::process::id()));
        let cache = SessionCache::new(&dir, 1);
        match cache.clear() {
            Ok(_) => Some(cache),
            Err(refused) if std::env::var_os("CI").is_some() => {
                panic!("the kernel keyring is refused under CI: {}", refused.0)
            }
            Err(refused) => {
                eprintln!(
                    "skipped: the kernel keyring is refused here ({})",
                    refused.0
                );
                None
            }
        }
    }

    #[test]
    fn put_get_forget_round_trip() {
        let Some(cache) = cache("round") else { return };
        assert!(cache.get(b"file one").expect("get").is_none());
        cache
            .put(b"file one", b"AGE-SECRET-KEY-1TEST")
            .expect("put");
        assert_eq!(
            cache
                .get(b"file one")
                .expect("get")
                .as_deref()
                .map(Vec::as_slice),
            Some(&b"AGE-SECRET-KEY-1TEST"[..])
        );
        // Another file (a changed passphrase) is another entry.
        assert!(cache.get(b"file two").expect("get").is_none());
        cache.forget(b"file one");
        assert!(cache.get(b"file one").expect("get").is_none());
    }

    #[test]
    fn clear_drops_only_this_homes_entries() {
        let (Some(mine), Some(theirs)) = (cache("mine"), cache("theirs")) else {
            return;
        };
        mine.put(b"a", b"1").expect("put");
        mine.put(b"b", b"2").expect("put");
        theirs.put(b"a", b"3").expect("put");
        assert_eq!(mine.clear().expect("clear"), 2);
        assert!(mine.get(b"a").expect("get").is_none());
        assert_eq!(
            theirs.get(b"a").expect("get").as_deref().map(Vec::as_slice),
            Some(&b"3"[..])
        );
        theirs.clear().expect("clear");
    }
}
