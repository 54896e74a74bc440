//! libsodium's sealed box (`crypto_box_seal`): how GitHub takes a secret's
//! value. The value is encrypted to the public key GitHub gives for the
//! secret store, with a throwaway key pair of our own, so nothing but that
//! store can open it (https://doc.libsodium.org/public-key_cryptography/sealed_boxes).
//!
//! The box is `ephemeral public key (32 bytes) || XSalsa20-Poly1305 of the
//! value (the value's length + a 16-byte tag)`, the nonce being BLAKE2b of
//! the two public keys: `crypto_box`'s `seal` is that construction.

use base64::Engine as _;
use crypto_box::aead::OsRng;

/// How many bytes a sealed box adds to the value: the ephemeral public key
/// and the Poly1305 tag.
pub const OVERHEAD: usize = crypto_box::KEY_SIZE + 16;

/// The recipient's Curve25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(crypto_box::PublicKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Public, so shown: a key that does not match is worth seeing.
        write!(
            f,
            "PublicKey({})",
            base64::engine::general_purpose::STANDARD.encode(self.0.as_bytes())
        )
    }
}

impl PublicKey {
    /// The key as GitHub sends it: standard base64 of 32 bytes. The error
    /// says what is wrong with the text (which is public, not a secret).
    pub fn from_base64(text: &str) -> Result<PublicKey, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| format!("the public key is not base64 ({e})"))?;
        let bytes: [u8; crypto_box::KEY_SIZE] = bytes.as_slice().try_into().map_err(|_| {
            format!(
                "the public key is {} bytes long, not {}",
                bytes.len(),
                crypto_box::KEY_SIZE
            )
        })?;
        Ok(PublicKey(crypto_box::PublicKey::from(bytes)))
    }

    pub fn from_bytes(bytes: [u8; crypto_box::KEY_SIZE]) -> PublicKey {
        PublicKey(crypto_box::PublicKey::from(bytes))
    }

    /// `plaintext` sealed to this key: `OVERHEAD` bytes longer, different
    /// every time (a fresh ephemeral key pair each call). The result holds
    /// no plaintext; the caller keeps the plaintext in a wiped buffer.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        // `seal` fails only when the cipher's length limit is passed
        // (2^64 bytes); a value is at most 64 KiB.
        self.0
            .seal(&mut OsRng, plaintext)
            .expect("a sealed box holds any value up to 2^64 bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_box::SecretKey;

    fn recipient() -> (SecretKey, PublicKey) {
        let secret = SecretKey::generate(&mut OsRng);
        let public = PublicKey(secret.public_key());
        (secret, public)
    }

    #[test]
    fn a_sealed_box_is_48_bytes_longer_than_its_value() {
        let (_, public) = recipient();
        assert_eq!(OVERHEAD, 48);
        for len in [0, 1, 31, 32, 1000, 64 * 1024] {
            assert_eq!(public.seal(&vec![b'x'; len]).len(), len + 48, "{len}");
        }
    }

    #[test]
    fn the_recipient_opens_what_was_sealed_and_nobody_else_does() {
        let (secret, public) = recipient();
        let value = "-----BEGIN KEY-----\nAbC=\n-----END KEY-----\n\u{e9}'\"$(x)".as_bytes();
        let sealed = public.seal(value);
        assert_eq!(secret.unseal(&sealed).expect("opens"), value);
        // The ephemeral key is fresh each time: two boxes of one value differ.
        assert_ne!(sealed, public.seal(value));
        let (other, _) = recipient();
        assert!(other.unseal(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered[40] ^= 1;
        assert!(secret.unseal(&tampered).is_err());
    }

    #[test]
    fn github_keys_are_32_bytes_of_standard_base64() {
        let (secret, public) = recipient();
        let text = base64::engine::general_purpose::STANDARD.encode(secret.public_key().as_bytes());
        assert_eq!(PublicKey::from_base64(&text), Ok(public));
        assert!(
            PublicKey::from_base64("AAAA")
                .unwrap_err()
                .contains("3 bytes long, not 32")
        );
        assert!(
            PublicKey::from_base64("not base64!")
                .unwrap_err()
                .contains("not base64")
        );
    }
}
