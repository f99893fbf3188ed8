//! Writing output files: every CSV cell through one writer that keeps a spreadsheet from
//! running it as a formula ([`CsvWriter`], [`needs_quote`], and [`restore`] for the readers),
//! and all of a run's files together or none: a run holds its output folder (a lock another
//! run meets at once), writes every file into a staging folder, and only when all are complete
//! and on disk puts them in place. An existing official sample is never overwritten without
//! `force`.
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
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, Result};

/// A CSV writer into memory as every output file is written ([`CsvWriter`]).
pub fn csv_writer() -> CsvWriter<Vec<u8>> {
    CsvWriter::new(Vec::new())
}

/// The UTF-8 byte-order mark (EF BB BF): at the start of a CSV file, it tells a spreadsheet
/// (Excel on Windows above all) that the file is UTF-8, so that Vietnamese names are not
/// shown garbled. Every reader of chiso's files accepts a file with or without it.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// [`csv_writer`] for a file that people open in a spreadsheet (the interviewers' list, the
/// rejected rows, the fieldwork's and the double entry's files: `contract.md` §14): the
/// file starts with the UTF-8 byte-order mark ([`BOM`]), then is written as every other.
pub fn csv_writer_with_bom() -> CsvWriter<Vec<u8>> {
    CsvWriter::new(BOM.to_vec())
}

/// The CSV writer of every file chiso writes: comma-separated, `\n` line ends, quoted only
/// where needed, and every cell, header included, written as [`needs_quote`] says: with a
/// `'` in front when a spreadsheet would run it as a formula. The methods are those of
/// [`csv::Writer`] that chiso uses, so no cell can be written past the rule.
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
    /// A cell with its `'` in front (the rare cells that need one).
    quoted: Vec<u8>,
}

impl<W: Write> CsvWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> CsvWriter<W> {
        CsvWriter {
            inner: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(out),
            quoted: Vec::new(),
        }
    }

    /// Writes one cell of the current record.
    #[inline]
    pub fn write_field<T: AsRef<[u8]>>(&mut self, field: T) -> csv::Result<()> {
        let field = field.as_ref();
        if needs_quote(field) {
            self.write_quoted(field)
        } else {
            self.inner.write_field(field)
        }
    }

    #[cold]
    #[inline(never)]
    fn write_quoted(&mut self, field: &[u8]) -> csv::Result<()> {
        self.quoted.clear();
        self.quoted.push(b'\'');
        self.quoted.extend_from_slice(field);
        self.inner.write_field(&self.quoted)
    }

    /// Writes the cells `record`, then ends the record (after any cells written with
    /// [`CsvWriter::write_field`]): `write_record(std::iter::empty::<&[u8]>())` only ends it.
    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        for field in record {
            self.write_field(field)?;
        }
        self.inner.write_record(std::iter::empty::<&[u8]>())
    }

    /// Writes what is buffered to the underlying writer and flushes it.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

/// Whether a cell of a CSV file chiso writes is written with a `'` in front (OWASP's defence
/// against CSV injection): when its first character is `=`, `+`, `@`, a tab or a carriage
/// return, or `-` and the cell is not a plain decimal number ([`is_plain_number`]: `-3.5`
/// and `-1e-9` are left as they are, `-1+2` and `-cmd` are not), a spreadsheet would run it
/// as a formula. So that the `'` can be taken off again ([`restore`]), a cell that is one or
/// more `'` followed by such a text gets one more `'` as well. Every other cell, the empty
/// one included, is written as it is. Reading the first byte is all it costs for almost
/// every cell.
#[inline]
pub fn needs_quote(cell: &[u8]) -> bool {
    match cell.first() {
        Some(b'=' | b'+' | b'@' | b'\t' | b'\r' | b'-' | b'\'') => needs_quote_slow(cell),
        _ => false,
    }
}

#[cold]
#[inline(never)]
fn needs_quote_slow(cell: &[u8]) -> bool {
    let rest = &cell[cell.iter().take_while(|&&b| b == b'\'').count()..];
    match rest.first() {
        Some(b'=' | b'+' | b'@' | b'\t' | b'\r') => true,
        Some(b'-') => !is_plain_number(rest),
        _ => false,
    }
}

