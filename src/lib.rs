//! bscred keeps the credentials a project needs (a GitHub token,
//! `GITHUB_USERNAME`, …) in an age-encrypted file instead of a plaintext
//! `.env`, and hands them to a shell or a command.
//!
//! The binary is a thin wrapper over [`cmd::run`]; docs/architecture.md in the
//! shared docs is the contract for commands, exit codes and storage.

#![forbid(unsafe_code)]

pub mod access;
pub mod age_x25519;
pub mod allow;
pub mod app_token;
pub mod browser;
pub mod cli;
pub mod cmd;
pub mod code_variables;
pub mod config;
pub mod context;
pub mod credential_request;
pub mod device_flow;
pub mod dotenv;
pub mod error;
pub mod expiry;
pub mod git;
pub mod github;
pub mod github_app;
pub mod github_jwt;
pub mod github_secrets;
pub mod harden;
pub mod identity;
pub mod import;
pub mod keychain;
pub mod ledger;
pub mod metadata;
pub mod paths;
pub mod private_fs;
pub mod profile;
pub mod profile_name;
pub mod project;
pub mod prompt;
pub mod refresh;
pub mod sealed_box;
pub mod secret;
pub mod session_cache;
pub mod shell;
pub mod ssh_key;
pub mod store;
pub mod team;
pub mod terminal;
pub mod token;
pub mod unlock;
pub mod vault;
pub mod version;
