//! The PAR INDEX (Chỉ số cải cách hành chính, Chỉ số CCHC): a unit's points under a scoring
//! framework, its index, its rank within its group, and how uncertain the index and the rank
//! are because part of the points come from a sample survey.
//!
//! # The framework
//!
//! A [`Framework`] (TOML, see `docs/par.md` and the examples in `frameworks/`) lists fields
//! (lĩnh vực) → criteria (tiêu chí) → optional sub-criteria (tiêu chí thành phần), each with its
//! maximum points. The **scored items** are the sub-criteria, and the criteria that have none:
//! each has a source of points, `self` (the unit's self-assessment, replaced by the appraisal
//! council's score when there is one) or `survey` (an estimate of `indices.csv`, converted to
//! points), and may apply to some unit groups only. Everything is checked on load: positive
//! maxima, sub-criteria that add up to their criterion, fields that add up to their stated
//! maximum, a `total` equal to the sum, unique codes, known groups, consistent survey keys.
//!
//! # Points and index
//!
//! For a unit in group `g`, only the scored items that apply to `g` count, in the points and in
//! the maximum alike: `index = 100 · points / max_points`. A survey item with maximum `M` gets
//! - `share` (default): `M · estimate / 100`, `estimate` a percentage (`satisfied_pct`);
//! - `mean`: `M · (mean − 1) / (L − 1)`, `mean` the `mean_score` on the scale `1..L`.
//!
//! # Uncertainty
//!
//! Self-assessed points are taken as exact. A survey item's points have the standard error
//! `c · se` (`c = M/100` or `M/(L − 1)`), `se` the estimate's standard error in `indices.csv`.
//! `indices.csv` does not give the covariance of two indicators of the same unit (they come
//! from the same respondents and are strongly positively correlated), so chiso takes them as
//! **perfectly correlated**: the standard error of a unit's survey points is the sum of the
//! items' standard errors. This is an upper bound (the standard deviation of a sum never
//! exceeds the sum of the standard deviations), so intervals are conservative, never too
//! narrow. Different units are surveyed in different strata and are independent. The
//! interval is the normal one, `index ± z · se`, cut to `[0, 100]`.
//!
//! # Rank intervals
//!
//! Rank 1 is the highest index in the group; indices within [`TIE_TOLERANCE`] of each other
//! share the best rank (`rank = 1 + the number of units of the group with a higher index`).
//! The rank interval comes from a seeded simulation ([`RANK_ALGORITHM`]): in each of `R`
//! replicates every unit's survey estimates are redrawn from their sampling distribution — one
//! standard normal deviate `z` per unit and replicate, shared by the unit's survey items as the
//! perfect correlation above implies, each item's points being `points + z · c · se` cut to
//! `[0, M]` — and the units are ranked again. The interval runs from the `⌈q·R⌉`-th to the
//! `⌈(1 − q)·R⌉`-th smallest of a unit's `R` ranks, `q = (1 − level)/2` (R's quantile type 1).
//!
//! The deviates are ChaCha20 (`rand_chacha`) output turned into normals by code of our own, so
//! they never change with a `rand` release: the key is `SHA-256("chiso-par-ranks-v1" || 0x00 ||
//! seed)`; unit `u` reads stream `u64_le(SHA-256("chiso-par-unit-v1" || 0x00 || unit_code)[..8])`;
//! each deviate takes two 64-bit words `a, b`, `u1 = 1 − (a >> 11)·2⁻⁵³` (in `(0, 1]`),
//! `u2 = (b >> 11)·2⁻⁵³`, `z = √(−2 ln u1) · cos(2π u2)` (Box–Muller, the cosine half only;
//! `random::par_unit`, `random::standard_normal`).
//! A unit's deviates therefore depend only on the seed and its code: adding or removing another
//! unit does not change them, and the same inputs and seed give byte-identical files.
//!
//! ```
//! use chiso::par::{Framework, Scores, Settings};
//! # fn main() -> chiso::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let fw = Framework::from_toml(r#"
//!     name = "example"
//!     total = 10
//!     [[field]]
//!     code = "1"
//!     name = "Chỉ đạo, điều hành"
//!     [[field.criterion]]
//!     code = "1.1"
//!     name = "Kế hoạch CCHC"
//!     max = 10
//! "#, "framework.toml")?;
//! let path = dir.path().join("scores.csv");
//! std::fs::write(&path, "unit_code,criterion,self_score,appraised_score\n\
//!     SO-A,1.1,9,8\nSO-B,1.1,7,\n").unwrap();
//! let scores = Scores::read(&path, None, &fw)?;
//! let result = chiso::par::compute(&fw, &scores, None, &Settings::default())?;
//! assert_eq!(result.units[0].unit_code, "SO-A");
//! assert_eq!(result.units[0].index, 80.0); // the appraised 8 of 10 points
//! assert_eq!(result.units[1].rank, 2);
//! # Ok(()) }
//! ```

