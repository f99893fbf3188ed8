//! Estimators for a stratified sample with finite-population correction: linear combinations
//! of ratios over a domain, with standard errors by Taylor linearisation, as R's `survey`
//! computes them for `svydesign(ids = ~1, strata =, fpc =, weights =)` with `svyratio`,
//! `svyby` and `svycontrast`.
//!
//! An item index is a ratio `R = Σ w·y / Σ w·x` (y: satisfied, x: answered); an element or
//! overall index is a linear combination `Σ c_k R_k` of such ratios. Its linearised variable
//! is `z_i = Σ_k c_k · w_i (y_ik − R_k x_ik) / X_k` for respondents in the domain and 0
//! elsewhere, and its variance
//!
//! ```text
//! V = Σ_h (1 − m_h / N_h) · m_h / (m_h − 1) · Σ_{i∈h} (z_i − z̄_h)²
//! ```
//!
//! with `m_h` the respondents of stratum `h` (all of them, in or out of the domain) and `N_h`
//! its population. A stratum taken whole (`m_h = N_h`) contributes nothing.
//!
//! **Strata of one respondent** (`m_h = 1 < N_h`, a *lonely* stratum) cannot estimate their
//! own variance. [`LonelyPsu`] says what to do, with R's `survey.lonely.psu` choices:
//! `remove` and `certainty` (nothing; the same rule for a one-stage design), `adjust` (the
//! default: the respondent's `z_i` is centred at 0, the mean of the whole sample's, instead of
//! its stratum's, adding `(1 − 1/N_h)·z_i²`), `average` (the other strata's variance scaled by
//! the strata present over the strata that are not lonely) and `fail` (the run is refused).
//! As in R, the strata present are the domain's for fixed weights (R drops the other rows
//! from a subset) and every stratum for calibrated weights (R keeps them, with weight 0).
//!
//! Each estimate carries a [`Precision`]: its standard error was estimated, is 0 because
//! the domain was taken whole, or cannot be estimated (no degrees of freedom, or only lonely
//! strata left out), judged by the rules listed with [`Precision`].
//!
//! **Calibrated weights.** When the weights were post-stratified or raked
//! ([`crate::weights`]), `z` is first replaced by its residuals from the calibration, as R's
//! `svyrecvar` does (survey 4.1.1), over every respondent (a domain's `z` is 0 outside it):
//!
//! - post-strata: `r_i = z_i − w_i · Σ_{j∈g} z_j / Σ_{j∈g} w_j`, with `g` the post-stratum of
//!   `i`;
//! - raking: ten passes, each going through the margins in turn with
//!   `r_i ← r_i − w_i · mean_{j∈c} (r_j / w_j)`, with `c` the category of `i` in the margin
//!   (a fixed number of backfitting passes, as in R).
//!
//! This module is the reference implementation the columnar kernel
//! ([`crate::compute_kernel`]) is tested against, for fixed and calibrated weights; it is
//! checked against R itself in `tests/oracle.rs` and `tests/calibration.rs`.

/// A stratified sample of respondents: each one's stratum and weight, and each stratum's
/// population.
#[derive(Clone, Debug, PartialEq)]
pub struct StratifiedSample {
    strata: Vec<u32>,
    weights: Vec<f64>,
    population: Vec<f64>,
    respondents: Vec<u64>,
    calibration: Option<CalibrationGroups>,
    lonely: LonelyPsu,
}

/// The groups the weights were calibrated on, for the variance: each respondent's group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalibrationGroups {
    /// Post-stratification: each respondent's post-stratum.
    PostStrata(Vec<u32>),
    /// Raking: per margin, each respondent's category.
    Raking(Vec<Vec<u32>>),
}

/// Passes of backfitting for the residuals of a raking (as R's `svyrecvar`).
const RAKING_PASSES: usize = 10;

