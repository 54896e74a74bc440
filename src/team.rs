//! The team store: an age file inside the project, named by
//! `store = ".bscred/team.age"` in an allowed `.bscred.toml`, holding the
//! variables a whole team shares, and beside it the recipients file
//! (`.bscred/team.recipients`) listing every member's public key, so that
//! whoever writes the store encrypts it to everyone.
//!
//! The store is a profile document like any other (`age -d -i IDENTITY
//! team.age` reads it) and the recipients file is what `age -R` reads. The
//! list cannot live in the store itself: an age header does not reveal the
//! X25519 keys it was encrypted to.
//!
//! The repository chooses both files, so neither is trusted like the user's
//! own: both must stay inside the project (a symlink leading out is
//! refused), and the variables that run code (`code_variables.rs`) never
//! leave the store for an environment unless the user's config allows them
//! by name (docs/SECURITY.md, "A team store others can write").

use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::access::Access;
use crate::code_variables;
use crate::config::UserConfig;
use crate::error::{Error, Result};
use crate::identity::{self, Identity, IdentitySource};
use crate::ledger::Ledger;
use crate::metadata::Metadata;
use crate::private_fs;
use crate::profile::Profile;
use crate::project::{self, Project};
use crate::secret::VarName;
use crate::store::file::FileStore;
use crate::store::{Backend, Document, Snapshot, Store, StoreInfo};
use crate::terminal::Notices;

/// The team stores `TeamStore::known` can use, and those it cannot, with
/// why.
pub type Known = (Vec<TeamStore>, Vec<(PathBuf, String)>);

/// The team store of the project in effect.
#[derive(Debug)]
pub struct TeamStore {
    /// The store as the project file names it, for messages.
    pub shown: PathBuf,
    /// The physical path of the store (inside the project, links resolved).
    pub path: PathBuf,
    /// The physical path of the recipients file beside it.
    pub recipients_path: PathBuf,
    /// The project file that named it.
    project_file: PathBuf,
    /// The names that file lets the store export (`variables`); `None`
    /// when it has no such line.
    declared: Option<Vec<VarName>>,
    /// The identity of the profile in use, which decrypts the store;
    /// `None` for a keychain profile, refused when the store is opened.
    identity: Option<IdentitySource>,
    /// The profile in use, for that refusal.
    profile: String,
    /// Serialises this user's writes to the store, and keeps the names,
    /// flags and dates of its variables as last read here, so `check` can
    /// see what the team provides without decrypting.
    ledger: Ledger,
    /// What opens the store, and the user's directories (their config
    /// says which variables that run code may leave the store).
    access: Access,
    now: Timestamp,
    notices: Notices,
}

impl TeamStore {
    /// The team store `project` (an allowed project file) names, if any,
    /// decrypted with the identity of `profile`, the profile in use.
    pub fn in_project(
        project: &Project,
        profile: &Profile,
        access: &Access,
        now: Timestamp,
        notices: Notices,
    ) -> Result<Option<TeamStore>> {
        let Some(store) = &project.store else {
            return Ok(None);
        };
        let identity = match profile.settings.backend {
            // A vault profile's identity is the user's own (its offline
            // copy is encrypted to it): the key a team store names.
            Backend::File | Backend::Vault => profile.settings.identity_source(),
            Backend::Keychain => None,
        };
        let paths = paths(project, store)?;
        let opened = TeamStore::at(
            store.clone(),
            paths,
            project,
            identity,
            access,
            now,
            notices,
        );
        Ok(Some(TeamStore {
            profile: profile.name.to_string(),
            ..opened
        }))
    }

    /// The store at `paths` (the store and its recipients file, checked to
    /// be inside `project`), shown as `shown`, opened with `identity`; its
    /// lock and cache in the state directory are named after its path.
    fn at(
        shown: PathBuf,
        (path, recipients_path): (PathBuf, PathBuf),
        project: &Project,
        identity: Option<IdentitySource>,
        access: &Access,
        now: Timestamp,
        notices: Notices,
    ) -> TeamStore {
        let ledger = Ledger::of_team(
            &access.dirs,
            &path,
            format!("the team store {}", shown.display()),
        )
        .quiet(notices.quiet);
        TeamStore {
            shown,
            path,
            recipients_path,
            project_file: project.path.clone(),
            declared: project.variables.clone(),
            identity,
            profile: String::new(),
            ledger,
            access: access.clone(),
            now,
            notices,
        }
    }

