//! Survey weights: the stratum weights `N_h / m_h`, their calibration to population margins
//! known from the records (post-stratification or raking), and a summary of the weights.
//!
//! **Stratum weights.** Respondent `i` of stratum `h` gets `w_i = N_h / m_h`: `N_h` is the
//! stratum's frame size (from `sample.csv`) or population (`--population`), `m_h` the number
//! of respondents (complete or partial questionnaires) in the stratum. Reserves who replaced
//! officials are respondents of their stratum like any other, so this is the base weight
//! `N_h / n_h` adjusted for nonresponse within the stratum.
//!
//! **Calibration.** The frame is the whole population of records, so the number of applicants
//! per channel, applicant type or field is known exactly. A margins file (columns `variable,
//! category, population`) gives those counts; `variable` names a column of the responses file
//! or of `sample.csv`, or several joined by `:` (`channel:applicant_type`), whose categories
//! are then written joined the same way (`online:citizen`).
//!
//! - *Post-stratification* (one variable, possibly a cross): within each post-stratum `g`,
//!   `w_i ← w_i · N_g / Σ_{j∈g} w_j`, so the weights add up to every `N_g` exactly. This is
//!   `postStratify()` of R's `survey` package.
//! - *Raking* (several variables): iterative proportional fitting, adjusting to each
//!   variable's margins in turn, in the order of the file, until after a full cycle every
//!   weighted category total is within a relative [`RAKE_TOLERANCE`] of its population, at
//!   most [`RAKE_MAX_ITERATIONS`] cycles. It converges to the same weights as R's `rake()`
//!   run to convergence. Every variable's categories must add up to the same total.
//!
//! Both refuse a category with no respondent (it cannot be weighted up) and a respondent
//! whose category is not in the margins file (it would be silently dropped from the totals).
//!
//! **Uncertainty.** A calibration returns its groups with the new weights ([`Calibrated`]),
//! [`crate::responses::ResponseData::calibrated`] keeps them beside the weights, and
//! the standard errors of [`crate::estimate`] then use the residuals of the linearised
//! variable from the calibration, as R's `survey` does (within post-strata; ten backfitting
//! passes over the raking margins). They agree with R's calibrated standard errors; see
//! `docs/indices.md` for how much they differ from taking the weights as fixed.
//!
//! **Summary.** For `n` weights: minimum, maximum, mean, the coefficient of variation
//! `CV = sqrt(n Σw² / (Σw)² − 1)` (the population standard deviation over the mean) and
//! Kish's design effect due to unequal weighting `deff_w = n Σw² / (Σw)² = 1 + CV²`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::estimate::CalibrationGroups;
use crate::table::Table;

/// Raking stops when every category total is within this relative distance of its
/// population after a full cycle.
pub const RAKE_TOLERANCE: f64 = 1e-10;

/// Raking gives up (with an error) after this many full cycles.
pub const RAKE_MAX_ITERATIONS: u32 = 1000;

/// Separates the variables of a cross (and their categories) in a margins file.
pub const CROSS: char = ':';

/// `N_h / m_h` for each respondent, with `m_h` the respondents of stratum `h`.
///
/// ```
/// let w = chiso::weights::stratum_weights(&[0, 0, 1], &[10.0, 3.0]);
/// assert_eq!(w, vec![5.0, 5.0, 3.0]);
/// ```
pub fn stratum_weights(stratum_of: &[u32], population: &[f64]) -> Vec<f64> {
    let mut m = vec![0.0f64; population.len()];
    for &h in stratum_of {
        m[h as usize] += 1.0;
    }
    stratum_of
        .iter()
        .map(|&h| population[h as usize] / m[h as usize])
        .collect()
}

/// Where an index run's weights came from (recorded in `indices.json` as `weights`, and
/// translated by the report).
///
/// It is written as one sentence, `N_h / m_h from the sample` or `N_h / m_h from
/// --population`, followed for a calibrated run by `, calibrated (METHOD) to MARGIN, MARGIN`;
/// [`Weighting::parse`] reads exactly these sentences back.
///
/// ```
/// use chiso::weights::{Base, Calibration, Weighting};
/// let w = Weighting { base: Base::Population, calibration: Some((Calibration::Rake, vec!["channel".into(), "applicant_type".into()])) };
/// let text = w.to_string();
/// assert_eq!(text, "N_h / m_h from --population, calibrated (rake) to channel, applicant_type");
/// assert_eq!(Weighting::parse(&text), Some(w));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weighting {
    /// Where `N_h` came from.
    pub base: Base,
    /// The calibration applied after, with the margins' names in the order of their file.
    pub calibration: Option<(Calibration, Vec<String>)>,
}

