//! Tabular input: CSV (UTF-8, with or without BOM) or a spreadsheet (XLSX, XLS, ODS: the first
//! sheet, or a named one), chosen by the file's extension, read row by row.
//!
//! Every cell comes out as text with leading and trailing ASCII white space removed; spreadsheet
//! numbers are written in their shortest decimal form and date cells as `YYYY-MM-DD`. Rows are
//! numbered as a spreadsheet numbers them: the header is row 1. CSV is streamed (a file of tens
//! of millions of rows is never held in memory); a spreadsheet's sheet is held whole, as its
//! format requires, in compact rows and within bounds (`sheet`).
//!
//! An office's file may have its cells separated by `;` or a tab rather than `,`, and title rows
//! above its header: [`Layout`] says which, or leaves them to be found ([`Table::open_layout`]:
//! the header is the first row, among the first [`HEADER_SEARCH`], that holds the columns the
//! reader needs, and the delimiter the one with which such a row is found).
//!
//! A CSV file whose quotes swallow lines is refused as a whole ([`check_quotes`]): one that
//! ends inside a quoted cell, and one with a quoted cell holding a line end in a row that has
//! not the header's number of cells. A stray quote would otherwise make the rows that follow
//! it one cell of one row, read or rejected as one.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

mod hashed;
mod reader;
mod sheet;
mod split;
pub mod text;
mod utf8;

use hashed::HashingReader;
pub use hashed::file_sha256;
use reader::{CsvReader, DELIMITERS, Record};
use sheet::{SheetRow, SheetRows};
use utf8::check_utf8;

/// The defined name that marks an entry workbook (`chiso entry-sheet`): a spreadsheet that
/// has it, opened without a sheet named, is read as one table made of all its sheets after
/// the first (the instructions), each with the same header (with a sheet named, that sheet
/// alone); its rows name their sheet ([`Row::sheet`]), and the rows nobody has entered yet
/// are left out ([`Table::not_entered`]).
pub const ENTRY_WORKBOOK: &str = "chiso_entry_sheet";

/// How many rows from the top of a file may come before its header (title rows: the name of
/// the office, the title of the list, its dates) for the header to be found without
/// `--header-row`.
pub const HEADER_SEARCH: usize = 30;

/// What separates the cells of a CSV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Delimiter {
    /// `,`
    Comma,
    /// `;`: what Excel writes for "CSV" where the decimal sign is a comma.
    Semicolon,
    /// A tab: what Excel writes for "Text (Tab delimited)", and a copy from a sheet.
    Tab,
}

impl Delimiter {
    /// Reads `,` `;` `tab` (or a tab character), also spelled `comma` and `semicolon`.
    pub fn parse(text: &str) -> Result<Delimiter> {
        match text.trim_matches(' ').to_ascii_lowercase().as_str() {
            "," | "comma" => Ok(Delimiter::Comma),
            ";" | "semicolon" => Ok(Delimiter::Semicolon),
            "\t" | "tab" | "\\t" => Ok(Delimiter::Tab),
            _ => Err(Error::setting(
                "delimiter",
                format!("{text:?}"),
                "expected `,` `;` or `tab`",
            )),
        }
    }

    /// The byte.
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
        }
    }

    /// How [`Delimiter::parse`] reads it back: `,` `;` or `tab`.
    pub fn as_str(self) -> &'static str {
        match self {
            Delimiter::Comma => ",",
            Delimiter::Semicolon => ";",
            Delimiter::Tab => "tab",
        }
    }

    fn of_byte(b: u8) -> Delimiter {
        match b {
            b';' => Delimiter::Semicolon,
            b'\t' => Delimiter::Tab,
            _ => Delimiter::Comma,
        }
    }
}

impl std::fmt::Display for Delimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Delimiter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Delimiter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Delimiter::parse(&text).map_err(|_| {
            serde::de::Error::custom(format!(
                "{text:?} is not a delimiter: expected `,` `;` or `tab`"
            ))
        })
    }
}

/// How an office's file is laid out: the sheet of a spreadsheet, the delimiter of a CSV file,
/// the row of the header. What is `None` is found ([`Table::open_layout`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// The sheet of a spreadsheet (default: the first).
    pub sheet: Option<String>,
    /// The delimiter of a CSV file (default: found).
    pub delimiter: Option<Delimiter>,
    /// The header's row, numbered as chiso numbers rows in its messages (default: found; the
    /// first row if no row holds the columns looked for).
    pub header_row: Option<u64>,
}

impl Layout {
    /// The layout that reads the sheet `sheet` and finds the rest.
    pub fn sheet(sheet: Option<&str>) -> Layout {
        Layout {
            sheet: sheet.map(String::from),
            ..Layout::default()
        }
    }
}

/// An open table: a header and rows.
pub struct Table {
    name: String,
    path: PathBuf,
    headers: Vec<String>,
    /// The header's row number.
    header_row: u64,
    /// A CSV file's delimiter.
    delimiter: Option<Delimiter>,
    /// The headers [`text::fold`]ed, to find columns by.
    folded: Vec<String>,
    source: Source,
    /// A CSV file's size and modification time when it was opened ([`Table::unchanged`]).
    opened: Option<(u64, Option<std::time::SystemTime>)>,
    /// For an entry workbook ([`ENTRY_WORKBOOK`]): the rows left out as not entered.
    not_entered: Option<u64>,
}

// One per open table: the size difference between the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Source {
    Csv {
        reader: CsvReader<HashingReader>,
        record: Record,
        row: u64,
        /// The records before the header (title rows).
        skip: u64,
    },
    Sheet {
        rows: SheetRows,
        first_row: u64,
        next: usize,
        /// The first row below the header.
        start: usize,
    },
}

/// One row of a table, borrowed from the reader.
pub struct Row<'a> {
    number: u64,
    locator: u64,
    cells: Cells<'a>,
    /// The row's sheet, in an entry workbook read as one table.
    sheet: Option<&'a str>,
}