mod framework;
mod inputs;
mod simulation;
mod write;

pub use crate::files::par::{CriterionPoints, FieldPoints, UnitResult};
pub use framework::{
    Conversion, ConversionName, Criterion, CriterionSpec, Field, FieldSpec, Framework,
    FrameworkSpec, Source, SourceName,
};
pub use inputs::{
    Layout, ReadOptions, SCORES_COLUMNS, Score, ScoredUnit, Scores, Survey, SurveyEstimate,
};
pub use simulation::deviates;
pub use write::write;

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::{Error, Result};
use crate::random::{self, standard_normal};
use simulation::{quantile, rank_group};

/// The identifier of the rank-interval simulation, recorded in `par.json`
/// (`chiso-par-ranks-v1`, also the prefix of its key: `random::par_ranks_key`).
pub const RANK_ALGORITHM: &str = random::domain::PAR_RANKS;

/// Replicates of the rank simulation unless told otherwise.
pub const DEFAULT_REPLICATES: u32 = 1000;

/// The seed of the rank simulation unless told otherwise.
pub const DEFAULT_SEED: &str = "chiso-par";

/// Indices closer than this (in index points) are tied.
pub const TIE_TOLERANCE: f64 = 1e-9;

/// Points sums are compared with this tolerance (maxima such as 0.1 + 0.2 are not exact in
/// binary); a score may pass its maximum by no more than this.
pub const POINTS_TOLERANCE: f64 = 1e-9;

/// Allowance for binary rounding in `⌈q·R⌉` (so that `0.025 · 1000` is 25, not 26).
const QUANTILE_ALLOWANCE: f64 = 1e-9;

// ---------------------------------------------------------------------------------------------
// Results.

/// Settings of a PAR run (recorded in `par.json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Settings {
    /// Confidence level of the index and rank intervals.
    pub level: f64,
    /// Replicates of the rank simulation.
    pub replicates: u32,
    /// The seed text of the rank simulation.
    pub seed: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            level: 0.95,
            replicates: DEFAULT_REPLICATES,
            seed: DEFAULT_SEED.to_string(),
        }
    }
}

