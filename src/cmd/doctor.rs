//! `bscred doctor`: find plaintext copies of secrets and risky setup, each
//! with the command that fixes it (README, "Using bscred with Backstage"). It never prints a
//! found secret: at most a token's prefix and last four characters.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::expiry;
use crate::git;
use crate::github;
use crate::keychain::Presence;
use crate::profile::Profile;
use crate::prompt;
use crate::secret::Secret;
use crate::terminal;
use crate::token;
use std::io::IsTerminal;
use zeroize::Zeroizing;

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
/// Looks through a project directory (default: the current one) and every
/// directory below it, except node_modules, .git, directories git ignores
/// and symlinked ones, for .env files holding tokens or the managed
/// variables, literal tokens in app-config*.yaml, GitHub App credentials
/// files (github-app-*-credentials.yaml) and private keys in .pem/.key
/// files, and says for each such file whether git tracks it or would
/// commit it; and in your home for
/// tokens in shell history and ~/.git-credentials, git helpers that store
/// credentials in plaintext, bscred files others can read, and tokens that
/// expire soon. It never unlocks the keychain, unless you choose to revoke
/// what it found (--revoke, or yes to its question on a terminal). Exit 0
/// when clean, 12 with findings, 5 when revoking failed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project directory to look in [default: .]
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,

    /// Print JSON for scripts
    #[arg(long)]
    json: bool,

    /// Revoke on GitHub, without asking, the tokens found in plaintext
    /// copies (listed masked first). Without --revoke, doctor asks on a
    /// terminal. A token any profile still holds is left for `bscred
    /// rotate`, and nothing is revoked while a profile cannot be read
    #[arg(long)]
    revoke: bool,
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
    /// The plaintext token this finding is about, for `--revoke`: never
    /// printed (`Secret` redacts itself), never in the JSON.
    #[serde(skip)]
    token: Option<Secret>,
    /// The host the token was found next to (a `.git-credentials` URL).
    #[serde(skip)]
    host: Option<String>,
}

impl Finding {
    fn problem(place: impl Into<String>, what: impl Into<String>, fix: impl Into<String>) -> Self {
        Finding {
            kind: "problem",
            place: place.into(),
            what: what.into(),
            fix: Some(fix.into()),
            token: None,
            host: None,
        }
    }

    /// A problem about a plaintext token `--revoke` can act on.
    fn token(
        spotted: &Spotted,
        place: impl Into<String>,
        what: String,
        fix: impl Into<String>,
    ) -> Self {
        Finding {
            token: Secret::new(spotted.token.to_string()).ok(),
            ..Finding::problem(place, what, fix)
        }
    }

