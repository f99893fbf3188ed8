//! `recheck.csv`: the re-check (phúc tra) subsample of a fieldwork, the interviewers' working
//! list; written by `chiso recheck` (with [`crate::recheck`]), read back by [`read`]. It holds
//! applicant ids, as the sample does, and is to be kept like it.
//!
//! Columns, in order: `applicant_id`, `stratum` (the stratum's label), `interviewer_id`
//! (empty when the responses have no such column), `disposition` (as in the responses:
//! `complete`, `partial`, `refusal` or `non_contact`), `group` (the stratum, or the
//! interviewer with `by interviewer`), `pool` (`completed` for a completed form to check,
//! `not_completed` for a refusal or non-contact to contact again), `rank` (1, 2, … within the
//! group and pool, in the order of the re-check keys) and `row` (the form's row in the
//! responses file, the header being row 1). Rows are in order of `group` (UTF-8 bytes),
//! `pool` (`completed` first) and `rank`.

use std::path::Path;

use crate::disposition::Disposition;
use crate::error::Result;
use crate::files::fields::{Csv, Fields};

/// One row of `recheck.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecheckRow {
    /// The applicant.
    pub applicant_id: String,
    /// The stratum's label.
    pub stratum: String,
    /// The interviewer, or empty.
    pub interviewer_id: String,
    /// The disposition's name in files.
    pub disposition: &'static str,
    /// The stratum or interviewer the form was chosen in.
    pub group: String,
    /// `completed` or `not_completed`.
    pub pool: &'static str,
    /// The rank within the group and pool, from 1.
    pub rank: u64,
    /// The row in the responses file.
    pub row: u64,
}

/// The columns of `recheck.csv`, in order.
pub const COLUMNS: [&str; 8] = [
    "applicant_id",
    "stratum",
    "interviewer_id",
    "disposition",
    "group",
    "pool",
    "rank",
    "row",
];

/// The pool of completed forms (complete or partial).
pub const COMPLETED: &str = "completed";
/// The pool of refusals and non-contacts.
pub const NOT_COMPLETED: &str = "not_completed";

/// The bytes of `recheck.csv` for `rows`, in the order given.
/// The file starts with the UTF-8 byte-order mark ([`crate::files::BOM`]): people open it
/// in a spreadsheet.
pub fn to_csv(rows: &[RecheckRow]) -> Vec<u8> {
    let mut w = crate::output::csv_writer_with_bom();
    w.write_record(COLUMNS).expect("memory");
    for r in rows {
        w.write_record([
            r.applicant_id.as_str(),
            &r.stratum,
            &r.interviewer_id,
            r.disposition,
            &r.group,
            r.pool,
            &r.rank.to_string(),
            &r.row.to_string(),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// A whole number from 1.
fn from_one(f: &Fields<'_>, column: &str) -> Result<u64> {
    let v = f.text(column);
    match v.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(f.err(column, &v, "expected a whole number from 1")),
    }
}

/// Reads `recheck.csv` by column name: every column of [`COLUMNS`] must be there, any other
/// is ignored; each cell is read back as written ([`crate::files::restore`]).
pub fn read(path: &Path) -> Result<Vec<RecheckRow>> {
    let csv = Csv::open(path, &COLUMNS, &[])?;
    csv.rows(|f| {
        let disposition = f.text("disposition");
        let disposition = Disposition::ALL
            .into_iter()
            .find(|d| d.as_str() == disposition && *d != Disposition::Ineligible)
            .ok_or_else(|| {
                f.err(
                    "disposition",
                    &disposition,
                    "expected complete, partial, refusal or non_contact",
                )
            })?
            .as_str();
        let pool = match f.text("pool").as_str() {
            COMPLETED => COMPLETED,
            NOT_COMPLETED => NOT_COMPLETED,
            other => {
                return Err(f.err("pool", other, "expected `completed` or `not_completed`"));
            }
        };
        Ok(RecheckRow {
            applicant_id: f.code("applicant_id")?,
            stratum: f.code("stratum")?,
            interviewer_id: f.text("interviewer_id"),
            disposition,
            group: f.text("group"),
            pool,
            rank: from_one(f, "rank")?,
            row: from_one(f, "row")?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_as_written() {
        let rows = vec![
            RecheckRow {
                applicant_id: "=HYPERLINK(1)".into(),
                stratum: "Sở Nội vụ".into(),
                interviewer_id: String::new(),
                disposition: "partial",
                group: "Sở Nội vụ".into(),
                pool: COMPLETED,
                rank: 1,
                row: 7,
            },
            RecheckRow {
                applicant_id: "A, \"B\"".into(),
                stratum: "-2+3".into(),
                interviewer_id: "IV1".into(),
                disposition: "non_contact",
                group: "IV1".into(),
                pool: NOT_COMPLETED,
                rank: 2,
                row: 3,
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recheck.csv");
        std::fs::write(&path, to_csv(&rows)).unwrap();
        assert_eq!(read(&path).unwrap(), rows);
    }
}
