//! The inputs of a PAR run besides the framework: the units' self-assessed and appraised
//! scores, checked row by row against the framework, and the survey's `indices.csv`.

use std::collections::HashMap;
use std::path::Path;

use super::POINTS_TOLERANCE;
use super::framework::{Framework, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::table::{self, Table};

// ---------------------------------------------------------------------------------------------
// Scores.

/// One self-assessed score of a unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// The unit's own score (may be absent when the appraised one is given).
    pub self_score: Option<f64>,
    /// The appraisal council's score, which takes precedence.
    pub appraised_score: Option<f64>,
    /// The note of the row (may be empty).
    pub note: String,
    /// The row it was read from.
    pub row: u64,
}

impl Score {
    /// The points: the appraised score if there is one, else the self-assessed one.
    pub fn points(&self) -> f64 {
        self.appraised_score.or(self.self_score).unwrap_or(0.0)
    }
}

/// A unit and its self-assessed scores.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredUnit {
    /// Its code.
    pub code: String,
    /// Its name (empty without a `unit_name` column).
    pub name: String,
    /// Its group (empty without a `unit_group` column: then all units form one group).
    pub group: String,
    /// Per scored item of the framework: its score, for applicable self-assessed items.
    pub scores: Vec<Option<Score>>,
    /// The first row that names the unit.
    pub first_row: u64,
}

/// The scores file, checked against the framework.
#[derive(Clone, Debug, PartialEq)]
pub struct Scores {
    /// The file (for messages).
    pub file: String,
    /// The units in order of first appearance.
    pub units: Vec<ScoredUnit>,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// A finite number, or `None` for an empty cell.
fn number(text: &str) -> std::result::Result<Option<f64>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(()),
    }
}

