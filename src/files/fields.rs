//! A CSV file read by column name, and its rows' typed cells, each naming the file, row,
//! column and value when it cannot be used.
//!
//! Every cell is read as chiso wrote it before the `'` that kept a spreadsheet from running
//! it as a formula ([`crate::output::restore`]): these are chiso's own files.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::table::Table;

/// A CSV file read by column name.
pub(crate) struct Csv {
    table: Table,
    file: String,
    columns: HashMap<&'static str, usize>,
}

/// One row of a [`Csv`], with typed accessors that name the cell on error.
pub(crate) struct Fields<'r> {
    file: &'r str,
    pub(crate) row: u64,
    get: Box<dyn Fn(&str) -> &'r str + 'r>,
}

impl Csv {
    pub(crate) fn open(
        path: &Path,
        required: &[&'static str],
        optional: &[&'static str],
    ) -> Result<Csv> {
        let table = Table::open(path, None)?;
        let file = table.name().to_string();
        table.require(required)?;
        let columns = required
            .iter()
            .chain(optional)
            .filter_map(|&c| table.column(c).map(|i| (c, i)))
            .collect();
        Ok(Csv {
            table,
            file,
            columns,
        })
    }

    /// Opens a file whose agreed columns are `columns`: `required` (a part of them) must be
    /// there, the others are read when present, and any other column is ignored.
    pub(crate) fn agreed(
        path: &Path,
        columns: &[&'static str],
        required: &[&'static str],
    ) -> Result<Csv> {
        debug_assert!(required.iter().all(|r| columns.contains(r)));
        let optional: Vec<&'static str> = columns
            .iter()
            .copied()
            .filter(|c| !required.contains(c))
            .collect();
        Csv::open(path, required, &optional)
    }

    /// Whether the file has a column headed `name` (after folding), agreed or not.
    pub(crate) fn has_column(&self, name: &str) -> bool {
        self.table.column(name).is_some()
    }

    /// Calls `f` on every non-blank row.
    pub(crate) fn rows<T>(mut self, mut f: impl FnMut(&Fields<'_>) -> Result<T>) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let columns = self.columns;
        let file = self.file;
        while let Some(row) = self.table.next_row()? {
            if row.is_blank() {
                continue;
            }
            let number = row.number();
            let fields = Fields {
                file: &file,
                row: number,
                get: Box::new(|c: &str| {
                    columns
                        .get(c)
                        .map_or("", |&i| crate::output::restore(row.get(i)))
                }),
            };
            out.push(f(&fields)?);
        }
        Ok(out)
    }
}

impl Fields<'_> {
    pub(crate) fn err(&self, column: &str, value: &str, reason: &str) -> Error {
        Error::cell(self.file, self.row, column, value, reason)
    }

    /// Text, possibly empty.
    pub(crate) fn text(&self, column: &str) -> String {
        (self.get)(column).to_string()
    }

    /// Text that must not be empty.
    pub(crate) fn code(&self, column: &str) -> Result<String> {
        let v = (self.get)(column);
        if v.is_empty() {
            Err(self.err(column, v, "expected a value, found an empty cell"))
        } else {
            Ok(v.to_string())
        }
    }

    /// A finite number, or `None` for an empty cell.
    pub(crate) fn number(&self, column: &str) -> Result<Option<f64>> {
        let v = (self.get)(column);
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(self.err(
                column,
                v,
                "expected a number with a decimal point (e.g. 98.8) or an empty cell",
            )),
        }
    }

    /// A whole number ≥ 0, or `None` for an empty cell.
    pub(crate) fn count(&self, column: &str) -> Result<Option<u64>> {
        let v = (self.get)(column);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u64>()
            .map(Some)
            .map_err(|_| self.err(column, v, "expected a whole number ≥ 0 or an empty cell"))
    }

    /// A whole number ≥ 0 that must be there.
    pub(crate) fn required_count(&self, column: &str) -> Result<u64> {
        let v = (self.get)(column);
        v.parse::<u64>()
            .map_err(|_| self.err(column, v, "expected a whole number ≥ 0"))
    }

    /// `true`, `false`, or `None` for an empty cell.
    pub(crate) fn flag(&self, column: &str) -> Result<Option<bool>> {
        let v = (self.get)(column);
        match v {
            "" => Ok(None),
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(self.err(column, v, "expected true, false or an empty cell")),
        }
    }

    /// An interval whose ends are in order.
    pub(crate) fn interval(&self, lower: &str, upper: &str) -> Result<(Option<f64>, Option<f64>)> {
        let (lo, hi) = (self.number(lower)?, self.number(upper)?);
        if let (Some(l), Some(h)) = (lo, hi)
            && l > h
        {
            return Err(self.err(
                lower,
                (self.get)(lower),
                &format!("the interval's lower end is above its upper end ({h})"),
            ));
        }
        Ok((lo, hi))
    }

    /// A percentage on 0–100.
    pub(crate) fn percent(&self, column: &str) -> Result<Option<f64>> {
        let x = self.number(column)?;
        if let Some(v) = x
            && !(-PCT_SLACK..=100.0 + PCT_SLACK).contains(&v)
        {
            return Err(self.err(
                column,
                (self.get)(column),
                "expected a percentage between 0 and 100",
            ));
        }
        Ok(x)
    }
}

/// Rank, best rank, worst rank and group size.
pub(crate) type RankCells = (Option<u64>, Option<u64>, Option<u64>, Option<u64>);

impl Fields<'_> {
    /// The cells `rank`, `rank_lower`, `rank_upper` and `group_size` (of `ranks.csv` and
    /// `par.csv`): the best rank not after the worst, the rank within 1 to the group's size.
    pub(crate) fn rank_interval(&self) -> Result<RankCells> {
        let rank = self.count("rank")?;
        let lower = self.count("rank_lower")?;
        let upper = self.count("rank_upper")?;
        let size = self.count("group_size")?;
        if let (Some(l), Some(u)) = (lower, upper)
            && l > u
        {
            return Err(self.err(
                "rank_lower",
                &l.to_string(),
                &format!("the rank interval's best rank is after its worst ({u})"),
            ));
        }
        if let (Some(r), Some(s)) = (rank, size)
            && (r == 0 || r > s)
        {
            return Err(self.err(
                "rank",
                &r.to_string(),
                &format!("expected a rank between 1 and group_size ({s})"),
            ));
        }
        Ok((rank, lower, upper, size))
    }
}

/// Rounding slack allowed around 0 and 100 for percentages computed as ratios.
const PCT_SLACK: f64 = 1e-9;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A cell written by chiso reads back as the text written, through the reader every
        /// file of `files` uses (which trims ASCII white space at a cell's ends, so the texts
        /// here have none there).
        #[test]
        fn a_written_cell_reads_back_as_it_was(
            texts in prop::collection::vec("['=+@\\-\t]{0,3}[^\u{0}]{0,12}", 1..8)
        ) {
            let texts: Vec<String> = texts
                .into_iter()
                .map(|t| t.trim_matches(|c: char| c.is_ascii_whitespace()).to_string())
                .collect();
            let mut w = crate::output::csv_writer();
            w.write_record(["text", "row"]).unwrap();
            for (i, t) in texts.iter().enumerate() {
                w.write_record([t.as_str(), &i.to_string()]).unwrap();
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("cells.csv");
            std::fs::write(&path, w.into_inner().unwrap()).unwrap();
            let read = Csv::open(&path, &["text", "row"], &[])
                .unwrap()
                .rows(|f| Ok(f.text("text")))
                .unwrap();
            prop_assert_eq!(read, texts);
        }
    }
}
