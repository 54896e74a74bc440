//! An age X25519 identity that reads its public key from the identity file
//! instead of computing it on every decryption.
//!
//! Unwrapping an X25519 stanza (c2sp.org/age, "X25519 recipient stanza")
//! takes one Diffie-Hellman with the file's ephemeral share and an HKDF
//! whose salt is the ephemeral share followed by the *recipient's* public
//! key. The age library computes that public key from the secret key each
//! time: a second scalar multiplication, as costly as the Diffie-Hellman,
//! on every `env` and `exec`. An identity file written by bscred or
//! `age-keygen` says its public key in a `# public key: age1…` comment just
//! above the key, so that one is used when present. The comment is only a
//! hint: the first time a stanza does not open with it, the public key is
//! computed once and compared, and a comment that does not match the key
//! (edited by hand) is ignored from then on. A store encrypted to several
//! recipients, where most stanzas are someone else's, costs one
//! Diffie-Hellman per stanza tried plus at most one check, against the
//! library's two scalar multiplications per stanza.
//!
//! Even one Diffie-Hellman is most of what `bscred env` computes, and a
//! store bscred wrote for its own user need not take one: next to the
//! X25519 stanza for every recipient, a write adds a `bscred-self` stanza
//! for each key of the writer's identity that is itself a recipient. It
//! wraps the file key under a key derived from the secret key alone (HKDF
//! with a random salt, then ChaCha20-Poly1305, as age's own stanzas do), so
//! the writer opens it with a hash and a cipher, not a curve operation.
//! Anyone else, and the reference `age` CLI, skip a stanza of a type they
//! do not know, as the age format says they must, and open their X25519
//! stanza as before (docs/file-format.md, "The header").

use age::secrecy::ExposeSecret;
use age::x25519;
use age_core::format::{FILE_KEY_BYTES, FileKey, Stanza};
use age_core::primitives::{aead_decrypt, aead_encrypt, hkdf};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use std::collections::HashSet;
use std::sync::OnceLock;

use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

const TAG: &str = "X25519";
const LABEL: &[u8] = b"age-encryption.org/v1/X25519";
const SHARE_BYTES: usize = 32;
/// The stanza a writer adds for its own key (see the module's comment).
const SELF_TAG: &str = "bscred-self";
const SELF_LABEL: &[u8] = b"bscred/v1/self";
const SALT_BYTES: usize = 16;

/// One X25519 secret key with its public key, if the file said it.
pub struct Key {
    secret: StaticSecret,
    /// From the `# public key:` comment: a hint, checked by use.
    public_hint: Option<[u8; 32]>,
    /// The public key computed from `secret`, once a stanza did not open
    /// with the hint.
    computed: OnceLock<[u8; 32]>,
    /// The library's identity for the same key: the fallback, and what
    /// recipients and re-encryption use.
    library: x25519::Identity,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("public_hint", &self.public_hint.is_some())
            .finish_non_exhaustive()
    }
}

impl Key {
    /// The key on one `AGE-SECRET-KEY-1…` line, with the `age1…` public key
    /// the comment above it named. `None` when the line is not a key.
    pub fn parse(line: &str, public: Option<&str>) -> Option<Key> {
        let library: x25519::Identity = line.parse().ok()?;
        let mut bytes = age_core::primitives::bech32_decode(
            line,
            |_| (),
            |hrp| {
                if hrp.as_str().eq_ignore_ascii_case("AGE-SECRET-KEY-") {
                    Ok(())
                } else {
                    Err(())
                }
            },
            |_, bytes| {
                let bytes = Zeroizing::new(bytes.collect::<Vec<u8>>());
                <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| ())
            },
        )
        .ok()?;
        let secret = StaticSecret::from(bytes);
        bytes.zeroize();
        let public_hint = public.and_then(|text| {
            age_core::primitives::bech32_decode(
                text,
                |_| (),
                |hrp| {
                    if hrp.as_str() == "age" {
                        Ok(())
                    } else {
                        Err(())
                    }
                },
                |_, bytes| {
                    <[u8; 32]>::try_from(bytes.collect::<Vec<u8>>().as_slice()).map_err(|_| ())
                },
            )
            .ok()
        });
        Some(Key {
            secret,
            public_hint,
            computed: OnceLock::new(),
            library,
        })
    }

    /// The age library's identity for this key.
    pub fn library(&self) -> &x25519::Identity {
        &self.library
    }

    /// Opens the stanza's file key with `public` as the recipient's key in
    /// the salt: `Ok(None)` when it does not open (someone else's stanza,
    /// or a wrong public key), `Err` for a low-order share, which the spec
    /// rejects (the shared secret would be all zeros).
    fn open(
        &self,
        share: &[u8; SHARE_BYTES],
        body: &[u8],
        public: &[u8; 32],
    ) -> Result<Option<FileKey>, age::DecryptError> {
        let shared = self.secret.diffie_hellman(&PublicKey::from(*share));
        if !shared.was_contributory() {
            return Err(age::DecryptError::InvalidHeader);
        }
        let mut salt = [0u8; 2 * SHARE_BYTES];
        salt[..SHARE_BYTES].copy_from_slice(share);
        salt[SHARE_BYTES..].copy_from_slice(public);
        let key = Zeroizing::new(hkdf(&salt, LABEL, shared.as_bytes()));
        let Ok(plain) = aead_decrypt(&key, FILE_KEY_BYTES, body) else {
            return Ok(None);
        };
        let plain = Zeroizing::new(plain);
        Ok(Some(FileKey::init_with_mut(|file_key| {
            file_key.copy_from_slice(&plain)
        })))
    }
}

