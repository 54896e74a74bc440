//! Files only the user can read: 0700 directories, 0600 files written
//! atomically, exclusive locks that die with their process, and the check
//! that refuses a key file other users can read.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// What `read_regular` found at a path.
#[derive(Debug)]
pub enum Regular {
    /// Nothing is there.
    Missing,
    /// Something other than a regular file (a directory, FIFO, device).
    NotRegular,
    /// A symlink, where the caller asked not to follow one.
    Symlink,
    /// A regular file larger than the limit.
    TooLarge,
    /// A regular file that belongs to another user (this uid): whoever
    /// else can write it chose its content, as git's `safe.directory`
    /// reasons about a repository owned by someone else.
    Foreign(u32),
    /// The file's bytes.
    Bytes(Vec<u8>),
}

/// Reads a file that other people may have put there (a project file, a
/// pending change): opened without blocking, so a FIFO cannot hang the
/// reader, and read only when it is a regular file of at most `max` bytes
/// that belongs to the user running bscred.
pub fn read_regular(path: &Path, max: u64) -> io::Result<Regular> {
    read_checked(path, max, Links::Follow).map(|(found, _)| found)
}

/// `read_regular` for bscred's own files (a store, a pending change),
/// which are never links: a symlink is reported, not followed, so a link
/// planted where a store belongs cannot make bscred read or write another
/// file. Also returns the metadata of the very file read.
pub fn read_own(path: &Path, max: u64) -> io::Result<(Regular, Option<fs::Metadata>)> {
    read_checked(path, max, Links::Refuse)
}

/// Whether a read may follow a symlink.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Links {
    Follow,
    Refuse,
}

fn read_checked(
    path: &Path,
    max: u64,
    links: Links,
) -> io::Result<(Regular, Option<fs::Metadata>)> {
    use std::io::Read;
    let mut options = OpenOptions::new();
    options.read(true);
    // A FIFO opened for reading would otherwise block until a writer comes.
    #[cfg(unix)]
    {
        let mut flags = rustix::fs::OFlags::NONBLOCK;
        if links == Links::Refuse {
            flags |= rustix::fs::OFlags::NOFOLLOW;
        }
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, flags.bits() as i32);
    }
    // Windows follows a symlink (a reparse point) unless asked to open the
    // link itself; the metadata below then says it is a link.
    #[cfg(windows)]
    if links == Links::Refuse {
        const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
        std::os::windows::fs::OpenOptionsExt::custom_flags(
            &mut options,
            FILE_FLAG_OPEN_REPARSE_POINT,
        );
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A dangling link is a link, not a missing file.
            if links == Links::Refuse && fs::symlink_metadata(path).is_ok() {
                return Ok((Regular::Symlink, None));
            }
            return Ok((Regular::Missing, None));
        }
        Err(e) if links == Links::Refuse && is_symlink_refused(&e) => {
            return Ok((Regular::Symlink, None));
        }
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if links == Links::Refuse && meta.file_type().is_symlink() {
        return Ok((Regular::Symlink, Some(meta)));
    }
    if !meta.is_file() {
        return Ok((Regular::NotRegular, Some(meta)));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != rustix::process::geteuid().as_raw() {
            return Ok((Regular::Foreign(meta.uid()), Some(meta)));
        }
    }
    if meta.len() > max {
        return Ok((Regular::TooLarge, Some(meta)));
    }
    // Sized from the metadata: one read for the file, one to see its end
    // (an empty Vec would grow from 32 bytes, a read call each time).
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max + 1).read_to_end(&mut bytes)?;
    // It may have grown since the check.
    if bytes.len() as u64 > max {
        return Ok((Regular::TooLarge, Some(meta)));
    }
    Ok((Regular::Bytes(bytes), Some(meta)))
}

/// Whether opening failed because `O_NOFOLLOW` met a symlink (`ELOOP`).
#[cfg(unix)]
fn is_symlink_refused(e: &io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
}

