//! Spreadsheets (XLSX, XLS, ODS): a sheet read into compact rows, and its cells converted to
//! text.
//!
//! An XLSX sheet is streamed cell by cell (`calamine`'s `worksheet_cells_reader`): an empty
//! cell costs nothing, and a shared string used in many cells is stored once (or a few
//! times). An XLS or ODS sheet is loaded whole by `calamine` (`worksheet_range`), and its size
//! is checked before its cells are copied. Either way the rows are held as one text and the
//! place of each cell in it; the cells of a row after its last non-empty one take no room. The
//! texts are those `worksheet_range` reads, cell for cell.
//!
//! A sheet is held in memory whole, so one beyond [`Bounds::SHEET`] is refused
//! (`ErrorKind::Malformed`, with what to do: delete the empty rows and columns after the
//! data, or save the sheet as CSV, which is read row by row).

use std::fmt::Write as _;
use std::path::Path;

use calamine::{Data, DataRef, Reader as _, Xlsx, XlsxError};

use super::{Source, Table};
use crate::error::{Error, ErrorKind, Result};

/// The most a sheet may hold. Rows and columns are counted as chiso reads them: from the first
/// row holding a cell to the last (the header included), and from column A to the last column
/// holding a cell.
#[derive(Clone, Copy, Debug)]
pub(super) struct Bounds {
    rows: u64,
    columns: u64,
    /// Rows × columns.
    cells: u64,
    /// The bytes of the cells' texts, each cell counted (a text in many cells, at each use).
    text_bytes: u64,
}

impl Bounds {
    /// The bounds of every sheet chiso reads: the rows and columns of a spreadsheet program
    /// (1,048,576 rows, 16,384 columns: A to XFD), 33,554,432 cells (32 columns of the most
    /// rows: a full-height records export of 15 or 20 columns passes), 1 GiB of text.
    pub(super) const SHEET: Bounds = Bounds {
        rows: 1 << 20,
        columns: 1 << 14,
        cells: 1 << 25,
        text_bytes: 1 << 30,
    };
}

// The texts' places are kept as `u32`.
const _: () = assert!(Bounds::SHEET.text_bytes <= u32::MAX as u64);
const _: () = assert!(Bounds::SHEET.cells <= u32::MAX as u64);

/// The rows of a sheet below its header. Every row has `width` cells; those up to its last
/// non-empty cell are stored.
pub(super) struct SheetRows {
    text: String,
    spans: Vec<Span>,
    /// Where each row's cells start in `spans`, and one more entry where the last row ends.
    starts: Vec<u32>,
    width: usize,
    /// For the sheets of an entry workbook read as one table: each row's sheet (an index
    /// into `sheets`) and its number in that sheet. Empty for one sheet.
    origin: Vec<(u32, u64)>,
    /// The sheets' names, for `origin`.
    sheets: Vec<String>,
}

/// A cell's text: `text[start..start + len]`.
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: u32,
    len: u32,
}

impl SheetRows {
    /// Row `i` (0 is the first row below the header).
    pub(super) fn row(&self, i: usize) -> Option<SheetRow<'_>> {
        let (a, b) = (*self.starts.get(i)?, *self.starts.get(i + 1)?);
        Some(SheetRow {
            text: &self.text,
            spans: &self.spans[a as usize..b as usize],
            width: self.width,
        })
    }

    /// How many rows (below the header).
    pub(super) fn count(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Where row `i` is in an entry workbook: its sheet and its number there; `None` for a
    /// table of one sheet.
    pub(super) fn origin(&self, i: usize) -> Option<(&str, u64)> {
        let &(sheet, number) = self.origin.get(i)?;
        Some((self.sheets[sheet as usize].as_str(), number))
    }
}

/// One row of a [`SheetRows`].
#[derive(Clone, Copy)]
pub(super) struct SheetRow<'a> {
    text: &'a str,
    spans: &'a [Span],
    width: usize,
}

impl<'a> SheetRow<'a> {
    /// How many cells the row has: as many as the header.
    pub(super) fn len(&self) -> usize {
        self.width
    }

    /// The text of cell `i` (untrimmed), or `""`.
    pub(super) fn get(&self, i: usize) -> &'a str {
        self.spans.get(i).map_or("", |s| {
            let start = s.start as usize;
            &self.text[start..start + s.len as usize]
        })
    }

    /// Whether every cell is empty after trimming.
    pub(super) fn is_blank(&self) -> bool {
        (0..self.spans.len()).all(|i| self.get(i).trim_ascii().is_empty())
    }
}

impl Table {
    /// Opens the sheet named `sheet` (or the first) of the workbook at `path`; `name` names
    /// the file in messages.
    pub(super) fn open_sheet(path: &Path, name: String, sheet: Option<&str>) -> Result<Table> {
        Table::open_sheet_within(path, name, sheet, &Bounds::SHEET)
    }

