//! `substitutions.csv`: the fieldwork's substitution log, one row per failed contact and the
//! reserve who took the place, written by the demo under `fieldwork/` (the rule is in
//! [`crate::fieldwork`]).
//!
//! It is a published audit file, so it names people only by their `record_id` and their list
//! and rank, never by applicant id. Columns, in order ([`COLUMNS`]): `stratum`,
//! `official_rank`, `official_record_id`, `step`, `role`, `rank`, `record_id`, `outcome`,
//! `replaced_by_reserve_rank` and `replaced_by_record_id` (both empty when the stratum had no
//! reserve left).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::disposition::Disposition;
use crate::error::Result;
use crate::files::fields::{Csv, Fields};
use crate::files::sample::Role;

/// The columns of the substitution log, `fieldwork/substitutions.csv`.
///
/// | column | meaning |
/// |---|---|
/// | `stratum` | the stratum's label |
/// | `official_rank`, `official_record_id` | the official place being filled |
/// | `step` | 1 for the official's own contact, 2 for the first reserve tried, … |
/// | `role`, `rank`, `record_id` | the person who failed (`official` or `reserve`) |
/// | `outcome` | `refusal`, `non_contact` or `ineligible` |
/// | `replaced_by_reserve_rank`, `replaced_by_record_id` | the reserve contacted next; empty when none was left |
pub const COLUMNS: [&str; 10] = [
    "stratum",
    "official_rank",
    "official_record_id",
    "step",
    "role",
    "rank",
    "record_id",
    "outcome",
    "replaced_by_reserve_rank",
    "replaced_by_record_id",
];