    /// Every team store this user has read or written before (each leaves
    /// a names-only cache in the state directory), opened with `identity`
    /// — but only through the project that names it, found again from the
    /// store's directory, still allowed, and still naming that very file
    /// inside the project: the cache says where to look, never what to
    /// trust. `identity rotate` must move these to the new key before the
    /// old one is gone. The second list is those it cannot use, and why.
    pub fn known(
        access: &Access,
        identity: &IdentitySource,
        now: Timestamp,
        notices: Notices,
    ) -> Result<Known> {
        let dir = access.dirs.metadata_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(e) => return Err(Error::io(format!("cannot read {}", dir.display()))(e)),
        };
        let allowed = crate::allow::AllowList::read(&access.dirs)?;
        let (mut found, mut skipped) = (Vec::new(), Vec::new());
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !(name.starts_with("team-") && name.ends_with(".json")) {
                continue;
            }
            let Some(meta) = Metadata::read(&entry.path()) else {
                continue;
            };
            let cached = PathBuf::from(&meta.store);
            match TeamStore::reopen(access, &allowed, &cached, identity, (now, notices)) {
                Ok(Some(team)) => found.push(team),
                // Gone (a deleted clone): nothing to move.
                Ok(None) => {}
                Err(why) => skipped.push((cached, why)),
            }
        }
        found.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((found, skipped))
    }

    /// The team store at `cached` as its project names it now; `Ok(None)`
    /// when the project or the store is gone, `Err` saying why it cannot
    /// be used.
    fn reopen(
        access: &Access,
        allowed: &crate::allow::AllowList,
        cached: &Path,
        identity: &IdentitySource,
        (now, notices): (Timestamp, Notices),
    ) -> std::result::Result<Option<TeamStore>, String> {
        if fs::symlink_metadata(cached).is_err() {
            return Ok(None);
        }
        let Some((project_path, found)) = cached.parent().and_then(project::locate) else {
            return Ok(None);
        };
        let bytes = found.map_err(|why| format!("{}: {why}", project_path.display()))?;
        if allowed.standing(&project_path, &bytes) != crate::allow::Standing::Allowed {
            return Err(format!(
                "{} is not allowed as it is now",
                project_path.display()
            ));
        }
        let project = project::parse(&project_path, &bytes).map_err(|e| e.to_string())?;
        let Some(store) = &project.store else {
            return Err(format!(
                "{} no longer names a team store",
                project_path.display()
            ));
        };
        let (path, recipients_path) = paths(&project, store).map_err(|e| e.to_string())?;
        if path != cached {
            return Err(format!(
                "{} now names another team store",
                project_path.display()
            ));
        }
        Ok(Some(TeamStore::at(
            path.clone(),
            (path, recipients_path),
            &project,
            Some(identity.clone()),
            access,
            now,
            notices,
        )))
    }

    /// Whether the recipients file lists any of `keys` (an unreadable
    /// file is an error: a store skipped in silence would be lost).
    pub fn lists_any(&self, keys: &[String]) -> Result<bool> {
        let lines = self.read_recipients()?.unwrap_or_default();
        Ok(recipient_keys(&lines).iter().any(|key| keys.contains(key)))
    }

    /// The project file that names it.
    pub fn project_file(&self) -> &Path {
        &self.project_file
    }

    /// How messages name it.
    pub fn describe(&self) -> String {
        format!("the team store {}", self.shown.display())
    }

    /// The backend and location, as `list --json` reports them.
    pub fn info(&self) -> StoreInfo {
        StoreInfo {
            backend: Backend::File,
            location: self.path.display().to_string(),
        }
    }

    /// Decrypts the whole document.
    pub fn load(&self) -> Result<Document> {
        self.check_present()?;
        let store = self.store(Vec::new())?;
        let snapshot = store.read().map_err(|e| self.not_a_recipient(e))?;
        self.ledger.refresh(&store, &snapshot, self.now);
        Ok(snapshot.doc)
    }

    /// What the store held when this user last read or wrote it; `None`
    /// before the first time.
    pub fn cached_metadata(&self) -> Option<Metadata> {
        self.ledger.cached()
    }

    /// The variables `env` and `exec` may hand out: only those the project
    /// file declares in `variables` (whoever writes the store does not
    /// choose which names reach a shell), and of those, none that runs
    /// code unless the user's own config allows it by name. What is left
    /// out and what is refused go on one line of stderr each, names only.
    pub fn for_environment(&self, config: Result<&UserConfig>) -> Result<Document> {
        let mut doc = self.load()?;
        let undeclared = self.undeclared(&doc);
        if !undeclared.is_empty() {
            for name in &undeclared {
                doc.variables.remove(name);
            }
            self.notices.warn(self.left_out(&undeclared));
        }
        let allowed = match config {
            Ok(config) => config.allow_variables.clone(),
            // A broken config allows nothing more: fail closed, and say so.
            Err(e) => {
                self.notices
                    .warn(format!("{e}; no variable that runs code is allowed"));
                Vec::new()
            }
        };
        let refused: Vec<VarName> = doc
            .variables
            .keys()
            .filter(|name| code_variables::runs_code(name.as_str()) && !allowed.contains(name))
            .cloned()
            .collect();
        if !refused.is_empty() {
            for name in &refused {
                doc.variables.remove(name);
            }
            let names = joined(&refused);
            self.notices.warn(format!(
                "refused {names} from {}: variables that run code are not taken from a store others can write, declared or not; to let one through, add allow_variables = [\"{}\"] to {}",
                self.describe(),
                refused[0],
                UserConfig::path(&self.access.dirs).display()
            ));
        }
        Ok(doc)
    }

    /// The names in `doc` that the project file does not declare in
    /// `variables` (all of them when it has no such line): never handed to
    /// `env` or `exec`.
    pub fn undeclared(&self, doc: &Document) -> Vec<VarName> {
        let declared = self.declared.as_deref().unwrap_or_default();
        doc.variables
            .keys()
            .filter(|name| !declared.contains(name))
            .cloned()
            .collect()
    }

    /// The notice for variables the store holds and the project file does
    /// not declare, naming the line that would take them.
    fn left_out(&self, names: &[VarName]) -> String {
        let file = self.project_file.display();
        match &self.declared {
            None => {
                // Names that run code would stay refused even if declared:
                // the suggested line leaves them out.
                let quoted: Vec<String> = names
                    .iter()
                    .filter(|n| !code_variables::runs_code(n.as_str()))
                    .map(|n| format!("\"{n}\""))
                    .collect();
                format!(
                    "left out {} from {}: {file} does not declare which variables the team store may set; add `variables = [{}]` (the names you expect from it) to {file}, then run `bscred allow`",
                    joined(names),
                    self.describe(),
                    quoted.join(", ")
                )
            }
            Some(_) => format!(
                "left out {} from {}: {file} does not declare them in `variables`; add the ones the team should share there, then run `bscred allow`",
                joined(names),
                self.describe()
            ),
        }
    }

    /// Read-modify-write under the lock, creating the store (and, with the
    /// user's own key, the recipients file) when there is none yet. Every
    /// write is encrypted to the recipients file as it is now, and refused
    /// when it would lock the writer out.
    pub fn update(&self, edit: &mut dyn FnMut(&mut Document) -> Result<()>) -> Result<Document> {
        let held = self.ledger.lock()?;
        let mine = self.own_keys()?;
        let exists = self.exists()?;
        let (recipients, new_file) = match self.read_recipients()? {
            Some(lines) => (lines, false),
            None if !exists => (mine.clone(), true),
            None => return Err(self.recipients_missing()),
        };
        let keys = recipient_keys(&recipients);
        if !keys.iter().any(|k| mine.contains(k)) {
            return Err(Error::Refused {
                message: format!(
                    "your key is not in {}: you could not read what you write",
                    self.recipients_path.display()
                ),
                hint: format!(
                    "ask a teammate to run `bscred recipients --team add {}`",
                    mine.first().map_or("YOUR_PUBLIC_KEY", String::as_str)
                ),
            });
        }
        let store = self.store(keys)?;
        if exists {
            self.check_present()?;
            let snapshot = store.update(edit).map_err(|e| self.not_a_recipient(e))?;
            self.ledger.record(&held, &store, &snapshot, self.now);
            return Ok(snapshot.doc);
        }
        // A new store: nothing is written until the edit has succeeded.
        let mut doc = Document::default();
        edit(&mut doc)?;
        if new_file {
            private_fs::write_new(
                &self.recipients_path,
                render_recipients(&self.shown, &recipients).as_bytes(),
            )?;
        }
        store.create(&doc)?;
        let snapshot = Snapshot {
            doc,
            fingerprint: store.fingerprint(),
        };
        self.ledger.record(&held, &store, &snapshot, self.now);
        Ok(snapshot.doc)
    }

    /// The recipients file's keys, and the user's own. Before the team
    /// store and its file exist, the keys are the user's: those the first
    /// write will encrypt to.
    pub fn recipients(&self) -> Result<(Vec<String>, Vec<String>)> {
        let mine = self.own_keys()?;
        match self.read_recipients()? {
            Some(lines) => Ok((recipient_keys(&lines), mine)),
            None if !self.exists()? => Ok((mine.clone(), mine)),
            None => Err(self.recipients_missing()),
        }
    }

    /// Writes the recipients file as `change` leaves its lines, then the
    /// store encrypted to them, all under the lock. The file goes first: it
    /// is what every later write encrypts to, so a removal interrupted
    /// midway is finished by the next write instead of undone by it. The
    /// store is decrypted before anything is written, so a store the user
    /// cannot read is left as it was. Before the store exists, only the
    /// file is written (started with the user's key), so the team can be
    /// listed before the first secret. Returns the document the store
    /// holds, `None` when there is no store yet.
    pub fn change_recipients(
        &self,
        change: impl FnOnce(&mut Vec<String>) -> Result<()>,
    ) -> Result<Option<Document>> {
        let held = self.ledger.lock()?;
        let mine = self.own_keys()?;
        let exists = self.exists()?;
        let mut lines = match self.read_recipients()? {
            Some(lines) => lines,
            None if !exists => render_recipients(&self.shown, &mine)
                .lines()
                .map(str::to_string)
                .collect(),
            None => return Err(self.recipients_missing()),
        };
        let doc = if exists { Some(self.load()?) } else { None };
        change(&mut lines)?;
        let keys = recipient_keys(&lines);
        if !keys.iter().any(|k| mine.contains(k)) {
            return Err(Error::OwnKeyRemoved {
                store: "the team store".to_string(),
            });
        }
        let mut text = lines.join("\n");
        text.push('\n');
        private_fs::write_atomic(&self.recipients_path, text.as_bytes())?;
        if exists {
            let store = self.store(keys)?;
            let snapshot = store.rewrite()?;
            self.ledger.record(&held, &store, &snapshot, self.now);
        }
        Ok(doc)
    }

    /// The store as a file-backend store, encrypted to `recipients`.
    fn store(&self, recipients: Vec<String>) -> Result<FileStore> {
        Ok(FileStore::new(
            self.path.clone(),
            self.identity()?.clone(),
            recipients,
            &self.access,
        ))
    }

    fn exists(&self) -> Result<bool> {
        self.store(Vec::new())?.exists()
    }

    /// The identity that decrypts the store: the profile's, when it has
    /// one (a keychain profile does not).
    fn identity(&self) -> Result<&IdentitySource> {
        self.identity.as_ref().ok_or_else(|| Error::Refused {
            message: format!(
                "profile '{}' has no age identity to decrypt {} with",
                self.profile,
                self.describe()
            ),
            hint:
                "use a file-backend profile with -p, or move this one: `bscred migrate --to file`"
                    .to_string(),
        })
    }

    /// A store to read must be there, and be a regular file: a FIFO would
    /// block the read, a device would never end.
    fn check_present(&self) -> Result<()> {
        match fs::metadata(&self.path) {
            Ok(meta) if meta.is_file() => Ok(()),
            Ok(_) => Err(Error::Corrupt {
                path: self.path.clone(),
                reason: "it is not a regular file".to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::InputNotFound {
                what: format!(
                    "{} (named by {})",
                    self.describe(),
                    self.project_file.display()
                ),
                hint: Some(
                    "pull it from version control; `bscred set --team NAME` starts a new one"
                        .to_string(),
                ),
            }),
            Err(e) => Err(Error::io(format!("cannot read {}", self.path.display()))(e)),
        }
    }

    /// The recipients file's lines, or `None` when there is none.
    fn read_recipients(&self) -> Result<Option<Vec<String>>> {
        let Some(found) = project::read(&self.recipients_path) else {
            return Ok(None);
        };
        let bad = |reason: String| Error::Config {
            path: self.recipients_path.clone(),
            reason,
        };
        let bytes = found.map_err(bad)?;
        let text = String::from_utf8(bytes).map_err(|_| bad("it is not UTF-8 text".into()))?;
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (number, line) in lines.iter().enumerate() {
            if let Some(key) = key_of(line) {
                // The line is not quoted back: a secret key pasted here by
                // mistake must not end up on screen.
                identity::parse_recipient(key)
                    .map_err(|reason| bad(format!("line {}: {reason}", number + 1)))?;
            }
        }
        Ok(Some(lines))
    }

    fn recipients_missing(&self) -> Error {
        Error::InputNotFound {
            what: format!("the recipients file {}", self.recipients_path.display()),
            hint: Some(
                "it lists the team's public keys, one per line: restore it from version control (a new team store starts with `bscred set --team NAME`)"
                    .to_string(),
            ),
        }
    }

    fn own_keys(&self) -> Result<Vec<String>> {
        Ok(Identity::load_from(self.identity()?, &self.access)?.recipients())
    }

    /// A store the identity cannot decrypt was encrypted without the
    /// user's key: say whom to ask, with the key to give them.
    fn not_a_recipient(&self, error: Error) -> Error {
        match error {
            Error::Decrypt { path, .. } => Error::NotARecipient {
                path,
                key: self.own_keys().ok().and_then(|k| k.into_iter().next()),
            },
            other => other,
        }
    }
}