/// Where the stratum populations `N_h` of the weights `N_h / m_h` came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// The frame sizes of a drawn sample (`sample.csv`).
    Sample,
    /// A file of stratum populations, for a survey without a drawn sample.
    Population,
}

impl Base {
    fn sentence(self) -> &'static str {
        match self {
            Base::Sample => "N_h / m_h from the sample",
            Base::Population => "N_h / m_h from --population",
        }
    }
}

impl Weighting {
    /// Reads a sentence written by [`Weighting`]'s `Display`; `None` for any other text.
    pub fn parse(text: &str) -> Option<Weighting> {
        let base = [Base::Sample, Base::Population]
            .into_iter()
            .find(|b| text.starts_with(b.sentence()))?;
        let rest = &text[base.sentence().len()..];
        if rest.is_empty() {
            return Some(Weighting {
                base,
                calibration: None,
            });
        }
        let rest = rest.strip_prefix(", calibrated (")?;
        let (method, margins) = rest.split_once(") to ")?;
        let method = Calibration::from_name(method)?;
        let margins: Vec<String> = margins.split(", ").map(str::to_string).collect();
        if margins.iter().any(|m| m.is_empty()) {
            return None;
        }
        Some(Weighting {
            base,
            calibration: Some((method, margins)),
        })
    }
}

impl std::fmt::Display for Weighting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.base.sentence())?;
        if let Some((method, margins)) = &self.calibration {
            write!(
                f,
                ", calibrated ({}) to {}",
                method.as_str(),
                margins.join(", ")
            )?;
        }
        Ok(())
    }
}

impl Serialize for Weighting {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Weighting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Weighting, D::Error> {
        let text = String::deserialize(d)?;
        Weighting::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not a description of weights written by chiso index"
            ))
        })
    }
}

/// How weights are calibrated to the margins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Calibration {
    /// Post-stratification on one variable (or a cross of several).
    PostStratify,
    /// Raking (iterative proportional fitting) on several margins.
    Rake,
}

impl Calibration {
    /// The name used on the command line and in `indices.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Calibration::PostStratify => "poststratify",
            Calibration::Rake => "rake",
        }
    }

    /// The method called `name`.
    pub fn from_name(name: &str) -> Option<Calibration> {
        match name {
            "poststratify" => Some(Calibration::PostStratify),
            "rake" => Some(Calibration::Rake),
            _ => None,
        }
    }

    /// The method named `name`, or an error (setting `calibrate`) listing the names.
    pub fn parse(name: &str) -> Result<Calibration> {
        Calibration::from_name(name).ok_or_else(|| {
            Error::setting(
                "calibrate",
                format!("{name:?}"),
                "expected poststratify or rake",
            )
        })
    }
}

/// One margin: a variable (or cross of variables) and the population of each category.
#[derive(Clone, Debug, PartialEq)]
pub struct Margin {
    /// The name as written in the file, e.g. `channel` or `channel:applicant_type`.
    pub name: String,
    /// The columns it is made of.
    pub columns: Vec<String>,
    /// Each category's values (one per column), population, and row in the file.
    pub categories: Vec<(Vec<String>, f64, u64)>,
}

impl Margin {
    fn total(&self) -> f64 {
        self.categories.iter().map(|c| c.1).sum()
    }
}

/// A validated margins file.
#[derive(Clone, Debug, PartialEq)]
pub struct Margins {
    /// The file, as named by the user.
    pub file: String,
    /// The margins, in the order of their first row.
    pub margins: Vec<Margin>,
    /// The file's name and the SHA-256 of the bytes read.
    pub source: crate::provenance::FileDigest,
}

