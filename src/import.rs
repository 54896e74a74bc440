//! Moving variables from a plaintext dotenv file (or the current
//! environment) into a profile, and deleting the plaintext only once the
//! encrypted copy reads back the same: what `bscred import` and the `init`
//! wizard's `.env` step do.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use zeroize::Zeroizing;

use crate::dotenv;
use crate::error::{Error, Result};
use crate::private_fs;
use crate::profile::Profile;
use crate::profile_name::ProfileName;
use crate::secret::{Secret, VarName};
use crate::store::Document;
use crate::terminal::Notices;

/// What to import and how (`bscred import`'s flags).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The dotenv file, `-` for stdin; `.env` when neither this nor
    /// `from_env` is given.
    pub file: Option<PathBuf>,
    /// Names to take from the current environment instead of a file.
    pub from_env: Vec<VarName>,
    /// Delete the imported lines from the file once read back.
    pub remove: bool,
    /// With `remove`, the file may be a symlink.
    pub follow_symlink: bool,
    /// Replace variables that already hold a different value.
    pub overwrite: bool,
    /// Store every value as secret.
    pub secret: bool,
    /// Store every value as plain.
    pub plain: bool,
    /// Names whose stored value wins over the file's (the `init` wizard has
    /// just stored them): not imported, and their lines stay in the file
    /// when the values differ.
    pub keep: Vec<VarName>,
}

/// The file an import read, kept to rewrite it for `--remove`.
struct Source {
    /// The path as given.
    path: PathBuf,
    /// The file at the end of any symlink chain, for `--remove`: the one
    /// that holds the plaintext, and the one every message names.
    real: PathBuf,
    text: Zeroizing<String>,
    entries: Vec<dotenv::Entry>,
}

impl Source {
    /// How messages name the file: the real one, and the link when there
    /// is one.
    fn describe(&self) -> String {
        if self.real == self.path {
            self.path.display().to_string()
        } else {
            format!(
                "{} (linked from {})",
                self.real.display(),
                self.path.display()
            )
        }
    }
}

impl Options {
    /// `import FILE --remove`, for the `init` wizard.
    pub fn file_and_remove(file: PathBuf) -> Options {
        Options {
            file: Some(file),
            remove: true,
            ..Options::default()
        }
    }

    /// The same, keeping the stored values of `names`.
    pub fn keeping(mut self, names: Vec<VarName>) -> Options {
        self.keep = names;
        self
    }
}