impl CalibrationGroups {
    /// Replaces `z` by its residuals from the calibration (see the module documentation).
    fn residuals(&self, z: &mut [f64], w: &[f64]) {
        let mut residualise = |groups: &[u32], weighted: bool| {
            let k = groups.iter().map(|&g| g as usize + 1).max().unwrap_or(0);
            let (mut num, mut den) = (vec![0.0f64; k], vec![0.0f64; k]);
            for ((&g, zi), wi) in groups.iter().zip(z.iter()).zip(w) {
                if weighted {
                    num[g as usize] += zi;
                    den[g as usize] += wi;
                } else {
                    num[g as usize] += zi / wi;
                    den[g as usize] += 1.0;
                }
            }
            for ((&g, zi), wi) in groups.iter().zip(z.iter_mut()).zip(w) {
                *zi -= wi * num[g as usize] / den[g as usize];
            }
        };
        match self {
            CalibrationGroups::PostStrata(groups) => residualise(groups, true),
            CalibrationGroups::Raking(margins) => {
                for _ in 0..RAKING_PASSES {
                    for groups in margins {
                        residualise(groups, false);
                    }
                }
            }
        }
    }
}

/// An estimate, its standard error, and the respondents it rests on: what the reference
/// estimator ([`StratifiedSample::ratio_combination`]) and the columnar kernel
/// ([`crate::kernel::compute`]) give, before its interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The point estimate (percent for shares); NaN when a ratio of it has a zero
    /// denominator (an item of the indicator has no answer in the domain).
    pub estimate: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Respondents of the domain who answered (a denominator above 0 in at least one ratio:
    /// at least one item of the indicator).
    pub n: u64,
    /// Design degrees of freedom: `n` minus the strata those respondents come from.
    pub df: u64,
    /// Whether `std_error` measures the estimate's sampling error.
    pub precision: Precision,
}

/// What to do with a stratum of one respondent (a lonely stratum) in a variance: R's
/// `survey.lonely.psu` choices (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LonelyPsu {
    /// Leave the stratum out of the variance.
    Remove,
    /// Treat the stratum as taken with certainty: no variance (for a one-stage design the
    /// same as `Remove`).
    Certainty,
    /// Centre the respondent at the sample's mean (0) instead of the stratum's: the cautious
    /// default.
    #[default]
    Adjust,
    /// Give the stratum the average variance of the other strata.
    Average,
    /// Refuse to estimate.
    Fail,
}

impl LonelyPsu {
    const ALL: [LonelyPsu; 5] = [
        LonelyPsu::Remove,
        LonelyPsu::Certainty,
        LonelyPsu::Adjust,
        LonelyPsu::Average,
        LonelyPsu::Fail,
    ];

    /// The rule's name, as R and the command line spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            LonelyPsu::Remove => "remove",
            LonelyPsu::Certainty => "certainty",
            LonelyPsu::Adjust => "adjust",
            LonelyPsu::Average => "average",
            LonelyPsu::Fail => "fail",
        }
    }

    /// The rule named `name`, or an error (setting `lonely_psu`) listing the names.
    pub fn parse(name: &str) -> crate::Result<LonelyPsu> {
        LonelyPsu::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| {
                crate::Error::setting(
                    "lonely_psu",
                    format!("{name:?}"),
                    "expected adjust, average, remove, certainty or fail",
                )
            })
    }
}

