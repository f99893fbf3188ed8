//! Tabular input: CSV (UTF-8, with or without BOM) or a spreadsheet (XLSX, XLS, ODS: the first
//! sheet, or a named one), chosen by the file's extension, read row by row.
//!
//! Every cell comes out as text with leading and trailing ASCII white space removed; spreadsheet
//! numbers are written in their shortest decimal form and date cells as `YYYY-MM-DD`. Rows are
//! numbered as a spreadsheet numbers them: the header is row 1. CSV is streamed (a file of tens
//! of millions of rows is never held in memory); a spreadsheet is loaded whole, as its format
//! requires.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader as _};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Result};

mod reader;
use reader::{CsvReader, Record, Swapped};

/// An open table: a header and rows.
pub struct Table {
    name: String,
    path: PathBuf,
    headers: Vec<String>,
    source: Source,
}

// One per open table: the size difference between the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Source {
    Csv {
        reader: CsvReader<HashingReader>,
        record: Record,
        row: u64,
    },
    Sheet {
        cells: Vec<Vec<String>>,
        first_row: u64,
        next: usize,
    },
}

/// One row of a table, borrowed from the reader.
pub struct Row<'a> {
    number: u64,
    locator: u64,
    cells: Cells<'a>,
}

enum Cells<'a> {
    /// A record whose cells are known to be UTF-8 ([`utf8_fields`], or
    /// [`HashingReader::utf8_through`]).
    Bytes(&'a Record),
    Sheet(&'a [String]),
}

impl<'a> Row<'a> {
    /// The row number, counting the header as row 1.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// An opaque position with which a [`Fetcher`] reads this row again.
    pub fn locator(&self) -> u64 {
        self.locator
    }

    /// How many cells the row has.
    pub fn len(&self) -> usize {
        match &self.cells {
            Cells::Bytes(r) => r.len(),
            Cells::Sheet(c) => c.len(),
        }
    }

    /// Whether the row has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The trimmed text of cell `i`, or `""` past the end of the row.
    #[inline]
    pub fn get(&self, i: usize) -> &'a str {
        let s = match &self.cells {
            Cells::Bytes(r) => {
                let b = r.get(i).unwrap_or(b"").trim_ascii();
                // SAFETY: a `Cells::Bytes` row is only made of a record whose cells are
                // UTF-8: `utf8_fields` accepted it, or its bytes lie in the part of the file
                // that the read-ahead found to be UTF-8 (then so are its cells:
                // `Record::text`). Trimming ASCII bytes from a cell's ends keeps it UTF-8.
                return unsafe { std::str::from_utf8_unchecked(b) };
            }
            Cells::Sheet(c) => c.get(i).map(String::as_str).unwrap_or(""),
        };
        s.trim_ascii()
    }

    /// Whether every cell is empty (a blank line in a spreadsheet).
    pub fn is_blank(&self) -> bool {
        (0..self.len()).all(|i| self.get(i).is_empty())
    }

    /// Whether cell `i` is empty (after trimming).
    #[inline]
    pub fn is_empty_at(&self, i: usize) -> bool {
        self.get(i).is_empty()
    }
}

impl Table {
    /// Opens `path`: CSV for `.csv` and `.txt`, a spreadsheet for `.xlsx`, `.xlsm`, `.xls` and
    /// `.ods` (the sheet named `sheet`, or the first).
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<Table> {
        Table::open_with(path, sheet, false)
    }

    /// [`Table::open`], and a CSV file's SHA-256 computed on another thread from the bytes
    /// that a pass over all its rows reads ([`Table::sha256`]).
    pub fn open_hashed(path: &Path, sheet: Option<&str>) -> Result<Table> {
        Table::open_with(path, sheet, true)
    }

