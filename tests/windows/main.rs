//! The Windows test suite: runs `bscred.exe` as a Windows user would, case
//! by case, and checks what it prints, stores and exits with.
//!
//! Covers (docs/platforms.md has the list and why it is built this way):
//! - `file.rs`: the file backend: init, set from stdin, get, list, rm,
//!   import of a CRLF `.env`, `env --shell powershell|json`, parallel
//!   writers under the lock, a replace while another program holds the
//!   store open, no hanging prompt without a console.
//! - `exec.rs`: `exec` through `cmd /c`: the variables reach the child, its
//!   exit code comes back whole, 125 and 127, `PATHEXT` lookup of `.cmd`
//!   and `.bat` commands.
//! - `keychain.rs`: the Credential Manager: a round trip, the 2,560-byte
//!   item limit refused with the store unchanged, `migrate` both ways.
//! - `paths.rs`: the `%LOCALAPPDATA%\bscred` layout without `BSCRED_HOME`,
//!   and a profile under a path with spaces and non-ASCII characters.
//!
//! It is an ordinary cargo integration test compiled for Windows: on a
//! Windows machine `cargo test --test windows` runs it; on Linux
//! `scripts/windows.sh` cross-compiles it and runs it under Wine. Only
//! `bscred.exe` and `cmd.exe` are run, and every path is a Windows path.
//! The binary under test is `BSCRED_EXE`, else the `bscred.exe` cargo
//! built beside this test (`target/.../debug/bscred.exe`).
#![cfg(windows)]

mod harness;

mod exec;
mod file;
mod keychain;
mod paths;
