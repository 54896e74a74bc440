//! `bscred doctor`: find plaintext copies of secrets and risky setup, each
//! with the command that fixes it (DESIGN "doctor"). It never prints a
//! found secret: at most a token's prefix and last four characters.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::expiry;
use crate::git;
use crate::keychain::Keychain;
use crate::profile::Profile;
use crate::token;

/// The names bscred manages for a Backstage app: any of them in a
/// plaintext `.env` is worth moving in, token-shaped or not.
const MANAGED: [&str; 6] = [
    "GITHUB_TOKEN",
    "GITHUB_USERNAME",
    "USER_DISPLAY_NAME",
    "USER_EMAIL",
    "AUTH_GITHUB_CLIENT_ID",
    "AUTH_GITHUB_CLIENT_SECRET",
];

/// Find plaintext secrets and risky setup, with the fix for each
///
/// Looks in a project directory (default: the current one) for .env files
/// holding tokens or the managed variables, literal tokens in
/// app-config*.yaml, a .env that git tracks or does not ignore; and in your
/// home for tokens in shell history and ~/.git-credentials, git helpers that
/// store credentials in plaintext, bscred files others can read, and tokens
/// that expire soon. Exit 0 when clean, 12 with findings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project directory to look in [default: .]
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,

    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
}

/// One thing doctor reports.
#[derive(Debug, Serialize)]
struct Finding {
    /// `problem` changes the exit code; `info` does not.
    kind: &'static str,
    /// The file (and line), or the subject.
    place: String,
    what: String,
    /// The command or step that fixes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

impl Finding {
    fn problem(place: impl Into<String>, what: impl Into<String>, fix: impl Into<String>) -> Self {
        Finding {
            kind: "problem",
            place: place.into(),
            what: what.into(),
            fix: Some(fix.into()),
        }
    }

    fn info(place: impl Into<String>, what: impl Into<String>) -> Self {
        Finding {
            kind: "info",
            place: place.into(),
            what: what.into(),
            fix: None,
        }
    }
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let root = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if !root.is_dir() {
        return Err(Error::InputNotFound {
            what: format!("directory {}", root.display()),
            hint: None,
        });
    }
    let mut findings = Vec::new();
    env_files(&root, &mut findings);
    app_configs(&root, &mut findings);
    home_files(&mut findings);
    git_helpers(ctx, &root, &mut findings);
    bscred_files(ctx, &mut findings);
    expiries(ctx, &mut findings)?;
    backends(ctx, &mut findings);

    let problems = findings.iter().filter(|f| f.kind == "problem").count();
    if args.json {
        super::print_json(&findings)?;
    } else {
        let mut text = String::new();
        for finding in &findings {
            let tag = if finding.kind == "problem" {
                "problem"
            } else {
                "info"
            };
            text.push_str(&format!("{tag}: {}: {}\n", finding.place, finding.what));
            if let Some(fix) = &finding.fix {
                text.push_str(&format!("  fix: {fix}\n"));
            }
        }
        text.push_str(&if problems == 0 {
            "no problems found\n".to_string()
        } else {
            format!("{problems} problem(s) found\n")
        });
        super::print_text(&text)?;
    }
    Ok(if problems == 0 {
        Exit::Ok
    } else {
        Exit::Findings
    })
}

/// Token-shaped strings in `text`, masked: (line number, masked token).
fn tokens_in(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for candidate in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if candidate.len() >= 24 && token::looks_like_token(candidate) {
                found.push((index + 1, mask(candidate)));
            }
        }
    }
    found
}

/// A token's prefix and last four characters, never more.
fn mask(token: &str) -> String {
    let prefix = ["github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
        .into_iter()
        .find(|p| token.starts_with(p))
        .unwrap_or("");
    let tail: String = token
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{prefix}…{tail}")
}

/// The entries of `root` whose file names `wanted` accepts, sorted.
fn files_named(root: &Path, wanted: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(root) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&wanted))
        .collect();
    paths.sort();
    paths
}

/// A path as the user would type it: `.env`, not `./.env`.
fn shown(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}

