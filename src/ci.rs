//! Confidence intervals for a proportion estimated from a complex sample, as R's
//! `svyciprop` defines them, with the design's degrees of freedom:
//!
//! - `wald`: `p ± t·se`, with `t` the Student quantile at `1 − α/2` on `df` degrees of
//!   freedom (it can pass 0 or 100%);
//! - `logit` (the default): `expit(logit p ± t·se / (p(1 − p)))`, always inside (0, 1);
//! - `beta` (Korn–Graubard): the Clopper–Pearson interval at the effective sample size
//!   `n_eff = p(1 − p)/se² · (t_{n−1} / t_df)²`, with `n` the answers in the domain;
//! - `wilson`: survey 4.1.1's `svyciprop` has no Wilson method, so chiso defines it as the
//!   Wilson score interval on Kish's effective sample size `n_eff = p(1 − p)/se²` (the number
//!   of simple-random-sample answers that would give the design's standard error), with the
//!   Student quantile `t` on the design's degrees of freedom in place of the normal one:
//!
//!   ```text
//!   centre = (p + t²/(2 n_eff)) / (1 + t²/n_eff)
//!   half   = t / (1 + t²/n_eff) · sqrt(se² + t²/(4 n_eff²))
//!   ```
//!
//!   (`se² = p(1 − p)/n_eff`, so this is the textbook `sqrt(p(1 − p)/n + t²/(4n²))`). Like the
//!   logit interval it stays inside [0, 1]; it pulls the interval towards 1/2 by `t²/(2 n_eff)`.
//!
//! At the edges, as the estimate's [`Precision`] says:
//!
//! - **taken whole** (every stratum of the domain's answers was): `[p̂, p̂]` under every method,
//!   as there is no sampling error;
//! - **not estimable** (no degrees of freedom, or only strata of one respondent left out of
//!   the variance): no interval;
//! - **estimated**, with `p̂` 0 or 1 or a standard error of 0: the logit and beta intervals of
//!   R are undefined (NaN); chiso then gives the exact Clopper–Pearson interval on the `n`
//!   answers themselves, so a unit where every answer was "satisfied" is not published as
//!   certainly 100%. (A standard error of 0 with `0 < p̂ < 1` gives `[p̂, p̂]`.)
//!
//! A share that passes 0 or 1 by rounding alone (a weighted combination of ratios that are all
//! 1 can sum to 1.0000000000000002) is taken as 0 or 1 ([`clamp_share`]): by at most
//! [`ROUNDING`].

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use serde::Serialize;
use statrs::distribution::{Beta, ContinuousCDF, StudentsT};

use crate::estimate::{Estimate, LonelyPsu, Precision};

/// How far past 0 or 1 a share may be by floating-point rounding alone (proportion scale).
pub const ROUNDING: f64 = 1e-12;

/// `p` (proportion scale), with rounding noise past 0 or 1 (at most [`ROUNDING`]) removed.
/// Anything further outside stays as it is.
pub fn clamp_share(p: f64) -> f64 {
    if p > 1.0 && p - 1.0 <= ROUNDING {
        1.0
    } else if (-ROUNDING..0.0).contains(&p) {
        0.0
    } else {
        p
    }
}

/// How an interval is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Logit-transformed Wald interval (default).
    Logit,
    /// Korn–Graubard (Clopper–Pearson at the effective sample size).
    Beta,
    /// Plain Wald interval.
    Wald,
    /// Wilson score interval at Kish's effective sample size.
    Wilson,
}

impl Method {
    /// The name used in output files.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Logit => "logit",
            Method::Beta => "beta",
            Method::Wald => "wald",
            Method::Wilson => "wilson",
        }
    }

    /// The method named `name` in output files and on the command line.
    pub fn from_name(name: &str) -> Option<Method> {
        [Method::Logit, Method::Beta, Method::Wald, Method::Wilson]
            .into_iter()
            .find(|m| m.as_str() == name)
    }

    /// The method named `name`, or an error (setting `ci`) listing the names.
    pub fn parse(name: &str) -> crate::Result<Method> {
        Method::from_name(name).ok_or_else(|| {
            crate::Error::setting(
                "ci",
                format!("{name:?}"),
                "expected logit, beta, wilson or wald",
            )
        })
    }
}

/// The highest confidence level accepted: closer to 1 the quantiles of the t and normal
/// distributions grow without bound and the intervals become infinite.
pub const MAX_LEVEL: f64 = 0.9999;