    fn open_with(path: &Path, sheet: Option<&str>, hashed: bool) -> Result<Table> {
        let name = path.display().to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" | "txt" => Table::open_csv(path, name, hashed),
            "xlsx" | "xlsm" | "xls" | "ods" => Table::open_sheet(path, name, sheet),
            _ => Err(ErrorKind::Malformed {
                file: name,
                location: String::new(),
                message: format!(
                    "unknown file type {ext:?}: expected a .csv file (UTF-8) or a spreadsheet (.xlsx, .xls, .ods)"
                ),
            }
            .into()),
        }
    }

    fn open_csv(path: &Path, name: String, hashed: bool) -> Result<Table> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = CsvReader::new(
            HashingReader::new(file, hashed).map_err(|e| Error::io(path, e))?,
            1 << 20,
        );
        let mut record = Record::default();
        let headers = read_header(&mut reader, &mut record, path, &name)?;
        Ok(Table {
            name,
            path: path.to_path_buf(),
            headers,
            source: Source::Csv {
                reader,
                record,
                row: 1,
            },
        })
    }

    fn open_sheet(path: &Path, name: String, sheet: Option<&str>) -> Result<Table> {
        let malformed = |message: String| -> Error {
            ErrorKind::Malformed {
                file: name.clone(),
                location: String::new(),
                message,
            }
            .into()
        };
        let mut book = calamine::open_workbook_auto(path)
            .map_err(|e| malformed(format!("cannot open as a spreadsheet: {e}")))?;
        let names = book.sheet_names();
        let wanted = match sheet {
            Some(s) => s.to_string(),
            None => names
                .first()
                .cloned()
                .ok_or_else(|| malformed("the workbook has no sheet".into()))?,
        };
        if !names.contains(&wanted) {
            return Err(malformed(format!(
                "no sheet named {wanted:?}; the sheets are: {}",
                names.join(", ")
            )));
        }
        let range = book
            .worksheet_range(&wanted)
            .map_err(|e| malformed(format!("cannot read sheet {wanted:?}: {e}")))?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let mut rows = range.rows().map(|r| {
            // Keep absolute columns: pad on the left if the used range does not start at A.
            let mut cells = vec![String::new(); first_col as usize];
            cells.extend(r.iter().map(cell_text));
            cells
        });
        let headers: Vec<String> = rows
            .next()
            .map(|h| h.into_iter().map(|c| c.trim_ascii().to_string()).collect())
            .unwrap_or_default();
        Ok(Table {
            name,
            path: path.to_path_buf(),
            headers,
            source: Source::Sheet {
                cells: rows.collect(),
                first_row: u64::from(first_row) + 2,
                next: 0,
            },
        })
    }

    /// The file's name as the user gave it (for messages).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SHA-256 of the file's bytes, as lowercase hexadecimal, if a pass over all its rows
    /// has computed it on the way (a CSV file opened with [`Table::open_hashed`]).
    pub fn sha256(&self) -> Option<String> {
        match &self.source {
            Source::Csv { reader, .. } => reader.get_ref().digest.map(hex::encode),
            Source::Sheet { .. } => None,
        }
    }

    /// The size of the file in bytes, for a CSV file (to size the tables of a pass ahead of
    /// it); `None` for a spreadsheet, or if it cannot be known.
    pub fn byte_len(&self) -> Option<u64> {
        match &self.source {
            Source::Csv { reader, .. } => reader.get_ref().file.metadata().ok().map(|m| m.len()),
            Source::Sheet { .. } => None,
        }
    }

    /// The header row, trimmed.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The index of the column whose header is `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// Reads the next row, or `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        match &mut self.source {
            Source::Csv {
                reader,
                record,
                row,
                ..
            } => {
                let locator = reader.position();
                *row += 1;
                let more = reader
                    .read_record(record)
                    .map_err(|e| Error::io(&self.path, e))?;
                if !more {
                    return Ok(None);
                }
                check_utf8(record, &self.name, *row)?;
                Ok(Some(Row {
                    number: *row,
                    locator,
                    cells: Cells::Bytes(record),
                }))
            }
            Source::Sheet {
                cells,
                first_row,
                next,
            } => {
                let i = *next;
                *next += 1;
                Ok(cells.get(i).map(|c| Row {
                    number: *first_row + i as u64,
                    locator: i as u64,
                    cells: Cells::Sheet(c),
                }))
            }
        }
    }

    /// Calls `f` on every remaining row, in order, stopping at the first error.
    pub fn for_each_row(&mut self, mut f: impl FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
        self.for_each_row_prepared(|_| (), |r, ()| f(r))
    }

    /// Calls `f` on every remaining row with what `prepare` computed from it, in order,
    /// stopping at the first error. A CSV file is parsed, and `prepare` run, on a second
    /// thread, in batches, while `f` runs on this one: put the work that needs nothing but the
    /// row (and what `prepare` itself kept from the rows before, in order) into `prepare`, so
    /// that the two threads share the work. The rows and their order are exactly those of
    /// [`Table::next_row`], for `prepare` as for `f`.
    pub fn for_each_row_prepared<P: Send>(
        &mut self,
        mut prepare: impl FnMut(&Row<'_>) -> P + Send,
        mut f: impl FnMut(&Row<'_>, P) -> Result<()>,
    ) -> Result<()> {
        let Source::Csv { reader, row, .. } = &mut self.source else {
            while let Some(r) = self.next_row()? {
                let p = prepare(&r);
                f(&r, p)?;
            }
            return Ok(());
        };
        const BATCH: usize = 2048;
        struct Batch<P> {
            records: Vec<Record>,
            locators: Vec<u64>,
            prepared: Vec<P>,
        }
        type Parsed<P> = Result<Batch<P>>;
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Parsed<P>>(4);
        let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel::<Batch<P>>(8);
        for _ in 0..6 {
            let batch = Batch {
                records: Vec::new(),
                locators: Vec::new(),
                prepared: Vec::with_capacity(BATCH),
            };
            empty_tx.send(batch).expect("the receiver is alive");
        }
        let name = &self.name;
        let path = &self.path;
        let first = *row;
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut number = first;
                while let Ok(mut b) = empty_rx.recv() {
                    b.prepared.clear();
                    let mut len = 0;
                    while len < BATCH {
                        if b.records.len() == len {
                            b.records.push(Record::default());
                            b.locators.push(0);
                        }
                        let locator = reader.position();
                        let record = reader.records();
                        // Bytes, checked as UTF-8 in one pass over the record rather than
                        // field by field, which is what a `StringRecord` would cost.
                        match reader.read_record(&mut b.records[len]) {
                            Ok(true) => {
                                // Records inside the file's UTF-8 prefix are UTF-8.
                                let known = reader.position() <= reader.get_ref().utf8_through();
                                if !known
                                    && let Err(e) = check_utf8(&b.records[len], name, record + 1)
                                {
                                    let _ = full_tx.send(Err(e));
                                    return;
                                }
                                number += 1;
                                b.locators[len] = locator;
                                b.prepared.push(prepare(&Row {
                                    number,
                                    locator,
                                    cells: Cells::Bytes(&b.records[len]),
                                }));
                                len += 1;
                            }
                            Ok(false) => break,
                            Err(e) => {
                                let _ = full_tx.send(Err(Error::io(path, e)));
                                return;
                            }
                        }
                    }
                    let last = len < BATCH;
                    if full_tx.send(Ok(b)).is_err() || last {
                        return;
                    }
                }
            });
            // Runs until the parser hangs up (end of file or error), or `f` fails; dropping
            // both channel ends on the way out stops the parser wherever it waits.
            let mut result = Ok(());
            'batches: for msg in full_rx.iter() {
                let mut b = match msg {
                    Ok(b) => b,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                };
                for (i, p) in b.prepared.drain(..).enumerate() {
                    *row += 1;
                    let r = Row {
                        number: *row,
                        locator: b.locators[i],
                        cells: Cells::Bytes(&b.records[i]),
                    };
                    if let Err(e) = f(&r, p) {
                        result = Err(e);
                        break 'batches;
                    }
                }
                let _ = empty_tx.send(b);
            }
            drop(full_rx);
            drop(empty_tx);
            result
        })
    }

    /// A reader of rows again, by their locators, independent of the table's own pass and of
    /// other fetchers: several can read the same file on different threads.
    pub fn fetcher(&self) -> Result<Fetcher<'_>> {
        let source = match &self.source {
            Source::Csv { .. } => {
                let file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
                FetchSource::Csv {
                    reader: CsvReader::new(file, 256 << 10),
                    record: Record::default(),
                }
            }
            Source::Sheet { cells, .. } => FetchSource::Sheet(cells),
        };
        Ok(Fetcher {
            name: &self.name,
            path: &self.path,
            source,
        })
    }

    /// Goes back to the first data row, for a second pass.
    pub fn rewind(&mut self) -> Result<()> {
        match &mut self.source {
            Source::Csv {
                reader,
                record,
                row,
            } => {
                reader.rewind().map_err(|e| Error::io(&self.path, e))?;
                // Skip the header again.
                read_header(reader, record, &self.path, &self.name)?;
                *row = 1;
                Ok(())
            }
            Source::Sheet { next, .. } => {
                *next = 0;
                Ok(())
            }
        }
    }
}

