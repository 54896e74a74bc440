//! git's credential configuration: reading which helpers git would run for
//! a host, and the helper entry bscred installs (docs/SECURITY.md, "GitHub
//! and git"); and the one way bscred runs git inside a directory someone
//! else may have written.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// One `credential.*helper` entry, in the order git reads its config files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperEntry {
    /// `system`, `global`, `local`, `worktree` or `command`.
    pub scope: String,
    /// Where git read it (`file:/home/you/.gitconfig`).
    pub origin: String,
    /// `credential.helper` or `credential.<url>.helper`.
    pub key: String,
    pub value: String,
}

/// Settings given to every git bscred runs in a repository, overriding
/// whatever its `.git/config` says: a repository that arrived with a clone
/// or an archive chooses its own config, and these keys name programs git
/// runs. `git ls-files` alone runs `core.fsmonitor`.
const OVERRIDES: &[&str] = &[
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.sshCommand=false",
    "core.gitProxy=false",
    "core.askPass=false",
    "core.editor=false",
    "sequence.editor=false",
    "diff.external=",
    "protocol.allow=never",
    "core.untrackedCache=false",
];

/// The variables a git run in a repository keeps from bscred's own
/// environment: where to find programs and the user's own config. Any
/// other `GIT_*` (a `GIT_DIR` or `GIT_CONFIG_PARAMETERS` inherited from a
/// hook or a script) is left behind.
const KEPT: &[&str] = &[
    "PATH",
    "HOME",
    "XDG_CONFIG_HOME",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_NOSYSTEM",
    "SYSTEMROOT",
    "USERPROFILE",
];

/// `git` to run in `dir`, a directory a repository controls: no program its
/// config names can run (see `OVERRIDES`), a clean environment, no
/// prompts, and no optional index writes.
pub fn command(dir: &Path) -> Command {
    let mut git = Command::new("git");
    git.current_dir(dir).env_clear();
    for name in KEPT {
        if let Some(value) = std::env::var_os(name) {
            git.env(name, value);
        }
    }
    git.env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    for setting in OVERRIDES {
        git.args(["-c", setting]);
    }
    git
}

/// Whether `dir` is inside a git work tree (git runs, and says so).
pub fn inside_work_tree(dir: &Path) -> bool {
    command(dir)
        .args(["rev-parse", "--is-inside-work-tree"])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success() && out.stdout.starts_with(b"true"))
}