/// Imports into `profile` as `args` say, at `now`; notices go to `notices`.
pub fn run(profile: &Profile, now: Timestamp, notices: Notices, args: &Options) -> Result<()> {
    let (items, source) = if args.from_env.is_empty() {
        let path = args.file.clone().unwrap_or_else(|| PathBuf::from(".env"));
        if args.remove && (path == Path::new("-") || path.exists() && !path.is_file()) {
            return Err(Error::usage(
                format!(
                    "--remove needs a regular file, and {} is not one",
                    path.display()
                ),
                "import without --remove, then delete the plaintext yourself",
            ));
        }
        if args.remove && !args.follow_symlink {
            refuse_symlink(&path)?;
        }
        let source = read_source(&path)?;
        (items_of(&source)?, Some(source))
    } else {
        (from_environment(&args.from_env)?, None)
    };
    let origin = source
        .as_ref()
        .map_or("the environment".to_string(), Source::describe);
    // The same offline checks as `set` (a token with a pasted newline or
    // quotes around it is stripped, with a notice).
    let items = items
        .into_iter()
        .map(|(name, value)| {
            let value = crate::token::checked(notices.quiet, &name, value, false)?;
            Ok((name, value))
        })
        .collect::<Result<Vec<_>>>()?;
    if items.is_empty() {
        notices.note(format!("nothing to import from {origin}"));
        return Ok(());
    }

    if let Some(source) = &source {
        for entry in source.entries.iter().filter(|e| !e.exact) {
            notices.warn(format!(
                "line {} of {}: the unquoted value of {} was read as dotenv files are, without the ` #…` comment or the spaces around it; if they belong to the value, quote it in the file and import again with --overwrite",
                entry.lines.start + 1,
                source.describe(),
                entry.name
            ));
        }
        let expanded: Vec<&str> = source
            .entries
            .iter()
            .filter(|e| e.shell_expands)
            .map(|e| e.name.as_str())
            .collect();
        if !expanded.is_empty() {
            notices.warn(format!(
                "stored {} from {} as written: a shell sourcing the file would have expanded the `$…` or backticks in their values, and bscred does not; if the expanded value was meant, set it with `bscred set NAME`",
                expanded.join(", "),
                source.describe()
            ));
        }
    }
    let mut counts = Counts::default();
    let mut kept: Vec<VarName> = Vec::new();
    profile.update(now, &mut |doc| {
        // Names the caller just stored keep their stored value; a
        // different one in the file stays there for the user to look at.
        kept = items
            .iter()
            .filter(|(name, value)| {
                args.keep.contains(name)
                    && doc
                        .variables
                        .get(name)
                        .is_some_and(|v| !v.value.same_as(value))
            })
            .map(|(name, _)| name.clone())
            .collect();
        let wanted: Vec<(VarName, Secret)> = items
            .iter()
            .filter(|(name, _)| !kept.contains(name))
            .cloned()
            .collect();
        counts = merge(doc, &wanted, args, (&profile.name, now))?;
        Ok(())
    })?;
    for name in &kept {
        notices.warn(format!(
            "{name} in {origin} differs from the value just stored, which stays; its line was left in the file: delete it once you no longer need the old value"
        ));
    }
    let items: Vec<(VarName, Secret)> = items
        .into_iter()
        .filter(|(name, _)| !kept.contains(name))
        .collect();
    notices.note(format!(
        "imported {} variable(s) from {origin} into profile '{}' ({} new, {} updated, {} unchanged)",
        items.len(),
        profile.name,
        counts.new,
        counts.updated,
        counts.unchanged
    ));

    if let Some(source) = source.filter(|_| args.remove) {
        // Read back from the store itself, not from what we just wrote, so
        // the plaintext goes only when the encrypted copy really holds it.
        let stored = profile.store().load()?;
        let lost: Vec<&str> = items
            .iter()
            .filter(|(name, value)| {
                stored
                    .variables
                    .get(name)
                    .is_none_or(|var| !var.value.same_as(value))
            })
            .map(|(name, _)| name.as_str())
            .collect();
        if !lost.is_empty() {
            return Err(Error::Refused {
                message: format!(
                    "{} did not read back from the store; {} was left unchanged",
                    lost.join(", "),
                    source.describe()
                ),
                hint:
                    "run the import again; if it keeps failing, check the store with `bscred list`"
                        .to_string(),
            });
        }
        remove_imported(notices, &source, &kept)?;
    }
    Ok(())
}

/// A dotenv file larger than this is not a dotenv file (and `/dev/zero`
/// must not fill memory).
const MAX_IMPORT_BYTES: u64 = 16 * 1024 * 1024;

/// Refuses `--remove` on a symlink: an archive or a clone can ship `.env`
/// as a link to `~/.bashrc` or any file of the user's, and `--remove` would
/// read it as dotenv and rewrite it. `--follow-symlink` says the user
/// means it.
fn refuse_symlink(path: &Path) -> Result<()> {
    if !fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
        return Ok(());
    }
    let real = fs::canonicalize(path).map_or_else(
        |_| "a file that does not exist".to_string(),
        |real| real.display().to_string(),
    );
    Err(Error::Refused {
        message: format!(
            "{} is a symlink to {real}: --remove would rewrite that file, which may lie outside the project; nothing was imported",
            path.display()
        ),
        hint: format!(
            "import without --remove; or, if {real} is yours to clean, add --follow-symlink"
        ),
    })
}

