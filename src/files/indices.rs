//! `indices.csv`: one row per domain × indicator × measure, written by `chiso index`, read
//! by `chiso par` (survey criteria) and `chiso report`.
//!
//! Columns, in order: `domain` (a unit code or `ALL`), `indicator` (`item:<code>`,
//! `element:<code>` or `overall`), `measure` (`satisfied_pct`, `dissatisfied_pct`,
//! `mean_score`), `estimate`, `std_error`, `ci_lower`, `ci_upper` (percentages on 0–100 for
//! the shares; empty where there is no estimate), `ci_method`, `n` (answers used) and `df`
//! (design degrees of freedom). Numbers are written at full precision (the shortest text
//! that reads back as the same value).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::files::fields::Csv;
use crate::index::IndexRow;
use crate::output::cell;

/// The columns of `indices.csv`, in order.
pub const COLUMNS: [&str; 10] = [
    "domain",
    "indicator",
    "measure",
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "ci_method",
    "n",
    "df",
];

/// The columns every reader needs: which estimate a row is, the estimate and its standard
/// error.
pub const KEY_COLUMNS: [&str; 5] = ["domain", "indicator", "measure", "estimate", "std_error"];

/// The measures that are shares (percentages on 0–100), as opposed to mean scores.
pub fn is_share(measure: &str) -> bool {
    measure != "mean_score"
}

/// The bytes of `indices.csv` for `rows`.
pub fn to_csv(rows: &[IndexRow]) -> Vec<u8> {
    let mut w = crate::output::csv_writer();
    w.write_record(COLUMNS).expect("memory");
    for r in rows {
        w.write_record([
            r.domain.as_str(),
            &r.indicator,
            r.measure,
            &cell(r.estimate),
            &cell(r.std_error),
            &cell(r.ci_lower),
            &cell(r.ci_upper),
            r.ci_method,
            &r.n.to_string(),
            &r.df.to_string(),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// One row of `indices.csv` as read back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// A unit code, or `ALL`.
    pub domain: String,
    /// `item:<code>`, `element:<code>`, `overall` (or a later kind).
    pub indicator: String,
    /// `satisfied_pct`, `dissatisfied_pct`, `mean_score` (or a later measure).
    pub measure: String,
    /// The estimate.
    pub estimate: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// Lower end of the interval.
    pub ci_lower: Option<f64>,
    /// Upper end of the interval.
    pub ci_upper: Option<f64>,
    /// How the interval was computed (empty when the file has no such column).
    pub ci_method: String,
    /// Answers used, when the file has the column.
    pub n: Option<u64>,
    /// Design degrees of freedom, when the file has the column.
    pub df: Option<u64>,
    /// The row it was read from (the header is row 1).
    #[serde(skip)]
    pub row: u64,
}

impl Entry {
    /// The answers used (0 when the file does not say).
    pub fn answers(&self) -> u64 {
        self.n.unwrap_or(0)
    }
}

/// Reads `indices.csv` by column name: `required` (a part of [`COLUMNS`] that holds at least
/// [`KEY_COLUMNS`]) must be there, the other agreed columns are read when present, and any
/// other column is ignored. Every cell is checked (numbers, shares on 0–100, intervals in
/// order, standard errors not negative, counts), and a domain × indicator × measure given
/// twice is refused.
pub fn read(path: &Path, required: &[&'static str]) -> Result<Vec<Entry>> {
    debug_assert!(KEY_COLUMNS.iter().all(|k| required.contains(k)));
    let csv = Csv::agreed(path, &COLUMNS, required)?;
    let mut first_row: std::collections::HashMap<(String, String, String), u64> =
        std::collections::HashMap::new();
    csv.rows(|f| {
        let measure = f.code("measure")?;
        let (ci_lower, ci_upper) = f.interval("ci_lower", "ci_upper")?;
        let estimate = if is_share(&measure) {
            f.percent("estimate")?
        } else {
            f.number("estimate")?
        };
        let std_error = f.number("std_error")?;
        if std_error.is_some_and(|s| s < 0.0) {
            return Err(f.err(
                "std_error",
                &f.text("std_error"),
                "a standard error cannot be negative",
            ));
        }
        let entry = Entry {
            domain: f.code("domain")?,
            indicator: f.code("indicator")?,
            measure,
            estimate,
            std_error,
            ci_lower,
            ci_upper,
            ci_method: f.text("ci_method"),
            n: if required.contains(&"n") {
                Some(f.required_count("n")?)
            } else {
                f.count("n")?
            },
            df: f.count("df")?,
            row: f.row,
        };
        let key = (
            entry.domain.clone(),
            entry.indicator.clone(),
            entry.measure.clone(),
        );
        if let Some(first) = first_row.insert(key, f.row) {
            return Err(f.err(
                "measure",
                &entry.measure,
                &format!(
                    "domain {}, indicator {} and measure {} already appear in row {first}; \
                     each combination must appear once",
                    entry.domain, entry.indicator, entry.measure
                ),
            ));
        }
        Ok(entry)
    })
}