impl serde::Serialize for LonelyPsu {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Below this, a stratum's `1 − m_h/N_h` counts as 0: the stratum was taken whole (R's
/// `onestrat` uses the same bound).
const WHOLE: f64 = 1e-7;

/// One stratum's part in a variance: `m` respondents of a population `big_n`, and the sums
/// of the linearised values (`s1`) and of their squares (`s2`) over its respondents. `None`
/// for a lonely stratum under [`LonelyPsu::Average`] (its part is the others' average).
#[inline]
pub(crate) fn stratum_part(rule: LonelyPsu, m: f64, big_n: f64, s1: f64, s2: f64) -> Option<f64> {
    let fpc = 1.0 - m / big_n;
    if fpc < WHOLE {
        return Some(0.0);
    }
    if m >= 2.0 {
        return Some(fpc * m / (m - 1.0) * (s2 - s1 * s1 / m));
    }
    match rule {
        LonelyPsu::Adjust => Some(fpc * s2),
        LonelyPsu::Average => None,
        LonelyPsu::Remove | LonelyPsu::Certainty => Some(0.0),
        // Refused before any estimate ([`LonelyPsu::Fail`]); if asked anyway, no variance.
        LonelyPsu::Fail => Some(f64::NAN),
    }
}

/// The variance of an estimate from its strata's parts ([`stratum_part`] of every stratum
/// present): their sum, scaled under [`LonelyPsu::Average`] by the strata present over those
/// with a part of their own (NaN when there is none).
pub(crate) fn variance(parts: impl Iterator<Item = Option<f64>>) -> f64 {
    let (mut present, mut own) = (0u64, 0u64);
    let sum: f64 = parts
        .inspect(|p| {
            present += 1;
            own += u64::from(p.is_some());
        })
        .map(|p| p.unwrap_or(0.0))
        .sum();
    if own == present {
        sum
    } else {
        sum * present as f64 / own as f64
    }
}

/// The standard error of a variance: NaN stays NaN (not estimable), rounding below 0 is 0.
pub(crate) fn std_error(variance: f64) -> f64 {
    if variance.is_nan() {
        f64::NAN
    } else {
        variance.max(0.0).sqrt()
    }
}

/// Whether an estimate's standard error measures its sampling error. Judged, from the
/// strata where the domain has an answer: taken whole when every one of them was and the
/// variance is 0; not estimable when there are no degrees of freedom, when the variance is
/// not a number (`average` with only lonely strata), or when every one of them not taken
/// whole is lonely and the rule gives such strata nothing (`remove`, `certainty`); estimated
/// otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Estimated from the sample.
    Estimated,
    /// 0, exactly: every stratum the domain's answers come from was taken whole.
    TakenWhole,
    /// It cannot be estimated: the standard error is not published.
    NotEstimable(NotEstimable),
}

/// Why a standard error cannot be estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotEstimable {
    /// No degrees of freedom: each stratum of the domain has one answer at most.
    NoDegreesOfFreedom,
    /// The strata that could give the variance have one respondent each, and the rule for
    /// them ([`LonelyPsu`] `remove`, `certainty` or `average`) gives them none.
    LonelyStrataOnly,
}

impl NotEstimable {
    /// Every reason.
    pub const ALL: [NotEstimable; 2] = [
        NotEstimable::NoDegreesOfFreedom,
        NotEstimable::LonelyStrataOnly,
    ];

    /// The reason as written in `indices.csv` (`se_note`).
    pub fn as_str(self) -> &'static str {
        match self {
            NotEstimable::NoDegreesOfFreedom => "not estimable: no degrees of freedom",
            NotEstimable::LonelyStrataOnly => "not estimable: only strata of one respondent",
        }
    }
}

impl Precision {
    /// Judges an estimate with degrees of freedom `df` and variance `variance` under `rule`,
    /// whose answers come from the strata `answered` (each stratum's respondents `m_h` and
    /// population `N_h`, for the strata where the domain has an answer):
    ///
    /// 1. taken whole, when every one of those strata was and the variance is 0;
    /// 2. not estimable, when `df` is 0;
    /// 3. not estimable, when the variance is not a number (`average` with only lonely
    ///    strata), or when every one of those strata not taken whole is lonely and the rule
    ///    gives them nothing (`remove`, `certainty`);
    /// 4. estimated otherwise.
    pub(crate) fn judge(
        rule: LonelyPsu,
        df: u64,
        variance: f64,
        answered: impl Iterator<Item = (f64, f64)>,
    ) -> Precision {
        let (mut sampled, mut lonely) = (0u64, 0u64);
        for (m, big_n) in answered {
            if 1.0 - m / big_n >= WHOLE {
                sampled += 1;
                lonely += u64::from(m < 2.0);
            }
        }
        if sampled == 0 && variance == 0.0 {
            Precision::TakenWhole
        } else if df == 0 {
            Precision::NotEstimable(NotEstimable::NoDegreesOfFreedom)
        } else if variance.is_nan()
            || (lonely == sampled
                && sampled > 0
                && matches!(rule, LonelyPsu::Remove | LonelyPsu::Certainty))
        {
            Precision::NotEstimable(NotEstimable::LonelyStrataOnly)
        } else {
            Precision::Estimated
        }
    }
}

/// One ratio of a combination: numerator and denominator values per respondent, and its
/// coefficient.
#[derive(Clone, Copy, Debug)]
pub struct RatioTerm<'a> {
    /// `y_i`.
    pub numerator: &'a [f64],
    /// `x_i`.
    pub denominator: &'a [f64],
    /// `c_k`.
    pub coefficient: f64,
}

