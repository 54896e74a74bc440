//! Parallel and interrupted writers: concurrent `set`s lose nothing, and
//! writers killed with SIGKILL at any moment leave a store that still
//! decrypts, keeps every committed variable, and has no stale lock.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::Duration;

use crate::harness::process::{finish, spawn_fed};
use crate::harness::random::Rng;
use crate::harness::{Env, assert_success, bin, mode_of, strays};

/// How long a `set` may take before the test calls it hung (a stale lock).
const SET_DEADLINE: Duration = Duration::from_secs(10);

/// Starts `bscred set NAME --stdin` with `value` already written and stdin
/// closed. A writer killed before it reads stdin makes the write fail with
/// a broken pipe; that is expected and ignored.
fn spawn_set(env: &Env, name: &str, value: &str) -> Child {
    spawn_fed(
        env.sealed(bin()).args(["set", name, "--stdin"]),
        value.as_bytes(),
    )
}

/// The variables `list --json` reports, name → preview. The test values are
/// plain, short and printable, so the preview is the whole value.
fn listed(env: &Env) -> BTreeMap<String, String> {
    env.list_json()["variables"]
        .as_array()
        .expect("variables array")
        .iter()
        .map(|v| {
            assert_eq!(v["secret"], false, "{v}");
            (
                v["name"].as_str().expect("name").to_string(),
                v["preview"].as_str().expect("preview").to_string(),
            )
        })
        .collect()
}

fn is_temp_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"))
}

#[test]
fn parallel_sets_lose_nothing() {
    let env = Env::initialised();
    let store = env.store_path();
    let writers: Vec<(String, String, Child)> = (0..20)
        .map(|i| {
            let name = format!("VAR_{i}");
            let value = format!("value {i} of 20: ünï \"q\"");
            let child = spawn_set(&env, &name, &format!("{value}\n"));
            (name, value, child)
        })
        .collect();
    let mut expected = BTreeMap::new();
    for (name, value, child) in writers {
        let out = finish(child, &format!("set {name}"), SET_DEADLINE);
        assert_success(&out);
        expected.insert(name, value);
    }

    let names: Vec<String> = listed(&env).into_keys().collect();
    assert_eq!(names, expected.keys().cloned().collect::<Vec<_>>());
    for (name, value) in &expected {
        assert_eq!(&env.get(name), value, "{name}");
    }
    // Nobody was killed, so every temporary file was renamed or removed.
    assert_eq!(strays(&store), Vec::<PathBuf>::new());
}