/// Names for a notice: `A, B, C`.
fn joined(names: &[VarName]) -> String {
    let names: Vec<&str> = names.iter().map(VarName::as_str).collect();
    names.join(", ")
}

/// The public key on a recipients-file line, if it holds one (`#` comments
/// and blank lines do not).
fn key_of(line: &str) -> Option<&str> {
    let line = line.trim();
    (!line.is_empty() && !line.starts_with('#')).then_some(line)
}

/// The keys of a recipients file, as the profile settings record them.
fn recipient_keys(lines: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for key in lines.iter().filter_map(|l| key_of(l)) {
        let key = identity::normalise_recipient(key);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// Adds `key` to a recipients file's lines unless it is there; `false`
/// when it was.
pub fn add_line(lines: &mut Vec<String>, key: &str) -> bool {
    let normal = identity::normalise_recipient(key);
    if recipient_keys(lines).contains(&normal) {
        return false;
    }
    // An SSH key keeps its comment (age -R reads it, and it says whose key
    // it is); an age key has none.
    lines.push(key.trim().to_string());
    true
}

/// Removes every line holding `key`; `false` when none did.
pub fn remove_line(lines: &mut Vec<String>, key: &str) -> bool {
    let normal = identity::normalise_recipient(key);
    let before = lines.len();
    lines.retain(|l| key_of(l).is_none_or(|k| identity::normalise_recipient(k) != normal));
    lines.len() != before
}

/// The first recipients file: a comment saying what it is, then the keys.
fn render_recipients(store: &Path, keys: &[String]) -> String {
    let name = store
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let mut text = format!(
        "# The public keys {name} is encrypted to, one per line (the format `age -R` reads).\n\
         # Change them with `bscred recipients --team add|rm KEY`, and commit this file.\n"
    );
    for key in keys {
        text.push_str(key);
        text.push('\n');
    }
    text
}

/// The physical paths of the store `store` (as `project` names it) and of
/// its recipients file, each refused when it leads out of the project.
fn paths(project: &Project, store: &Path) -> Result<(PathBuf, PathBuf)> {
    let dir = project_dir(project)?;
    Ok((
        confined(project, &dir, store)?,
        confined(project, &dir, &store.with_extension("recipients"))?,
    ))
}

/// Refuses a project whose team store, or its recipients file, leads out
/// of the project now (for `allow`, which pins the project file but not
/// the links beside it: every use checks again).
pub fn check_inside(project: &Project) -> Result<()> {
    match &project.store {
        Some(store) => paths(project, store).map(drop),
        None => Ok(()),
    }
}

/// The project's directory, as the file system names it.
fn project_dir(project: &Project) -> Result<PathBuf> {
    let dir = project.path.parent().unwrap_or(Path::new("."));
    fs::canonicalize(dir).map_err(Error::io(format!("cannot resolve {}", dir.display())))
}

/// The physical path of `relative` under the project directory `dir`,
/// refused when a symlink on the way leads out of it. The file itself may
/// not exist yet (a store `set --team` is about to create); then its
/// nearest existing ancestor is what must stay inside.
fn confined(project: &Project, dir: &Path, relative: &Path) -> Result<PathBuf> {
    let wanted = dir.join(relative);
    let mut existing = wanted.as_path();
    let mut rest = Vec::new();
    let resolved = loop {
        match fs::canonicalize(existing) {
            Ok(real) => break real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A link that leads nowhere is refused too: a write would
                // follow it wherever it is later pointed.
                if fs::symlink_metadata(existing).is_ok() {
                    return Err(escape(
                        project,
                        relative,
                        "it is a symlink that leads nowhere",
                    ));
                }
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Err(escape(project, relative, "it cannot be resolved"));
                };
                rest.push(name.to_os_string());
                existing = parent;
            }
            Err(e) => {
                return Err(Error::io(format!("cannot resolve {}", wanted.display()))(e));
            }
        }
    };
    if !resolved.starts_with(dir) {
        return Err(escape(
            project,
            relative,
            "a symlink on the way leads outside the project",
        ));
    }
    Ok(rest
        .into_iter()
        .rev()
        .fold(resolved, |path, name| path.join(name)))
}