    fn info(place: impl Into<String>, what: impl Into<String>) -> Self {
        Finding {
            kind: "info",
            place: place.into(),
            what: what.into(),
            fix: None,
            token: None,
            host: None,
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
    project_files(&root, &mut findings);
    home_files(ctx, &mut findings);
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
    let exit = if problems == 0 {
        Exit::Ok
    } else {
        Exit::Findings
    };
    let copies = plaintext_tokens(&findings);
    // Asked on a terminal (never under --json, whose reader is a script);
    // done without asking only when --revoke says so.
    let ask = !args.revoke
        && !args.json
        && prompt::stdin_is_terminal()
        && std::io::stderr().is_terminal();
    if copies.is_empty() {
        return Ok(exit);
    }
    if !(args.revoke || ask) {
        ctx.note(format!(
            "`bscred doctor --revoke` revokes the {} token(s) found in plaintext on GitHub",
            copies.len()
        ));
        return Ok(exit);
    }
    match revoke_copies(ctx, copies, ask)? {
        Revoked::Failed => Ok(Exit::GitHub),
        Revoked::Done | Revoked::Declined => Ok(exit),
    }
}

/// One token found in plaintext, with every place it was found.
struct Copy {
    token: Secret,
    masked: String,
    places: Vec<String>,
    /// The GitHub host it was found next to, when the place says one.
    host: Option<String>,
}

/// Every value the profiles here hold, by profile and name; an error when
/// one cannot be read (nothing may be revoked then).
fn held_tokens(ctx: &Context) -> Result<Vec<(crate::profile_name::ProfileName, String, Secret)>> {
    let mut held = Vec::new();
    for name in crate::profile::names(&ctx.dirs)? {
        let doc = ctx
            .open(&name)
            .and_then(|profile| profile.load(ctx.now))
            .inspect_err(|_| {
                terminal::say(&format!(
                    "nothing revoked: profile {name} could not be read to leave out the tokens it holds"
                ));
            })?;
        for (var, variable) in doc.variables {
            held.push((name.clone(), var.to_string(), variable.value));
        }
    }
    Ok(held)
}

/// The revocable tokens among the findings, each once.
fn plaintext_tokens(findings: &[Finding]) -> Vec<Copy> {
    let mut copies: Vec<Copy> = Vec::new();
    for finding in findings {
        let Some(token) = finding
            .token
            .as_ref()
            .filter(|t| github::is_revocable(t.expose()))
        else {
            continue;
        };
        match copies.iter_mut().find(|c| c.token.same_as(token)) {
            Some(copy) => copy.places.push(finding.place.clone()),
            None => copies.push(Copy {
                token: token.clone(),
                masked: mask(token.expose()),
                places: vec![finding.place.clone()],
                host: finding.host.clone(),
            }),
        }
    }
    copies
}

enum Revoked {
    Done,
    Declined,
    Failed,
}

/// Lists the tokens found in plaintext (masked), leaves out any the
/// profile still holds (revoking it would break the profile: `rotate`
/// replaces it first), asks when `ask`, and revokes the rest on GitHub in
/// one unauthenticated request.
fn revoke_copies(ctx: &Context, mut copies: Vec<Copy>, ask: bool) -> Result<Revoked> {
    let mut list = format!("{} token(s) found in plaintext copies:\n", copies.len());
    for copy in &copies {
        list.push_str(&format!(
            "  {}  ({})\n",
            copy.masked,
            copy.places.join(", ")
        ));
    }
    terminal::write_raw(&terminal::escape_lines(&list));
    if ask {
        let answer = prompt::visible(
            "Revoke them on GitHub now? They stop working everywhere, for everyone using them. [y/N] ",
        )
        .map_err(Error::io("cannot read the answer"))?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            terminal::say("nothing revoked; `bscred doctor --revoke` revokes them without asking");
            return Ok(Revoked::Declined);
        }
    }
    // Read only now, when the user has chosen to revoke: reading may ask
    // for an identity's passphrase or unlock the keychain. Every profile
    // here is read, and one that cannot be stops the revocation: a token
    // it holds would stop working without a word.
    let held = held_tokens(ctx)?;
    copies.retain(|copy| {
        let holder = held
            .iter()
            .find(|(_, _, value)| value.same_as(&copy.token));
        if let Some((profile, name, _)) = holder {
            terminal::say(&format!(
                "not revoking {}: it is also the {name} profile {profile} holds; `{} rotate {name}` replaces it and revokes this one",
                copy.masked,
                crate::context::cli_for(profile)
            ));
        }
        holder.is_none()
    });
    let host = match ctx.open(&ctx.profile) {
        Ok(profile) => github::host_of(&profile.settings.github_host),
        Err(_) => github::host_of(&None),
    };
    // A token doctor saw next to another host (a `.git-credentials` line
    // for a GitHub Enterprise server) is that host's: sending it to this
    // one's revocation endpoint would hand it to a third party.
    copies.retain(|copy| match copy.host.as_deref() {
        Some(other) if !other.eq_ignore_ascii_case(&host) => {
            terminal::say(&format!(
                "not revoking {}: it is for {other}, not {host}; revoke it there: https://{other}/settings/tokens",
                copy.masked
            ));
            false
        }
        _ => true,
    });
    if copies.is_empty() {
        return Ok(Revoked::Declined);
    }
    let base = github::api_base(&host, ctx.github_api_url.as_deref());
    let tokens: Vec<&str> = copies.iter().map(|c| c.token.expose()).collect();
    match github::revoke(&base, &tokens) {
        Ok(()) => {
            ctx.note(format!(
                "revoked {} token(s) on GitHub: they no longer work anywhere; delete the plaintext copies too (the fixes above)",
                copies.len()
            ));
            Ok(Revoked::Done)
        }
        Err(e) => {
            ctx.warn(format!(
                "revoking failed ({e}); delete them by hand: https://{host}/settings/personal-access-tokens (fine-grained) or https://{host}/settings/tokens (classic)"
            ));
            Ok(Revoked::Failed)
        }
    }
}

/// A token-shaped string doctor found: where, masked, and the token itself
/// (kept for `--revoke`, wiped when dropped).
struct Spotted {
    line: usize,
    masked: String,
    token: Zeroizing<String>,
}

/// Token-shaped strings in `text`.
fn tokens_in(text: &str) -> Vec<Spotted> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for candidate in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if candidate.len() >= 24 && token::looks_like_token(candidate) {
                found.push(Spotted {
                    line: index + 1,
                    masked: mask(candidate),
                    token: Zeroizing::new(candidate.to_string()),
                });
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

/// A path as the user would type it: `.env`, not `./.env`.
fn shown(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}

/// A path for a shell command in a fix: as is when it is plain, else
/// single-quoted.
fn arg(path: &str) -> String {
    if !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/+@%=:,".contains(c))
    {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}

/// The largest file doctor reads.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a small text file; `None` for anything unreadable, huge or not a
/// regular file. Opened without blocking, so a FIFO named `.env` cannot
/// hang doctor; a symlink is read through (the file the project uses).
fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        rustix::fs::OFlags::NONBLOCK.bits() as i32,
    );
    let file = options.open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

// ------------------------------------------------------------ the tree

/// How far the project walk goes, so that a hostile or merely huge tree
/// cannot make doctor loop or run for long. Symlinked directories are
/// never followed, so no link can lead the walk in a circle or out of the
/// project.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Directory levels below the root.
    depth: usize,
    /// Directory entries looked at, in all.
    entries: usize,
    /// `.env*` and `app-config*` files read.
    files: usize,
    /// Git repositories asked about their ignore rules (the root's and
    /// nested ones): each costs a few git runs.
    repositories: usize,
}

const LIMITS: Limits = Limits {
    depth: 16,
    entries: 100_000,
    files: 1_000,
    repositories: 32,
};

/// Directories never entered, whatever git says: installed dependencies
/// (a package's own `.env` is not the project's) and git's own data.
const NEVER_ENTERED: [&str; 2] = ["node_modules", ".git"];

/// What a file found in the tree is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    /// `.env`, `.env.local`, `.envrc` (direnv) and the like: tokens, the
    /// managed names, and whether git would commit it.
    Env,
    /// `app-config*.yaml`: literal tokens.
    AppConfig,
    /// The credentials file `backstage-cli create-github-app` writes
    /// (`github-app-*-credentials.yaml`), and `*.pem`/`*.key` files: a
    /// private key in plaintext.
    Key,
}