/// Whether `cell` is a plain decimal number: an optional `-`, one or more digits, optionally
/// `.` and one or more digits, optionally `e` or `E`, an optional sign and one or more digits
/// (`-3.5`, `-1e-9`, `-0`; not `-.5`, `-5.`, `-inf` or `-1+2`).
pub fn is_plain_number(cell: &[u8]) -> bool {
    fn digits(s: &[u8]) -> usize {
        s.iter().take_while(|b| b.is_ascii_digit()).count()
    }
    let mut s = cell.strip_prefix(b"-").unwrap_or(cell);
    let whole = digits(s);
    if whole == 0 {
        return false;
    }
    s = &s[whole..];
    if let Some(rest) = s.strip_prefix(b".") {
        let fraction = digits(rest);
        if fraction == 0 {
            return false;
        }
        s = &rest[fraction..];
    }
    if let Some(rest) = s.strip_prefix(b"e").or_else(|| s.strip_prefix(b"E")) {
        let rest = rest
            .strip_prefix(b"+")
            .or_else(|| rest.strip_prefix(b"-"))
            .unwrap_or(rest);
        let exponent = digits(rest);
        if exponent == 0 {
            return false;
        }
        s = &rest[exponent..];
    }
    s.is_empty()
}

/// A cell as chiso writes it into a CSV file: with a `'` in front when [`needs_quote`] says
/// so.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if needs_quote(cell.as_bytes()) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell of a CSV file chiso wrote, as it was before it was written ([`neutralise`]): one
/// leading `'` taken off when what follows it would have needed one ([`needs_quote`]); any
/// other cell as it is. `restore(&neutralise(s)) == s` for every text `s`. Only for
/// chiso's own files: the inputs from offices are read as they are.
#[inline]
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest.as_bytes()) => rest,
        _ => cell,
    }
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
        let names: Vec<String> = self.files.iter().map(|(n, _)| n.clone()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.writing(&names)?.commit()
    }

    /// Starts writing the files `names` (every file of the run, in the order they are to be
    /// put in place, as [`Staged::commit`] orders them): the files added so far (each among
    /// `names`) are written at once, the others as soon as they are ready, from any thread
    /// ([`Writing::write`]), so that writing them goes on beside the work still to do. Nothing
    /// is put in place before [`Writing::commit`].
    pub fn writing(self, names: &[&str]) -> Result<Writing> {
        let stage = folder::Staging::open(&self.lock, names)?;
        let writing = Writing {
            stage,
            _lock: self.lock,
        };
        for (name, bytes) in &self.files {
            writing.write(name, bytes)?;
        }
        Ok(writing)
    }
}

/// The files of a run being written into a staging folder ([`Staged::writing`]): each
/// written once, from any thread, and all put in place together by [`Writing::commit`].
/// Dropped before that, the staging folder is removed and the output folder is as it was.
pub struct Writing {
    // Declared first, so dropped before the lock.
    stage: folder::Staging,
    _lock: OutputLock,
}