    fn open_sheet_within(
        path: &Path,
        name: String,
        sheet: Option<&str>,
        bounds: &Bounds,
    ) -> Result<Table> {
        let malformed = |message: String| -> Error {
            ErrorKind::Malformed {
                at: crate::Position::file(name.clone()),
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
        let entry = book
            .defined_names()
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(super::ENTRY_WORKBOOK));
        let mut read = |wanted: &str| -> Result<(Vec<String>, SheetRows, u32)> {
            let built = match &mut book {
                calamine::Sheets::Xlsx(xlsx) => read_xlsx(xlsx, wanted, bounds),
                book => match book.worksheet_range(wanted) {
                    Ok(range) => read_range(&range, bounds),
                    Err(e) => Err(Refused::Unreadable(e.to_string())),
                },
            };
            Ok(built.map_err(|r| malformed(r.message(wanted)))?.finish())
        };
        let (headers, rows, first_row, not_entered) = if entry {
            // Every sheet after the instructions, or the one named.
            let sheets = match sheet {
                None => &names[1..],
                Some(_) => std::slice::from_ref(&wanted),
            };
            let (headers, rows, not_entered) = read_entry_sheets(sheets, &mut read, &name)?;
            (headers, rows, 0, not_entered)
        } else {
            let (headers, rows, first_row) = read(&wanted)?;
            (headers, rows, first_row, None)
        };
        Ok(Table {
            name,
            path: path.to_path_buf(),
            headers,
            header_row: u64::from(first_row) + 1,
            delimiter: None,
            folded: Vec::new(),
            source: Source::Sheet {
                rows,
                first_row: u64::from(first_row) + 2,
                next: 0,
                start: 0,
            },
            opened: None,
            not_entered,
        })
    }
}

/// The sheets `sheets` of an entry workbook (every sheet after its instructions, or the one
/// named) read as one table: their header, which must be the same on each (after [`super::text::fold`]), and
/// their rows one sheet after the other, each with its sheet and its number there; with the
/// rows left out as not entered: those whose cells from the `disposition` column on are all
/// empty (the sample's columns before it are filled in by `chiso entry-sheet`).
fn read_entry_sheets(
    sheets: &[String],
    read: &mut impl FnMut(&str) -> Result<(Vec<String>, SheetRows, u32)>,
    name: &str,
) -> Result<(Vec<String>, SheetRows, Option<u64>)> {
    let malformed = |message: String| -> Error {
        ErrorKind::Malformed {
            at: crate::Position::file(name.to_string()),
            message,
        }
        .into()
    };
    let mut headers: Option<Vec<String>> = None;
    let mut folded: Vec<String> = Vec::new();
    let mut out = SheetRows {
        text: String::new(),
        spans: Vec::new(),
        starts: Vec::new(),
        width: 0,
        origin: Vec::new(),
        sheets: sheets.to_vec(),
    };
    let mut entered_from = usize::MAX;
    let mut not_entered = 0u64;
    for (k, sheet) in sheets.iter().enumerate() {
        let (h, rows, first_row) = read(sheet)?;
        if out.text.len() as u64 + rows.text.len() as u64 > Bounds::SHEET.text_bytes {
            return Err(malformed(format!(
                "{} {}",
                Refused::Text {
                    bounds: Bounds::SHEET
                }
                .message(sheet),
                "(the sheets of this entry workbook together)"
            )));
        }
        let mut h = h;
        while h.last().is_some_and(String::is_empty) {
            h.pop();
        }
        let f: Vec<String> = h
            .iter()
            .map(|c| super::text::fold(c).into_owned())
            .collect();
        match &headers {
            None => {
                entered_from = f.iter().position(|c| c == "disposition").unwrap_or(0);
                out.width = h.len();
                headers = Some(h);
                folded = f;
            }
            Some(first) if f != folded => {
                return Err(malformed(format!(
                    "sheet {sheet:?} of this entry workbook has the header {} where sheet {:?} \
                     has {}: the sheets of an entry workbook are read as one table, so their \
                     columns must not be renamed, added, removed or moved",
                    h.join(", "),
                    sheets[0],
                    first.join(", ")
                )));
            }
            Some(_) => {}
        }
        let mut i = 0;
        while let Some(row) = rows.row(i) {
            i += 1;
            let number = u64::from(first_row) + 1 + i as u64;
            if row.is_blank() {
                continue;
            }
            if (entered_from..row.spans.len().max(entered_from))
                .all(|c| row.get(c).trim_ascii().is_empty())
            {
                not_entered += 1;
                continue;
            }
            out.starts.push(out.spans.len() as u32);
            for c in 0..row.spans.len() {
                let text = row.get(c);
                let start = out.text.len();
                out.text.push_str(text);
                out.spans.push(Span {
                    start: start as u32,
                    len: text.len() as u32,
                });
            }
            out.origin.push((k as u32, number));
        }
    }
    out.starts.push(out.spans.len() as u32);
    Ok((headers.unwrap_or_default(), out, Some(not_entered)))
}

/// Why a sheet was not read.
#[derive(Debug)]
enum Refused {
    Unreadable(String),
    /// Rows from `first` to `last` (0-based).
    Rows {
        first: u32,
        last: u32,
        bounds: Bounds,
    },
    /// A cell in column `column` (0-based).
    Columns {
        column: u32,
        bounds: Bounds,
    },
    /// The used range reaches row `last` (from row `first`) and has `columns` columns.
    Cells {
        first: u32,
        last: u32,
        columns: u64,
        bounds: Bounds,
    },
    /// More cells written than a sheet may hold, some of them at the same place (in a sheet
    /// whose cells are out of order).
    Repeated {
        bounds: Bounds,
    },
    Text {
        bounds: Bounds,
    },
}

impl Refused {
    fn message(&self, sheet: &str) -> String {
        const TOO_LARGE: &str = "is too large to be read from a spreadsheet, which is held in \
                                 memory whole";
        const AS_CSV: &str = "save the sheet as CSV UTF-8, which chiso reads row by row";
        match self {
            Refused::Unreadable(e) => format!("cannot read sheet {sheet:?}: {e}"),
            Refused::Rows {
                first,
                last,
                bounds,
            } => format!(
                "sheet {sheet:?} {TOO_LARGE}: its cells run from row {} to row {}, {} rows, more \
                 than a spreadsheet program writes ({}); {AS_CSV}",
                u64::from(*first) + 1,
                u64::from(*last) + 1,
                u64::from(last - first) + 1,
                bounds.rows
            ),
            Refused::Columns { column, bounds } => format!(
                "sheet {sheet:?} {TOO_LARGE}: it has a cell in column {} (column number {}), \
                 beyond the {} columns of a spreadsheet program (A to {}); {AS_CSV}",
                column_name(u64::from(*column)),
                u64::from(*column) + 1,
                bounds.columns,
                column_name(bounds.columns - 1)
            ),
            Refused::Cells {
                first,
                last,
                columns,
                bounds,
            } => format!(
                "sheet {sheet:?} {TOO_LARGE}: its cells reach row {} and column {}, {} rows of \
                 {} columns from A{}: {} cells, more than the {} chiso reads from a sheet ({} \
                 columns of {} rows). If the records end before that, delete the empty rows \
                 and columns after them (a value far below or to the right of the data extends \
                 the sheet); otherwise {AS_CSV}",
                u64::from(*last) + 1,
                column_name(columns - 1),
                u64::from(last - first) + 1,
                columns,
                u64::from(*first) + 1,
                (u64::from(last - first) + 1) * columns,
                bounds.cells,
                bounds.cells / bounds.rows.max(1),
                bounds.rows,
            ),
            Refused::Repeated { bounds } => format!(
                "sheet {sheet:?} {TOO_LARGE}: it writes more than {} cells (the most chiso \
                 reads from a sheet), some of them more than once; {AS_CSV}",
                bounds.cells
            ),
            Refused::Text { bounds } => format!(
                "sheet {sheet:?} {TOO_LARGE}: its cells hold more than {} bytes of text (a text \
                 in many cells counts at each use), the most chiso reads from a sheet; {AS_CSV}",
                bounds.text_bytes
            ),
        }
    }
}

type Built = std::result::Result<Builder, Refused>;

/// Reads an XLSX sheet cell by cell. Cells come in order of rows, then columns, in every file
/// a spreadsheet program writes; a file that has them in another order (or one cell twice) is
/// read a second time, its cells put in order first.
fn read_xlsx<RS: std::io::Read + std::io::Seek>(
    xlsx: &mut Xlsx<RS>,
    sheet: &str,
    bounds: &Bounds,
) -> Built {
    // Worded as `worksheet_range` of an open workbook words it.
    let unreadable = |e: XlsxError| Refused::Unreadable(calamine::Error::Xlsx(e).to_string());
    let mut b = Builder::new(*bounds);
    let mut cells = match xlsx.worksheet_cells_reader(sheet) {
        Ok(r) => r,
        // A chart sheet, say: no cells (as `worksheet_range` reads it).
        Err(XlsxError::NotAWorksheet(_)) => return Ok(b),
        Err(e) => return Err(unreadable(e)),
    };
    let mut last: Option<(u32, u32)> = None;
    let mut in_order = true;
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        if *cell.get_value() == DataRef::Empty {
            continue;
        }
        let (row, col) = cell.get_position();
        if last.is_some_and(|l| (row, col) <= l) {
            in_order = false;
            break;
        }
        last = Some((row, col));
        b.admit(row, col)?;
        let span = b.intern_ref(cell.get_value())?;
        b.place(row, col, span);
    }
    drop(cells);
    if in_order {
        if let Some((row, _)) = last {
            b.last_row = row;
        }
        return Ok(b);
    }
    // Out of order: every cell with its place, sorted, the last of a place kept (as
    // `calamine` fills a range).
    let mut b = Builder::new(*bounds);
    let mut cells = xlsx.worksheet_cells_reader(sheet).map_err(unreadable)?;
    let mut found: Vec<(u32, u32, Span)> = Vec::new();
    let (mut first, mut last, mut columns) = (u32::MAX, 0u32, 0u64);
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        if *cell.get_value() == DataRef::Empty {
            continue;
        }
        let (row, col) = cell.get_position();
        (first, last) = (first.min(row), last.max(row));
        columns = columns.max(u64::from(col) + 1);
        b.check_size(first, last, columns)?;
        if found.len() as u64 >= bounds.cells {
            return Err(Refused::Repeated { bounds: *bounds });
        }
        let span = b.intern_ref(cell.get_value())?;
        found.push((row, col, span));
    }
    drop(cells);
    found.sort_by_key(|&(row, col, _)| (row, col));
    for (i, &(row, col, span)) in found.iter().enumerate() {
        if found.get(i + 1).is_some_and(|n| (n.0, n.1) == (row, col)) {
            continue;
        }
        b.admit(row, col)?;
        b.place(row, col, span);
        b.last_row = row;
    }
    Ok(b)
}