impl Wanted {
    fn of(name: &str) -> Option<Wanted> {
        // The templates projects commit on purpose are left alone.
        let template = [".example", ".sample", ".template", ".dist"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
        if name.starts_with(".env") && !template {
            Some(Wanted::Env)
        } else if name.starts_with("app-config")
            && (name.ends_with(".yaml") || name.ends_with(".yml"))
        {
            Some(Wanted::AppConfig)
        } else if is_app_credentials(name) || name.ends_with(".pem") || name.ends_with(".key") {
            Some(Wanted::Key)
        } else {
            None
        }
    }
}

/// A file worth reading, found in the project tree.
#[derive(Debug)]
struct Found {
    /// Relative to the scanned root.
    rel: PathBuf,
    wanted: Wanted,
    /// The repository it is in: an index into `Tree::repositories`.
    repository: Option<usize>,
}

/// What the walk found.
#[derive(Debug, Default)]
struct Tree {
    /// The scanned directory, as the user named it.
    root: PathBuf,
    /// Sorted by path.
    found: Vec<Found>,
    /// The git work trees met (relative to the root, `""` for the root's
    /// own); paths are given to git relative to them.
    repositories: Vec<PathBuf>,
    /// Where the walk stopped short, for the report.
    cut: Vec<String>,
    /// Symlinked directories that were not followed.
    links: Vec<PathBuf>,
    /// Whether `.env*` or `app-config*` files were left unread because
    /// of `Limits::files`.
    too_many_files: bool,
}

/// Walks the project tree below `root`, level by level: every directory
/// but `node_modules`, `.git` and those git ignores, never through a
/// symlinked directory, within `limits`. git is asked once per repository
/// and level which of the new directories it ignores (`git check-ignore`
/// is exact, also for a directory holding nothing but ignored files).
fn walk(root: &Path, limits: Limits) -> Tree {
    let mut tree = Tree {
        root: root.to_path_buf(),
        ..Tree::default()
    };
    let top = git::inside_work_tree(root).then(|| {
        tree.repositories.push(PathBuf::new());
        0
    });
    let mut level: Vec<(PathBuf, Option<usize>)> = vec![(PathBuf::new(), top)];
    let mut entries = 0;
    for depth in 0.. {
        if level.is_empty() {
            break;
        }
        if depth > limits.depth {
            tree.cut.push(format!(
                "directories more than {} levels down were not looked in",
                limits.depth
            ));
            break;
        }
        let mut next = Vec::new();
        for (dir, mut repository) in level {
            let Ok(read) = fs::read_dir(root.join(&dir)) else {
                continue;
            };
            // No more than the budget left (and one to notice it ran out):
            // a directory of millions of entries costs no more than that.
            let left = (limits.entries + 1).saturating_sub(entries);
            let mut children: Vec<fs::DirEntry> = read.flatten().take(left).collect();
            children.sort_by_key(fs::DirEntry::file_name);
            // A repository inside the project (a submodule, a clone): its
            // own ignore rules hold below it.
            if depth > 0 && children.iter().any(|e| e.file_name() == ".git") {
                if tree.repositories.len() >= limits.repositories {
                    tree.cut.push(format!(
                        "{} is a git repository past the first {}: not looked in",
                        shown(&root.join(&dir)),
                        limits.repositories
                    ));
                    continue;
                }
                tree.repositories.push(dir.clone());
                repository = Some(tree.repositories.len() - 1);
            }
            for entry in children {
                entries += 1;
                if entries > limits.entries {
                    tree.cut.push(format!(
                        "stopped after {} directory entries; the rest was not looked in",
                        limits.entries
                    ));
                    return finish(tree);
                }
                let name = entry.file_name();
                let rel = dir.join(&name);
                // The entry itself, never what a symlink points to.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    if !NEVER_ENTERED.iter().any(|n| name == *n) {
                        next.push((rel, repository));
                    }
                    continue;
                }
                if kind.is_symlink() && fs::metadata(root.join(&rel)).is_ok_and(|m| m.is_dir()) {
                    tree.links.push(rel);
                    continue;
                }
                let Some(wanted) = name.to_str().and_then(Wanted::of) else {
                    continue;
                };
                if tree.found.len() >= limits.files {
                    if !tree.too_many_files {
                        tree.too_many_files = true;
                        tree.cut.push(format!(
                            "read the first {} .env and app-config files only",
                            limits.files
                        ));
                    }
                    continue;
                }
                tree.found.push(Found {
                    rel,
                    wanted,
                    repository,
                });
            }
        }
        level = not_ignored(root, &tree.repositories, next);
    }
    finish(tree)
}