/// The text of the file at `path` (`-`: stdin), at most 16 MiB of UTF-8,
/// read into a buffer that is wiped, and the file at the end of any
/// symlink chain (the one that holds the plaintext).
fn read_text(path: &Path, what: &str) -> Result<(Zeroizing<String>, PathBuf)> {
    let failed = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::InputNotFound {
                what: format!("{what} {}", path.display()),
                hint: Some("name the file: `bscred import path/to/.env`".to_string()),
            }
        } else {
            Error::io(format!("cannot read {}", path.display()))(e)
        }
    };
    // One buffer, sized before the first byte and wiped when dropped: a
    // growing one would leave unwiped copies of the plaintext behind.
    let limit = usize::try_from(MAX_IMPORT_BYTES + 1).unwrap_or(usize::MAX);
    let mut bytes = if path == Path::new("-") {
        private_fs::read_wiped(std::io::stdin().lock().take(MAX_IMPORT_BYTES + 1), limit)
    } else {
        fs::File::open(path).and_then(|f| {
            let len = f.metadata()?.len().min(MAX_IMPORT_BYTES + 1);
            let size = usize::try_from(len).unwrap_or(limit);
            // A file that grows while it is read is cut at what it was.
            private_fs::read_wiped(f.take(len), size)
        })
    }
    .map_err(failed)?;
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        return Err(Error::Import {
            path: path.to_path_buf(),
            reason: format!("it is larger than {} MiB", MAX_IMPORT_BYTES >> 20),
            hint: Some("name a dotenv file".to_string()),
        });
    }
    let text = Zeroizing::new(String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
        zeroize::Zeroize::zeroize(&mut e.into_bytes());
        Error::Import {
            path: path.to_path_buf(),
            reason: "it is not valid UTF-8 text".to_string(),
            hint: None,
        }
    })?);
    // The plaintext lives at the end of any symlink chain: that file is the
    // one to rewrite or delete, or the secrets would stay on disk.
    let real = if fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
        fs::canonicalize(path).map_err(Error::io(format!("cannot resolve {}", path.display())))?
    } else {
        path.to_path_buf()
    };
    Ok((text, real))
}

fn read_source(path: &Path) -> Result<Source> {
    let (text, real) = read_text(path, "dotenv file")?;
    let entries = dotenv::parse(&text).map_err(|e| Error::Import {
        path: path.to_path_buf(),
        reason: e.to_string(),
        hint: Some("fix that line, then import again; nothing was changed".to_string()),
    })?;
    Ok(Source {
        path: path.to_path_buf(),
        real,
        text,
        entries,
    })
}

/// Names and values in file order; a name assigned twice keeps its last
/// value, as shells and Node's dotenv do.
fn items_of(source: &Source) -> Result<Vec<(VarName, Secret)>> {
    let mut items: Vec<(VarName, Secret)> = Vec::new();
    // Where each name is in `items`: a lookup, so a large file imports in
    // linear time (a scan per line made 100,000 lines take 16 s).
    let mut at: std::collections::HashMap<VarName, usize> = std::collections::HashMap::new();
    for entry in &source.entries {
        let bad = |reason: String| Error::Import {
            path: source.path.clone(),
            reason: format!("line {}: {reason}", entry.lines.start + 1),
            hint: Some("fix that line, then import again; nothing was changed".to_string()),
        };
        let name: VarName = entry.name.parse().map_err(|e| bad(format!("{e}")))?;
        let value = Secret::new(entry.value.to_string())
            .map_err(|e| bad(format!("the value of {name} {e}")))?;
        match at.get(&name) {
            Some(&index) => items[index].1 = value,
            None => {
                at.insert(name.clone(), items.len());
                items.push((name, value));
            }
        }
    }
    Ok(items)
}

fn from_environment(names: &[VarName]) -> Result<Vec<(VarName, Secret)>> {
    let mut items = Vec::new();
    for name in names {
        let value = std::env::var_os(name.as_str()).ok_or_else(|| Error::InputNotFound {
            what: format!("environment variable {name}"),
            hint: Some(format!(
                "export {name} in this shell first, or import it from a file"
            )),
        })?;
        let value = value.into_string().map_err(|_| Error::BadValue {
            name: name.to_string(),
            problem: "is not valid UTF-8".to_string(),
        })?;
        let value = Secret::new(value).map_err(|e| Error::BadValue {
            name: name.to_string(),
            problem: e.to_string(),
        })?;
        items.retain(|(n, _)| n != name);
        items.push((name.clone(), value));
    }
    Ok(items)
}

#[derive(Debug, Default)]
struct Counts {
    new: usize,
    updated: usize,
    unchanged: usize,
}