impl Margins {
    /// Reads a margins file (CSV or XLSX) with columns `variable, category, population`.
    pub fn load(path: &Path) -> Result<Margins> {
        let mut t = Table::open_hashed(path, None)?;
        let file = t.name().to_string();
        let c = t.require(&["variable", "category", "population"])?;
        let mut margins: Vec<Margin> = Vec::new();
        let mut seen: HashMap<(String, Vec<String>), u64> = HashMap::new();
        while let Some(r) = t.next_row()? {
            if r.is_blank() {
                continue;
            }
            let (variable, category, pop) = (r.get(c[0]), r.get(c[1]), r.get(c[2]));
            let columns: Vec<String> = variable
                .split(CROSS)
                .map(|v| v.trim().to_string())
                .collect();
            if let Some(p) = columns
                .iter()
                .find(|c| crate::records::PERSONAL.contains(&c.as_str()))
            {
                return Err(Error::cell(
                    &file,
                    r.number(),
                    "variable",
                    variable,
                    format!(
                        "`{p}` holds personal data and cannot be a margin: calibrate on \
                         categories such as channel, applicant type or unit"
                    ),
                ));
            }
            if columns.iter().any(String::is_empty) {
                return Err(Error::cell(
                    &file,
                    r.number(),
                    "variable",
                    variable,
                    "expected a column name, or several joined by `:`",
                ));
            }
            let values: Vec<String> = category
                .split(CROSS)
                .map(|v| v.trim().to_string())
                .collect();
            if values.len() != columns.len() {
                return Err(Error::cell(
                    &file,
                    r.number(),
                    "category",
                    category,
                    format!(
                        "expected {} value(s) joined by `:`, one for each of {}",
                        columns.len(),
                        variable
                    ),
                ));
            }
            let population: f64 = pop
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite() && *p > 0.0)
                .ok_or_else(|| {
                    Error::cell(
                        &file,
                        r.number(),
                        "population",
                        pop,
                        "expected a number > 0 (the count of applicants in this category)",
                    )
                })?;
            let name = columns.join(":");
            if let Some(first) = seen.insert((name.clone(), values.clone()), r.number()) {
                return Err(Error::cell(
                    &file,
                    r.number(),
                    "category",
                    category,
                    format!("this category of `{name}` is already listed on row {first}"),
                ));
            }
            match margins.iter_mut().find(|m| m.name == name) {
                Some(m) => m.categories.push((values, population, r.number())),
                None => margins.push(Margin {
                    name,
                    columns,
                    categories: vec![(values, population, r.number())],
                }),
            }
        }
        if margins.is_empty() {
            return Err(Error::calibration(format!("{file}: no margin is given")));
        }
        let sha256 = match t.sha256() {
            Some(h) => h,
            None => crate::table::file_sha256(path)?,
        };
        Ok(Margins {
            file,
            margins,
            source: crate::provenance::FileDigest::new(path, sha256),
        })
    }

    /// The distinct columns the margins are made of, in order of first use.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in &self.margins {
            for c in &m.columns {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }
}

/// What a calibration did (recorded in `indices.json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalibrationReport {
    /// `poststratify` or `rake`.
    pub method: &'static str,
    /// The margins, as named in the file.
    pub margins: Vec<String>,
    /// Raking cycles until convergence (1 for post-stratification).
    pub iterations: u32,
    /// The largest relative gap between a weighted category total and its population at the
    /// end.
    pub max_relative_gap: f64,
    /// How standard errors account for the calibration.
    pub variance: &'static str,
}

/// What a calibration is applied to: each respondent's weight, row in the responses file
/// (for messages) and values of the auxiliary columns the margins name.
#[derive(Clone, Copy, Debug)]
pub struct Respondents<'a> {
    /// Each respondent's weight before calibration.
    pub weight: &'a [f64],
    /// Each respondent's row in the responses file.
    pub rows: &'a [u64],
    /// Per auxiliary column, each respondent's value.
    pub auxiliary: &'a BTreeMap<String, Vec<String>>,
}

impl Respondents<'_> {
    fn len(&self) -> usize {
        self.weight.len()
    }
}

/// Calibrated weights, the groups their standard errors account for, and what was done.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibrated {
    /// Each respondent's calibrated weight.
    pub weight: Vec<f64>,
    /// The post-strata or raking margins of each respondent.
    pub groups: CalibrationGroups,
    /// What the calibration did (recorded in `indices.json`).
    pub report: CalibrationReport,
}

