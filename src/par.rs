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
//! `u2 = (b >> 11)·2⁻⁵³`, `z = √(−2 ln u1) · cos(2π u2)` (Box–Muller, the cosine half only).
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

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::{CellProblem, Error, ErrorKind, Result};
use crate::output::Staged;
use crate::table::{self, Table};

/// The identifier of the rank-interval simulation, recorded in `par.json`.
pub const RANK_ALGORITHM: &str = "chiso-par-ranks-v1";

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
// The framework as written.

/// The framework file as written in TOML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkSpec {
    /// Its name.
    pub name: String,
    /// The stated total of all maxima (usually 100); it must equal their sum.
    pub total: f64,
    /// The unit groups the framework knows (e.g. `["so", "ban"]`); needed when a criterion
    /// applies to some groups only, and then the scores' `unit_group` values must be among them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The fields, in order.
    #[serde(rename = "field", default)]
    pub fields: Vec<FieldSpec>,
}

/// `[[field]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Its code, e.g. `1` or `I`.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its maximum points (optional; checked against the sum of its criteria when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Its criteria, in order.
    #[serde(rename = "criterion", default)]
    pub criteria: Vec<CriterionSpec>,
}

/// `[[field.criterion]]` or `[[field.criterion.sub]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionSpec {
    /// Its code, unique among all criteria and sub-criteria, e.g. `1.2` or `1.2.1`.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its maximum points.
    pub max: f64,
    /// The groups it applies to (default: all; a sub-criterion inherits its criterion's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Where the points come from (scored items only; default `self`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceName>,
    /// The `indicator` of `indices.csv` (survey items), e.g. `overall` or `element:E3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    /// The `measure` of `indices.csv` (survey items; default from the conversion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    /// How the estimate becomes points (survey items; default `share`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<ConversionName>,
    /// The highest answer `L` of the scale, for `conversion = "mean"` (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_max: Option<f64>,
    /// Its sub-criteria (criteria only).
    #[serde(rename = "sub", default, skip_serializing_if = "Vec::is_empty")]
    pub subs: Vec<CriterionSpec>,
}

/// `source = "self" | "survey"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceName {
    /// Self-assessed, as appraised.
    #[serde(rename = "self")]
    SelfAssessed,
    /// From the survey's indices.
    #[serde(rename = "survey")]
    Survey,
}

/// `conversion = "share" | "mean"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversionName {
    /// `max · estimate / 100`.
    Share,
    /// `max · (mean − 1) / (L − 1)`.
    Mean,
}

// ---------------------------------------------------------------------------------------------
// The validated framework.

/// How a survey estimate becomes points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Conversion {
    /// `max · estimate / 100`, the estimate a percentage.
    Share,
    /// `max · (mean − 1) / (L − 1)`, the estimate a mean score on `1..L`.
    Mean {
        /// `L`, the highest answer.
        scale_max: f64,
    },
}

impl Conversion {
    /// `(c, offset, low, high)`: points = `c · (estimate − offset)`, the estimate must lie in
    /// `[low, high]`.
    fn terms(self, max: f64) -> (f64, f64, f64, f64) {
        match self {
            Conversion::Share => (max / 100.0, 0.0, 0.0, 100.0),
            Conversion::Mean { scale_max } => (max / (scale_max - 1.0), 1.0, 1.0, scale_max),
        }
    }

    /// `share` or `mean`.
    pub fn as_str(self) -> &'static str {
        match self {
            Conversion::Share => "share",
            Conversion::Mean { .. } => "mean",
        }
    }
}

/// Where a scored item's points come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The unit's self-assessment, replaced by the appraised score when there is one.
    SelfAssessed,
    /// An estimate of the survey.
    Survey {
        /// `indicator` in `indices.csv`.
        indicator: String,
        /// `measure` in `indices.csv`.
        measure: String,
        /// The conversion to points.
        conversion: Conversion,
    },
}

impl Source {
    /// `self` or `survey`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::SelfAssessed => "self",
            Source::Survey { .. } => "survey",
        }
    }
}

/// A field.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its maximum points.
    pub max: f64,
}

/// A scored item: a sub-criterion, or a criterion without sub-criteria.
#[derive(Clone, Debug, PartialEq)]
pub struct Criterion {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Index of its field in [`Framework::fields`].
    pub field: usize,
    /// The code of the criterion it belongs to, for a sub-criterion.
    pub parent: Option<String>,
    /// Its maximum points.
    pub max: f64,
    /// The groups it applies to; `None` = all.
    pub groups: Option<Vec<String>>,
    /// Where its points come from.
    pub source: Source,
}

