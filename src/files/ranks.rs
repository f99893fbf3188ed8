//! `ranks.csv`: the units ranked within their group, with rank intervals; written by
//! `chiso index` (with [`crate::ranks`]), read by `chiso report`.
//!
//! Columns, in order: `unit_group` (the group ranked within; empty when the units' groups are
//! unknown), `domain` (the unit code), `unit_name` (empty when unknown), `indicator`
//! (`overall` or `element:<code>`), `measure` (`satisfied_pct`), `estimate`, `ci_lower`,
//! `ci_upper` (percent; empty where there is no estimate), `n` (answers used), `rank` (1 =
//! best in the group; empty for a unit without an estimate), `rank_lower`, `rank_upper` (the
//! best and worst plausible ranks), `group_size` (units ranked in the group) and `imprecise`
//! (`true`/`false`: too imprecise to rank as if exact). Numbers are written at full
//! precision.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::files::fields::Csv;
use crate::output::cell;

/// One row of `ranks.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankRow {
    /// The group ranked within (empty when the unit's group is unknown).
    pub unit_group: String,
    /// The unit code.
    pub domain: String,
    /// The unit's name (empty when unknown).
    pub unit_name: String,
    /// `overall` or `element:<code>`.
    pub indicator: String,
    /// `satisfied_pct`.
    pub measure: &'static str,
    /// The estimate (percent).
    pub estimate: Option<f64>,
    /// Lower end of its interval.
    pub ci_lower: Option<f64>,
    /// Upper end of its interval.
    pub ci_upper: Option<f64>,
    /// Answers used.
    pub n: u64,
    /// Rank of the estimate (1 = best); `None` without an estimate.
    pub rank: Option<u32>,
    /// Lower end of the rank interval (the best plausible rank).
    pub rank_lower: Option<u32>,
    /// Upper end of the rank interval (the worst plausible rank).
    pub rank_upper: Option<u32>,
    /// Units ranked in the group for this indicator.
    pub group_size: u32,
    /// The estimate is imprecise (see [`crate::flags::FlagSettings::imprecise`]).
    pub imprecise: bool,
}

/// The columns of `ranks.csv`, in order.
pub const COLUMNS: [&str; 14] = [
    "unit_group",
    "domain",
    "unit_name",
    "indicator",
    "measure",
    "estimate",
    "ci_lower",
    "ci_upper",
    "n",
    "rank",
    "rank_lower",
    "rank_upper",
    "group_size",
    "imprecise",
];

/// The columns a reader needs: the group, the unit, what is ranked, the estimate and its
/// rank.
pub const REQUIRED: [&str; 6] = [
    "unit_group",
    "domain",
    "indicator",
    "measure",
    "estimate",
    "rank",
];

/// The bytes of `ranks.csv` for `rows`.
pub fn to_csv(rows: &[RankRow]) -> Vec<u8> {
    let mut w = crate::output::csv_writer();
    w.write_record(COLUMNS).expect("memory");
    for r in rows {
        w.write_record([
            r.unit_group.as_str(),
            &r.domain,
            &r.unit_name,
            &r.indicator,
            r.measure,
            &cell(r.estimate),
            &cell(r.ci_lower),
            &cell(r.ci_upper),
            &r.n.to_string(),
            &cell(r.rank),
            &cell(r.rank_lower),
            &cell(r.rank_upper),
            &r.group_size.to_string(),
            if r.imprecise { "true" } else { "false" },
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// One row of `ranks.csv` as read back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The ranking group (`so`, `xa`, …).
    pub unit_group: String,
    /// The unit code.
    pub domain: String,
    /// The unit's display name.
    pub unit_name: String,
    /// The indicator ranked.
    pub indicator: String,
    /// The measure ranked.
    pub measure: String,
    /// The estimate.
    pub estimate: Option<f64>,
    /// Lower end of the interval.
    pub ci_lower: Option<f64>,
    /// Upper end of the interval.
    pub ci_upper: Option<f64>,
    /// Answers used.
    pub n: u64,
    /// Rank, 1 = best in the group (empty when not ranked).
    pub rank: Option<u64>,
    /// Best plausible rank.
    pub rank_lower: Option<u64>,
    /// Worst plausible rank.
    pub rank_upper: Option<u64>,
    /// Units in the group.
    pub group_size: Option<u64>,
    /// Too imprecise to rank as if exact.
    pub imprecise: Option<bool>,
}

/// Reads `ranks.csv` by column name: [`REQUIRED`] must be there, the other agreed columns are
/// read when present, and any other column is ignored. Every cell is checked (numbers,
/// intervals in order, ranks within their interval's order and the group's size, flags).
pub fn read(path: &Path) -> Result<Vec<Entry>> {
    let csv = Csv::agreed(path, &COLUMNS, &REQUIRED)?;
    csv.rows(|f| {
        let (ci_lower, ci_upper) = f.interval("ci_lower", "ci_upper")?;
        let (rank, rank_lower, rank_upper, group_size) = f.rank_interval()?;
        Ok(Entry {
            // Empty when the units' groups are not known (one group of every unit).
            unit_group: f.text("unit_group"),
            domain: f.code("domain")?,
            unit_name: f.text("unit_name"),
            indicator: f.code("indicator")?,
            measure: f.code("measure")?,
            estimate: f.number("estimate")?,
            ci_lower,
            ci_upper,
            n: f.count("n")?.unwrap_or(0),
            rank,
            rank_lower,
            rank_upper,
            group_size,
            imprecise: f.flag("imprecise")?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let ranked = RankRow {
            unit_group: "xa".into(),
            domain: "X01".into(),
            unit_name: "Xã Một".into(),
            indicator: "overall".into(),
            measure: "satisfied_pct",
            estimate: Some(91.5),
            ci_lower: Some(88.0),
            ci_upper: Some(94.25),
            n: 140,
            rank: Some(2),
            rank_lower: Some(1),
            rank_upper: Some(3),
            group_size: 3,
            imprecise: false,
        };
        let unranked = RankRow {
            domain: "X02".into(),
            unit_name: String::new(),
            estimate: None,
            ci_lower: None,
            ci_upper: None,
            n: 0,
            rank: None,
            rank_lower: None,
            rank_upper: None,
            imprecise: true,
            ..ranked.clone()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ranks.csv");
        std::fs::write(&path, to_csv(&[ranked, unranked])).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].unit_name, "Xã Một");
        assert_eq!(back[0].measure, "satisfied_pct");
        assert_eq!(back[0].estimate, Some(91.5));
        assert_eq!(
            (back[0].rank, back[0].rank_lower, back[0].rank_upper),
            (Some(2), Some(1), Some(3))
        );
        assert_eq!(back[0].group_size, Some(3));
        assert_eq!(back[0].imprecise, Some(false));
        assert_eq!(back[1].rank, None);
        assert_eq!(back[1].estimate, None);
        assert_eq!(back[1].imprecise, Some(true));
    }
}
