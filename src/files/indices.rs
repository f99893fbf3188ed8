//! `indices.csv`: one row per domain × indicator × measure, written by `chiso index`, read
//! by `chiso par` (survey criteria) and `chiso report`.
//!
//! Columns, in order: `domain` (a unit code or `ALL`), `indicator` (`item:<code>`,
//! `element:<code>` or `overall`), `measure` (`satisfied_pct`, `dissatisfied_pct`,
//! `mean_score`), `estimate`, `std_error`, `ci_lower`, `ci_upper` (percentages on 0–100 for
//! the shares; empty where there is no estimate), `ci_method`, `n` (answers used), `df`
//! (design degrees of freedom) and `se_note`: empty when the standard error was estimated,
//! `taken whole` when it is 0 because every stratum of the domain's answers was taken whole,
//! or why it cannot be estimated (`not estimable: …`, with `std_error` and the interval
//! empty; see [`crate::estimate::Precision`]). Numbers are written at full precision (the
//! shortest text that reads back as the same value).
//!
//! A run per period (`index --period`) writes the column [`PERIOD`] (`2026-03`, `2026-Q1`)
//! before these, and each period's rows in turn. Such a file is read by no command
//! ([`read`] refuses it): each period's numbers rest on its own answers, and the consumers
//! of one run's indices (`par`, `report`, `compare`) take a run without periods.
//!
//! `indices.json`, written beside it ([`Published`]), carries the settings of the run and
//! the same rows; [`read_published`] reads both and checks that they belong together.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::files::fields::Csv;
use crate::output::cell;

/// One row of `indices.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndexRow {
    /// The period (`index --period`), or `None` for a run without periods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// A unit code, or `ALL`.
    pub domain: String,
    /// `item:<code>`, `element:<code>` or `overall`.
    pub indicator: String,
    /// `satisfied_pct`, `dissatisfied_pct` or `mean_score`.
    pub measure: &'static str,
    /// The estimate (percent for shares).
    pub estimate: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// Lower end of the interval.
    pub ci_lower: Option<f64>,
    /// Upper end of the interval.
    pub ci_upper: Option<f64>,
    /// How the interval was computed.
    pub ci_method: &'static str,
    /// Answers used.
    pub n: u64,
    /// Design degrees of freedom.
    pub df: u64,
    /// Empty, `taken whole`, or why the standard error cannot be estimated.
    pub se_note: &'static str,
}

/// `se_note` of a standard error that is 0 because the domain was taken whole.
pub const TAKEN_WHOLE: &str = "taken whole";

/// The `se_note` of an estimate of this precision.
pub fn se_note(precision: crate::estimate::Precision) -> &'static str {
    use crate::estimate::Precision;
    match precision {
        Precision::Estimated => "",
        Precision::TakenWhole => TAKEN_WHOLE,
        Precision::NotEstimable(why) => why.as_str(),
    }
}

/// The columns of `indices.csv`, in order.
pub const COLUMNS: [&str; 11] = [
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
    "se_note",
];

/// The column written before [`COLUMNS`] by a run per period (`index --period`).
pub const PERIOD: &str = "period";

/// The columns every reader needs: which estimate a row is, the estimate and its standard
/// error.
pub const KEY_COLUMNS: [&str; 5] = ["domain", "indicator", "measure", "estimate", "std_error"];

/// The measures that are shares (percentages on 0–100), as opposed to mean scores.
pub fn is_share(measure: &str) -> bool {
    measure != "mean_score"
}

/// The bytes of `indices.csv` for `rows`.
pub fn to_csv(rows: &[IndexRow]) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_csv(rows, &mut bytes).expect("memory");
    bytes
}

/// Writes `indices.csv` for `rows` into `out`.
pub fn write_csv(rows: &[IndexRow], out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = crate::output::CsvWriter::new(out);
    let periods = rows.iter().any(|r| r.period.is_some());
    let header = std::iter::once(PERIOD).filter(|_| periods);
    w.write_record(header.chain(COLUMNS))?;
    for r in rows {
        let period = r.period.as_deref().filter(|_| periods);
        w.write_record(period.into_iter().chain([
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
            r.se_note,
        ]))?;
    }
    w.flush()
}

