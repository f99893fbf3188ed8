//! Estimates and standard errors against R's `survey` package (fixtures made by
//! `oracle/make-fixtures.R`; see `tests/fixtures/oracle/README.md`).

use std::collections::BTreeMap;

use chiso::estimate::{Precision, RatioTerm, StratifiedSample};

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
        let i = proportion(p, se, df, n, 0.95, method, Precision::Estimated).unwrap();
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

/// The edges of the variance against R (fixtures made by `oracle/make-edge-fixtures.R`):
/// every lonely-PSU rule, strata taken whole, a unit of one respondent and a unit where
/// every answer is satisfied, with fixed and with post-stratified weights, through the
/// published rows (`index::compute`, kernel and reference).
mod edges {
    use std::collections::BTreeMap;

    use chiso::estimate::{CalibrationGroups, LonelyPsu};
    use chiso::index::{self, Settings};
    use chiso::questionnaire::Questionnaire;
    use chiso::responses::{NO_ANSWER, NO_OFFICER, ResponseData};
    use chiso::{IndexRow, IntervalMethod};

    use super::{DIR, close};

    pub(super) const QUESTIONNAIRE: &str = r#"
name = "edges"
[scale]
min = 1
max = 5
satisfied = [4, 5]
dissatisfied = [1, 2]
missing = [9]
[[element]]
code = "E1"
name = "one"
items = ["Q01", "Q02"]
weight = 0.1
item_weights = [0.1, 0.9]
[[element]]
code = "E2"
name = "two"
items = ["Q03", "Q04"]
weight = 0.9
item_weights = [0.2, 0.8]
"#;

    fn questionnaire() -> Questionnaire {
        Questionnaire::from_spec(toml::from_str(QUESTIONNAIRE).unwrap(), "q.toml").unwrap()
    }

    /// The fixture's responses, weighted `N_h/m_h` (`fixed`) or post-stratified on channel.
    fn data(design: &str) -> ResponseData {
        let mut rdr = csv::Reader::from_path(format!("{DIR}/edges-responses.csv")).unwrap();
        let mut d = ResponseData {
            answers: vec![Vec::new(); 4],
            ..ResponseData::default()
        };
        let mut channels: Vec<String> = Vec::new();
        let mut channel_of = Vec::new();
        let mut unit_codes: Vec<String> = Vec::new();
        let mut unit_of_code = Vec::new();
        for (i, r) in rdr.records().enumerate() {
            let r = r.unwrap();
            let h = match d.strata.iter().position(|s| s == &r[1]) {
                Some(h) => h,
                None => {
                    d.strata.push(r[1].to_string());
                    d.population.push(r[2].parse().unwrap());
                    d.strata.len() - 1
                }
            };
            d.stratum_of.push(h as u32);
            if !unit_codes.iter().any(|u| u == &r[0]) {
                unit_codes.push(r[0].to_string());
            }
            unit_of_code.push(r[0].to_string());
            let c = match channels.iter().position(|c| c == &r[3]) {
                Some(c) => c,
                None => {
                    channels.push(r[3].to_string());
                    channels.len() - 1
                }
            };
            channel_of.push(c as u32);
            let w = if design == "fixed" { &r[4] } else { &r[5] };
            d.weight.push(w.parse().unwrap());
            for k in 0..4 {
                d.answers[k].push(r[6 + k].parse().unwrap_or(NO_ANSWER));
            }
            d.rows.push(i as u64 + 2);
            d.officer_of.push(NO_OFFICER);
        }
        unit_codes.sort();
        d.unit_of = unit_of_code
            .iter()
            .map(|u| unit_codes.iter().position(|c| c == u).unwrap() as u32)
            .collect();
        d.units = unit_codes;
        if design == "poststratify" {
            d.calibration = Some(CalibrationGroups::PostStrata(channel_of));
        }
        d
    }

