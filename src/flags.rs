//! Flags: units and officers whose share of dissatisfied answers is above a threshold.
//!
//! The Đắk Song plan reports to their heads the staff for whom "Không hài lòng" and "Rất không
//! hài lòng" together pass 25%. A share estimated from a sample carries sampling error, so a
//! flag says three things rather than one:
//!
//! - `above`: the estimate is above the threshold (strictly, as the plan says "trên 25%");
//! - `certain`: the whole confidence interval is above it (`ci_lower > threshold`) and the
//!   estimate is not `imprecise`, so the sample leaves no reasonable doubt. An interval
//!   computed from a handful of answers is itself not to be trusted (an officer with three
//!   answers can have a narrow design-based interval), so an imprecise estimate is never
//!   certain;
//! - `imprecise`: the estimate rests on fewer than `min_answers` answers, or its interval is
//!   wider than `max_ci_width` percentage points (or there is no interval at all). Such an
//!   estimate is published, but should not be read, or ranked, as if it were exact.
//!
//! The share is the `overall` indicator's `dissatisfied_pct`: the mean over elements of the mean
//! over items of the weighted share answering a dissatisfied code, as in [`crate::index`]. For a
//! unit it is taken from the index rows; for an officer (the `officer_id` of the record each
//! respondent evaluated) it is the same estimator on the domain of that officer's respondents
//! within the unit: Taylor linearisation over the whole stratified sample
//! ([`StratifiedSample::ratio_combination`]), degrees of freedom = respondents who answered
//! minus the strata they come from, and the interval method of the index run.
//!
//! Defaults, all configurable: threshold 25% (the Đắk Song plan); `min_answers` 30, the
//! smallest sample on which a share's normal or logit interval is usually trusted (the same
//! figure as the US National Center for Health Statistics' presentation standard for
//! proportions), and below which a single answer moves the share by more than 3 points;
//! `max_ci_width` 20 points, i.e. about ±10 points: twice the ±5-point margin the Ministry's
//! sample-size formula (`e = 0.05`) aims for, and the width beyond which an interval around a
//! 25% threshold spans both "clearly fine" (15%) and "clearly not" (35%).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::ci;
use crate::ci::Settings as IndexSettings;
use crate::error::{Error, Result};
use crate::estimate::{RatioTerm, StratifiedSample};
use crate::files::indices::IndexRow;
use crate::questionnaire::Questionnaire;
use crate::responses::{NO_ANSWER, NO_OFFICER, ResponseData};

pub use crate::files::flags::{FlagRow, Level};

/// The indicator flags are computed on.
pub const INDICATOR: &str = "overall";

/// Thresholds of the flags and of imprecision (recorded in `flags.json`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FlagSettings {
    /// Share dissatisfied (percent) above which a unit or officer is flagged.
    pub threshold_pct: f64,
    /// Fewer answers than this make an estimate imprecise.
    pub min_answers: u64,
    /// An interval wider than this (percentage points) makes an estimate imprecise.
    pub max_ci_width: f64,
}

impl Default for FlagSettings {
    fn default() -> FlagSettings {
        FlagSettings {
            threshold_pct: 25.0,
            min_answers: 30,
            max_ci_width: 20.0,
        }
    }
}

impl FlagSettings {
    /// Validated settings: a threshold from 0 to 100 and a positive width.
    pub fn new(threshold_pct: f64, min_answers: u64, max_ci_width: f64) -> Result<FlagSettings> {
        if !(0.0..=100.0).contains(&threshold_pct) {
            return Err(Error::setting(
                "flag_threshold",
                threshold_pct,
                "expected a percentage from 0 to 100, such as 25",
            ));
        }
        if threshold_pct > 0.0 && threshold_pct < 1.0 {
            return Err(Error::setting(
                "flag_threshold",
                threshold_pct,
                "this looks like a proportion: the threshold is a percentage, such as 25 for 25% \
                 (0 flags every unit)",
            ));
        }
        if !(max_ci_width > 0.0 && max_ci_width <= 100.0) {
            return Err(Error::setting(
                "max_ci_width",
                max_ci_width,
                "expected percentage points above 0 and at most 100, such as 20",
            ));
        }
        Ok(FlagSettings {
            threshold_pct,
            min_answers,
            max_ci_width,
        })
    }