/// What `indices.json` holds: the questionnaire's name, the interval settings, where the
/// weights came from, the engine version, the provenance (every input's SHA-256 and the
/// sample's digests), further keys of the run (`weight_summary`,
/// `calibration`, `invalid_answers`, `response_rates`), and the same rows as `indices.csv`.
#[derive(Serialize)]
pub struct Published<'a> {
    /// The questionnaire's name.
    pub questionnaire: &'a str,
    /// Interval method and level.
    pub settings: crate::ci::Settings,
    /// Where the weights came from.
    pub weights: &'a crate::weights::Weighting,
    /// The engine version.
    pub engine_version: &'a str,
    /// The inputs' digests and the sample's.
    pub provenance: &'a crate::provenance::Provenance,
    /// Further keys of the run.
    #[serde(flatten)]
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
    /// The rows.
    pub rows: &'a [IndexRow],
}

/// The bytes of `indices.json` (pretty-printed).
pub fn to_json(published: &Published<'_>) -> Vec<u8> {
    serde_json::to_vec_pretty(published).expect("rows serialise")
}

/// Writes `indices.json` into `out`: the bytes of [`to_json`].
pub fn write_json(published: &Published<'_>, out: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(out, published).map_err(std::io::Error::from)
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
    /// Why the standard error is 0 or missing (empty when estimated, or when the file has no
    /// such column).
    pub se_note: String,
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
    if csv.has_column(PERIOD) {
        return Err(ErrorKind::Malformed {
            at: crate::Position::file(path.display().to_string()),
            message: "indices per period (`chiso index --period`): each period's numbers rest \
                      on its own answers; give the indices of a run without --period"
                .into(),
        }
        .into());
    }
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
        let se_note = f.text("se_note");
        if !(se_note.is_empty()
            || se_note == TAKEN_WHOLE
            || crate::estimate::NotEstimable::ALL
                .iter()
                .any(|w| w.as_str() == se_note))
        {
            return Err(f.err(
                "se_note",
                &se_note,
                "expected an empty cell, `taken whole` or a `not estimable: …` reason as \
                 `chiso index` writes them",
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
            se_note,
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

/// `indices.csv` with the settings from `indices.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct Indices {
    /// The questionnaire's name.
    pub questionnaire: String,
    /// Interval method for shares.
    pub ci_method: String,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// How the weights were made.
    pub weights: crate::weights::Weighting,
    /// The engine version that computed the indices.
    pub engine_version: String,
    /// Where they come from (`provenance` of `indices.json`), when recorded.
    pub provenance: Option<crate::provenance::Provenance>,
    /// SHA-256 of `indices.csv`.
    pub csv_sha256: String,
    /// The rows, in file order.
    pub rows: Vec<Entry>,
    /// Item code → the item's text (`item_texts`), when the questionnaire gave texts.
    pub item_texts: std::collections::BTreeMap<String, String>,
    /// Element code → the element's name (`element_names`), when recorded.
    pub element_names: std::collections::BTreeMap<String, String>,
}

impl Indices {
    /// The row for a domain, indicator and measure.
    pub fn get(&self, domain: &str, indicator: &str, measure: &str) -> Option<&Entry> {
        self.rows
            .iter()
            .find(|r| r.domain == domain && r.indicator == indicator && r.measure == measure)
    }

    /// The unit codes (every domain but `ALL`), in file order.
    pub fn units(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        for r in &self.rows {
            if r.domain != "ALL" && !seen.contains(&r.domain.as_str()) {
                seen.push(r.domain.as_str());
            }
        }
        seen
    }

    /// The items with a text (`item_texts`), as (code, text), in file order.
    pub fn item_texts(&self) -> Vec<(&str, &str)> {
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for r in &self.rows {
            if let Some(code) = r.indicator.strip_prefix("item:")
                && let Some(text) = self.item_texts.get(code)
                && !seen.iter().any(|(c, _)| *c == code)
            {
                seen.push((code, text));
            }
        }
        seen
    }

    /// The element codes (`element:<code>`), in file order.
    pub fn elements(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        for r in &self.rows {
            if let Some(code) = r.indicator.strip_prefix("element:")
                && !seen.contains(&code)
            {
                seen.push(code);
            }
        }
        seen
    }
}

/// Reads `indices.csv` and `indices.json` from `dir` (the directory written by `chiso index`),
/// checks every cell and that both files come from the same run.
pub fn read_published(dir: &Path) -> Result<Indices> {
    let (csv_path, json_path) = (&dir.join("indices.csv"), &dir.join("indices.json"));
    for p in [csv_path, json_path] {
        if !p.is_file() {
            return Err(Error::input(
                "indices",
                format!(
                    "{}: not found; expected the directory written by `chiso index --out DIR`",
                    p.display()
                ),
            ));
        }
    }
    let text = std::fs::read_to_string(json_path).map_err(|e| Error::io(json_path, e))?;
    let json_name = json_path.display().to_string();
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| -> Error {
        ErrorKind::Malformed {
            at: crate::Position::line(json_name.clone(), e.line() as u64),
            message: e.to_string(),
        }
        .into()
    })?;
    let key_err = |key: &str, expected: &str| -> Error {
        ErrorKind::Malformed {
            at: crate::Position::file(json_name.clone()),
            message: format!("key `{key}`: expected {expected}, as `chiso index` writes it"),
        }
        .into()
    };
    let string = |pointer: &str, key: &str| -> Result<String> {
        json.pointer(pointer)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| key_err(key, "a string"))
    };
    let questionnaire = string("/questionnaire", "questionnaire")?;
    let ci_method = string("/settings/ci_method", "settings.ci_method")?;
    let weights = crate::weights::Weighting::parse(&string("/weights", "weights")?)
        .ok_or_else(|| key_err("weights", "a description of the weights"))?;
    let engine_version = string("/engine_version", "engine_version")?;
    let level = json
        .pointer("/settings/level")
        .and_then(|v| v.as_f64())
        .filter(|l| *l > 0.0 && *l < 1.0)
        .ok_or_else(|| key_err("settings.level", "a confidence level between 0 and 1"))?;

    let provenance = match json.get("provenance") {
        None => None,
        Some(_) => Some(
            crate::provenance::Provenance::from_json(&json).ok_or_else(|| {
                key_err(
                    "provenance",
                    "the engine version, the inputs' digests and the sample's",
                )
            })?,
        ),
    };
    let names = |key: &str, expected: &str| -> Result<std::collections::BTreeMap<String, String>> {
        match json.get(key) {
            None => Ok(Default::default()),
            Some(v) => v
                .as_object()
                .and_then(|o| {
                    o.iter()
                        .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect::<Option<_>>()
                })
                .ok_or_else(|| key_err(key, expected)),
        }
    };
    let item_texts = names("item_texts", "an object of item codes and texts")?;
    let element_names = names("element_names", "an object of element codes and names")?;
    let rows = read(csv_path, &COLUMNS[..9])?;
    same_run(&json, &json_name, &rows)?;
    Ok(Indices {
        questionnaire,
        ci_method,
        level,
        weights,
        engine_version,
        provenance,
        csv_sha256: crate::table::file_sha256(csv_path)?,
        rows,
        item_texts,
        element_names,
    })
}

/// Equal within a few ulps (or both absent): a different run differs by far more.
fn same_number(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs()),
        _ => false,
    }
}