fn finish(mut tree: Tree) -> Tree {
    tree.found.sort_by(|a, b| a.rel.cmp(&b.rel));
    tree
}

/// The directories of `dirs` git does not ignore. One `git check-ignore`
/// per repository; a directory in no repository, or one git cannot answer
/// for, is kept.
fn not_ignored(
    root: &Path,
    repositories: &[PathBuf],
    dirs: Vec<(PathBuf, Option<usize>)>,
) -> Vec<(PathBuf, Option<usize>)> {
    let mut ignored: HashSet<PathBuf> = HashSet::new();
    for (index, repository) in repositories.iter().enumerate() {
        let asked: Vec<PathBuf> = dirs
            .iter()
            .filter(|(_, r)| *r == Some(index))
            .filter_map(|(dir, _)| dir.strip_prefix(repository).ok().map(Path::to_path_buf))
            .collect();
        if let Some(answer) = git::ignored(&root.join(repository), &asked) {
            ignored.extend(answer.into_iter().map(|p| repository.join(p)));
        }
    }
    dirs.into_iter()
        .filter(|(dir, _)| !ignored.contains(dir))
        .collect()
}

/// What git would do with a `.env*` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GitState {
    /// It is in the index: committed, or about to be.
    Tracked,
    /// An ignore rule keeps it out of `git add .`.
    Ignored,
    /// Neither: `git add .` would commit it.
    WouldCommit,
    /// It is in no git work tree.
    NoRepository,
    /// git could not say (not installed, a repository it refuses).
    Unknown,
}

