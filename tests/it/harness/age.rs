//! The Go `age` CLI as anyone outside bscred uses it (no lock-in: it must
//! read every store bscred writes, and write stores bscred reads).

#[cfg(target_os = "linux")]
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use super::process::output_fed;

/// Runs the Go `age` (or `age-keygen`) CLI, feeding `input` on stdin, and
/// asserts it succeeded.
pub fn tool(tool: &str, args: &[&str], input: &[u8]) -> Output {
    let out = output_fed(Command::new(tool).args(args), input);
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Whether the Go age CLI decrypts `store` with the identity `key`.
pub fn reads(key: &Path, store: &Path) -> bool {
    Command::new("age")
        .args(["-d", "-i"])
        .arg(key)
        .arg(store)
        .output()
        .expect("age runs")
        .status
        .success()
}

/// `age -d -i IDENTITY FILE`, parsed as JSON.
pub fn decrypt(identity: &Path, file: &Path) -> Value {
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(file)
        .output()
        .expect("run age");
    assert!(
        out.status.success(),
        "age -d failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("age -d gives a JSON document")
}

/// Asserts that the document `age` decrypts holds exactly `expected`.
/// (The keychain tests' check of a migrated store, Linux only.)
#[cfg(target_os = "linux")]
pub fn assert_decrypts(identity: &Path, store: &Path, expected: &BTreeMap<String, String>) {
    let doc = decrypt(identity, store);
    let values: BTreeMap<String, String> = doc["variables"]
        .as_object()
        .expect("variables")
        .iter()
        .map(|(name, v)| {
            (
                name.clone(),
                v["value"].as_str().expect("value").to_string(),
            )
        })
        .collect();
    assert_eq!(&values, expected);
}
