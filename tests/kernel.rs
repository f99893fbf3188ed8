//! The columnar kernel against the reference estimator, and its independence of the number of
//! threads.

use chiso::estimate::CalibrationGroups;
use chiso::estimate::{RatioTerm, StratifiedSample};
use chiso::index::{self, Settings};
use chiso::questionnaire::Questionnaire;
use chiso::responses::{NO_ANSWER, NO_OFFICER, ResponseData};
use chiso::{KernelColumns, LonelyPsu, compute_kernel};

const QUESTIONNAIRE: &str = r#"
name = "test"
[scale]
min = 1
max = 5
satisfied = [4, 5]
dissatisfied = [1, 2]
missing = [0, 9]
[[element]]
code = "E1"
name = "one"
items = ["Q1", "Q2", "Q3"]
weight = 2
item_weights = [1, 2, 1]
[[element]]
code = "E2"
name = "two"
items = ["Q4", "Q5"]
weight = 1
[[element]]
code = "E3"
name = "three"
items = ["Q6"]
weight = 1
"#;

fn questionnaire() -> Questionnaire {
    Questionnaire::from_spec(toml::from_str(QUESTIONNAIRE).unwrap(), "q.toml").unwrap()
}

/// A small deterministic generator for test data.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Respondents in 7 units and 5 strata that cut across units (as when strata are applicant
/// types), with: a stratum of one respondent, a stratum taken whole, a unit where item Q6 has
/// no answer at all, a unit whose every answer to Q1 is satisfied, and missing answers.
fn data(n: usize, seed: u64) -> ResponseData {
    data_in(n, 7, seed)
}

/// [`data`] in `units` units (at least 6).
fn data_in(n: usize, units: u32, seed: u64) -> ResponseData {
    let mut g = Lcg(seed);
    let strata: Vec<String> = ["S0", "S1", "S2", "S3", "LONE"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut stratum_of = Vec::with_capacity(n);
    let mut unit_of = Vec::with_capacity(n);
    let mut answers: Vec<Vec<u8>> = vec![Vec::new(); 6];
    for i in 0..n {
        let h = if i == n / 2 { 4 } else { g.below(4) as u32 };
        let u = g.below(u64::from(units)) as u32;
        stratum_of.push(h);
        unit_of.push(u);
        for (k, col) in answers.iter_mut().enumerate() {
            let a = match g.below(20) {
                0 | 1 => NO_ANSWER,
                r => (1 + (r + k as u64 + u64::from(u)) % 5) as u8,
            };
            let a = match (k, u) {
                (5, 3) => NO_ANSWER,
                (0, 5) if a != NO_ANSWER => 4 + (a % 2),
                _ => a,
            };
            col.push(a);
        }
    }
    let mut m = [0.0f64; 5];
    for &h in &stratum_of {
        m[h as usize] += 1.0;
    }
    // S2 is taken whole (N = m).
    let population = vec![m[0] * 7.5, m[1] * 3.0, m[2], m[3] * 40.0, 12.0];
    let weight = chiso::weights::stratum_weights(&stratum_of, &population);
    ResponseData {
        strata,
        population,
        stratum_of,
        // Codes of one width, so that their order is that of their numbers.
        units: (0..units)
            .map(|u| format!("U{u:0w$}", w = (units - 1).to_string().len()))
            .collect(),
        unit_of,
        answers,
        officers: Vec::new(),
        officer_of: vec![NO_OFFICER; n],
        unit_groups: vec![String::new(); units as usize],
        rows: (2..2 + n as u64).collect(),
        weight,
        calibration: None,
        auxiliary: Default::default(),
        invalid: None,
        response_rates: None,
        unit_names: vec![String::new(); units as usize],
        source: Default::default(),
        not_entered: None,
        dates: Vec::new(),
    }
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-3),
        _ => false,
    }
}

