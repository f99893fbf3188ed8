//! `flags.csv`: every unit, then every officer, compared with the dissatisfaction threshold;
//! written by `chiso index` (with [`crate::flags`]), read by `chiso report`.
//!
//! Columns, in order: `level` (`unit` or `officer`), `domain` (the unit; an officer's unit for
//! an officer), `officer_id` (empty for a unit), `unit_group` (empty when unknown),
//! `indicator` (`overall`), `dissatisfied_pct` (the share dissatisfied, percent on 0–100),
//! `std_error`, `ci_lower`, `ci_upper` (its standard error and interval; empty where there
//! is no estimate), `n` (answers used), `threshold_pct` (the threshold, percent), and three
//! `true`/`false` columns: `above` (the estimate is above the threshold), `certain` (the
//! whole interval is) and `imprecise` (too few answers or too wide an interval). Numbers are
//! written at full precision.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::files::fields::Csv;
use crate::output::cell;

/// Whether a flag row is a unit's or an officer's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A unit (đơn vị).
    Unit,
    /// An officer (CBCC) within a unit.
    Officer,
}

impl Level {
    /// `unit` or `officer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Unit => "unit",
            Level::Officer => "officer",
        }
    }
}

/// One row of `flags.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlagRow {
    /// Unit or officer.
    pub level: Level,
    /// The unit code (an officer's unit for an officer).
    pub domain: String,
    /// The officer's id; empty for a unit.
    pub officer_id: String,
    /// The unit's group; empty when unknown.
    pub unit_group: String,
    /// The indicator (`overall`).
    pub indicator: String,
    /// Estimated share dissatisfied (percent).
    pub dissatisfied_pct: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// Lower end of its interval.
    pub ci_lower: Option<f64>,
    /// Upper end of its interval.
    pub ci_upper: Option<f64>,
    /// Answers used.
    pub n: u64,
    /// The threshold (percent).
    pub threshold_pct: f64,
    /// The estimate is above the threshold.
    pub above: bool,
    /// The whole interval is above the threshold.
    pub certain: bool,
    /// Too few answers or too wide an interval.
    pub imprecise: bool,
}

/// The columns of `flags.csv`, in order.
pub const COLUMNS: [&str; 14] = [
    "level",
    "domain",
    "officer_id",
    "unit_group",
    "indicator",
    "dissatisfied_pct",
    "std_error",
    "ci_lower",
    "ci_upper",
    "n",
    "threshold_pct",
    "above",
    "certain",
    "imprecise",
];

/// The columns a reader needs: which unit or officer, which indicator, the share, the answers
/// it rests on and whether it is above the threshold.
pub const REQUIRED: [&str; 6] = [
    "level",
    "domain",
    "indicator",
    "dissatisfied_pct",
    "n",
    "above",
];

