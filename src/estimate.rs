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
//! its population. A stratum with one respondent contributes nothing (it cannot estimate a
//! variance).
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
//! This module is the reference implementation the columnar kernel will be tested
//! against; it is checked against R itself in `tests/oracle.rs`.

/// A stratified sample of respondents: each one's stratum and weight, and each stratum's
/// population.
#[derive(Clone, Debug, PartialEq)]
pub struct StratifiedSample {
    strata: Vec<u32>,
    weights: Vec<f64>,
    population: Vec<f64>,
    respondents: Vec<u64>,
    calibration: Option<CalibrationGroups>,
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
        }
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
        for &i in rows {
            let w = self.weights[i];
            for (t, term) in totals.iter_mut().zip(terms) {
                t.0 += w * term.numerator[i];
                t.1 += w * term.denominator[i];
            }
            if terms.iter().any(|t| t.denominator[i] > 0.0) {
                n += 1;
                sum[self.strata[i] as usize] = 1.0;
            }
        }
        let strata_answered = sum.iter().filter(|&&m| m > 0.0).count() as u64;
        let df = n.saturating_sub(strata_answered);
        sum.fill(0.0);
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
        let variance: f64 = (0..h_count)
            .map(|h| {
                let m = self.respondents[h] as f64;
                if m < 2.0 {
                    return 0.0;
                }
                let fpc = 1.0 - m / self.population[h];
                let ss = sum_sq[h] - sum[h] * sum[h] / m;
                fpc * m / (m - 1.0) * ss
            })
            .sum();
        Estimate {
            estimate,
            std_error: variance.max(0.0).sqrt(),
            n,
            df,
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
    fn a_stratum_with_one_respondent_adds_no_variance() {
        // Stratum 0: four respondents; stratum 1: one. The lone respondent moves the estimate
        // but cannot estimate its stratum's variance (R's survey stops with an error there).
        let y = [1.0, 0.0, 1.0, 1.0, 0.0];
        let x = [1.0; 5];
        let two = StratifiedSample::new(
            vec![0, 0, 0, 0, 1],
            vec![2.5, 2.5, 2.5, 2.5, 10.0],
            vec![10.0, 10.0],
        );
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
    }
}
