//! Opening a page in the user's browser (`rotate --open`, `login github`
//! on a desktop), with the platform's own opener.

use crate::terminal::Notices;

/// Opens `url` with the platform's opener; a failure is only a warning,
/// since the callers print the URL anyway.
pub fn open(url: &str, notices: Notices) {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    let started = command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = started {
        notices.warn(format!(
            "cannot open a browser ({e}); open the address above yourself"
        ));
    }
}
