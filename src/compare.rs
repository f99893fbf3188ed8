//! `chiso compare`: the change of every estimate between two index runs (year on year, say),
//! with the standard error and interval of the difference.
//!
//! For each domain × indicator × measure present in both runs' `indices.csv`:
//!
//! - `difference = current − previous` (percentage points for shares);
//! - `std_error = sqrt(se_prev² + se_cur²)`: the two runs are taken as independent samples
//!   (each year's sample is drawn afresh), so the variances add;
//! - the interval `difference ∓ z·std_error`, `z` the standard normal quantile at `1 − α/2`
//!   for the runs' level (`settings.level` of each `indices.json`, which must agree unless a
//!   level is given);
//! - `significant`: the interval excludes 0.
//!
//! The rows found in one run only are counted and named in `comparison.json` and the
//! summary; they are not rows of `comparison.csv`. A run without a standard error for a row
//! (not estimable) gives that row a difference but no interval.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::{Error, Result};
use crate::files::comparison::ComparisonRow;
use crate::files::indices::{Entry, Indices};
use crate::output::Staged;
use crate::provenance::{FileDigest, Provenance};

/// How many of the rows found in one run only are named (the rest are counted).
pub const NAMED: usize = 10;

/// What `chiso compare` needs, validated.
#[derive(Clone, Debug)]
pub struct CompareRequest {
    /// The earlier run: a directory written by `chiso index`.
    pub previous: PathBuf,
    /// The later run: a directory written by `chiso index`.
    pub current: PathBuf,
    /// The level of the difference's interval; `None` takes the runs' level (which must
    /// then be the same in both).
    pub level: Option<f64>,
    /// The output directory.
    pub out: PathBuf,
}

impl CompareRequest {
    /// A request, with the level (when given) checked: above 0 and at most
    /// [`crate::ci::MAX_LEVEL`].
    pub fn new(
        previous: PathBuf,
        current: PathBuf,
        level: Option<f64>,
        out: PathBuf,
    ) -> Result<CompareRequest> {
        if let Some(l) = level
            && !(l > 0.0 && l <= crate::ci::MAX_LEVEL)
        {
            return Err(Error::setting(
                "level",
                l,
                format!(
                    "expected a proportion such as 0.95, above 0 and at most {}",
                    crate::ci::MAX_LEVEL
                ),
            ));
        }
        Ok(CompareRequest {
            previous,
            current,
            level,
            out,
        })
    }
}

/// A domain × indicator × measure.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Key {
    /// A unit code, or `ALL`.
    pub domain: String,
    /// The indicator.
    pub indicator: String,
    /// The measure.
    pub measure: String,
}

impl Key {
    fn of(e: &Entry) -> Key {
        Key {
            domain: e.domain.clone(),
            indicator: e.indicator.clone(),
            measure: e.measure.clone(),
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.domain, self.indicator, self.measure)
    }
}

/// The rows of one run that the other does not have.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OneSided {
    /// How many.
    pub count: usize,
    /// The first [`NAMED`] of them, in the run's file order.
    pub first: Vec<Key>,
}

/// One run as read, for `comparison.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// The questionnaire's name.
    pub questionnaire: String,
    /// The engine version that computed it.
    pub engine_version: String,
    /// Its level (`settings.level` of `indices.json`).
    pub level: f64,
    /// Its rows.
    pub rows: usize,
}

/// What `chiso compare` computed and wrote.
#[derive(Clone, Debug)]
pub struct CompareOutput {
    /// The level of the intervals.
    pub level: f64,
    /// Whether the level was given (rather than taken from the runs).
    pub level_given: bool,
    /// The normal quantile at `1 − α/2`.
    pub z: f64,
    /// The earlier run.
    pub previous: Run,
    /// The later run.
    pub current: Run,
    /// The rows of `comparison.csv`, in the current run's order.
    pub rows: Vec<ComparisonRow>,
    /// Rows of the previous run only.
    pub only_previous: OneSided,
    /// Rows of the current run only.
    pub only_current: OneSided,
    /// Both runs' `indices.csv` and `indices.json`, with their SHA-256.
    pub provenance: Provenance,
    /// The files written.
    pub written: Vec<PathBuf>,
}

/// The standard normal quantile at `1 − (1 − level)/2`.
pub fn z(level: f64) -> f64 {
    Normal::standard().inverse_cdf(1.0 - (1.0 - level) / 2.0)
}