impl Settings {
    /// Validated settings: a level strictly between 0 and 1 and at least one replicate.
    pub fn new(level: f64, replicates: u32, seed: &str) -> Result<Settings> {
        let settings = Settings {
            level,
            replicates,
            seed: seed.to_string(),
        };
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<()> {
        if !(self.level > 0.0 && self.level <= crate::ci::MAX_LEVEL) {
            return Err(Error::setting(
                "level",
                self.level,
                format!(
                    "expected a proportion such as 0.95, above 0 and at most {}",
                    crate::ci::MAX_LEVEL
                ),
            ));
        }
        if self.replicates == 0 {
            return Err(Error::setting(
                "replicates",
                0,
                "the rank simulation needs at least one replicate, e.g. 1000",
            ));
        }
        if self.replicates > crate::ranks::MAX_REPLICATES {
            return Err(Error::setting(
                "replicates",
                self.replicates,
                format!(
                    "expected at most {}: beyond that the rank intervals no longer move",
                    crate::ranks::MAX_REPLICATES
                ),
            ));
        }
        Ok(())
    }
}

/// The result of a PAR run: units ordered by group, rank and code.
#[derive(Clone, Debug, PartialEq)]
pub struct ParResult {
    /// The settings used.
    pub settings: Settings,
    /// One per unit.
    pub units: Vec<UnitResult>,
    /// SHA-256 of the scores file.
    pub scores_sha256: String,
    /// SHA-256 of the survey file, when one was used.
    pub survey_sha256: Option<String>,
    /// Where the result comes from: the framework, scores and survey files, and the sample
    /// the survey rests on (as its `indices.json` names it).
    pub provenance: crate::provenance::Provenance,
}

/// One survey item of a unit, on the points scale: `points ± z·se`, cut to `[0, max]`.
struct Draw {
    points: f64,
    se: f64,
    max: f64,
}

/// Scores every unit, computes its index, interval, rank and rank interval.
pub fn compute(
    fw: &Framework,
    scores: &Scores,
    survey: Option<&Survey>,
    settings: &Settings,
) -> Result<ParResult> {
    settings.check()?;
    let survey = match (fw.needs_survey(), survey) {
        (true, None) => {
            let criteria: Vec<&str> = fw
                .criteria
                .iter()
                .filter(|c| matches!(c.source, Source::Survey { .. }))
                .map(|c| c.code.as_str())
                .collect();
            return Err(Error::input(
                "survey",
                format!(
                    "{}: criteria {} are scored from the survey: give its indices.csv \
                     (written by chiso index)",
                    fw.file(),
                    criteria.join(", ")
                ),
            ));
        }
        (_, s) => s,
    };
    let z = Normal::standard().inverse_cdf(1.0 - (1.0 - settings.level) / 2.0);
    let mut units: Vec<UnitResult> = Vec::with_capacity(scores.units.len());
    let mut draws: Vec<(f64, Vec<Draw>)> = Vec::with_capacity(scores.units.len());
    for unit in &scores.units {
        let mut fields: Vec<FieldPoints> = fw
            .fields
            .iter()
            .map(|f| FieldPoints {
                field: f.code.clone(),
                field_name: f.name.clone(),
                points: 0.0,
                max_points: 0.0,
            })
            .collect();
        let mut criteria = Vec::new();
        let mut unit_draws = Vec::new();
        let mut fixed_points = 0.0;
        let (mut points, mut max_points, mut se_points) = (0.0, 0.0, 0.0);
        for (k, c) in fw.criteria.iter().enumerate() {
            if !c.applies_to(&unit.group) {
                continue;
            }
            let mut cp = CriterionPoints {
                criterion: c.code.clone(),
                field: fw.fields[c.field].code.clone(),
                source: c.source.as_str(),
                self_score: None,
                appraised_score: None,
                survey_estimate: None,
                survey_std_error: None,
                points: 0.0,
                points_std_error: 0.0,
                max_points: c.max,
                note: String::new(),
            };
            match &c.source {
                Source::SelfAssessed => {
                    let s = unit.scores[k].as_ref().expect("checked when read");
                    cp.self_score = s.self_score;
                    cp.appraised_score = s.appraised_score;
                    cp.points = s.points();
                    cp.note = s.note.clone();
                    fixed_points += cp.points;
                }
                Source::Survey {
                    indicator,
                    measure,
                    conversion,
                } => {
                    let survey = survey.expect("checked above");
                    let (est, se) = survey_value(survey, unit, c, indicator, measure, *conversion)?;
                    let (coef, offset, _, _) = conversion.terms(c.max);
                    cp.survey_estimate = Some(est);
                    cp.survey_std_error = Some(se);
                    cp.points = coef * (est - offset);
                    cp.points_std_error = coef * se;
                    unit_draws.push(Draw {
                        points: cp.points,
                        se: cp.points_std_error,
                        max: c.max,
                    });
                }
            }
            points += cp.points;
            max_points += c.max;
            se_points += cp.points_std_error;
            fields[c.field].points += cp.points;
            fields[c.field].max_points += c.max;
            criteria.push(cp);
        }
        let index = 100.0 * points / max_points;
        let std_error = 100.0 * se_points / max_points;
        units.push(UnitResult {
            unit_code: unit.code.clone(),
            unit_name: unit.name.clone(),
            unit_group: unit.group.clone(),
            points,
            max_points,
            index,
            std_error,
            ci_lower: (index - z * std_error).clamp(0.0, 100.0),
            ci_upper: (index + z * std_error).clamp(0.0, 100.0),
            rank: 0,
            rank_lower: 0,
            rank_upper: 0,
            group_size: 0,
            fields,
            criteria,
        });
        draws.push((fixed_points, unit_draws));
    }

    // Groups, in order of name; members in unit order.
    let mut group_names: Vec<&str> = units.iter().map(|u| u.unit_group.as_str()).collect();
    group_names.sort_unstable();
    group_names.dedup();
    let groups: Vec<Vec<usize>> = group_names
        .iter()
        .map(|g| {
            (0..units.len())
                .filter(|&i| units[i].unit_group == *g)
                .collect()
        })
        .collect();
    let indices: Vec<f64> = units.iter().map(|u| u.index).collect();
    let mut ranks = vec![0u32; units.len()];
    for members in &groups {
        rank_group(&indices, members, &mut ranks);
    }
    for (u, unit) in units.iter_mut().enumerate() {
        unit.rank = ranks[u];
        unit.group_size = groups
            .iter()
            .find(|g| g.contains(&u))
            .map_or(0, |g| g.len() as u32);
    }

    // The rank simulation.
    let r = settings.replicates as usize;
    let key = random::par_ranks_key(&settings.seed);
    let mut simulated: Vec<Vec<f64>> = Vec::with_capacity(units.len());
    for (u, (fixed, unit_draws)) in draws.iter().enumerate() {
        let max = units[u].max_points;
        if unit_draws.is_empty() {
            simulated.push(vec![units[u].index; r]);
            continue;
        }
        let mut rng = random::par_unit(&key, &units[u].unit_code);
        simulated.push(
            (0..r)
                .map(|_| {
                    let z = standard_normal(&mut rng);
                    let p: f64 = unit_draws
                        .iter()
                        .map(|d| (d.points + z * d.se).clamp(0.0, d.max))
                        .sum();
                    100.0 * (fixed + p) / max
                })
                .collect(),
        );
    }
    let mut rank_draws: Vec<Vec<u32>> = vec![Vec::with_capacity(r); units.len()];
    let mut replicate = vec![0.0; units.len()];
    for i in 0..r {
        for (u, s) in simulated.iter().enumerate() {
            replicate[u] = s[i];
        }
        for members in &groups {
            rank_group(&replicate, members, &mut ranks);
        }
        for (u, d) in rank_draws.iter_mut().enumerate() {
            d.push(ranks[u]);
        }
    }
    let q = (1.0 - settings.level) / 2.0;
    for (u, d) in rank_draws.iter_mut().enumerate() {
        d.sort_unstable();
        units[u].rank_lower = quantile(d, q);
        units[u].rank_upper = quantile(d, 1.0 - q);
    }

    units.sort_by(|a, b| {
        a.unit_group
            .cmp(&b.unit_group)
            .then(a.rank.cmp(&b.rank))
            .then(a.unit_code.cmp(&b.unit_code))
    });
    Ok(ParResult {
        settings: settings.clone(),
        units,
        scores_sha256: scores.sha256.clone(),
        survey_sha256: survey.map(|s| s.sha256.clone()),
        provenance: crate::provenance::Provenance::default(),
    })
}

/// The estimate and standard error of a survey item for a unit, checked.
fn survey_value(
    survey: &Survey,
    unit: &ScoredUnit,
    c: &Criterion,
    indicator: &str,
    measure: &str,
    conversion: Conversion,
) -> Result<(f64, f64)> {
    let key = format!(
        "domain `{}`, indicator `{indicator}`, measure `{measure}`",
        unit.code
    );
    let need = format!(
        "needed by survey criterion `{}` of unit `{}`",
        c.code, unit.code
    );
    let e = survey
        .estimates
        .get(&(
            unit.code.clone(),
            indicator.to_string(),
            measure.to_string(),
        ))
        .ok_or_else(|| {
            Error::design(
                &survey.file,
                &key,
                format!(
                    "not in the survey results ({need}): was the unit surveyed, under this \
                     code, with a questionnaire that has this indicator?"
                ),
            )
        })?;
    let (est, se) = match (e.estimate, e.std_error) {
        (Some(est), Some(se)) => (est, se),
        (None, _) => {
            return Err(Error::cell(
                &survey.file,
                e.row,
                "estimate",
                "",
                format!("no estimate (no answer in the domain?), {need}"),
            ));
        }
        (Some(_), None) => {
            return Err(Error::cell(
                &survey.file,
                e.row,
                "std_error",
                "",
                if e.se_note.is_empty() {
                    format!("no standard error, {need}")
                } else {
                    format!(
                        "no standard error ({}: too few answers in the unit to say how precise \
                         the estimate is), {need}",
                        e.se_note
                    )
                },
            ));
        }
    };
    let (_, _, low, high) = conversion.terms(c.max);
    if !(low..=high).contains(&est) {
        return Err(Error::cell(
            &survey.file,
            e.row,
            "estimate",
            &est.to_string(),
            format!(
                "outside {low}..{high}, the range conversion = {:?} expects ({need})",
                conversion.as_str()
            ),
        ));
    }
    Ok((est, se))
}

// ---------------------------------------------------------------------------------------------
// The command: `chiso par`.

/// What `chiso par` needs, validated.
#[derive(Clone, Debug)]
pub struct ParRequest {
    /// The scoring framework.
    pub framework: Framework,
    /// The scores file (CSV or a spreadsheet).
    pub scores: std::path::PathBuf,
    /// The sheet, for a spreadsheet of scores.
    pub sheet: Option<String>,
    /// The scores' layout (found from the header unless given) and the headers of their
    /// columns.
    pub reading: ReadOptions,
    /// The survey's `indices.csv`, or the directory holding it, for survey criteria.
    pub survey: Option<std::path::PathBuf>,
    /// Level and rank simulation.
    pub settings: Settings,
    /// The output directory.
    pub out: std::path::PathBuf,
}

/// Reads the scores (and the survey's indices), scores every unit and writes `par.csv`,
/// `par_fields.csv`, `par_criteria.csv` and `par.json` together; returns the result and the
/// files written.
pub fn run(req: &ParRequest) -> Result<(ParResult, Vec<std::path::PathBuf>)> {
    let fw = &req.framework;
    let scores = Scores::read_with(&req.scores, req.sheet.as_deref(), fw, &req.reading)?;
    let survey = match &req.survey {
        Some(s) if s.is_dir() => Some(Survey::read(&s.join("indices.csv"))?),
        Some(s) => Some(Survey::read(s)?),
        None => None,
    };
    let mut result = compute(fw, &scores, survey.as_ref(), &req.settings)?;
    let p = &mut result.provenance;
    if let Some(source) = &fw.source {
        p.add("framework", source.clone());
    }
    p.add(
        "scores",
        crate::provenance::FileDigest::new(&req.scores, scores.sha256.clone()),
    );
    if let (Some(s), Some(path)) = (&survey, &req.survey) {
        let csv = if path.is_dir() {
            path.join("indices.csv")
        } else {
            path.clone()
        };
        p.add(
            "survey",
            crate::provenance::FileDigest::new(&csv, s.sha256.clone()),
        );
        p.sample = s.provenance.as_ref().and_then(|q| q.sample.clone());
    }
    let written = write(&req.out, fw, &result, req.sheet.as_deref(), &req.reading)?;
    Ok((result, written))
}

impl ParResult {
    /// How many units in how many groups were scored on `fw`, for standard output.
    pub fn summary(&self, fw: &Framework) -> String {
        let groups: std::collections::BTreeSet<&str> =
            self.units.iter().map(|u| u.unit_group.as_str()).collect();
        format!(
            "{} units in {} group(s) scored on {:?} ({} points)\n",
            self.units.len(),
            groups.len(),
            fw.name,
            fw.total
        )
    }

    /// One line per group: how many units, the range of the index, who leads and who lags,
    /// and where `par.csv` is (in `dir`).
    pub fn group_summary(&self, fw: &Framework, dir: &std::path::Path) -> String {
        let mut groups: Vec<&str> = self.units.iter().map(|u| u.unit_group.as_str()).collect();
        groups.dedup();
        let mut out = String::new();
        for g in groups {
            // Units come ordered by group and rank.
            let units: Vec<&UnitResult> = self.units.iter().filter(|u| u.unit_group == g).collect();
            let (first, last) = (units[0], units[units.len() - 1]);
            out += &format!(
                "par:     {} {g} units on {:?}: index {:.2} ({}) to {:.2} ({}) in {}\n",
                units.len(),
                fw.name,
                first.index,
                first.unit_code,
                last.index,
                last.unit_code,
                dir.join("par.csv").display()
            );
        }
        out
    }
}
