//! The output folder of a run: the lock that keeps other chiso runs out of it, the staging
//! folder its files are written to, putting them in place together, and clearing what a
//! killed run left behind.
//!
//! Names, for an output folder `DIR` whose parent is `P`:
//!
//! - `P/.DIR.chiso-lock`: the lock file (an operating-system lock on it is the lock; the
//!   file holds the pid of the run that has it). In `DIR` itself, as `DIR/.chiso-lock`, when
//!   `DIR` has no parent or its parent cannot be written to.
//! - `P/.DIR.chiso-ID.part`: the new folder being written; renamed `.ready` once every file
//!   in it is complete and on disk; `P/.DIR.chiso-ID.old`: the folder it replaced, while it
//!   is emptied. Used when `DIR` does not exist or holds only files of this run's names.
//! - `DIR/.chiso-ID.part`, then `.ready`: the files being written, when `DIR` holds anything
//!   else (other files, folders), each file then renamed into `DIR` on its own.
//!
//! `ID` is 16 lowercase hexadecimal digits. Nothing else is ever removed as a left-over.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, ErrorKind, Result};

/// What this process holds and has under way: read by [`abandon_unfinished`].
struct State {
    /// The output folders held, one entry per lock file.
    held: Vec<Held>,
    /// The staging folders being written, with the output folder (as given) of each.
    unfinished: Vec<(PathBuf, PathBuf)>,
    /// The output folders (as given) that a set of files was put in place in.
    written: Vec<PathBuf>,
}

/// A lock file this process has locked.
struct Held {
    path: PathBuf,
    /// Open while held: the operating system's lock ends when it is closed.
    file: File,
    /// How many [`OutputLock`]s share it.
    count: usize,
    /// The folders made to hold the lock file, outermost first (removed if left empty).
    created: Vec<PathBuf>,
}

static STATE: Mutex<State> = Mutex::new(State {
    held: Vec::new(),
    unfinished: Vec::new(),
    written: Vec::new(),
});

/// The state, locked. A commit holds it while it puts files in place, so that a signal
/// handler calling [`abandon_unfinished`] waits for the output folder to be whole again.
fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// An output folder held by this run: no other chiso run can write into it until the last
/// `OutputLock` on it in this process is dropped. Taken by [`lock_output`]; the lock ends with
/// the process however it ends, so a killed run leaves no stale lock.
#[must_use = "the folder is held only while the lock is kept"]
#[derive(Debug)]
pub struct OutputLock {
    target: Target,
}

/// Where an output folder is, resolved once.
#[derive(Clone, Debug)]
struct Target {
    /// The folder as given, for messages.
    given: PathBuf,
    /// The folder, canonical (its parent canonical when it does not exist yet).
    dir: PathBuf,
    /// The canonical parent and the folder's name when the lock file is in the parent, which
    /// is what lets the folder be staged beside it and swapped in whole.
    beside: Option<(PathBuf, OsString)>,
    /// The lock file.
    lock: PathBuf,
}

/// Holds the output folder `dir` for this run, before any work is done: fails at once if
/// another chiso run holds it ([`ErrorKind::OutputBusy`]), or if `dir` is a file. Makes the
/// folders above `dir` that do not exist (removed again if left empty). Clears what a killed
/// run into `dir` left behind, saying so on standard error: a staging folder never put in
/// place is removed (the output folder is as it was before that run), a replacement that was
/// under way is completed.
///
/// Taking it again in the same process (as each write into `dir` does) shares the lock.
pub fn lock_output(dir: &Path) -> Result<OutputLock> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::input(
            "out",
            format!(
                "{} is a file: the output goes into a directory, which is made if it does not \
                 exist",
                dir.display()
            ),
        ));
    }
    let mut st = state();
    let mut created = Vec::new();
    let target = Target::resolve(dir, &mut created).map_err(|e| Error::io(dir, e))?;
    if let Some(h) = st.held.iter_mut().find(|h| h.path == target.lock) {
        h.count += 1;
        return Ok(OutputLock { target });
    }
    let file = match acquire(&target) {
        Ok(file) => file,
        Err(e) => {
            remove_empty(&created);
            return Err(e);
        }
    };
    st.held.push(Held {
        path: target.lock.clone(),
        file,
        count: 1,
        created,
    });
    let lock = OutputLock { target };
    // Under the state's lock: a signal handler waits for the recovery to end.
    let recovered = recover(&lock.target);
    drop(st);
    recovered.map(|()| lock)
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let mut st = state();
        let Some(i) = st.held.iter().position(|h| h.path == self.target.lock) else {
            return;
        };
        st.held[i].count -= 1;
        if st.held[i].count == 0 {
            let held = st.held.swap_remove(i);
            release(held);
        }
    }
}

