//! `bscred::credential_request`: `parse`, over whatever bytes git (or
//! anything else) puts on `bscred git-credential`'s stdin, and `read`,
//! which takes them from a reader with a cap.
//!
//! Checks: no panic; `read` over the same bytes gives the same answer as
//! `parse`, though it stops reading after 64 KiB; an error names only
//! line numbers and keys (its text holds no byte of any value); a host or
//! protocol that parses is exactly what followed `host=` / `protocol=` on
//! a line of the input.
#![no_main]

use bscred::credential_request::{self, RequestError};
use libfuzzer_sys::fuzz_target;

/// Whether `value` (taken from the input, so valid UTF-8 when it has no
/// replacement character) appears in `data` as a whole `KEY=value` line.
fn is_a_line(data: &[u8], key: &str, value: &str) -> bool {
    if value.contains('\u{fffd}') {
        return true;
    }
    let wanted = format!("{key}={value}");
    data.split(|&b| b == b'\n')
        .any(|line| line.strip_suffix(b"\r").unwrap_or(line) == wanted.as_bytes())
}

fuzz_target!(|data: &[u8]| {
    let parsed = credential_request::parse(data);
    let read = credential_request::read(data);
    match (&parsed, &read) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "read and parse disagree"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "different errors"),
        _ => panic!("read and parse disagree: {parsed:?} / {}", read.is_ok()),
    }
    match parsed {
        Ok(request) => {
            if let Some(host) = &request.host {
                assert!(is_a_line(data, "host", host), "host not from a host= line");
            }
            if let Some(protocol) = &request.protocol {
                assert!(
                    is_a_line(data, "protocol", protocol),
                    "protocol not from its line"
                );
            }
        }
        Err(error) => {
            let text = error.to_string();
            let expected = match error {
                RequestError::TooLarge => {
                    "git's credential request is larger than 64 KiB".to_string()
                }
                RequestError::LineTooLong { line } => {
                    format!("line {line} of git's credential request is longer than 16 KiB")
                }
                RequestError::Repeated { key, first, second } => {
                    assert!(key == "host" || key == "protocol");
                    assert!(first < second);
                    format!(
                        "git's credential request has two `{key}=` lines (lines {first} and {second})"
                    )
                }
            };
            assert_eq!(text, expected);
        }
    }
});