/// The comparison of one row, at the normal quantile `z`.
pub fn row(previous: &Entry, current: &Entry, z: f64) -> ComparisonRow {
    let difference = match (previous.estimate, current.estimate) {
        (Some(p), Some(c)) => Some(c - p),
        _ => None,
    };
    let std_error = match (difference, previous.std_error, current.std_error) {
        (Some(_), Some(p), Some(c)) => Some((p * p + c * c).sqrt()),
        _ => None,
    };
    let (ci_lower, ci_upper, significant) = match (difference, std_error) {
        (Some(d), Some(s)) => {
            let (lo, hi) = (d - z * s, d + z * s);
            (Some(lo), Some(hi), Some(lo > 0.0 || hi < 0.0))
        }
        _ => (None, None, None),
    };
    ComparisonRow {
        domain: current.domain.clone(),
        indicator: current.indicator.clone(),
        measure: current.measure.clone(),
        previous: previous.estimate,
        current: current.estimate,
        difference,
        std_error,
        ci_lower,
        ci_upper,
        significant,
    }
}

/// Reads a run's directory: it must hold `indices.csv` and `indices.json`.
fn read_run(dir: &Path, input: &'static str) -> Result<(Indices, FileDigest, FileDigest)> {
    if !dir.is_dir() {
        return Err(Error::input(
            input,
            format!(
                "{}: not a directory; expected the directory written by `chiso index` \
                 (indices.csv and indices.json)",
                dir.display()
            ),
        ));
    }
    for name in ["indices.csv", "indices.json"] {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(Error::input(
                input,
                format!(
                    "{}: not found; expected the directory written by `chiso index`, which \
                     holds indices.csv and indices.json",
                    path.display()
                ),
            ));
        }
    }
    let indices = crate::files::indices::read_published(dir)?;
    let csv = FileDigest::new(&dir.join("indices.csv"), indices.csv_sha256.clone());
    let json = FileDigest::of(&dir.join("indices.json"))?;
    Ok((indices, csv, json))
}

fn one_sided<'a>(rows: impl Iterator<Item = &'a Entry>) -> OneSided {
    let mut out = OneSided::default();
    for e in rows {
        out.count += 1;
        if out.first.len() < NAMED {
            out.first.push(Key::of(e));
        }
    }
    out
}

fn run_of(i: &Indices) -> Run {
    Run {
        questionnaire: i.questionnaire.clone(),
        engine_version: i.engine_version.clone(),
        level: i.level,
        rows: i.rows.len(),
    }
}

/// Reads both runs, compares every row they share, and writes `comparison.csv` and
/// `comparison.json` into `req.out` together (nothing is written when anything fails).
pub fn run(req: &CompareRequest) -> Result<CompareOutput> {
    let (previous, prev_csv, prev_json) = read_run(&req.previous, "previous")?;
    let (current, cur_csv, cur_json) = read_run(&req.current, "current")?;
    let level = match req.level {
        Some(l) => l,
        None if previous.level == current.level => current.level,
        None => {
            return Err(Error::setting(
                "level",
                "not given",
                format!(
                    "the runs were computed at different levels ({} in {}, {} in {}); \
                     give the level of the comparison's intervals",
                    previous.level,
                    req.previous.join("indices.json").display(),
                    current.level,
                    req.current.join("indices.json").display()
                ),
            ));
        }
    };
    let z = z(level);

    let prev_rows: HashMap<Key, &Entry> = previous.rows.iter().map(|e| (Key::of(e), e)).collect();
    let cur_keys: std::collections::HashSet<Key> = current.rows.iter().map(Key::of).collect();
    let rows: Vec<ComparisonRow> = current
        .rows
        .iter()
        .filter_map(|c| prev_rows.get(&Key::of(c)).map(|p| row(p, c, z)))
        .collect();
    if rows.is_empty() {
        return Err(Error::usage(format!(
            "{} and {} have no domain, indicator and measure in common: nothing to compare",
            req.previous.join("indices.csv").display(),
            req.current.join("indices.csv").display()
        )));
    }
    let only_previous = one_sided(
        previous
            .rows
            .iter()
            .filter(|e| !cur_keys.contains(&Key::of(e))),
    );
    let only_current = one_sided(
        current
            .rows
            .iter()
            .filter(|e| !prev_rows.contains_key(&Key::of(e))),
    );

    let mut provenance = Provenance::default();
    provenance.add("previous", prev_csv);
    provenance.add("previous", prev_json);
    provenance.add("current", cur_csv);
    provenance.add("current", cur_json);

    let mut output = CompareOutput {
        level,
        level_given: req.level.is_some(),
        z,
        previous: run_of(&previous),
        current: run_of(&current),
        rows,
        only_previous,
        only_current,
        provenance,
        written: Vec::new(),
    };
    let mut staged = Staged::new(&req.out, true, &[])?;
    staged.add(
        "comparison.csv",
        crate::files::comparison::to_csv(&output.rows),
    );
    staged.add("comparison.json", output.to_json().into_bytes());
    output.written = staged.commit()?;
    Ok(output)
}