#[derive(Clone, Copy)]
enum Cells<'a> {
    /// A record whose cells are known to be UTF-8 ([`utf8::utf8_fields`], or
    /// [`HashingReader::utf8_through`]).
    Bytes(&'a Record),
    /// A record packed with others ([`split`]): its text, and each cell's place in it
    /// ([`split::packed_span`]). Its cells are known to be UTF-8 as a `Bytes` record's are.
    Packed {
        text: &'a [u8],
        spans: &'a [u8],
    },
    Sheet(SheetRow<'a>),
}

impl<'a> Row<'a> {
    /// The row number, counting the header as row 1.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The sheet the row is on, for a table made of the sheets of an entry workbook
    /// ([`ENTRY_WORKBOOK`]); its [`Row::number`] is then its number in that sheet.
    pub fn sheet(&self) -> Option<&'a str> {
        self.sheet
    }

    /// How messages name the file `file` at this row: `file`, or `file, sheet "S"` for a row
    /// of an entry workbook.
    pub fn file<'f>(&self, file: &'f str) -> std::borrow::Cow<'f, str> {
        match self.sheet {
            None => std::borrow::Cow::Borrowed(file),
            Some(s) => std::borrow::Cow::Owned(format!("{file}, sheet {s:?}")),
        }
    }

    /// An opaque position with which a [`Fetcher`] reads this row again.
    pub fn locator(&self) -> u64 {
        self.locator
    }

    /// How many cells the row has.
    pub fn len(&self) -> usize {
        match &self.cells {
            Cells::Bytes(r) => r.len(),
            Cells::Packed { text, spans } => split::packed_len(text.len(), spans),
            Cells::Sheet(c) => c.len(),
        }
    }

    /// Whether the row has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The trimmed text of cell `i`, or `""` past the end of the row.
    #[inline(always)]
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
            Cells::Packed { text, spans } => {
                let b = split::packed_span(text.len(), spans, i)
                    .map_or(&b""[..], |(a, b)| &text[a..b])
                    .trim_ascii();
                // SAFETY: a `Cells::Packed` row is only made of a record whose cells
                // `utf8_fields` accepted, copied with its cells' places ([`split`]).
                return unsafe { std::str::from_utf8_unchecked(b) };
            }
            Cells::Sheet(c) => c.get(i),
        };
        s.trim_ascii()
    }

    /// Whether every cell is empty (a blank line in a spreadsheet).
    pub fn is_blank(&self) -> bool {
        match &self.cells {
            Cells::Bytes(_) | Cells::Packed { .. } => {
                (0..self.len()).all(|i| self.get(i).is_empty())
            }
            // Only the cells up to the row's last non-empty one are stored.
            Cells::Sheet(c) => c.is_blank(),
        }
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
    /// A CSV file's delimiter is found ([`Table::open_layout`]), its header is its first row.
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<Table> {
        Table::open_with(path, &Layout::sheet(sheet), &[], false)
    }

    /// [`Table::open`], and a CSV file's SHA-256 computed on another thread from the bytes
    /// that a pass over all its rows reads ([`Table::sha256`]).
    pub fn open_hashed(path: &Path, sheet: Option<&str>) -> Result<Table> {
        Table::open_with(path, &Layout::sheet(sheet), &[], true)
    }

    /// Opens an office's file laid out as `layout` says; what it leaves `None` is found:
    ///
    /// - the header is the first row, among the first [`HEADER_SEARCH`], that has a column
    ///   for each of `wanted` (headers compared after [`text::fold`]); if none has, or
    ///   `wanted` is empty, the first row;
    /// - a CSV file's delimiter is the one (of `,` `;` and tab, in that order) with which
    ///   that row is found soonest; if no row is found with any, the one that splits the
    ///   header row into the most cells.
    ///
    /// `hashed` as for [`Table::open_hashed`].
    pub fn open_layout(
        path: &Path,
        layout: &Layout,
        wanted: &[&str],
        hashed: bool,
    ) -> Result<Table> {
        Table::open_with(path, layout, wanted, hashed)
    }

    fn open_with(path: &Path, layout: &Layout, wanted: &[&str], hashed: bool) -> Result<Table> {
        let sheet = layout.sheet.as_deref();
        let name = path.display().to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        let table = match ext.as_str() {
            "csv" | "txt" if sheet.is_some() => Err(Error::setting(
                "sheet",
                format!("{:?}", sheet.unwrap_or_default()),
                format!("{name} is a CSV file, which has no sheets: the sheet is for spreadsheets"),
            )),
            "csv" | "txt" => Table::open_csv(path, name, layout, wanted, hashed),
            "xlsx" | "xlsm" | "xls" | "ods" if layout.delimiter.is_some() => Err(Error::setting(
                "delimiter",
                layout.delimiter.map(Delimiter::as_str).unwrap_or_default(),
                format!("{name} is a spreadsheet, whose cells need no delimiter: the delimiter is for CSV files"),
            )),
            "xlsx" | "xlsm" | "xls" | "ods" => Table::open_sheet(path, name, sheet)
                .and_then(|t| t.find_sheet_header(layout.header_row, wanted)),
            _ => Err(ErrorKind::Malformed {
                at: crate::Position::file(name),
                message: format!(
                    "unknown file type {ext:?}: expected a .csv file (UTF-8) or a spreadsheet (.xlsx, .xls, .ods)"
                ),
            }
            .into()),
        }?;
        let mut table = table;
        table.folded = table
            .headers
            .iter()
            .map(|h| text::fold(h).into_owned())
            .collect();
        table.check_unique_headers()?;
        Ok(table)
    }

    /// Refuses a header that names a column twice (after [`text::fold`]): a reader would take
    /// the first and ignore the other silently. Empty headers (unused columns of a
    /// spreadsheet) may repeat.
    fn check_unique_headers(&self) -> Result<()> {
        for (i, h) in self.headers.iter().enumerate() {
            if h.is_empty() {
                continue;
            }
            let f = &self.folded[i];
            if let Some(j) = self.folded[..i].iter().position(|g| g == f) {
                return Err(ErrorKind::Malformed {
                    at: crate::Position::row(self.name.clone(), 1),
                    message: format!(
                        "the header names the column `{h}` twice (columns {} and {}): rename or \
                         remove one of them",
                        j + 1,
                        i + 1
                    ),
                }
                .into());
            }
        }
        Ok(())
    }

    fn open_csv(
        path: &Path,
        name: String,
        layout: &Layout,
        wanted: &[&str],
        hashed: bool,
    ) -> Result<Table> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let opened = file.metadata().ok().map(|m| (m.len(), m.modified().ok()));
        // UTF-16 text (what some programs save as "Unicode text") starts with a byte-order
        // mark of its own; read as UTF-8 it would be ASCII letters between NUL bytes.
        let mut start = [0u8; 2];
        let n = std::io::Read::read(&mut file, &mut start).map_err(|e| Error::io(path, e))?;
        if n == 2 && (start == [0xFF, 0xFE] || start == [0xFE, 0xFF]) {
            return Err(ErrorKind::Malformed {
                at: crate::Position::file(name),
                message: "the file is UTF-16 text; save it as \"CSV UTF-8\"".into(),
            }
            .into());
        }
        std::io::Seek::rewind(&mut file).map_err(|e| Error::io(path, e))?;
        let (delimiter, skip) = find_csv_layout(&mut file, path, layout, wanted)?;
        std::io::Seek::rewind(&mut file).map_err(|e| Error::io(path, e))?;
        let mut reader = CsvReader::with_delimiter(
            HashingReader::new(file, hashed).map_err(|e| Error::io(path, e))?,
            1 << 20,
            delimiter.byte(),
        );
        let mut record = Record::default();
        let headers = read_header(&mut reader, &mut record, path, &name, skip)?;
        Ok(Table {
            name,
            path: path.to_path_buf(),
            headers,
            header_row: skip + 1,
            delimiter: Some(delimiter),
            folded: Vec::new(),
            source: Source::Csv {
                reader,
                record,
                row: skip + 1,
                skip,
            },
            opened,
            not_entered: None,
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

    /// About how many rows are left, for sizing what a pass collects: a sheet's rows, or a
    /// CSV file's size over its number of columns (a row of `n` cells takes at least `n`
    /// bytes: its separators and line end). A hint, not a bound: shorter rows can be more.
    pub fn rows_hint(&self) -> usize {
        match &self.source {
            Source::Csv { .. } => {
                let len = self.opened.map_or(0, |(len, _)| len);
                (len / self.headers.len().max(1) as u64)
                    .try_into()
                    .unwrap_or(0)
            }
            Source::Sheet { rows, next, .. } => rows.count().saturating_sub(*next),
        }
    }

    /// Fails if the CSV file the table opened was changed where it is since it was opened
    /// (its size or modification time differ): rows read again from it could then be other
    /// rows than those of the pass. A file put in its place does not matter: the table reads
    /// the one it opened.
    pub fn unchanged(&self) -> Result<()> {
        let Source::Csv { reader, .. } = &self.source else {
            return Ok(());
        };
        let now = reader.get_ref().file.metadata().ok();
        let now = now.map(|m| (m.len(), m.modified().ok()));
        if now.is_some() && now != self.opened {
            return Err(ErrorKind::Malformed {
                at: crate::Position::file(self.name.clone()),
                message: "the file was changed while it was being read (its size or time \
                          changed): run again on a file that nothing writes to"
                    .into(),
            }
            .into());
        }
        Ok(())
    }

    /// For an entry workbook ([`ENTRY_WORKBOOK`]): how many rows were left out as not
    /// entered (their cells from `disposition` on all empty); `None` for any other file.
    pub fn not_entered(&self) -> Option<u64> {
        self.not_entered
    }

    /// The header row, trimmed.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The row number of the header (1 unless title rows are above it).
    pub fn header_row(&self) -> u64 {
        self.header_row
    }

    /// The delimiter of a CSV file; `None` for a spreadsheet.
    pub fn delimiter(&self) -> Option<Delimiter> {
        self.delimiter
    }

    /// The header of a sheet: the row `header_row` (as numbered in messages), or the first of
    /// the first [`HEADER_SEARCH`] rows that has a column for each of `wanted`, or the first.
    fn find_sheet_header(mut self, header_row: Option<u64>, wanted: &[&str]) -> Result<Table> {
        let Source::Sheet {
            rows,
            first_row,
            next,
            start,
        } = &mut self.source
        else {
            unreachable!("a sheet");
        };
        // Candidate `k` is the header as read for 0, row `k - 1` below it otherwise.
        let candidate = |k: usize| -> Option<Vec<String>> {
            if k == 0 {
                return Some(self.headers.clone());
            }
            let r = rows.row(k - 1)?;
            Some(
                (0..r.len())
                    .map(|i| r.get(i).trim_ascii().to_string())
                    .collect(),
            )
        };
        let k = match header_row {
            Some(n) => {
                let top = *first_row - 1;
                let k = n.checked_sub(top).filter(|_| n >= 1);
                match k.and_then(|k| candidate(k as usize).map(|_| k as usize)) {
                    Some(k) => k,
                    None => {
                        return Err(Error::setting(
                            "header_row",
                            n,
                            format!(
                                "{} has no row {n} holding cells: its cells run from row {top}",
                                self.name
                            ),
                        ));
                    }
                }
            }
            None if wanted.is_empty() => 0,
            None => {
                let rows: Vec<Vec<String>> = (0..HEADER_SEARCH).map_while(candidate).collect();
                best_header(&rows, wanted).map_or(0, |(k, _)| k)
            }
        };
        if k > 0 {
            self.headers = candidate(k).expect("a row of the sheet");
            *start = k;
            *next = k;
            self.header_row = *first_row + k as u64 - 1;
        }
        Ok(self)
    }

    /// The index of the column whose header is `name`, compared after [`text::fold`] (so an
    /// NFD header, or one in other letter case or spacing, is found).
    pub fn column(&self, name: &str) -> Option<usize> {
        let name = text::fold(name);
        self.folded.iter().position(|h| *h == name)
    }

    /// The indices of the columns `names`, or an error naming those missing and the header
    /// found (the one check of required columns of every input).
    pub fn require(&self, names: &[&str]) -> Result<Vec<usize>> {
        let found: Vec<Option<usize>> = names.iter().map(|n| self.column(n)).collect();
        if found.iter().any(Option::is_none) {
            return Err(ErrorKind::MissingColumns {
                file: self.name().to_string(),
                missing: names
                    .iter()
                    .zip(&found)
                    .filter(|(_, c)| c.is_none())
                    .map(|(n, _)| n.to_string())
                    .collect(),
                found: self.headers().to_vec(),
            }
            .into());
        }
        Ok(found.into_iter().flatten().collect())
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
                check_quotes(record, &self.name, *row, &self.headers)?;
                Ok(Some(Row {
                    number: *row,
                    locator,
                    cells: Cells::Bytes(record),
                    sheet: None,
                }))
            }
            Source::Sheet {
                rows,
                first_row,
                next,
                ..
            } => {
                let i = *next;
                *next += 1;
                let origin = rows.origin(i);
                Ok(rows.row(i).map(|c| Row {
                    number: origin.map_or(*first_row + i as u64, |o| o.1),
                    locator: i as u64,
                    cells: Cells::Sheet(c),
                    sheet: origin.map(|o| o.0),
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
        let headers = &self.headers;
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
                        let next = number + 1;
                        match read_checked(reader, &mut b.records[len], path, name, next, headers) {
                            Ok(true) => {
                                number += 1;
                                b.locators[len] = locator;
                                b.prepared.push(prepare(&Row {
                                    number,
                                    locator,
                                    cells: Cells::Bytes(&b.records[len]),
                                    sheet: None,
                                }));
                                len += 1;
                            }
                            Ok(false) => break,
                            Err(e) => {
                                // The rows before it first: `f` may refuse one of them.
                                if full_tx.send(Ok(b)).is_ok() {
                                    let _ = full_tx.send(Err(e));
                                }
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
                        sheet: None,
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
    /// other fetchers: several can read the same file on different threads. It reads the
    /// file the table opened, not the path again: a file put in its place since is not read
    /// (a file changed where it is, is found by [`Table::unchanged`]).
    pub fn fetcher(&self) -> Result<Fetcher<'_>> {
        let source = match &self.source {
            Source::Csv { reader, .. } => {
                let file = reader
                    .get_ref()
                    .file
                    .try_clone()
                    .map_err(|e| Error::io(&self.path, e))?;
                FetchSource::Csv {
                    reader: CsvReader::with_delimiter(
                        Positioned { file, pos: 0 },
                        256 << 10,
                        self.delimiter.unwrap_or(Delimiter::Comma).byte(),
                    ),
                    record: Record::default(),
                }
            }
            Source::Sheet { rows, .. } => FetchSource::Sheet(rows),
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
                skip,
            } => {
                reader.rewind().map_err(|e| Error::io(&self.path, e))?;
                // Skip the title rows and the header again.
                read_header(reader, record, &self.path, &self.name, *skip)?;
                *row = *skip + 1;
                Ok(())
            }
            Source::Sheet { next, start, .. } => {
                *next = *start;
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

// One per fetcher: the size difference between the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum FetchSource<'t> {
    /// Rows are read in file order, a few hundred bytes to a few kilobytes apart: a seek inside
    /// the reader's 256 KiB buffer neither calls the system nor reads again.
    Csv {
        reader: CsvReader<Positioned>,
        record: Record,
    },
    Sheet(&'t SheetRows),
}

/// A handle on the table's open file that reads at a position of its own (the handles of one
/// open file share their position otherwise), so that fetchers on several threads and the
/// table's own reader do not move each other.
struct Positioned {
    file: File,
    pos: u64,
}

impl std::io::Read for Positioned {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(&self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for Positioned {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let len = || self.file.metadata().map(|m| m.len());
        let base = match to {
            std::io::SeekFrom::Start(p) => Some(p),
            std::io::SeekFrom::End(d) => len()?.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = base.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
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
                        at: crate::Position::row(self.name.to_string(), number),
                        message: "the file changed while it was being read".into(),
                    }
                    .into());
                }
                check_utf8(record, self.name, number)?;
                Ok(Row {
                    number,
                    locator,
                    cells: Cells::Bytes(record),
                    sheet: None,
                })
            }
            FetchSource::Sheet(rows) => Ok(Row {
                number,
                locator,
                cells: Cells::Sheet(
                    rows.row(locator as usize)
                        .expect("a locator of this table's rows"),
                ),
                sheet: rows.origin(locator as usize).map(|o| o.0),
            }),
        }
    }
}

/// How many of `wanted` the cells `header` hold a column for (compared after [`text::fold`]).
fn holds_count(header: &[String], wanted: &[&str]) -> usize {
    let folded: Vec<_> = header.iter().map(|h| text::fold(h)).collect();
    wanted
        .iter()
        .filter(|w| folded.contains(&text::fold(w)))
        .count()
}

/// Whether the cells `header` hold a column for each of `wanted`.
fn holds(header: &[String], wanted: &[&str]) -> bool {
    holds_count(header, wanted) == wanted.len()
}

/// The header among `rows`: the first that holds every one of `wanted`, else the first of
/// those that hold the most of them (at least one), so that a message names the columns
/// still missing from the header the user meant; with how many it holds.
fn best_header(rows: &[Vec<String>], wanted: &[&str]) -> Option<(usize, usize)> {
    if wanted.is_empty() {
        return None;
    }
    let mut best: Option<(usize, usize)> = None;
    for (k, row) in rows.iter().enumerate() {
        let n = holds_count(row, wanted);
        if n == wanted.len() {
            return Some((k, n));
        }
        if n > 0 && best.is_none_or(|(_, m)| n > m) {
            best = Some((k, n));
        }
    }
    best
}

/// The bytes at the start of a CSV file in which its delimiter and header are looked for.
const LAYOUT_PREFIX: u64 = 1 << 20;

/// The delimiter of the CSV `file` and the number of records above its header
/// ([`Table::open_layout`]), looked for in its first [`LAYOUT_PREFIX`] bytes.
fn find_csv_layout(
    file: &mut File,
    path: &Path,
    layout: &Layout,
    wanted: &[&str],
) -> Result<(Delimiter, u64)> {
    let given_skip = layout.header_row.map(|n| n.saturating_sub(1));
    if let Some(d) = layout.delimiter
        && (given_skip.is_some() || wanted.is_empty())
    {
        return Ok((d, given_skip.unwrap_or(0)));
    }
    let mut prefix = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut *file, LAYOUT_PREFIX),
        &mut prefix,
    )
    .map_err(|e| Error::io(path, e))?;
    let whole = (prefix.len() as u64) < LAYOUT_PREFIX;
    let candidates: Vec<u8> = match layout.delimiter {
        Some(d) => vec![d.byte()],
        None => DELIMITERS.to_vec(),
    };
    let limit = match given_skip {
        Some(skip) => skip as usize + 1,
        None => HEADER_SEARCH,
    };
    // The first records with each delimiter: cells trimmed, as text (a record cut by the end
    // of the prefix is left out; one that is not UTF-8 ends the search).
    let firsts: Vec<Vec<Vec<String>>> = candidates
        .iter()
        .map(|&d| {
            let mut reader = CsvReader::with_delimiter(&prefix[..], 64 << 10, d);
            let mut record = Record::default();
            let mut out = Vec::new();
            while out.len() < limit && reader.read_record(&mut record).unwrap_or(false) {
                if !whole && reader.position() >= prefix.len() as u64 {
                    break;
                }
                let cells: Option<Vec<String>> = record
                    .iter()
                    .map(|c| std::str::from_utf8(c.trim_ascii()).ok().map(String::from))
                    .collect();
                match cells {
                    Some(c) => out.push(c),
                    None => break,
                }
            }
            out
        })
        .collect();
    let by = |i: usize| Delimiter::of_byte(candidates[i]);
    if let Some(skip) = given_skip {
        let at = |i: usize| firsts[i].get(skip as usize);
        let found = (0..candidates.len())
            .find(|&i| !wanted.is_empty() && at(i).is_some_and(|h| holds(h, wanted)));
        let i = found.unwrap_or_else(|| most_cells(&firsts, skip as usize));
        return Ok((by(i), skip));
    }
    // The delimiter whose header holds the most of `wanted`, then the soonest.
    let found = (0..candidates.len())
        .filter_map(|i| {
            let (k, n) = best_header(&firsts[i], wanted)?;
            Some((std::cmp::Reverse(n), k, i))
        })
        .min();
    if let Some((_, k, i)) = found {
        return Ok((by(i), k as u64));
    }
    Ok((by(most_cells(&firsts, 0)), 0))
}

/// Of the records read with each delimiter, the index of the delimiter whose record `k` has
/// the most cells (the first of those).
fn most_cells(firsts: &[Vec<Vec<String>>], k: usize) -> usize {
    let cells = |i: usize| firsts[i].get(k).map_or(0, Vec::len);
    (0..firsts.len()).fold(0, |best, i| if cells(i) > cells(best) { i } else { best })
}

/// Reads the header record (after `skip` title records), trimmed.
fn read_header(
    reader: &mut CsvReader<HashingReader>,
    record: &mut Record,
    path: &Path,
    name: &str,
    skip: u64,
) -> Result<Vec<String>> {
    for row in 1..=skip {
        if !reader.read_record(record).map_err(|e| Error::io(path, e))? {
            return Err(Error::setting(
                "header_row",
                skip + 1,
                format!("{name} has only {} rows", row - 1),
            ));
        }
        check_utf8(record, name, row)?;
    }
    if !reader.read_record(record).map_err(|e| Error::io(path, e))? {
        return Ok(Vec::new());
    }
    let row = skip + 1;
    check_utf8(record, name, row)?;
    let headers = record
        .iter()
        .map(|h| {
            std::str::from_utf8(h.trim_ascii())
                .expect("checked as UTF-8")
                .to_string()
        })
        .collect::<Vec<_>>();
    check_quotes(record, name, row, &headers)?;
    Ok(headers)
}

/// Refuses a record, row `row` of the file `name` whose header is `headers`, whose quotes
/// swallow lines (`docs/draw-algorithm.md` §1): a stray `"` at the start of a cell opens
/// quotes that run over the line ends that follow, up to the next `"` or to the end of the
/// file, and the rows there become one cell. Refused: a file that ends inside quotes, and a
/// quoted cell holding a line end in a row that has not the header's number of cells. A
/// quoted cell over several lines in a row of the right shape is legal (an address may hold
/// line ends). The message names lines, the row and the column, never what the cells hold.
#[inline]
fn check_quotes(record: &Record, name: &str, row: u64, headers: &[String]) -> Result<()> {
    if !record.has_long_quotes() {
        return Ok(());
    }
    quotes_error(record, name, row, headers)
}

/// Reads the next record of a batched pass into `record` and checks it as
/// [`Table::next_row`] does: UTF-8 (unless the read-ahead found its bytes to be), then its
/// quotes, `row` being the number the row will have. `Ok(false)` at the end of the file.
#[inline]
fn read_checked(
    reader: &mut CsvReader<HashingReader>,
    record: &mut Record,
    path: &Path,
    name: &str,
    row: u64,
    headers: &[String],
) -> Result<bool> {
    let records = reader.records();
    // Bytes, checked as UTF-8 in one pass over the record rather than field by field, which
    // is what a `StringRecord` would cost.
    if !reader.read_record(record).map_err(|e| Error::io(path, e))? {
        return Ok(false);
    }
    // Records inside the file's UTF-8 prefix are UTF-8.
    if reader.position() > reader.get_ref().utf8_through() {
        check_utf8(record, name, records + 1)?;
    }
    check_quotes(record, name, row, headers)?;
    Ok(true)
}

#[cold]
fn quotes_error(record: &Record, name: &str, row: u64, headers: &[String]) -> Result<()> {
    let cell = |k: usize| match headers.get(k) {
        // The header's own cells would show what the quotes swallowed.
        Some(h) if row > 1 && !h.is_empty() => format!("row {row}, column `{h}`"),
        _ => format!("row {row}, cell {}", k + 1),
    };
    let lines = |n: u64| {
        if n == 1 {
            "1 line".into()
        } else {
            format!("{n} lines")
        }
    };
    const FIX: &str = "remove the stray quote, or close the cell where it should end";
    let quotes = record.long_quotes();
    if record.unclosed() {
        let q = quotes[quotes.len() - 1];
        return Err(ErrorKind::Malformed {
            at: crate::Position::line(name, q.opened),
            message: format!(
                "a quote opens a cell here ({}) that never closes: the rest of the file ({}) \
                 would be one cell; {FIX}",
                cell(q.cell),
                lines(q.ended - q.opened + 1)
            ),
        }
        .into());
    }
    if record.len() == headers.len() {
        return Ok(());
    }
    // The cell over the most lines (the first of those), and the line where the row ends.
    let mut q = quotes[0];
    for &other in &quotes[1..] {
        if other.ended - other.opened > q.ended - q.opened {
            q = other;
        }
    }
    let last = quotes[quotes.len() - 1].ended;
    Err(ErrorKind::Malformed {
        at: crate::Position::line(name, q.opened),
        message: format!(
            "a quote opens a cell here ({}) that closes only on line {}: lines {} to {last} \
             read as one row of {} cells where the header has {}; {FIX}",
            cell(q.cell),
            q.ended,
            record.line(),
            record.len(),
            headers.len()
        ),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_named_twice_is_refused() {
        let (_d, path) = written("record_id,applicant_id,applicant_id,x,,\nR1,A,B,1,,\n");
        let e = Table::open(&path, None).err().expect("refused").to_string();
        assert!(
            e.contains("r.csv: row 1: the header names the column `applicant_id` twice")
                && e.contains("columns 2 and 3"),
            "{e}"
        );
        // Empty headers may repeat.
        let (_d, path) = written("record_id,,\nR1,,\n");
        assert_eq!(Table::open(&path, None).unwrap().headers().len(), 3);
    }

    /// The header, and every data row's number and cells, of `path` opened with `layout`
    /// looking for `wanted`; each row also fetched again by its locator, and the whole read
    /// again after a rewind.
    fn laid_out(path: &Path, layout: &Layout, wanted: &[&str]) -> Result<(Table, Vec<RowCells>)> {
        let mut t = Table::open_layout(path, layout, wanted, false)?;
        let mut rows = Vec::new();
        let mut at = Vec::new();
        while let Some(r) = t.next_row()? {
            at.push((r.locator(), r.number()));
            rows.push((
                r.number(),
                (0..r.len()).map(|i| r.get(i).to_string()).collect(),
            ));
        }
        {
            let mut f = t.fetcher()?;
            for (k, &(locator, number)) in at.iter().enumerate() {
                let r = f.fetch(locator, number)?;
                let cells: Vec<String> = (0..r.len()).map(|i| r.get(i).to_string()).collect();
                assert_eq!(cells, rows[k].1);
            }
        }
        t.rewind()?;
        let mut again = Vec::new();
        while let Some(r) = t.next_row()? {
            again.push(r.number());
        }
        assert_eq!(again, rows.iter().map(|r| r.0).collect::<Vec<_>>());
        Ok((t, rows))
    }

    const WANTED: [&str; 2] = ["record_id", "Mã đơn vị"];

    #[test]
    fn a_semicolon_export_with_title_rows_is_read_from_its_header() {
        let text = "UBND TỈNH LÂM ĐỒNG;;;\r\nDANH SÁCH HỒ SƠ; từ 01-01-2025;;\r\n;;;\r\n\
                    record_id;Mã đơn vị;Điểm;Ghi chú\r\nR1;SO-01;1,75;\"a; b\"\r\nR2;SO-02;2;\r\n";
        let (_d, path) = written(text);
        let (t, rows) = laid_out(&path, &Layout::default(), &WANTED).unwrap();
        assert_eq!(t.delimiter(), Some(Delimiter::Semicolon));
        assert_eq!(t.header_row(), 4);
        assert_eq!(t.headers(), ["record_id", "Mã đơn vị", "Điểm", "Ghi chú"]);
        assert_eq!(
            rows[0],
            (
                5,
                vec!["R1".into(), "SO-01".into(), "1,75".into(), "a; b".into()]
            )
        );
        assert_eq!(rows[1].0, 6);
        // Given, the same; a header row given that is not the header is read as told.
        let given = Layout {
            delimiter: Some(Delimiter::Semicolon),
            header_row: Some(4),
            ..Layout::default()
        };
        let (_, again) = laid_out(&path, &given, &[]).unwrap();
        assert_eq!(again, rows);
        // The header row alone: the delimiter that splits it the most.
        let row_only = Layout {
            header_row: Some(4),
            ..Layout::default()
        };
        let (t, again) = laid_out(&path, &row_only, &[]).unwrap();
        assert_eq!(
            (t.delimiter(), again),
            (Some(Delimiter::Semicolon), rows.clone())
        );
        let (t, _) = laid_out(
            &path,
            &Layout {
                header_row: Some(2),
                ..Layout::default()
            },
            &WANTED,
        )
        .unwrap();
        assert_eq!(t.headers()[0], "DANH SÁCH HỒ SƠ");
        let e = laid_out(
            &path,
            &Layout {
                header_row: Some(40),
                ..Layout::default()
            },
            &[],
        );
        assert!(e.err().unwrap().to_string().contains("has only 6 rows"));
    }

    #[test]
    fn tab_and_comma_files_and_decomposed_headers_are_found() {
        // NFD headers, tab-separated.
        let nfd = "M\u{61}\u{300} \u{111}o\u{31b}n vi\u{323}";
        let text = format!("Danh sách\n{}\t{nfd}\tx\nR1\tSO-01\t1\n", "Record_ID");
        let (_d, path) = written(text);
        let (t, rows) = laid_out(&path, &Layout::default(), &["record_id", "Mà đơn vị"]).unwrap();
        assert_eq!((t.delimiter(), t.header_row()), (Some(Delimiter::Tab), 2));
        assert_eq!(t.column("mà đơn vị"), Some(1));
        assert_eq!(rows, [(3, vec!["R1".into(), "SO-01".into(), "1".into()])]);
        // Without the columns looked for: the delimiter that splits the first row the most,
        // the first row as header.
        let (_d, path) = written("a;b;c\n1;2;3\n");
        let (t, _) = laid_out(&path, &Layout::default(), &[]).unwrap();
        assert_eq!(
            (t.delimiter(), t.header_row()),
            (Some(Delimiter::Semicolon), 1)
        );
        let (_d, path) = written("a,b;c\n1,2;3\n");
        let (t, _) = laid_out(&path, &Layout::default(), &["x"]).unwrap();
        assert_eq!((t.delimiter(), t.header_row()), (Some(Delimiter::Comma), 1));
        assert_eq!(t.headers(), ["a", "b;c"]);
        // A delimiter given for a spreadsheet is refused.
        let layout = Layout {
            delimiter: Some(Delimiter::Tab),
            ..Layout::default()
        };
        let e = Table::open_layout(Path::new("r.xlsx"), &layout, &[], false)
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("the delimiter is for CSV files"),
            "{e}"
        );
    }

    #[test]
    fn a_sheet_with_title_rows_is_read_from_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.write_string(0, 0, "UBND TỈNH LÂM ĐỒNG").unwrap();
        ws.write_string(2, 0, "DANH SÁCH HỒ SƠ").unwrap();
        for (c, h) in ["record_id", "Mã đơn vị", "x"].iter().enumerate() {
            ws.write_string(4, c as u16, *h).unwrap();
        }
        ws.write_string(5, 0, "R1").unwrap();
        ws.write_string(5, 1, "SO-01").unwrap();
        ws.write_string(7, 0, "R2").unwrap();
        book.save(&path).unwrap();
        let (t, rows) = laid_out(&path, &Layout::default(), &WANTED).unwrap();
        assert_eq!(t.header_row(), 5);
        assert_eq!(t.headers(), ["record_id", "Mã đơn vị", "x"]);
        let numbers: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(numbers, [6, 7, 8]);
        assert_eq!(rows[0].1, ["R1", "SO-01", ""]);
        let given = Layout {
            header_row: Some(5),
            ..Layout::default()
        };
        assert_eq!(laid_out(&path, &given, &[]).unwrap().1, rows);
        let (t, _) = laid_out(&path, &Layout::default(), &[]).unwrap();
        assert_eq!(t.header_row(), 1);
        let e = laid_out(
            &path,
            &Layout {
                header_row: Some(20),
                ..Layout::default()
            },
            &[],
        );
        assert!(e.err().unwrap().to_string().contains("has no row 20"));
    }

    /// A workbook: instructions, then sheets `A` and `B` of entries (`B`'s header as given),
    /// with or without the entry workbook's defined name.
    fn entry_book(path: &Path, marked: bool, b_header: [&str; 3]) {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet()
            .set_name("Hướng dẫn")
            .unwrap()
            .write_string(0, 0, "x")
            .unwrap();
        type Sheet<'a> = (&'a str, [&'a str; 3], &'a [[&'a str; 3]]);
        let sheets: [Sheet<'_>; 2] = [
            (
                "A",
                ["applicant_id", "disposition", "Q01"],
                &[["a1", "", ""], ["a2", "Từ chối", ""], ["a3", "", "4"]],
            ),
            ("B", b_header, &[["b1", "Hoàn thành", "5"], ["b2", "", ""]]),
        ];
        for (name, header, rows) in sheets {
            let ws = book.add_worksheet().set_name(name).unwrap();
            for (c, h) in header.iter().enumerate() {
                ws.write_string(0, c as u16, *h).unwrap();
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
                }
            }
        }
        if marked {
            book.define_name(ENTRY_WORKBOOK, "='Hướng dẫn'!$A$1")
                .unwrap();
        }
        book.save(path).unwrap();
    }

    #[test]
    fn an_entry_workbook_is_read_as_one_table_of_its_sheets_without_rows_not_entered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.xlsx");
        let header = ["applicant_id", "Disposition", "Q01"];
        entry_book(&path, true, header);
        let (t, rows) = laid_out(&path, &Layout::default(), &["applicant_id"]).unwrap();
        assert_eq!(t.headers(), ["applicant_id", "disposition", "Q01"]);
        assert_eq!(t.not_entered(), Some(2));
        let ids: Vec<(u64, &str)> = rows.iter().map(|r| (r.0, r.1[0].as_str())).collect();
        assert_eq!(ids, [(3, "a2"), (4, "a3"), (2, "b1")]);
        let mut t = Table::open(&path, None).unwrap();
        let mut named = Vec::new();
        while let Some(r) = t.next_row().unwrap() {
            named.push(r.file("e.xlsx").into_owned());
        }
        assert_eq!(
            named,
            [
                "e.xlsx, sheet \"A\"",
                "e.xlsx, sheet \"A\"",
                "e.xlsx, sheet \"B\""
            ]
        );
        // A sheet named: that sheet alone, its rows not entered left out all the same.
        let (t, rows) = laid_out(&path, &Layout::sheet(Some("A")), &[]).unwrap();
        assert_eq!((t.not_entered(), rows.len()), (Some(1), 2));
        // Without the defined name: the first sheet, as before.
        let plain = dir.path().join("p.xlsx");
        entry_book(&plain, false, header);
        let (t, rows) = laid_out(&plain, &Layout::default(), &[]).unwrap();
        assert_eq!((t.headers(), rows.len()), (&["x".to_string()][..], 0));
        // A sheet whose header differs is refused, named.
        entry_book(&path, true, ["applicant_id", "Q01", "disposition"]);
        let e = Table::open(&path, None).err().unwrap().to_string();
        assert!(
            e.contains("sheet \"B\" of this entry workbook has the header applicant_id, Q01, disposition where sheet \"A\" has"),
            "{e}"
        );
    }

    /// `bytes` written to `r.csv` in a new temporary directory (kept while the guard lives).
    pub(super) fn written(bytes: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }
    /// A row's number and cells.
    type RowCells = (u64, Vec<String>);

    /// Every data row of the CSV text `text` read both ways (one by one, and in batches on a
    /// second thread, the file hashed): their number and cells, or the error of each way.
    fn both_ways(text: &str) -> [std::result::Result<Vec<RowCells>, String>; 2] {
        let (_dir, path) = written(text);
        let cells = |r: &Row<'_>| {
            (
                r.number(),
                (0..r.len()).map(|i| r.get(i).to_string()).collect(),
            )
        };
        let plain = Table::open(&path, None).and_then(|mut t| {
            let mut rows = Vec::new();
            while let Some(r) = t.next_row()? {
                rows.push(cells(&r));
            }
            Ok(rows)
        });
        let batched = Table::open_hashed(&path, None).and_then(|mut t| {
            let mut rows = Vec::new();
            t.for_each_row(|r| {
                rows.push(cells(r));
                Ok(())
            })?;
            Ok(rows)
        });
        [plain, batched].map(|r| r.map_err(|e| e.to_string()))
    }

    /// The error of reading `text` (the same both ways) from the file's name on, which must
    /// not show `secret`.
    fn refused(text: &str, secret: &str) -> String {
        let [plain, batched] = both_ways(text);
        let e = plain.expect_err("refused");
        assert_eq!(batched, Err(e.clone()));
        assert!(!e.contains(secret), "{e}");
        e[e.find("r.csv").expect("the file named")..].to_string()
    }

    #[test]
    fn an_unclosed_quote_in_the_last_column_at_the_end_of_the_file_is_refused() {
        let text = "id,name,phone\n1,An,\"0901\n2,Binh,0902\n3,Chi,0903\n";
        let e = refused(text, "Binh");
        assert_eq!(
            e,
            "r.csv: line 2: a quote opens a cell here (row 2, column `phone`) that never closes: \
             the rest of the file (3 lines) would be one cell; remove the stray quote, or close \
             the cell where it should end"
        );
        // On the last line, without a line end after it; in the header, whose cells are not
        // named (they would show what the quote swallowed).
        let e = refused("id,name,phone\r\n1,An,0901\r\n2,\"Binh,0902", "Binh");
        assert!(e.starts_with("r.csv: line 3: a quote opens a cell here (row 3, column `name`)"));
        assert!(e.contains("the rest of the file (1 line)"), "{e}");
        let e = refused("id,\"name,phone\n1,An,0901\n", "An");
        assert!(e.starts_with("r.csv: line 1: a quote opens a cell here (row 1, cell 2)"));
        assert!(e.contains("(2 lines)"), "{e}");
    }

    #[test]
    fn a_stray_quote_mid_file_that_swallows_records_is_refused() {
        // The stray quote on line 3 closes at the opening quote of line 6's address: lines 3
        // to 6 would be one row of 4 cells.
        let mut text = String::from("id,name,address,phone\n1,An,Hue,0901\n");
        text += "2,\"Binh,Hue,0902\n\n3,Chi,Hue,0903\n4,Dung,\"Ha Noi\",0904\n5,Em,Hue,0905\n";
        let e = refused(&text, "Chi");
        assert_eq!(
            e,
            "r.csv: line 3: a quote opens a cell here (row 3, column `name`) that closes only on \
             line 6: lines 3 to 6 read as one row of 3 cells where the header has 4; remove the \
             stray quote, or close the cell where it should end"
        );
        // Of two cells over several lines, the longer is named.
        let text = "a,b,c\n\"xx\nyy\",\"pp\nqq\nrr\"\n";
        let e = refused(text, "qq");
        assert!(
            e.starts_with(
                "r.csv: line 3: a quote opens a cell here (row 2, column `b`) that closes only \
                 on line 5: lines 2 to 5 read as one row of 2 cells"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_quoted_address_over_several_lines_is_legal() {
        let text = "id,address,phone\n1,\"12 Le Loi,\r\nHue\",0901\n\n2,\"a\n\nb\",0902\n3,x,0903";
        let want = vec![
            (
                2,
                vec!["1".into(), "12 Le Loi,\r\nHue".into(), "0901".into()],
            ),
            (3, vec!["2".into(), "a\n\nb".into(), "0902".into()]),
            (4, vec!["3".into(), "x".into(), "0903".into()]),
        ];
        assert_eq!(both_ways(text), [Ok(want.clone()), Ok(want)]);
        // A row of another shape without quotes over lines stays a row, for the reader of
        // the table to reject.
        let [plain, _] = both_ways("id,address\n1,\"a, b\",c\n2,\"x\ny\"\n");
        assert_eq!(plain.unwrap().len(), 2);
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
