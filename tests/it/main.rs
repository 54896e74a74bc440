//! Integration tests: the built `bscred` binary in a sealed environment
//! (temporary HOME and BSCRED_HOME, cleared environment except PATH, fixed
//! clock), against real external tools where the machine has them.
//!
//! Unix only: the cases evaluate bscred's output in bash, zsh, dash and
//! fish, drive prompts through a pseudo-terminal and check file modes.
//! Windows has its own suite in `tests/windows/` (docs/platforms.md).
#![cfg(unix)]

mod harness;

mod age_interop;
mod app_token;
mod bad_input;
mod cli_help;
mod cli_reference;
mod concurrency;
mod doctor;
mod edges;
mod exec;
mod git_doctor;
mod identity_backup;
mod import;
mod keychain;
mod lifecycle;
mod login;
mod passphrase;
mod profiles;
mod project;
mod prompt;
mod push;
mod recipients;
mod session_cache;
mod shells;
mod ssh_identity;
mod store_contract;
mod team_store;
mod team_vectors;
mod terminal_output;
mod time_zone;
mod vault;
mod vault_login;
mod wizard;
mod workflow;
