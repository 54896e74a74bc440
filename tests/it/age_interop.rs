//! No lock-in: the reference Go `age` CLI decrypts every store bscred writes,
//! bscred reads stores `age` wrote, `age-keygen` identities work with
//! `init --identity`, and a store bscred cannot decrypt is never touched.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::{
    Env, NOW, TOKEN, age, assert_fails, assert_success, have, mode_of, set_mode, strays,
};

/// A value that exercises JSON escaping and byte-exactness: newlines, both
/// quote kinds, a backslash, a tab, non-ASCII and trailing spaces.
const AWKWARD: &str =
    "line one\n\"double\" and 'single' \\ back\tslash\nünïcødé ✓ 🔑  \n  trailing  ";

/// `age [-a] -r R1 -r R2 …` over `plaintext`.
fn age_encrypt(recipients: &[&str], armor: bool, plaintext: &[u8]) -> Vec<u8> {
    let mut args = Vec::new();
    if armor {
        args.push("-a");
    }
    for r in recipients {
        args.extend(["-r", r]);
    }
    age::tool("age", &args, plaintext).stdout
}

/// A fresh identity from `age-keygen -o FILE`.
fn keygen(file: &Path) {
    age::tool("age-keygen", &["-o", path_str(file)], b"");
}

/// The public key of an identity file, as `age-keygen -y` computes it.
fn public_key(identity: &Path) -> String {
    let out = age::tool("age-keygen", &["-y", path_str(identity)], b"");
    let key = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string();
    assert!(key.starts_with("age1"), "not a recipient: {key}");
    key
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// A profile document as docs/file-format.md describes it, written by hand (not by
/// bscred) so the test pins the format and not just bscred's round trip.
fn foreign_document() -> Value {
    json!({
        "format": "bscred-profile",
        "version": 1,
        "variables": {
            "GITHUB_TOKEN": {
                "value": TOKEN,
                "secret": true,
                "created_at": "2026-01-02T03:04:05Z",
                "updated_at": "2026-02-03T04:05:06Z",
                "expires_at": "2026-09-01T00:00:00Z"
            },
            "MULTI_SECRET": {
                "value": AWKWARD,
                "secret": true,
                "created_at": "2026-01-02T03:04:05Z",
                "updated_at": "2026-01-02T03:04:05Z"
            },
            "GITHUB_USER": {
                "value": "octocat",
                "secret": false,
                "created_at": "2026-01-02T03:04:05Z",
                "updated_at": "2026-01-02T03:04:05Z"
            }
        }
    })
}

/// The names, secret flags and expiries `list --json` reports.
fn listed(env: &Env) -> Vec<(String, bool, Option<String>)> {
    let list = env.list_json();
    list["variables"]
        .as_array()
        .expect("variables array")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().expect("name").to_string(),
                v["secret"].as_bool().expect("secret flag"),
                v["expires_at"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn age_decrypts_what_bscred_writes() {
    if !have("age") {
        return;
    }
    let env = Env::initialised();
    env.set("MULTI_SECRET", AWKWARD);
    env.set("GITHUB_TOKEN", TOKEN);
    env.ok(&["set", "GITHUB_USER", "octocat"]);
    let out = env.run_stdin(
        &["set", "DEPLOY_KEY", "--stdin", "--expires", "2026-12-31"],
        b"k\n",
    );
    assert_success(&out);

    let store = env.store_path();
    let ciphertext = fs::read(&store).expect("read store");
    assert!(
        ciphertext.starts_with(b"age-encryption.org/v1\n"),
        "the store is not a binary age file"
    );
    assert!(
        !ciphertext
            .windows(TOKEN.len())
            .any(|w| w == TOKEN.as_bytes()),
        "the token is in the store in plaintext"
    );

    let doc = age::decrypt(&env.identity_path(), &store);
    assert_eq!(doc["format"], "bscred-profile");
    assert_eq!(doc["version"], 1);
    let vars = doc["variables"].as_object().expect("variables object");
    let mut names: Vec<&str> = vars.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["DEPLOY_KEY", "GITHUB_TOKEN", "GITHUB_USER", "MULTI_SECRET"]
    );
    assert_eq!(vars["MULTI_SECRET"]["value"], AWKWARD);
    assert_eq!(vars["GITHUB_TOKEN"]["value"], TOKEN);
    assert_eq!(vars["GITHUB_USER"]["value"], "octocat");
    // `--stdin` drops exactly one trailing newline.
    assert_eq!(vars["DEPLOY_KEY"]["value"], "k");
    for (name, secret) in [
        ("MULTI_SECRET", true),
        ("GITHUB_TOKEN", true),
        ("DEPLOY_KEY", true),
        ("GITHUB_USER", false),
    ] {
        assert_eq!(vars[name]["secret"], secret, "{name}");
        assert_eq!(vars[name]["created_at"], NOW, "{name}");
        assert_eq!(vars[name]["updated_at"], NOW, "{name}");
    }
    assert_eq!(vars["DEPLOY_KEY"]["expires_at"], "2026-12-31T00:00:00Z");
    assert!(vars["GITHUB_USER"].get("expires_at").is_none());

    // The value also survives bscred's own round trip byte for byte.
    assert_eq!(env.get("MULTI_SECRET"), AWKWARD);
}

#[test]
fn bscred_reads_what_age_writes() {
    if !have("age") {
        return;
    }
    let env = Env::initialised();
    let identity = env.identity_path();
    let recipient = public_key(&identity);
    // The identity bscred made names its public key the way age-keygen does.
    let text = fs::read_to_string(&identity).expect("read identity");
    assert!(
        text.lines()
            .any(|l| l == format!("# public key: {recipient}")),
        "identity file lacks a matching `# public key:` line"
    );

    let store = env.store_path();
    let plaintext = serde_json::to_vec_pretty(&foreign_document()).expect("json");
    fs::write(&store, age_encrypt(&[&recipient], false, &plaintext)).expect("write store");

    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("MULTI_SECRET"), AWKWARD);
    assert_eq!(env.get("GITHUB_USER"), "octocat");
    assert_eq!(
        listed(&env),
        [
            (
                "GITHUB_TOKEN".to_string(),
                true,
                Some("2026-09-01T00:00:00Z".to_string())
            ),
            ("GITHUB_USER".to_string(), false, None),
            ("MULTI_SECRET".to_string(), true, None),
        ]
    );
    let list = env.list_json();
    let token_row = &list["variables"][0];
    assert_eq!(token_row["created_at"], "2026-01-02T03:04:05Z");
    assert_eq!(token_row["updated_at"], "2026-02-03T04:05:06Z");

    // A write on top of the age-written file keeps everything in it, and
    // age still reads the result.
    env.set("NPM_TOKEN", "npm_x");
    let doc = age::decrypt(&identity, &store);
    let vars = doc["variables"].as_object().expect("variables");
    assert_eq!(vars.len(), 4);
    assert_eq!(vars["MULTI_SECRET"]["value"], AWKWARD);
    assert_eq!(vars["GITHUB_TOKEN"]["expires_at"], "2026-09-01T00:00:00Z");
    assert_eq!(vars["GITHUB_TOKEN"]["created_at"], "2026-01-02T03:04:05Z");
    assert_eq!(vars["NPM_TOKEN"]["value"], "npm_x");
}

#[test]
fn bscred_reads_a_store_age_encrypted_to_several_recipients() {
    if !have("age") {
        return;
    }
    let env = Env::initialised();
    let teammate = env.home.join("teammate.txt");
    keygen(&teammate);
    let mine = public_key(&env.identity_path());
    let theirs = public_key(&teammate);
    let store = env.store_path();
    let plaintext = serde_json::to_vec(&foreign_document()).expect("json");
    fs::write(&store, age_encrypt(&[&theirs, &mine], false, &plaintext)).expect("write");

    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(listed(&env).len(), 3);
}

#[test]
fn bscred_reads_an_armored_store_age_wrote() {
    // `age -a` output is a file age wrote too, and the natural form for a
    // store committed to a project repository (README "Reading your data without bscred").
    if !have("age") {
        return;
    }
    let env = Env::initialised();
    let recipient = public_key(&env.identity_path());
    let store = env.store_path();
    let plaintext = serde_json::to_vec(&foreign_document()).expect("json");
    let armored = age_encrypt(&[&recipient], true, &plaintext);
    assert!(armored.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
    fs::write(&store, &armored).expect("write");

    let out = env.run(&["get", "-n", "GITHUB_TOKEN"]);
    assert_success(&out);
    assert_eq!(out.stdout, TOKEN.as_bytes());
    assert_eq!(env.get("MULTI_SECRET"), AWKWARD);
}

#[cfg(unix)]
#[test]
fn an_age_keygen_identity_works_with_init() {
    if !have("age") {
        return;
    }
    let env = Env::new();
    let key = env.home.join("age-key.txt");
    keygen(&key);
    set_mode(&key, 0o600);
    let recipient = public_key(&key);

    env.ok(&["init", "--identity", path_str(&key)]);
    // bscred uses the given identity and makes none of its own.
    assert!(!env.identity_path().exists(), "init generated an identity");

    env.set("GITHUB_TOKEN", TOKEN);
    env.set("MULTI_SECRET", AWKWARD);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("MULTI_SECRET"), AWKWARD);

    let store = env.store_path();
    assert_eq!(mode_of(&store), 0o600);
    let doc = age::decrypt(&key, &store);
    assert_eq!(doc["variables"]["GITHUB_TOKEN"]["value"], TOKEN);
    assert_eq!(doc["variables"]["MULTI_SECRET"]["value"], AWKWARD);

    // And the other way: a document age encrypts to that key is read.
    let plaintext = serde_json::to_vec(&foreign_document()).expect("json");
    fs::write(&store, age_encrypt(&[&recipient], false, &plaintext)).expect("write");
    assert_eq!(env.get("GITHUB_USER"), "octocat");
}

#[cfg(unix)]
#[test]
fn an_identity_readable_by_others_is_refused_and_nothing_is_created() {
    if !have("age") {
        return;
    }
    let env = Env::new();
    let key = env.home.join("age-key.txt");
    keygen(&key);
    for mode in [0o644, 0o640, 0o604] {
        set_mode(&key, mode);
        let out = env.run(&["init", "--identity", path_str(&key)]);
        let stderr = assert_fails(&out, 4);
        assert!(
            stderr.contains(path_str(&key)),
            "mode {mode:o}: the error does not name the file: {stderr}"
        );
        assert!(
            stderr.contains(&format!("chmod 600 {}", path_str(&key))),
            "mode {mode:o}: no chmod hint: {stderr}"
        );
        // Nothing at all under BSCRED_HOME or the work dir: no store, no
        // settings, no generated identity, no metadata.
        assert_eq!(
            env.files().keys().collect::<Vec<_>>(),
            Vec::<&PathBuf>::new(),
            "mode {mode:o}: files were created"
        );
        assert_eq!(mode_of(&key), mode, "the identity's mode was changed");
    }

    // The hint works.
    set_mode(&key, 0o600);
    env.ok(&["init", "--identity", path_str(&key)]);
    env.set("GITHUB_TOKEN", TOKEN);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
}

#[test]
fn a_store_for_another_key_is_refused_and_left_byte_identical() {
    if !have("age") {
        return;
    }
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", "ghp_original");
    let stranger = env.home.join("stranger.txt");
    keygen(&stranger);
    let store = env.store_path();
    let plaintext = serde_json::to_vec(&foreign_document()).expect("json");
    let foreign = age_encrypt(&[&public_key(&stranger)], false, &plaintext);
    fs::write(&store, &foreign).expect("write");
    let before = env.files();

    for args in [
        &["get", "-n", "GITHUB_TOKEN"][..],
        &["get", "GITHUB_USER"],
        &["list", "--json"],
    ] {
        let stderr = assert_fails(&env.run(args), 4);
        assert!(stderr.contains(path_str(&store)), "{args:?}: {stderr}");
        assert_eq!(fs::read(&store).expect("read"), foreign, "{args:?}");
    }

    // A write must not start a fresh store over the one it cannot read.
    let out = env.run_stdin(&["set", "GITHUB_TOKEN", "--stdin"], TOKEN.as_bytes());
    let stderr = assert_fails(&out, 4);
    assert!(stderr.contains(path_str(&store)), "{stderr}");
    let out = env.run(&["set", "NEW_PLAIN", "--plain", "x"]);
    assert_fails(&out, 4);

    assert_eq!(fs::read(&store).expect("read"), foreign);
    assert_eq!(env.files(), before, "a refused command changed files");
    assert_eq!(strays(&store), Vec::<PathBuf>::new());
    // The stranger's key still opens it: nothing was re-encrypted.
    let doc = age::decrypt(&stranger, &store);
    assert_eq!(doc["variables"]["GITHUB_TOKEN"]["value"], TOKEN);
}
