//! `bscred::store::document::Document::from_bytes`, which reads every
//! decrypted store, the team store a teammate wrote among them.
//!
//! Checks: no panic; an error's text is one of the fixed descriptions
//! (never a piece of the input, which may be a token); a document that
//! parses survives serialise → parse unchanged (what an older bscred
//! rewriting a newer one's store relies on), and serialising is stable.
#![no_main]

use bscred::store::document::{Document, DocumentError};
use libfuzzer_sys::fuzz_target;

/// The error text with its numbers (line, column, version) taken out.
fn without_digits(text: &str) -> String {
    text.chars().filter(|c| !c.is_ascii_digit()).collect()
}

fuzz_target!(|data: &[u8]| {
    let document = match Document::from_bytes(data) {
        Ok(document) => document,
        Err(error) => {
            let text = without_digits(&error.to_string());
            let fixed = match error {
                DocumentError::TooNew(_) => text.starts_with("it was written by a newer bscred"),
                DocumentError::NotADocument(_) => [
                    "it is not a bscred profile document (it is not valid JSON at line , column )",
                    "it is not a bscred profile document (a field is missing, unknown or has the wrong type at line , column )",
                    "it is not a bscred profile document (the format marker is wrong)",
                ]
                .contains(&text.as_str()),
            };
            assert!(fixed, "an error that is not a fixed text: {text}");
            return;
        }
    };
    let bytes = document.to_bytes();
    let again = Document::from_bytes(&bytes).expect("what bscred writes, it reads");
    assert!(
        again == document,
        "a document changed in serialise -> parse"
    );
    assert!(again.to_bytes() == bytes, "serialising is not stable");
});
