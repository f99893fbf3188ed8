//! The PAR INDEX files `par.csv`, `par_fields.csv` and `par_criteria.csv`, written together
//! by `chiso par` (with [`crate::par`], next to `par.json`); `par.csv` and `par_fields.csv`
//! are read by `chiso report --par`. Numbers are written at full precision; indices are on
//! 0–100.
//!
//! `par.csv` ([`COLUMNS`]), one row per unit, ordered by group, rank and code: `unit_code`,
//! `unit_name`, `unit_group` (the ranking group), `points` (achieved), `max_points` (of the
//! scored items that apply to the unit's group), `index` (`100 · points / max_points`),
//! `std_error` (of the index, from the survey items), `ci_lower`, `ci_upper` (its normal
//! interval, cut to 0–100), `rank` (1 = highest in the group; ties share the best rank),
//! `rank_lower`, `rank_upper` (the rank interval: the best and worst plausible ranks) and
//! `group_size` (units in the group).
//!
//! `par_fields.csv` ([`FIELD_COLUMNS`]), one row per unit and field: `unit_code`, `field` (the
//! field's code), `field_name`, `points` and `max_points` (of the field's items that apply;
//! `0, 0` when none does).
//!
//! `par_criteria.csv` ([`CRITERION_COLUMNS`]), one row per unit and applicable scored item:
//! `unit_code`, `criterion` (the item's code), `field` (its field's code), `source` (`self` or
//! `survey`), `self_score`, `appraised_score` (from the scores file; empty when not given),
//! `survey_estimate`, `survey_std_error` (the survey item's estimate in `indices.csv` and its
//! standard error; empty for a self-assessed item), `points`, `points_std_error` (0 for a
//! self-assessed item), `max_points` and `note` (the scores file's note). No command reads it
//! back: it is what the appraisal council and auditors check.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::files::fields::Csv;

/// A unit's points in one field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldPoints {
    /// The field's code.
    pub field: String,
    /// The field's name.
    pub field_name: String,
    /// Points achieved.
    pub points: f64,
    /// Maximum points of the field's items that apply to the unit.
    pub max_points: f64,
}

/// A unit's points on one scored item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriterionPoints {
    /// The item's code.
    pub criterion: String,
    /// Its field's code.
    pub field: String,
    /// `self` or `survey`.
    pub source: &'static str,
    /// The self-assessed score.
    pub self_score: Option<f64>,
    /// The appraised score.
    pub appraised_score: Option<f64>,
    /// The survey estimate (indices.csv `estimate`).
    pub survey_estimate: Option<f64>,
    /// Its standard error.
    pub survey_std_error: Option<f64>,
    /// Points achieved.
    pub points: f64,
    /// Standard error of the points (0 for self-assessed items).
    pub points_std_error: f64,
    /// The item's maximum.
    pub max_points: f64,
    /// The scores file's note.
    pub note: String,
}

/// One unit's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitResult {
    /// The unit's code.
    pub unit_code: String,
    /// Its name.
    pub unit_name: String,
    /// Its group.
    pub unit_group: String,
    /// Points achieved.
    pub points: f64,
    /// Maximum points of the items that apply to it.
    pub max_points: f64,
    /// `100 · points / max_points`.
    pub index: f64,
    /// Standard error of the index (from the survey items).
    pub std_error: f64,
    /// Lower end of the normal interval, cut at 0.
    pub ci_lower: f64,
    /// Upper end of the normal interval, cut at 100.
    pub ci_upper: f64,
    /// Rank in its group (1 = highest; ties share the best rank).
    pub rank: u32,
    /// Lower end of the rank interval (the better rank).
    pub rank_lower: u32,
    /// Upper end of the rank interval.
    pub rank_upper: u32,
    /// Units in its group.
    pub group_size: u32,
    /// Points per field, in framework order.
    pub fields: Vec<FieldPoints>,
    /// Points per applicable scored item, in framework order.
    pub criteria: Vec<CriterionPoints>,
}