impl Scores {
    /// Reads a scores file (CSV or a spreadsheet: the sheet `sheet` or the first) with
    /// columns `unit_code, criterion, self_score, appraised_score` and optionally `unit_name,
    /// unit_group, note`, and checks every row against the framework.
    pub fn read(path: &Path, sheet: Option<&str>, fw: &Framework) -> Result<Scores> {
        let mut table = Table::open(path, sheet)?;
        let file = table.name().to_string();
        let c = table.require(&["unit_code", "criterion", "self_score", "appraised_score"])?;
        let (c_unit, c_crit, c_self, c_appr) = (c[0], c[1], c[2], c[3]);
        let c_name = table.column("unit_name");
        let c_group = table.column("unit_group");
        let c_note = table.column("note");
        if c_group.is_none() && fw.has_group_rules() {
            let restricted: Vec<String> = fw
                .criteria
                .iter()
                .filter(|c| c.groups.is_some())
                .map(|c| c.code.clone())
                .collect();
            return Err(ErrorKind::Malformed {
                at: crate::Position::file(file),
                message: format!(
                    "the framework applies criteria {} to some unit groups only, so the scores \
                     need a `unit_group` column (one of: {})",
                    restricted.join(", "),
                    fw.groups.join(", ")
                ),
            }
            .into());
        }
        let mut units: Vec<ScoredUnit> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        while let Some(row) = table.next_row()? {
            if row.is_blank() {
                continue;
            }
            let n = row.number();
            let code = row.get(c_unit);
            if code.is_empty() {
                return Err(Error::cell(
                    &file,
                    n,
                    "unit_code",
                    code,
                    "expected a unit code",
                ));
            }
            let name = c_name.map(|i| row.get(i)).unwrap_or("");
            let group = c_group.map(|i| row.get(i)).unwrap_or("");
            if c_group.is_some() {
                if group.is_empty() {
                    return Err(Error::cell(
                        &file,
                        n,
                        "unit_group",
                        group,
                        format!(
                            "expected the unit's group{}",
                            if fw.groups.is_empty() {
                                String::new()
                            } else {
                                format!(", one of: {}", fw.groups.join(", "))
                            }
                        ),
                    ));
                }
                if !fw.groups.is_empty() && !fw.groups.iter().any(|g| g == group) {
                    return Err(Error::cell(
                        &file,
                        n,
                        "unit_group",
                        group,
                        format!(
                            "not a group of the framework; expected one of: {}",
                            fw.groups.join(", ")
                        ),
                    ));
                }
            }
            let u = match index.get(code) {
                Some(&u) => {
                    let unit = &units[u];
                    if unit.group != group {
                        return Err(Error::cell(
                            &file,
                            n,
                            "unit_group",
                            group,
                            format!(
                                "unit `{code}` is in group `{}` at row {}; a unit has one group",
                                unit.group, unit.first_row
                            ),
                        ));
                    }
                    if c_name.is_some() && !name.is_empty() && unit.name != name {
                        if unit.name.is_empty() {
                            units[u].name = name.to_string();
                        } else {
                            return Err(Error::cell(
                                &file,
                                n,
                                "unit_name",
                                name,
                                format!(
                                    "unit `{code}` is named {:?} at row {}; a unit has one name",
                                    unit.name, unit.first_row
                                ),
                            ));
                        }
                    }
                    u
                }
                None => {
                    index.insert(code.to_string(), units.len());
                    units.push(ScoredUnit {
                        code: code.to_string(),
                        name: name.to_string(),
                        group: group.to_string(),
                        scores: vec![None; fw.criteria.len()],
                        first_row: n,
                    });
                    units.len() - 1
                }
            };
            let crit = row.get(c_crit);
            let k = match fw.criterion(crit) {
                Some(k) => k,
                None => {
                    let reason = match fw.parents.iter().find(|(p, _)| p == crit) {
                        Some((_, subs)) => format!(
                            "criterion `{crit}` is scored through its sub-criteria: give one row \
                             for each of {}",
                            subs.join(", ")
                        ),
                        None => format!(
                            "not a criterion of the framework; expected one of: {}",
                            fw.criteria
                                .iter()
                                .filter(|c| matches!(c.source, Source::SelfAssessed))
                                .map(|c| c.code.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    return Err(Error::cell(&file, n, "criterion", crit, reason));
                }
            };
            let criterion = &fw.criteria[k];
            if let Source::Survey { indicator, .. } = &criterion.source {
                return Err(Error::cell(
                    &file,
                    n,
                    "criterion",
                    crit,
                    format!(
                        "criterion `{crit}` is scored from the survey (indicator `{indicator}` of \
                         indices.csv), not by the unit: remove this row"
                    ),
                ));
            }
            if !criterion.applies_to(group) {
                return Err(Error::cell(
                    &file,
                    n,
                    "criterion",
                    crit,
                    format!(
                        "criterion `{crit}` applies to group(s) {} only, and unit `{code}` is in \
                         group `{group}`: remove this row or correct the group",
                        criterion.groups.as_deref().unwrap_or_default().join(", ")
                    ),
                ));
            }
            if let Some(first) = &units[u].scores[k] {
                return Err(Error::cell(
                    &file,
                    n,
                    "criterion",
                    crit,
                    format!(
                        "criterion `{crit}` is scored twice for unit `{code}` (first at row {})",
                        first.row
                    ),
                ));
            }
            let read = |col: usize, header: &str| -> Result<Option<f64>> {
                let text = row.get(col);
                let bad = |why: &str| {
                    Error::cell(
                        &file,
                        n,
                        header,
                        text,
                        format!(
                            "{why}; expected a number of points from 0 to {} (the maximum of \
                             criterion `{crit}`), with a point as decimal separator, e.g. 1.5",
                            criterion.max
                        ),
                    )
                };
                match number(text) {
                    Err(()) => Err(bad("not a number")),
                    Ok(Some(v)) if v < 0.0 => Err(bad("negative")),
                    Ok(Some(v)) if v > criterion.max + POINTS_TOLERANCE => {
                        Err(bad("above the criterion's maximum"))
                    }
                    Ok(v) => Ok(v),
                }
            };
            let self_score = read(c_self, "self_score")?;
            let appraised_score = read(c_appr, "appraised_score")?;
            if self_score.is_none() && appraised_score.is_none() {
                return Err(Error::cell(
                    &file,
                    n,
                    "self_score",
                    "",
                    format!(
                        "no score: give the self-assessed score (or the appraised score) of \
                         criterion `{crit}`, from 0 to {}",
                        criterion.max
                    ),
                ));
            }
            units[u].scores[k] = Some(Score {
                self_score,
                appraised_score,
                note: c_note.map(|i| row.get(i)).unwrap_or("").to_string(),
                row: n,
            });
        }
        if units.is_empty() {
            return Err(ErrorKind::Malformed {
                at: crate::Position::file(file),
                message: "no scores: the file has no row below its header".into(),
            }
            .into());
        }
        for unit in &units {
            for (k, c) in fw.criteria.iter().enumerate() {
                if matches!(c.source, Source::SelfAssessed)
                    && c.applies_to(&unit.group)
                    && unit.scores[k].is_none()
                {
                    let group = if unit.group.is_empty() {
                        String::new()
                    } else {
                        format!(" (group `{}`)", unit.group)
                    };
                    return Err(Error::cell(
                        &file,
                        unit.first_row,
                        "unit_code",
                        &unit.code,
                        format!(
                            "unit `{}`{group}, first listed here, has no row for the self-assessed \
                             criterion `{}` (maximum {}), which applies to it: add one",
                            unit.code, c.code, c.max
                        ),
                    ));
                }
            }
        }
        drop(table);
        let sha256 = table::file_sha256(path)?;
        Ok(Scores {
            file,
            units,
            sha256,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Survey results.

/// One row of `indices.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyEstimate {
    /// The estimate, when there is one.
    pub estimate: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// Answers used (`n`), when the column is present.
    pub n: Option<u64>,
    /// Why the standard error is 0 or missing (`se_note`; empty when estimated).
    pub se_note: String,
    /// The row it was read from.
    pub row: u64,
}

/// The survey's indices, as written by `chiso index`.
#[derive(Clone, Debug, PartialEq)]
pub struct Survey {
    /// The file (for messages).
    pub file: String,
    /// (domain, indicator, measure) → estimate.
    pub estimates: HashMap<(String, String, String), SurveyEstimate>,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The `provenance` of the `indices.json` beside it, when there is one.
    pub provenance: Option<crate::provenance::Provenance>,
}

impl Survey {
    /// Reads `indices.csv` through [`crate::files::indices::read`] (columns `domain,
    /// indicator, measure, estimate, std_error`, the others when present).
    pub fn read(path: &Path) -> Result<Survey> {
        let file = path.display().to_string();
        let estimates = crate::files::indices::read(path, &crate::files::indices::KEY_COLUMNS)?
            .into_iter()
            .map(|e| {
                (
                    (e.domain, e.indicator, e.measure),
                    SurveyEstimate {
                        estimate: e.estimate,
                        std_error: e.std_error,
                        n: e.n,
                        se_note: e.se_note,
                        row: e.row,
                    },
                )
            })
            .collect();
        let sha256 = table::file_sha256(path)?;
        let provenance = path
            .parent()
            .map(|d| d.join("indices.json"))
            .and_then(|j| std::fs::read_to_string(j).ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|j| crate::provenance::Provenance::from_json(&j));
        Ok(Survey {
            file,
            estimates,
            sha256,
            provenance,
        })
    }
}