/// Which of `paths` (relative to `dir`) git's ignore rules exclude: the
/// files `git add .` would leave out, the directories it would not enter.
/// One `git check-ignore` for all of them. `None` when git cannot say (no
/// git, not a repository, one owned by another user).
pub fn ignored(dir: &Path, paths: &[PathBuf]) -> Option<HashSet<PathBuf>> {
    if paths.is_empty() {
        return Some(HashSet::new());
    }
    let mut input = Vec::new();
    for path in paths {
        input.extend_from_slice(&path_bytes(path));
        input.push(0);
    }
    let mut child = command(dir)
        .args(["check-ignore", "-z", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // git answers while it reads: write from another thread, so neither
    // side can fill its pipe and wait for the other forever.
    let mut stdin = child.stdin.take()?;
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().ok()?;
    let _ = writer.join();
    // 0: some are ignored; 1: none is; anything else: git failed.
    match out.status.code() {
        Some(0 | 1) => Some(split_paths(&out.stdout)),
        _ => None,
    }
}

/// Which of `paths` (relative to `dir`) git tracks. `None` when git cannot
/// say.
pub fn tracked(dir: &Path, paths: &[PathBuf]) -> Option<HashSet<PathBuf>> {
    if paths.is_empty() {
        return Some(HashSet::new());
    }
    // Literal pathspecs: a file named `*` or `:(glob)x` means only itself.
    let out = command(dir)
        .args(["--literal-pathspecs", "ls-files", "-z", "--"])
        .args(paths)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| split_paths(&out.stdout))
}

/// NUL-separated paths, as git's `-z` prints them.
fn split_paths(bytes: &[u8]) -> HashSet<PathBuf> {
    bytes
        .split(|&b| b == 0)
        .filter(|path| !path.is_empty())
        .map(path_from_bytes)
        .collect()
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    // git for Windows takes paths as UTF-8, with forward slashes.
    path.to_string_lossy().replace('\\', "/").into_bytes()
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// Every credential helper entry git sees from `dir` (its repository's
/// config included), in the order it reads them.
pub fn helper_entries(dir: &Path) -> Result<Vec<HelperEntry>> {
    let out = command(dir)
        .args([
            "config",
            "--show-origin",
            "--show-scope",
            "-z",
            "--get-regexp",
            r"^credential\..*helper$",
        ])
        .output()
        .map_err(Error::io("cannot run git"))?;
    // git config exits 1 when nothing matches.
    if !out.status.success() && out.status.code() != Some(1) {
        return Err(Error::Refused {
            message: format!(
                "git config failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            hint: "check your git configuration files".to_string(),
        });
    }
    Ok(parse_entries(&out.stdout))
}

/// Parses `git config --show-scope --show-origin -z --get-regexp`: each
/// entry is `scope\0origin\0key\nvalue\0`.
fn parse_entries(bytes: &[u8]) -> Vec<HelperEntry> {
    let text = String::from_utf8_lossy(bytes);
    let fields: Vec<&str> = text.split('\0').collect();
    fields
        .chunks(3)
        .filter(|chunk| chunk.len() == 3)
        .map(|chunk| {
            let (key, value) = chunk[2].split_once('\n').unwrap_or((chunk[2], ""));
            HelperEntry {
                scope: chunk[0].to_string(),
                origin: chunk[1].to_string(),
                key: key.to_string(),
                value: value.to_string(),
            }
        })
        .collect()
}

/// Whether a `credential.*helper` key applies to `https://HOST`.
fn applies_to(key: &str, host: &str) -> bool {
    if key.eq_ignore_ascii_case("credential.helper") {
        return true;
    }
    let Some(url) = key
        .strip_prefix("credential.")
        .and_then(|k| k.strip_suffix(".helper"))
    else {
        return false;
    };
    let url = url.trim_end_matches('/');
    let bare = url.strip_prefix("https://").unwrap_or(url);
    bare.eq_ignore_ascii_case(host)
}

/// The helpers git would run for `https://HOST`, in order: every applicable
/// entry, where an empty value clears the ones read before it.
pub fn effective<'a>(entries: &'a [HelperEntry], host: &str) -> Vec<&'a HelperEntry> {
    let mut list = Vec::new();
    for entry in entries.iter().filter(|e| applies_to(&e.key, host)) {
        if entry.value.trim().is_empty() {
            list.clear();
        } else {
            list.push(entry);
        }
    }
    list
}

/// Whether a helper keeps credentials it is given: `store` writes them to
/// `~/.git-credentials` in plaintext, `cache` keeps them in memory.
pub fn stores_credentials(helper: &str) -> bool {
    let program = helper.split_whitespace().next().unwrap_or("");
    let program = program.trim_start_matches('!');
    let name = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    matches!(
        name.as_str(),
        "store" | "cache" | "git-credential-store" | "git-credential-cache"
    )
}

/// Whether a helper is bscred's.
pub fn is_bscred(helper: &str) -> bool {
    helper.contains("bscred") && helper.trim_end().ends_with("git-credential")
}

/// The helper value `install` writes: a shell command with bscred's
/// absolute path (editors and GUIs run git without ~/.cargo/bin on PATH),
/// single-quoted for the shell git runs it with.
pub fn helper_command(exe: &Path) -> String {
    let path = exe.display().to_string().replace('\'', "'\\''");
    format!("!'{path}' git-credential")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, value: &str) -> HelperEntry {
        HelperEntry {
            scope: "global".into(),
            origin: "file:/h/.gitconfig".into(),
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn entries_parse_from_git_output() {
        let raw = b"global\0file:/h/.gitconfig\0credential.helper\nstore\0local\0file:.git/config\0credential.https://github.com.helper\n\0";
        let entries = parse_entries(raw);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].value, "store");
        assert_eq!(entries[1].key, "credential.https://github.com.helper");
        assert_eq!(entries[1].value, "");
    }

    #[test]
    fn an_empty_value_clears_only_what_came_before() {
        let entries = vec![
            entry("credential.helper", "store"),
            entry("credential.https://github.com.helper", ""),
            entry(
                "credential.https://github.com.helper",
                "!'/b/bscred' git-credential",
            ),
            entry("credential.https://gitlab.com.helper", "cache"),
            entry("credential.helper", "cache --timeout 60"),
        ];
        let effective: Vec<&str> = effective(&entries, "github.com")
            .iter()
            .map(|e| e.value.as_str())
            .collect();
        assert_eq!(
            effective,
            ["!'/b/bscred' git-credential", "cache --timeout 60"]
        );
        assert!(stores_credentials("cache --timeout 60"));
        assert!(stores_credentials("store --file ~/.creds"));
        assert!(stores_credentials("/usr/lib/git-core/git-credential-store"));
        assert!(!stores_credentials("!'/b/bscred' git-credential"));
        assert!(!stores_credentials("osxkeychain"));
        assert!(is_bscred("!'/b/bscred' git-credential"));
    }

    #[test]
    fn the_helper_command_quotes_the_path() {
        assert_eq!(
            helper_command(Path::new("/home/o'neil/.cargo/bin/bscred")),
            "!'/home/o'\\''neil/.cargo/bin/bscred' git-credential"
        );
    }
}
