//! `comparison.csv`: the change of every estimate between two index runs, one row per
//! domain × indicator × measure present in both; written by `chiso compare` (with
//! [`crate::compare`]), read back by [`read`].
//!
//! Columns, in order: `domain`, `indicator`, `measure` (as in `indices.csv`), `previous` and
//! `current` (the two runs' estimates: shares on 0–100, mean scores on the scale; empty where
//! a run has no estimate), `difference` (`current − previous`, in percentage points for
//! shares; empty unless both estimates are there), `std_error` (`sqrt(se_prev² + se_cur²)`,
//! the two samples taken as independent; empty unless both standard errors are there),
//! `ci_lower`, `ci_upper` (`difference ∓ z·std_error`, `z` the normal quantile at
//! `1 − α/2`; empty with `std_error`) and `significant` (`true` when the interval excludes 0,
//! `false` when it holds 0, empty when there is no interval). Numbers are written at full
//! precision (the shortest text that reads back as the same value).
//!
//! `comparison.json`, written beside it, is made by [`crate::compare`]: the settings, the
//! provenance of both runs' files and the rows found in one run only.

use std::path::Path;

use crate::error::Result;
use crate::files::fields::Csv;
use crate::output::cell;

/// The columns of `comparison.csv`, in order.
pub const COLUMNS: [&str; 10] = [
    "domain",
    "indicator",
    "measure",
    "previous",
    "current",
    "difference",
    "std_error",
    "ci_lower",
    "ci_upper",
    "significant",
];

/// One row of `comparison.csv`, as written and as read back.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ComparisonRow {
    /// A unit code, or `ALL`.
    pub domain: String,
    /// `item:<code>`, `element:<code>` or `overall`.
    pub indicator: String,
    /// `satisfied_pct`, `dissatisfied_pct` or `mean_score`.
    pub measure: String,
    /// The previous run's estimate.
    pub previous: Option<f64>,
    /// The current run's estimate.
    pub current: Option<f64>,
    /// `current − previous`.
    pub difference: Option<f64>,
    /// `sqrt(se_prev² + se_cur²)`.
    pub std_error: Option<f64>,
    /// Lower end of the difference's interval.
    pub ci_lower: Option<f64>,
    /// Upper end of the difference's interval.
    pub ci_upper: Option<f64>,
    /// Whether the interval excludes 0 (`None` without an interval).
    pub significant: Option<bool>,
}

/// The bytes of `comparison.csv` for `rows`, in the order given.
pub fn to_csv(rows: &[ComparisonRow]) -> Vec<u8> {
    let mut w = crate::output::csv_writer();
    w.write_record(COLUMNS).expect("memory");
    for r in rows {
        w.write_record([
            r.domain.as_str(),
            &r.indicator,
            &r.measure,
            &cell(r.previous),
            &cell(r.current),
            &cell(r.difference),
            &cell(r.std_error),
            &cell(r.ci_lower),
            &cell(r.ci_upper),
            &cell(r.significant),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// Reads `comparison.csv` by column name: every column of [`COLUMNS`] must be there, any
/// other is ignored. Numbers, the interval's order, the standard error (not negative) and
/// `significant` (`true`, `false` or empty) are checked.
pub fn read(path: &Path) -> Result<Vec<ComparisonRow>> {
    let csv = Csv::open(path, &COLUMNS, &[])?;
    csv.rows(|f| {
        let (ci_lower, ci_upper) = f.interval("ci_lower", "ci_upper")?;
        let std_error = f.number("std_error")?;
        if std_error.is_some_and(|s| s < 0.0) {
            return Err(f.err(
                "std_error",
                &f.text("std_error"),
                "a standard error cannot be negative",
            ));
        }
        Ok(ComparisonRow {
            domain: f.code("domain")?,
            indicator: f.code("indicator")?,
            measure: f.code("measure")?,
            previous: f.number("previous")?,
            current: f.number("current")?,
            difference: f.number("difference")?,
            std_error,
            ci_lower,
            ci_upper,
            significant: f.flag("significant")?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_as_written() {
        let rows = vec![
            ComparisonRow {
                domain: "=U1".into(),
                indicator: "item:Q01".into(),
                measure: "satisfied_pct".into(),
                previous: Some(61.25),
                current: Some(70.1),
                difference: Some(70.1 - 61.25),
                std_error: Some(0.1f64.hypot(0.2)),
                ci_lower: Some(1.0 / 3.0),
                ci_upper: Some(17.5),
                significant: Some(true),
            },
            ComparisonRow {
                domain: "ALL".into(),
                indicator: "overall".into(),
                measure: "mean_score".into(),
                previous: None,
                current: Some(3.9),
                difference: None,
                std_error: None,
                ci_lower: None,
                ci_upper: None,
                significant: None,
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("comparison.csv");
        std::fs::write(&path, to_csv(&rows)).unwrap();
        assert_eq!(read(&path).unwrap(), rows);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(&COLUMNS.join(",")), "{text}");
        assert!(text.contains("'=U1"), "{text}");
    }
}
