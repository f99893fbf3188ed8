//! The sampling design: the frame window and strata, the sample size rule, the reserves and
//! per-stratum overrides, parsed once from TOML into a validated [`Design`].
//!
//! ```toml
//! [frame]
//! window = ["2024-01-01", "2024-09-30"]   # returned_date inside, both ends included
//! strata = ["unit_code"]                  # one or more record columns
//!
//! [size]
//! mode = "fixed"       # fixed | yamane | margin | allocate
//! n = 200
//!
//! [reserve]
//! ratio = 0.5          # or count = 5
//! ```
//!
//! Every formula is described in `docs/design.md`. Sizes that come from a real-valued formula
//! are rounded up after subtracting [`ROUNDING_SLACK`], so that a value such as
//! `400 / (1 + 400 · 0.05²)`, which is 200 but computes as 199.99999999999997, is not pushed
//! to 201 or left at 199 by binary floating point.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::records::{ApplicantTypes, DATE_FORMS, parse_date};

mod overrides;
mod sizes;

use overrides::read_overrides;
use sizes::ceil_slack;
pub use sizes::{ROUNDING_SLACK, allocate_bounded, margin, yamane};

/// The design as written in TOML (and as recorded, overrides included, in the manifest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignSpec {
    /// `[frame]`.
    pub frame: FrameSpec,
    /// `[size]`.
    pub size: SizeSpec,
    /// `[reserve]`.
    #[serde(default)]
    pub reserve: ReserveSpec,
    /// `[overrides] file = "overrides.csv"`: per-stratum settings from a CSV (read when the
    /// design is loaded and recorded in the manifest as `[[override]]` entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<OverridesFile>,
    /// `[[override]]` entries: per-stratum settings.
    #[serde(default, rename = "override", skip_serializing_if = "Vec::is_empty")]
    pub overrides_inline: Vec<OverrideSpec>,
    /// `[applicant_types]`: the spellings of the applicant types; without it, the defaults
    /// ([`ApplicantTypes::default`]). Absent from a manifest whose design has none, so that
    /// the manifests of designs without it are as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applicant_types: Option<ApplicantTypesSpec>,
}

/// `[applicant_types]`: the texts of the `applicant_type` column read as each type (compared
/// after [`crate::text::fold`]: Unicode NFC, spacing, letter case), besides the canonical
/// `citizen` and `organization`. They replace the defaults.
///
/// ```toml
/// [applicant_types]
/// citizen = ["Công dân", "Cá nhân"]
/// organization = ["Doanh nghiệp", "Tổ chức", "Hợp tác xã", "Hộ kinh doanh"]
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicantTypesSpec {
    /// Read as `citizen`.
    #[serde(default)]
    pub citizen: Vec<String>,
    /// Read as `organization`.
    #[serde(default)]
    pub organization: Vec<String>,
}

/// `[frame]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameSpec {
    /// First and last returned dates of the survey window, both included.
    pub window: Vec<String>,
    /// The stratum columns.
    #[serde(default = "default_strata")]
    pub strata: Vec<String>,
}

fn default_strata() -> Vec<String> {
    vec!["unit_code".to_string()]
}

/// `[size]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeSpec {
    /// `fixed`, `yamane`, `margin` or `allocate`.
    pub mode: String,
    /// Sample size per stratum (`fixed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<i64>,
    /// Margin of error as a proportion (`yamane`, `margin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<f64>,
    /// Confidence level (`margin`, default 0.95).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Expected proportion (`margin`, default 0.5; `allocate` with `neyman`: the prior for
    /// strata without their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// Design effect (`margin`, default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deff: Option<f64>,
    /// Expected response rate (`margin`, default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_rate: Option<f64>,
    /// Total sample size to allocate (`allocate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// `equal`, `proportional` or `neyman` (`allocate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation: Option<String>,
    /// Floor per stratum (capped at `N_h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Ceiling per stratum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

/// `[reserve]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveSpec {
    /// Reserves per stratum = ceil(ratio · n_h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// A fixed number of reserves per stratum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

/// `[overrides]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverridesFile {
    /// A CSV or XLSX with columns `stratum` and any of `n`, `reserve`, `p`; relative to the
    /// design file.
    pub file: String,
}