impl Key {
    /// This key's public half, computed (a scalar multiplication),
    /// whatever the file's comment said: what a writer compares with the
    /// recipients.
    pub fn public(&self) -> x25519::Recipient {
        self.library.to_public()
    }

    /// The stanza that wraps files for this key itself (see the module's
    /// comment); give it only where the key is one of the recipients.
    pub fn own_recipient(&self) -> Own<'_> {
        Own(self)
    }

    /// The key a `bscred-self` stanza with this salt is wrapped under.
    fn self_key(&self, salt: &[u8]) -> Zeroizing<[u8; 32]> {
        let secret = Zeroizing::new(self.secret.to_bytes());
        Zeroizing::new(hkdf(salt, SELF_LABEL, secret.as_slice()))
    }

    /// Opens a `bscred-self` stanza: `None` when it is not this key's (a
    /// teammate's, or malformed), so the file's X25519 stanzas are tried.
    fn open_own(&self, stanza: &Stanza) -> Option<FileKey> {
        let [arg] = &stanza.args[..] else {
            return None;
        };
        let salt = STANDARD_NO_PAD.decode(arg).ok()?;
        if salt.len() != SALT_BYTES || stanza.body.len() != FILE_KEY_BYTES + 16 {
            return None;
        }
        let plain =
            Zeroizing::new(aead_decrypt(&self.self_key(&salt), FILE_KEY_BYTES, &stanza.body).ok()?);
        Some(FileKey::init_with_mut(|file_key| {
            file_key.copy_from_slice(&plain)
        }))
    }
}

/// The recipient that adds a `bscred-self` stanza for one key of the
/// writer's identity.
pub struct Own<'a>(&'a Key);

impl std::fmt::Debug for Own<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Own(..)")
    }
}

impl age::Recipient for Own<'_> {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        let mut salt = [0u8; SALT_BYTES];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt).map_err(
            |_| age::EncryptError::Io(std::io::Error::other("the system gave no random bytes")),
        )?;
        let body = aead_encrypt(&self.0.self_key(&salt), file_key.expose_secret());
        let stanza = Stanza {
            tag: SELF_TAG.to_string(),
            args: vec![STANDARD_NO_PAD.encode(salt)],
            body,
        };
        // No labels: it goes beside X25519 and SSH stanzas, which have none.
        Ok((vec![stanza], HashSet::new()))
    }
}