    /// Whether an estimate on `n` answers with interval `[lower, upper]` (percent) is
    /// imprecise: too few answers, too wide an interval, or no interval.
    ///
    /// ```
    /// use chiso::flags::FlagSettings;
    /// let s = FlagSettings::default();
    /// assert!(!s.imprecise(30, Some(10.0), Some(30.0)));
    /// assert!(s.imprecise(29, Some(10.0), Some(30.0)));
    /// assert!(s.imprecise(100, Some(10.0), Some(30.5)));
    /// assert!(s.imprecise(100, None, None));
    /// ```
    pub fn imprecise(&self, n: u64, lower: Option<f64>, upper: Option<f64>) -> bool {
        match (lower, upper) {
            (Some(l), Some(u)) => n < self.min_answers || u - l > self.max_ci_width,
            _ => true,
        }
    }
}

/// An estimate of a domain: what a flag is made from.
#[derive(Clone, Copy, Debug, PartialEq)]
struct DomainEstimate {
    estimate: Option<f64>,
    std_error: Option<f64>,
    ci_lower: Option<f64>,
    ci_upper: Option<f64>,
    n: u64,
}

/// The overall share dissatisfied of any domain, computed as [`crate::index::compute`] does.
struct OverallDissatisfied {
    sample: StratifiedSample,
    /// Per item: dissatisfied (0/1) and answered (0/1).
    columns: Vec<[Vec<f64>; 2]>,
    /// `(item, coefficient)` of the overall combination.
    terms: Vec<(usize, f64)>,
    settings: IndexSettings,
}

impl OverallDissatisfied {
    fn new(q: &Questionnaire, data: &ResponseData, settings: IndexSettings) -> Self {
        let columns = data
            .answers
            .iter()
            .map(|a| {
                let dis = a
                    .iter()
                    .map(|&v| f64::from(u8::from(v != NO_ANSWER && q.scale.is_dissatisfied(v))))
                    .collect();
                let answered = a
                    .iter()
                    .map(|&v| f64::from(u8::from(v != NO_ANSWER)))
                    .collect();
                [dis, answered]
            })
            .collect();
        let terms = q
            .elements
            .iter()
            .flat_map(|e| {
                e.items
                    .iter()
                    .zip(&e.item_weights)
                    .map(move |(&k, c)| (k, e.weight * c))
            })
            .collect();
        OverallDissatisfied {
            sample: StratifiedSample::new(
                data.stratum_of.clone(),
                data.weights(),
                data.population.clone(),
            )
            .with_calibration(data.calibration.clone())
            .with_lonely_psu(settings.lonely_psu),
            columns,
            terms,
            settings,
        }
    }

    fn domain(&self, rows: &[usize]) -> DomainEstimate {
        let ratio_terms: Vec<RatioTerm<'_>> = self
            .terms
            .iter()
            .map(|&(k, c)| RatioTerm {
                numerator: &self.columns[k][0],
                denominator: &self.columns[k][1],
                coefficient: c * 100.0,
            })
            .collect();
        // With the respondents who answered at least one item (the denominators), and their
        // strata.
        let e = self.sample.ratio_combination(&ratio_terms, rows);
        let mut out = DomainEstimate {
            estimate: None,
            std_error: None,
            ci_lower: None,
            ci_upper: None,
            n: e.n,
        };
        if let Some(p) = ci::publish(&e, true, &self.settings) {
            out.estimate = Some(p.estimate);
            out.std_error = p.std_error;
            if let Some(i) = p.interval {
                out.ci_lower = Some(i.lower);
                out.ci_upper = Some(i.upper);
            }
        }
        out
    }
}