/// Reads rows of a [`Table`] again ([`Table::fetcher`]).
pub struct Fetcher<'t> {
    name: &'t str,
    path: &'t Path,
    source: FetchSource<'t>,
}

enum FetchSource<'t> {
    /// Rows are read in file order, a few hundred bytes to a few kilobytes apart: a seek inside
    /// the reader's 256 KiB buffer neither calls the system nor reads again.
    Csv {
        reader: CsvReader<File>,
        record: Record,
    },
    Sheet(&'t [Vec<String>]),
}

impl Fetcher<'_> {
    /// Reads again the row at `locator` (from [`Row::locator`]) whose number is `number`. Rows
    /// fetched in file order cost little more than reading the file once.
    pub fn fetch(&mut self, locator: u64, number: u64) -> Result<Row<'_>> {
        match &mut self.source {
            FetchSource::Csv { reader, record } => {
                let io = |e| Error::io(self.path, e);
                reader.seek(locator).map_err(io)?;
                if !reader.read_record(record).map_err(io)? {
                    return Err(ErrorKind::Malformed {
                        file: self.name.to_string(),
                        location: format!("row {number}: "),
                        message: "the file changed while it was being read".into(),
                    }
                    .into());
                }
                check_utf8(record, self.name, number)?;
                Ok(Row {
                    number,
                    locator,
                    cells: Cells::Bytes(record),
                })
            }
            FetchSource::Sheet(cells) => Ok(Row {
                number,
                locator,
                cells: Cells::Sheet(&cells[locator as usize]),
            }),
        }
    }
}

