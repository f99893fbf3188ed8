//! Writing output files atomically: every file is written to a temporary file in the output
//! directory and renamed into place only when all of them are complete, so a failed run leaves
//! no partial file behind; an existing official sample is never overwritten without `force`.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

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

/// A set of files to write together into one directory (their bytes owned, or borrowed for
/// `'a`).
#[derive(Debug)]
pub struct Staged<'a> {
    dir: PathBuf,
    files: Vec<(String, Cow<'a, [u8]>)>,
}

impl<'a> Staged<'a> {
    /// Prepares to write into `dir`. Fails at once if one of `protected` already exists there
    /// and `force` is false.
    pub fn new(dir: &Path, force: bool, protected: &[&str]) -> Result<Staged<'a>> {
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
        if !force {
            for name in protected {
                let path = dir.join(name);
                if path.exists() {
                    return Err(ErrorKind::OutputExists { path }.into());
                }
            }
        }
        Ok(Staged {
            dir: dir.to_path_buf(),
            files: Vec::new(),
        })
    }

    /// Adds a file; nothing is written before [`Staged::commit`].
    pub fn add(&mut self, name: &str, bytes: impl Into<Cow<'a, [u8]>>) {
        self.files.push((name.to_string(), bytes.into()));
    }

    /// Writes every file to a temporary file, then renames them into place in the order they
    /// were added (so the last one, conventionally the manifest, appears last).
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        let mut temps = Vec::with_capacity(self.files.len());
        for (name, bytes) in &self.files {
            let prefix = format!(".{name}.");
            let mut builder = tempfile::Builder::new();
            builder.prefix(&prefix).suffix(".tmp");
            // Ordinary file permissions (subject to the umask), not the temporary file's 0600.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                builder.permissions(std::fs::Permissions::from_mode(0o666));
            }
            let mut tmp = builder
                .tempfile_in(&self.dir)
                .map_err(|e| Error::io(&self.dir, e))?;
            let path = self.dir.join(name);
            tmp.write_all(bytes)
                .and_then(|()| tmp.as_file().sync_all())
                .map_err(|e| Error::io(&path, e))?;
            temps.push((tmp, path));
        }
        let mut written = Vec::with_capacity(temps.len());
        for (tmp, path) in temps {
            tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
            written.push(path);
        }
        Ok(written)
    }
}
