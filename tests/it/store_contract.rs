//! The `Store` trait's laws (its doc comment), checked by one generic test
//! that every backend runs.

use std::fs;
use std::path::Path;

use bscred::access::Access;
use bscred::error::Error;
use bscred::identity::{Identity, IdentitySource};
use bscred::keychain::Keychain;
use bscred::paths::Dirs;
use bscred::secret::{Secret, VarName};
use bscred::store::file::FileStore;
use bscred::store::keychain::KeychainStore;
use bscred::store::{Document, Store, Variable};
use jiff::Timestamp;

use crate::harness::TOKEN;

fn name(s: &str) -> VarName {
    s.parse().expect("valid name")
}

fn variable(value: &str, secret: bool) -> Variable {
    let t: Timestamp = "2026-06-01T12:00:00Z".parse().expect("time");
    Variable {
        value: Secret::new(value.to_string()).expect("valid value"),
        secret,
        created_at: t,
        updated_at: t,
        expires_at: Some("2026-08-30T00:00:00Z".parse().expect("time")),
        token: None,
        refresh: None,
        extra: Default::default(),
    }
}

/// Checks every law against a freshly created, empty store. `break_it`
/// makes the store unreadable so the refusal laws can be checked; `stored`
/// returns the bytes the backend holds (the file, the keychain item), to
/// check "left untouched" by content on every backend, whether or not it
/// has a cheap fingerprint.
fn check_laws(store: &dyn Store, break_it: &dyn Fn(), stored: &dyn Fn() -> Vec<u8>) {
    assert!(!store.exists().expect("exists"));
    store.create(&Document::default()).expect("create");
    assert!(store.exists().expect("exists"));
    assert!(
        store.create(&Document::default()).is_err(),
        "create must not replace an existing store"
    );

    // 1. get after set returns the same value and metadata.
    let token = variable(TOKEN, true);
    store
        .set(&name("GITHUB_TOKEN"), token.clone())
        .expect("set");
    let odd = variable(" multi\nline\t'\"$(x)` ünï ", false);
    store.set(&name("ODD"), odd.clone()).expect("set");
    assert_eq!(
        store.get(&name("GITHUB_TOKEN")).expect("get"),
        Some(token.clone())
    );
    assert_eq!(store.get(&name("ODD")).expect("get"), Some(odd));

    // 2. A missing variable is Ok(None).
    assert_eq!(store.get(&name("MISSING")).expect("get"), None);

    // 3. remove is idempotent.
    assert!(store.remove(&name("ODD")).expect("remove"));
    assert!(!store.remove(&name("ODD")).expect("remove again"));
    assert_eq!(store.get(&name("ODD")).expect("get"), None);

    // 4. update is all or nothing.
    let before = store.read().expect("read").fingerprint;
    assert!(
        before.is_some(),
        "a read knows the fingerprint of what it read"
    );
    let failed = store.update(&mut |doc| {
        doc.variables.clear();
        Err(Error::usage("stop", "on purpose"))
    });
    assert!(failed.is_err());
    assert_eq!(store.get(&name("GITHUB_TOKEN")).expect("get"), Some(token));
    assert_eq!(
        store.read().expect("read").fingerprint,
        before,
        "a failed update must not write"
    );

    // A successful write changes the fingerprint the metadata cache relies
    // on, and snapshots carry the fingerprint of exactly what they hold.
    let written = store
        .update(&mut |doc| {
            doc.variables.insert(name("B"), variable("b", false));
            Ok(())
        })
        .expect("update");
    assert_ne!(written.fingerprint, before);
    let read = store.read().expect("read");
    assert_eq!(read.fingerprint, written.fingerprint);
    assert_eq!(read.doc.variables, written.doc.variables);
    // The cheap fingerprint, where a backend has one, agrees.
    if let Some(cheap) = store.fingerprint() {
        assert_eq!(Some(cheap), read.fingerprint);
    }

    // 8. An appended change (written without reading the store) is in
    // every read, applied as `set` applies it, and folded in by `update`.
    let mut change = Document::default();
    change.upsert(
        name("B"),
        Secret::new("b".to_string()).expect("valid"),
        false,
        None,
        "2026-06-02T00:00:00Z".parse().expect("time"),
    );
    change.upsert(
        name("APPENDED"),
        Secret::new("new".to_string()).expect("valid"),
        true,
        None,
        "2026-06-02T00:00:00Z".parse().expect("time"),
    );
    if store.append(&change).expect("append") {
        assert_eq!(store.pending_changes(), 1);
        let merged = store.read().expect("read").doc;
        // The same value as before keeps its expiry (set's rule).
        assert_eq!(
            merged.variables[&name("B")].expires_at,
            variable("b", false).expires_at
        );
        assert_eq!(merged.variables[&name("APPENDED")].value.expose(), "new");
        store.update(&mut |_| Ok(())).expect("fold");
        assert_eq!(store.pending_changes(), 0);
        assert_eq!(store.read().expect("read").doc.variables, merged.variables);
    } else {
        assert_eq!(store.pending_changes(), 0);
        assert_eq!(store.get(&name("APPENDED")).expect("get"), None);
    }

    // 5. An unreadable store fails loudly and is left untouched.
    break_it();
    let after_break = store.fingerprint();
    let broken = stored();
    let load = store.load().expect_err("unreadable store must fail");
    assert_eq!(load.exit().code(), 4, "{load}");
    let set = store
        .set(&name("C"), variable("c", false))
        .expect_err("set on an unreadable store must fail");
    assert_eq!(set.exit().code(), 4);
    assert_eq!(store.fingerprint(), after_break);
    assert_eq!(stored(), broken, "a failed write changed the store");

    // 6. No error carries a value.
    for error in [load, set] {
        assert!(!error.render().contains(TOKEN));
        assert!(!format!("{error:?}").contains(TOKEN));
    }
}