/// Unlocks: on Unix the lock file is removed first, while still locked (a run that opened it
/// meanwhile sees that it is no longer the file at that path, and takes the new one). On
/// Windows it stays: a file open elsewhere cannot be removed safely there.
fn release(held: Held) {
    #[cfg(unix)]
    let _ = fs::remove_file(&held.path);
    drop(held.file);
    remove_empty(&held.created);
}

/// Removes the folders `created` (outermost first) that are empty, innermost first.
fn remove_empty(created: &[PathBuf]) {
    for d in created.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

impl Target {
    fn resolve(given: &Path, created: &mut Vec<PathBuf>) -> io::Result<Target> {
        let (dir, beside) = if given.exists() {
            let dir = fs::canonicalize(given)?;
            let beside = match (dir.parent(), dir.file_name()) {
                (Some(p), Some(n)) => Some((p.to_path_buf(), n.to_os_string())),
                _ => None,
            };
            (dir, beside)
        } else {
            let name = given.file_name().ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "not the name of a folder")
            })?;
            let parent = match given.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            make_dirs(parent, created)?;
            let parent = fs::canonicalize(parent)?;
            (parent.join(name), Some((parent, name.to_os_string())))
        };
        let mut target = Target {
            given: given.to_path_buf(),
            lock: dir.join(".chiso-lock"),
            dir,
            beside: None,
        };
        if let Some((parent, name)) = beside {
            let lock = parent.join(dotted(&name, ".chiso-lock"));
            // A parent that cannot be written to cannot take the lock file, nor have the
            // folder renamed in it: then the lock is in the folder, and files are replaced
            // one by one.
            if writable(&parent, &lock) || !target.dir.is_dir() {
                target.lock = lock;
                target.beside = Some((parent, name));
            }
        }
        Ok(target)
    }

    /// The prefix of this folder's staging folders in its parent: `.NAME.chiso-`.
    fn prefix(name: &OsStr) -> OsString {
        dotted(name, ".chiso-")
    }
}

/// `.NAME` followed by `tail`.
fn dotted(name: &OsStr, tail: &str) -> OsString {
    let mut s = OsString::from(".");
    s.push(name);
    s.push(tail);
    s
}

/// Whether the lock file `lock` can be made in `parent` (it exists, or can be created).
fn writable(parent: &Path, lock: &Path) -> bool {
    if lock.exists() {
        return OpenOptions::new().write(true).open(lock).is_ok();
    }
    match OpenOptions::new().write(true).create_new(true).open(lock) {
        Ok(_) => true,
        Err(e) => e.kind() == io::ErrorKind::AlreadyExists && parent.is_dir(),
    }
}

/// Makes `dir` and the folders above it that do not exist, recording those made.
fn make_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut d = dir;
    while !d.as_os_str().is_empty() && !d.exists() {
        missing.push(d.to_path_buf());
        d = match d.parent() {
            Some(p) => p,
            None => break,
        };
    }
    for m in missing.into_iter().rev() {
        match fs::create_dir(&m) {
            Ok(()) => created.push(m),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Locks the target's lock file, or fails at once if another run has it.
fn acquire(t: &Target) -> Result<File> {
    let io = |e| Error::io(&t.lock, e);
    for _ in 0..100 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&t.lock)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(ErrorKind::OutputBusy {
                    dir: t.given.clone(),
                    pid: fs::read_to_string(&t.lock)
                        .ok()
                        .and_then(|s| s.trim().parse().ok()),
                }
                .into());
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        if is_at(&file, &t.lock) {
            file.set_len(0).map_err(io)?;
            (&file)
                .write_all(format!("{}\n", std::process::id()).as_bytes())
                .map_err(io)?;
            return Ok(file);
        }
        // The run that had it removed it as it ended: the file at the path now is another.
    }
    Err(io(io::Error::other(
        "the lock file keeps being replaced by other runs",
    )))
}

