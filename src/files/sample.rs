//! `sample.csv`: one row per selected applicant, written by `chiso sample`, read by `chiso
//! verify` (the published lists), `chiso index` (strata, frame sizes, units, officers and
//! auxiliary columns) and the fieldwork (the official and reserve lists in rank order).
//!
//! Columns, in order ([`COLUMNS`]): `stratum` (the stratum's label), `role` (`official` or
//! `reserve`), `rank` (from 1 within each stratum and role; reserves are used in rank order),
//! `applicant_id`, `record_id` (the record evaluated), `unit_code`, `frame_size` (`N_h`),
//! `sample_size` (`n_h`), `inclusion_prob`, `base_weight`, `reserve_size`, `record_count` (the
//! applicant's records in the window), `applicant_type`, `draw_key`; then the record's
//! descriptive columns (`unit_name`, `unit_group`, `officer_id`, …) and its contact columns
//! (`applicant_name`, `phone`, `address`: the interviewers' list holds personal data).
//!
//! The rows are written by [`crate::sample`], which re-reads the picked records for them;
//! this module defines the columns and reads the file back for every consumer, by header
//! name: extra columns are ignored, and every cell that cannot be used is an error naming
//! the file, row and column (never an applicant's identifier or contact details). Cells are
//! read as they were before the `'` that keeps a spreadsheet from running them as formulas
//! ([`crate::files::restore`]): `=HYPERLINK(…)` in the records is `'=HYPERLINK(…)` in the
//! file and `=HYPERLINK(…)` again for `verify`, `index` and the fieldwork.

use std::path::Path;

use crate::error::{Error, Result};
use crate::records::DESCRIPTIVE;
use crate::table::{Row, Table};

/// The role of a selected applicant: the `role` column of `sample.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// On the official list.
    Official,
    /// On the reserve list, used in rank order.
    Reserve,
}

impl Role {
    /// `official` or `reserve`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Official => "official",
            Role::Reserve => "reserve",
        }
    }
}

/// The fixed columns of `sample.csv`, in order, before the record's own.
pub const COLUMNS: [&str; 14] = [
    "stratum",
    "role",
    "rank",
    "applicant_id",
    "record_id",
    "unit_code",
    "frame_size",
    "sample_size",
    "inclusion_prob",
    "base_weight",
    "reserve_size",
    "record_count",
    "applicant_type",
    "draw_key",
];

/// The columns that say who is on which list: stratum, role, rank and the two identifiers.
pub const LISTS: [&str; 5] = ["stratum", "role", "rank", "applicant_id", "record_id"];

/// The columns a reader may take by name: the fixed ones, then the record's descriptive ones
/// (never its contact details).
fn readable() -> impl Iterator<Item = &'static str> {
    COLUMNS
        .into_iter()
        .chain(DESCRIPTIVE.into_iter().filter(|c| !COLUMNS.contains(c)))
}

/// `sample.csv` opened for reading, its required columns checked.
pub struct SampleFile {
    table: Table,
}

impl SampleFile {
    /// Opens `path` (CSV or a spreadsheet that went through an office) and checks that the
    /// columns `required` are there.
    pub fn open(path: &Path, required: &[&str]) -> Result<SampleFile> {
        let table = Table::open(path, None)?;
        table.require(required)?;
        Ok(SampleFile { table })
    }

    /// The file's name, as the user gave it.
    pub fn name(&self) -> &str {
        self.table.name()
    }

    /// The index of a column (agreed or not) by its header.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.table.column(name)
    }

    /// Calls `f` on every non-blank row, in file order.
    pub fn rows(mut self, mut f: impl FnMut(&SampleRow<'_, '_>) -> Result<()>) -> Result<()> {
        let name = self.table.name().to_string();
        let columns: Vec<(&'static str, Option<usize>)> =
            readable().map(|c| (c, self.table.column(c))).collect();
        while let Some(row) = self.table.next_row()? {
            if row.is_blank() {
                continue;
            }
            f(&SampleRow {
                file: &name,
                columns: &columns,
                row,
            })?;
        }
        Ok(())
    }
}

/// One row of `sample.csv`, with typed readings of its agreed cells.
pub struct SampleRow<'f, 'r> {
    file: &'f str,
    columns: &'f [(&'static str, Option<usize>)],
    row: Row<'r>,
}

impl SampleRow<'_, '_> {
    /// The row number (the header is row 1).
    pub fn number(&self) -> u64 {
        self.row.number()
    }

    /// The text of an agreed column ([`COLUMNS`], or one of the record's descriptive columns
    /// such as `unit_name`, `unit_group`, `officer_id`); `""` when the file has no such column.
    /// Contact columns are not read this way.
    pub fn text(&self, column: &str) -> &str {
        self.columns
            .iter()
            .find(|(c, _)| *c == column)
            .and_then(|(_, i)| *i)
            .map_or("", |i| self.get(i))
    }

    /// The text of column `i` (found with [`SampleFile::column`]).
    pub fn get(&self, i: usize) -> &str {
        crate::output::restore(self.row.get(i))
    }

    fn problem(&self, column: &str, value: &str, reason: &str) -> Error {
        Error::cell(self.file, self.number(), column, value, reason)
    }

    /// `role`: official or reserve.
    pub fn role(&self) -> Result<Role> {
        match self.text("role") {
            "official" => Ok(Role::Official),
            "reserve" => Ok(Role::Reserve),
            other => Err(self.problem("role", other, "expected `official` or `reserve`")),
        }
    }

    /// `rank`: a whole number from 1.
    pub fn rank(&self) -> Result<u64> {
        let text = self.text("rank");
        text.parse::<u64>()
            .ok()
            .filter(|&r| r >= 1)
            .ok_or_else(|| self.problem("rank", text, "expected a whole number from 1"))
    }

    /// `frame_size`: the stratum's size `N_h`, a whole number.
    pub fn frame_size(&self) -> Result<f64> {
        let text = self.text("frame_size");
        text.parse()
            .map_err(|_| self.problem("frame_size", text, "expected a whole number"))
    }

    /// An identifier column (`applicant_id`, `record_id`) that must not be empty; the error
    /// names the column, never a value.
    pub fn identifier(&self, column: &str) -> Result<&str> {
        match self.text(column) {
            "" => Err(self.problem(column, "", "expected an identifier, found an empty cell")),
            id => Ok(id),
        }
    }
}
