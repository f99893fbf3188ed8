//! Estimates and standard errors against R's `survey` package (fixtures made by
//! `oracle/make-fixtures.R`; see `tests/fixtures/oracle/README.md`).

use std::collections::BTreeMap;

use chiso::estimate::{RatioTerm, StratifiedSample};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oracle");
const ITEMS: [&str; 6] = ["Q01", "Q02", "Q03", "Q04", "Q05", "Q06"];
/// Relative agreement required with R.
const TOLERANCE: f64 = 1e-9;

struct Data {
    sample: StratifiedSample,
    strata: Vec<String>,
    stratum_of: Vec<usize>,
    /// Per item: (satisfied, dissatisfied, score, answered) per respondent.
    columns: Vec<[Vec<f64>; 4]>,
}

fn load() -> Data {
    let mut rdr = csv::Reader::from_path(format!("{DIR}/responses.csv")).unwrap();
    let mut strata: Vec<String> = Vec::new();
    let mut population: Vec<f64> = Vec::new();
    let mut stratum_of = Vec::new();
    let mut answers: Vec<Vec<Option<u8>>> = Vec::new();
    for r in rdr.records() {
        let r = r.unwrap();
        let h = match strata.iter().position(|s| s == &r[0]) {
            Some(h) => h,
            None => {
                strata.push(r[0].to_string());
                population.push(r[1].parse().unwrap());
                strata.len() - 1
            }
        };
        stratum_of.push(h);
        answers.push(
            (3..9)
                .map(|c| match &r[c] {
                    "" | "9" => None,
                    v => Some(v.parse().unwrap()),
                })
                .collect(),
        );
    }
    let mut m = vec![0.0; strata.len()];
    for &h in &stratum_of {
        m[h] += 1.0;
    }
    let weights = stratum_of.iter().map(|&h| population[h] / m[h]).collect();
    let columns = (0..ITEMS.len())
        .map(|k| {
            let col = |f: &dyn Fn(u8) -> f64| -> Vec<f64> {
                answers.iter().map(|a| a[k].map_or(0.0, f)).collect()
            };
            [
                col(&|v| f64::from(u8::from(v >= 4))),
                col(&|v| f64::from(u8::from(v <= 2))),
                col(&|v| f64::from(v)),
                col(&|_| 1.0),
            ]
        })
        .collect();
    Data {
        sample: StratifiedSample::new(
            stratum_of.iter().map(|&h| h as u32).collect(),
            weights,
            population,
        ),
        strata,
        stratum_of,
        columns,
    }
}

fn close(got: f64, want: f64) -> bool {
    if want == 0.0 {
        got.abs() < 1e-12
    } else {
        ((got - want) / want).abs() < TOLERANCE
    }
}

#[test]
fn estimates_and_standard_errors_agree_with_r_survey() {
    let d = load();
    // (domain, indicator, measure) -> (estimate, std_error) from the rows R computed.
    let mut want: BTreeMap<(String, String, String), (f64, f64)> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(format!("{DIR}/expected.csv")).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        if r[6].is_empty() || &r[6] == "wald" {
            want.insert(
                (r[0].to_string(), r[1].to_string(), r[2].to_string()),
                (r[3].parse().unwrap(), r[4].parse().unwrap()),
            );
        }
    }
    assert!(want.len() > 100, "the fixtures are read: {}", want.len());
    let mut checked = 0;
    for ((domain, indicator, measure), (est, se)) in &want {
        let (m, scale) = match measure.as_str() {
            "satisfied_pct" => (0, 100.0),
            "dissatisfied_pct" => (1, 100.0),
            "mean_score" => (2, 1.0),
            other => panic!("unknown measure {other}"),
        };
        let items: Vec<(usize, f64)> = match indicator.as_str() {
            "overall" => (0..6).map(|k| (k, 1.0 / 6.0)).collect(),
            "element:E1" => (0..3).map(|k| (k, 1.0 / 3.0)).collect(),
            "element:E2" => (3..6).map(|k| (k, 1.0 / 3.0)).collect(),
            item => vec![(
                ITEMS
                    .iter()
                    .position(|q| item == format!("item:{q}"))
                    .unwrap(),
                1.0,
            )],
        };
        let terms: Vec<RatioTerm<'_>> = items
            .iter()
            .map(|&(k, c)| RatioTerm {
                numerator: &d.columns[k][m],
                denominator: &d.columns[k][3],
                coefficient: c * scale,
            })
            .collect();
        let rows: Vec<usize> = if domain == "ALL" {
            (0..d.sample.len()).collect()
        } else {
            let h = d.strata.iter().position(|s| s == domain).unwrap();
            (0..d.sample.len())
                .filter(|&i| d.stratum_of[i] == h)
                .collect()
        };
        let e = d.sample.ratio_combination(&terms, &rows);
        assert!(
            close(e.estimate, *est),
            "{domain} {indicator} {measure}: estimate {} vs R {est}",
            e.estimate
        );
        assert!(
            close(e.std_error, *se),
            "{domain} {indicator} {measure}: se {} vs R {se}",
            e.std_error
        );
        checked += 1;
    }
    // 6 domains × (6 items + 2 elements + overall) × 3 measures.
    assert_eq!(checked, 6 * 9 * 3);
}

#[test]
fn intervals_agree_with_r_svyciprop() {
    use chiso::ci::{Method, proportion};
    let mut rdr = csv::Reader::from_path(format!("{DIR}/expected.csv")).unwrap();
    let mut checked = 0;
    for r in rdr.records() {
        let r = r.unwrap();
        // logit is checked against R's exact xlogit rows (R's own logit stops at 1e-8).
        let method = match &r[6] {
            "wald" => Method::Wald,
            "xlogit" => Method::Logit,
            "beta" => Method::Beta,
            _ => continue,
        };
        if r[7].is_empty() || r[8].is_empty() {
            continue; // R gives no interval (p̂ = 0 or 1): chiso's own rule, tested in src/ci.rs
        }
        let num = |c: usize| r[c].parse::<f64>().unwrap();
        let (p, se, df) = (num(3) / 100.0, num(4) / 100.0, num(5));
        if se == 0.0 && method == Method::Beta {
            continue; // R's [50, 50] artefact for a census stratum
        }
        // The number of valid answers: df + strata in the domain (one per stratum domain).
        let strata = if &r[0] == "ALL" { 5.0 } else { 1.0 };
        let n = df + strata;
        let i = proportion(p, se, df, n, 0.95, method).unwrap();
        for (got, want) in [(i.lower * 100.0, num(7)), (i.upper * 100.0, num(8))] {
            assert!(
                close(got, want),
                "{} {} {} {}: {got} vs R {want}",
                &r[0],
                &r[1],
                &r[2],
                &r[6]
            );
        }
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
}