/// The bytes of the substitution log for `rows` (record ids and ranks only, no personal
/// data).
/// The file starts with the UTF-8 byte-order mark ([`crate::files::BOM`]): people open it
/// in a spreadsheet.
pub fn to_csv(rows: &[Row]) -> Vec<u8> {
    let mut w = crate::output::csv_writer_with_bom();
    w.write_record(COLUMNS).expect("memory");
    for r in rows {
        w.write_record([
            r.stratum.as_str(),
            &r.official_rank.to_string(),
            &r.official_record_id,
            &r.step.to_string(),
            &r.role,
            &r.rank.to_string(),
            &r.record_id,
            &r.outcome,
            &r.replaced_by_reserve_rank
                .map(|r| r.to_string())
                .unwrap_or_default(),
            r.replaced_by_record_id.as_deref().unwrap_or(""),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// One row of `substitutions.csv`, as written and as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The stratum's label.
    pub stratum: String,
    /// The rank of the official place being filled, from 1.
    pub official_rank: u64,
    /// The record id of that official.
    pub official_record_id: String,
    /// 1 for the official's own contact, 2 for the first reserve tried, and so on.
    pub step: u32,
    /// The list of the person who failed: `official` or `reserve`.
    pub role: String,
    /// Their rank in that list, from 1.
    pub rank: u64,
    /// Their record id.
    pub record_id: String,
    /// Why they were replaced: `refusal`, `non_contact` or `ineligible`.
    pub outcome: String,
    /// The rank of the reserve contacted next; `None` when none was left.
    pub replaced_by_reserve_rank: Option<u64>,
    /// That reserve's record id; `None` when none was left.
    pub replaced_by_record_id: Option<String>,
    /// The row it was read from (the header is row 1).
    #[serde(skip)]
    pub row: u64,
}

/// A rank or step: a whole number from 1.
fn from_one(f: &Fields<'_>, column: &str) -> Result<u64> {
    let v = f.text(column);
    match v.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(f.err(column, &v, "expected a whole number from 1")),
    }
}

/// Reads `substitutions.csv` by column name: every column of [`COLUMNS`] must be there, any
/// other column is ignored. Every cell is checked: ranks and steps are whole numbers from 1,
/// the strata and record ids are not empty, the role is `official` or `reserve`, the outcome
/// is one that is replaced, the official's own contact is step 1 of its own place, and the
/// replacing reserve has both a rank and a record id or neither.
pub fn read(path: &Path) -> Result<Vec<Row>> {
    let csv = Csv::open(path, &COLUMNS, &[])?;
    csv.rows(|f| {
        let stratum = f.code("stratum")?;
        let official_rank = from_one(f, "official_rank")?;
        let official_record_id = f.code("official_record_id")?;
        let step_text = f.text("step");
        let step = u32::try_from(from_one(f, "step")?)
            .map_err(|_| f.err("step", &step_text, "expected a whole number from 1"))?;
        let role = f.text("role");
        if role != Role::Official.as_str() && role != Role::Reserve.as_str() {
            return Err(f.err("role", &role, "expected `official` or `reserve`"));
        }
        let rank = from_one(f, "rank")?;
        let record_id = f.code("record_id")?;
        let outcome = f.text("outcome");
        if !Disposition::ALL
            .iter()
            .any(|d| !d.is_respondent() && d.as_str() == outcome)
        {
            return Err(f.err(
                "outcome",
                &outcome,
                "expected `refusal`, `non_contact` or `ineligible` (a respondent is not replaced)",
            ));
        }
        let by_rank = f.text("replaced_by_reserve_rank");
        let replaced_by_reserve_rank = if by_rank.is_empty() {
            None
        } else {
            Some(from_one(f, "replaced_by_reserve_rank")?)
        };
        let by_id = f.text("replaced_by_record_id");
        if replaced_by_reserve_rank.is_some() == by_id.is_empty() {
            return Err(f.err(
                "replaced_by_record_id",
                &by_id,
                "the replacing reserve's rank and record id are given together, or both left \
                 empty when no reserve was left",
            ));
        }
        let official = role == Role::Official.as_str();
        if official != (step == 1) {
            return Err(f.err(
                "step",
                &step_text,
                "step 1 is the official's own contact and the reserves come at step 2 or later",
            ));
        }
        if official && rank != official_rank {
            return Err(f.err(
                "rank",
                &f.text("rank"),
                &format!("an official fills their own place, of rank {official_rank}"),
            ));
        }
        Ok(Row {
            stratum,
            official_rank,
            official_record_id,
            step,
            role,
            rank,
            record_id,
            outcome,
            replaced_by_reserve_rank,
            replaced_by_record_id: (!by_id.is_empty()).then_some(by_id),
            row: f.row,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fieldwork::{Fieldwork, Outcome, Person, StratumLists, walk};

    fn person(prefix: &str, rank: u64) -> Person {
        Person::example(prefix, rank)
    }

    /// Official 2 of XA01 is not reached and reserve 1 refuses: reserve 2 answers in their
    /// place. In XB02 official 1 is ineligible and no reserve is left.
    fn fieldwork() -> Fieldwork {
        let lists = vec![
            StratumLists::new(
                "XA01".into(),
                (1..=3).map(|r| person("", r)).collect(),
                (1..=2).map(|r| person("R", r)).collect(),
            )
            .unwrap(),
            StratumLists::new("XB02".into(), vec![person("B", 1)], vec![]).unwrap(),
        ];
        walk(lists, |s, role, p| {
            Outcome::of(match (s, role, p.rank) {
                ("XA01", Role::Official, 2) => Disposition::NonContact,
                ("XA01", Role::Reserve, 1) => Disposition::Refusal,
                ("XB02", _, _) => Disposition::Ineligible,
                _ => Disposition::Complete,
            })
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        row: u64,
        stratum: &str,
        official: (u64, &str),
        step: u32,
        role: &str,
        failed: (u64, &str),
        outcome: &str,
        by: Option<(u64, &str)>,
    ) -> Row {
        Row {
            stratum: stratum.into(),
            official_rank: official.0,
            official_record_id: official.1.into(),
            step,
            role: role.into(),
            rank: failed.0,
            record_id: failed.1.into(),
            outcome: outcome.into(),
            replaced_by_reserve_rank: by.map(|b| b.0),
            replaced_by_record_id: by.map(|b| b.1.into()),
            row,
        }
    }

    #[test]
    fn the_log_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("substitutions.csv");
        std::fs::write(&path, fieldwork().substitutions_csv()).unwrap();
        let rows = read(&path).unwrap();
        assert_eq!(
            rows,
            [
                row(
                    2,
                    "XA01",
                    (2, "HS-2"),
                    1,
                    "official",
                    (2, "HS-2"),
                    "non_contact",
                    Some((1, "HS-R1"))
                ),
                row(
                    3,
                    "XA01",
                    (2, "HS-2"),
                    2,
                    "reserve",
                    (1, "HS-R1"),
                    "refusal",
                    Some((2, "HS-R2"))
                ),
                row(
                    4,
                    "XB02",
                    (1, "HS-B1"),
                    1,
                    "official",
                    (1, "HS-B1"),
                    "ineligible",
                    None
                ),
            ]
        );
    }

    #[test]
    fn extra_columns_are_ignored_and_bad_cells_named() {
        let dir = tempfile::tempdir().unwrap();
        let written = String::from_utf8(fieldwork().substitutions_csv()).unwrap();
        // The file starts with the byte-order mark, which a column put in front moves along.
        let extra: String = written
            .strip_prefix('\u{feff}')
            .expect("substitutions.csv starts with the byte-order mark")
            .lines()
            .enumerate()
            .map(|(i, l)| format!("{},{l}\n", if i == 0 { "note" } else { "x" }))
            .collect();
        let path = dir.path().join("extra.csv");
        std::fs::write(&path, &extra).unwrap();
        assert_eq!(read(&path).unwrap().len(), 3);

        let bad = written.replacen("refusal", "complete", 1);
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, &bad).unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(
            e.contains("bad.csv") && e.contains("row 3") && e.contains("`outcome`"),
            "{e}"
        );
        assert!(e.contains("\"complete\""), "{e}");
    }
}