/// Checks that `indices.json` (when it carries its rows) and `indices.csv` come from the same
/// run: the same rows in the same order with the same estimates. Both files write each number
/// in its shortest exact decimal form, but `serde_json` reads decimals with a fast parser that
/// may miss the nearest `f64` by an ulp, hence [`same_number`].
fn same_run(json: &serde_json::Value, json_name: &str, rows: &[Entry]) -> Result<()> {
    let Some(published) = json.get("rows").and_then(|r| r.as_array()) else {
        return Ok(());
    };
    if published.is_empty() {
        return Ok(());
    }
    let differ = |message: String| -> Error {
        ErrorKind::Malformed {
            at: crate::Position::file(json_name.to_string()),
            message: format!(
                "{message}: indices.json and indices.csv come from different runs; \
                 publish the two files written together by `chiso index`"
            ),
        }
        .into()
    };
    if published.len() != rows.len() {
        return Err(differ(format!(
            "{} rows, but indices.csv has {}",
            published.len(),
            rows.len()
        )));
    }
    for (i, (p, r)) in published.iter().zip(rows).enumerate() {
        let text = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let estimate = p.get("estimate").and_then(|v| v.as_f64());
        if text("domain") != r.domain
            || text("indicator") != r.indicator
            || text("measure") != r.measure
            || !same_number(estimate, r.estimate)
        {
            return Err(differ(format!(
                "row {} ({} {} {}) differs from indices.csv row {} ({} {} {}, estimate {})",
                i + 1,
                text("domain"),
                text("indicator"),
                text("measure"),
                i + 2,
                r.domain,
                r.indicator,
                r.measure,
                r.estimate.map_or(String::from("empty"), |e| e.to_string())
            )));
        }
    }
    Ok(())
}