/// The SHA-256 of a file's bytes, as lowercase hexadecimal.
pub fn file_sha256(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = io::Read::read(&mut file, &mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Reads the header record (the first), trimmed.
fn read_header(
    reader: &mut CsvReader<HashingReader>,
    record: &mut Record,
    path: &Path,
    name: &str,
) -> Result<Vec<String>> {
    if !reader.read_record(record).map_err(|e| Error::io(path, e))? {
        return Ok(Vec::new());
    }
    check_utf8(record, name, 1)?;
    Ok(record
        .iter()
        .map(|h| {
            std::str::from_utf8(h.trim_ascii())
                .expect("checked as UTF-8")
                .to_string()
        })
        .collect())
}

/// [`utf8_fields`] of the record at `row` of the file `name`, the error naming the row and the
/// first field that is not UTF-8 (as the `csv` crate's for a `StringRecord` did).
fn check_utf8(record: &Record, name: &str, row: u64) -> Result<()> {
    utf8_fields(record).map_err(|field| {
        ErrorKind::Malformed {
            file: name.to_string(),
            location: format!("row {row}: "),
            message: format!(
                "the text is not UTF-8 (field {}); save the file as \"CSV UTF-8\"",
                field + 1
            ),
        }
        .into()
    })
}

/// Checks that every field of `record` is UTF-8; `Err` gives the first that is not. The
/// record's text is checked at once (with `simdutf8`, several times faster than the standard
/// library's check on Vietnamese text): if it is UTF-8, so is every cell ([`Record::text`]);
/// if not, the cells are checked one by one.
fn utf8_fields(record: &Record) -> std::result::Result<(), usize> {
    if simdutf8::basic::from_utf8(record.text()).is_ok() {
        return Ok(());
    }
    match record.iter().position(|f| std::str::from_utf8(f).is_err()) {
        Some(field) => Err(field),
        None => Ok(()),
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if dt.is_datetime() => {
                if t.time() == chrono::NaiveTime::MIN {
                    t.date().format("%Y-%m-%d").to_string()
                } else {
                    t.format("%Y-%m-%d %H:%M:%S").to_string()
                }
            }
            _ => format!("{}", dt.as_f64()),
        },
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A reader that computes the SHA-256 of the bytes read from the start of the file to its
/// end, so that the records file is hashed during the pass that parses it, and finds on the
/// way how much of the file is UTF-8.
struct HashingReader {
    /// The file. While a read-ahead runs, it reads the file through a handle of its own that
    /// shares this one's position, and this one is not used.
    file: File,
    ahead: Option<ReadAhead>,
    digest: Option<[u8; 32]>,
    /// The bytes from the start of the file to this offset are UTF-8 ([`Utf8Prefix`]).
    utf8_through: u64,
}

impl HashingReader {
    fn new(file: File, hashed: bool) -> io::Result<HashingReader> {
        let ahead = if hashed {
            Some(ReadAhead::new(file.try_clone()?))
        } else {
            None
        };
        Ok(HashingReader {
            file,
            ahead,
            digest: None,
            utf8_through: 0,
        })
    }

    /// How far from the start the file is known to be UTF-8: a record that ends there or
    /// before is UTF-8 ([`reader::Record::text`]), and need not be checked again.
    fn utf8_through(&self) -> u64 {
        self.utf8_through
    }
}

impl reader::Source for HashingReader {
    fn refill(&mut self, buf: &mut Vec<u8>, keep: std::ops::Range<usize>) -> io::Result<Swapped> {
        let Some(ahead) = &mut self.ahead else {
            return reader::refill_from(&mut self.file, buf, keep);
        };
        let swapped = ahead.swap_in(buf, keep);
        self.utf8_through = ahead.utf8_through;
        if let Ok(Swapped { eof: true, .. }) = swapped {
            // The end of the file: every chunk has been given back, and hashed.
            self.digest = self.ahead.take().and_then(ReadAhead::finish);
        }
        swapped
    }
}

impl io::Seek for HashingReader {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        // A seek breaks the sequence: a read-ahead still running is stopped (its digest
        // abandoned) before this handle's position moves.
        if let Some(ahead) = self.ahead.take() {
            ahead.stop();
        }
        self.utf8_through = 0;
        self.file.seek(pos)
    }
}

/// Reads a file ahead on a thread of its own, in chunks of 1 MiB, checks that they are UTF-8
/// as it reads them, and computes the SHA-256 of each chunk once the parser has consumed it
/// (so of exactly the bytes parsed, in order). Each chunk becomes the parser's buffer in turn
/// ([`ReadAhead::swap_in`]; the start of a record cut by the end of the previous chunk is
/// copied into the room before its bytes): the parsing thread pays neither the system call's
/// copy, nor a copy into a buffer of its own, nor the hash, nor the UTF-8 check of every
/// record.
struct ReadAhead {
    /// Each chunk, with how far the file is UTF-8 from its start once the chunk is read.
    chunks: std::sync::mpsc::Receiver<io::Result<(Vec<u8>, u64)>>,
    consumed: std::sync::mpsc::Sender<Vec<u8>>,
    /// Whether the parser's buffer is a chunk, handed out by [`ReadAhead::swap_in`].
    lent: bool,
    /// What the last chunk received says of the file's UTF-8 prefix.
    utf8_through: u64,
    /// The digest, or `None` if the reading stopped before the end.
    thread: std::thread::JoinHandle<Option<[u8; 32]>>,
}

impl ReadAhead {
    const CHUNK: usize = 1 << 20;
    /// Room before each chunk's bytes, for the end of the previous chunk that the parser has
    /// not read yet (the start of a record): then the chunk itself becomes the parser's buffer.
    const HEAD: usize = 64 << 10;
    /// Chunks read ahead of the parser at most.
    const AHEAD: usize = 4;

    fn new(mut file: File) -> ReadAhead {
        let (send, chunks) =
            std::sync::mpsc::sync_channel::<io::Result<(Vec<u8>, u64)>>(Self::AHEAD);
        let (consumed, back) = std::sync::mpsc::channel::<Vec<u8>>();
        let thread = std::thread::spawn(move || {
            use io::Read as _;
            let mut hash = Sha256::new();
            let mut utf8 = Utf8Prefix::default();
            // Chunks sent and not yet back (hashed once back, in the order they were sent).
            let mut out = 0usize;
            loop {
                let mut chunk = if out <= Self::AHEAD {
                    Vec::with_capacity(Self::HEAD + Self::CHUNK)
                } else {
                    let chunk = back.recv().ok()?;
                    hash.update(&chunk[Self::HEAD..]);
                    out -= 1;
                    chunk
                };
                chunk.clear();
                chunk.resize(Self::HEAD, 0);
                match (&mut file).take(Self::CHUNK as u64).read_to_end(&mut chunk) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return None;
                    }
                }
                let through = utf8.update(&chunk[Self::HEAD..]);
                // The reader may have stopped: then so does this thread.
                send.send(Ok((chunk, through))).ok()?;
                out += 1;
            }
            drop(send);
            for _ in 0..out {
                hash.update(&back.recv().ok()?[Self::HEAD..]);
            }
            Some(hash.finalize().into())
        });
        ReadAhead {
            chunks,
            consumed,
            lent: false,
            utf8_through: 0,
            thread,
        }
    }

    /// [`reader::Source::refill`]: the next chunk becomes `buf`, with `buf[keep]` copied into
    /// the room before its bytes (or, if that is too small, both copied into a new buffer);
    /// the chunk that `buf` was goes back to be hashed. At the end of the file, `buf` becomes
    /// a copy of `buf[keep]` alone.
    fn swap_in(&mut self, buf: &mut Vec<u8>, keep: std::ops::Range<usize>) -> io::Result<Swapped> {
        let tail = keep.len();
        let (new, eof) = match self.chunks.recv() {
            Ok(Ok((mut chunk, through))) => {
                self.utf8_through = through;
                if tail <= Self::HEAD {
                    chunk[Self::HEAD - tail..Self::HEAD].copy_from_slice(&buf[keep]);
                    (chunk, false)
                } else {
                    let mut merged = Vec::with_capacity(tail + chunk.len() - Self::HEAD);
                    merged.extend_from_slice(&buf[keep]);
                    merged.extend_from_slice(&chunk[Self::HEAD..]);
                    // After the chunk `buf` was, if it was one: hashed in order.
                    self.give_back(buf);
                    let _ = self.consumed.send(chunk);
                    *buf = merged;
                    return Ok(Swapped {
                        bytes: 0..buf.len(),
                        eof: false,
                    });
                }
            }
            Ok(Err(e)) => return Err(e),
            // The thread has sent the last chunk.
            Err(_) => (buf[keep].to_vec(), true),
        };
        self.give_back(buf);
        *buf = new;
        self.lent = !eof;
        let start = if eof { 0 } else { Self::HEAD - tail };
        Ok(Swapped {
            bytes: start..buf.len(),
            eof,
        })
    }

    /// Sends `buf` back to be hashed if it is a chunk (leaving an empty buffer in its place).
    fn give_back(&mut self, buf: &mut Vec<u8>) {
        if std::mem::take(&mut self.lent) {
            // The thread waits for it; if it has stopped, its digest is lost anyway.
            let _ = self.consumed.send(std::mem::take(buf));
        }
    }

    /// The digest, once every chunk has been read and given back.
    fn finish(self) -> Option<[u8; 32]> {
        self.thread.join().expect("reading ahead does not panic")
    }

    /// Stops the thread (its next send or receive fails) and waits for it, so that it no
    /// longer moves the file's position.
    fn stop(self) {
        let ReadAhead {
            chunks,
            consumed,
            thread,
            ..
        } = self;
        drop((chunks, consumed));
        let _ = thread.join();
    }
}