fn escape(project: &Project, relative: &Path, why: &str) -> Error {
    Error::Refused {
        message: format!(
            "{} (named by {}) must stay inside the project: {why}",
            relative.display(),
            project.path.display()
        ),
        hint: "keep the team store and its recipients file as plain files inside the project"
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipient_lines_keep_comments_and_drop_only_the_key() {
        let key = age::x25519::Identity::generate().to_public().to_string();
        let other = age::x25519::Identity::generate().to_public().to_string();
        let mut lines = vec!["# alice".to_string(), key.clone(), String::new()];
        assert!(!add_line(&mut lines, &format!("  {key} ")));
        assert!(add_line(&mut lines, &other));
        assert_eq!(recipient_keys(&lines), [key.clone(), other.clone()]);
        assert!(remove_line(&mut lines, &key));
        assert!(!remove_line(&mut lines, &key));
        assert_eq!(lines, ["# alice", "", &other]);
    }

    #[test]
    fn a_new_recipients_file_is_what_age_reads() {
        let key = age::x25519::Identity::generate().to_public().to_string();
        let text = render_recipients(Path::new(".bscred/team.age"), std::slice::from_ref(&key));
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        assert_eq!(recipient_keys(&lines), [key]);
        assert!(text.starts_with("# The public keys team.age"));
    }
}