impl CompareOutput {
    /// Rows whose interval excludes 0.
    pub fn significant(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.significant == Some(true))
            .count()
    }

    /// `comparison.json`: the engine version, the settings, both runs, the provenance, the
    /// counts, the rows found in one run only, and the rows of `comparison.csv`.
    pub fn to_json(&self) -> String {
        let json = serde_json::json!({
            "engine_version": env!("CARGO_PKG_VERSION"),
            "settings": {
                "level": self.level,
                "level_from": if self.level_given { "given" } else { "runs" },
                "z": self.z,
                "std_error": "independent samples: sqrt(se_previous^2 + se_current^2)",
            },
            "previous": self.previous,
            "current": self.current,
            "provenance": self.provenance.to_json(),
            "rows_compared": self.rows.len(),
            "significant": self.significant(),
            "only_in_previous": self.only_previous,
            "only_in_current": self.only_current,
            "rows": self.rows,
        });
        let mut text = serde_json::to_string_pretty(&json).expect("JSON");
        text.push('\n');
        text
    }

    /// What was compared, for standard output (each line ends with a newline).
    pub fn summary(&self) -> String {
        let mut out = format!(
            "compare: {} rows in both runs, {} significant at level {}{}\n",
            self.rows.len(),
            self.significant(),
            self.level,
            if self.level_given {
                " (given)"
            } else {
                " (the runs' level)"
            }
        );
        for (name, side) in [
            ("previous", &self.only_previous),
            ("current", &self.only_current),
        ] {
            out += &format!("only in the {name} run: {} rows", side.count);
            if side.count > 0 {
                let names: Vec<String> = side.first.iter().map(Key::to_string).collect();
                out += &format!(
                    " (first: {}{})",
                    names.join("; "),
                    if side.count > side.first.len() {
                        "; …"
                    } else {
                        ""
                    }
                );
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(estimate: Option<f64>, std_error: Option<f64>) -> Entry {
        Entry {
            domain: "U1".into(),
            indicator: "overall".into(),
            measure: "satisfied_pct".into(),
            estimate,
            std_error,
            ci_lower: None,
            ci_upper: None,
            ci_method: String::new(),
            n: None,
            df: None,
            se_note: String::new(),
            row: 2,
        }
    }

    #[test]
    fn the_normal_quantile_is_r_s() {
        // qnorm(0.975) and qnorm(0.95) in R.
        assert!((z(0.95) - 1.959963984540054).abs() < 1e-13);
        assert!((z(0.9) - 1.6448536269514722).abs() < 1e-13);
    }

    #[test]
    fn a_row_by_hand() {
        // 70 − 60 = 10 points; sqrt(3² + 4²) = 5; 10 ± 1.96 × 5 excludes 0.
        let r = row(
            &entry(Some(60.0), Some(3.0)),
            &entry(Some(70.0), Some(4.0)),
            2.0,
        );
        assert_eq!(r.difference, Some(10.0));
        assert_eq!(r.std_error, Some(5.0));
        assert_eq!((r.ci_lower, r.ci_upper), (Some(0.0), Some(20.0)));
        // The interval touches 0: it does not exclude it.
        assert_eq!(r.significant, Some(false));
        let r = row(
            &entry(Some(60.0), Some(3.0)),
            &entry(Some(70.0), Some(4.0)),
            1.9,
        );
        assert_eq!(r.significant, Some(true));
        let r = row(
            &entry(Some(70.0), Some(3.0)),
            &entry(Some(60.0), Some(4.0)),
            1.9,
        );
        assert_eq!((r.difference, r.significant), (Some(-10.0), Some(true)));
        // No standard error on one side: a difference, no interval.
        let r = row(&entry(Some(60.0), None), &entry(Some(70.0), Some(4.0)), 1.9);
        assert_eq!(r.difference, Some(10.0));
        assert_eq!((r.std_error, r.ci_lower, r.significant), (None, None, None));
        // No estimate on one side: nothing.
        let r = row(&entry(None, None), &entry(Some(70.0), Some(4.0)), 1.9);
        assert_eq!((r.previous, r.difference, r.std_error), (None, None, None));
        assert_eq!(r.significant, None);
    }
}