/// Each respondent's category index in each margin.
fn categories_of(data: &Respondents<'_>, margins: &Margins) -> Result<Vec<Vec<usize>>> {
    let mut out = Vec::with_capacity(margins.margins.len());
    for m in &margins.margins {
        let columns: Vec<&Vec<String>> = m
            .columns
            .iter()
            .map(|c| {
                data.auxiliary.get(c).ok_or_else(|| {
                    Error::calibration(format!(
                        "{}: the variable `{c}` was not read with the responses",
                        margins.file
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let index: HashMap<&[String], usize> = m
            .categories
            .iter()
            .enumerate()
            .map(|(k, c)| (c.0.as_slice(), k))
            .collect();
        let mut of = Vec::with_capacity(data.len());
        let mut used = vec![false; m.categories.len()];
        for i in 0..data.len() {
            let values: Vec<String> = columns.iter().map(|c| c[i].trim().to_string()).collect();
            match index.get(values.as_slice()) {
                Some(&k) => {
                    used[k] = true;
                    of.push(k);
                }
                None => {
                    let listed: Vec<String> = m.categories.iter().map(|c| c.0.join(":")).collect();
                    return Err(Error::calibration(format!(
                        "the respondent on row {} of the responses has `{}` = {:?}, which is not \
                         a category of `{}` in {} (its categories: {}); every respondent's \
                         category must be listed with its population",
                        data.rows[i],
                        m.name,
                        values.join(":"),
                        m.name,
                        margins.file,
                        listed.join(", ")
                    )));
                }
            }
        }
        if let Some(k) = used.iter().position(|u| !u) {
            let c = &m.categories[k];
            return Err(Error::cell(
                &margins.file,
                c.2,
                "category",
                &c.0.join(":"),
                format!(
                    "no respondent is in this category of `{}`, so it cannot be weighted up to \
                     its population: merge it with a neighbouring category",
                    m.name
                ),
            ));
        }
        out.push(of);
    }
    Ok(out)
}

/// Scales the weights of each category of one margin to its population.
fn adjust(weights: &mut [f64], of: &[usize], margin: &Margin) {
    let mut totals = vec![0.0f64; margin.categories.len()];
    for (w, &k) in weights.iter().zip(of) {
        totals[k] += w;
    }
    for (w, &k) in weights.iter_mut().zip(of) {
        *w *= margin.categories[k].1 / totals[k];
    }
}

/// The largest relative gap between a category total and its population, over all margins.
fn gap(weights: &[f64], of: &[Vec<usize>], margins: &Margins) -> f64 {
    let mut worst = 0.0f64;
    for (m, of) in margins.margins.iter().zip(of) {
        let mut totals = vec![0.0f64; m.categories.len()];
        for (w, &k) in weights.iter().zip(of) {
            totals[k] += w;
        }
        for (t, c) in totals.iter().zip(&m.categories) {
            worst = worst.max((t - c.1).abs() / c.1);
        }
    }
    worst
}

/// Calibrates the respondents' weights to `margins` (whose columns must have been read as
/// auxiliary columns, see [`crate::responses::ReadOptions::auxiliary`]) and returns the new
/// weights.
pub fn calibrate(
    data: Respondents<'_>,
    margins: &Margins,
    method: Calibration,
) -> Result<Calibrated> {
    match method {
        Calibration::PostStratify if margins.margins.len() != 1 => {
            return Err(Error::calibration(format!(
                "{}: post-stratification takes one variable (or a cross such as \
                 `channel:applicant_type`), but the file has {}: several margins are calibrated \
                 by raking",
                margins.file,
                margins
                    .margins
                    .iter()
                    .map(|m| format!("`{}`", m.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Calibration::Rake => {
            let first = margins.margins[0].total();
            if let Some(m) = margins
                .margins
                .iter()
                .find(|m| ((m.total() - first) / first).abs() > 1e-9)
            {
                return Err(Error::calibration(format!(
                    "{}: the margins do not add up to the same population (`{}`: {}, `{}`: {}), \
                     so no weights can match them all",
                    margins.file,
                    margins.margins[0].name,
                    first,
                    m.name,
                    m.total()
                )));
            }
        }
        Calibration::PostStratify => {}
    }
    let of = categories_of(&data, margins)?;
    let mut w = data.weight.to_vec();
    let mut iterations = 0;
    let max_relative_gap = loop {
        iterations += 1;
        for (m, of) in margins.margins.iter().zip(&of) {
            adjust(&mut w, of, m);
        }
        let g = gap(&w, &of, margins);
        if g < RAKE_TOLERANCE {
            break g;
        }
        if iterations >= RAKE_MAX_ITERATIONS {
            return Err(Error::calibration(format!(
                "{}: raking did not converge in {RAKE_MAX_ITERATIONS} cycles (a category total \
                 is still {g:.3e} away from its population, relatively): some combination of \
                 categories has no respondent; merge small categories or rake on fewer margins",
                margins.file
            )));
        }
    };
    let groups = |of: &Vec<usize>| of.iter().map(|&k| k as u32).collect::<Vec<u32>>();
    Ok(Calibrated {
        weight: w,
        groups: match method {
            Calibration::PostStratify => CalibrationGroups::PostStrata(groups(&of[0])),
            Calibration::Rake => CalibrationGroups::Raking(of.iter().map(groups).collect()),
        },
        report: CalibrationReport {
            method: method.as_str(),
            margins: margins.margins.iter().map(|m| m.name.clone()).collect(),
            iterations,
            max_relative_gap,
            variance: match method {
                Calibration::PostStratify => "Taylor linearisation on residuals within post-strata",
                Calibration::Rake => "Taylor linearisation on residuals from the raking margins",
            },
        },
    })
}

/// A summary of the weights (recorded in `indices.json` as `weight_summary`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct WeightSummary {
    /// Number of weights (respondents).
    pub n: u64,
    /// Their sum (the estimated population).
    pub sum: f64,
    /// Smallest weight.
    pub min: f64,
    /// Largest weight.
    pub max: f64,
    /// Mean weight.
    pub mean: f64,
    /// Coefficient of variation (population standard deviation / mean).
    pub cv: f64,
    /// Kish's design effect due to unequal weighting, `n Σw² / (Σw)²`.
    pub deff_weighting: f64,
}

impl WeightSummary {
    /// Summarises `weights`; `None` when there is none.
    ///
    /// ```
    /// let s = chiso::weights::WeightSummary::of(&[1.0, 1.0, 4.0]).unwrap();
    /// // n Σw² / (Σw)² = 3 · 18 / 36 = 1.5; CV = sqrt(0.5).
    /// assert!((s.deff_weighting - 1.5).abs() < 1e-15 && (s.cv - 0.5f64.sqrt()).abs() < 1e-15);
    /// ```
    pub fn of(weights: &[f64]) -> Option<WeightSummary> {
        if weights.is_empty() {
            return None;
        }
        let n = weights.len() as f64;
        let sum: f64 = weights.iter().sum();
        let sum_sq: f64 = weights.iter().map(|w| w * w).sum();
        let deff = n * sum_sq / (sum * sum);
        Some(WeightSummary {
            n: weights.len() as u64,
            sum,
            min: weights.iter().copied().fold(f64::INFINITY, f64::min),
            max: weights.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mean: sum / n,
            cv: (deff - 1.0).max(0.0).sqrt(),
            deff_weighting: deff,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::responses::ResponseData;

    /// Respondents in one stratum of N = 100 with the given channels and types.
    fn data(channel: &[&str], kind: &[&str]) -> ResponseData {
        let n = channel.len();
        ResponseData {
            strata: vec!["S".into()],
            population: vec![100.0],
            stratum_of: vec![0; n],
            units: vec!["S".into()],
            unit_of: vec![0; n],
            answers: Vec::new(),
            officers: Vec::new(),
            officer_of: vec![crate::responses::NO_OFFICER; n],
            unit_groups: vec![String::new()],
            unit_names: vec![String::new()],
            rows: (2..2 + n as u64).collect(),
            weight: stratum_weights(&vec![0; n], &[100.0]),
            calibration: None,
            auxiliary: [
                (
                    "channel".to_string(),
                    channel.iter().map(|s| s.to_string()).collect(),
                ),
                (
                    "type".to_string(),
                    kind.iter().map(|s| s.to_string()).collect(),
                ),
            ]
            .into_iter()
            .collect(),
            invalid: None,
            response_rates: None,
            source: Default::default(),
            not_entered: None,
            dates: Vec::new(),
        }
    }

    fn margins(dir: &tempfile::TempDir, text: &str) -> Margins {
        let p = dir.path().join("margins.csv");
        std::fs::write(&p, text).unwrap();
        Margins::load(&p).unwrap()
    }

    #[test]
    fn poststratification_by_hand() {
        // 4 respondents, weight 25 each: 3 direct, 1 online; known 60 direct, 40 online.
        // Direct: 25 · 60/75 = 20 each; online: 25 · 40/25 = 40.
        let dir = tempfile::tempdir().unwrap();
        let m = margins(
            &dir,
            "variable,category,population\nchannel,direct,60\nchannel,online,40\n",
        );
        let d = data(&["direct", "online", "direct", "direct"], &["c"; 4]);
        let c = calibrate(d.respondents(), &m, Calibration::PostStratify).unwrap();
        assert_eq!(c.weight, vec![20.0, 40.0, 20.0, 20.0]);
        assert_eq!((c.report.method, c.report.iterations), ("poststratify", 1));
        let s = WeightSummary::of(&c.weight).unwrap();
        // n Σw² / (Σw)² = 4 · 2800 / 100² = 1.12.
        assert!((s.deff_weighting - 1.12).abs() < 1e-12 && s.min == 20.0 && s.max == 40.0);
        assert!((s.sum - 100.0).abs() < 1e-12 && (s.mean - 25.0).abs() < 1e-12);
    }

    #[test]
    fn a_cross_poststratifies_on_the_joint_cells() {
        let dir = tempfile::tempdir().unwrap();
        let m = margins(
            &dir,
            "variable,category,population\nchannel:type,direct:c,50\nchannel:type,online:c,30\n\
             channel:type,online:o,20\n",
        );
        let d = data(
            &["direct", "online", "online", "direct"],
            &["c", "c", "o", "c"],
        );
        let c = calibrate(d.respondents(), &m, Calibration::PostStratify).unwrap();
        assert_eq!(c.weight, vec![25.0, 30.0, 20.0, 25.0]);
    }

    #[test]
    fn raking_reaches_both_margins() {
        // Cells (direct, c) ×2, (online, c), (online, o): raking to direct 50 / online 50 and
        // c 60 / o 40. The fixed point: (online, o) must carry 40, so (online, c) carries 10
        // and the two (direct, c) respondents 25 each; from 25 each the first cycle gives
        // 25, 16.7, 33.3, 25, so it takes several.
        let dir = tempfile::tempdir().unwrap();
        let m = margins(
            &dir,
            "variable,category,population\nchannel,direct,50\nchannel,online,50\n\
             type,c,60\ntype,o,40\n",
        );
        let d = data(
            &["direct", "online", "online", "direct"],
            &["c", "c", "o", "c"],
        );
        let c = calibrate(d.respondents(), &m, Calibration::Rake).unwrap();
        for (w, want) in c.weight.iter().zip([25.0, 10.0, 40.0, 25.0]) {
            assert!((w - want).abs() < 1e-8, "{:?}", c.weight);
        }
        let r = &c.report;
        assert!(r.iterations > 1 && r.max_relative_gap < RAKE_TOLERANCE);
    }

    #[test]
    fn calibration_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let d = data(&["direct", "online"], &["c", "c"]);
        // A category with no respondent.
        let m = margins(
            &dir,
            "variable,category,population\nchannel,direct,40\nchannel,online,50\nchannel,postal,10\n",
        );
        let e = calibrate(d.respondents(), &m, Calibration::PostStratify).unwrap_err();
        assert!(
            e.to_string().contains("row 4") && e.to_string().contains("no respondent"),
            "{e}"
        );
        // A respondent whose category is not listed.
        let m = margins(&dir, "variable,category,population\nchannel,direct,40\n");
        let e = calibrate(d.respondents(), &m, Calibration::PostStratify).unwrap_err();
        assert!(
            e.to_string().contains("row 3 of the responses")
                && e.to_string().contains("\"online\""),
            "{e}"
        );
        // Margins that disagree.
        let m = margins(
            &dir,
            "variable,category,population\nchannel,direct,40\nchannel,online,50\ntype,c,100\n",
        );
        let e = calibrate(d.respondents(), &m, Calibration::Rake).unwrap_err();
        assert!(e.to_string().contains("same population"), "{e}");
        // Two variables for post-stratification.
        let e = calibrate(d.respondents(), &m, Calibration::PostStratify).unwrap_err();
        assert!(e.to_string().contains("calibrated by raking"), "{e}");
        // Raking that cannot converge: (direct, o) has nobody, but o must be 50 and direct
        // only 10 of them can be online... online carries only c respondents here.
        let m = margins(
            &dir,
            "variable,category,population\nchannel,direct,50\nchannel,online,50\ntype,c,20\ntype,o,80\n",
        );
        let d = data(&["direct", "online", "direct"], &["c", "c", "o"]);
        let e = calibrate(d.respondents(), &m, Calibration::Rake).unwrap_err();
        assert!(e.to_string().contains("did not converge"), "{e}");
        // Bad cells of the file itself.
        let p = dir.path().join("bad.csv");
        std::fs::write(&p, "variable,category,population\nchannel,direct,-4\n").unwrap();
        let e = Margins::load(&p).unwrap_err();
        assert!(e.to_string().contains("row 2, column `population`"), "{e}");
        std::fs::write(&p, "variable,category,population\nchannel:type,direct,4\n").unwrap();
        let e = Margins::load(&p).unwrap_err();
        assert!(e.to_string().contains("column `category`"), "{e}");
    }
}
