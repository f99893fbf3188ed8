//! Errors: every failure a user can cause names the file, and where it can, the row, the
//! column, the value found and the form expected.

use std::fmt;
use std::path::{Path, PathBuf};

/// The result type of the library.
pub type Result<T> = std::result::Result<T, Error>;

/// An error of the engine. The kind is boxed so that `Result<T>` stays small on hot paths.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Turns the error into its kind.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        ErrorKind::Io {
            path: path.to_path_buf(),
            source,
        }
        .into()
    }

    pub(crate) fn design(file: &str, key: &str, message: impl Into<String>) -> Error {
        ErrorKind::Design {
            file: file.to_string(),
            key: key.to_string(),
            message: message.into(),
        }
        .into()
    }

    pub(crate) fn calibration(message: impl Into<String>) -> Error {
        ErrorKind::Calibration(message.into()).into()
    }

    pub(crate) fn usage(message: impl Into<String>) -> Error {
        ErrorKind::Usage(message.into()).into()
    }

    /// The one builder of a cell that cannot be used: where it is, what it holds and what is
    /// expected there.
    pub(crate) fn cell(
        file: &str,
        row: u64,
        column: &str,
        value: &str,
        reason: impl Into<String>,
    ) -> Error {
        ErrorKind::Cell(CellProblem::new(file, row, column, value, reason)).into()
    }

    pub(crate) fn input(input: &'static str, message: impl Into<String>) -> Error {
        ErrorKind::Input {
            input,
            message: message.into(),
        }
        .into()
    }

    pub(crate) fn setting(
        name: &'static str,
        value: impl fmt::Display,
        expected: impl Into<String>,
    ) -> Error {
        ErrorKind::Setting {
            name,
            value: value.to_string(),
            expected: expected.into(),
        }
        .into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.0 {
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Where in an input file something is: the file, as the user named it, and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// The file, as the user named it.
    pub file: String,
    /// Where in the file.
    pub place: Place,
}

/// A place in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The file as a whole.
    Whole,
    /// A row of a table, counting the header as row 1 (as a spreadsheet does).
    Row(u64),
    /// A line of a text file (JSON, TOML; a CSV file where its quotes go wrong).
    Line(u64),
}

impl Position {
    /// The file as a whole.
    pub fn file(file: impl Into<String>) -> Position {
        Position {
            file: file.into(),
            place: Place::Whole,
        }
    }

    /// Row `row` of a table.
    pub fn row(file: impl Into<String>, row: u64) -> Position {
        Position {
            file: file.into(),
            place: Place::Row(row),
        }
    }

    /// Line `line` of a text file.
    pub fn line(file: impl Into<String>, line: u64) -> Position {
        Position {
            file: file.into(),
            place: Place::Line(line),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Place::Whole => write!(f, "{}", self.file),
            Place::Row(n) => write!(f, "{}: row {n}", self.file),
            Place::Line(n) => write!(f, "{}: line {n}", self.file),
        }
    }
}

/// One cell that could not be used, with where it is and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellProblem {
    /// The file, as the user named it.
    pub file: String,
    /// The row, counting the header as row 1 (as a spreadsheet does).
    pub row: u64,
    /// The column's header in the file.
    pub column: String,
    /// The value found (trimmed).
    pub value: String,
    /// What is wrong and what form is expected.
    pub reason: String,
}

impl CellProblem {
    /// The one builder of a cell problem (a rejected row's, or an error's through
    /// [`Error::cell`](crate::Error)).
    pub(crate) fn new(
        file: &str,
        row: u64,
        column: &str,
        value: &str,
        reason: impl Into<String>,
    ) -> CellProblem {
        CellProblem {
            file: file.to_string(),
            row,
            column: column.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for CellProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: row {}, column `{}`: {} (found {:?})",
            self.file, self.row, self.column, self.reason, self.value
        )
    }
}