/// Whether `file` is still the file at `path`.
#[cfg(unix)]
fn is_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether `file` is still the file at `path`: always, as a lock file is never removed here.
#[cfg(not(unix))]
fn is_at(_: &File, _: &Path) -> bool {
    true
}

/// Writes a note on standard error (a closed standard error is no failure).
fn note(text: &str) {
    let _ = writeln!(io::stderr(), "note: {text}");
}

/// The stage of a staging folder, from the end of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Part,
    Ready,
    Old,
}

/// The id and stage of a left-over named `prefix` + `ID.STAGE`, if `name` is one.
fn leftover(name: &OsStr, prefix: &OsStr) -> Option<(String, Stage)> {
    let rest = name
        .as_encoded_bytes()
        .strip_prefix(prefix.as_encoded_bytes())?;
    let rest = std::str::from_utf8(rest).ok()?;
    let (id, stage) = rest.split_once('.')?;
    let stage = match stage {
        "part" => Stage::Part,
        "ready" => Stage::Ready,
        "old" => Stage::Old,
        _ => return None,
    };
    let valid = id.len() == 16 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    valid.then(|| (id.to_string(), stage))
}

/// The stages found of one staging folder, by its id.
type Found = (String, Vec<(Stage, PathBuf)>);

/// The left-overs in `dir` named with `prefix`, by id, each with its stages.
fn leftovers(dir: &Path, prefix: &OsStr) -> io::Result<Vec<Found>> {
    let mut found: Vec<Found> = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for e in entries {
        let e = e?;
        if let Some((id, stage)) = leftover(&e.file_name(), prefix) {
            match found.iter_mut().find(|(i, _)| *i == id) {
                Some((_, v)) => v.push((stage, e.path())),
                None => found.push((id, vec![(stage, e.path())])),
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Puts right what killed runs into `t` left behind (the target is held).
fn recover(t: &Target) -> Result<()> {
    let dir = &t.dir;
    let shown = t.given.display();
    if let Some((parent, name)) = &t.beside {
        let io = |e| Error::io(parent, e);
        for (_, stages) in leftovers(parent, &Target::prefix(name)).map_err(io)? {
            let at = |s: Stage| stages.iter().find(|(x, _)| *x == s).map(|(_, p)| p);
            let (part, ready, old) = (at(Stage::Part), at(Stage::Ready), at(Stage::Old));
            if let Some(part) = part {
                fs::remove_dir_all(part).map_err(|e| Error::io(part, e))?;
                note(&format!(
                    "removed the unfinished output of an interrupted chiso run into {shown} \
                     ({}); the folder is as that run found it",
                    part.display()
                ));
            }
            match (ready, old) {
                (ready, Some(old)) if !dir.exists() => {
                    // Killed between moving the folder aside and moving the new one in.
                    fs::rename(old, dir).map_err(|e| Error::io(old, e))?;
                    if let Some(ready) = ready {
                        fs::remove_dir_all(ready).map_err(|e| Error::io(ready, e))?;
                    }
                    note(&format!(
                        "put back {shown} as it was before an interrupted chiso run replaced it"
                    ));
                }
                (None, Some(old)) => {
                    // Killed after the new folder was in place: the old one is emptied.
                    if !finish(old, dir).map_err(|e| Error::io(old, e))? {
                        return Err(Error::io(
                            old,
                            io::Error::other(format!(
                                "left by an interrupted chiso run that replaced {shown}, it \
                                 holds folders that {shown} holds too: move or remove them by \
                                 hand"
                            )),
                        ));
                    }
                    note(&format!(
                        "removed the files an interrupted chiso run had replaced in {shown}"
                    ));
                }
                (Some(ready), None) => {
                    // Complete but never put in place: the run did not happen.
                    fs::remove_dir_all(ready).map_err(|e| Error::io(ready, e))?;
                    note(&format!(
                        "removed the output of an interrupted chiso run into {shown} that was \
                         never put in place ({}); the folder is as that run found it",
                        ready.display()
                    ));
                }
                (Some(ready), Some(old)) => {
                    return Err(Error::io(
                        old,
                        io::Error::other(format!(
                            "an interrupted chiso run left its old and new folder ({}) beside \
                             {shown}, and {shown} exists again: keep the one you want as \
                             {shown} and remove the others",
                            ready.display()
                        )),
                    ));
                }
                (None, None) => {}
            }
        }
    }
    if dir.is_dir() {
        let io = |e| Error::io(dir, e);
        for (_, stages) in leftovers(dir, OsStr::new(".chiso-")).map_err(io)? {
            for (stage, path) in stages {
                match stage {
                    // Never made inside the folder.
                    Stage::Old => {}
                    Stage::Ready => {
                        let moved = roll_forward(&path, dir).map_err(|e| Error::io(&path, e))?;
                        note(&format!(
                            "completed the replacement of files in {shown} that an interrupted \
                             chiso run had begun: {}",
                            moved.join(", ")
                        ));
                    }
                    Stage::Part => {
                        fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
                        note(&format!(
                            "removed the unfinished files of an interrupted chiso run in {shown} \
                             ({})",
                            path.display()
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Moves every file of the complete staging folder `ready` into `dir` (replacing the file of
/// the same name), then removes `ready`; returns the names moved.
fn roll_forward(ready: &Path, dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for e in fs::read_dir(ready)? {
        let e = e?;
        fs::rename(e.path(), dir.join(e.file_name()))?;
        names.push(e.file_name().to_string_lossy().into_owned());
    }
    fs::remove_dir(ready)?;
    sync_dir(dir);
    names.sort();
    Ok(names)
}

/// Empties `old`, the folder that `dir` replaced: a file that `dir` has under the same name
/// is the replaced version and is removed; any other entry (one made in the folder while it
/// was being swapped) is moved into `dir`. Removes `old` and returns true when it is empty;
/// a folder that both hold is left in `old` (false).
fn finish(old: &Path, dir: &Path) -> io::Result<bool> {
    for e in fs::read_dir(old)? {
        let e = e?;
        let dest = dir.join(e.file_name());
        match fs::symlink_metadata(&dest) {
            Ok(_) if !e.file_type()?.is_dir() => fs::remove_file(e.path())?,
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => fs::rename(e.path(), &dest)?,
            Err(err) => return Err(err),
        }
    }
    Ok(fs::remove_dir(old).is_ok())
}

/// Flushes a folder's entries to disk (best effort; Unix only, where a folder can be
/// opened).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A fresh id for a staging folder: 16 lowercase hexadecimal digits.
fn new_id() -> String {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!(
        "{}/{nanos}/{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(seed.as_bytes()))
}

/// Makes a new, empty staging folder in `dir`, named `prefix` + `ID.part`.
fn make_staging(dir: &Path, prefix: &OsStr) -> io::Result<PathBuf> {
    loop {
        let mut name = prefix.to_os_string();
        name.push(format!("{}.part", new_id()));
        let path = dir.join(name);
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The staging folder's name at another stage (`ready`, `old`).
fn at_stage(staging: &Path, stage: &str) -> PathBuf {
    staging.with_extension(stage)
}

/// Where the test suite stops a run (debug builds only): with `CHISO_TEST_PAUSE=POINT`, the
/// run says `checkpoint POINT` on standard error when it gets there and waits for a line (or
/// the end) on standard input; with `CHISO_TEST_FAIL=POINT`, what it does there fails. The
/// points: `staged` (the first file of several is written), `ready` (every file is written
/// and its staging folder named `.ready`, nothing is in place), `aside` (the folder being replaced is moved aside, the new one not
/// yet in), `placed` (the new folder is in; or, file by file, the first file is).
#[cfg(debug_assertions)]
fn checkpoint(point: &str) -> io::Result<()> {
    if std::env::var_os("CHISO_TEST_PAUSE").is_some_and(|v| v == point) {
        let _ = writeln!(io::stderr(), "checkpoint {point}");
        let _ = io::stdin().read_line(&mut String::new());
    }
    if std::env::var_os("CHISO_TEST_FAIL").is_some_and(|v| v == point) {
        return Err(io::Error::other(format!("stopped at checkpoint {point}")));
    }
    Ok(())
}

#[cfg(not(debug_assertions))]
fn checkpoint(_: &str) -> io::Result<()> {
    Ok(())
}

/// How a set of files is put in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// A new folder beside the output folder, renamed to it.
    Swap,
    /// A staging folder inside the output folder, each file renamed out of it.
    InPlace,
}

/// Whether the output folder can be swapped whole for a new one holding `names`: it does not
/// exist, or it is a folder of its own (not the working directory or above it, on the same
/// file system as its parent) that holds only files named in `names`.
fn mode(t: &Target, names: &[&str]) -> Mode {
    if t.beside.is_none() {
        return Mode::InPlace;
    }
    let meta = match fs::symlink_metadata(&t.dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Mode::Swap,
        Err(_) => return Mode::InPlace,
        Ok(m) => m,
    };
    if !meta.is_dir() {
        return Mode::InPlace;
    }
    let cwd = std::env::current_dir().and_then(fs::canonicalize);
    if cwd.map_or(true, |c| c.starts_with(&t.dir)) {
        return Mode::InPlace;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let parent = t.beside.as_ref().map(|(p, _)| fs::metadata(p));
        if !matches!(parent, Some(Ok(p)) if p.dev() == meta.dev()) {
            return Mode::InPlace;
        }
    }
    let Ok(entries) = fs::read_dir(&t.dir) else {
        return Mode::InPlace;
    };
    for e in entries {
        let Ok(e) = e else { return Mode::InPlace };
        let own = e.file_name().to_str().is_some_and(|n| names.contains(&n));
        if !own || !e.file_type().is_ok_and(|f| f.is_file()) {
            return Mode::InPlace;
        }
    }
    Mode::Swap
}

/// Removes the temporary files that chiso versions before this one left in `dir` when they
/// were killed while writing: `.NAME.XXXXXX.tmp` for a file `NAME` of this run.
fn clear_old_temporaries(t: &Target, names: &[&str]) -> Result<()> {
    let Ok(entries) = fs::read_dir(&t.dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(f) = file.to_str() else { continue };
        let old = names.iter().any(|n| {
            f.strip_prefix('.')
                .and_then(|r| r.strip_prefix(n))
                .and_then(|r| r.strip_prefix('.'))
                .and_then(|r| r.strip_suffix(".tmp"))
                .is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
        });
        if old && e.file_type().is_ok_and(|t| t.is_file()) {
            fs::remove_file(e.path()).map_err(|err| Error::io(&e.path(), err))?;
            note(&format!(
                "removed {}, left by an interrupted chiso run",
                t.given.join(f).display()
            ));
        }
    }
    Ok(())
}

/// A staging folder being written into the held output folder ([`Staging::open`]): its files
/// are written by [`Staging::write_with`], from any thread, and once every one is complete and
/// on disk [`Staging::finish`] puts them in place all together: the staging folder swapped in
/// for the output folder, or its files renamed into it one by one (see [`Mode`]). Dropped
/// before that (an error, a panic), it is removed and the output folder is as it was.
pub(super) struct Staging {
    target: Target,
    mode: Mode,
    /// The folder the staging folder is in.
    home: PathBuf,
    staging: PathBuf,
    /// The files, in the order they are put in place.
    names: Vec<String>,
    /// Which of `names` are written.
    written: Mutex<Vec<bool>>,
    /// Whether [`Staging::finish`] took over the staging folder (it clears up after itself).
    finished: bool,
}

impl Staging {
    /// Makes the staging folder for the files `names` (in the order they are to be put in
    /// place) of the held output folder.
    pub(super) fn open(lock: &OutputLock, names: &[&str]) -> Result<Staging> {
        let t = &lock.target;
        clear_old_temporaries(t, names)?;
        let mode = mode(t, names);
        let (home, prefix) = match (&t.beside, mode) {
            (Some((parent, name)), Mode::Swap) => (parent.clone(), Target::prefix(name)),
            _ => (t.dir.clone(), OsString::from(".chiso-")),
        };
        let staging = {
            let mut st = state();
            let staging = make_staging(&home, &prefix).map_err(|e| Error::io(&home, e))?;
            st.unfinished.push((staging.clone(), t.given.clone()));
            staging
        };
        let stage = Staging {
            target: t.clone(),
            mode,
            home,
            staging,
            names: names.iter().map(|n| n.to_string()).collect(),
            written: Mutex::new(vec![false; names.len()]),
            finished: false,
        };
        if mode == Mode::Swap && t.dir.is_dir() {
            // The new folder takes the permissions of the one it replaces.
            let kept = fs::metadata(&t.dir)
                .and_then(|m| fs::set_permissions(&stage.staging, m.permissions()));
            kept.map_err(|e| Error::io(&t.given, e))?;
        }
        Ok(stage)
    }

    /// Writes the file `name` (one of the names the stage was opened with, written once)
    /// with what `write` writes into it, and flushes it to disk.
    ///
    /// # Panics
    /// If `name` is not one of the stage's names.
    pub(super) fn write_with(
        &self,
        name: &str,
        write: impl FnOnce(&mut io::BufWriter<File>) -> io::Result<()>,
    ) -> Result<()> {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("{name} is not one of the files staged: {:?}", self.names));
        let shown = self.target.given.join(name);
        let path = self.staging.join(name);
        // Made while no signal handler is clearing the staging folder; once only.
        let file = {
            let _st = state();
            File::create_new(&path).map_err(|e| Error::io(&shown, e))?
        };
        let mut out = io::BufWriter::with_capacity(1 << 18, file);
        write(&mut out)
            .and_then(|()| out.into_inner().map_err(|e| e.into_error()))
            .and_then(|file| file.sync_all())
            .map_err(|e| Error::io(&shown, e))?;
        let first = {
            let mut done = self.written.lock().unwrap_or_else(|e| e.into_inner());
            done[i] = true;
            done.iter().filter(|&&d| d).count() == 1
        };
        if first && self.names.len() > 1 {
            checkpoint("staged").map_err(|e| Error::io(&shown, e))?;
        }
        Ok(())
    }

    /// Puts the files in place together (every one must have been written): on failure
    /// nothing in the output folder has changed, except when a rename fails after the first
    /// file was put in place by itself (the error says so, and the next run completes it).
    /// Returns the files' paths, under the folder as given, in order.
    ///
    /// # Panics
    /// If a file was not written.
    pub(super) fn finish(mut self) -> Result<Vec<PathBuf>> {
        {
            let done = self.written.lock().unwrap_or_else(|e| e.into_inner());
            let missing: Vec<&String> = self
                .names
                .iter()
                .zip(done.iter())
                .filter(|(_, d)| !**d)
                .map(|(n, _)| n)
                .collect();
            assert!(missing.is_empty(), "files never written: {missing:?}");
        }
        sync_dir(&self.staging);
        self.finished = true;
        let (t, mode, home, staging) = (&self.target, self.mode, &self.home, &self.staging);
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        // Every file is complete and on disk: from here to the end, a signal handler waits.
        let mut st = state();
        let ready = at_stage(staging, "ready");
        let result = fs::rename(staging, &ready)
            .and_then(|()| {
                sync_dir(home);
                checkpoint("ready")
            })
            .map_err(|e| Error::io(&t.given, e))
            .and_then(|()| match mode {
                Mode::Swap => swap_in(t, home, &ready),
                Mode::InPlace => move_in(t, &ready, &names),
            });
        if result.is_err() {
            // Never put in place (a folder partly moved in, file by file, is kept to be
            // completed).
            let _ = fs::remove_dir_all(staging);
            if mode == Mode::Swap {
                let _ = fs::remove_dir_all(&ready);
            }
        }
        st.unfinished.retain(|(p, _)| p != staging);
        if result.is_ok() && !st.written.contains(&t.given) {
            st.written.push(t.given.clone());
        }
        drop(st);
        result?;
        Ok(names.iter().map(|n| t.given.join(n)).collect())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut st = state();
        let _ = fs::remove_dir_all(&self.staging);
        st.unfinished.retain(|(p, _)| *p != self.staging);
    }
}

/// Swaps the complete folder `ready` in for the output folder: moves the output folder (if
/// any) aside, moves `ready` to its name, then empties and removes the old one.
fn swap_in(t: &Target, parent: &Path, ready: &Path) -> Result<()> {
    let dir = &t.dir;
    let shown = || t.given.display();
    if !dir.exists() {
        fs::rename(ready, dir).map_err(|e| Error::io(&t.given, e))?;
        sync_dir(parent);
        return Ok(());
    }
    let old = at_stage(ready, "old");
    fs::rename(dir, &old).map_err(|e| {
        Error::io(
            &t.given,
            io::Error::new(
                e.kind(),
                format!("could not be moved aside to be replaced (is a file in it open?): {e}"),
            ),
        )
    })?;
    if let Err(e) = checkpoint("aside").and_then(|()| fs::rename(ready, dir)) {
        // Put the old folder back: nothing has changed.
        let back = fs::rename(&old, dir);
        let message = match back {
            Ok(()) => format!("could not be replaced, and is as it was: {e}"),
            Err(b) => format!(
                "could not be replaced ({e}), nor put back from {} ({b}): the next chiso run \
                 into it puts it back",
                old.display()
            ),
        };
        return Err(Error::io(&t.given, io::Error::new(e.kind(), message)));
    }
    sync_dir(parent);
    let emptied = checkpoint("placed").and_then(|()| finish(&old, dir));
    if !matches!(emptied, Ok(true)) {
        note(&format!(
            "{} holds what {} held before this run and could not be emptied; the next chiso \
             run into it tries again",
            old.display(),
            shown()
        ));
    }
    Ok(())
}

/// Renames the files of the complete staging folder `ready`, inside the output folder, into
/// it in the order given, then removes `ready`. A failure after the first leaves `ready` for
/// the next run to complete.
fn move_in(t: &Target, ready: &Path, names: &[&str]) -> Result<()> {
    for (i, name) in names.iter().enumerate() {
        let moved = if i == 0 { Ok(()) } else { checkpoint("placed") }
            .and_then(|()| fs::rename(ready.join(name), t.dir.join(name)));
        if let Err(e) = moved {
            let message = if i == 0 {
                let _ = fs::remove_dir_all(ready);
                format!("could not be written, and nothing in the folder changed: {e}")
            } else {
                format!(
                    "only {} of the new files could be put in place ({e}); the others are in \
                     {}, and the next chiso run into the folder puts them in place",
                    names[..i].join(", "),
                    ready.display()
                )
            };
            return Err(Error::io(
                &t.given.join(name),
                io::Error::new(e.kind(), message),
            ));
        }
    }
    let _ = fs::remove_dir(ready);
    sync_dir(&t.dir);
    Ok(())
}

/// What [`abandon_unfinished`] did, and found done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Abandoned {
    /// The output folders (as given) whose unfinished files were removed: each is as it was
    /// before the write.
    pub removed: Vec<PathBuf>,
    /// The output folders (as given) that this process had put files in before it was
    /// stopped (perhaps while [`abandon_unfinished`] waited): those files are whole.
    pub written: Vec<PathBuf>,
}

/// For a signal handler, right before the process ends: removes the staging folders of the
/// writes under way in this process (waiting first for one that is putting its files in
/// place to finish), so that each output folder is as it was before; removes the lock files
/// this process holds, and the folders it made for them if empty. After it, no write in this
/// process gets any further (each waits for ever): end the process.
pub fn abandon_unfinished() -> Abandoned {
    let st = state();
    let mut removed = Vec::new();
    for (staging, given) in &st.unfinished {
        if fs::remove_dir_all(staging).is_ok() && !removed.contains(given) {
            removed.push(given.clone());
        }
    }
    let written = st.written.clone();
    for h in &st.held {
        #[cfg(unix)]
        let _ = fs::remove_file(&h.path);
        remove_empty(&h.created);
    }
    // Never unlocked: every other thread waits at its next step until the process ends.
    std::mem::forget(st);
    Abandoned { removed, written }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Staged;

    #[test]
    fn only_names_of_the_exact_form_are_left_overs() {
        let prefix = Target::prefix(OsStr::new("sample"));
        let id = "0123456789abcdef";
        for (name, expected) in [
            (format!(".sample.chiso-{id}.part"), Some(Stage::Part)),
            (format!(".sample.chiso-{id}.ready"), Some(Stage::Ready)),
            (format!(".sample.chiso-{id}.old"), Some(Stage::Old)),
            (format!(".sample.chiso-{id}.tmp"), None),
            (".sample.chiso-lock".to_string(), None),
            (format!(".sample.chiso-{}.part", &id[1..]), None),
            (".sample.chiso-0123456789ABCDEF.part".to_string(), None),
            // The left-overs of a folder named `sample.chiso-x`, not of `sample`.
            (format!(".sample.chiso-x.chiso-{id}.part"), None),
            (format!(".other.chiso-{id}.part"), None),
        ] {
            let found = leftover(OsStr::new(&name), &prefix);
            assert_eq!(found.map(|(_, s)| s), expected, "{name}");
        }
        assert!(
            leftover(
                OsStr::new(&format!(".sample.chiso-{}.part", new_id())),
                &prefix
            )
            .is_some()
        );
    }

    #[test]
    fn the_lock_is_shared_within_a_process_and_released_with_the_last_holder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a").join("out");
        let lock = dir.path().join("a").join(".out.chiso-lock");
        let held = lock_output(&out).unwrap();
        assert!(lock.exists());
        let mut one = Staged::new(&out, true, &[]).unwrap();
        one.add("x.csv", b"x".as_slice());
        let mut two = Staged::new(&out, true, &[]).unwrap();
        two.add("y.csv", b"y".as_slice());
        assert_eq!(one.commit().unwrap(), [out.join("x.csv")]);
        // The folder holds another file now: the second set is renamed into it.
        assert_eq!(two.commit().unwrap(), [out.join("y.csv")]);
        assert!(lock.exists(), "still held");
        drop(held);
        assert!(!lock.exists());
        let mut names: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["x.csv", "y.csv"]);
    }

    /// The entries of `dir`, sorted.
    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn files_written_from_several_threads_are_put_in_place_together_in_their_order() {
        for existing in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("out");
            if existing {
                // Another file in the folder: the files are renamed into it one by one.
                fs::create_dir(&out).unwrap();
                fs::write(out.join("other.txt"), "kept").unwrap();
            }
            let mut staged = Staged::new(&out, true, &[]).unwrap();
            staged.add("a.csv", b"a".as_slice());
            let writing = staged.writing(&["a.csv", "b.json", "c.csv"]).unwrap();
            std::thread::scope(|s| {
                s.spawn(|| writing.write_with("c.csv", |w| w.write_all(b"c")).unwrap());
                s.spawn(|| writing.write("b.json", b"b").unwrap());
            });
            // Nothing is in place before the commit.
            assert_eq!(out.exists(), existing);
            if existing {
                assert_eq!(entries(&out).len(), 2, "other.txt and the staging folder");
            }
            let written = writing.commit().unwrap();
            assert_eq!(written, ["a.csv", "b.json", "c.csv"].map(|n| out.join(n)));
            for (name, text) in [("a.csv", "a"), ("b.json", "b"), ("c.csv", "c")] {
                assert_eq!(fs::read_to_string(out.join(name)).unwrap(), text);
            }
            let want: &[&str] = if existing {
                &["a.csv", "b.json", "c.csv", "other.txt"]
            } else {
                &["a.csv", "b.json", "c.csv"]
            };
            assert_eq!(entries(&out), want);
            assert_eq!(
                entries(dir.path()),
                ["out"],
                "no staging folder, no lock left"
            );
        }
    }

    #[test]
    fn a_write_that_is_abandoned_or_fails_leaves_the_folder_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("a.csv"), "old").unwrap();
        // Dropped before the commit (an error elsewhere in the run).
        let writing = Staged::new(&out, true, &[])
            .unwrap()
            .writing(&["a.csv", "b.csv"])
            .unwrap();
        writing.write("a.csv", b"new").unwrap();
        drop(writing);
        // A file whose writing fails.
        let writing = Staged::new(&out, true, &[])
            .unwrap()
            .writing(&["a.csv"])
            .unwrap();
        let e = writing
            .write_with("a.csv", |w| {
                w.write_all(b"half")?;
                Err(io::Error::other("disk full"))
            })
            .unwrap_err();
        assert!(e.to_string().contains("disk full"), "{e}");
        // Written twice: refused.
        let again = writing.write("a.csv", b"x").unwrap_err();
        assert!(again.to_string().contains("a.csv"), "{again}");
        drop(writing);
        assert_eq!(entries(&out), ["a.csv"]);
        assert_eq!(fs::read_to_string(out.join("a.csv")).unwrap(), "old");
        assert_eq!(entries(dir.path()), ["out"]);
        assert!(!state().unfinished.iter().any(|(_, given)| *given == out));
    }

    #[test]
    #[should_panic(expected = "files never written")]
    fn a_commit_with_a_file_not_written_is_a_bug() {
        let dir = tempfile::tempdir().unwrap();
        let writing = Staged::new(&dir.path().join("out"), true, &[])
            .unwrap()
            .writing(&["a.csv", "b.csv"])
            .unwrap();
        writing.write("a.csv", b"a").unwrap();
        let _ = writing.commit();
    }

    #[test]
    fn a_folder_made_for_the_lock_is_removed_if_nothing_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a").join("b").join("out");
        drop(lock_output(&out).unwrap());
        assert!(!dir.path().join("a").exists());
    }
}