#[test]
fn the_kernel_agrees_with_the_reference_estimator() {
    let q = questionnaire();
    let rules = [
        LonelyPsu::Adjust,
        LonelyPsu::Average,
        LonelyPsu::Remove,
        LonelyPsu::Certainty,
    ];
    for ((n, seed), rule) in [(600, 1), (2000, 7), (37, 3)]
        .into_iter()
        .flat_map(|c| rules.map(|r| (c, r)))
    {
        let d = data(n, seed);
        let settings = Settings {
            lonely_psu: rule,
            ..Settings::default()
        };
        let fast = index::compute_with_threads(&q, &d, settings, 1);
        let slow = index::compute_reference(&q, &d, settings);
        assert_eq!(fast.len(), slow.len());
        assert_eq!(fast.len(), 8 * (6 + 3 + 1) * 3);
        let mut missing = 0;
        for (a, b) in fast.iter().zip(&slow) {
            let what = format!("{} {} {}", a.domain, a.indicator, a.measure);
            let what = format!("{what} ({rule:?})");
            assert_eq!(
                (&a.domain, &a.indicator, a.measure, a.n, a.df, a.se_note),
                (&b.domain, &b.indicator, b.measure, b.n, b.df, b.se_note),
                "{what}"
            );
            assert!(close(a.estimate, b.estimate), "{what}: {a:?} vs {b:?}");
            assert!(close(a.std_error, b.std_error), "{what}: {a:?} vs {b:?}");
            assert!(close(a.ci_lower, b.ci_lower), "{what}: {a:?} vs {b:?}");
            assert!(close(a.ci_upper, b.ci_upper), "{what}: {a:?} vs {b:?}");
            missing += usize::from(a.estimate.is_none());
        }
        // Unit U3 has no answer to Q6: its item, element E3 and overall have no estimate.
        assert_eq!(missing, 3 * 3, "n = {n}");
        assert!(fast.iter().any(|r| r.domain == "U5"
            && r.indicator == "item:Q1"
            && r.measure == "satisfied_pct"
            && r.estimate == Some(100.0)));
    }
}

#[test]
fn results_are_bit_identical_for_any_number_of_threads() {
    let q = questionnaire();
    let d = data(5000, 11);
    let one = index::compute_with_threads(&q, &d, Settings::default(), 1);
    for threads in [2, 3, 8] {
        let many = index::compute_with_threads(&q, &d, Settings::default(), threads);
        for (a, b) in one.iter().zip(&many) {
            let bits = |r: &index::IndexRow| {
                [r.estimate, r.std_error, r.ci_lower, r.ci_upper].map(|v| v.map(f64::to_bits))
            };
            assert_eq!(bits(a), bits(b), "{threads} threads: {a:?}");
        }
    }
}

#[test]
fn large_runs_decode_and_publish_the_same_on_any_number_of_threads() {
    // Enough respondents for the decoding to be shared between threads (from 65,536 per
    // thread) and enough estimates for the rows to be (from 16,384).
    let q = questionnaire();
    let d = data_in(200_000, 600, 5);
    let weights = d.weights();
    let one = KernelColumns::with_threads(&q, &d, &weights, 1);
    let rows = index::compute_with_threads(&q, &d, Settings::default(), 1);
    assert!(rows.len() > 1 << 14, "{} rows", rows.len());
    for threads in [2, 3, 8] {
        let many = KernelColumns::with_threads(&q, &d, &weights, threads);
        assert!(one == many, "columns on {threads} threads");
        let r = index::compute_with_threads(&q, &d, Settings::default(), threads);
        assert_eq!(rows, r, "rows on {threads} threads");
    }
}

#[test]
fn rank_intervals_are_identical_for_any_number_of_threads() {
    let q = questionnaire();
    let mut d = data(5000, 11);
    // Two groups, so that the rankings are several per indicator.
    d.unit_groups = (0..d.units.len())
        .map(|u| if u % 2 == 0 { "so" } else { "xa" }.to_string())
        .collect();
    let rows = index::compute_with_threads(&q, &d, Settings::default(), 1);
    let (flags, ranks) = (Default::default(), chiso::ranks::RankSettings::default());
    let one = chiso::ranks::compute_with_threads(&q, &d, &rows, &flags, &ranks, 1);
    assert!(
        one.iter().any(|r| r.rank_lower != r.rank_upper),
        "intervals simulated"
    );
    assert!(one.iter().any(|r| r.unit_group == "xa"));
    for threads in [2, 3, 8] {
        let many = chiso::ranks::compute_with_threads(&q, &d, &rows, &flags, &ranks, threads);
        assert_eq!(one, many, "{threads} threads");
    }
}