/// The bytes of `flags.csv` for `rows`.
pub fn to_csv(rows: &[FlagRow]) -> Vec<u8> {
    let mut w = crate::output::csv_writer();
    w.write_record(COLUMNS).expect("memory");
    for r in rows {
        w.write_record([
            r.level.as_str(),
            &r.domain,
            &r.officer_id,
            &r.unit_group,
            &r.indicator,
            &cell(r.dissatisfied_pct),
            &cell(r.std_error),
            &cell(r.ci_lower),
            &cell(r.ci_upper),
            &r.n.to_string(),
            &format!("{}", r.threshold_pct),
            bool_str(r.above),
            bool_str(r.certain),
            bool_str(r.imprecise),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// One row of `flags.csv` as read back: a unit or officer compared with the dissatisfaction
/// threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// `unit` or `officer`.
    pub level: String,
    /// The unit (for an officer, the officer's unit).
    pub domain: String,
    /// The officer's code (officers only).
    pub officer_id: Option<String>,
    /// The unit's group.
    pub unit_group: Option<String>,
    /// The indicator compared.
    pub indicator: String,
    /// Share dissatisfied, percent.
    pub dissatisfied_pct: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// Lower end of the interval.
    pub ci_lower: Option<f64>,
    /// Upper end of the interval.
    pub ci_upper: Option<f64>,
    /// Answers used.
    pub n: u64,
    /// The threshold, percent.
    pub threshold_pct: Option<f64>,
    /// The estimate is above the threshold.
    pub above: Option<bool>,
    /// The whole interval is above the threshold.
    pub certain: Option<bool>,
    /// Too few answers or too wide an interval.
    pub imprecise: Option<bool>,
}

/// Reads `flags.csv` by column name: [`REQUIRED`] must be there, the other agreed columns are
/// read when present, and any other column is ignored. Every cell is checked (the level, an
/// officer's code on an officer's row, shares on 0–100, intervals in order, counts, flags).
pub fn read(path: &Path) -> Result<Vec<Entry>> {
    let csv = Csv::agreed(path, &COLUMNS, &REQUIRED)?;
    csv.rows(|f| {
        let level = f.code("level")?;
        let officer_id = Some(f.text("officer_id")).filter(|o| !o.is_empty());
        match level.as_str() {
            "unit" => {}
            "officer" if officer_id.is_none() => {
                return Err(f.err(
                    "officer_id",
                    "",
                    "an officer's row needs the officer's code",
                ));
            }
            "officer" => {}
            other => return Err(f.err("level", other, "expected `unit` or `officer`")),
        }
        let (ci_lower, ci_upper) = f.interval("ci_lower", "ci_upper")?;
        Ok(Entry {
            level,
            domain: f.code("domain")?,
            officer_id,
            unit_group: Some(f.text("unit_group")).filter(|g| !g.is_empty()),
            indicator: f.code("indicator")?,
            dissatisfied_pct: f.percent("dissatisfied_pct")?,
            std_error: f.number("std_error")?,
            ci_lower,
            ci_upper,
            n: f.required_count("n")?,
            threshold_pct: f.percent("threshold_pct")?,
            above: f.flag("above")?,
            certain: f.flag("certain")?,
            imprecise: f.flag("imprecise")?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::Level;
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let unit = FlagRow {
            level: Level::Unit,
            domain: "U1".into(),
            officer_id: String::new(),
            unit_group: "xa".into(),
            indicator: "overall".into(),
            dissatisfied_pct: Some(31.25),
            std_error: Some(2.5),
            ci_lower: Some(26.0),
            ci_upper: Some(36.5),
            n: 120,
            threshold_pct: 25.0,
            above: true,
            certain: true,
            imprecise: false,
        };
        let officer = FlagRow {
            level: Level::Officer,
            officer_id: "CB7".into(),
            dissatisfied_pct: None,
            std_error: None,
            ci_lower: None,
            ci_upper: None,
            n: 0,
            above: false,
            certain: false,
            imprecise: true,
            ..unit.clone()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flags.csv");
        std::fs::write(&path, to_csv(&[unit, officer])).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].level, "unit");
        assert_eq!(back[0].officer_id, None);
        assert_eq!(back[0].unit_group.as_deref(), Some("xa"));
        assert_eq!(back[0].dissatisfied_pct, Some(31.25));
        assert_eq!(
            (back[0].ci_lower, back[0].ci_upper),
            (Some(26.0), Some(36.5))
        );
        assert_eq!(back[0].n, 120);
        assert_eq!(back[0].threshold_pct, Some(25.0));
        assert_eq!(
            (back[0].above, back[0].certain, back[0].imprecise),
            (Some(true), Some(true), Some(false))
        );
        assert_eq!(back[1].level, "officer");
        assert_eq!(back[1].officer_id.as_deref(), Some("CB7"));
        assert_eq!(back[1].dissatisfied_pct, None);
        assert_eq!(back[1].imprecise, Some(true));
    }
}