fn flag(
    level: Level,
    domain: &str,
    officer_id: &str,
    unit_group: &str,
    e: DomainEstimate,
    settings: &FlagSettings,
) -> FlagRow {
    let t = settings.threshold_pct;
    FlagRow {
        level,
        domain: domain.to_string(),
        officer_id: officer_id.to_string(),
        unit_group: unit_group.to_string(),
        indicator: INDICATOR.to_string(),
        dissatisfied_pct: e.estimate,
        std_error: e.std_error,
        ci_lower: e.ci_lower,
        ci_upper: e.ci_upper,
        n: e.n,
        threshold_pct: t,
        above: e.estimate.is_some_and(|x| x > t),
        certain: e.estimate.is_some()
            && e.ci_lower.is_some_and(|l| l > t)
            && !settings.imprecise(e.n, e.ci_lower, e.ci_upper),
        imprecise: settings.imprecise(e.n, e.ci_lower, e.ci_upper),
    }
}

/// The flag rows: every unit (in the order of `data.units`), then every officer of every unit
/// (by unit, then officer id). A respondent whose record names no officer counts in the unit's
/// row only; an officer who handled records of two units has a row in each.
///
/// `rows` are the index rows of the same data and `index_settings` (the unit estimates are
/// taken from them).
pub fn compute(
    q: &Questionnaire,
    data: &ResponseData,
    rows: &[IndexRow],
    index_settings: IndexSettings,
    settings: &FlagSettings,
) -> Vec<FlagRow> {
    // Built only when a domain needs it (officers, or a unit without an index row): it holds
    // two columns per item.
    let overall_cell = std::cell::OnceCell::new();
    let overall = || overall_cell.get_or_init(|| OverallDissatisfied::new(q, data, index_settings));
    let by_unit: HashMap<&str, &IndexRow> = rows
        .iter()
        .filter(|r| r.indicator == INDICATOR && r.measure == "dissatisfied_pct")
        .map(|r| (r.domain.as_str(), r))
        .collect();
    let group = |u: usize| data.unit_groups.get(u).map(String::as_str).unwrap_or("");
    let mut out = Vec::new();
    for (u, unit) in data.units.iter().enumerate() {
        let e = match by_unit.get(unit.as_str()) {
            Some(r) => DomainEstimate {
                estimate: r.estimate,
                std_error: r.std_error,
                ci_lower: r.ci_lower,
                ci_upper: r.ci_upper,
                n: r.n,
            },
            None => {
                let members: Vec<usize> = (0..data.len())
                    .filter(|&i| data.unit_of[i] as usize == u)
                    .collect();
                overall().domain(&members)
            }
        };
        out.push(flag(Level::Unit, unit, "", group(u), e, settings));
    }
    let mut officers: BTreeMap<(u32, u32), Vec<usize>> = BTreeMap::new();
    for i in 0..data.len() {
        let o = data.officer_of.get(i).copied().unwrap_or(NO_OFFICER);
        if o != NO_OFFICER {
            officers.entry((data.unit_of[i], o)).or_default().push(i);
        }
    }
    for ((u, o), members) in &officers {
        let (u, o) = (*u as usize, *o as usize);
        let e = overall().domain(members);
        out.push(flag(
            Level::Officer,
            &data.units[u],
            &data.officers[o],
            group(u),
            e,
            settings,
        ));
    }
    out
}

/// The columns of `flags.csv` (defined with the file, in [`crate::files::flags`]).
pub use crate::files::flags::COLUMNS;

/// One line per level (units, officers): how many are above the threshold, certainly above
/// it, and imprecise; and how many respondents name no officer. Each line ends with a newline.
pub fn summary(data: &ResponseData, flags: &[FlagRow], s: &FlagSettings) -> String {
    let mut out = String::new();
    for level in [Level::Unit, Level::Officer] {
        let rows: Vec<_> = flags.iter().filter(|f| f.level == level).collect();
        if rows.is_empty() {
            continue;
        }
        out += &format!(
            "flags:   {} {}s, {} above {}% dissatisfied ({} certainly), {} imprecise\n",
            rows.len(),
            level.as_str(),
            rows.iter().filter(|f| f.above).count(),
            s.threshold_pct,
            rows.iter().filter(|f| f.certain).count(),
            rows.iter().filter(|f| f.imprecise).count()
        );
    }
    let without = data.officer_of.iter().filter(|&&o| o == NO_OFFICER).count();
    if !data.officers.is_empty() && without > 0 {
        out += &format!(
            "flags:   {without} respondents name no officer: they count in their unit only\n"
        );
    }
    out
}

