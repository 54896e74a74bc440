//! `bscred::ssh_key`: the OpenSSH private key container (`protection`,
//! `is_encrypted`) and `decrypt` with a fixed passphrase (the seeds are
//! keys `ssh-keygen -a 1 -N fuzz` wrote, so the right-passphrase path is
//! reached too).
//!
//! Checks: no panic; `is_encrypted` is `protection` with a cipher other
//! than `none`; whatever `protection` refuses, `decrypt` refuses; a
//! decrypted key is a well-formed key without a passphrase that `decrypt`
//! does not take again. `decrypt` runs only for at most `MAX_ROUNDS`
//! bcrypt rounds: the file chooses the count, up to 2^32 - 1, and every
//! round costs milliseconds (the same bound a caller can read from
//! `protection` first).
#![no_main]

use bscred::ssh_key::{self, Failure};
use libfuzzer_sys::fuzz_target;

const PASSPHRASE: &str = "fuzz";
const MAX_ROUNDS: u32 = 4;

fuzz_target!(|data: &[u8]| {
    let passphrase = secrecy::SecretString::from(PASSPHRASE.to_string());
    let protection = ssh_key::protection(data);
    let encrypted = ssh_key::is_encrypted(data);
    let protection = match protection {
        Ok(protection) => protection,
        Err(_) => {
            assert!(!encrypted);
            assert!(
                matches!(
                    ssh_key::decrypt(data, &passphrase),
                    Err(Failure::Malformed | Failure::Unsupported(_))
                ),
                "decrypt took what protection refused"
            );
            return;
        }
    };
    assert_eq!(encrypted, protection.cipher != "none");
    if protection.rounds.is_some_and(|r| r > MAX_ROUNDS) {
        return;
    }
    let Ok(plain) = ssh_key::decrypt(data, &passphrase) else {
        return;
    };
    let unlocked = ssh_key::protection(&plain).expect("a decrypted key is well formed");
    assert_eq!(
        (
            unlocked.cipher.as_str(),
            unlocked.kdf.as_str(),
            unlocked.rounds
        ),
        ("none", "none", None)
    );
    assert!(!ssh_key::is_encrypted(&plain));
    assert!(
        matches!(
            ssh_key::decrypt(&plain, &passphrase),
            Err(Failure::Unsupported(_))
        ),
        "a decrypted key decrypts again"
    );
});