/// The kinds of error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A cell of an input file has a value that cannot be used.
    #[error("{0}")]
    Cell(CellProblem),
    /// A file is not well-formed CSV, XLSX, TOML or JSON, or does not hold what it should.
    #[error("{at}: {message}")]
    Malformed {
        /// Where: the file, and the row or line when known.
        at: Position,
        /// What is wrong.
        message: String,
    },
    /// Required columns are missing from an input file.
    #[error(
        "{file}: missing required column(s) {}; the header has: {}",
        quoted(missing),
        quoted(found)
    )]
    MissingColumns {
        /// The file.
        file: String,
        /// The required columns not found.
        missing: Vec<String>,
        /// The header as read.
        found: Vec<String>,
    },
    /// A design (or other plan) is invalid.
    #[error("{file}: {key}: {message}")]
    Design {
        /// The design file.
        file: String,
        /// The setting, e.g. `[size] e`.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Rows were rejected and the request was strict.
    #[error(
        "{file}: {count} row(s) rejected, and a strict reading refuses any; the first: {}",
        first.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")
    )]
    Strict {
        /// The records file.
        file: String,
        /// How many rows were rejected.
        count: usize,
        /// The first few rejections.
        first: Vec<CellProblem>,
    },
    /// Too many rows of an input were rejected: every one of them, or a larger share than the
    /// request allows. The file was probably not read as meant (a date format, a column
    /// mapping, another export).
    #[error(
        "{file}: {rejected} of {rows} rows rejected ({:.1}%), more than the {}% a run accepts; \
         the first: {}",
        100.0 * *rejected as f64 / *rows as f64,
        100.0 * max_share,
        first.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")
    )]
    TooManyRejected {
        /// The file.
        file: String,
        /// Rows rejected.
        rejected: u64,
        /// Data rows read.
        rows: u64,
        /// The largest share of rejected rows accepted (0–1).
        max_share: f64,
        /// The first few rejections.
        first: Vec<CellProblem>,
    },
    /// An output would overwrite an existing sample (or commitment, or entry workbook).
    #[error("{}: already exists; an official sample, a commitment or an entry workbook (which may hold the clerks' entries) is never overwritten", path.display())]
    OutputExists {
        /// The existing file.
        path: PathBuf,
    },
    /// Another chiso run is writing into the output folder (it holds the folder's lock).
    #[error("{}: another chiso run{} is writing there", dir.display(), by_process(pid))]
    OutputBusy {
        /// The output folder, as given.
        dir: PathBuf,
        /// The process id of the run holding it, when it could be read.
        pid: Option<u32>,
    },
    /// A manifest cannot be used.
    #[error("{file}: {message}")]
    Manifest {
        /// The manifest file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A setting of a request is out of its range. `name` is the request's field, which the
    /// command line spells as the option `--name` (with `-` for `_`).
    #[error("{name} {value}: {expected}")]
    Setting {
        /// The setting, e.g. `level`.
        name: &'static str,
        /// The value given, as written in the message.
        value: String,
        /// What is expected instead.
        expected: String,
    },
    /// An input that a request needs is missing, or is not where it was said to be. `input`
    /// is the request's field, which the command line spells as the option `--input`.
    #[error("{message}")]
    Input {
        /// The request's field, e.g. `survey`.
        input: &'static str,
        /// What is missing and what is expected.
        message: String,
    },
    /// The weights cannot be calibrated to the margins given: a margins file that does not
    /// fit the responses (a variable that is not a column, a category nobody is in, a
    /// respondent in no category, margins that disagree) or raking that does not converge.
    #[error("{0}")]
    Calibration(String),
    /// A request is inconsistent: settings that do not go together.
    #[error("{0}")]
    Usage(String),
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` (process 1234)`, or nothing when the process is not known.
fn by_process(pid: &Option<u32>) -> String {
    pid.map(|p| format!(" (process {p})")).unwrap_or_default()
}

/// Masks an identifier for messages: personal identifiers (an ID card number, a phone) are
/// never printed whole, only their first three characters.
pub(crate) fn mask(id: &str) -> String {
    let head: String = id.chars().take(3).collect();
    if id.chars().count() > 3 {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_as_file_row_or_line() {
        let e = |at: Position| -> String {
            Error::from(ErrorKind::Malformed {
                at,
                message: "what is wrong".into(),
            })
            .to_string()
        };
        assert_eq!(e(Position::file("a.csv")), "a.csv: what is wrong");
        assert_eq!(e(Position::row("a.csv", 7)), "a.csv: row 7: what is wrong");
        assert_eq!(
            e(Position::line("i.json", 3)),
            "i.json: line 3: what is wrong"
        );
        let c = Error::cell("r.csv", 4, "phone", "", "expected a number");
        assert_eq!(
            c.to_string(),
            "r.csv: row 4, column `phone`: expected a number (found \"\")"
        );
        let s = Error::setting("level", 1.5, "expected a proportion such as 0.95");
        assert_eq!(
            s.to_string(),
            "level 1.5: expected a proportion such as 0.95"
        );
    }
}