#[derive(Serialize)]
struct Published<'a> {
    settings: &'a FlagSettings,
    indicator: &'a str,
    measure: &'a str,
    engine_version: &'a str,
    provenance: &'a crate::provenance::Provenance,
    rows: &'a [FlagRow],
}

/// The files [`files`] makes.
pub(crate) const FILES: [&str; 2] = ["flags.csv", "flags.json"];

/// `flags.csv` and `flags.json` (settings, provenance and rows): names ([`FILES`]) and bytes.
pub(crate) fn files(
    settings: &FlagSettings,
    provenance: &crate::provenance::Provenance,
    rows: &[FlagRow],
) -> [(&'static str, Vec<u8>); 2] {
    let csv = crate::files::flags::to_csv(rows);
    let json = serde_json::to_vec_pretty(&Published {
        settings,
        indicator: INDICATOR,
        measure: "dissatisfied_pct",
        engine_version: env!("CARGO_PKG_VERSION"),
        provenance,
        rows,
    })
    .expect("rows serialise");
    [(FILES[0], csv), (FILES[1], json)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(estimate: f64, lower: f64, upper: f64, n: u64) -> DomainEstimate {
        DomainEstimate {
            estimate: Some(estimate),
            std_error: Some(1.0),
            ci_lower: Some(lower),
            ci_upper: Some(upper),
            n,
        }
    }

    #[test]
    fn certain_above_uncertain_and_imprecise_are_told_apart() {
        let s = FlagSettings::default();
        // Whole interval above 25: certain.
        let r = flag(Level::Unit, "U", "", "", est(40.0, 30.0, 45.0, 100), &s);
        assert!(r.above && r.certain && !r.imprecise);
        // Above, but the interval reaches below 25.
        let r = flag(Level::Unit, "U", "", "", est(30.0, 24.0, 37.0, 100), &s);
        assert!(r.above && !r.certain && !r.imprecise);
        // Exactly at the threshold is not above ("trên 25%").
        let r = flag(Level::Unit, "U", "", "", est(25.0, 20.0, 30.0, 100), &s);
        assert!(!r.above && !r.certain);
        // A lower end exactly at 25 is not certain.
        let r = flag(Level::Unit, "U", "", "", est(30.0, 25.0, 35.0, 100), &s);
        assert!(r.above && !r.certain);
        // Few answers: imprecise, and so not certain, although the interval is above 25.
        let r = flag(Level::Unit, "U", "", "", est(60.0, 40.0, 58.0, 12), &s);
        assert!(r.above && !r.certain && r.imprecise);
        // The same interval on enough answers is certain.
        let r = flag(Level::Unit, "U", "", "", est(60.0, 40.0, 58.0, 30), &s);
        assert!(r.above && r.certain && !r.imprecise);
        // Wide interval: imprecise.
        let r = flag(Level::Unit, "U", "", "", est(30.0, 10.0, 50.0, 100), &s);
        assert!(r.above && !r.certain && r.imprecise);
        // No estimate: nothing above, imprecise.
        let none = DomainEstimate {
            estimate: None,
            std_error: None,
            ci_lower: None,
            ci_upper: None,
            n: 0,
        };
        let r = flag(Level::Unit, "U", "", "", none, &s);
        assert!(!r.above && !r.certain && r.imprecise);
    }

    #[test]
    fn settings_are_validated() {
        assert!(FlagSettings::new(25.0, 30, 20.0).is_ok());
        assert!(FlagSettings::new(125.0, 30, 20.0).is_err());
        assert!(FlagSettings::new(f64::NAN, 30, 20.0).is_err());
        assert!(FlagSettings::new(25.0, 30, 0.0).is_err());
        // A proportion given for a percentage.
        let e = FlagSettings::new(0.25, 30, 20.0).unwrap_err().to_string();
        assert!(e.contains("looks like a proportion"), "{e}");
        assert!(
            FlagSettings::new(0.0, 30, 20.0).is_ok() && FlagSettings::new(1.0, 30, 20.0).is_ok()
        );
    }
}