#[test]
fn weights_that_differ_within_a_unit_and_stratum_are_honoured() {
    // Calibrated weights vary inside a stratum; the kernel splits such respondents into cells
    // of one weight. Compare the overall index for ALL and for one unit with the reference.
    let q = questionnaire();
    let d = data(900, 5);
    let weights: Vec<f64> = (0..d.len())
        .map(|i| 1.0 + (i % 3) as f64 * 0.75 + d.stratum_of[i] as f64)
        .collect();
    let got = compute_kernel(
        &q,
        &KernelColumns::new(&q, &d, &weights),
        LonelyPsu::default(),
        2,
    );
    let sample = StratifiedSample::new(d.stratum_of.clone(), weights, d.population.clone());
    let col = |k: usize, f: &dyn Fn(u8) -> f64| -> Vec<f64> {
        d.answers[k]
            .iter()
            .map(|&a| if a == NO_ANSWER { 0.0 } else { f(a) })
            .collect()
    };
    let sat: Vec<Vec<f64>> = (0..6)
        .map(|k| col(k, &|a| f64::from(u8::from(a >= 4))))
        .collect();
    let answered: Vec<Vec<f64>> = (0..6).map(|k| col(k, &|_| 1.0)).collect();
    // Overall = (2·(Q1 + 2·Q2 + Q3)/4 + mean(Q4, Q5) + Q6) / 4.
    let coef = [
        1.0 / 8.0,
        2.0 / 8.0,
        1.0 / 8.0,
        1.0 / 8.0,
        1.0 / 8.0,
        1.0 / 4.0,
    ];
    let terms: Vec<RatioTerm<'_>> = (0..6)
        .map(|k| RatioTerm {
            numerator: &sat[k],
            denominator: &answered[k],
            coefficient: 100.0 * coef[k],
        })
        .collect();
    // Rows per domain: 10 indicators × 3 measures; overall satisfied is the 28th (index 27).
    let per_domain = 30;
    for (d_index, rows) in [
        (0, (0..d.len()).collect::<Vec<_>>()),
        (
            2,
            (0..d.len())
                .filter(|&i| d.unit_of[i] == 1)
                .collect::<Vec<_>>(),
        ),
    ] {
        let want = sample.ratio_combination(&terms, &rows);
        let e = got[d_index * per_domain + 27];
        assert!((e.estimate - want.estimate).abs() < 1e-12 * want.estimate);
        assert!((e.std_error - want.std_error).abs() < 1e-12 * want.std_error);
        assert_eq!((e.n, e.df), (want.n, want.df));
    }
}

#[test]
fn an_odd_number_of_items_is_counted_like_an_even_one() {
    // The kernel counts answers two items at a time; the last of an odd number alone.
    let q = Questionnaire::from_spec(
        toml::from_str(
            r#"
name = "odd"
[scale]
min = 1
max = 4
satisfied = [3, 4]
dissatisfied = [1]
[[element]]
code = "A"
name = "a"
items = ["Q1", "Q2", "Q3"]
[[element]]
code = "B"
name = "b"
items = ["Q4", "Q5"]
"#,
        )
        .unwrap(),
        "odd.toml",
    )
    .unwrap();
    let mut g = Lcg(99);
    let n = 400;
    let stratum_of: Vec<u32> = (0..n).map(|_| g.below(3) as u32).collect();
    let unit_of: Vec<u32> = stratum_of.iter().map(|&h| h % 2).collect();
    let answers: Vec<Vec<u8>> = (0..5)
        .map(|_| {
            (0..n)
                .map(|_| match g.below(9) {
                    0 => NO_ANSWER,
                    v => (1 + v % 4) as u8,
                })
                .collect()
        })
        .collect();
    let population = vec![900.0, 500.0, 2000.0];
    let d = ResponseData {
        strata: vec!["A".into(), "B".into(), "C".into()],
        weight: chiso::weights::stratum_weights(&stratum_of, &population),
        population,
        stratum_of,
        units: vec!["U0".into(), "U1".into()],
        unit_of,
        answers,
        ..ResponseData::default()
    };
    let fast = index::compute_with_threads(&q, &d, Settings::default(), 2);
    let slow = index::compute_reference(&q, &d, Settings::default());
    assert_eq!(fast.len(), 3 * (5 + 2 + 1) * 3);
    for (a, b) in fast.iter().zip(&slow) {
        assert_eq!((a.n, a.df), (b.n, b.df), "{a:?}");
        assert!(close(a.estimate, b.estimate), "{a:?} vs {b:?}");
        assert!(close(a.std_error, b.std_error), "{a:?} vs {b:?}");
    }
}