impl age::Identity for Key {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        if stanza.tag == SELF_TAG {
            return self.open_own(stanza).map(Ok);
        }
        if stanza.tag != TAG {
            return None;
        }
        let Some(hint) = &self.public_hint else {
            return self.library.unwrap_stanza(stanza);
        };
        // The canonical form only (one unpadded base64 argument of 32
        // bytes, a 32-byte body); anything else goes to the library, whose
        // answer (an error, for a malformed stanza) is the one to give.
        let share = match &stanza.args[..] {
            [arg] if arg.len() == 43 => STANDARD_NO_PAD
                .decode(arg)
                .ok()
                .and_then(|bytes| <[u8; SHARE_BYTES]>::try_from(bytes.as_slice()).ok()),
            _ => None,
        };
        let Some(share) = share.filter(|_| stanza.body.len() == FILE_KEY_BYTES + 16) else {
            return self.library.unwrap_stanza(stanza);
        };
        match self.open(&share, &stanza.body, hint) {
            Err(e) => Some(Err(e)),
            Ok(Some(file_key)) => Some(Ok(file_key)),
            Ok(None) => {
                let computed = self
                    .computed
                    .get_or_init(|| PublicKey::from(&self.secret).to_bytes());
                if computed == hint {
                    // The hint is right: the stanza is someone else's.
                    return None;
                }
                self.open(&share, &stanza.body, computed).transpose()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;
    use std::io::{Read, Write};

    fn encrypt_to(recipient: &x25519::Recipient, plain: &[u8]) -> Vec<u8> {
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
                .expect("recipients");
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).expect("wrap");
        writer.write_all(plain).expect("write");
        writer.finish().expect("finish");
        out
    }

    fn decrypt_with(key: &Key, sealed: &[u8]) -> Result<Vec<u8>, age::DecryptError> {
        let decryptor = age::Decryptor::new_buffered(sealed)?;
        let mut reader = decryptor.decrypt(std::iter::once(key as &dyn age::Identity))?;
        let mut plain = Vec::new();
        reader.read_to_end(&mut plain).expect("read");
        Ok(plain)
    }

    #[test]
    fn the_hinted_key_opens_what_the_library_seals() {
        let library = x25519::Identity::generate();
        let public = library.to_public().to_string();
        let key = Key::parse(library.to_string().expose_secret(), Some(&public)).expect("key");
        assert!(key.public_hint.is_some());
        let sealed = encrypt_to(&library.to_public(), b"GITHUB_TOKEN");
        assert_eq!(decrypt_with(&key, &sealed).expect("opens"), b"GITHUB_TOKEN");
    }

    #[test]
    fn a_wrong_or_missing_hint_still_opens_and_a_wrong_key_does_not() {
        let library = x25519::Identity::generate();
        let other = x25519::Identity::generate().to_public().to_string();
        let sealed = encrypt_to(&library.to_public(), b"value");
        let line = library.to_string();
        for hint in [Some(other.as_str()), None, Some("age1notakey")] {
            let key = Key::parse(line.expose_secret(), hint).expect("key");
            assert_eq!(decrypt_with(&key, &sealed).expect("opens"), b"value");
        }
        let stranger = x25519::Identity::generate();
        let key = Key::parse(
            stranger.to_string().expose_secret(),
            Some(&stranger.to_public().to_string()),
        )
        .expect("key");
        assert!(matches!(
            decrypt_with(&key, &sealed),
            Err(age::DecryptError::NoMatchingKeys)
        ));
    }

    #[test]
    fn a_low_order_share_is_refused_as_the_library_refuses_it() {
        let library = x25519::Identity::generate();
        let public = library.to_public().to_string();
        let key = Key::parse(library.to_string().expose_secret(), Some(&public)).expect("key");
        // The all-zero point: every Diffie-Hellman with it is zero.
        let stanza = Stanza {
            tag: TAG.to_string(),
            args: vec![STANDARD_NO_PAD.encode([0u8; 32])],
            body: vec![0u8; FILE_KEY_BYTES + 16],
        };
        let ours = age::Identity::unwrap_stanza(&key, &stanza).map(|r| r.is_ok());
        let theirs = age::Identity::unwrap_stanza(&library, &stanza).map(|r| r.is_ok());
        assert_eq!(ours, theirs);
        assert_eq!(ours, Some(false));
    }

    #[test]
    fn a_right_hint_is_checked_once_and_never_recomputed_on_success() {
        let library = x25519::Identity::generate();
        let public = library.to_public().to_string();
        let key = Key::parse(library.to_string().expose_secret(), Some(&public)).expect("key");
        let sealed = encrypt_to(&library.to_public(), b"v");
        decrypt_with(&key, &sealed).expect("opens");
        assert!(key.computed.get().is_none(), "the hint sufficed");
        // Someone else's stanza: the hint is checked once, then trusted.
        let stranger = x25519::Identity::generate();
        let theirs = encrypt_to(&stranger.to_public(), b"v");
        assert!(decrypt_with(&key, &theirs).is_err());
        assert_eq!(
            key.computed.get(),
            Key::parse(library.to_string().expose_secret(), None)
                .map(|k| PublicKey::from(&k.secret).to_bytes())
                .as_ref()
        );
    }

    /// A recipient that writes an X25519 stanza no key opens: a file
    /// sealed with it and `Own` opens only through the `bscred-self` stanza.
    struct Unopenable;

    impl age::Recipient for Unopenable {
        fn wrap_file_key(
            &self,
            _: &FileKey,
        ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
            let stanza = Stanza {
                tag: TAG.to_string(),
                args: vec![STANDARD_NO_PAD.encode([9u8; 32])],
                body: vec![7u8; FILE_KEY_BYTES + 16],
            };
            Ok((vec![stanza], HashSet::new()))
        }
    }

    fn seal(recipients: &[&dyn age::Recipient], plain: &[u8]) -> Vec<u8> {
        let encryptor = age::Encryptor::with_recipients(recipients.iter().copied()).expect("ok");
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).expect("wrap");
        writer.write_all(plain).expect("write");
        writer.finish().expect("finish");
        out
    }