#[cfg(unix)]
#[test]
fn killed_writers_never_break_the_store() {
    use std::os::unix::process::ExitStatusExt;

    const ROUNDS: usize = 40;
    const WRITERS: usize = 3;
    let seed = 0x5EED_B5C8_ED00_0001_u64;
    let mut rng = Rng::new(seed);
    let env = Env::initialised();
    let store = env.store_path();
    // Every variable known to be committed, with its value.
    let mut committed: BTreeMap<String, String> = BTreeMap::new();
    let mut killed_total = 0usize;
    let mut killed_mid_flight = 0usize;

    for round in 0..ROUNDS {
        let context = format!("round {round} (seed {seed:#x})");
        let writers: Vec<(String, String, Child)> = (0..WRITERS)
            .map(|w| {
                let name = format!("R{round}_W{w}");
                let value = format!("r{round}-w{w}-{:08x}", rng.next() as u32);
                let child = spawn_set(&env, &name, &value);
                (name, value, child)
            })
            .collect();
        // Kill at least one writer, sometimes all of them.
        let victims = 1 + rng.below(WRITERS as u64) as usize;
        let delay = Duration::from_millis(rng.below(31));
        std::thread::sleep(delay);

        let mut outcomes: Vec<(String, String, ExitStatus, bool)> = Vec::new();
        for (index, (name, value, mut child)) in writers.into_iter().enumerate() {
            let victim = index < victims;
            if victim {
                // It may already have exited; kill() then fails harmlessly.
                let _ = child.kill();
            }
            let out = finish(child, &format!("{context}: set {name}"), SET_DEADLINE);
            if !victim {
                assert!(
                    out.status.success(),
                    "{context}: writer {name} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            outcomes.push((name, value, out.status, victim));
        }

        // The store decrypts, and every earlier commit is still there.
        let now = listed(&env);
        for (name, value) in &committed {
            assert_eq!(now.get(name), Some(value), "{context}: lost {name}");
        }
        for (name, value, status, victim) in outcomes {
            if status.success() {
                assert_eq!(now.get(&name), Some(&value), "{context}: {name}");
                committed.insert(name, value);
            } else {
                assert!(victim, "{context}: {name} failed without being killed");
                assert_eq!(status.signal(), Some(9), "{context}: {name}: {status:?}");
                killed_total += 1;
                // A killed writer either committed its whole value or nothing.
                match now.get(&name) {
                    Some(seen) => {
                        assert_eq!(seen, &value, "{context}: {name} half-written");
                        committed.insert(name, value);
                    }
                    None => killed_mid_flight += 1,
                }
            }
        }
        assert_eq!(
            now.len(),
            committed.len(),
            "{context}: unexpected variables: {now:?}"
        );

        // No stale lock: the next write goes through at once.
        let name = format!("AFTER_{round}");
        let value = format!("after-{round}");
        let out = finish(
            spawn_set(&env, &name, &value),
            &format!("{context}: set {name}"),
            SET_DEADLINE,
        );
        assert_success(&out);
        committed.insert(name, value);

        // Only killed writers can leave temporary files behind, at most one each.
        let strays = strays(&store);
        assert!(
            strays.iter().all(|p| is_temp_file(p)),
            "{context}: unexpected files next to the store: {strays:?}"
        );
        assert!(
            strays.len() <= killed_total,
            "{context}: {} temporary files but only {killed_total} writers killed",
            strays.len()
        );
    }

    // The last state, read back value by value through `get`.
    let now = listed(&env);
    assert_eq!(now, committed);
    for name in ["R0_W0", "AFTER_0", &format!("AFTER_{}", ROUNDS - 1)] {
        if let Some(value) = committed.get(name) {
            assert_eq!(&env.get(name), value, "{name}");
        }
    }
    let leftovers = strays(&store);
    eprintln!(
        "killed {killed_total} writers ({killed_mid_flight} before they committed); \
         {} temporary files left next to the store: {leftovers:?}",
        leftovers.len()
    );
    // What a killed writer leaves is ciphertext only, private to the user.
    for leftover in &leftovers {
        let bytes = fs::read(leftover).expect("read leftover");
        for value in committed.values() {
            assert!(
                !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                "{leftover:?} holds a value in plaintext"
            );
        }
        assert_eq!(mode_of(leftover), 0o600, "{leftover:?}");
    }
    // Across BSCRED_HOME (the metadata cache is written the same way), the
    // only extra files are temporary ones, at most one per killed writer.
    let expected_files = [
        env.bscred_home.join("config/profiles/default.toml"),
        env.identity_path(),
        store.clone(),
        env.bscred_home.join("state/metadata/default.json"),
    ];
    let all_temp: Vec<PathBuf> = env
        .files()
        .into_keys()
        .filter(|p| !expected_files.contains(p))
        .collect();
    assert!(
        all_temp.iter().all(|p| is_temp_file(p)),
        "unexpected files: {all_temp:?}"
    );
    assert!(all_temp.len() <= killed_total, "{all_temp:?}");
    eprintln!("temporary files left under BSCRED_HOME: {all_temp:?}");
    // The run must actually interrupt writers, or it tests nothing.
    assert!(
        killed_mid_flight > 0,
        "no writer was killed before committing"
    );
}