/// The git state of every `.env*` file found: two git runs per
/// repository (`ls-files` for the tracked ones, `check-ignore` for the
/// ignored ones), whatever the number of files.
fn git_states(root: &Path, tree: &Tree) -> Vec<GitState> {
    let mut answers = Vec::new();
    for (index, repository) in tree.repositories.iter().enumerate() {
        let paths: Vec<PathBuf> = tree
            .found
            .iter()
            .filter(|f| f.wanted == Wanted::Env && f.repository == Some(index))
            .filter_map(|f| f.rel.strip_prefix(repository).ok().map(Path::to_path_buf))
            .collect();
        let dir = root.join(repository);
        answers.push((git::tracked(&dir, &paths), git::ignored(&dir, &paths)));
    }
    tree.found
        .iter()
        .map(|found| {
            let Some(index) = found.repository else {
                return GitState::NoRepository;
            };
            let (Some(tracked), Some(ignored)) = &answers[index] else {
                return GitState::Unknown;
            };
            let rel = found
                .rel
                .strip_prefix(&tree.repositories[index])
                .unwrap_or(&found.rel);
            if tracked.contains(rel) {
                GitState::Tracked
            } else if ignored.contains(rel) {
                GitState::Ignored
            } else {
                GitState::WouldCommit
            }
        })
        .collect()
}

/// The `.env*` and `app-config*` files of the project tree, and how far
/// the walk went.
fn project_files(root: &Path, findings: &mut Vec<Finding>) {
    let tree = walk(root, LIMITS);
    let states = git_states(root, &tree);
    for (found, state) in tree.found.iter().zip(&states) {
        if found.wanted == Wanted::Env {
            env_file(&tree, found, *state, findings);
        }
    }
    for found in tree.found.iter().filter(|f| f.wanted == Wanted::AppConfig) {
        app_config(&root.join(&found.rel), findings);
    }
    for (found, state) in tree.found.iter().zip(&states) {
        if found.wanted == Wanted::Key {
            key_file(&tree, found, *state, findings);
        }
    }
    let place = match shown(root) {
        root if root.is_empty() => "project tree".to_string(),
        root => format!("project tree {root}"),
    };
    if !tree.links.is_empty() {
        let named: Vec<String> = tree
            .links
            .iter()
            .take(3)
            .map(|l| shown(&root.join(l)))
            .collect();
        findings.push(Finding::info(
            place.clone(),
            format!(
                "{} symlinked director{} not followed ({}{})",
                tree.links.len(),
                if tree.links.len() == 1 { "y" } else { "ies" },
                named.join(", "),
                if tree.links.len() > 3 { ", …" } else { "" }
            ),
        ));
    }
    for cut in &tree.cut {
        findings.push(Finding::info(place.clone(), cut.clone()));
    }
}