    fn hinted(library: &x25519::Identity) -> Key {
        let public = library.to_public().to_string();
        Key::parse(library.to_string().expose_secret(), Some(&public)).expect("key")
    }

    #[test]
    fn the_own_stanza_opens_the_file_with_no_curve_operation() {
        let library = x25519::Identity::generate();
        let key = hinted(&library);
        let sealed = seal(&[&key.own_recipient(), &Unopenable], b"GITHUB_TOKEN");
        // Only the own stanza can open it: the X25519 one is noise.
        assert_eq!(decrypt_with(&key, &sealed).expect("opens"), b"GITHUB_TOKEN");
        assert!(key.computed.get().is_none(), "no public key was computed");
        let library_reads = age::Decryptor::new_buffered(&sealed[..])
            .expect("header")
            .decrypt(std::iter::once(&library as &dyn age::Identity))
            .is_ok();
        assert!(!library_reads, "age itself skips the bscred-self stanza");
    }

    #[test]
    fn age_skips_the_own_stanza_and_opens_its_x25519_stanza() {
        let library = x25519::Identity::generate();
        let key = hinted(&library);
        let sealed = seal(&[&key.own_recipient(), &library.to_public()], b"value");
        let mut plain = Vec::new();
        age::Decryptor::new_buffered(&sealed[..])
            .expect("header")
            .decrypt(std::iter::once(&library as &dyn age::Identity))
            .expect("age opens its own stanza")
            .read_to_end(&mut plain)
            .expect("read");
        assert_eq!(plain, b"value");
    }

    #[test]
    fn another_keys_own_stanza_is_skipped_for_the_x25519_one() {
        let writer = hinted(&x25519::Identity::generate());
        let reader_library = x25519::Identity::generate();
        let reader = hinted(&reader_library);
        let sealed = seal(
            &[&writer.own_recipient(), &reader_library.to_public()],
            b"team",
        );
        assert_eq!(decrypt_with(&reader, &sealed).expect("opens"), b"team");
        // And with only the writer's own stanza, the reader has nothing.
        let only_own = seal(&[&writer.own_recipient()], b"team");
        assert!(matches!(
            decrypt_with(&reader, &only_own),
            Err(age::DecryptError::NoMatchingKeys)
        ));
    }

    #[test]
    fn a_malformed_or_tampered_own_stanza_is_not_an_error_but_not_a_key() {
        let key = hinted(&x25519::Identity::generate());
        let file_key = FileKey::new(Box::new([5u8; FILE_KEY_BYTES]));
        let (stanzas, labels) =
            age::Recipient::wrap_file_key(&key.own_recipient(), &file_key).expect("wrap");
        assert!(labels.is_empty());
        let [good] = &stanzas[..] else {
            panic!("one stanza, not {}", stanzas.len())
        };
        assert_eq!(good.tag, SELF_TAG);
        let opened = age::Identity::unwrap_stanza(&key, good)
            .expect("its own stanza")
            .expect("opens");
        assert_eq!(opened.expose_secret(), file_key.expose_secret());
        let like = |args: Vec<String>, body: Vec<u8>| Stanza {
            tag: SELF_TAG.to_string(),
            args,
            body,
        };
        let mut flipped_body = good.body.clone();
        flipped_body[3] ^= 1;
        let flipped = like(good.args.clone(), flipped_body);
        let short_salt = like(vec![STANDARD_NO_PAD.encode([1u8; 8])], good.body.clone());
        let two_args = like(vec![good.args[0].clone(), "x".into()], good.body.clone());
        let short_body = like(good.args.clone(), good.body[..FILE_KEY_BYTES].to_vec());
        let not_base64 = like(vec!["!!".to_string()], good.body.clone());
        for bad in [flipped, short_salt, two_args, short_body, not_base64] {
            assert!(
                age::Identity::unwrap_stanza(&key, &bad).is_none(),
                "{:?}",
                bad.args
            );
        }
    }

    #[test]
    fn lines_that_are_not_keys_are_none() {
        assert!(Key::parse("AGE-SECRET-KEY-1NOTAKEY", None).is_none());
        let public = x25519::Identity::generate().to_public().to_string();
        assert!(Key::parse(&public, None).is_none());
    }
}