/// The estimation settings of an index run: the method for shares' intervals, the level,
/// and the rule for strata of one respondent in the variances (recorded in `indices.json`;
/// re-exported as `index::Settings`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Settings {
    /// Interval method for shares.
    #[serde(serialize_with = "method_name")]
    pub ci_method: Method,
    /// Confidence level.
    pub level: f64,
    /// Strata of one respondent ([`crate::estimate`]).
    pub lonely_psu: LonelyPsu,
}

fn method_name<S: serde::Serializer>(m: &Method, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            ci_method: Method::Logit,
            level: 0.95,
            lonely_psu: LonelyPsu::default(),
        }
    }
}

impl Settings {
    /// Validated settings: a confidence level strictly between 0 and 1.
    pub fn new(ci_method: Method, level: f64, lonely_psu: LonelyPsu) -> crate::Result<Settings> {
        if !(level > 0.0 && level <= MAX_LEVEL) {
            return Err(crate::Error::setting(
                "level",
                level,
                format!("expected a proportion such as 0.95, above 0 and at most {MAX_LEVEL}"),
            ));
        }
        Ok(Settings {
            ci_method,
            level,
            lonely_psu,
        })
    }
}

/// An interval on the proportion scale (0–1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Lower end.
    pub lower: f64,
    /// Upper end.
    pub upper: f64,
}

/// An estimate as published, with its interval at the run's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Published {
    /// The estimate (percent for a share, rounding noise past 0 or 100% removed).
    pub estimate: f64,
    /// Its standard error; `None` when it cannot be estimated.
    pub std_error: Option<f64>,
    /// Its interval, when one can be given.
    pub interval: Option<Interval>,
}

/// Publishes `e`, a share in percent (`share`) or a mean score: `None` when there is no
/// estimate (no answer in the domain, or an item of the indicator without one). Shares get
/// the interval of `settings.ci_method`, mean scores Wald's.
pub fn publish(e: &Estimate, share: bool, settings: &Settings) -> Option<Published> {
    if e.n == 0 || !e.estimate.is_finite() {
        return None;
    }
    let (df, n) = (e.df as f64, e.n as f64);
    let (estimate, interval) = if share {
        let p = clamp_share(e.estimate / 100.0);
        // Unchanged bits when there was nothing to clamp.
        let estimate = if (0.0..=100.0).contains(&e.estimate) {
            e.estimate
        } else {
            100.0 * p
        };
        let interval = proportion(
            estimate / 100.0,
            e.std_error / 100.0,
            df,
            n,
            settings.level,
            settings.ci_method,
            e.precision,
        )
        .map(|i| Interval {
            lower: 100.0 * i.lower,
            upper: 100.0 * i.upper,
        });
        (estimate, interval)
    } else {
        let interval = wald(e.estimate, e.std_error, df, settings.level, e.precision);
        (e.estimate, interval)
    };
    // Taken whole: the estimate itself, without a round trip through the proportion scale.
    let interval = match e.precision {
        Precision::TakenWhole => Some(Interval {
            lower: estimate,
            upper: estimate,
        }),
        _ => interval,
    };
    Some(Published {
        estimate,
        std_error: match e.precision {
            Precision::NotEstimable(_) => None,
            _ => Some(e.std_error),
        },
        interval,
    })
}

/// The Student quantile `qt(q, df)`. Inverting the distribution function is slow and a run
/// asks for the same few `(q, df)` many times, so each thread remembers the answers.
fn qt(q: f64, df: f64) -> f64 {
    thread_local! {
        static KNOWN: RefCell<FxHashMap<(u64, u64), f64>> = RefCell::default();
    }
    KNOWN.with(|known| {
        *known
            .borrow_mut()
            .entry((q.to_bits(), df.to_bits()))
            .or_insert_with(|| {
                StudentsT::new(0.0, 1.0, df)
                    .expect("df > 0 was checked")
                    .inverse_cdf(q)
            })
    })
}

/// The beta quantile `qbeta(q, a, b)`, with the degenerate ends of R (`a = 0` → 0, `b = 0` → 1).
fn qbeta(q: f64, a: f64, b: f64) -> f64 {
    if a <= 0.0 {
        0.0
    } else if b <= 0.0 {
        1.0
    } else {
        Beta::new(a, b).expect("positive shapes").inverse_cdf(q)
    }
}

