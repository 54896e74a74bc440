//! Node and the packages tests/node pins (`npm ci` installs them there;
//! scripts/test.sh runs it), for the tests whose other side is a Node
//! program: a dotenv parser, a calendar reader.

use std::path::{Path, PathBuf};

use super::{available, have};

/// tests/node, where the pinned packages are installed.
pub fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node")
}

/// Whether node and the pinned `package` are there; like `have`, a skip
/// by hand and a failure under CI.
pub fn have_package(package: &str) -> bool {
    if !have("node") {
        return false;
    }
    let installed = node_dir()
        .join("node_modules")
        .join(package)
        .join("package.json")
        .is_file();
    available(
        installed,
        &format!(
            "{package} is not installed (npm ci --prefix tests/node; scripts/test.sh runs it)"
        ),
    )
}
