//! Writing output files, all of a run's files together or none: a run holds its output
//! folder (a lock another run meets at once), writes every file into a staging folder, and
//! only when all are complete and on disk puts them in place. An existing official sample is
//! never overwritten without `force`.
//!
//! When the output folder does not exist, or holds nothing but files of the names the run
//! writes, the new files are staged in a hidden folder beside it (`.DIR.chiso-ID.part`) and
//! the folder is replaced whole: renamed to the folder's name, or, when it exists, the old
//! folder renamed aside, the new one to its name, the old one removed. A reader sees the old
//! set, no folder (between the two renames), or the new set, never a mix; a run killed
//! between the two renames leaves the old folder aside, which the next run puts back. When
//! the folder holds anything else (other runs' files, folders; or it is the working
//! directory), the files are staged in a hidden folder inside it (`DIR/.chiso-ID.part`)
//! and renamed into it one by one, the last added last: a reader there may see some new files
//! beside old ones for that moment, and after a run killed in it until the next run into the
//! folder completes the set. A run stopped by SIGINT, SIGTERM or SIGHUP removes its staging
//! folder (the binary's handler calls [`abandon_unfinished`]), after letting a set being put
//! in place finish; what a killed run leaves is cleared, or completed, by the next run into
//! the folder, with a note on standard error.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, Result};

/// A CSV writer into memory as every output file is written: comma-separated, `\n` line
/// ends, quoted only where needed.
pub fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

/// A number cell: the shortest text that reads back as the same value (full precision), or
/// an empty cell when there is none.
pub fn cell<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

mod folder;

pub use folder::{Abandoned, OutputLock, abandon_unfinished, lock_output};

/// A set of files to write together into one directory (their bytes owned, or borrowed for
/// `'a`), which is held ([`OutputLock`]) from [`Staged::new`] to [`Staged::commit`].
#[derive(Debug)]
pub struct Staged<'a> {
    lock: OutputLock,
    files: Vec<(String, Cow<'a, [u8]>)>,
}

impl<'a> Staged<'a> {
    /// Prepares to write into `dir`, holding it ([`lock_output`]). Fails at once if another
    /// chiso run holds it, or if one of `protected` already exists there and `force` is
    /// false.
    pub fn new(dir: &Path, force: bool, protected: &[&str]) -> Result<Staged<'a>> {
        let lock = lock_output(dir)?;
        if !force {
            for name in protected {
                let path = dir.join(name);
                if path.exists() {
                    return Err(ErrorKind::OutputExists { path }.into());
                }
            }
        }
        Ok(Staged {
            lock,
            files: Vec::new(),
        })
    }

    /// Adds a file; nothing is written before [`Staged::commit`].
    pub fn add(&mut self, name: &str, bytes: impl Into<Cow<'a, [u8]>>) {
        self.files.push((name.to_string(), bytes.into()));
    }

    /// Writes every file, all together (see the module's documentation), and returns their
    /// paths in the order they were added. When files are put in place one by one, that is
    /// the order (so the last one, conventionally the manifest, appears last).
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        folder::publish(&self.lock, &self.files)
    }
}
