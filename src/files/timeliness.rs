//! `timeliness.csv`: the records returned early, on time and late, for the whole file, every
//! unit and every officer; written by `chiso timeliness` (with [`crate::timeliness`]), read by
//! `chiso report --timeliness`.
//!
//! Columns, in order: `level` (`all`, `unit` or `officer`), `domain` (`ALL` or the unit code;
//! an officer's unit for an officer), `officer_id` (empty but for an officer), `records` (the
//! records classified: early + on time + late, the shares' denominator), `early`, `on_time`,
//! `late` (the counts), `early_pct`, `on_time_pct`, `late_pct` (the shares, percent on 0–100;
//! empty when no record is classified), `late_ceiling_pct` (the ceiling on late records,
//! percent), `above_ceiling` (`true`/`false`: the late share is above the ceiling; empty when
//! no record is classified), `no_due_date` (returned records without a due date) and
//! `not_returned` (records not returned), neither of which is classified. Numbers are
//! written at full precision.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::files::fields::Csv;
use crate::output::cell;

/// Counts of one unit, officer or of the whole file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Records classified (early + on time + late): the denominator of the shares.
    pub records: u64,
    /// Returned before the due date.
    pub early: u64,
    /// Returned on the due date.
    pub on_time: u64,
    /// Returned after the due date.
    pub late: u64,
    /// Returned, but without a due date: not classified.
    pub no_due_date: u64,
    /// Not returned: not classified.
    pub not_returned: u64,
}

/// One row of `timeliness.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelinessRow {
    /// `all`, `unit` or `officer`.
    pub level: &'static str,
    /// `ALL` or the unit code (an officer's unit for an officer).
    pub domain: String,
    /// The officer's id; empty for a unit or the whole file.
    pub officer_id: String,
    /// The counts.
    pub tally: Tally,
    /// Whether the late share is above the ceiling; `None` when no record is classified.
    pub above_ceiling: Option<bool>,
}

/// The columns of `timeliness.csv`, in order.
pub const COLUMNS: [&str; 14] = [
    "level",
    "domain",
    "officer_id",
    "records",
    "early",
    "on_time",
    "late",
    "early_pct",
    "on_time_pct",
    "late_pct",
    "late_ceiling_pct",
    "above_ceiling",
    "no_due_date",
    "not_returned",
];

/// The columns a reader needs: which unit or officer, and its counts.
pub const REQUIRED: [&str; 6] = ["level", "domain", "records", "early", "on_time", "late"];

/// The bytes of `timeliness.csv` for `rows`, judged against the late ceiling
/// `late_ceiling_pct`.
pub fn to_csv(rows: &[TimelinessRow], late_ceiling_pct: f64) -> Vec<u8> {
    let mut w = crate::output::csv_writer();
    w.write_record(COLUMNS).expect("memory");
    for r in rows {
        let tally = &r.tally;
        w.write_record([
            r.level,
            &r.domain,
            &r.officer_id,
            &tally.records.to_string(),
            &tally.early.to_string(),
            &tally.on_time.to_string(),
            &tally.late.to_string(),
            &cell(tally.pct(tally.early)),
            &cell(tally.pct(tally.on_time)),
            &cell(tally.pct(tally.late)),
            &format!("{late_ceiling_pct}"),
            match r.above_ceiling {
                Some(true) => "true",
                Some(false) => "false",
                None => "",
            },
            &tally.no_due_date.to_string(),
            &tally.not_returned.to_string(),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// One row of `timeliness.csv` as read back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// `unit`, `officer` (or a wider level such as the province).
    pub level: String,
    /// The unit code (or `ALL`).
    pub domain: String,
    /// The officer's code (officers only).
    pub officer_id: Option<String>,
    /// Records counted.
    pub records: u64,
    /// Returned before the due date.
    pub early: u64,
    /// Returned on the due date.
    pub on_time: u64,
    /// Returned after the due date.
    pub late: u64,
    /// Percent early.
    pub early_pct: Option<f64>,
    /// Percent on time.
    pub on_time_pct: Option<f64>,
    /// Percent late.
    pub late_pct: Option<f64>,
    /// The ceiling on late records, percent.
    pub late_ceiling_pct: Option<f64>,
    /// Late share above the ceiling.
    pub above_ceiling: Option<bool>,
}

/// Reads `timeliness.csv` by column name: [`REQUIRED`] must be there, the other agreed
/// columns are read when present, and any other column is ignored. Every cell is checked
/// (counts, early + on time + late not above the records counted, shares on 0–100, flags).
pub fn read(path: &Path) -> Result<Vec<Entry>> {
    let csv = Csv::agreed(path, &COLUMNS, &REQUIRED)?;
    csv.rows(|f| {
        let records = f.required_count("records")?;
        let early = f.required_count("early")?;
        let on_time = f.required_count("on_time")?;
        let late = f.required_count("late")?;
        if early + on_time + late > records {
            return Err(f.err(
                "records",
                &records.to_string(),
                &format!(
                    "early + on_time + late = {} is more than the records counted",
                    early + on_time + late
                ),
            ));
        }
        Ok(Entry {
            level: f.code("level")?,
            domain: f.code("domain")?,
            officer_id: Some(f.text("officer_id")).filter(|o| !o.is_empty()),
            records,
            early,
            on_time,
            late,
            early_pct: f.percent("early_pct")?,
            on_time_pct: f.percent("on_time_pct")?,
            late_pct: f.percent("late_pct")?,
            late_ceiling_pct: f.percent("late_ceiling_pct")?,
            above_ceiling: f.flag("above_ceiling")?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeliness::{RowCounts, Timeliness, TimelinessSettings};

    #[test]
    fn what_is_written_reads_back() {
        let tally = Tally {
            records: 4,
            early: 1,
            on_time: 2,
            late: 1,
            no_due_date: 1,
            not_returned: 2,
        };
        let t = Timeliness {
            settings: TimelinessSettings::default(),
            window: None,
            counts: RowCounts::default(),
            rows: vec![
                TimelinessRow {
                    level: "all",
                    domain: "ALL".into(),
                    officer_id: String::new(),
                    tally,
                    above_ceiling: Some(true),
                },
                TimelinessRow {
                    level: "officer",
                    domain: "XA01".into(),
                    officer_id: "CB1".into(),
                    tally: Tally::default(),
                    above_ceiling: None,
                },
            ],
            rejections: Vec::new(),
            received: Default::default(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timeliness.csv");
        std::fs::write(&path, t.to_csv()).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(
            (back[0].level.as_str(), back[0].domain.as_str()),
            ("all", "ALL")
        );
        assert_eq!(back[0].officer_id, None);
        assert_eq!(
            (
                back[0].records,
                back[0].early,
                back[0].on_time,
                back[0].late
            ),
            (4, 1, 2, 1)
        );
        assert_eq!(back[0].on_time_pct, Some(50.0));
        assert_eq!(back[0].late_ceiling_pct, Some(2.0));
        assert_eq!(back[0].above_ceiling, Some(true));
        assert_eq!(back[1].officer_id.as_deref(), Some("CB1"));
        assert_eq!(back[1].late_pct, None);
        assert_eq!(back[1].above_ceiling, None);
    }
}