/// One stratum's own settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideSpec {
    /// The stratum label (values joined by `|`).
    pub stratum: String,
    /// Its sample size (capped at `N_h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<i64>,
    /// Its number of reserves (capped at `N_h − n_h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve: Option<i64>,
    /// Its prior proportion for Neyman allocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
}

/// How the sample size of a stratum is found.
#[derive(Clone, Debug, PartialEq)]
pub enum SizeRule {
    /// `n` per stratum.
    Fixed {
        /// The quota.
        n: u64,
    },
    /// The Ministry's formula `n = N / (1 + N·e²)`, rounded up.
    Yamane {
        /// The margin of error.
        e: f64,
    },
    /// A target margin of error for a proportion.
    Margin {
        /// Half-width of the interval, as a proportion.
        e: f64,
        /// Confidence level.
        confidence: f64,
        /// Expected proportion.
        p: f64,
        /// Design effect.
        deff: f64,
        /// Expected response rate.
        response_rate: f64,
    },
    /// A total allocated over the strata.
    Allocate {
        /// The total.
        total: u64,
        /// How.
        method: Allocation,
    },
}

/// How a total is shared among strata.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Allocation {
    /// The same share for every stratum.
    Equal,
    /// Proportional to `N_h`.
    Proportional,
    /// Proportional to `N_h · sqrt(p_h (1 − p_h))`.
    Neyman {
        /// The prior for strata without their own.
        p: f64,
    },
}

/// How many reserves a stratum gets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReserveRule {
    /// None.
    None,
    /// `ceil(ratio · n_h)`.
    Ratio(f64),
    /// A fixed count.
    Count(u64),
}

/// A stratum's own settings, validated.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Override {
    /// Sample size.
    pub n: Option<u64>,
    /// Reserves.
    pub reserve: Option<u64>,
    /// Prior proportion (Neyman).
    pub p: Option<f64>,
}

/// The sizes of one stratum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StratumSize {
    /// `n_h`, the official sample size.
    pub n: u64,
    /// `r_h`, the number of reserves.
    pub reserve: u64,
}

/// A validated design.
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    spec: DesignSpec,
    /// First and last day of the window.
    pub window: (NaiveDate, NaiveDate),
    /// The stratum columns.
    pub strata: Vec<String>,
    /// The size rule.
    pub size: SizeRule,
    /// Floor per stratum.
    pub min: u64,
    /// Ceiling per stratum.
    pub max: Option<u64>,
    /// The reserve rule.
    pub reserve: ReserveRule,
    /// Per-stratum settings, by label.
    pub overrides: BTreeMap<String, Override>,
    /// How the `applicant_type` cells are read (`[applicant_types]`, or the defaults).
    pub applicant_types: ApplicantTypes,
}