/// The calibration groups of [`data`]'s respondents: post-strata that cut across strata and
/// units, or two raking margins (one of three categories, one of two that follows the units
/// in part), with weights that vary by stratum and group as calibrated weights do.
fn calibrated(mut d: ResponseData, raking: bool, seed: u64) -> ResponseData {
    let mut g = Lcg(seed);
    let n = d.len();
    let first: Vec<u32> = (0..n).map(|_| g.below(3) as u32).collect();
    let second: Vec<u32> = (0..n)
        .map(|i| u32::from(d.unit_of[i].is_multiple_of(3) || g.below(5) == 0))
        .collect();
    let factor = [0.8, 1.1, 1.35];
    d.weight = (0..n)
        .map(|i| {
            let f = factor[first[i] as usize]
                * if raking {
                    0.9 + 0.3 * f64::from(second[i])
                } else {
                    1.0
                };
            d.weight[i] * f
        })
        .collect();
    d.calibration = Some(if raking {
        CalibrationGroups::Raking(vec![first, second])
    } else {
        CalibrationGroups::PostStrata(first)
    });
    d
}

fn assert_rows_agree(fast: &[index::IndexRow], slow: &[index::IndexRow], what: &str) {
    assert_eq!(fast.len(), slow.len(), "{what}");
    for (a, b) in fast.iter().zip(slow) {
        let what = format!("{what}: {} {} {}", a.domain, a.indicator, a.measure);
        assert_eq!(
            (&a.domain, &a.indicator, a.measure, a.n, a.df, a.se_note),
            (&b.domain, &b.indicator, b.measure, b.n, b.df, b.se_note),
            "{what}: {a:?} vs {b:?}"
        );
        assert!(close(a.estimate, b.estimate), "{what}: {a:?} vs {b:?}");
        // A standard error below 1e-12 of its estimate is 0 up to rounding (the variance of
        // answers that are all alike, where both estimators add up rounding errors).
        let zero = 1e-12 * a.estimate.map_or(1.0, |e| e.abs().max(1.0));
        assert!(
            close(a.std_error, b.std_error)
                || (a.std_error.unwrap_or(0.0) < zero && b.std_error.unwrap_or(0.0) < zero),
            "{what}: {a:?} vs {b:?}"
        );
        assert!(close(a.ci_lower, b.ci_lower), "{what}: {a:?} vs {b:?}");
        assert!(close(a.ci_upper, b.ci_upper), "{what}: {a:?} vs {b:?}");
    }
}

#[test]
fn calibrated_runs_agree_with_the_reference_estimator() {
    let q = questionnaire();
    let rules = [
        LonelyPsu::Adjust,
        LonelyPsu::Average,
        LonelyPsu::Remove,
        LonelyPsu::Certainty,
    ];
    for raking in [false, true] {
        for ((n, seed), rule) in [(600, 1), (2000, 7), (37, 3)]
            .into_iter()
            .flat_map(|c| rules.map(|r| (c, r)))
        {
            let d = calibrated(data(n, seed), raking, seed + 100);
            let settings = Settings {
                lonely_psu: rule,
                ..Settings::default()
            };
            let fast = index::compute_with_threads(&q, &d, settings, 1);
            let slow = index::compute_reference(&q, &d, settings);
            assert_eq!(fast.len(), 8 * (6 + 3 + 1) * 3);
            assert_rows_agree(&fast, &slow, &format!("n = {n}, raking {raking}, {rule:?}"));
            // The calibration changes the standard errors (the weights taken as fixed give
            // others).
            let fixed = ResponseData {
                calibration: None,
                ..d.clone()
            };
            let plain = index::compute_with_threads(&q, &fixed, settings, 1);
            assert!(
                fast.iter()
                    .zip(&plain)
                    .any(|(a, b)| !close(a.std_error, b.std_error)),
                "n = {n}"
            );
        }
    }
}