impl Criterion {
    /// Whether it applies to a unit of group `group`.
    pub fn applies_to(&self, group: &str) -> bool {
        self.groups
            .as_ref()
            .is_none_or(|g| g.iter().any(|x| x == group))
    }
}

/// A validated framework.
#[derive(Clone, Debug, PartialEq)]
pub struct Framework {
    /// Its name.
    pub name: String,
    /// The total of all maxima.
    pub total: f64,
    /// The groups it knows (may be empty).
    pub groups: Vec<String>,
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// The scored items, in framework order.
    pub criteria: Vec<Criterion>,
    /// Criteria scored through their sub-criteria: (code, sub-criteria codes).
    pub parents: Vec<(String, Vec<String>)>,
    /// SHA-256 of the file, when loaded from one.
    pub sha256: Option<String>,
    file: String,
}

impl Framework {
    /// Reads and validates a framework file.
    pub fn load(path: &Path) -> Result<Framework> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes.clone()).map_err(|_| ErrorKind::Malformed {
            file: name.clone(),
            location: String::new(),
            message: "not UTF-8 text".into(),
        })?;
        let mut fw = Framework::from_toml(&text, &name)?;
        fw.sha256 = Some(hex::encode(Sha256::digest(&bytes)));
        Ok(fw)
    }

    /// Parses and validates framework TOML; `file` names it in messages.
    pub fn from_toml(text: &str, file: &str) -> Result<Framework> {
        let spec: FrameworkSpec = toml::from_str(text).map_err(|e| ErrorKind::Malformed {
            file: file.to_string(),
            location: String::new(),
            message: format!("not a valid PAR framework: {}", e.to_string().trim_end()),
        })?;
        Framework::from_spec(spec, file)
    }

    /// Validates a framework; `file` names it in messages.
    pub fn from_spec(spec: FrameworkSpec, file: &str) -> Result<Framework> {
        let err = |key: &str, msg: String| Error::design(file, key, msg);
        if !(spec.total.is_finite() && spec.total > 0.0) {
            return Err(err(
                "total",
                format!(
                    "{} must be a positive number of points, e.g. 100",
                    spec.total
                ),
            ));
        }
        let mut groups: Vec<String> = Vec::new();
        for g in &spec.groups {
            if g.trim().is_empty() || g.trim() != g {
                return Err(err(
                    "groups",
                    format!("{g:?} is not a group name (no empty names or surrounding spaces)"),
                ));
            }
            if groups.contains(g) {
                return Err(err("groups", format!("{g:?} is listed twice")));
            }
            groups.push(g.clone());
        }
        if spec.fields.is_empty() {
            return Err(err("[[field]]", "the framework has no field".into()));
        }
        let mut fields: Vec<Field> = Vec::new();
        let mut criteria: Vec<Criterion> = Vec::new();
        let mut parents: Vec<(String, Vec<String>)> = Vec::new();
        let mut codes: BTreeSet<String> = BTreeSet::new();
        let mut sum_total = 0.0;
        for f in &spec.fields {
            let fkey = format!("field {:?}", f.code);
            if f.code.trim().is_empty() {
                return Err(err("[[field]] code", "a field has an empty code".into()));
            }
            if fields.iter().any(|x| x.code == f.code) {
                return Err(err(&fkey, "two fields have this code".into()));
            }
            if f.criteria.is_empty() {
                return Err(err(&fkey, "the field has no criterion".into()));
            }
            let field = fields.len();
            let mut sum = 0.0;
            for c in &f.criteria {
                check_criterion(c, None, file, &groups, &mut codes)?;
                sum += c.max;
                if c.subs.is_empty() {
                    criteria.push(leaf(c, field, None, c.groups.clone(), file)?);
                } else {
                    for s in &c.subs {
                        check_criterion(s, Some(c), file, &groups, &mut codes)?;
                        let groups = s.groups.clone().or_else(|| c.groups.clone());
                        criteria.push(leaf(s, field, Some(c.code.clone()), groups, file)?);
                    }
                    parents.push((
                        c.code.clone(),
                        c.subs.iter().map(|s| s.code.clone()).collect(),
                    ));
                }
            }
            if let Some(m) = f.max {
                if !close(m, sum) {
                    return Err(err(
                        &format!("{fkey} max"),
                        format!(
                            "{m} is not the sum of the field's criteria ({sum}); \
                             correct one of them or remove `max`"
                        ),
                    ));
                }
            }
            sum_total += sum;
            fields.push(Field {
                code: f.code.clone(),
                name: f.name.clone(),
                max: sum,
            });
        }
        if !close(spec.total, sum_total) {
            return Err(err(
                "total",
                format!(
                    "{} is not the sum of the fields' maxima ({sum_total}): {}",
                    spec.total,
                    fields
                        .iter()
                        .map(|f| format!("{} = {}", f.code, f.max))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(Framework {
            name: spec.name,
            total: spec.total,
            groups,
            fields,
            criteria,
            parents,
            sha256: None,
            file: file.to_string(),
        })
    }

    /// The file it was read from (for messages).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Whether some scored item comes from the survey.
    pub fn needs_survey(&self) -> bool {
        self.criteria
            .iter()
            .any(|c| matches!(c.source, Source::Survey { .. }))
    }

    /// Whether some scored item applies to some groups only.
    pub fn has_group_rules(&self) -> bool {
        self.criteria.iter().any(|c| c.groups.is_some())
    }

    /// The scored item with code `code`.
    pub fn criterion(&self, code: &str) -> Option<usize> {
        self.criteria.iter().position(|c| c.code == code)
    }

    /// The maximum points of the items that apply to group `group`.
    pub fn max_points(&self, group: &str) -> f64 {
        self.criteria
            .iter()
            .filter(|c| c.applies_to(group))
            .map(|c| c.max)
            .sum()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= POINTS_TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

/// Checks what every criterion and sub-criterion must satisfy.
fn check_criterion(
    c: &CriterionSpec,
    parent: Option<&CriterionSpec>,
    file: &str,
    groups: &[String],
    codes: &mut BTreeSet<String>,
) -> Result<()> {
    let kind = if parent.is_some() {
        "sub-criterion"
    } else {
        "criterion"
    };
    let key = format!("{kind} {:?}", c.code);
    let err = |k: &str, msg: String| Error::design(file, k, msg);
    if c.code.trim().is_empty() {
        return Err(err(&key, format!("a {kind} has an empty code")));
    }
    if !codes.insert(c.code.clone()) {
        return Err(err(
            &key,
            "two criteria or sub-criteria have this code; codes must be unique".into(),
        ));
    }
    if !(c.max.is_finite() && c.max > 0.0) {
        return Err(err(
            &format!("{key} max"),
            format!("{} must be a positive number of points", c.max),
        ));
    }
    if let Some(gs) = &c.groups {
        let gkey = format!("{key} groups");
        if gs.is_empty() {
            return Err(err(
                &gkey,
                "an empty list: leave `groups` out for a criterion that applies to all".into(),
            ));
        }
        if groups.is_empty() {
            return Err(err(
                &gkey,
                "list the unit groups in the top-level `groups` first, e.g. groups = [\"so\", \"ban\"]"
                    .into(),
            ));
        }
        let mut seen: Vec<&str> = Vec::new();
        for g in gs {
            if !groups.contains(g) {
                return Err(err(
                    &gkey,
                    format!(
                        "{g:?} is not one of the framework's groups ({})",
                        groups.join(", ")
                    ),
                ));
            }
            if seen.contains(&g.as_str()) {
                return Err(err(&gkey, format!("{g:?} is listed twice")));
            }
            seen.push(g);
        }
        if let Some(Some(pg)) = parent.map(|p| &p.groups) {
            if let Some(g) = gs.iter().find(|g| !pg.contains(g)) {
                return Err(err(
                    &gkey,
                    format!(
                        "{g:?} is not among the groups of criterion {:?} ({})",
                        parent.map(|p| p.code.as_str()).unwrap_or_default(),
                        pg.join(", ")
                    ),
                ));
            }
        }
    }
    if parent.is_some() && !c.subs.is_empty() {
        return Err(err(
            &key,
            "a sub-criterion cannot have sub-criteria of its own".into(),
        ));
    }
    if !c.subs.is_empty() {
        let scored = [
            ("source", c.source.is_some()),
            ("indicator", c.indicator.is_some()),
            ("measure", c.measure.is_some()),
            ("conversion", c.conversion.is_some()),
            ("scale_max", c.scale_max.is_some()),
        ];
        if let Some((k, _)) = scored.iter().find(|(_, set)| *set) {
            return Err(err(
                &format!("{key} {k}"),
                "a criterion with sub-criteria is scored through them: set it on each sub-criterion"
                    .into(),
            ));
        }
        let sum: f64 = c.subs.iter().map(|s| s.max).sum();
        if !close(sum, c.max) {
            return Err(err(
                &format!("{key} max"),
                format!(
                    "{} is not the sum of its sub-criteria ({sum}: {})",
                    c.max,
                    c.subs
                        .iter()
                        .map(|s| format!("{} = {}", s.code, s.max))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The scored item of a criterion without sub-criteria, or of a sub-criterion.
fn leaf(
    c: &CriterionSpec,
    field: usize,
    parent: Option<String>,
    groups: Option<Vec<String>>,
    file: &str,
) -> Result<Criterion> {
    let kind = if parent.is_some() {
        "sub-criterion"
    } else {
        "criterion"
    };
    let key = |k: &str| format!("{kind} {:?} {k}", c.code);
    let err = |k: &str, msg: &str| Error::design(file, &key(k), msg.to_string());
    let source = match c.source.unwrap_or(SourceName::SelfAssessed) {
        SourceName::SelfAssessed => {
            for (k, set) in [
                ("indicator", c.indicator.is_some()),
                ("measure", c.measure.is_some()),
                ("conversion", c.conversion.is_some()),
                ("scale_max", c.scale_max.is_some()),
            ] {
                if set {
                    return Err(err(
                        k,
                        "only survey criteria take this key: add source = \"survey\" or remove it",
                    ));
                }
            }
            Source::SelfAssessed
        }
        SourceName::Survey => {
            let indicator = match &c.indicator {
                Some(i) if !i.trim().is_empty() => i.trim().to_string(),
                _ => {
                    return Err(err(
                        "indicator",
                        "a survey criterion needs the indicator of indices.csv it is scored \
                         from, e.g. indicator = \"overall\" or \"element:E3\"",
                    ));
                }
            };
            let conversion = match c.conversion.unwrap_or(ConversionName::Share) {
                ConversionName::Share => {
                    if c.scale_max.is_some() {
                        return Err(err(
                            "scale_max",
                            "only conversion = \"mean\" uses the scale maximum",
                        ));
                    }
                    Conversion::Share
                }
                ConversionName::Mean => {
                    let l = c.scale_max.unwrap_or(5.0);
                    if !(l.is_finite() && l > 1.0) {
                        return Err(err(
                            "scale_max",
                            "the highest answer of the scale must be above 1, e.g. 5",
                        ));
                    }
                    Conversion::Mean { scale_max: l }
                }
            };
            let wanted = match conversion {
                Conversion::Share => "satisfied_pct",
                Conversion::Mean { .. } => "mean_score",
            };
            let measure = c.measure.clone().unwrap_or_else(|| wanted.to_string());
            if measure != wanted {
                return Err(Error::design(
                    file,
                    &key("measure"),
                    format!(
                        "{measure:?} cannot be converted by conversion = {:?}: it reads \
                         measure = {wanted:?}",
                        conversion.as_str()
                    ),
                ));
            }
            Source::Survey {
                indicator,
                measure,
                conversion,
            }
        }
    };
    Ok(Criterion {
        code: c.code.clone(),
        name: c.name.clone(),
        field,
        parent,
        max: c.max,
        groups,
        source,
    })
}

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

fn cell(file: &str, row: u64, column: &str, value: &str, reason: String) -> Error {
    ErrorKind::Cell(CellProblem {
        file: file.to_string(),
        row,
        column: column.to_string(),
        value: value.to_string(),
        reason,
    })
    .into()
}

fn require(table: &Table, names: &[&str], what: &str) -> Result<Vec<usize>> {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| table.column(n).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ErrorKind::Malformed {
            file: table.name().to_string(),
            location: String::new(),
            message: format!(
                "missing required column(s) {} of {what}; the header has: {}",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                table
                    .headers()
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
        .into());
    }
    Ok(names
        .iter()
        .map(|n| table.column(n).expect("checked"))
        .collect())
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
        let c = require(
            &table,
            &["unit_code", "criterion", "self_score", "appraised_score"],
            "a scores file",
        )?;
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
                file,
                location: String::new(),
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
                return Err(cell(
                    &file,
                    n,
                    "unit_code",
                    code,
                    "expected a unit code".into(),
                ));
            }
            let name = c_name.map(|i| row.get(i)).unwrap_or("");
            let group = c_group.map(|i| row.get(i)).unwrap_or("");
            if let Some(_i) = c_group {
                if group.is_empty() {
                    return Err(cell(
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
                    return Err(cell(
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
                        return Err(cell(
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
                            return Err(cell(
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
                    return Err(cell(&file, n, "criterion", crit, reason));
                }
            };
            let criterion = &fw.criteria[k];
            if let Source::Survey { indicator, .. } = &criterion.source {
                return Err(cell(
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
                return Err(cell(
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
                return Err(cell(
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
                    cell(
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
                return Err(cell(
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
                file,
                location: String::new(),
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
                    return Err(cell(
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
}

impl Survey {
    /// Reads `indices.csv` (columns `domain, indicator, measure, estimate, std_error`, and `n`
    /// when present).
    pub fn read(path: &Path) -> Result<Survey> {
        let mut table = Table::open(path, None)?;
        let file = table.name().to_string();
        let c = require(
            &table,
            &["domain", "indicator", "measure", "estimate", "std_error"],
            "indices.csv (as written by chiso index)",
        )?;
        let c_n = table.column("n");
        let mut estimates = HashMap::new();
        while let Some(row) = table.next_row()? {
            if row.is_blank() {
                continue;
            }
            let n = row.number();
            let num = |i: usize, header: &str| -> Result<Option<f64>> {
                let text = row.get(i);
                match number(text) {
                    Ok(Some(v)) if header == "std_error" && v < 0.0 => Err(cell(
                        &file,
                        n,
                        header,
                        text,
                        "a standard error cannot be negative".into(),
                    )),
                    Ok(v) => Ok(v),
                    Err(()) => Err(cell(
                        &file,
                        n,
                        header,
                        text,
                        "expected a number, or an empty cell when there is no estimate".into(),
                    )),
                }
            };
            let estimate = num(c[3], "estimate")?;
            let std_error = num(c[4], "std_error")?;
            let count = match c_n {
                None => None,
                Some(i) if row.get(i).is_empty() => None,
                Some(i) => Some(row.get(i).parse::<u64>().map_err(|_| {
                    cell(
                        &file,
                        n,
                        "n",
                        row.get(i),
                        "expected a count of answers, e.g. 120".into(),
                    )
                })?),
            };
            let key = (
                row.get(c[0]).to_string(),
                row.get(c[1]).to_string(),
                row.get(c[2]).to_string(),
            );
            if let Some(first) = estimates.get(&key) {
                let first: &SurveyEstimate = first;
                return Err(cell(
                    &file,
                    n,
                    "domain",
                    &key.0,
                    format!(
                        "indicator `{}`, measure `{}` of this domain is given twice (first at row {})",
                        key.1, key.2, first.row
                    ),
                ));
            }
            estimates.insert(
                key,
                SurveyEstimate {
                    estimate,
                    std_error,
                    n: count,
                    row: n,
                },
            );
        }
        drop(table);
        let sha256 = table::file_sha256(path)?;
        Ok(Survey {
            file,
            estimates,
            sha256,
        })
    }
}

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
    if !(settings.level > 0.0 && settings.level < 1.0) {
        return Err(Error::usage(format!(
            "--level {}: expected a proportion such as 0.95",
            settings.level
        )));
    }
    if settings.replicates == 0 {
        return Err(Error::usage(
            "--replicates 0: the rank simulation needs at least one replicate, e.g. 1000",
        ));
    }
    let survey = match (fw.needs_survey(), survey) {
        (true, None) => {
            return Err(Error::usage(format!(
                "{}: criteria {} are scored from the survey: give its indices with --survey \
                 DIR/indices.csv (written by chiso index)",
                fw.file,
                fw.criteria
                    .iter()
                    .filter(|c| matches!(c.source, Source::Survey { .. }))
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
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
    let key = rank_key(&settings.seed);
    let mut simulated: Vec<Vec<f64>> = Vec::with_capacity(units.len());
    for (u, (fixed, unit_draws)) in draws.iter().enumerate() {
        let max = units[u].max_points;
        if unit_draws.is_empty() {
            simulated.push(vec![units[u].index; r]);
            continue;
        }
        let mut rng = unit_rng(&key, &units[u].unit_code);
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
            return Err(cell(
                &survey.file,
                e.row,
                "estimate",
                "",
                format!("no estimate (no answer in the domain?), {need}"),
            ));
        }
        (Some(_), None) => {
            return Err(cell(
                &survey.file,
                e.row,
                "std_error",
                "",
                format!("no standard error, {need}"),
            ));
        }
    };
    let (_, _, low, high) = conversion.terms(c.max);
    if !(low..=high).contains(&est) {
        return Err(cell(
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

/// Ranks `members` by `values`, highest first; values within [`TIE_TOLERANCE`] share the best
/// rank.
fn rank_group(values: &[f64], members: &[usize], ranks: &mut [u32]) {
    for &u in members {
        let above = members
            .iter()
            .filter(|&&v| values[v] > values[u] + TIE_TOLERANCE)
            .count();
        ranks[u] = 1 + above as u32;
    }
}

/// The `⌈q·R⌉`-th smallest of the sorted `draws` (R's quantile type 1).
fn quantile(sorted: &[u32], q: f64) -> u32 {
    let r = sorted.len();
    let k = ((q * r as f64 - QUANTILE_ALLOWANCE).ceil() as usize).clamp(1, r);
    sorted[k - 1]
}

/// `SHA-256("chiso-par-ranks-v1" || 0x00 || seed)`.
fn rank_key(seed: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(RANK_ALGORITHM.as_bytes());
    h.update([0u8]);
    h.update(seed.as_bytes());
    h.finalize().into()
}

/// ChaCha20 keyed by the seed, on the unit's stream.
fn unit_rng(key: &[u8; 32], unit_code: &str) -> ChaCha20Rng {
    let mut h = Sha256::new();
    h.update(b"chiso-par-unit-v1\0");
    h.update(unit_code.as_bytes());
    let d: [u8; 32] = h.finalize().into();
    let mut rng = ChaCha20Rng::from_seed(*key);
    rng.set_stream(u64::from_le_bytes(d[..8].try_into().expect("8 bytes")));
    rng
}

/// A uniform number in `[0, 1)` with 53 random bits.
fn uniform53(rng: &mut ChaCha20Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal deviate (Box–Muller, cosine half).
fn standard_normal(rng: &mut ChaCha20Rng) -> f64 {
    let u1 = 1.0 - uniform53(rng);
    let u2 = uniform53(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The first `count` deviates of unit `unit_code` under `seed`, as the rank simulation draws
/// them (for auditors re-implementing the simulation, and for tests).
///
/// ```
/// let z = chiso::par::deviates("2025", "SO-01", 3);
/// assert_eq!(z.len(), 3);
/// assert_eq!(z, chiso::par::deviates("2025", "SO-01", 3));
/// ```
pub fn deviates(seed: &str, unit_code: &str, count: usize) -> Vec<f64> {
    let mut rng = unit_rng(&rank_key(seed), unit_code);
    (0..count).map(|_| standard_normal(&mut rng)).collect()
}

// ---------------------------------------------------------------------------------------------
// Output.

fn num(v: f64) -> String {
    format!("{v}")
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(header).expect("memory");
    for r in rows {
        w.write_record(&r).expect("memory");
    }
    w.into_inner().expect("memory")
}

/// `par.json`.
#[derive(Serialize)]
struct Published<'a> {
    framework: FrameworkInfo<'a>,
    settings: PublishedSettings<'a>,
    inputs: Inputs<'a>,
    engine_version: &'a str,
    rows: &'a [UnitResult],
}

#[derive(Serialize)]
struct FrameworkInfo<'a> {
    name: &'a str,
    total: f64,
    groups: &'a [String],
}

#[derive(Serialize)]
struct PublishedSettings<'a> {
    level: f64,
    replicates: u32,
    seed: &'a str,
    rank_algorithm: &'a str,
    std_error: &'a str,
    interval: &'a str,
    rank_interval: &'a str,
    ties: &'a str,
}

#[derive(Serialize)]
struct Inputs<'a> {
    framework_sha256: Option<&'a str>,
    scores_sha256: &'a str,
    survey_sha256: Option<&'a str>,
}

/// Writes `par.csv`, `par_fields.csv`, `par_criteria.csv` and `par.json` into `dir`,
/// atomically.
pub fn write(dir: &Path, fw: &Framework, result: &ParResult) -> Result<Vec<PathBuf>> {
    let par = csv_bytes(
        &[
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
        ],
        result.units.iter().map(|u| {
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
    );
    let fields = csv_bytes(
        &["unit_code", "field", "field_name", "points", "max_points"],
        result.units.iter().flat_map(|u| {
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
    );
    let criteria = csv_bytes(
        &[
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
        ],
        result.units.iter().flat_map(|u| {
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
    );
    let s = &result.settings;
    let json = serde_json::to_vec_pretty(&Published {
        framework: FrameworkInfo {
            name: &fw.name,
            total: fw.total,
            groups: &fw.groups,
        },
        settings: PublishedSettings {
            level: s.level,
            replicates: s.replicates,
            seed: &s.seed,
            rank_algorithm: RANK_ALGORITHM,
            std_error: "survey items of a unit taken as perfectly correlated: se = sum of the \
                        items' standard errors on the points scale; self-assessed points exact",
            interval: "normal: index ± z·se, cut to [0, 100]",
            rank_interval: "quantiles (type 1) of the unit's ranks over the replicates",
            ties: "indices within 1e-9 share the best rank",
        },
        inputs: Inputs {
            framework_sha256: fw.sha256.as_deref(),
            scores_sha256: &result.scores_sha256,
            survey_sha256: result.survey_sha256.as_deref(),
        },
        engine_version: env!("CARGO_PKG_VERSION"),
        rows: &result.units,
    })
    .expect("rows serialise");
    let mut staged = Staged::new(dir, true, &[])?;
    staged.add("par.csv", par);
    staged.add("par_fields.csv", fields);
    staged.add("par_criteria.csv", criteria);
    staged.add("par.json", json);
    staged.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        name = "t"
        total = 10
        groups = ["so", "ban"]
        [[field]]
        code = "1"
        name = "A"
        max = 6
        [[field.criterion]]
        code = "1.1"
        name = "a"
        max = 4
        [[field.criterion.sub]]
        code = "1.1.1"
        name = "a1"
        max = 1.5
        [[field.criterion.sub]]
        code = "1.1.2"
        name = "a2"
        max = 2.5
        groups = ["so"]
        [[field.criterion]]
        code = "1.2"
        name = "b"
        max = 2
        [[field]]
        code = "2"
        name = "B"
        [[field.criterion]]
        code = "2.1"
        name = "s"
        max = 4
        source = "survey"
        indicator = "overall"
    "#;

    fn load(text: &str) -> Result<Framework> {
        Framework::from_toml(text, "f.toml")
    }

    fn message(text: &str) -> String {
        load(text).unwrap_err().to_string()
    }

    #[test]
    fn a_valid_framework_lists_its_scored_items() {
        let fw = load(GOOD).unwrap();
        let codes: Vec<&str> = fw.criteria.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["1.1.1", "1.1.2", "1.2", "2.1"]);
        assert_eq!(
            fw.parents,
            [(
                "1.1".to_string(),
                vec!["1.1.1".to_string(), "1.1.2".to_string()]
            )]
        );
        assert_eq!(fw.fields[0].max, 6.0);
        assert_eq!(fw.fields[1].max, 4.0);
        assert_eq!(fw.max_points("so"), 10.0);
        assert_eq!(fw.max_points("ban"), 7.5);
        assert!(fw.needs_survey());
        assert_eq!(
            fw.criteria[3].source,
            Source::Survey {
                indicator: "overall".into(),
                measure: "satisfied_pct".into(),
                conversion: Conversion::Share
            }
        );
    }

    #[test]
    fn sub_criteria_must_add_up_to_their_criterion() {
        let m = message(&GOOD.replace("max = 2.5", "max = 2"));
        assert!(
            m.contains("criterion \"1.1\" max") && m.contains("sum of its sub-criteria"),
            "{m}"
        );
    }

    #[test]
    fn the_total_must_be_the_sum() {
        let m = message(&GOOD.replace("total = 10", "total = 100"));
        assert!(m.contains("f.toml: total:") && m.contains("(10)"), "{m}");
    }

    #[test]
    fn a_stated_field_maximum_must_be_the_sum() {
        let m = message(&GOOD.replace("max = 6", "max = 7"));
        assert!(m.contains("field \"1\" max"), "{m}");
    }

    #[test]
    fn maxima_must_be_positive() {
        let m = message(&GOOD.replace("max = 2\n", "max = -2\n"));
        assert!(
            m.contains("criterion \"1.2\" max") && m.contains("positive"),
            "{m}"
        );
        let m = message(&GOOD.replace("max = 2\n", "max = 0\n"));
        assert!(m.contains("positive"), "{m}");
    }

    #[test]
    fn codes_must_be_unique() {
        let m = message(&GOOD.replace("code = \"1.2\"", "code = \"1.1.1\""));
        assert!(
            m.contains("criterion \"1.1.1\"") && m.contains("unique"),
            "{m}"
        );
        let m = message(&GOOD.replace("code = \"2\"", "code = \"1\""));
        assert!(m.contains("field \"1\"") && m.contains("two fields"), "{m}");
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let m = message(&GOOD.replace("indicator = \"overall\"", "indicater = \"overall\""));
        assert!(m.contains("indicater"), "{m}");
        let m = message(&GOOD.replace("source = \"survey\"", "source = \"poll\""));
        assert!(m.contains("poll"), "{m}");
    }

    #[test]
    fn groups_must_be_declared() {
        let m = message(&GOOD.replace("groups = [\"so\"]", "groups = [\"xa\"]"));
        assert!(
            m.contains("\"xa\" is not one of the framework's groups"),
            "{m}"
        );
        let m = message(&GOOD.replace("groups = [\"so\", \"ban\"]", ""));
        assert!(m.contains("top-level `groups`"), "{m}");
    }

    #[test]
    fn survey_keys_are_checked() {
        let m = message(&GOOD.replace("indicator = \"overall\"", ""));
        assert!(m.contains("criterion \"2.1\" indicator"), "{m}");
        let m = message(&GOOD.replace(
            "indicator = \"overall\"",
            "indicator = \"overall\"\nmeasure = \"mean_score\"",
        ));
        assert!(m.contains("criterion \"2.1\" measure"), "{m}");
        let m = message(&GOOD.replace(
            "indicator = \"overall\"",
            "indicator = \"overall\"\nconversion = \"mean\"\nscale_max = 1",
        ));
        assert!(m.contains("scale_max"), "{m}");
        let m = message(&GOOD.replace("code = \"1.2\"", "code = \"1.2\"\nindicator = \"overall\""));
        assert!(
            m.contains("criterion \"1.2\" indicator") && m.contains("only survey"),
            "{m}"
        );
        let fw = load(&GOOD.replace(
            "indicator = \"overall\"",
            "indicator = \"element:E3\"\nconversion = \"mean\"",
        ))
        .unwrap();
        assert_eq!(
            fw.criteria[3].source,
            Source::Survey {
                indicator: "element:E3".into(),
                measure: "mean_score".into(),
                conversion: Conversion::Mean { scale_max: 5.0 }
            }
        );
    }

    #[test]
    fn a_criterion_with_sub_criteria_takes_no_source() {
        let m = message(&GOOD.replace(
            "max = 4\n        [[field.criterion.sub]]",
            "max = 4\nsource = \"self\"\n        [[field.criterion.sub]]",
        ));
        assert!(
            m.contains("criterion \"1.1\" source") && m.contains("sub-criteria"),
            "{m}"
        );
    }

    #[test]
    fn a_sub_criterion_stays_inside_its_criterion_groups() {
        let text = GOOD.replace(
            "max = 4\n        [[field.criterion.sub]]",
            "max = 4\ngroups = [\"ban\"]\n        [[field.criterion.sub]]",
        );
        let m = message(&text);
        assert!(
            m.contains("sub-criterion \"1.1.2\" groups") && m.contains("\"so\""),
            "{m}"
        );
    }

    #[test]
    fn quantiles_follow_type_one() {
        let d: Vec<u32> = (1..=1000).collect();
        assert_eq!(quantile(&d, (1.0 - 0.95) / 2.0), 25);
        assert_eq!(quantile(&d, 1.0 - (1.0 - 0.95) / 2.0), 975);
        assert_eq!(quantile(&[3, 4, 9], 0.025), 3);
        assert_eq!(quantile(&[3, 4, 9], 0.975), 9);
        assert_eq!(quantile(&[3, 4, 9], 0.5), 4);
    }

    #[test]
    fn ties_share_the_best_rank() {
        let mut ranks = vec![0; 5];
        rank_group(
            &[80.0, 90.0, 80.0 + 1e-12, 70.0, 99.0],
            &[0, 1, 2, 3],
            &mut ranks,
        );
        assert_eq!(ranks, [2, 1, 2, 4, 0]);
    }

    #[test]
    fn deviates_are_standard_normal_and_pinned() {
        let z = deviates("test", "U1", 20_000);
        let mean = z.iter().sum::<f64>() / z.len() as f64;
        let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (z.len() - 1) as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.04, "{var}");
        // Independent units, same seed: different streams.
        assert_ne!(deviates("test", "U2", 1), deviates("test", "U1", 1));
    }
}
