//! Opening a passphrase-protected OpenSSH private key (`ssh-keygen`'s
//! default format, PROTOCOL.key in openssh-portable), so that its unlocked
//! form can be kept in the session cache as an age identity is, and its
//! passphrase can come from `--passphrase-file`.
//!
//! The age library can use such a key but only asks for the passphrase
//! through a callback and never hands the unlocked key back; so bscred
//! decrypts the private section itself (bcrypt-pbkdf, then AES-CTR, the
//! only ciphers `ssh-keygen` writes) and re-encodes the same key with the
//! cipher `none`, which age reads as an unencrypted key. Keys in other
//! containers (a legacy encrypted PEM RSA key) keep age's own prompt and
//! are not cached.

use aes::cipher::{KeyIvInit, StreamCipher};
use age::secrecy::{ExposeSecret, SecretString};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END: &str = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC: &[u8] = b"openssh-key-v1\0";

/// Why a key did not open.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// The check bytes did not match: the passphrase is wrong.
    WrongPassphrase,
    /// A cipher or KDF this code does not read (named).
    Unsupported(String),
    /// Not a well-formed OpenSSH private key.
    Malformed,
}

/// The parts of an OpenSSH private key file.
struct Container {
    cipher: String,
    kdf: String,
    kdf_options: Vec<u8>,
    public: Vec<u8>,
    private: Vec<u8>,
}

/// How an OpenSSH private key file says it is protected. These fields sit
/// unencrypted at the top of the file, so reading them needs no passphrase
/// and reveals nothing secret; `rounds` tells what [`decrypt`] will cost
/// before it is paid (each bcrypt round is a few milliseconds, and the file
/// chooses up to 2^32 - 1 of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protection {
    /// `none` for a key without a passphrase, else `aes256-ctr` and the like.
    pub cipher: String,
    /// `none` or `bcrypt`.
    pub kdf: String,
    /// bcrypt's rounds (`ssh-keygen -a`, 16 by default), when the KDF is
    /// bcrypt and its options are readable.
    pub rounds: Option<u32>,
}

/// How the OpenSSH private key in `bytes` is protected; `Malformed` or
/// `Unsupported` when `bytes` is not one key in that format.
pub fn protection(bytes: &[u8]) -> Result<Protection, Failure> {
    let key = container(bytes)?;
    let rounds = if key.kdf == "bcrypt" {
        bcrypt_options(&key.kdf_options)
            .ok()
            .map(|(_, rounds)| rounds)
    } else {
        None
    };
    Ok(Protection {
        cipher: key.cipher,
        kdf: key.kdf,
        rounds,
    })
}

/// Whether `bytes` is an OpenSSH private key encrypted with a passphrase.
pub fn is_encrypted(bytes: &[u8]) -> bool {
    protection(bytes).is_ok_and(|key| key.cipher != "none")
}

/// bcrypt's options: the salt and the number of rounds.
fn bcrypt_options(options: &[u8]) -> Result<(&[u8], u32), Failure> {
    let mut options = Reader(options);
    let salt = options.string()?;
    let rounds = options.u32()?;
    Ok((salt, rounds))
}

/// The same key without its passphrase, as the text of an OpenSSH private
/// key file.
pub fn decrypt(bytes: &[u8], passphrase: &SecretString) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let key = container(bytes)?;
    if key.kdf != "bcrypt" {
        return Err(Failure::Unsupported(format!("key derivation {}", key.kdf)));
    }
    let (salt, rounds) = bcrypt_options(&key.kdf_options)?;
    let key_len = match key.cipher.as_str() {
        "aes128-ctr" => 16,
        "aes192-ctr" => 24,
        "aes256-ctr" => 32,
        other => return Err(Failure::Unsupported(format!("cipher {other}"))),
    };
    let mut derived = Zeroizing::new(vec![0u8; key_len + 16]);
    bcrypt_pbkdf::bcrypt_pbkdf(passphrase.expose_secret(), salt, rounds, &mut derived)
        .map_err(|_| Failure::WrongPassphrase)?;
    let mut private = Zeroizing::new(key.private.clone());
    ctr_apply(&derived[..key_len], &derived[key_len..], &mut private);
    // Two copies of a random check value open the private section: equal
    // only when the passphrase was right (PROTOCOL.key).
    if private.len() < 8 || private[..4] != private[4..8] {
        return Err(Failure::WrongPassphrase);
    }
    let mut plain = Zeroizing::new(Vec::with_capacity(private.len() + key.public.len() + 64));
    plain.extend_from_slice(MAGIC);
    for field in [&b"none"[..], b"none", b""] {
        put_string(&mut plain, field);
    }
    plain.extend_from_slice(&1u32.to_be_bytes());
    put_string(&mut plain, &key.public);
    put_string(&mut plain, &private);
    let encoded = Zeroizing::new(STANDARD.encode(&*plain));
    let mut text = Zeroizing::new(Vec::with_capacity(encoded.len() + 80));
    text.extend_from_slice(BEGIN.as_bytes());
    text.push(b'\n');
    for line in encoded.as_bytes().chunks(70) {
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    text.extend_from_slice(END.as_bytes());
    text.push(b'\n');
    Ok(text)
}