    /// R's (estimate, standard error) by design, rule, domain, indicator and measure; the
    /// standard error `None` where R has none (NaN).
    fn expected() -> BTreeMap<[String; 5], (f64, Option<f64>)> {
        let mut rdr = csv::Reader::from_path(format!("{DIR}/edges-expected.csv")).unwrap();
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                let key = [0, 1, 2, 3, 4].map(|c| r[c].to_string());
                (key, (r[5].parse().unwrap(), r[6].parse().ok()))
            })
            .collect()
    }

    fn rows(design: &str, rule: LonelyPsu, reference: bool) -> Vec<IndexRow> {
        let (q, d) = (questionnaire(), data(design));
        let settings = Settings::new(IntervalMethod::Logit, 0.95, rule).unwrap();
        if reference {
            index::compute_reference(&q, &d, settings)
        } else {
            index::compute_with_threads(&q, &d, settings, 2)
        }
    }

    #[test]
    fn every_lonely_psu_rule_agrees_with_r() {
        let want = expected();
        let mut checked = 0;
        for design in ["fixed", "poststratify"] {
            for rule in [
                LonelyPsu::Remove,
                LonelyPsu::Certainty,
                LonelyPsu::Adjust,
                LonelyPsu::Average,
            ] {
                for reference in [false, true] {
                    for row in rows(design, rule, reference) {
                        let key = [
                            design.to_string(),
                            rule.as_str().to_string(),
                            row.domain.clone(),
                            row.indicator.clone(),
                            row.measure.to_string(),
                        ];
                        let &(est, se) = want.get(&key).unwrap_or_else(|| panic!("{key:?}"));
                        let what = format!("{key:?} (reference {reference}): {row:?}");
                        assert!(close(row.estimate.unwrap(), est), "{what}: R {est}");
                        match (row.std_error, se) {
                            (Some(got), Some(r)) => assert!(close(got, r), "{what}: R {r}"),
                            // Not estimable where R gives 0 (no information) or NaN.
                            (None, r) => {
                                assert!(row.se_note.starts_with("not estimable"), "{what}");
                                assert!(r.is_none_or(|r| r == 0.0), "{what}: R {r:?}");
                            }
                            (Some(_), None) => panic!("{what}: R has no standard error"),
                        }
                        checked += 1;
                    }
                }
            }
        }
        // 2 designs × 4 rules × 2 estimators × 6 domains × 7 indicators × 3 measures.
        assert_eq!(checked, 2 * 4 * 2 * 6 * 7 * 3);
    }

    fn find<'a>(rows: &'a [IndexRow], domain: &str, indicator: &str) -> &'a IndexRow {
        rows.iter()
            .find(|r| {
                r.domain == domain && r.indicator == indicator && r.measure == "satisfied_pct"
            })
            .unwrap()
    }

    #[test]
    fn the_edges_are_published_as_documented() {
        let fixed = rows("fixed", LonelyPsu::Adjust, false);
        // U4: every answer satisfied; the weighted combination is 100.00000000000003 in R and
        // here before rounding noise is removed: published 100, with Clopper–Pearson's
        // interval on its answers (not "certainly 100%").
        let u4 = find(&fixed, "U4", "overall");
        assert_eq!(u4.estimate, Some(100.0));
        assert_eq!((u4.std_error, u4.se_note), (Some(0.0), ""));
        assert!(
            u4.ci_lower.unwrap() < 90.0 && u4.ci_upper == Some(100.0),
            "{u4:?}"
        );
        // U2: every stratum taken whole: standard error 0, interval [p̂, p̂], at 100% too.
        for indicator in ["overall", "item:Q01"] {
            let u2 = find(&fixed, "U2", indicator);
            assert_eq!(
                (u2.std_error, u2.se_note),
                (Some(0.0), "taken whole"),
                "{u2:?}"
            );
            assert_eq!((u2.ci_lower, u2.ci_upper), (u2.estimate, u2.estimate));
        }
        assert_eq!(find(&fixed, "U2", "item:Q01").estimate, Some(100.0));
        // U3: one respondent: estimate, but no standard error and no interval, and no rank.
        for rule in [LonelyPsu::Adjust, LonelyPsu::Remove, LonelyPsu::Average] {
            let u3 = find(&rows("fixed", rule, false), "U3", "overall").clone();
            assert!(u3.estimate.is_some() && u3.std_error.is_none(), "{u3:?}");
            assert_eq!(u3.se_note, "not estimable: no degrees of freedom");
            assert_eq!((u3.ci_lower, u3.ci_upper), (None, None));
        }
        // The lonely stratum U1-b: adjust widens U1's and the province's intervals, remove
        // does not.
        let removed = rows("fixed", LonelyPsu::Remove, false);
        for domain in ["U1", "ALL"] {
            let (a, r) = (
                find(&fixed, domain, "overall"),
                find(&removed, domain, "overall"),
            );
            assert!(a.std_error.unwrap() > r.std_error.unwrap(), "{a:?} {r:?}");
        }
        // Post-stratified, U2 is not taken whole any more: calibration moves its weights.
        let post = rows("poststratify", LonelyPsu::Adjust, false);
        let u2 = find(&post, "U2", "overall");
        assert!(
            u2.std_error.unwrap() > 0.0 && u2.se_note.is_empty(),
            "{u2:?}"
        );
    }
}