/// Copies a sheet that `calamine` has loaded (XLS, ODS), after checking its size.
fn read_range(range: &calamine::Range<Data>, bounds: &Bounds) -> Built {
    let mut b = Builder::new(*bounds);
    let (Some(start), Some(end)) = (range.start(), range.end()) else {
        return Ok(b);
    };
    b.check_size(start.0, end.0, u64::from(end.1) + 1)?;
    b.first_row = Some(start.0);
    b.last_row = end.0;
    b.columns = u64::from(end.1) + 1;
    for (r, c, value) in range.used_cells() {
        let span = b.intern(value)?;
        // Within the range's bounds, which were checked.
        b.place(start.0 + r as u32, start.1 + c as u32, span);
    }
    Ok(b)
}

/// The slots of [`Builder::shared`]: 2^16, 1.5 MiB.
const SHARED_BITS: u32 = 16;

/// Builds [`SheetRows`] from the cells of a sheet given in order (of rows, then columns).
struct Builder {
    bounds: Bounds,
    text: String,
    spans: Vec<Span>,
    /// Where each row's cells start in `spans`, from the header row.
    starts: Vec<u32>,
    /// The header's row (the first holding a cell), and the last row holding one (0-based).
    first_row: Option<u32>,
    last_row: u32,
    /// From column A to the last column holding a cell.
    columns: u64,
    text_bytes: u64,
    /// The places of shared strings stored lately, by the address and length of their text
    /// in the workbook's table (which outlives the reading of a sheet): a small table in
    /// which a string takes the slot of another, so that the texts used in many cells (a
    /// unit's name, a procedure) are found again without a map of every text (most, such
    /// as identifiers, come once).
    shared: Vec<(usize, usize, Span)>,
}