/// AES in counter mode with a 128-bit big-endian counter, the key length
/// choosing AES-128, -192 or -256.
fn ctr_apply(key: &[u8], iv: &[u8], data: &mut [u8]) {
    // The lengths come from the match in `decrypt`, so these cannot fail.
    match key.len() {
        16 => ctr::Ctr128BE::<aes::Aes128>::new_from_slices(key, iv)
            .map(|mut c| c.apply_keystream(data))
            .ok(),
        24 => ctr::Ctr128BE::<aes::Aes192>::new_from_slices(key, iv)
            .map(|mut c| c.apply_keystream(data))
            .ok(),
        _ => ctr::Ctr128BE::<aes::Aes256>::new_from_slices(key, iv)
            .map(|mut c| c.apply_keystream(data))
            .ok(),
    };
}

fn container(bytes: &[u8]) -> Result<Container, Failure> {
    let text = std::str::from_utf8(bytes).map_err(|_| Failure::Malformed)?;
    let start = text.find(BEGIN).ok_or(Failure::Malformed)? + BEGIN.len();
    let end = text[start..].find(END).ok_or(Failure::Malformed)? + start;
    let body: Zeroizing<String> = Zeroizing::new(
        text[start..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect(),
    );
    let raw = Zeroizing::new(STANDARD.decode(&*body).map_err(|_| Failure::Malformed)?);
    let rest = raw.strip_prefix(MAGIC).ok_or(Failure::Malformed)?;
    let mut reader = Reader(rest);
    let cipher = String::from_utf8_lossy(reader.string()?).into_owned();
    let kdf = String::from_utf8_lossy(reader.string()?).into_owned();
    let kdf_options = reader.string()?.to_vec();
    if reader.u32()? != 1 {
        return Err(Failure::Unsupported("a file of several keys".into()));
    }
    let public = reader.string()?.to_vec();
    let private = reader.string()?.to_vec();
    Ok(Container {
        cipher,
        kdf,
        kdf_options,
        public,
        private,
    })
}

/// SSH wire format: big-endian u32s and length-prefixed strings.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Result<u32, Failure> {
        let (head, rest) = self.0.split_first_chunk::<4>().ok_or(Failure::Malformed)?;
        self.0 = rest;
        Ok(u32::from_be_bytes(*head))
    }

    fn string(&mut self) -> Result<&'a [u8], Failure> {
        let len = self.u32()? as usize;
        if self.0.len() < len {
            return Err(Failure::Malformed);
        }
        let (value, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(value)
    }
}

fn put_string(out: &mut Vec<u8>, value: &[u8]) {
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway ed25519 key, `ssh-keygen -t ed25519 -a 1 -N fuzz`.
    const KEY: &str = "\
-----BEGIN OPENSSH PRIVATE KEY-----\n\
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABDFue2f0M\n\
ZV73jX20SSOYT1AAAAAQAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIG/VaM+sPaT0p+U8\n\
+IbTPn4s6jYSLUZAYOII1NaZn+PzAAAAkE5499cgxKoJMXh4FlIbV487NWf2XesS92iaUo\n\
CO7xjbXt6SpISWNL2x+lcqzy6is3vZfdyawWs8f/F5sUJxeW3lHlDawtoOFcEVI3QJaKLd\n\
bbwSR3VHbQ4QjacHd6Lzl7gMqZLJ96DamR0hm+AfLmQDkqGHWNzn6E9d/txj2MfS3vwtpz\n\
Dnm7J56cEk2Z7+Gg==\n\
-----END OPENSSH PRIVATE KEY-----\n";

    #[test]
    fn protection_is_read_without_the_passphrase() {
        let expected = Protection {
            cipher: "aes256-ctr".into(),
            kdf: "bcrypt".into(),
            rounds: Some(1),
        };
        assert_eq!(protection(KEY.as_bytes()), Ok(expected));
        assert!(is_encrypted(KEY.as_bytes()));
        let plain = decrypt(KEY.as_bytes(), &SecretString::from("fuzz".to_string()))
            .expect("the right passphrase");
        let none = Protection {
            cipher: "none".into(),
            kdf: "none".into(),
            rounds: None,
        };
        assert_eq!(protection(&plain), Ok(none));
        assert!(!is_encrypted(&plain));
        assert_eq!(
            decrypt(KEY.as_bytes(), &SecretString::from("wrong".to_string())),
            Err(Failure::WrongPassphrase)
        );
    }

    #[test]
    fn not_a_key_is_malformed_and_never_encrypted() {
        assert!(!is_encrypted(b"AGE-SECRET-KEY-1..."));
        assert_eq!(
            decrypt(b"hello", &SecretString::from("x".to_string())).err(),
            Some(Failure::Malformed)
        );
        let truncated = format!(
            "{BEGIN}\n{}\n{END}\n",
            STANDARD.encode(b"openssh-key-v1\0\0\0")
        );
        assert!(!is_encrypted(truncated.as_bytes()));
    }
}