/// The Clopper–Pearson interval for `p̂` at (effective) sample size `n`.
fn clopper_pearson(p: f64, n: f64, alpha: f64) -> Interval {
    Interval {
        lower: qbeta(alpha / 2.0, n * p, n * (1.0 - p) + 1.0),
        upper: qbeta(1.0 - alpha / 2.0, n * p + 1.0, n * (1.0 - p)),
    }
}

/// The Wald interval `estimate ± t·se` on `df` degrees of freedom (for a mean score); `None`
/// when `df < 1` or the standard error is not estimable, `[estimate, estimate]` when the
/// domain was taken whole.
pub fn wald(estimate: f64, se: f64, df: f64, level: f64, precision: Precision) -> Option<Interval> {
    match precision {
        Precision::NotEstimable(_) => return None,
        Precision::TakenWhole if estimate.is_finite() => {
            return Some(Interval {
                lower: estimate,
                upper: estimate,
            });
        }
        _ => {}
    }
    if df.is_nan() || df < 1.0 || !estimate.is_finite() {
        return None;
    }
    let t = qt(1.0 - (1.0 - level) / 2.0, df);
    Some(Interval {
        lower: estimate - t * se,
        upper: estimate + t * se,
    })
}

/// The interval at `level` (e.g. 0.95) for a proportion `p` (0–1) with standard error `se`
/// of the given precision, `df` design degrees of freedom and `n` answers in the domain
/// (see the module documentation for the edges). `None` when the standard error is not
/// estimable, `df < 1` or `n < 1` (no interval can be given).
pub fn proportion(
    p: f64,
    se: f64,
    df: f64,
    n: f64,
    level: f64,
    method: Method,
    precision: Precision,
) -> Option<Interval> {
    let p = clamp_share(p);
    if !(n >= 1.0 && (0.0..=1.0).contains(&p)) {
        return None;
    }
    match precision {
        Precision::NotEstimable(_) => return None,
        Precision::TakenWhole => return Some(Interval { lower: p, upper: p }),
        Precision::Estimated => {}
    }
    if df.is_nan() || df < 1.0 {
        return None;
    }
    let alpha = 1.0 - level;
    let t = qt(1.0 - alpha / 2.0, df);
    let degenerate = se == 0.0 || p == 0.0 || p == 1.0;
    Some(match method {
        Method::Wald => Interval {
            lower: p - t * se,
            upper: p + t * se,
        },
        _ if degenerate && se == 0.0 && p > 0.0 && p < 1.0 => Interval { lower: p, upper: p },
        _ if degenerate => clopper_pearson(p, n, alpha),
        Method::Logit => {
            let l = (p / (1.0 - p)).ln();
            let h = t * se / (p * (1.0 - p));
            let expit = |x: f64| 1.0 / (1.0 + (-x).exp());
            Interval {
                lower: expit(l - h),
                upper: expit(l + h),
            }
        }
        Method::Beta => {
            let ratio = if n > 1.0 {
                qt(alpha / 2.0, n - 1.0) / qt(alpha / 2.0, df)
            } else {
                1.0
            };
            let n_eff = p * (1.0 - p) / (se * se) * ratio * ratio;
            clopper_pearson(p, n_eff, alpha)
        }
        Method::Wilson => {
            let n_eff = p * (1.0 - p) / (se * se);
            let t2n = t * t / n_eff;
            let centre = (p + t2n / 2.0) / (1.0 + t2n);
            let half = t / (1.0 + t2n) * (se * se + t2n * t2n / (4.0 * t * t)).sqrt();
            Interval {
                lower: centre - half,
                upper: centre + half,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::NotEstimable;

    const EST: Precision = Precision::Estimated;

    #[test]
    fn rounding_past_one_is_one_and_a_whole_domain_has_a_point_interval() {
        let over = 1.0 + 2.0 * f64::EPSILON;
        assert_eq!(clamp_share(over), 1.0);
        assert_eq!(clamp_share(-1e-15), 0.0);
        assert_eq!(clamp_share(1.01), 1.01);
        for m in [Method::Logit, Method::Beta, Method::Wilson, Method::Wald] {
            // Every answer satisfied in a sampled unit: Clopper–Pearson on the answers.
            let i = proportion(over, 0.0, 9.0, 10.0, 0.95, m, EST).unwrap();
            assert_eq!(i.upper, 1.0, "{m:?}");
            if m != Method::Wald {
                assert!((i.lower - 0.025f64.powf(0.1)).abs() < 1e-9, "{m:?} {i:?}");
            }
            // Taken whole: no sampling error, at 0, 1 or between; even with no df.
            for p in [0.0, 0.3, 1.0] {
                let i = proportion(p, 0.0, 0.0, 3.0, 0.95, m, Precision::TakenWhole).unwrap();
                assert_eq!((i.lower, i.upper), (p, p));
            }
            let none = Precision::NotEstimable(NotEstimable::NoDegreesOfFreedom);
            assert!(proportion(0.5, 0.0, 4.0, 5.0, 0.95, m, none).is_none());
        }
        assert!(proportion(1.01, 0.0, 9.0, 10.0, 0.95, Method::Logit, EST).is_none());
        let w = wald(4.2, 0.0, 0.0, 0.95, Precision::TakenWhole).unwrap();
        assert_eq!((w.lower, w.upper), (4.2, 4.2));
        let none = Precision::NotEstimable(NotEstimable::LonelyStrataOnly);
        assert!(wald(4.2, 0.3, 8.0, 0.95, none).is_none());
    }

    #[test]
    fn all_satisfied_is_not_certainly_all_satisfied() {
        let i = proportion(1.0, 0.0, 9.0, 10.0, 0.95, Method::Logit, EST).unwrap();
        // Clopper–Pearson for 10 of 10: [0.025^(1/10), 1].
        assert!((i.lower - 0.025f64.powf(0.1)).abs() < 1e-9, "{i:?}");
        assert_eq!(i.upper, 1.0);
        let i = proportion(0.0, 0.0, 9.0, 10.0, 0.95, Method::Beta, EST).unwrap();
        assert_eq!(i.lower, 0.0);
        assert!((i.upper - (1.0 - 0.025f64.powf(0.1))).abs() < 1e-9, "{i:?}");
    }

    #[test]
    fn a_census_has_a_point_interval_and_no_df_has_none() {
        let i = proportion(0.4, 0.0, 9.0, 10.0, 0.95, Method::Logit, EST).unwrap();
        assert_eq!((i.lower, i.upper), (0.4, 0.4));
        assert!(proportion(0.4, 0.1, 0.0, 10.0, 0.95, Method::Logit, EST).is_none());
    }

    #[test]
    fn wilson_on_the_effective_sample_size_by_hand() {
        // p = 0.9, se = 0.03: n_eff = 0.09 / 0.0009 = 100. With df = 99 the 97.5% Student
        // quantile is t = 1.984216952, t² = 3.937116911, t²/n = 0.039371169;
        // centre = (0.9 + 0.019685585) / 1.039371169 = 0.884848081,
        // half = (1.984216952 / 1.039371169) · sqrt(0.0009 + 3.937116911 / 40000)
        //      = 1.909055216 · 0.031597910 = 0.060322155.
        let i = proportion(0.9, 0.03, 99.0, 120.0, 0.95, Method::Wilson, EST).unwrap();
        assert!((i.lower - 0.824525926).abs() < 1e-9, "{i:?}");
        assert!((i.upper - 0.945170236).abs() < 1e-9, "{i:?}");
        // The same formula with the normal quantile 1.959963985 gives 0.825634339 and
        // 0.944770863, R's prop.test(90, 100, correct = FALSE): the textbook Wilson interval.
        // Degenerate cases as for the other methods.
        let i = proportion(1.0, 0.0, 9.0, 10.0, 0.95, Method::Wilson, EST).unwrap();
        assert!((i.lower - 0.025f64.powf(0.1)).abs() < 1e-9 && i.upper == 1.0);
        let i = proportion(0.4, 0.0, 9.0, 10.0, 0.95, Method::Wilson, EST).unwrap();
        assert_eq!((i.lower, i.upper), (0.4, 0.4));
        assert_eq!(Method::from_name("wilson"), Some(Method::Wilson));
        assert_eq!(Method::from_name("score"), None);
    }

    #[test]
    fn wald_can_pass_one_but_logit_cannot() {
        let w = proportion(0.98, 0.02, 30.0, 40.0, 0.95, Method::Wald, EST).unwrap();
        let l = proportion(0.98, 0.02, 30.0, 40.0, 0.95, Method::Logit, EST).unwrap();
        assert!(w.upper > 1.0 && l.upper < 1.0);
    }
}