/// Reads a small text file; `None` for anything unreadable or huge.
fn read_small(path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 16 * 1024 * 1024 {
        return None;
    }
    fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn env_files(root: &Path, findings: &mut Vec<Finding>) {
    // `.env`, `.env.local`, `.envrc` (direnv) and the like, but not the
    // templates projects commit on purpose.
    let names = files_named(root, |n| {
        n.starts_with(".env")
            && ![".example", ".sample", ".template", ".dist"]
                .iter()
                .any(|suffix| n.ends_with(suffix))
    });
    for path in names {
        let Some(text) = read_small(&path) else {
            continue;
        };
        let shown = shown(&path);
        let fix = format!("bscred import {shown} --remove");
        for (line, masked) in tokens_in(&text) {
            findings.push(Finding::problem(
                format!("{shown}:{line}"),
                format!("a GitHub token ({masked}) in plaintext"),
                fix.clone(),
            ));
        }
        for (index, line) in text.lines().enumerate() {
            let assignment = line.trim_start().trim_start_matches("export ").trim_start();
            // A value, not a reference: `NAME=` and `NAME="$(bscred get …)"`
            // hold nothing to move.
            if let Some((name, value)) = assignment.split_once('=')
                && MANAGED.contains(&name.trim())
                && tokens_in(line).is_empty()
                && !value.trim().trim_matches(['"', '\'']).is_empty()
                && !value
                    .trim()
                    .trim_start_matches(['"', '\''])
                    .starts_with('$')
            {
                findings.push(Finding::problem(
                    format!("{shown}:{}", index + 1),
                    format!("{} in a plaintext file", name.trim()),
                    fix.clone(),
                ));
            }
        }
        if path.file_name().is_some_and(|n| n == ".env") {
            git_exposure(root, &path, findings);
        }
    }
}

/// A `.env` that git tracks, or would add with `git add .`.
fn git_exposure(root: &Path, path: &Path, findings: &mut Vec<Finding>) {
    let inside = git::command(root)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !inside {
        return;
    }
    let name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let tracked = git::command(root)
        .args(["ls-files", "--error-unmatch", "--"])
        .arg(&name)
        .output()
        .is_ok_and(|o| o.status.success());
    let shown = shown(path);
    if tracked {
        findings.push(Finding::problem(
            shown.to_string(),
            "git tracks this file: every clone and the history hold its values",
            format!("git rm --cached {shown} && echo .env >> .gitignore, then rotate what it held (bscred rotate)"),
        ));
        return;
    }
    let ignored = git::command(root)
        .args(["check-ignore", "-q", "--"])
        .arg(&name)
        .status()
        .is_ok_and(|s| s.success());
    if !ignored {
        findings.push(Finding::problem(
            shown.to_string(),
            "git does not ignore this file: `git add .` would commit it",
            "echo .env >> .gitignore (after `bscred import .env --remove`, nothing is left to commit)",
        ));
    }
}

fn app_configs(root: &Path, findings: &mut Vec<Finding>) {
    let paths = files_named(root, |n| {
        n.starts_with("app-config") && (n.ends_with(".yaml") || n.ends_with(".yml"))
    });
    for path in paths {
        let Some(text) = read_small(&path) else {
            continue;
        };
        for (line, masked) in tokens_in(&text) {
            findings.push(Finding::problem(
                format!("{}:{line}", shown(&path)),
                format!("a literal GitHub token ({masked}) where ${{GITHUB_TOKEN}} belongs"),
                "replace it with `token: ${GITHUB_TOKEN}`, store the token with `bscred set GITHUB_TOKEN`, run `bscred exec -- yarn dev`, and rotate the exposed one (bscred rotate)",
            ));
        }
    }
}

fn home_files(findings: &mut Vec<Finding>) {
    let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else {
        return;
    };
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".local/share"));
    let mut histories = vec![
        home.join(".bash_history"),
        home.join(".zsh_history"),
        data_home.join("fish/fish_history"),
    ];
    // The running shell's own history file, wherever HISTFILE puts it.
    if let Some(file) = std::env::var_os("HISTFILE").map(PathBuf::from)
        && !histories.contains(&file)
    {
        histories.push(file);
    }
    for path in histories {
        let Some(text) = read_small(&path) else {
            continue;
        };
        for (line, masked) in tokens_in(&text) {
            findings.push(Finding::problem(
                format!("{}:{line}", path.display()),
                format!("a GitHub token ({masked}) in your shell history"),
                "delete that line from the history file (and the running shell's: `history -c` in bash), then `bscred rotate`",
            ));
        }
    }
    let credentials = home.join(".git-credentials");
    if let Some(text) = read_small(&credentials) {
        for (index, line) in text.lines().enumerate() {
            // A token for any host (GitHub Enterprise too), or any
            // credential for a GitHub host.
            if !tokens_in(line).is_empty() || (line.contains("github") && line.contains('@')) {
                findings.push(Finding::problem(
                    format!("{}:{}", credentials.display(), index + 1),
                    "a GitHub credential stored in plaintext by git's `store` helper",
                    "delete the line, `bscred git-credential install`, and rotate the token (bscred rotate)",
                ));
            }
        }
    }
}