/// Windows opens the link itself (`FILE_FLAG_OPEN_REPARSE_POINT`) rather
/// than failing; the caller checks the metadata instead.
#[cfg(not(unix))]
fn is_symlink_refused(_e: &io::Error) -> bool {
    false
}

/// Reads all of `reader` (plaintext: a decrypted store, an identity) into
/// a buffer of exactly `capacity` bytes, wiped when dropped. A growing
/// `Vec` would reallocate and free unwiped copies of what it held, so the
/// buffer is sized first and never grows; more than `capacity` bytes is an
/// error (`InvalidData`). Callers know a bound: a decryption yields fewer
/// bytes than the ciphertext it reads.
pub fn read_wiped(reader: impl io::Read, capacity: usize) -> io::Result<Zeroizing<Vec<u8>>> {
    use std::io::Read;
    let mut buffer = Zeroizing::new(Vec::with_capacity(capacity));
    let mut reader = reader;
    (&mut reader)
        .take(capacity as u64)
        .read_to_end(&mut buffer)?;
    let mut more = [0u8; 1];
    if reader.read(&mut more)? > 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "more data than expected",
        ));
    }
    Ok(buffer)
}

/// Creates `dir` and any missing parents with mode 0700.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(Error::io(format!(
        "cannot create directory {}",
        dir.display()
    )))
}

/// Replaces `path` with `bytes` so that a reader sees either the old content
/// or the new, never a mix, even if the process is killed midway: write a
/// temporary file in the same directory, fsync it, rename it over the target,
/// fsync the directory. The new file is 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, bytes, Replace::Yes)
}

/// Like `write_atomic`, but fails if `path` already exists: for files that
/// must never be silently replaced (a new identity).
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, bytes, Replace::No)
}

#[derive(PartialEq)]
enum Replace {
    Yes,
    No,
}

fn write_atomic_with(path: &Path, bytes: &[u8], replace: Replace) -> Result<()> {
    let wrap = |action: &str| Error::io(format!("cannot {action} {}", path.display()));
    let dir = parent_dir(path);
    ensure_dir(dir)?;
    // tempfile creates the file 0600 on Unix, before any byte is written.
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(wrap("create a temporary file next to"))?;
    temp.write_all(bytes).map_err(wrap("write"))?;
    temp.as_file().sync_all().map_err(wrap("flush"))?;
    match replace {
        Replace::Yes => replace_with(temp, path),
        Replace::No => temp.persist_noclobber(path).map(drop).map_err(|e| e.error),
    }
    .map_err(wrap("replace"))?;
    sync_dir(dir).map_err(wrap("flush the directory of"))
}

/// How long a replace waits for readers to close the target. Windows
/// refuses to rename over a file that is open (ERROR_ACCESS_DENIED), and
/// another bscred reading the store holds it for milliseconds; on Unix a
/// rename never waits, and a refusal there is final.
const REPLACE_PATIENCE: std::time::Duration = if cfg!(windows) {
    std::time::Duration::from_secs(3)
} else {
    std::time::Duration::ZERO
};

/// Whether a rename failed because the target is open: ERROR_ACCESS_DENIED
/// (open, deletion shared) or ERROR_SHARING_VIOLATION (open, not shared),
/// which std leaves uncategorised.
fn in_use(e: &io::Error) -> bool {
    const ERROR_SHARING_VIOLATION: i32 = 32;
    cfg!(windows)
        && (e.kind() == io::ErrorKind::PermissionDenied
            || e.raw_os_error() == Some(ERROR_SHARING_VIOLATION))
}

/// Renames `temp` over `path`, retrying while the platform says the
/// target is in use (see `REPLACE_PATIENCE`). The temporary file is
/// removed if it never gets there.
fn replace_with(temp: tempfile::NamedTempFile, path: &Path) -> io::Result<()> {
    let deadline = std::time::Instant::now() + REPLACE_PATIENCE;
    let mut temp = temp;
    loop {
        match temp.persist(path) {
            Ok(_) => return Ok(()),
            Err(e) if in_use(&e.error) && std::time::Instant::now() < deadline => {
                temp = e.file;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e.error),
        }
    }
}

