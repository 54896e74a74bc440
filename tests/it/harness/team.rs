//! Team stores as the tests build and read them: the document an outsider
//! encrypts with `age` (a teammate, or an attacker holding a public key),
//! and what a project's profile gives a shell or a command.

use std::path::Path;

use serde_json::{Value, json};

use super::{Env, assert_success, stderr};

/// A profile document as an outsider writes it with `age`, not bscred:
/// plain variables, fixed dates.
pub fn document(vars: &[(&str, &str)]) -> Vec<u8> {
    let variables: serde_json::Map<String, Value> = vars
        .iter()
        .map(|(name, value)| {
            let var = json!({
                "value": value,
                "secret": false,
                "created_at": "2026-01-02T03:04:05Z",
                "updated_at": "2026-01-02T03:04:05Z"
            });
            ((*name).to_string(), var)
        })
        .collect();
    serde_json::to_vec(&json!({
        "format": "bscred-profile",
        "version": 1,
        "variables": variables
    }))
    .expect("serialise")
}

/// `user`'s own public key, as `recipients list` marks it: what anyone
/// encrypting to that user (an attacker too) has.
pub fn public_key_of(user: &Env) -> String {
    user.ok(&["recipients", "list"])
        .lines()
        .find_map(|l| l.strip_suffix("(you)"))
        .map(|k| k.trim().to_string())
        .expect("own key listed")
}

/// `env --shell json` for `user` in `dir`, parsed, with its stderr.
pub fn json_env(user: &Env, dir: &Path) -> (Value, String) {
    let out = user.run_in(dir, &["env", "--shell", "json"]);
    assert_success(&out);
    (
        serde_json::from_slice(&out.stdout).expect("json"),
        stderr(&out),
    )
}

/// The value `exec` gives NAME in a child, or `None` when it has none.
pub fn exec_value(user: &Env, dir: &Path, name: &str) -> Option<String> {
    let out = user.run_in(dir, &["exec", "--", "printenv", name]);
    match out.status.code() {
        Some(0) => Some(
            String::from_utf8(out.stdout)
                .expect("utf-8")
                .trim_end_matches('\n')
                .to_string(),
        ),
        Some(1) => None,
        other => panic!("exec failed with {other:?}: {}", stderr(&out)),
    }
}