fn merge(
    doc: &mut Document,
    items: &[(VarName, Secret)],
    args: &Options,
    (profile, now): (&ProfileName, Timestamp),
) -> Result<Counts> {
    let conflicts: Vec<&str> = items
        .iter()
        .filter(|(name, value)| {
            doc.variables
                .get(name)
                .is_some_and(|var| !var.value.same_as(value))
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if !conflicts.is_empty() && !args.overwrite {
        return Err(Error::Refused {
            message: format!(
                "{} already hold(s) a different value in profile '{}'; nothing was imported",
                conflicts.join(", "),
                profile
            ),
            hint: "add --overwrite to replace the stored values with the imported ones".to_string(),
        });
    }
    let mut counts = Counts::default();
    for (name, value) in items {
        let existing = doc.variables.get(name);
        let secret = match (args.secret, args.plain, existing) {
            (true, _, _) => true,
            (_, true, _) => false,
            (_, _, Some(var)) => var.secret,
            _ => name.looks_secret(),
        };
        match existing {
            Some(var) if var.value.same_as(value) && var.secret == secret => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.updated += 1,
            None => counts.new += 1,
        }
        let expires_at = existing.and_then(|v| v.expires_at);
        doc.upsert(name.clone(), value.clone(), secret, expires_at, now);
    }
    Ok(counts)
}

/// Rewrites the source without the imported lines, or deletes it when
/// nothing else was in it. Refuses if the file changed since it was read.
fn remove_imported(notices: Notices, source: &Source, kept: &[VarName]) -> Result<()> {
    let target = &source.real;
    let now = Zeroizing::new(
        fs::read(target).map_err(Error::io(format!("cannot read {}", target.display())))?,
    );
    if now.as_slice() != source.text.as_bytes() {
        return Err(Error::ChangedMeanwhile {
            what: source.describe(),
            outcome: "it was left unchanged".to_string(),
            hint: Some(
                "the variables are stored; run `bscred import --remove` again to clean the file"
                    .to_string(),
            ),
        });
    }
    // Lines whose value may have lost something in parsing stay: deleting
    // them could destroy the only copy of what the user meant.
    let entries: Vec<&dotenv::Entry> = source
        .entries
        .iter()
        .filter(|e| e.exact && !kept.iter().any(|k| k.as_str() == e.name))
        .collect();
    let unclear = source
        .entries
        .iter()
        .filter(|e| !e.exact && !kept.iter().any(|k| k.as_str() == e.name))
        .count();
    if unclear > 0 {
        notices.warn(format!(
            "kept {unclear} line(s) in {} whose value may not have been read as meant (see above); delete them yourself once `bscred get` shows the right value",
            target.display()
        ));
    }
    let rest = Zeroizing::new(dotenv::without_entries(&source.text, &entries));
    let path = &source.path;
    // A byte order mark is not content.
    let empty = rest
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .is_empty();
    if empty {
        fs::remove_file(target)
            .map_err(Error::io(format!("cannot delete {}", target.display())))?;
        if fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
            // The link would point nowhere; it goes too.
            fs::remove_file(path)
                .map_err(Error::io(format!("cannot delete {}", path.display())))?;
            notices.note(format!(
                "deleted {} and the link {} to it: it held nothing but the imported variables",
                target.display(),
                path.display()
            ));
        } else {
            notices.note(format!(
                "deleted {}: it held nothing but the imported variables",
                target.display()
            ));
        }
    } else {
        // Keep the file's mode: its remaining lines are the user's business.
        let permissions = fs::metadata(target)
            .map_err(Error::io(format!("cannot read {}", target.display())))?
            .permissions();
        private_fs::write_atomic(target, rest.as_bytes())?;
        fs::set_permissions(target, permissions).map_err(Error::io(format!(
            "cannot restore the permissions of {}",
            target.display()
        )))?;
        notices.note(format!(
            "removed {} imported line(s) from {}; its other lines are untouched",
            entries.iter().map(|e| e.lines.len()).sum::<usize>(),
            target.display()
        ));
    }
    notices.note("if the file was ever committed or backed up, the old values are still there: consider rotating them");
    Ok(())
}

/// How `bscred import --github-app` runs.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// The variables' prefix (`GITHUB_APP`: `GITHUB_APP_PRIVATE_KEY`, …).
    pub prefix: String,
    /// Delete the file once every value reads back from the store.
    pub remove: bool,
    /// With `remove`, the file may be a symlink.
    pub follow_symlink: bool,
    /// Replace variables that already hold a different value.
    pub overwrite: bool,
}

