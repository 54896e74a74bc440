//! `bscred::project::parse`, which reads the `.bscred.toml` a clone
//! brings (before it is allowed, to show what allowing it would mean).
//!
//! Checks: no panic; an error renders as one `error:` line and at most one
//! `hint:` line; a team store path that parses stays inside the project
//! (relative, no `..`, no root) and names an `.age` file; the profile list
//! keeps the order written.
#![no_main]

use std::path::{Component, Path};

use bscred::project;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/project/.bscred.toml");
    let project = match project::parse(path, data) {
        Ok(project) => project,
        Err(error) => {
            let rendered = error.render();
            let lines: Vec<&str> = rendered.lines().collect();
            assert!(
                matches!(lines.as_slice(), [first] | [first, _] if first.starts_with("bscred: error: ")),
                "not one error line: {rendered:?}"
            );
            if let Some(hint) = lines.get(1) {
                assert!(hint.starts_with("bscred: hint: "), "{rendered:?}");
            }
            return;
        }
    };
    assert_eq!(project.path, path);
    if let Some(store) = &project.store {
        assert!(
            store
                .components()
                .all(|part| matches!(part, Component::Normal(_))),
            "store path leaves the project: {store:?}"
        );
        assert!(store.extension().is_some_and(|e| e == "age"), "{store:?}");
    }
    if project.profile.is_none() {
        assert!(project.also.is_empty(), "further profiles without a first");
    }
});