/// How much of a stream read chunk by chunk is UTF-8, from its start.
#[derive(Debug, Default)]
struct Utf8Prefix {
    /// The offset up to which it is.
    through: u64,
    /// The first bytes of a character cut by the end of the last chunk (at most three).
    pending: Vec<u8>,
    /// Whether a byte that is not UTF-8 has been met: `through` then stays where it is.
    broken: bool,
}

impl Utf8Prefix {
    /// Takes the next chunk; returns how far the stream is UTF-8 now.
    fn update(&mut self, chunk: &[u8]) -> u64 {
        if self.broken {
            return self.through;
        }
        let mut rest = chunk;
        if let Some(&lead) = self.pending.first() {
            // A cut character is a valid start of two to four bytes.
            let width = match lead {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let take = (width - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() < width {
                return self.through;
            }
            if std::str::from_utf8(&self.pending).is_err() {
                self.broken = true;
                return self.through;
            }
            self.through += width as u64;
            self.pending.clear();
        }
        if simdutf8::basic::from_utf8(rest).is_ok() {
            self.through += rest.len() as u64;
            return self.through;
        }
        let e = simdutf8::compat::from_utf8(rest).expect_err("not UTF-8");
        self.through += e.valid_up_to() as u64;
        match e.error_len() {
            // Cut by the end of the chunk: the next one says.
            None => self.pending.extend_from_slice(&rest[e.valid_up_to()..]),
            Some(_) => self.broken = true,
        }
        self.through
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` written to `r.csv` in a new temporary directory (kept while the guard lives).
    fn written(bytes: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    /// Reads every remaining row of `t`; how many there were.
    fn count_rows(t: &mut Table) -> usize {
        let mut n = 0;
        t.for_each_row(|_| {
            n += 1;
            Ok(())
        })
        .unwrap();
        n
    }

    #[test]
    fn a_hashed_table_hashes_exactly_the_file_read_whatever_its_size() {
        let dir = tempfile::tempdir().unwrap();
        // Empty of rows, within one chunk, and over several chunks (1 MiB each) with a
        // partial last one.
        for rows in [0usize, 10, 40_000] {
            let path = dir.path().join(format!("r{rows}.csv"));
            let mut text = String::from("a,b\n");
            for i in 0..rows {
                text.push_str(&format!("{i},\"x{}\"\n", "é".repeat(i % 50)));
            }
            std::fs::write(&path, &text).unwrap();
            let mut t = Table::open_hashed(&path, None).unwrap();
            assert_eq!(count_rows(&mut t), rows);
            assert_eq!(t.sha256(), Some(file_sha256(&path).unwrap()), "{rows} rows");
            // A second pass after a rewind reads the same rows (the digest stays that of the
            // first, complete pass).
            t.rewind().unwrap();
            assert_eq!(count_rows(&mut t), rows);
            assert_eq!(t.sha256(), Some(file_sha256(&path).unwrap()));
        }
    }

    /// Every remaining row of `t`: its number, locator and cells.
    fn all_rows(t: &mut Table) -> Vec<(u64, u64, Vec<String>)> {
        let mut rows = Vec::new();
        t.for_each_row(|r| {
            let cells = (0..r.len()).map(|i| r.get(i).to_string()).collect();
            rows.push((r.number(), r.locator(), cells));
            Ok(())
        })
        .unwrap();
        rows
    }

    #[test]
    fn records_across_chunks_read_the_same_from_a_hashed_table() {
        // Short records, and every 40 rows one of 20 to 200 KiB (more than the room before a
        // chunk's bytes), quoted, with commas, line ends and doubled quotes: over eight
        // chunks, the ends of chunks fall inside records of both kinds.
        let mut text = String::from("\u{feff}a,b,c\r\n");
        for i in 0..4_000 {
            if i % 40 == 7 {
                let long = "x,\"y\"\r\n\u{e9}".repeat(2_000 + (i * 37) % 18_000);
                text.push_str(&format!("{i},\"{}\",z\r\n", long.replace('"', "\"\"")));
            } else {
                text.push_str(&format!("{i},\"p, q\",\u{e9}{}\n", "r".repeat(i % 90)));
            }
        }
        let (_dir, path) = written(&text);
        assert!(text.len() > 8 << 20, "{}", text.len());
        let plain = all_rows(&mut Table::open(&path, None).unwrap());
        assert_eq!(plain.len(), 4_000);
        let mut t = Table::open_hashed(&path, None).unwrap();
        assert_eq!(all_rows(&mut t), plain);
        assert_eq!(t.sha256(), Some(file_sha256(&path).unwrap()));
        t.rewind().unwrap();
        assert_eq!(all_rows(&mut t), plain);
        // And every seventh row, read again by its locator.
        let mut f = t.fetcher().unwrap();
        for (number, locator, cells) in plain.iter().rev().step_by(7) {
            let row = f.fetch(*locator, *number).unwrap();
            let again: Vec<String> = (0..row.len()).map(|i| row.get(i).to_string()).collect();
            assert_eq!(&again, cells, "row {number}");
        }
    }

    #[test]
    fn a_hashed_table_reports_a_non_utf8_row_past_its_first_chunks() {
        let mut text = b"a,b\n".to_vec();
        for i in 0..40_000 {
            text.extend_from_slice(format!("{i},\"x{}\"\n", "\u{e9}".repeat(i % 50)).as_bytes());
            if i == 30_000 {
                text.extend_from_slice(b"bad,\"x\xff\"\n");
            }
        }
        let (_dir, path) = written(&text);
        let mut t = Table::open_hashed(&path, None).unwrap();
        let err = t
            .for_each_row_prepared(|r| r.get(1).len(), |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 30003: the text is not UTF-8 (field 2)"),
            "{err}"
        );
    }

    #[test]
    fn the_utf8_prefix_is_found_whatever_the_chunks() {
        let texts: [&[u8]; 5] = [
            "a\u{e9}\u{20ac}\u{1f600}b".as_bytes(),
            b"ab\xc3\xa9\xffcd",
            b"\xe2\x82",
            b"ok\xe0\x80\x80",
            b"x\xf0\x9f\x98\x80\xa9",
        ];
        for text in texts {
            let want = match std::str::from_utf8(text) {
                Ok(_) => text.len(),
                Err(e) => e.valid_up_to(),
            } as u64;
            // Two chunks, cut anywhere; and one byte at a time.
            for cut in 0..=text.len() {
                let mut p = Utf8Prefix::default();
                p.update(&text[..cut]);
                assert_eq!(p.update(&text[cut..]), want, "{text:?} cut at {cut}");
            }
            let mut p = Utf8Prefix::default();
            let mut through = 0;
            for b in text {
                through = p.update(std::slice::from_ref(b));
            }
            assert_eq!(through, want, "{text:?} byte by byte");
        }
    }

    #[test]
    fn a_pass_abandoned_midway_has_no_digest_and_can_start_again() {
        let mut text = String::from("a\n");
        for i in 0..300_000 {
            text.push_str(&format!("{i}\n"));
        }
        let (_dir, path) = written(&text);
        let mut t = Table::open_hashed(&path, None).unwrap();
        let mut n = 0;
        let stopped = t.for_each_row(|_| {
            n += 1;
            if n == 5 {
                return Err(Error::usage("stop".to_string()));
            }
            Ok(())
        });
        assert!(stopped.is_err());
        assert_eq!(t.sha256(), None);
        t.rewind().unwrap();
        assert_eq!(count_rows(&mut t), 300_000);
    }

    /// The error of the batched reader for a file, and that of the row-by-row one
    /// ([`Table::next_row`]).
    fn both_errors(bytes: &[u8]) -> (String, String) {
        let (_dir, path) = written(bytes);
        let mut t = Table::open(&path, None).unwrap();
        let batched = t
            .for_each_row_prepared(|r| r.get(0).to_string(), |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        let mut t = Table::open(&path, None).unwrap();
        let plain = loop {
            match t.next_row() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error"),
                Err(e) => break e.to_string(),
            }
        };
        (batched, plain)
    }

    #[test]
    fn non_utf8_fields_are_reported_as_a_string_record_reports_them() {
        for (bytes, want) in [
            // Invalid in the third field of the second data row.
            (
                &b"a,b,c\n1,2,3\n4,5,x\xff\n"[..],
                "row 3: the text is not UTF-8 (field 3)",
            ),
            // A character split between two fields: the whole record is UTF-8, each field
            // is not.
            (
                &b"a,b,c\n1,\xc3,\xa9\n"[..],
                "row 2: the text is not UTF-8 (field 2)",
            ),
            // A lone continuation byte at the start of the first field.
            (
                &b"a,b\n\xa9x,y\n"[..],
                "row 2: the text is not UTF-8 (field 1)",
            ),
            // Quoted fields, and a valid character before the bad one.
            (
                &b"a,b\n\"\xc3\xa9\",\"q\xe1\x80\"\n"[..],
                "row 2: the text is not UTF-8 (field 2)",
            ),
        ] {
            let (batched, plain) = both_errors(bytes);
            assert!(batched.contains(want), "{batched}");
            assert_eq!(batched, plain);
        }
    }

    #[test]
    fn utf8_records_read_the_same_either_way() {
        let text = "a,b,c\n\u{e9}t\u{e9}, x ,\"Hu\u{1ebf}, 1\"\n,,\n";
        let (_dir, path) = written(text);
        let mut t = Table::open(&path, None).unwrap();
        let mut batched = Vec::new();
        t.for_each_row_prepared(
            |r| {
                (0..r.len())
                    .map(|i| r.get(i).to_string())
                    .collect::<Vec<_>>()
            },
            |r, cells| {
                batched.push((r.number(), cells));
                Ok(())
            },
        )
        .unwrap();
        let mut t = Table::open(&path, None).unwrap();
        let mut plain = Vec::new();
        while let Some(r) = t.next_row().unwrap() {
            plain.push((
                r.number(),
                (0..r.len()).map(|i| r.get(i).to_string()).collect(),
            ));
        }
        assert_eq!(batched, plain);
        assert_eq!(batched[0].1, ["\u{e9}t\u{e9}", "x", "Hu\u{1ebf}, 1"]);
    }
}