fn corrupt(path: &Path) {
    let mut bytes = fs::read(path).expect("read store");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    fs::write(path, bytes).expect("write store");
}

/// What a store is opened with, for a home inside `dir`.
fn access(dir: &tempfile::TempDir) -> Access {
    Access::with_defaults(&Dirs::under(dir.path()))
}

#[test]
fn file_store_keeps_the_laws() {
    let dir = tempfile::tempdir().expect("tempdir");
    let identity_path = dir.path().join("identity.txt");
    let source = IdentitySource::File(identity_path);
    let identity =
        Identity::generate(&source, Timestamp::UNIX_EPOCH, None, &access(&dir)).expect("identity");
    let path = dir.path().join("data/default.age");
    let store = FileStore::new(path.clone(), source, identity.recipients(), &access(&dir))
        .with_pending_changes();
    check_laws(&store, &|| corrupt(&path), &|| {
        fs::read(&path).expect("read store")
    });
}

#[test]
fn a_folded_change_is_never_applied_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = IdentitySource::File(dir.path().join("identity.txt"));
    let identity =
        Identity::generate(&source, Timestamp::UNIX_EPOCH, None, &access(&dir)).expect("identity");
    let path = dir.path().join("default.age");
    let store = FileStore::new(path.clone(), source, identity.recipients(), &access(&dir))
        .with_pending_changes();
    store.create(&Document::default()).expect("create");
    let mut change = Document::default();
    let t = "2026-06-01T12:00:00Z".parse().expect("time");
    change.upsert(
        name("A"),
        Secret::new("1".into()).expect("v"),
        false,
        None,
        t,
    );
    assert!(store.append(&change).expect("append"));
    // What a crash between writing the store and deleting its pending
    // changes leaves: the change's file, already folded in.
    let pending = bscred::store::file::pending_dir(&path);
    let kept: Vec<_> = fs::read_dir(&pending)
        .expect("pending")
        .map(|e| {
            let e = e.expect("entry");
            (e.path(), fs::read(e.path()).expect("read"))
        })
        .collect();
    assert_eq!(kept.len(), 1);
    store.set(&name("A"), variable("2", false)).expect("set");
    assert!(!pending.exists(), "folded changes are deleted");
    fs::create_dir_all(&pending).expect("mkdir");
    for (file, bytes) in &kept {
        fs::write(file, bytes).expect("restore");
    }
    assert_eq!(
        store
            .get(&name("A"))
            .expect("get")
            .expect("A")
            .value
            .expose(),
        "2"
    );
    // The next write deletes the leftover.
    store.set(&name("B"), variable("b", false)).expect("set");
    assert!(!pending.exists());
}

#[test]
fn file_store_refuses_a_store_for_another_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mine = dir.path().join("mine.txt");
    let theirs = dir.path().join("theirs.txt");
    let mine = IdentitySource::File(mine);
    let theirs = IdentitySource::File(theirs);
    Identity::generate(&mine, Timestamp::UNIX_EPOCH, None, &access(&dir)).expect("identity");
    let their_key =
        Identity::generate(&theirs, Timestamp::UNIX_EPOCH, None, &access(&dir)).expect("identity");
    let path = dir.path().join("s.age");
    let writer = FileStore::new(path.clone(), theirs, their_key.recipients(), &access(&dir));
    writer.create(&Document::default()).expect("create");
    writer
        .set(&name("GITHUB_TOKEN"), variable(TOKEN, true))
        .expect("set");
    let reader = FileStore::new(path, mine, their_key.recipients(), &access(&dir));
    let error = reader.load().expect_err("wrong identity");
    assert_eq!(error.exit().code(), 4);
    assert!(error.to_string().contains("mine.txt"), "{error}");
}

#[test]
fn keychain_store_keeps_the_laws() {
    if !crate::harness::have_secret_service() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let keychain = Keychain::new(None, true).expect("keychain");
    // A unique account per run: the Secret Service is shared by all tests.
    let account = format!("contract@{}", dir.path().display());
    let store = KeychainStore::new("contract", &account, keychain);
    let cleanup = Cleanup(&account);
    check_laws(
        &store,
        &|| {
            keychain
                .set(&account, "bscred: broken on purpose", b"not a document")
                .expect("overwrite");
        },
        &|| {
            keychain
                .get(&account)
                .expect("get")
                .map(|bytes| bytes.to_vec())
                .expect("the item is there")
        },
    );
    drop(cleanup);
    assert_eq!(keychain.get(&account).expect("get"), None);
}

/// Deletes a test's keychain item however the test ends.
struct Cleanup<'a>(&'a str);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if let Ok(keychain) = Keychain::new(None, true) {
            let _ = keychain.delete(self.0);
        }
    }
}

#[test]
fn vault_store_keeps_the_laws() {
    if !crate::harness::bao::have_bao() {
        return;
    }
    let server = crate::harness::bao::Server::shared();
    let path = crate::harness::bao::unique_path("contract");
    let store = crate::vault::contract::store(&server, &path);
    let meta = format!("{path}.bscred");
    check_laws(
        &store,
        // Metadata that is not bscred's: the store cannot be read.
        &|| {
            let out = server.bao(&["kv", "put", &meta, "format=something-else"]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        },
        &|| {
            let data = server.bao(&["kv", "get", "-format=json", &path]);
            let meta = server.bao(&["kv", "get", "-format=json", &meta]);
            let strip = |out: std::process::Output| {
                let mut json: serde_json::Value =
                    serde_json::from_slice(&out.stdout).expect("json");
                json.as_object_mut().map(|o| o.remove("request_id"));
                json.to_string().into_bytes()
            };
            [strip(data), strip(meta)].concat()
        },
    );
}