/// Reporting domains against R (fixtures made by `oracle/make-domain-fixtures.R`): old
/// communes (the strata) grouped into new ones, some of one old commune, some of several,
/// with fixed and with post-stratified weights, through `chiso index --domains` (the kernel,
/// and the reference estimator on the same responses).
mod domains {
    use std::collections::BTreeMap;

    use chiso::index::{self, IndexRequest, Population, RunInputs, RunOptions};

    use super::{DIR, close};

    fn expected() -> BTreeMap<[String; 4], (f64, f64)> {
        let mut rdr = csv::Reader::from_path(format!("{DIR}/domains-expected.csv")).unwrap();
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                let key = [0, 1, 2, 3].map(|c| r[c].to_string());
                (key, (r[4].parse().unwrap(), r[5].parse().unwrap()))
            })
            .collect()
    }

    #[test]
    fn domains_of_whole_strata_agree_with_r_svyby() {
        let want = expected();
        let tmp = tempfile::tempdir().unwrap();
        let q = tmp.path().join("q.toml");
        std::fs::write(&q, super::edges::QUESTIONNAIRE).unwrap();
        let mut checked = 0;
        for design in ["fixed", "poststratify"] {
            let inputs = RunInputs {
                responses: format!("{DIR}/domains-responses.csv").into(),
                questionnaire: q.clone(),
                population: Population::File(format!("{DIR}/domains-population.csv").into()),
                margins: (design == "poststratify")
                    .then(|| format!("{DIR}/domains-margins.csv").into()),
                units: None,
                domains: Some(format!("{DIR}/domains-map.csv").into()),
                records: None,
            };
            let options = RunOptions {
                calibrate: (design == "poststratify").then(|| "poststratify".to_string()),
                domains: true,
                ..RunOptions::default()
            };
            let req = IndexRequest::new(inputs, &options, tmp.path().join(design)).unwrap();
            let out = index::run(&req).unwrap();
            assert_eq!(out.data.units, ["P1", "P2", "P3", "P4"]);
            assert_eq!(out.data.unit_names[2], "Phường Ba");
            assert_eq!(out.data.strata.len(), 8, "the strata are the old communes");
            let reference = index::compute_reference(&req.questionnaire, &out.data, out.settings);
            for (estimator, rows) in [("run", &out.rows), ("reference", &reference)] {
                assert_eq!(rows.len(), 5 * 7 * 3);
                for row in rows {
                    let key = [
                        design.to_string(),
                        row.domain.clone(),
                        row.indicator.clone(),
                        row.measure.to_string(),
                    ];
                    let &(est, se) = want.get(&key).unwrap_or_else(|| panic!("{key:?}"));
                    let what = format!("{key:?} ({estimator}): {row:?}");
                    assert!(close(row.estimate.unwrap(), est), "{what}: R {est}");
                    assert!(close(row.std_error.unwrap(), se), "{what}: R {se}");
                    checked += 1;
                }
            }
        }
        // 2 designs × 2 estimators × 5 domains × 7 indicators × 3 measures.
        assert_eq!(checked, 2 * 2 * 5 * 7 * 3);
    }
}