impl Design {
    /// Reads and validates a design file; an overrides file is read relative to it.
    pub fn load(path: &Path) -> Result<Design> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut spec: DesignSpec = toml::from_str(&text).map_err(|e| ErrorKind::Malformed {
            at: crate::Position::file(name.clone()),
            message: format!("not a valid design: {}", e.to_string().trim_end()),
        })?;
        if let Some(file) = spec.overrides.take() {
            let base = path.parent().unwrap_or(Path::new("."));
            let mut from_file = read_overrides(&base.join(&file.file))?;
            spec.overrides_inline.append(&mut from_file);
        }
        Design::from_spec(spec, &name)
    }

    /// Validates a design. `file` names it in messages.
    pub fn from_spec(spec: DesignSpec, file: &str) -> Result<Design> {
        let err = |key: &str, msg: String| Error::design(file, key, msg);
        if spec.overrides.is_some() {
            return Err(err(
                "[overrides]",
                "an overrides file must be resolved with Design::load".into(),
            ));
        }
        // [frame]
        if spec.frame.window.len() != 2 {
            return Err(err(
                "[frame] window",
                format!(
                    "expected two dates, the first and the last returned date, e.g. [\"2024-01-01\", \"2024-09-30\"]; found {} value(s)",
                    spec.frame.window.len()
                ),
            ));
        }
        let date = |s: &str| {
            parse_date(s).ok_or_else(|| {
                err(
                    "[frame] window",
                    format!("{s:?} is not a date: expected {DATE_FORMS}"),
                )
            })
        };
        let window = (date(&spec.frame.window[0])?, date(&spec.frame.window[1])?);
        if window.0 > window.1 {
            return Err(err(
                "[frame] window",
                format!(
                    "the window is reversed ({} is after {}): write the first day first",
                    window.0, window.1
                ),
            ));
        }
        if spec.frame.strata.is_empty() {
            return Err(err(
                "[frame] strata",
                "name at least one stratum column, e.g. strata = [\"unit_code\"]".into(),
            ));
        }
        for (i, s) in spec.frame.strata.iter().enumerate() {
            if s.trim().is_empty() || spec.frame.strata[..i].contains(s) {
                return Err(err(
                    "[frame] strata",
                    format!("{s:?} is empty or named twice"),
                ));
            }
        }

        // [size]
        let sz = &spec.size;
        let count = |key: &str, v: Option<i64>| -> Result<Option<u64>> {
            match v {
                Some(v) if v < 0 => Err(err(
                    &format!("[size] {key}"),
                    format!("{v} is negative: a sample size is a whole number ≥ 0"),
                )),
                v => Ok(v.map(|v| v as u64)),
            }
        };
        let unit_interval = |key: &str, v: f64, what: &str| -> Result<f64> {
            if v > 0.0 && v < 1.0 {
                Ok(v)
            } else {
                Err(err(
                    &format!("[size] {key}"),
                    format!("{v} is outside (0, 1): {what}"),
                ))
            }
        };
        let e_of = |mode: &str| -> Result<f64> {
            let e = sz.e.ok_or_else(|| {
                err(
                    "[size] e",
                    format!("mode = \"{mode}\" needs the margin of error e, e.g. e = 0.05"),
                )
            })?;
            unit_interval(
                "e",
                e,
                "the margin of error is a proportion, e.g. 0.05 for ±5 points",
            )
        };
        let not_for = |keys: &[(&str, bool)], mode: &str| -> Result<()> {
            for (k, present) in keys {
                if *present {
                    return Err(err(
                        &format!("[size] {k}"),
                        format!("is not used by mode = \"{mode}\"; remove it"),
                    ));
                }
            }
            Ok(())
        };
        let size = match sz.mode.as_str() {
            "fixed" => {
                not_for(
                    &[("e", sz.e.is_some()), ("total", sz.total.is_some())],
                    "fixed",
                )?;
                let n = count("n", sz.n)?.ok_or_else(|| {
                    err(
                        "[size] n",
                        "mode = \"fixed\" needs n, the quota per stratum, e.g. n = 200".into(),
                    )
                })?;
                SizeRule::Fixed { n }
            }
            "yamane" => {
                not_for(
                    &[("n", sz.n.is_some()), ("total", sz.total.is_some())],
                    "yamane",
                )?;
                SizeRule::Yamane { e: e_of("yamane")? }
            }
            "margin" => {
                not_for(
                    &[("n", sz.n.is_some()), ("total", sz.total.is_some())],
                    "margin",
                )?;
                let e = e_of("margin")?;
                let confidence = unit_interval(
                    "confidence",
                    sz.confidence.unwrap_or(0.95),
                    "the confidence level is a proportion, e.g. 0.95",
                )?;
                let p = unit_interval(
                    "p",
                    sz.p.unwrap_or(0.5),
                    "the expected proportion must be strictly between 0 and 1, e.g. 0.5",
                )?;
                let deff = sz.deff.unwrap_or(1.0);
                if !(deff.is_finite() && deff > 0.0) {
                    return Err(err(
                        "[size] deff",
                        format!("{deff} must be a positive number, e.g. 1.5"),
                    ));
                }
                let response_rate = sz.response_rate.unwrap_or(1.0);
                if !(response_rate > 0.0 && response_rate <= 1.0) {
                    return Err(err(
                        "[size] response_rate",
                        format!(
                            "{response_rate} is outside (0, 1]: e.g. 0.8 if four in five answer"
                        ),
                    ));
                }
                SizeRule::Margin {
                    e,
                    confidence,
                    p,
                    deff,
                    response_rate,
                }
            }
            "allocate" => {
                not_for(&[("n", sz.n.is_some()), ("e", sz.e.is_some())], "allocate")?;
                let total = count("total", sz.total)?.ok_or_else(|| {
                    err(
                        "[size] total",
                        "mode = \"allocate\" needs total, the sample size to share among strata"
                            .into(),
                    )
                })?;
                let method = match sz.allocation.as_deref().unwrap_or("proportional") {
                    "equal" => Allocation::Equal,
                    "proportional" => Allocation::Proportional,
                    "neyman" => Allocation::Neyman {
                        p: unit_interval(
                            "p",
                            sz.p.unwrap_or(0.5),
                            "the prior proportion must be strictly between 0 and 1",
                        )?,
                    },
                    other => {
                        return Err(err(
                            "[size] allocation",
                            format!(
                                "unknown allocation {other:?}: expected \"equal\", \"proportional\" or \"neyman\""
                            ),
                        ));
                    }
                };
                SizeRule::Allocate { total, method }
            }
            other => {
                return Err(err(
                    "[size] mode",
                    format!(
                        "unknown mode {other:?}: expected \"fixed\" (n per stratum), \"yamane\" (n = N/(1+N·e²)), \"margin\" (target margin of error) or \"allocate\" (a total shared among strata)"
                    ),
                ));
            }
        };
        if sz.allocation.is_some() && !matches!(size, SizeRule::Allocate { .. }) {
            return Err(err(
                "[size] allocation",
                "is only used with mode = \"allocate\"; remove it".into(),
            ));
        }
        let min = count("min", sz.min)?.unwrap_or(0);
        let max = count("max", sz.max)?;
        if let Some(max) = max
            && max < min
        {
            return Err(err("[size] max", format!("{max} is below min = {min}")));
        }

        // [reserve]
        let reserve = match (spec.reserve.ratio, spec.reserve.count) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "[reserve]",
                    "give either ratio or count, not both".into(),
                ));
            }
            (Some(r), None) if !(r.is_finite() && r >= 0.0) => {
                return Err(err(
                    "[reserve] ratio",
                    format!("{r} must be ≥ 0, e.g. 0.5 for one reserve per two"),
                ));
            }
            (Some(r), None) => ReserveRule::Ratio(r),
            (None, Some(c)) if c < 0 => {
                return Err(err(
                    "[reserve] count",
                    format!("{c} is negative: expected a whole number ≥ 0"),
                ));
            }
            (None, Some(c)) => ReserveRule::Count(c as u64),
            (None, None) => ReserveRule::None,
        };

        // [[override]]
        let mut overrides = BTreeMap::new();
        for o in &spec.overrides_inline {
            let key = format!("[[override]] stratum = {:?}", o.stratum);
            let nonneg = |v: Option<i64>, what: &str| -> Result<Option<u64>> {
                match v {
                    Some(v) if v < 0 => Err(err(&key, format!("{what} = {v} is negative"))),
                    v => Ok(v.map(|v| v as u64)),
                }
            };
            let p = match o.p {
                Some(p) if !(p > 0.0 && p < 1.0) => {
                    return Err(err(&key, format!("p = {p} is outside (0, 1)")));
                }
                p => p,
            };
            let value = Override {
                n: nonneg(o.n, "n")?,
                reserve: nonneg(o.reserve, "reserve")?,
                p,
            };
            if overrides.insert(o.stratum.clone(), value).is_some() {
                return Err(err(&key, "the stratum has two overrides".into()));
            }
        }

        // [applicant_types]
        let applicant_types = match &spec.applicant_types {
            None => ApplicantTypes::default(),
            Some(t) => ApplicantTypes::new(&t.citizen, &t.organization)
                .map_err(|reason| err("[applicant_types]", reason))?,
        };

        Ok(Design {
            applicant_types,
            window,
            strata: spec.frame.strata.clone(),
            size,
            min,
            max,
            reserve,
            overrides,
            spec,
        })
    }

    /// The design as written, overrides included: what the manifest records.
    pub fn spec(&self) -> &DesignSpec {
        &self.spec
    }

    /// The official and reserve sizes of every stratum, given `(label, N_h)` in frame order.
    pub fn sizes(&self, strata: &[(String, u64)]) -> Result<Vec<StratumSize>> {
        let err = |key: &str, msg: String| Error::design("design", key, msg);
        for label in self.overrides.keys() {
            if !strata.iter().any(|(l, _)| l == label) {
                return Err(err(
                    &format!("[[override]] stratum = {label:?}"),
                    "no such stratum in the frame (no eligible record has these values)".into(),
                ));
            }
        }
        let bound = |n: u64, big_n: u64| -> u64 {
            let n = n.max(self.min);
            let n = self.max.map_or(n, |m| n.min(m));
            n.min(big_n)
        };
        let mut n: Vec<u64> = match &self.size {
            SizeRule::Fixed { n } => strata.iter().map(|(_, nn)| bound(*n, *nn)).collect(),
            SizeRule::Yamane { e } => strata
                .iter()
                .map(|(_, nn)| bound(yamane(*nn, *e), *nn))
                .collect(),
            SizeRule::Margin {
                e,
                confidence,
                p,
                deff,
                response_rate,
            } => strata
                .iter()
                .map(|(_, nn)| bound(margin(*nn, *e, *confidence, *p, *deff, *response_rate), *nn))
                .collect(),
            SizeRule::Allocate { total, method } => self.allocate(strata, *total, *method)?,
        };
        // Overridden sizes (for `allocate` they were set aside before sharing the total).
        for (i, (label, big_n)) in strata.iter().enumerate() {
            if let Some(o) = self.overrides.get(label).and_then(|o| o.n) {
                n[i] = o.min(*big_n);
            }
        }
        Ok(strata
            .iter()
            .zip(n)
            .map(|((label, big_n), n)| {
                let left = big_n - n;
                let reserve = match self.overrides.get(label).and_then(|o| o.reserve) {
                    Some(r) => r,
                    None => match self.reserve {
                        ReserveRule::None => 0,
                        ReserveRule::Count(c) => c,
                        ReserveRule::Ratio(r) => ceil_slack(r * n as f64),
                    },
                };
                StratumSize {
                    n,
                    reserve: reserve.min(left),
                }
            })
            .collect())
    }

    fn allocate(
        &self,
        strata: &[(String, u64)],
        total: u64,
        method: Allocation,
    ) -> Result<Vec<u64>> {
        let err = |msg: String| Error::design("design", "[size] total", msg);
        let mut n = vec![0u64; strata.len()];
        let mut free = Vec::new();
        let mut rest = total as i128;
        for (i, (label, big_n)) in strata.iter().enumerate() {
            match self.overrides.get(label).and_then(|o| o.n) {
                Some(o) => rest -= o.min(*big_n) as i128,
                None => free.push(i),
            }
        }
        if rest < 0 {
            return Err(err(format!(
                "total = {total} is smaller than the sizes fixed by overrides ({})",
                total as i128 - rest
            )));
        }
        let lo: Vec<u64> = free.iter().map(|&i| self.min.min(strata[i].1)).collect();
        let hi: Vec<u64> = free
            .iter()
            .map(|&i| self.max.map_or(strata[i].1, |m| m.min(strata[i].1)))
            .collect();
        let weights: Vec<f64> = free
            .iter()
            .map(|&i| {
                let (label, big_n) = &strata[i];
                let big_n = *big_n as f64;
                match method {
                    Allocation::Equal => 1.0,
                    Allocation::Proportional => big_n,
                    Allocation::Neyman { p } => {
                        let p = self.overrides.get(label).and_then(|o| o.p).unwrap_or(p);
                        big_n * (p * (1.0 - p)).sqrt()
                    }
                }
            })
            .collect();
        let (sum_lo, sum_hi): (u64, u64) = (lo.iter().sum(), hi.iter().sum());
        let rest = rest as u64;
        if rest < sum_lo || rest > sum_hi {
            return Err(err(format!(
                "cannot share {rest} among the strata within their bounds: between {sum_lo} (min per stratum) and {sum_hi} (max per stratum, capped at N_h) is possible"
            )));
        }
        for (k, x) in allocate_bounded(rest, &weights, &lo, &hi)
            .into_iter()
            .enumerate()
        {
            n[free[k]] = x;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(size: &str) -> String {
        format!("[frame]\nwindow = [\"2024-01-01\", \"2024-09-30\"]\n[size]\n{size}\n")
    }

    fn parse(text: &str) -> Result<Design> {
        Design::from_spec(toml::from_str(text).unwrap(), "design.toml")
    }

    #[test]
    fn applicant_types_are_the_designs_or_the_defaults() {
        use crate::records::ApplicantType::{Citizen, Organization};
        let plain = parse(&spec("mode = \"fixed\"\nn = 5")).unwrap();
        assert_eq!(plain.applicant_types, ApplicantTypes::default());
        assert_eq!(plain.applicant_types.parse("Công dân"), Some(Citizen));
        // A design without the table is recorded as before: no key for it.
        let json = serde_json::to_string(plain.spec()).unwrap();
        assert!(!json.contains("applicant_types"), "{json}");
        let text = format!(
            "{}[applicant_types]\ncitizen = [\"Công dân\"]\norganization = [\"Hộ kinh doanh\", \"Doanh nghiệp\"]\n",
            spec("mode = \"fixed\"\nn = 5")
        );
        let d = parse(&text).unwrap();
        assert_eq!(d.applicant_types.parse("HỘ KINH DOANH"), Some(Organization));
        assert_eq!(d.applicant_types.parse("Cá nhân"), None);
        let json = serde_json::to_value(d.spec()).unwrap();
        assert_eq!(
            json["applicant_types"]["organization"],
            serde_json::json!(["Hộ kinh doanh", "Doanh nghiệp"])
        );
        // Read back from the manifest's JSON, the same design.
        let back: DesignSpec = serde_json::from_value(json).unwrap();
        assert_eq!(&back, d.spec());
        for (bad, why) in [
            (
                "citizen = [\"Tổ chức\"]\norganization = [\"TỔ CHỨC\"]",
                "in both",
            ),
            ("citizen = [\"organization\"]", "in both"),
            ("citizen = [\"\"]", "empty"),
        ] {
            let text = format!(
                "{}[applicant_types]\n{bad}\n",
                spec("mode = \"fixed\"\nn = 5")
            );
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains("[applicant_types]") && e.contains(why), "{e}");
        }
        let unknown = format!(
            "{}[applicant_types]\nperson = [\"x\"]\n",
            spec("mode = \"fixed\"\nn = 5")
        );
        assert!(toml::from_str::<DesignSpec>(&unknown).is_err());
    }

    #[test]
    fn invalid_designs_say_how_to_fix_them() {
        let cases = [
            (spec("mode = \"fixed\"\nn = -5"), "[size] n", "negative"),
            (spec("mode = \"yamane\"\ne = 1.5"), "[size] e", "outside (0, 1)"),
            (spec("mode = \"yamane\""), "[size] e", "needs the margin of error"),
            (spec("mode = \"magic\""), "[size] mode", "expected \"fixed\""),
            (
                "[frame]\nwindow = [\"2024-09-30\", \"2024-01-01\"]\n[size]\nmode = \"fixed\"\nn = 5\n".into(),
                "[frame] window",
                "reversed",
            ),
            (spec("mode = \"fixed\"\nn = 5\nmin = 10\nmax = 3"), "[size] max", "below min"),
            (spec("mode = \"allocate\"\ntotal = 10\nallocation = \"lottery\""), "[size] allocation", "unknown"),
        ];
        for (text, key, words) in cases {
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains(words), "{e}");
            assert!(e.starts_with("design.toml: "), "{e}");
        }
    }

    #[test]
    fn sizes_cap_at_frame_and_reserve_rounding() {
        let d = parse(&(spec("mode = \"fixed\"\nn = 30") + "[reserve]\nratio = 0.1\n")).unwrap();
        let s = d
            .sizes(&[("A".into(), 100), ("B".into(), 20), ("C".into(), 31)])
            .unwrap();
        // ratio 0.1 · 30 = 3.0000000000000004 must give 3, not 4.
        assert_eq!(s[0], StratumSize { n: 30, reserve: 3 });
        assert_eq!(s[1], StratumSize { n: 20, reserve: 0 });
        assert_eq!(s[2], StratumSize { n: 30, reserve: 1 });
    }

    #[test]
    fn overrides_set_sizes_and_unknown_strata_are_refused() {
        let text = spec("mode = \"allocate\"\ntotal = 50\nallocation = \"proportional\"")
            + "[[override]]\nstratum = \"B\"\nn = 10\nreserve = 2\n";
        let d = parse(&text).unwrap();
        let s = d
            .sizes(&[("A".into(), 300), ("B".into(), 100), ("C".into(), 100)])
            .unwrap();
        assert_eq!(s.iter().map(|s| s.n).sum::<u64>(), 50);
        assert_eq!(s[1], StratumSize { n: 10, reserve: 2 });
        assert_eq!((s[0].n, s[2].n), (30, 10));
        let e = d.sizes(&[("A".into(), 300)]).unwrap_err().to_string();
        assert!(e.contains("no such stratum"), "{e}");
    }
}