impl Builder {
    fn new(bounds: Bounds) -> Builder {
        Builder {
            bounds,
            text: String::new(),
            spans: Vec::new(),
            starts: Vec::new(),
            first_row: None,
            last_row: 0,
            columns: 0,
            text_bytes: 0,
            shared: vec![(0, 0, Span::default()); 1 << SHARED_BITS],
        }
    }

    /// Refuses rows `first` to `last` of `columns` columns beyond the bounds.
    fn check_size(&self, first: u32, last: u32, columns: u64) -> std::result::Result<(), Refused> {
        let bounds = self.bounds;
        let rows = u64::from(last - first) + 1;
        if rows > bounds.rows {
            return Err(Refused::Rows {
                first,
                last,
                bounds,
            });
        }
        if columns > bounds.columns {
            return Err(Refused::Columns {
                column: (columns - 1) as u32,
                bounds,
            });
        }
        if rows * columns > bounds.cells {
            return Err(Refused::Cells {
                first,
                last,
                columns,
                bounds,
            });
        }
        Ok(())
    }

    /// Checks the sheet with a cell at (`row`, `col`), the furthest so far.
    fn admit(&mut self, row: u32, col: u32) -> std::result::Result<(), Refused> {
        let first = *self.first_row.get_or_insert(row);
        self.columns = self.columns.max(u64::from(col) + 1);
        self.check_size(first, row, self.columns)
    }

    /// Stores the text of a cell read from an XLSX sheet.
    fn intern_ref(&mut self, value: &DataRef<'_>) -> std::result::Result<Span, Refused> {
        match *value {
            DataRef::SharedString(s) => {
                self.count(s.len())?;
                if s.is_empty() {
                    return Ok(Span::default());
                }
                let address = s.as_ptr() as usize;
                let slot = ((address as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    >> (64 - SHARED_BITS)) as usize;
                let (a, len, span) = self.shared[slot];
                if (a, len) == (address, s.len()) {
                    return Ok(span);
                }
                let span = self.push(|t| t.push_str(s));
                self.shared[slot] = (address, s.len(), span);
                Ok(span)
            }
            DataRef::String(ref s) => {
                self.count(s.len())?;
                Ok(self.push(|t| t.push_str(s)))
            }
            // Neither a string nor long: converted as `worksheet_range` converts it.
            ref other => self.intern(&Data::from(other.clone())),
        }
    }

    /// Stores the text of a cell.
    fn intern(&mut self, value: &Data) -> std::result::Result<Span, Refused> {
        let span = self.push(|t| write_text(t, value));
        self.count(span.len as usize)?;
        Ok(span)
    }

    /// Counts `len` more bytes of text, refusing them beyond the bound.
    fn count(&mut self, len: usize) -> std::result::Result<(), Refused> {
        self.text_bytes += len as u64;
        if self.text_bytes > self.bounds.text_bytes {
            return Err(Refused::Text {
                bounds: self.bounds,
            });
        }
        Ok(())
    }

    fn push(&mut self, write: impl FnOnce(&mut String)) -> Span {
        let start = self.text.len();
        write(&mut self.text);
        Span {
            start: start as u32,
            len: (self.text.len() - start) as u32,
        }
    }

    /// Puts `span` at (`row`, `col`), after every cell placed before, in a row that
    /// [`Builder::admit`] or [`Builder::check_size`] accepted.
    fn place(&mut self, row: u32, col: u32, span: Span) {
        let first = *self.first_row.get_or_insert(row);
        let index = (row - first) as usize;
        while self.starts.len() <= index {
            self.starts.push(self.spans.len() as u32);
        }
        if span.len == 0 {
            return;
        }
        let at = self.starts[index] as usize + col as usize;
        self.spans.resize(at, Span::default());
        self.spans.push(span);
    }

    /// The header (trimmed), the rows below it and the header's row (0-based).
    fn finish(mut self) -> (Vec<String>, SheetRows, u32) {
        let Some(first) = self.first_row else {
            let rows = SheetRows {
                text: String::new(),
                spans: Vec::new(),
                starts: vec![0],
                width: 0,
                origin: Vec::new(),
                sheets: Vec::new(),
            };
            return (Vec::new(), rows, 0);
        };
        let height = (self.last_row - first) as usize + 1;
        while self.starts.len() <= height {
            self.starts.push(self.spans.len() as u32);
        }
        self.text.shrink_to_fit();
        self.spans.shrink_to_fit();
        let mut rows = SheetRows {
            text: self.text,
            spans: self.spans,
            starts: self.starts,
            width: self.columns as usize,
            origin: Vec::new(),
            sheets: Vec::new(),
        };
        let header = rows.starts.remove(0) as usize..rows.starts[0] as usize;
        let header = SheetRow {
            text: &rows.text,
            spans: &rows.spans[header],
            width: rows.width,
        };
        let headers = (0..rows.width)
            .map(|i| header.get(i).trim_ascii().to_string())
            .collect();
        rows.starts.shrink_to_fit();
        (headers, rows, first)
    }
}

/// `A` for column 0, …, `XFD` for column 16,383.
fn column_name(col: u64) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.iter().rev().map(|&b| b as char).collect()
}