const TEMP_SUFFIX: &str = ".tmp";

/// Temporary files start with their target's name
/// (`default.age.bscred-XXXXXX.tmp`), so the leftovers of a writer killed
/// midway can be told apart from another file's writes in progress, and so
/// the ignore pattern that covers a file covers its temporary too: while
/// `import --remove` rewrites `.env`, `.env.bscred-XXXXXX.tmp` matches the
/// `.env*` line of a `.gitignore`.
fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!("{name}.bscred-")
}

/// The prefix earlier versions used (`.default.age.XXXXXX.tmp`), whose
/// leftovers are cleared too.
fn old_temp_prefix(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.")
}

/// Deletes temporary files a killed writer of `path` left behind. Call it
/// only while holding the lock that serialises writers of `path`: then no
/// temporary file of `path` can belong to a live writer.
pub fn remove_stale_temps(path: &Path) {
    let prefixes = [temp_prefix(path), old_temp_prefix(path)];
    let Ok(entries) = fs::read_dir(parent_dir(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Exactly prefix + tempfile's six random characters + suffix, so
        // `a.age.bscred-` never matches the temporaries of a file `a.age.x`.
        let stale = prefixes.iter().any(|prefix| {
            name.strip_prefix(prefix.as_str())
                .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
                .is_some_and(|r| r.len() == 6 && r.chars().all(|c| c.is_ascii_alphanumeric()))
        });
        if stale {
            // Best effort: a leftover costs disk space, not correctness.
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The rename is durable only once the directory entry is on disk.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// An exclusive lock held until dropped. Built on `flock`-style locks (std's
/// `File::lock`), which the kernel releases when the holder dies, so a killed
/// `bscred set` can never leave a stale lock behind.
///
/// Not re-entrant: a second acquire of a lock this process holds would
/// wait for itself. One owner takes each lock (a store's ledger hands out a
/// `ledger::Held` for commands that hold it across several steps), so none
/// is ever taken twice.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Opens (creating, 0600) the file a lock is taken on.
fn open_lock_file(path: &Path) -> Result<File> {
    ensure_dir(parent_dir(path))?;
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(Error::io(format!(
        "cannot open lock file {}",
        path.display()
    )))
}

impl Lock {
    /// Blocks until the lock at `path` is ours, saying after a second why
    /// nothing happens (unless `quiet`: `-q`).
    pub fn acquire(path: &Path, quiet: bool) -> Result<Lock> {
        let file = open_lock_file(path)?;
        // Wait quietly for a moment (parallel writers take milliseconds),
        // then say why nothing happens: a writer stopped with Ctrl-Z holds
        // the lock until it is resumed or killed.
        let patience = std::time::Instant::now() + std::time::Duration::from_secs(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < patience => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(fs::TryLockError::WouldBlock) => break,
                Err(fs::TryLockError::Error(e)) => {
                    return Err(Error::io(format!("cannot lock {}", path.display()))(e));
                }
            }
        }
        if !quiet {
            crate::terminal::say(&format!(
                "waiting for another bscred that is writing (lock {})",
                path.display()
            ));
        }
        file.lock()
            .map_err(Error::io(format!("cannot lock {}", path.display())))?;
        Ok(Lock { _file: file })
    }

    /// The lock if it is free now, `None` if another process holds it.
    pub fn try_acquire(path: &Path) -> Result<Option<Lock>> {
        let file = open_lock_file(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Lock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => {
                Err(Error::io(format!("cannot lock {}", path.display()))(e))
            }
        }
    }
}

/// Refuses a key file that anyone but its owner can read, as ssh does.
#[cfg(unix)]
pub fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .map_err(Error::io(format!("cannot read {}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::IdentityExposed {
            path: path.to_path_buf(),
            mode: mode & 0o7777,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/file");
        write_atomic(&path, b"one").expect("first write");
        write_atomic(&path, b"two").expect("second write");
        assert_eq!(fs::read(&path).expect("read"), b"two");
        let names: Vec<_> = fs::read_dir(path.parent().expect("parent"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec!["file"]);
    }

    #[test]
    fn stale_temps_of_one_file_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("default.age");
        write_atomic(&path, b"data").expect("write");
        let stale = dir.path().join("default.age.bscred-abc123.tmp");
        let old_stale = dir.path().join(".default.age.abc123.tmp");
        let other = dir.path().join("work.age.bscred-abc123.tmp");
        let longer_name = dir.path().join("default.age.age.bscred-abc123.tmp");
        fs::write(&longer_name, b"half").expect("write");
        fs::write(&stale, b"half").expect("write");
        fs::write(&old_stale, b"half").expect("write");
        fs::write(&other, b"half").expect("write");
        remove_stale_temps(&path);
        assert!(!stale.exists() && !old_stale.exists());
        assert!(other.exists(), "another file's write in progress must stay");
        assert!(
            longer_name.exists(),
            "so must that of a file with a longer name"
        );
        assert_eq!(fs::read(&path).expect("read"), b"data");
    }

    #[test]
    fn a_wiped_read_never_grows_its_buffer() {
        let data = vec![7u8; 10_000];
        let read = read_wiped(&data[..], 10_000).expect("fits");
        assert_eq!(&read[..], &data[..]);
        // Sized once: no reallocation left an unwiped copy behind.
        assert_eq!(read.capacity(), 10_000);
        let short = read_wiped(&data[..10], 10_000).expect("shorter is fine");
        assert_eq!(short.len(), 10);
        assert_eq!(short.capacity(), 10_000);
        let error = read_wiped(&data[..], 9_999).expect_err("too much");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_temporary_file_matches_the_ignore_pattern_of_its_target() {
        let prefix = temp_prefix(Path::new("/p/.env"));
        assert_eq!(prefix, ".env.bscred-");
        let temp = format!("{prefix}abc123{TEMP_SUFFIX}");
        // `.env*` in a .gitignore: the name starts with `.env`.
        assert!(temp.starts_with(".env"));
        assert_eq!(temp_prefix(Path::new("default.age")), "default.age.bscred-");
    }

    #[test]
    fn a_held_lock_is_waited_for_and_then_granted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("l.lock");
        // Held through another open file, as another process would hold it.
        fs::write(&path, b"").expect("create");
        let held = OpenOptions::new().write(true).open(&path).expect("open");
        held.lock().expect("first");
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let lock = Lock::acquire(&path, false).expect("second");
                tx.send(()).expect("send");
                drop(lock);
            })
        };
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(100))
                .is_err(),
            "the second lock must wait while the first is held"
        );
        drop(held);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("granted once released");
        waiter.join().expect("join");
    }

    #[test]
    fn a_held_lock_is_not_free_to_a_second_try_even_in_this_process() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.lock");
        let outer = Lock::acquire(&path, false).expect("outer");
        assert!(Lock::try_acquire(&path).expect("try").is_none());
        drop(outer);
        assert!(Lock::try_acquire(&path).expect("try").is_some());
    }

    #[test]
    fn write_new_never_replaces() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id");
        write_new(&path, b"first").expect("created");
        assert!(write_new(&path, b"second").is_err());
        assert_eq!(fs::read(&path).expect("read"), b"first");
    }

    #[cfg(unix)]
    #[test]
    fn files_are_0600_and_dirs_0700() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d/f");
        write_atomic(&path, b"x").expect("write");
        let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("d")), 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn readable_key_files_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key");
        fs::write(&path, "k").expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
        let error = check_private(&path).expect_err("refused");
        assert_eq!(error.exit().code(), 4);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        check_private(&path).expect("accepted");
    }
}