fn git_helpers(ctx: &Context, root: &Path, findings: &mut Vec<Finding>) {
    // The profile's GitHub host, as `git-credential install` uses it.
    let host = crate::profile::Settings::read(&ctx.dirs, &ctx.profile)
        .ok()
        .flatten()
        .and_then(|s| s.github_host)
        .unwrap_or_else(|| "github.com".to_string());
    // No git, or a broken config: nothing to say about its helpers.
    let Ok(entries) = git::helper_entries(root) else {
        return;
    };
    for entry in git::effective(&entries, &host) {
        if git::stores_credentials(&entry.value) {
            findings.push(Finding::problem(
                format!("{} ({})", entry.origin, entry.key),
                format!("git would store {host} credentials with `{}`", entry.value),
                format!("remove that helper for {host}, then `bscred git-credential install`"),
            ));
        }
    }
}

fn bscred_files(ctx: &Context, findings: &mut Vec<Finding>) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut paths = vec![ctx.dirs.default_identity()];
        if let Ok(Some(settings)) = crate::profile::Settings::read(&ctx.dirs, &ctx.profile) {
            paths.extend(settings.identity.clone());
            paths.push(ctx.dirs.profile_store(&ctx.profile));
        }
        paths.sort();
        paths.dedup();
        for path in paths {
            let Ok(meta) = fs::metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                findings.push(Finding::problem(
                    path.display().to_string(),
                    format!("other users can access this bscred file (mode {mode:04o})"),
                    format!("chmod 600 {}", path.display()),
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (ctx, findings);
}

fn expiries(ctx: &Context, findings: &mut Vec<Finding>) -> Result<()> {
    let Ok(profile) = Profile::open(&ctx.dirs, &ctx.profile) else {
        findings.push(Finding::info(
            format!("profile '{}'", ctx.profile),
            "not initialised (`bscred init`)",
        ));
        return Ok(());
    };
    let Some(meta) = profile.cached_metadata() else {
        return Ok(());
    };
    let window = ctx.warn_days()?;
    for (name, var) in &meta.variables {
        match var.expires_at {
            Some(at) => {
                if let Some(reminder) =
                    expiry::reminder(name, at, ctx.now, &ctx.tz, window, &ctx.cli())
                {
                    findings.push(Finding::problem(
                        format!("profile '{}'", ctx.profile),
                        reminder.what,
                        reminder.fix,
                    ));
                }
            }
            None if var.secret
                && var.token.as_ref().is_none_or(|t| !t.never_expires)
                && name.contains("TOKEN") =>
            {
                findings.push(Finding::info(
                    format!("profile '{}'", ctx.profile),
                    format!("no expiry on record for {name} (`bscred verify {name}` records it)"),
                ));
            }
            None => {}
        }
    }
    Ok(())
}

fn backends(ctx: &Context, findings: &mut Vec<Finding>) {
    findings.push(Finding::info(
        "file backend",
        "available (age-encrypted files)",
    ));
    let keychain = Keychain::from_env()
        .map_err(|e| e.to_string())
        .and_then(|k| {
            // Read-only: doctor never writes to the keychain.
            k.get("doctor").map(drop).map_err(|e| e.message)
        });
    findings.push(Finding::info(
        "keychain backend",
        match keychain {
            Ok(()) => "answers".to_string(),
            Err(why) => format!("not available: {why}"),
        },
    ));
    if let Ok(Some(settings)) = crate::profile::Settings::read(&ctx.dirs, &ctx.profile) {
        findings.push(Finding::info(
            format!("profile '{}'", ctx.profile),
            format!("uses the {} backend", settings.backend),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_found_and_masked_to_prefix_and_last_four() {
        let text = "export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\nnothing here\ntoken: github_pat_11AAAAAAA0123456789_abcdefghijklmnop\n";
        let found = tokens_in(text);
        assert_eq!(
            found,
            vec![
                (1, "ghp_…6789".to_string()),
                (3, "github_pat_…mnop".to_string())
            ]
        );
        assert!(tokens_in("ghp_short").is_empty());
    }
}