/// The columns of `par.csv`, in order.
pub const COLUMNS: [&str; 13] = [
    "unit_code",
    "unit_name",
    "unit_group",
    "points",
    "max_points",
    "index",
    "std_error",
    "ci_lower",
    "ci_upper",
    "rank",
    "rank_lower",
    "rank_upper",
    "group_size",
];

/// The columns of `par.csv` a reader needs: the unit, its group, its points and its index.
pub const REQUIRED: [&str; 5] = ["unit_code", "unit_group", "points", "max_points", "index"];

/// The columns of `par_fields.csv`, in order.
pub const FIELD_COLUMNS: [&str; 5] = ["unit_code", "field", "field_name", "points", "max_points"];

/// The columns of `par_fields.csv` a reader needs: the unit, the field and its points.
pub const FIELD_REQUIRED: [&str; 4] = ["unit_code", "field", "points", "max_points"];

/// The columns of `par_criteria.csv`, in order.
pub const CRITERION_COLUMNS: [&str; 12] = [
    "unit_code",
    "criterion",
    "field",
    "source",
    "self_score",
    "appraised_score",
    "survey_estimate",
    "survey_std_error",
    "points",
    "points_std_error",
    "max_points",
    "note",
];

fn num(v: f64) -> String {
    format!("{v}")
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = crate::output::csv_writer();
    w.write_record(header).expect("memory");
    for r in rows {
        w.write_record(&r).expect("memory");
    }
    w.into_inner().expect("memory")
}

/// The bytes of `par.csv` for `units`.
pub fn to_csv(units: &[UnitResult]) -> Vec<u8> {
    csv_bytes(
        &COLUMNS,
        units.iter().map(|u| {
            vec![
                u.unit_code.clone(),
                u.unit_name.clone(),
                u.unit_group.clone(),
                num(u.points),
                num(u.max_points),
                num(u.index),
                num(u.std_error),
                num(u.ci_lower),
                num(u.ci_upper),
                u.rank.to_string(),
                u.rank_lower.to_string(),
                u.rank_upper.to_string(),
                u.group_size.to_string(),
            ]
        }),
    )
}

/// The bytes of `par_fields.csv` for `units`.
pub fn fields_csv(units: &[UnitResult]) -> Vec<u8> {
    csv_bytes(
        &FIELD_COLUMNS,
        units.iter().flat_map(|u| {
            u.fields.iter().map(|f| {
                vec![
                    u.unit_code.clone(),
                    f.field.clone(),
                    f.field_name.clone(),
                    num(f.points),
                    num(f.max_points),
                ]
            })
        }),
    )
}

/// The bytes of `par_criteria.csv` for `units`.
pub fn criteria_csv(units: &[UnitResult]) -> Vec<u8> {
    csv_bytes(
        &CRITERION_COLUMNS,
        units.iter().flat_map(|u| {
            u.criteria.iter().map(|c| {
                vec![
                    u.unit_code.clone(),
                    c.criterion.clone(),
                    c.field.clone(),
                    c.source.to_string(),
                    opt(c.self_score),
                    opt(c.appraised_score),
                    opt(c.survey_estimate),
                    opt(c.survey_std_error),
                    num(c.points),
                    num(c.points_std_error),
                    num(c.max_points),
                    c.note.clone(),
                ]
            })
        }),
    )
}

/// One row of `par.csv` as read back: a unit's PAR INDEX.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitEntry {
    /// The unit code.
    pub unit_code: String,
    /// The unit's display name.
    pub unit_name: String,
    /// The ranking group.
    pub unit_group: String,
    /// Points achieved.
    pub points: Option<f64>,
    /// Maximum points of the criteria that apply.
    pub max_points: Option<f64>,
    /// The index, 0–100.
    pub index: Option<f64>,
    /// Its standard error (from the survey part).
    pub std_error: Option<f64>,
    /// Lower end of the interval.
    pub ci_lower: Option<f64>,
    /// Upper end of the interval.
    pub ci_upper: Option<f64>,
    /// Rank, 1 = best in the group.
    pub rank: Option<u64>,
    /// Best plausible rank.
    pub rank_lower: Option<u64>,
    /// Worst plausible rank.
    pub rank_upper: Option<u64>,
    /// Units in the group.
    pub group_size: Option<u64>,
}