impl StratifiedSample {
    /// A sample: `strata[i]` indexes `population`; `weights[i]` is respondent `i`'s weight.
    ///
    /// # Panics
    /// If the lengths differ or a stratum index is out of range (the caller builds these from
    /// validated inputs).
    pub fn new(strata: Vec<u32>, weights: Vec<f64>, population: Vec<f64>) -> StratifiedSample {
        assert_eq!(strata.len(), weights.len(), "one weight per respondent");
        let mut respondents = vec![0u64; population.len()];
        for &h in &strata {
            respondents[h as usize] += 1;
        }
        StratifiedSample {
            strata,
            weights,
            population,
            respondents,
            calibration: None,
            lonely: LonelyPsu::default(),
        }
    }

    /// The same sample with `rule` for its strata of one respondent.
    pub fn with_lonely_psu(mut self, rule: LonelyPsu) -> StratifiedSample {
        self.lonely = rule;
        self
    }

    /// The same sample whose weights were calibrated on `groups` (`None`: not calibrated),
    /// so that standard errors account for the calibration.
    ///
    /// # Panics
    /// If a group vector does not have one entry per respondent.
    pub fn with_calibration(mut self, groups: Option<CalibrationGroups>) -> StratifiedSample {
        if let Some(g) = &groups {
            let lengths: Vec<usize> = match g {
                CalibrationGroups::PostStrata(v) => vec![v.len()],
                CalibrationGroups::Raking(m) => m.iter().map(Vec::len).collect(),
            };
            assert!(
                lengths.iter().all(|&l| l == self.strata.len()),
                "one group per respondent"
            );
        }
        self.calibration = groups;
        self
    }

    /// The number of respondents.
    pub fn len(&self) -> usize {
        self.strata.len()
    }

    /// Whether there is no respondent.
    pub fn is_empty(&self) -> bool {
        self.strata.is_empty()
    }

