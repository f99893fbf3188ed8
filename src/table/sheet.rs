//! Spreadsheets (XLSX, XLS, ODS): a sheet loaded whole through `calamine`, and its cells
//! converted to text.

use std::path::Path;

use calamine::{Data, Reader as _};

use super::{Source, Table};
use crate::error::{Error, ErrorKind, Result};

impl Table {
    /// Opens the sheet named `sheet` (or the first) of the workbook at `path`; `name` names
    /// the file in messages.
    pub(super) fn open_sheet(path: &Path, name: String, sheet: Option<&str>) -> Result<Table> {
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
        // As the spreadsheet shows it (`#N/A`, `#REF!`, …): never a usable value.
        Data::Error(e) => e.to_string(),
    }
}