/// One row of `par_fields.csv` as read back: a unit's points in one field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldEntry {
    /// The unit code.
    pub unit_code: String,
    /// The field's code.
    pub field: String,
    /// The field's name.
    pub field_name: String,
    /// Points achieved.
    pub points: Option<f64>,
    /// Maximum points.
    pub max_points: Option<f64>,
}

/// Reads `par.csv` by column name: [`REQUIRED`] must be there, the other agreed columns are
/// read when present, and any other column is ignored. Every cell is checked (numbers,
/// intervals in order, ranks within their interval's order and the group's size).
pub fn read(path: &Path) -> Result<Vec<UnitEntry>> {
    let csv = Csv::agreed(path, &COLUMNS, &REQUIRED)?;
    csv.rows(|f| {
        let (ci_lower, ci_upper) = f.interval("ci_lower", "ci_upper")?;
        let (rank, rank_lower, rank_upper, group_size) = f.rank_interval()?;
        Ok(UnitEntry {
            unit_code: f.code("unit_code")?,
            unit_name: f.text("unit_name"),
            unit_group: f.code("unit_group")?,
            points: f.number("points")?,
            max_points: f.number("max_points")?,
            index: f.number("index")?,
            std_error: f.number("std_error")?,
            ci_lower,
            ci_upper,
            rank,
            rank_lower,
            rank_upper,
            group_size,
        })
    })
}

/// Reads `par_fields.csv` by column name: [`FIELD_REQUIRED`] must be there, `field_name` is
/// read when present, and any other column is ignored.
pub fn read_fields(path: &Path) -> Result<Vec<FieldEntry>> {
    let csv = Csv::agreed(path, &FIELD_COLUMNS, &FIELD_REQUIRED)?;
    csv.rows(|f| {
        Ok(FieldEntry {
            unit_code: f.code("unit_code")?,
            field: f.code("field")?,
            field_name: f.text("field_name"),
            points: f.number("points")?,
            max_points: f.number("max_points")?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let unit = UnitResult {
            unit_code: "X01".into(),
            unit_name: "Xã Một".into(),
            unit_group: "xa".into(),
            points: 72.5,
            max_points: 90.0,
            index: 100.0 * 72.5 / 90.0,
            std_error: 1.25,
            ci_lower: 78.1,
            ci_upper: 83.0,
            rank: 1,
            rank_lower: 1,
            rank_upper: 2,
            group_size: 2,
            fields: vec![FieldPoints {
                field: "F1".into(),
                field_name: "Chỉ đạo, điều hành".into(),
                points: 7.5,
                max_points: 10.0,
            }],
            criteria: vec![CriterionPoints {
                criterion: "1.1".into(),
                field: "F1".into(),
                source: "self",
                self_score: Some(2.0),
                appraised_score: None,
                survey_estimate: None,
                survey_std_error: None,
                points: 2.0,
                points_std_error: 0.0,
                max_points: 2.0,
                note: "biên bản, số 3".into(),
            }],
        };
        let result = vec![unit.clone()];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("par.csv");
        std::fs::write(&path, to_csv(&result)).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].unit_name, "Xã Một");
        assert_eq!(back[0].index, Some(unit.index));
        assert_eq!(
            (back[0].rank, back[0].rank_lower, back[0].rank_upper),
            (Some(1), Some(1), Some(2))
        );
        assert_eq!(back[0].group_size, Some(2));
        let path = dir.path().join("par_fields.csv");
        std::fs::write(&path, fields_csv(&result)).unwrap();
        let fields = read_fields(&path).unwrap();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].field_name, "Chỉ đạo, điều hành");
        assert_eq!(
            (fields[0].points, fields[0].max_points),
            (Some(7.5), Some(10.0))
        );
        let criteria = String::from_utf8(criteria_csv(&result)).unwrap();
        let mut lines = criteria.lines();
        assert_eq!(lines.next(), Some(CRITERION_COLUMNS.join(",").as_str()));
        assert_eq!(
            lines.next(),
            Some("X01,1.1,F1,self,2,,,,2,0,2,\"biên bản, số 3\"")
        );
    }
}