#[test]
fn calibrated_results_are_bit_identical_for_any_number_of_threads() {
    let q = questionnaire();
    for raking in [false, true] {
        let d = calibrated(data(3000, 13), raking, 5);
        let one = index::compute_with_threads(&q, &d, Settings::default(), 1);
        for threads in [2, 5] {
            let many = index::compute_with_threads(&q, &d, Settings::default(), threads);
            for (a, b) in one.iter().zip(&many) {
                let bits = |r: &index::IndexRow| {
                    [r.estimate, r.std_error, r.ci_lower, r.ci_upper].map(|v| v.map(f64::to_bits))
                };
                assert_eq!(bits(a), bits(b), "{threads} threads: {a:?}");
            }
        }
    }
}

/// Random calibrated designs: strata (some taken whole, some of one respondent) crossed with
/// units, post-strata or raking margins crossed with both, random weights, answers and rules.
fn random_design(
    n: usize,
    strata: usize,
    units: usize,
    margins: &[usize],
    raking: bool,
    seed: u64,
) -> ResponseData {
    let mut g = Lcg(seed);
    let mut stratum_of: Vec<u32> = (0..n).map(|_| g.below(strata as u64) as u32).collect();
    // A stratum of one respondent when there is room for it.
    if strata > 1 {
        for h in stratum_of.iter_mut().filter(|h| **h == strata as u32 - 1) {
            *h = 0;
        }
        stratum_of[n - 1] = strata as u32 - 1;
    }
    let unit_of: Vec<u32> = (0..n).map(|_| g.below(units as u64) as u32).collect();
    let mut m = vec![0.0f64; strata];
    for &h in &stratum_of {
        m[h as usize] += 1.0;
    }
    let population: Vec<f64> = m
        .iter()
        .enumerate()
        .map(|(h, &m)| {
            if h == 1 {
                m
            } else {
                m * (1.5 + g.below(40) as f64)
            }
        })
        .collect();
    let groups: Vec<Vec<u32>> = margins
        .iter()
        .map(|&c| (0..n).map(|_| g.below(c as u64) as u32).collect())
        .collect();
    let answers: Vec<Vec<u8>> = (0..6)
        .map(|_| {
            (0..n)
                .map(|_| match g.below(12) {
                    0 => NO_ANSWER,
                    v => (1 + v % 5) as u8,
                })
                .collect()
        })
        .collect();
    let weight = (0..n)
        .map(|i| {
            population[stratum_of[i] as usize] / m[stratum_of[i] as usize]
                * (0.5 + g.below(100) as f64 / 50.0)
        })
        .collect();
    ResponseData {
        strata: (0..strata).map(|h| format!("S{h}")).collect(),
        population,
        stratum_of,
        units: (0..units).map(|u| format!("U{u}")).collect(),
        unit_of,
        answers,
        weight,
        calibration: Some(if raking {
            CalibrationGroups::Raking(groups)
        } else {
            CalibrationGroups::PostStrata(groups[0].clone())
        }),
        ..ResponseData::default()
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    #[test]
    fn calibrated_kernel_agrees_with_the_reference_on_random_designs(
        n in 30usize..400,
        strata in 1usize..6,
        units in 1usize..6,
        margins in proptest::collection::vec(1usize..5, 1..4),
        raking in proptest::bool::ANY,
        rule in 0usize..4,
        seed in 0u64..1_000_000,
    ) {
        let q = questionnaire();
        let d = random_design(n, strata, units, &margins, raking, seed);
        let rule = [
            LonelyPsu::Adjust,
            LonelyPsu::Average,
            LonelyPsu::Remove,
            LonelyPsu::Certainty,
        ][rule];
        let settings = Settings {
            lonely_psu: rule,
            ..Settings::default()
        };
        let fast = index::compute_with_threads(&q, &d, settings, 2);
        let slow = index::compute_reference(&q, &d, settings);
        assert_rows_agree(&fast, &slow, &format!("{rule:?}"));
    }
}