/// Imports a GitHub App's credentials file (`github_app.rs`) into
/// `profile`: every field a variable, read back, then (with `remove`) the
/// file deleted, never before. Returns the `app-config.yaml` lines that
/// reference the variables.
pub fn github_app(
    profile: &Profile,
    now: Timestamp,
    notices: Notices,
    path: &Path,
    options: &AppOptions,
) -> Result<String> {
    if options.remove && !options.follow_symlink {
        refuse_symlink(path)?;
    }
    let (text, real) = read_text(path, "GitHub App credentials file")?;
    let bad = |reason: String| {
        Error::Import {
        path: real.clone(),
        reason,
        hint: Some(
            "it should be the github-app-*-credentials.yaml `backstage-cli create-github-app` wrote; nothing was imported".to_string(),
        ),
    }
    };
    let fields = crate::github_app::parse(&text, &options.prefix).map_err(bad)?;
    let mut items = Vec::with_capacity(fields.len());
    for field in &fields {
        let name: VarName = field
            .name
            .parse()
            .map_err(|e| Error::usage(format!("{e}"), "pick another --app-prefix"))?;
        let value = Secret::new(field.value.to_string()).map_err(|e| Error::BadValue {
            name: field.name.clone(),
            problem: e.to_string(),
        })?;
        items.push((name, value, field.secret));
    }
    profile.update(now, &mut |doc| {
        let conflicts: Vec<&str> = items
            .iter()
            .filter(|(name, value, _)| {
                doc.variables
                    .get(name)
                    .is_some_and(|var| !var.value.same_as(value))
            })
            .map(|(name, _, _)| name.as_str())
            .collect();
        if !conflicts.is_empty() && !options.overwrite {
            return Err(Error::Refused {
                message: format!(
                    "{} already hold(s) a different value in profile '{}'; nothing was imported",
                    conflicts.join(", "),
                    profile.name
                ),
                hint: "add --overwrite, or import this app under another --app-prefix".to_string(),
            });
        }
        for (name, value, secret) in &items {
            let expires_at = doc.variables.get(name).and_then(|v| v.expires_at);
            doc.upsert(name.clone(), value.clone(), *secret, expires_at, now);
        }
        Ok(())
    })?;
    // Read back before anything is deleted.
    let stored = profile.load(now)?;
    let lost: Vec<&str> = items
        .iter()
        .filter(|(name, value, _)| {
            !stored
                .variables
                .get(name)
                .is_some_and(|var| var.value.same_as(value))
        })
        .map(|(name, _, _)| name.as_str())
        .collect();
    if !lost.is_empty() {
        return Err(Error::Refused {
            message: format!(
                "{} did not read back from the store; {} was left as it was",
                lost.join(", "),
                real.display()
            ),
            hint: "run `bscred list`, then import again".to_string(),
        });
    }
    let names: Vec<&str> = items.iter().map(|(name, _, _)| name.as_str()).collect();
    notices.note(format!(
        "imported {} from {} into profile '{}'",
        names.join(", "),
        real.display(),
        profile.name
    ));
    if options.remove {
        let now_text = Zeroizing::new(
            fs::read(&real).map_err(Error::io(format!("cannot read {}", real.display())))?,
        );
        if now_text.as_slice() != text.as_bytes() {
            return Err(Error::ChangedMeanwhile {
                what: real.display().to_string(),
                outcome: "it was left as it is".to_string(),
                hint: Some(
                    "the values are stored; delete the file yourself once you have checked it"
                        .to_string(),
                ),
            });
        }
        fs::remove_file(&real).map_err(Error::io(format!("cannot delete {}", real.display())))?;
        notices.note(format!(
            "deleted {}; if it was ever committed or copied, create a new client secret and private key for the app on GitHub",
            real.display()
        ));
    }
    Ok(crate::github_app::app_config(&fields))
}
