//! `bscred::dotenv::parse`, which reads whatever `.env` a user points
//! `import` at, and `without_entries`, which `import --remove` writes back.
//!
//! Checks: no panic; every entry's line range is inside the file, non-empty
//! and after the previous one; names are shell names and values hold no
//! NUL; `Debug` never shows a value; an error's line exists; removing every
//! entry leaves a file that parses to nothing, and removing every other
//! entry leaves the rest parsing exactly as before (what `--remove` relies
//! on to delete only the lines it imported).
#![no_main]

use bscred::dotenv::{self, Entry};
use libfuzzer_sys::fuzz_target;

fn is_shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The (name, value) pairs, to compare two parses.
fn pairs(entries: &[Entry]) -> Vec<(&str, &str)> {
    entries
        .iter()
        .map(|e| (e.name.as_str(), e.value.as_str()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let line_count = text.split_inclusive('\n').count();
    let entries = match dotenv::parse(text) {
        Ok(entries) => entries,
        Err(error) => {
            assert!(
                (1..=line_count).contains(&error.line),
                "error on line {} of {line_count}",
                error.line
            );
            return;
        }
    };

    let mut next_free = 0;
    for entry in &entries {
        assert!(
            entry.lines.start >= next_free
                && entry.lines.start < entry.lines.end
                && entry.lines.end <= line_count,
            "lines {:?} after {next_free}, file of {line_count}",
            entry.lines
        );
        next_free = entry.lines.end;
        assert!(is_shell_name(&entry.name), "name {:?}", entry.name);
        assert!(!entry.value.contains('\0'));
        // Exactly the name and the lines: the value is never shown.
        assert_eq!(
            format!("{entry:?}"),
            format!(
                "Entry {{ name: {:?}, value: [REDACTED], lines: {:?} }}",
                entry.name, entry.lines
            )
        );
    }

    let all: Vec<&Entry> = entries.iter().collect();
    let emptied = dotenv::without_entries(text, &all);
    let left = dotenv::parse(&emptied).expect("what is left after removing every entry parses");
    assert!(left.is_empty(), "removing every entry left {}", left.len());

    let removed: Vec<&Entry> = entries.iter().step_by(2).collect();
    let kept: Vec<&Entry> = entries.iter().skip(1).step_by(2).collect();
    let rest = dotenv::without_entries(text, &removed);
    let reparsed = dotenv::parse(&rest).expect("what is left after removing entries parses");
    let kept: Vec<(&str, &str)> = kept
        .iter()
        .map(|e| (e.name.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(pairs(&reparsed), kept, "the other entries changed");
});
