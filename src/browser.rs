//! Opening a page in the user's browser (`rotate --open`, `login github`
//! on a desktop), with the platform's own opener, and which addresses a
//! server sent may be opened at all.

use crate::terminal::Notices;

/// Opens `url` with the platform's opener; a failure is only a warning,
/// since the callers print the URL anyway.
pub fn open(url: &str, notices: Notices) {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        // Not `cmd /C start`: cmd.exe reads `&`, `|`, `^` and `%` in the
        // address as its own syntax (a query string's `&` would start a
        // second command). rundll32 hands the address to the shell's URL
        // handler as it is, as `gh` and Go's pkg/browser do.
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
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

/// Whether `url`, an address a server sent, is a page under `base` (the
/// https web base it came from) written only with letters, digits and
/// `-._~/:?=#`: nothing an opener or a shell could read as syntax, no
/// `user@` part, no other host. Anything else is printed, never opened.
pub fn is_page_of(url: &str, base: &str) -> bool {
    let base = base.trim_end_matches('/');
    base.starts_with("https://")
        && url
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
        && url
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/:?=#".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_page_under_the_web_base_is_opened() {
        let web = "https://github.com";
        assert!(is_page_of("https://github.com/login/device", web));
        assert!(is_page_of(
            "https://github.com/login/device",
            "https://github.com/"
        ));
        assert!(is_page_of(
            "https://ghe.example.com/login/device?x=1",
            "https://ghe.example.com"
        ));
        for url in [
            // cmd.exe syntax, quotes, spaces and control characters
            "https://github.com/login/device&calc.exe",
            "https://github.com/login/device|calc",
            "https://github.com/login/^device",
            "https://github.com/login/%PATH%",
            "https://github.com/login/!x!",
            "https://github.com/login/\"x",
            "https://github.com/login/ device",
            "https://github.com/login/\ndevice",
            // another host, or one that only starts like the base
            "https://evil.example/login/device",
            "https://github.com.evil.example/login/device",
            "https://github.com@evil.example/login/device",
            "https://github.com",
            // plain http, or a base that is not https
            "http://github.com/login/device",
        ] {
            assert!(!is_page_of(url, web), "{url}");
        }
        assert!(!is_page_of(
            "http://127.0.0.1:8080/login/device",
            "http://127.0.0.1:8080"
        ));
    }
}