impl Writing {
    /// Writes the file `name` and flushes it to disk.
    ///
    /// # Panics
    /// If `name` is not one of the files named in [`Staged::writing`].
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.stage.write_with(name, |w| w.write_all(bytes))
    }

    /// Writes the file `name` with what `write` writes into it (buffered), and flushes it to
    /// disk: a large file is written as it is made, without being held in memory.
    ///
    /// # Panics
    /// As [`Writing::write`].
    pub fn write_with(
        &self,
        name: &str,
        write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
    ) -> Result<()> {
        self.stage.write_with(name, write)
    }

    /// Puts every file in place, all together (see the module's documentation), and returns
    /// their paths in the order named.
    ///
    /// # Panics
    /// If a file named was not written.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        self.stage.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn written(cells: &[&str]) -> String {
        let mut w = csv_writer();
        w.write_record(cells).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn a_file_for_people_starts_with_the_byte_order_mark_and_reads_back_the_same() {
        let mut w = csv_writer_with_bom();
        w.write_record(["họ_tên", "=x"]).unwrap();
        w.write_record(["Nguyễn Văn A", "001085012345"]).unwrap();
        let bytes = w.into_inner().unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
        let mut plain = csv_writer();
        plain.write_record(["họ_tên", "=x"]).unwrap();
        plain
            .write_record(["Nguyễn Văn A", "001085012345"])
            .unwrap();
        assert_eq!(bytes[3..], plain.into_inner().unwrap()[..]);
        // The csv crate takes the mark off the first header, as chiso's table reader does.
        let mut r = csv::Reader::from_reader(&bytes[..]);
        assert_eq!(r.headers().unwrap().get(0), Some("họ_tên"));
    }

    #[test]
    fn every_trigger_gets_a_quote_in_front() {
        for (cell, out) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("=1+1", "'=1+1"),
            ("+SUM(A1)", "'+SUM(A1)"),
            ("+84912345678", "'+84912345678"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-2+3", "'-2+3"),
            ("-cmd", "'-cmd"),
            ("-", "'-"),
            ("-.5", "'-.5"),
            ("-5.", "'-5."),
            ("-1e", "'-1e"),
            ("-inf", "'-inf"),
            ("-1-2", "'-1-2"),
            ("=", "'="),
        ] {
            assert!(needs_quote(cell.as_bytes()), "{cell:?}");
            assert_eq!(neutralise(cell), out, "{cell:?}");
            assert_eq!(restore(out), cell, "{out:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_are_written_as_they_are() {
        for cell in [
            "",
            "-3.5",
            "-1e-9",
            "-1E+9",
            "-0",
            "-12",
            "0.5",
            "98.8",
            "1e-9",
            "Nguyễn Văn A",
            "A=B",
            "x+1",
            "a@b.vn",
            " =x",
            "#N/A",
            "'",
            "''",
            "'abc",
            "'-3.5",
            "''12",
            "＝HYPERLINK()",
        ] {
            assert!(!needs_quote(cell.as_bytes()), "{cell:?}");
            assert_eq!(neutralise(cell), cell);
            assert_eq!(restore(cell), cell);
        }
    }

    #[test]
    fn a_text_that_starts_with_quotes_before_a_trigger_gets_one_more() {
        for (cell, out) in [
            ("'=x", "''=x"),
            ("''=x", "'''=x"),
            ("'+1", "''+1"),
            ("'-cmd", "''-cmd"),
            ("'\tx", "''\tx"),
        ] {
            assert_eq!(neutralise(cell), out);
            assert_eq!(restore(out), cell);
            // Read back once, not twice: the text as it was, quotes included.
            assert_eq!(restore(&neutralise(out)), out);
        }
    }

    #[test]
    fn the_writer_quotes_cells_and_headers_and_leaves_the_rest_byte_for_byte() {
        assert_eq!(
            written(&["=a", "b,c", "-1", "-1+2", "", "\"q\""]),
            "'=a,\"b,c\",-1,'-1+2,,\"\"\"q\"\"\"\n"
        );
        let mut w = csv_writer();
        w.write_field("@x").unwrap();
        w.write_field("y").unwrap();
        w.write_record(std::iter::empty::<&[u8]>()).unwrap();
        w.write_record(["+1", "2"]).unwrap();
        assert_eq!(w.into_inner().unwrap(), b"'@x,y\n'+1,2\n");
        // Without a trigger, exactly what the csv crate writes.
        let cells = ["a", "b c", "x\"y", "line\nend", "1.5", "-2"];
        let mut plain = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        plain.write_record(cells).unwrap();
        assert_eq!(
            written(&cells).as_bytes(),
            plain.into_inner().unwrap().as_slice()
        );
    }

    /// Reads one CSV line as the `csv` crate does, and every cell through [`restore`].
    fn read_back(bytes: &[u8]) -> Vec<String> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes);
        let rec = r.records().next().unwrap().unwrap();
        rec.iter().map(|c| restore(c).to_string()).collect()
    }

    /// Texts that start, often, with what the rule looks at.
    fn cell() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(
                prop::sample::select(vec!['\'', '=', '+', '-', '@', '\t', '\r']),
                0..4,
            ),
            prop::option::of("-?[0-9]{1,3}(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?"),
            any::<String>(),
        )
            .prop_map(|(lead, number, tail)| {
                let mut s: String = lead.into_iter().collect();
                s.push_str(&number.unwrap_or_default());
                s.push_str(&tail);
                s
            })
    }

    proptest! {
        #[test]
        fn restore_undoes_neutralise(s in cell()) {
            let n = neutralise(&s);
            prop_assert_eq!(restore(&n), s.as_str());
        }

        #[test]
        fn a_written_cell_never_starts_as_a_formula(s in cell()) {
            let n = neutralise(&s);
            let b = n.as_bytes();
            match b.first() {
                Some(b'=' | b'+' | b'@' | b'\t' | b'\r') => prop_assert!(false, "{:?}", n),
                Some(b'-') => prop_assert!(is_plain_number(b), "{:?}", n),
                _ => {}
            }
        }

        #[test]
        fn write_then_read_is_the_identity(cells in prop::collection::vec(cell(), 1..6)) {
            let mut w = csv_writer();
            w.write_record(&cells).unwrap();
            let bytes = w.into_inner().unwrap();
            // A record of one empty cell is written `""` by the csv crate: still one cell.
            prop_assert_eq!(read_back(&bytes), cells);
        }
    }
}
