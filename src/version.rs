//! What this build of bscred is: the package version, the commit and the
//! target, recorded at build time by `build.rs`.

use serde::Serialize;

/// The package version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit the binary was built from (12 hex digits), or "unknown".
pub const COMMIT: &str = env!("BSCRED_COMMIT");

/// The target triple the binary was built for.
pub const TARGET: &str = env!("BSCRED_TARGET");

/// What `bscred --version` prints after the name.
pub const LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("BSCRED_COMMIT"),
    ", ",
    env!("BSCRED_TARGET"),
    ")"
);

/// The facts `bscred version --json` prints for a bug report: no paths,
/// no settings, nothing about the user.
#[derive(Debug, Serialize)]
pub struct Build {
    pub name: &'static str,
    pub version: &'static str,
    pub commit: &'static str,
    pub target: &'static str,
    /// Whether the binary was built with debug assertions (a dev build).
    pub debug: bool,
}

/// This build.
pub fn build() -> Build {
    Build {
        name: env!("CARGO_PKG_NAME"),
        version: VERSION,
        commit: COMMIT,
        target: TARGET,
        debug: cfg!(debug_assertions),
    }
}