fn env_file(tree: &Tree, found: &Found, state: GitState, findings: &mut Vec<Finding>) {
    let path = tree.root.join(&found.rel);
    let shown = shown(&path);
    let Some(text) = read_small(&path) else {
        findings.push(Finding::info(
            shown,
            "not read: not a regular file, unreadable, or larger than 16 MiB",
        ));
        return;
    };
    let before = findings.len();
    let fix = format!("bscred import {} --remove", arg(&shown));
    for spotted in tokens_in(&text) {
        findings.push(Finding::token(
            &spotted,
            format!("{shown}:{}", spotted.line),
            format!("a GitHub token ({}) in plaintext", spotted.masked),
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
    let holds_secrets = findings.len() > before;
    git_exposure(tree, found, &shown, state, holds_secrets, findings);
}

/// Says whether git tracks a `.env*` file or would commit it. For a
/// dotenv file (`.env`, `.env.*`) either is a problem, whatever it holds
/// today: the next value added to it is one `git add .` away from the
/// history. Another kind (direnv's `.envrc`, which projects commit on
/// purpose with `eval "$(bscred env)"` in it) is a problem only when it
/// holds a value doctor recognises.
fn git_exposure(
    tree: &Tree,
    found: &Found,
    shown: &str,
    state: GitState,
    holds_secrets: bool,
    findings: &mut Vec<Finding>,
) {
    let name = found
        .rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dotenv = name == ".env" || name.starts_with(".env.");
    // Run from the scanned root: a nested repository's git needs `-C`.
    let (git, in_repository, ignore_file) = match found.repository {
        Some(index) if !tree.repositories[index].as_os_str().is_empty() => {
            let repository = &tree.repositories[index];
            let rel = found.rel.strip_prefix(repository).unwrap_or(&found.rel);
            let dir = self::shown(&tree.root.join(repository));
            (
                format!("git -C {}", arg(&dir)),
                arg(&rel.display().to_string()),
                format!("{}/.gitignore", arg(&dir)),
            )
        }
        _ => ("git".to_string(), arg(shown), ".gitignore".to_string()),
    };
    let name_arg = arg(&name);
    let finding = match state {
        GitState::Tracked if dotenv || holds_secrets => Finding::problem(
            shown,
            "git tracks this file: every clone and the history hold its values",
            format!(
                "{git} rm --cached {in_repository} && echo {name_arg} >> {ignore_file}, then rotate what it held (bscred rotate)"
            ),
        ),
        GitState::Tracked => Finding::info(
            shown,
            "git tracks this file; it holds no value doctor recognises as a secret",
        ),
        GitState::WouldCommit if dotenv || holds_secrets => Finding::problem(
            shown,
            "git does not ignore this file: `git add .` would commit it",
            format!(
                "echo {name_arg} >> {ignore_file} (after `bscred import {} --remove`, nothing is left to commit)",
                arg(shown)
            ),
        ),
        GitState::WouldCommit => Finding::info(
            shown,
            "git does not ignore this file (`git add .` would commit it); it holds no value doctor recognises as a secret",
        ),
        GitState::Ignored => Finding::info(shown, "git ignores this file: it stays out of commits"),
        GitState::NoRepository => Finding::info(shown, "not in a git work tree"),
        GitState::Unknown => Finding::info(
            shown,
            "git could not say whether it tracks or ignores this file",
        ),
    };
    findings.push(finding);
}

/// Whether `name` is what `backstage-cli create-github-app` writes:
/// `github-app-SLUG-credentials.yaml`.
fn is_app_credentials(name: &str) -> bool {
    name.starts_with("github-app-")
        && (name.ends_with("-credentials.yaml") || name.ends_with("-credentials.yml"))
}

/// A GitHub App's credentials file, or a `.pem`/`.key` file that holds a
/// private key (a certificate alone is public and not reported).
fn key_file(tree: &Tree, found: &Found, state: GitState, findings: &mut Vec<Finding>) {
    let path = tree.root.join(&found.rel);
    let shown = shown(&path);
    let Some(text) = read_small(&path) else {
        return;
    };
    let name = found
        .rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let key_line = text.lines().position(|line| {
        let line = line.trim();
        line.starts_with("-----BEGIN ") && line.ends_with(" PRIVATE KEY-----")
    });
    let (place, what, fix) = if is_app_credentials(&name) {
        (
            shown.clone(),
            "a GitHub App's credentials in plaintext (its client secret, webhook secret and private key, as `backstage-cli create-github-app` writes them)".to_string(),
            format!(
                "store each value with bscred (`bscred set GITHUB_APP_CLIENT_SECRET`, the key with `bscred set GITHUB_APP_PRIVATE_KEY --stdin`), reference them as ${{…}} in app-config.yaml, then delete {}",
                arg(&shown)
            ),
        )
    } else if let Some(index) = key_line {
        (
            format!("{shown}:{}", index + 1),
            "a private key in plaintext".to_string(),
            format!(
                "store it with `bscred set NAME --stdin < {}`, then delete the file",
                arg(&shown)
            ),
        )
    } else {
        return;
    };
    findings.push(Finding::problem(place, what, fix));
    git_exposure(tree, found, &shown, state, true, findings);
}

fn app_config(path: &Path, findings: &mut Vec<Finding>) {
    let Some(text) = read_small(path) else {
        return;
    };
    for spotted in tokens_in(&text) {
        findings.push(Finding::token(
            &spotted,
            format!("{}:{}", shown(path), spotted.line),
            format!(
                "a literal GitHub token ({}) where ${{GITHUB_TOKEN}} belongs",
                spotted.masked
            ),
            "replace it with `token: ${GITHUB_TOKEN}`, store the token with `bscred set GITHUB_TOKEN`, run `bscred exec -- yarn dev`, and rotate the exposed one (bscred rotate)",
        ));
    }
}

fn home_files(ctx: &Context, findings: &mut Vec<Finding>) {
    let Some(home) = &ctx.home else {
        return;
    };
    for path in &ctx.history_files {
        let Some(text) = read_small(path) else {
            continue;
        };
        for spotted in tokens_in(&text) {
            findings.push(Finding::token(
                &spotted,
                format!("{}:{}", path.display(), spotted.line),
                format!("a GitHub token ({}) in your shell history", spotted.masked),
                "delete that line from the history file (and the running shell's: `history -c` in bash), then `bscred rotate`",
            ));
        }
    }
    let credentials = home.join(".git-credentials");
    if let Some(text) = read_small(&credentials) {
        for (index, line) in text.lines().enumerate() {
            // A token for any host (GitHub Enterprise too), or any
            // credential for a GitHub host.
            let spotted = tokens_in(line);
            let place = format!("{}:{}", credentials.display(), index + 1);
            let what = "a GitHub credential stored in plaintext by git's `store` helper";
            let fix = "delete the line, `bscred git-credential install`, and rotate the token (bscred rotate)";
            for one in &spotted {
                findings.push(Finding {
                    host: credential_host(line),
                    ..Finding::token(one, place.clone(), what.to_string(), fix)
                });
            }
            if spotted.is_empty() && line.contains("github") && line.contains('@') {
                findings.push(Finding::problem(place, what, fix));
            }
        }
    }
}

/// The host of a `.git-credentials` line (`https://USER:TOKEN@HOST/…`).
fn credential_host(line: &str) -> Option<String> {
    let rest = line.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit_once('@')?.1;
    let host = host.split(':').next()?.trim();
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
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
    let Ok(profile) = Profile::open(&ctx.access, &ctx.profile) else {
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
                    expiry::reminder(name, at, ctx.now, ctx.tz(), window, &ctx.cli())
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
    // Never a read: reading an item from a locked keyring shows an unlock
    // prompt, and doctor must not pop up a password dialog (or hang on
    // one). `presence` asks only what the Secret Service tells anyone.
    let keychain = ctx
        .access
        .keychain()
        .map_err(|e| e.to_string())
        .and_then(|k| k.presence().map_err(|e| e.message));
    findings.push(Finding::info(
        "keychain backend",
        match keychain {
            Ok(Presence::Answers) => {
                "answers (checked without reading an item or unlocking anything)".to_string()
            }
            Ok(Presence::Unlocked) => {
                "answers, unlocked (checked without reading an item or unlocking anything)"
                    .to_string()
            }
            Ok(Presence::Locked) => "answers, locked: the first command that reads it will ask to unlock it (doctor did not unlock it)".to_string(),
            Ok(Presence::NoDefaultCollection) => "answers, but has no default keyring: the first write will ask to create one (doctor created and unlocked nothing)".to_string(),
            Err(why) => format!("not available: {why} (checked without unlocking anything)"),
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

    fn limits(entries: usize, files: usize) -> Limits {
        Limits {
            entries,
            files,
            ..LIMITS
        }
    }

    #[test]
    fn the_walk_stops_at_its_limits_and_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        for n in 0..6 {
            let sub = dir.path().join(format!("p{n}"));
            fs::create_dir(&sub).expect("mkdir");
            fs::write(sub.join(".env"), "A=1\n").expect("write");
        }
        let tree = walk(dir.path(), limits(100, 2));
        assert_eq!(tree.found.len(), 2);
        assert_eq!(tree.cut.len(), 1, "{:?}", tree.cut);
        assert!(tree.cut[0].contains("first 2"), "{:?}", tree.cut);

        let tree = walk(dir.path(), limits(8, 100));
        assert!(tree.found.len() < 6);
        assert!(
            tree.cut.iter().any(|c| c.contains("stopped after 8")),
            "{:?}",
            tree.cut
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_directories_are_never_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inner = dir.path().join("a/b");
        fs::create_dir_all(&inner).expect("mkdir");
        fs::write(inner.join(".env"), "A=1\n").expect("write");
        std::os::unix::fs::symlink("..", inner.join("up")).expect("symlink");
        std::os::unix::fs::symlink(dir.path(), dir.path().join("a/root")).expect("symlink");
        // A link to a file is read through, as the project uses it.
        std::os::unix::fs::symlink("b/.env", dir.path().join("a/.env.local")).expect("symlink");
        let tree = walk(dir.path(), LIMITS);
        let found: Vec<&Path> = tree.found.iter().map(|f| f.rel.as_path()).collect();
        assert_eq!(found, [Path::new("a/.env.local"), Path::new("a/b/.env")]);
        assert_eq!(
            tree.links,
            [PathBuf::from("a/root"), PathBuf::from("a/b/up")]
        );
        assert!(tree.cut.is_empty(), "{:?}", tree.cut);
    }

    #[test]
    fn names_are_sorted_into_what_they_are_read_for() {
        for name in [".env", ".env.local", ".env.production", ".envrc"] {
            assert_eq!(Wanted::of(name), Some(Wanted::Env), "{name}");
        }
        for name in ["app-config.yaml", "app-config.local.yml"] {
            assert_eq!(Wanted::of(name), Some(Wanted::AppConfig), "{name}");
        }
        for name in [
            "github-app-backstage-acme-credentials.yaml",
            "github-app-x-credentials.yml",
            "server.key",
            "app.private-key.pem",
        ] {
            assert_eq!(Wanted::of(name), Some(Wanted::Key), "{name}");
        }
        for name in [
            ".env.example",
            ".env.sample",
            "env",
            "app-config.json",
            "x.env",
            "github-app-notes.yaml",
        ] {
            assert_eq!(Wanted::of(name), None, "{name}");
        }
    }

    #[test]
    fn paths_in_fixes_are_quoted_when_a_shell_would_split_them() {
        assert_eq!(arg("packages/backend/.env"), "packages/backend/.env");
        assert_eq!(arg("my app/.env"), "'my app/.env'");
        assert_eq!(arg("it's/.env"), "'it'\\''s/.env'");
        assert_eq!(arg("$(x)/.env"), "'$(x)/.env'");
    }

    #[test]
    fn tokens_are_found_and_masked_to_prefix_and_last_four() {
        let text = "export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\nnothing here\ntoken: github_pat_11AAAAAAA0123456789_abcdefghijklmnop\n";
        let found: Vec<(usize, String)> = tokens_in(text)
            .into_iter()
            .map(|s| (s.line, s.masked))
            .collect();
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