    /// `Σ_k c_k R_k` over the domain made of the respondents `rows`, with its standard
    /// error, and the respondents who answered and their degrees of freedom. A ratio with a
    /// zero denominator makes the estimate NaN.
    pub fn ratio_combination(&self, terms: &[RatioTerm<'_>], rows: &[usize]) -> Estimate {
        let h_count = self.population.len();
        let (mut sum, mut sum_sq) = (vec![0.0f64; h_count], vec![0.0f64; h_count]);
        // Pass 1: the ratios, and the respondents who answered (their strata marked in `sum`
        // until pass 2).
        let mut totals = vec![(0.0f64, 0.0f64); terms.len()];
        let mut n = 0u64;
        let mut answered = vec![false; h_count];
        // The strata present (see the module documentation).
        let mut present = vec![self.calibration.is_some(); h_count];
        for &i in rows {
            let w = self.weights[i];
            for (t, term) in totals.iter_mut().zip(terms) {
                t.0 += w * term.numerator[i];
                t.1 += w * term.denominator[i];
            }
            present[self.strata[i] as usize] = true;
            if terms.iter().any(|t| t.denominator[i] > 0.0) {
                n += 1;
                answered[self.strata[i] as usize] = true;
            }
        }
        let strata_answered = answered.iter().filter(|&&a| a).count() as u64;
        let df = n.saturating_sub(strata_answered);
        let ratios: Vec<f64> = totals.iter().map(|(y, x)| y / x).collect();
        let estimate = terms
            .iter()
            .zip(&ratios)
            .map(|(t, r)| t.coefficient * r)
            .sum();
        // Pass 2: the linearised variable, summed by stratum.
        let z_of = |i: usize| -> f64 {
            let w = self.weights[i];
            terms
                .iter()
                .zip(ratios.iter().zip(&totals))
                .map(|(t, (r, (_, x)))| {
                    t.coefficient * w * (t.numerator[i] - r * t.denominator[i]) / x
                })
                .sum()
        };
        match &self.calibration {
            None => {
                for &i in rows {
                    let z = z_of(i);
                    let h = self.strata[i] as usize;
                    sum[h] += z;
                    sum_sq[h] += z * z;
                }
            }
            Some(groups) => {
                // Residuals over every respondent: 0 outside the domain before.
                let mut z = vec![0.0f64; self.strata.len()];
                for &i in rows {
                    z[i] = z_of(i);
                }
                groups.residuals(&mut z, &self.weights);
                for (i, z) in z.iter().enumerate() {
                    let h = self.strata[i] as usize;
                    sum[h] += z;
                    sum_sq[h] += z * z;
                }
            }
        }
        let variance = variance(
            (0..h_count)
                .filter(|&h| present[h] && self.respondents[h] > 0)
                .map(|h| {
                    let m = self.respondents[h] as f64;
                    stratum_part(self.lonely, m, self.population[h], sum[h], sum_sq[h])
                }),
        );
        let precision = Precision::judge(
            self.lonely,
            df,
            variance,
            (0..h_count)
                .filter(|&h| answered[h])
                .map(|h| (self.respondents[h] as f64, self.population[h])),
        );
        Estimate {
            estimate,
            std_error: std_error(variance),
            n,
            df,
            precision,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_census_stratum_has_no_variance_and_a_simple_mean_matches_the_textbook() {
        // One stratum of N = 10, sample of 4 with y = 1, 0, 1, 1: p = 0.75,
        // var = (1 − 4/10) · s²/n with s² = 0.25 → se = sqrt(0.6 · 0.25 / 4).
        let s = StratifiedSample::new(vec![0; 4], vec![2.5; 4], vec![10.0]);
        let (y, x) = ([1.0, 0.0, 1.0, 1.0], [1.0; 4]);
        let e = s.ratio_combination(
            &[RatioTerm {
                numerator: &y,
                denominator: &x,
                coefficient: 1.0,
            }],
            &[0, 1, 2, 3],
        );
        assert!((e.estimate - 0.75).abs() < 1e-15);
        assert!((e.std_error - (0.6f64 * 0.25 / 4.0).sqrt()).abs() < 1e-15);
        let census = StratifiedSample::new(vec![0; 4], vec![1.0; 4], vec![4.0]);
        let e = census.ratio_combination(
            &[RatioTerm {
                numerator: &y,
                denominator: &x,
                coefficient: 1.0,
            }],
            &[0, 1, 2, 3],
        );
        assert_eq!(e.std_error, 0.0);
    }

    #[test]
    fn calibrating_on_the_strata_themselves_changes_no_standard_error() {
        // Post-strata (or a raking margin) equal to the strata with equal weights inside each:
        // the residual z_i − w_i Σz/Σw is z_i minus the stratum mean, which the variance
        // removes anyway. A post-stratum across strata does change it.
        let y = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
        let x = [1.0; 7];
        let strata = vec![0, 0, 0, 0, 1, 1, 1];
        let base = StratifiedSample::new(strata.clone(), vec![5.0; 7], vec![20.0, 15.0]);
        let term = [RatioTerm {
            numerator: &y,
            denominator: &x,
            coefficient: 1.0,
        }];
        let all: Vec<usize> = (0..7).collect();
        let domain = [0usize, 1, 4];
        for rows in [&all[..], &domain[..]] {
            let a = base.ratio_combination(&term, rows);
            for groups in [
                CalibrationGroups::PostStrata(strata.clone()),
                CalibrationGroups::Raking(vec![strata.clone()]),
            ] {
                let b = base
                    .clone()
                    .with_calibration(Some(groups))
                    .ratio_combination(&term, rows);
                assert_eq!(a.estimate, b.estimate);
                assert!((a.std_error - b.std_error).abs() < 1e-15, "{a:?} {b:?}");
            }
            let across = base
                .clone()
                .with_calibration(Some(CalibrationGroups::PostStrata(vec![
                    0, 1, 0, 1, 0, 1, 0,
                ])))
                .ratio_combination(&term, rows);
            assert!((a.std_error - across.std_error).abs() > 1e-6);
        }
    }

    #[test]
    fn a_stratum_with_one_respondent_adds_no_variance_when_removed() {
        // Stratum 0: four respondents; stratum 1: one. The lone respondent moves the estimate
        // but cannot estimate its stratum's variance (R's survey stops with an error there by
        // default).
        let y = [1.0, 0.0, 1.0, 1.0, 0.0];
        let x = [1.0; 5];
        let two = StratifiedSample::new(
            vec![0, 0, 0, 0, 1],
            vec![2.5, 2.5, 2.5, 2.5, 10.0],
            vec![10.0, 10.0],
        )
        .with_lonely_psu(LonelyPsu::Remove);
        let one = StratifiedSample::new(vec![0; 4], vec![2.5; 4], vec![10.0]);
        let term = |n| RatioTerm {
            numerator: &y[..n],
            denominator: &x[..n],
            coefficient: 1.0,
        };
        let a = two.ratio_combination(&[term(5)], &[0, 1, 2, 3, 4]);
        let b = one.ratio_combination(&[term(4)], &[0, 1, 2, 3]);
        assert!((a.estimate - 7.5 / 20.0).abs() < 1e-15);
        // Only stratum 0 contributes, with z scaled by the larger total.
        assert!(a.std_error > 0.0 && (a.std_error - b.std_error * 10.0 / 20.0).abs() < 1e-15);
        assert_eq!(a.precision, Precision::Estimated);

        // adjust: the lone respondent's z = w(y − R)/X = 10·(0 − 0.375)/20, centred at 0, with
        // 1 − 1/N = 0.9, adds 0.9·z² to the variance.
        let adjusted = two
            .clone()
            .with_lonely_psu(LonelyPsu::Adjust)
            .ratio_combination(&[term(5)], &[0, 1, 2, 3, 4]);
        let z: f64 = 10.0 * (0.0 - 0.375) / 20.0;
        let want = (a.std_error.powi(2) + 0.9 * z * z).sqrt();
        assert!((adjusted.std_error - want).abs() < 1e-15, "{adjusted:?}");
        // average: the one other stratum's variance, times 2 strata over 1.
        let averaged = two
            .clone()
            .with_lonely_psu(LonelyPsu::Average)
            .ratio_combination(&[term(5)], &[0, 1, 2, 3, 4]);
        assert!((averaged.std_error - a.std_error * 2f64.sqrt()).abs() < 1e-15);
        // The lone stratum alone: no degrees of freedom, whatever the rule.
        for rule in [LonelyPsu::Remove, LonelyPsu::Adjust, LonelyPsu::Average] {
            let e = two
                .clone()
                .with_lonely_psu(rule)
                .ratio_combination(&[term(5)], &[4]);
            assert_eq!(
                e.precision,
                Precision::NotEstimable(NotEstimable::NoDegreesOfFreedom),
                "{rule:?}"
            );
        }
    }

    #[test]
    fn precision_is_judged_from_the_strata_answered() {
        let judge = |rule, df, v, strata: &[(f64, f64)]| {
            Precision::judge(rule, df, v, strata.iter().copied())
        };
        let adjust = LonelyPsu::Adjust;
        // Every stratum taken whole (one of one counts too).
        assert_eq!(
            judge(adjust, 0, 0.0, &[(5.0, 5.0), (1.0, 1.0)]),
            Precision::TakenWhole
        );
        // Taken whole, but calibration gave a variance: estimated.
        assert_eq!(judge(adjust, 4, 0.1, &[(5.0, 5.0)]), Precision::Estimated);
        // A stratum taken whole beside a lonely one left out: nothing estimates the latter.
        let lonely = [(5.0, 5.0), (1.0, 40.0)];
        assert_eq!(
            judge(LonelyPsu::Remove, 4, 0.0, &lonely),
            Precision::NotEstimable(NotEstimable::LonelyStrataOnly)
        );
        assert_eq!(judge(adjust, 4, 0.2, &lonely), Precision::Estimated);
        assert_eq!(
            judge(LonelyPsu::Average, 4, f64::NAN, &lonely),
            Precision::NotEstimable(NotEstimable::LonelyStrataOnly)
        );
        // An estimate of all-equal answers in a sampled stratum has an estimated 0.
        assert_eq!(judge(adjust, 9, 0.0, &[(10.0, 50.0)]), Precision::Estimated);
        assert_eq!(
            judge(adjust, 0, 0.0, &[(10.0, 50.0)]),
            Precision::NotEstimable(NotEstimable::NoDegreesOfFreedom)
        );
    }

    #[test]
    fn lonely_psu_rules_are_named_as_in_r() {
        for name in ["remove", "certainty", "adjust", "average", "fail"] {
            assert_eq!(LonelyPsu::parse(name).unwrap().as_str(), name);
        }
        assert!(LonelyPsu::parse("drop").is_err());
        assert_eq!(LonelyPsu::default(), LonelyPsu::Adjust);
    }
}