/// Writes the text of a cell as chiso reads it.
fn write_text(out: &mut String, cell: &Data) {
    // Writing into a `String` cannot fail.
    let _ = match cell {
        Data::Empty => Ok(()),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            out.push_str(s);
            Ok(())
        }
        Data::Int(i) => write!(out, "{i}"),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                write!(out, "{}", *f as i64)
            } else {
                write!(out, "{f}")
            }
        }
        Data::Bool(b) => {
            out.push_str(if *b { "TRUE" } else { "FALSE" });
            Ok(())
        }
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if dt.is_datetime() => {
                if t.time() == chrono::NaiveTime::MIN {
                    write!(out, "{}", t.date().format("%Y-%m-%d"))
                } else {
                    write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S"))
                }
            }
            _ => write!(out, "{}", dt.as_f64()),
        },
        // As the spreadsheet shows it (`#N/A`, `#REF!`, …): never a usable value.
        Data::Error(e) => write!(out, "{e}"),
    };
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::path::PathBuf;

    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

    use super::*;

    /// The header, the rows and the header's row as chiso read a sheet before it streamed
    /// them: the whole range from `worksheet_range`, padded on the left to column A.
    fn as_a_range(path: &Path) -> (Vec<String>, Vec<Vec<String>>, u32) {
        let mut book = calamine::open_workbook_auto(path).unwrap();
        let sheet = book.sheet_names()[0].clone();
        let range = book.worksheet_range(&sheet).unwrap();
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let mut rows = range.rows().map(|r| {
            let mut cells = vec![String::new(); first_col as usize];
            cells.extend(r.iter().map(|c| {
                let mut t = String::new();
                write_text(&mut t, c);
                t
            }));
            cells
        });
        let headers = rows
            .next()
            .map(|h| h.iter().map(|c| c.trim_ascii().to_string()).collect())
            .unwrap_or_default();
        (headers, rows.collect(), first_row)
    }

    /// A sheet's rows as a [`Table`] gives them (numbers, trimmed cells, blank or not), each
    /// checked against the same row fetched again.
    type Rows = Vec<(u64, Vec<String>, bool)>;

    fn read_within(path: &Path, bounds: &Bounds) -> Result<(Vec<String>, Rows)> {
        let mut t = Table::open_sheet_within(path, "t".into(), None, bounds)?;
        let headers = t.headers().to_vec();
        let mut rows = Vec::new();
        let mut locators = Vec::new();
        while let Some(r) = t.next_row()? {
            let cells: Vec<String> = (0..r.len()).map(|i| r.get(i).to_string()).collect();
            assert_eq!(r.is_blank(), cells.iter().all(|c| c.is_empty()));
            locators.push(r.locator());
            rows.push((r.number(), cells, r.is_blank()));
        }
        let mut f = t.fetcher()?;
        for (locator, (number, cells, _)) in locators.into_iter().zip(&rows) {
            let r = f.fetch(locator, *number)?;
            let again: Vec<&str> = (0..r.len()).map(|i| r.get(i)).collect();
            assert_eq!(&again, cells);
        }
        Ok((headers, rows))
    }

    /// Reads `path` both ways and compares.
    fn reads_as_a_range(path: &Path) -> (Vec<String>, Rows) {
        let (headers, rows) = read_within(path, &Bounds::SHEET).unwrap();
        let (h, r, first) = as_a_range(path);
        assert_eq!(headers, h);
        let expected: Rows = r
            .iter()
            .enumerate()
            .map(|(i, cells)| {
                let cells: Vec<String> = cells.iter().map(|c| c.trim_ascii().into()).collect();
                let blank = cells.iter().all(|c| c.is_empty());
                (u64::from(first) + 2 + i as u64, cells, blank)
            })
            .collect();
        assert_eq!(rows, expected);
        (headers, rows)
    }

    fn saved(dir: &tempfile::TempDir, name: &str, wb: &mut Workbook) -> PathBuf {
        let path = dir.path().join(name);
        wb.save(&path).unwrap();
        path
    }

    /// An XLSX file whose first sheet holds `sheet_data` (the inside of `<sheetData>`) and
    /// whose shared strings are `strings`: a workbook written by `rust_xlsxwriter`, those two
    /// parts replaced.
    fn handmade(
        dir: &tempfile::TempDir,
        name: &str,
        sheet_data: &str,
        strings: &[&str],
    ) -> PathBuf {
        let mut wb = Workbook::new();
        wb.add_worksheet().write_string(0, 0, "x").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let mut from = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let path = dir.path().join(name);
        let mut to = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        for i in 0..from.len() {
            let file = from.by_index(i).unwrap();
            let name = file.name().unwrap().to_string();
            match name.as_str() {
                "xl/worksheets/sheet1.xml" => {
                    to.start_file(&name, options).unwrap();
                    write!(
                        to,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/\
                         2006/main\"><sheetData>{sheet_data}</sheetData></worksheet>"
                    )
                    .unwrap();
                }
                "xl/sharedStrings.xml" => {
                    to.start_file(&name, options).unwrap();
                    let items: String = strings
                        .iter()
                        .map(|s| format!("<si><t xml:space=\"preserve\">{s}</t></si>"))
                        .collect();
                    write!(
                        to,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                         <sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/\
                         main\" count=\"{n}\" uniqueCount=\"{n}\">{items}</sst>",
                        n = strings.len()
                    )
                    .unwrap();
                }
                _ => to.raw_copy_file(file).unwrap(),
            }
        }
        to.finish().unwrap();
        path
    }

    #[test]
    fn every_kind_of_cell_reads_as_the_whole_range_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let date = Format::new().set_num_format("dd/mm/yyyy");
        let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let bold = Format::new().set_bold();
        // From C3: the header is row 3, every row is padded to column A.
        for (c, h) in [" record_id ", "n", "", "when", "x"].iter().enumerate() {
            ws.write_string(2, 2 + c as u16, *h).unwrap();
        }
        ws.write_string(3, 2, "R1").unwrap();
        for (c, n) in [12.0, 0.1, -3.0, 1e16, 123456789012345.0, 1.5e-7]
            .iter()
            .enumerate()
        {
            ws.write_number(3, 3 + c as u16, *n).unwrap();
        }
        ws.write_boolean(4, 2, true).unwrap();
        ws.write_boolean(4, 3, false).unwrap();
        let day = ExcelDateTime::from_ymd(2024, 2, 29).unwrap();
        ws.write_datetime_with_format(4, 4, &day, &date).unwrap();
        let at = ExcelDateTime::from_ymd(2024, 3, 1)
            .unwrap()
            .and_hms(9, 30, 15)
            .unwrap();
        ws.write_datetime_with_format(4, 5, &at, &stamp).unwrap();
        let time = ExcelDateTime::from_hms(13, 5, 0).unwrap();
        ws.write_datetime_with_format(4, 6, &time, &stamp).unwrap();
        // Row 6 is empty: a blank row. Then a shared string many times, padded text, an
        // empty string (a cell for the range, empty text), formulas with their results.
        for c in 0..6 {
            ws.write_string(6, 2 + c, "Hà Nội").unwrap();
        }
        ws.write_string(7, 2, "  padded\t").unwrap();
        ws.write_string(7, 3, "").unwrap();
        ws.write_formula(7, 4, Formula::new("=1+1").set_result("2"))
            .unwrap();
        ws.write_formula(7, 5, Formula::new("=\"a\"&\"b\"").set_result("ab"))
            .unwrap();
        // A format alone is not a cell; a value in column AD widens every row.
        ws.write_blank(40, 60, &bold).unwrap();
        ws.write_string(9, 29, "far").unwrap();
        ws.write_string(10, 2, "   ").unwrap();
        let path = saved(&dir, "kinds.xlsx", &mut wb);
        let (headers, rows) = reads_as_a_range(&path);
        assert_eq!(headers.len(), 30);
        assert_eq!(&headers[..7], ["", "", "record_id", "n", "", "when", "x"]);
        let cells = |n: u64| &rows.iter().find(|r| r.0 == n).unwrap().1;
        assert_eq!(
            &cells(4)[2..9],
            [
                "R1",
                "12",
                "0.1",
                "-3",
                "10000000000000000",
                "123456789012345",
                "0.00000015"
            ]
        );
        assert_eq!(
            &cells(5)[2..7],
            [
                "TRUE",
                "FALSE",
                "2024-02-29",
                "2024-03-01 09:30:15",
                "1899-12-31 13:05:00"
            ]
        );
        assert!(rows.iter().find(|r| r.0 == 6).unwrap().2, "row 6 is blank");
        assert_eq!(&cells(8)[2..6], ["padded", "", "2", "ab"]);
        assert_eq!(cells(10)[29], "far");
        assert!(
            rows.iter().find(|r| r.0 == 11).unwrap().2,
            "only spaces: blank"
        );
        assert_eq!(rows.last().unwrap().0, 11);
    }

    #[test]
    fn handmade_cells_read_as_the_whole_range_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        // Cells without a reference, inline strings, errors, booleans, an empty shared
        // string (which widens the range), a row with no reference.
        let data = "<row r=\"2\"><c r=\"B2\" t=\"s\"><v>0</v></c><c t=\"s\"><v>1</v></c>\
                    <c t=\"inlineStr\"><is><t>inline</t></is></c></row>\
                    <row r=\"3\"><c r=\"B3\" t=\"e\"><v>#N/A</v></c><c r=\"C3\" t=\"b\"><v>1</v>\
                    </c><c r=\"D3\" t=\"str\"><v>#REF!</v></c><c r=\"F3\" t=\"s\"><v>2</v></c></row>\
                    <row><c r=\"B4\"><v>7.25</v></c><c r=\"C4\" t=\"e\"><v>#DIV/0!</v></c></row>\
                    <row r=\"6\"><c r=\"D6\" t=\"s\"><v>0</v></c></row>";
        let path = handmade(&dir, "hand.xlsx", data, &["id", " b ", ""]);
        let (headers, rows) = reads_as_a_range(&path);
        assert_eq!(headers, ["", "id", "b", "inline", "", ""]);
        assert_eq!(rows[0].1, ["", "#N/A", "TRUE", "#REF!", "", ""]);
        assert_eq!(rows[1].1, ["", "7.25", "#DIV/0!", "", "", ""]);
        assert!(rows[2].2);
        assert_eq!((rows[3].0, &rows[3].1[3]), (6, &"id".to_string()));
    }

    #[test]
    fn cells_out_of_order_or_written_twice_read_as_the_whole_range_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        // Rows backwards, a cell written twice (the last one counts), columns backwards.
        let data = "<row r=\"4\"><c r=\"C4\"><v>3</v></c><c r=\"A4\"><v>1</v></c></row>\
                    <row r=\"3\"><c r=\"B3\" t=\"s\"><v>1</v></c></row>\
                    <row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c><c r=\"B2\"><v>5</v></c>\
                    <c r=\"A2\" t=\"s\"><v>2</v></c></row>\
                    <row r=\"3\"><c r=\"B3\"><v>9</v></c></row>";
        let path = handmade(&dir, "order.xlsx", data, &["first", "x", "record_id"]);
        let (headers, rows) = reads_as_a_range(&path);
        assert_eq!(headers, ["record_id", "5", ""]);
        assert_eq!(rows[0].1, ["", "9", ""]);
        assert_eq!(rows[1].1, ["1", "", "3"]);
    }

    /// An ODS file with one sheet whose `table:table` holds `rows`.
    fn ods(dir: &tempfile::TempDir, rows: &str) -> PathBuf {
        let path = dir.path().join("s.ods");
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file("mimetype", options).unwrap();
        z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        z.start_file("META-INF/manifest.xml", options).unwrap();
        z.write_all(b"<?xml version=\"1.0\"?><manifest:manifest/>")
            .unwrap();
        z.start_file("content.xml", options).unwrap();
        write!(
            z,
            "<?xml version=\"1.0\"?><office:document-content><office:body>\
             <office:spreadsheet><table:table table:name=\"S\">{rows}</table:table>\
             </office:spreadsheet></office:body></office:document-content>"
        )
        .unwrap();
        z.finish().unwrap();
        path
    }

    fn ods_cell(v: &str) -> String {
        if v.is_empty() {
            return "<table:table-cell/>".into();
        }
        match v.parse::<f64>() {
            Ok(_) => format!(
                "<table:table-cell office:value-type=\"float\" office:value=\"{v}\">\
                 <text:p>{v}</text:p></table:table-cell>"
            ),
            Err(_) => format!(
                "<table:table-cell office:value-type=\"string\"><text:p>{v}</text:p>\
                 </table:table-cell>"
            ),
        }
    }

    fn ods_rows(rows: &[&[&str]]) -> String {
        rows.iter()
            .map(|r| {
                let cells: String = r.iter().map(|v| ods_cell(v)).collect();
                format!("<table:table-row>{cells}</table:table-row>")
            })
            .collect()
    }

    #[test]
    fn an_ods_sheet_reads_as_its_range_and_is_checked_before_it_is_copied() {
        let dir = tempfile::tempdir().unwrap();
        let path = ods(
            &dir,
            &ods_rows(&[
                &["", ""],
                &["", "record_id", "n"],
                &["", "R1", "12.0"],
                &[""],
            ]),
        );
        let (headers, rows) = reads_as_a_range(&path);
        assert_eq!(headers, ["", "record_id", "n"]);
        assert_eq!(
            rows[0],
            (3, vec!["".into(), "R1".into(), "12".into()], false)
        );
        let small = Bounds {
            cells: 5,
            ..Bounds::SHEET
        };
        let e = read_within(&path, &small).err().unwrap().to_string();
        assert!(
            e.contains("reach row 3 and column C, 2 rows of 3 columns"),
            "{e}"
        );
    }

    const SMALL: Bounds = Bounds {
        rows: 10,
        columns: 5,
        cells: 30,
        text_bytes: 100,
    };

    fn refused(path: &Path, bounds: &Bounds) -> String {
        match read_within(path, bounds) {
            Ok(_) => panic!("{} read", path.display()),
            Err(e) => {
                assert!(matches!(e.kind(), ErrorKind::Malformed { .. }), "{e}");
                e.to_string()
            }
        }
    }

    #[test]
    fn a_sheet_beyond_a_bound_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str, cells: &[(u32, u16, &str)]| {
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            for &(r, c, v) in cells {
                ws.write_string(r, c, v).unwrap();
            }
            saved(&dir, name, &mut wb)
        };
        // At the bounds: 10 rows, 3 columns (30 cells), 100 bytes of text.
        let text = "x".repeat(97);
        let fits = at("fits.xlsx", &[(0, 0, "a"), (9, 2, &text), (5, 1, "bc")]);
        let (headers, rows) = read_within(&fits, &SMALL).unwrap();
        assert_eq!((headers.len(), rows.len()), (3, 9));

        let e = refused(&at("rows.xlsx", &[(2, 0, "a"), (12, 0, "b")]), &SMALL);
        assert!(e.contains("from row 3 to row 13, 11 rows"), "{e}");
        assert!(
            e.contains("more than a spreadsheet program writes (10)"),
            "{e}"
        );
        let e = refused(&at("cols.xlsx", &[(0, 0, "a"), (1, 5, "b")]), &SMALL);
        assert!(e.contains("column F (column number 6)"), "{e}");
        let e = refused(&at("cells.xlsx", &[(0, 0, "a"), (6, 4, "b")]), &SMALL);
        assert!(e.starts_with("t: sheet \"Sheet1\" is too large"), "{e}");
        assert!(
            e.contains("reach row 7 and column E, 7 rows of 5 columns from A1: 35 cells")
                && e.contains("more than the 30 chiso reads from a sheet")
                && e.contains("delete the empty rows and columns after them")
                && e.contains("save the sheet as CSV UTF-8"),
            "{e}"
        );
        // A shared string is stored once but counted at each use.
        let long = "y".repeat(40);
        let e = refused(
            &at("text.xlsx", &[(0, 0, &long), (1, 0, &long), (2, 0, &long)]),
            &SMALL,
        );
        assert!(e.contains("more than 100 bytes of text"), "{e}");
        // Out of order, the cells written are counted before they are put in order.
        let twice: String = "<c r=\"B1\"><v>1</v></c><c r=\"A1\"><v>2</v></c>".repeat(16);
        let path = handmade(
            &dir,
            "twice.xlsx",
            &format!("<row r=\"1\">{twice}</row>"),
            &[],
        );
        let e = refused(&path, &SMALL);
        assert!(e.contains("writes more than 30 cells"), "{e}");
        let path = handmade(
            &dir,
            "back.xlsx",
            "<row r=\"20\"><c r=\"A20\"><v>1</v></c></row><row r=\"1\"><c r=\"A1\"><v>2</v></c></row>",
            &[],
        );
        let e = refused(&path, &SMALL);
        assert!(e.contains("from row 1 to row 20"), "{e}");
    }

    #[test]
    fn a_used_range_of_the_whole_sheet_is_refused_at_once() {
        // Two cells, A1 and XFD1048576: a range of 2^34 cells, which `worksheet_range`
        // allocates; streamed, refused at the second cell.
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "record_id").unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
        let path = saved(&dir, "corner.xlsx", &mut wb);
        let e = refused(&path, &Bounds::SHEET);
        assert!(
            e.contains("reach row 1048576 and column XFD, 1048576 rows of 16384 columns")
                && e.contains("17179869184 cells, more than the 33554432")
                && e.contains("(32 columns of 1048576 rows)"),
            "{e}"
        );
    }

    #[test]
    fn a_shared_string_in_many_cells_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let long = "Trung tâm Phục vụ hành chính công ".repeat(100);
        for r in 0..500 {
            ws.write_string(r, 0, format!("R{r}")).unwrap();
            ws.write_string(r, 1, &long).unwrap();
        }
        let path = saved(&dir, "shared.xlsx", &mut wb);
        let mut book = calamine::open_workbook_auto(&path).unwrap();
        let calamine::Sheets::Xlsx(xlsx) = &mut book else {
            unreachable!()
        };
        let b = read_xlsx(xlsx, "Sheet1", &Bounds::SHEET).unwrap();
        let ids: usize = (0..500).map(|r| format!("R{r}").len()).sum();
        assert_eq!(b.text_bytes, (500 * long.len() + ids) as u64);
        assert!(b.text.len() < long.len() + 2000, "{}", b.text.len());
        drop(book);
        let mut t = Table::open(&path, None).unwrap();
        let mut n = 0;
        while let Some(r) = t.next_row().unwrap() {
            assert_eq!(r.get(1), long.trim_ascii());
            n += 1;
        }
        assert_eq!(n, 499);
    }

    #[test]
    fn column_names() {
        let names: Vec<String> = [0, 25, 26, 701, 702, 16_383].map(column_name).to_vec();
        assert_eq!(names, ["A", "Z", "AA", "ZZ", "AAA", "XFD"]);
    }
}
