//! Calibrated weights against R's `survey` (`postStratify`, `rake`): fixtures made by
//! `oracle/make-calibration-fixtures.R`.

use std::collections::BTreeMap;

use chiso::questionnaire::Questionnaire;
use chiso::responses::{Link, ReadOptions};
use chiso::weights::{Calibration, Margins, WeightSummary};

use crate::util::*;

/// Relative agreement required with R.
const TOLERANCE: f64 = 1e-9;

fn rel(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

/// `stratum,population` from the oracle responses.
fn populations(dir: &Dir) -> std::path::PathBuf {
    let mut pop = BTreeMap::new();
    for r in csv::Reader::from_path(format!("{ORACLE_FIXTURES}/responses.csv"))
        .unwrap()
        .records()
    {
        let r = r.unwrap();
        pop.insert(r[0].to_string(), r[1].to_string());
    }
    let text: String = std::iter::once("stratum,population\n".to_string())
        .chain(pop.iter().map(|(k, v)| format!("{k},{v}\n")))
        .collect();
    dir.write("population.csv", &text)
}

fn margins_file(method: &str) -> String {
    match method {
        "poststratify" => format!("{ORACLE_FIXTURES}/calibration-margins-channel.csv"),
        _ => format!("{ORACLE_FIXTURES}/calibration-margins-rake.csv"),
    }
}

#[test]
fn calibrated_weights_agree_with_r() {
    let dir = Dir::new();
    let q_path = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let q = Questionnaire::load(&q_path).unwrap();
    let pop = populations(&dir);
    let want: Vec<csv::StringRecord> =
        csv::Reader::from_path(format!("{ORACLE_FIXTURES}/calibration-weights.csv"))
            .unwrap()
            .records()
            .map(|r| r.unwrap())
            .collect();
    for (column, method) in [(2, Calibration::PostStratify), (3, Calibration::Rake)] {
        let margins = Margins::load(std::path::Path::new(&margins_file(method.as_str()))).unwrap();
        let data = chiso::responses::read_with(
            std::path::Path::new(&format!("{ORACLE_FIXTURES}/calibration-responses.csv")),
            None,
            &q,
            &Link::Population(&pop),
            &ReadOptions {
                invalid_as_missing: false,
                auxiliary: margins.columns(),
                ..ReadOptions::default()
            },
        )
        .unwrap();
        let calibrated = chiso::weights::calibrate(data.respondents(), &margins, method).unwrap();
        let report = calibrated.report.clone();
        let data = data.calibrated(calibrated);
        assert_eq!(data.len(), want.len());
        for (i, w) in data.weights().iter().enumerate() {
            let r = &want[i];
            assert_eq!(r[0].parse::<u64>().unwrap(), data.rows[i]);
            let expected: f64 = r[column].parse().unwrap();
            assert!(
                rel(*w, expected) < TOLERANCE,
                "{method:?} row {}: {w} vs R {expected}",
                data.rows[i]
            );
        }
        assert!(report.max_relative_gap < chiso::weights::RAKE_TOLERANCE);
        // The weights add up to the population (3015) whatever the method.
        let s = WeightSummary::of(&data.weights()).unwrap();
        assert!(rel(s.sum, 3015.0) < 1e-12, "{s:?}");
    }
}

#[test]
fn calibrated_estimates_and_standard_errors_agree_with_r() {
    let dir = Dir::new();
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let pop = populations(&dir);
    let expected: Vec<csv::StringRecord> =
        csv::Reader::from_path(format!("{ORACLE_FIXTURES}/calibration-expected.csv"))
            .unwrap()
            .records()
            .map(|r| r.unwrap())
            .collect();
    for method in ["poststratify", "rake"] {
        let out = dir.path(method);
        let o = chiso(&[
            "index",
            "--responses",
            &format!("{ORACLE_FIXTURES}/calibration-responses.csv"),
            "--questionnaire",
            p(&q),
            "--population",
            p(&pop),
            "--margins",
            &margins_file(method),
            "--calibrate",
            method,
            "--out",
            p(&out),
        ]);
        let (_, err) = text(&o);
        assert!(o.status.success(), "{err}");
        assert!(
            err.contains(&format!("weights calibrated ({method})"))
                && err.contains("design effect of weighting"),
            "{err}"
        );
        let ours: Vec<csv::StringRecord> = csv::Reader::from_path(out.join("indices.csv"))
            .unwrap()
            .records()
            .map(|r| r.unwrap())
            .collect();
        let (mut checked, mut largest_gap) = (0, 0.0f64);
        for want in expected.iter().filter(|w| &w[0] == method) {
            let got = ours
                .iter()
                .find(|g| g[0] == want[1] && g[1] == want[2] && g[2] == want[3])
                .unwrap_or_else(|| panic!("no row for {want:?}"));
            let num = |s: &str| s.parse::<f64>().unwrap();
            assert!(
                rel(num(&got[3]), num(&want[4])) < TOLERANCE,
                "estimate {got:?} vs {want:?}"
            );
            // The SE accounts for the calibration as R's does.
            assert!(
                rel(num(&got[4]), num(&want[5])) < TOLERANCE,
                "SE {got:?} vs {want:?}"
            );
            let (ours, fixed) = (num(&got[4]), num(&want[6]));
            if ours > 0.0 {
                largest_gap = largest_gap.max((ours - fixed).abs() / ours);
            }
            checked += 1;
        }
        assert_eq!(checked, 36);
        // Taking the calibrated weights as fixed would give other standard errors.
        assert!(largest_gap > 1e-3, "{method}: {largest_gap}");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("indices.json")).unwrap())
                .unwrap();
        assert_eq!(json["calibration"]["method"], method);
        let s = &json["weight_summary"];
        assert_eq!(s["n"], 232);
        assert!(rel(s["sum"].as_f64().unwrap(), 3015.0) < 1e-12);
        let deff = s["deff_weighting"].as_f64().unwrap();
        let cv = s["cv"].as_f64().unwrap();
        assert!(rel(deff, 1.0 + cv * cv) < 1e-12 && deff > 1.0);
    }
}

#[test]
fn calibration_errors_name_the_file_row_and_value() {
    let dir = Dir::new();
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let pop = populations(&dir);
    let run = |margins: &str, method: &str| {
        let m = dir.write("margins.csv", margins);
        chiso(&[
            "index",
            "--responses",
            &format!("{ORACLE_FIXTURES}/calibration-responses.csv"),
            "--questionnaire",
            p(&q),
            "--population",
            p(&pop),
            "--margins",
            p(&m),
            "--calibrate",
            method,
            "--out",
            p(&dir.path("out")),
        ])
    };
    // A channel nobody used.
    let o = run(
        "variable,category,population\nchannel,direct,1400\nchannel,online,1300\n\
         channel,postal,300\nchannel,fax,15\n",
        "poststratify",
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("margins.csv: row 5, column `category`") && err.contains("no respondent"),
        "{err}"
    );
    // A respondent's channel not listed.
    let o = run(
        "variable,category,population\nchannel,direct,1400\nchannel,online,1615\n",
        "poststratify",
    );
    let (_, err) = text(&o);
    assert!(
        err.contains("\"postal\"") && err.contains("row 2 of the responses"),
        "{err}"
    );
    // A column that does not exist.
    let o = run("variable,category,population\nfield,land,3015\n", "rake");
    let (_, err) = text(&o);
    assert!(err.contains("`field`"), "{err}");
    // An unknown method.
    let o = run(
        "variable,category,population\nchannel,direct,3015\n",
        "raking",
    );
    assert!(text(&o).1.contains("expected poststratify or rake"));
    assert!(!dir.path("out").exists(), "no partial output");
}

#[test]
fn wilson_intervals_end_to_end() {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let dir = Dir::new();
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let pop = populations(&dir);
    let out = dir.path("out");
    let o = chiso(&[
        "index",
        "--responses",
        &format!("{ORACLE_FIXTURES}/calibration-responses.csv"),
        "--questionnaire",
        p(&q),
        "--population",
        p(&pop),
        "--ci",
        "wilson",
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let mut checked = 0;
    for r in csv::Reader::from_path(out.join("indices.csv"))
        .unwrap()
        .records()
    {
        let r = r.unwrap();
        if &r[2] == "mean_score" {
            assert_eq!(&r[7], "wald");
            continue;
        }
        assert_eq!(&r[7], "wilson");
        let num = |i: usize| r[i].parse::<f64>().unwrap() / 100.0;
        let (pr, se, df) = (num(3), num(4), r[9].parse::<f64>().unwrap());
        if !(pr > 0.0 && pr < 1.0 && se > 0.0 && df >= 1.0) {
            continue;
        }
        // The Wilson score interval at n_eff = p(1 − p)/se², with t on the design df.
        let t = StudentsT::new(0.0, 1.0, df).unwrap().inverse_cdf(0.975);
        let n = pr * (1.0 - pr) / (se * se);
        let centre = (pr + t * t / (2.0 * n)) / (1.0 + t * t / n);
        let half = t / (1.0 + t * t / n) * (pr * (1.0 - pr) / n + t * t / (4.0 * n * n)).sqrt();
        assert!(
            rel(num(5), centre - half) < 1e-9 && rel(num(6), centre + half) < 1e-9,
            "{r:?}"
        );
        assert!(num(5) > 0.0 && num(6) < 1.0);
        checked += 1;
    }
    assert!(checked > 80, "{checked}");
    let o = chiso(&[
        "index",
        "--responses",
        "r.csv",
        "--questionnaire",
        "q.toml",
        "--population",
        "p.csv",
        "--out",
        "o",
        "--ci",
        "score",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("expected logit, beta, wilson or wald"));
}

#[test]
fn a_margin_variable_can_come_from_the_sample() {
    // records(3): units of 5, 8 and 11 applicants, 3 officials each. The responses carry only
    // applicant_id; `unit_code` is read from sample.csv. Post-stratified to 10, 8 and 11:
    // weights 10/3, 8/3, 11/3 (sum 29) instead of 5/3, 8/3, 11/3.
    let dir = Dir::new();
    dir.write("records.csv", &records(3));
    let o = sample_cli(&dir, "records.csv", DESIGN, "s", "sample", &[]);
    assert!(o.status.success());
    let mut resp = String::from("applicant_id,Q01,Q02,Q03,Q04,Q05,Q06\n");
    for r in csv::Reader::from_path(dir.path("sample/sample.csv"))
        .unwrap()
        .records()
    {
        let r = r.unwrap();
        if &r[1] == "official" {
            resp.push_str(&format!("{},4,4,4,2,2,2\n", &r[3]));
        }
    }
    let (r, q, m) = (
        dir.write("r.csv", &resp),
        dir.write("q.toml", ORACLE_QUESTIONNAIRE),
        dir.write(
            "m.csv",
            "variable,category,population\nunit_code,U00,10\nunit_code,U01,8\nunit_code,U02,11\n",
        ),
    );
    let out = dir.path("out");
    let o = chiso(&[
        "index",
        "--responses",
        p(&r),
        "--questionnaire",
        p(&q),
        "--sample",
        p(&dir.path("sample")),
        "--margins",
        p(&m),
        "--calibrate",
        "poststratify",
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("indices.json")).unwrap()).unwrap();
    let s = &json["weight_summary"];
    assert!(rel(s["sum"].as_f64().unwrap(), 29.0) < 1e-12, "{s}");
    assert!(rel(s["min"].as_f64().unwrap(), 8.0 / 3.0) < 1e-12, "{s}");
    assert!(rel(s["max"].as_f64().unwrap(), 11.0 / 3.0) < 1e-12, "{s}");
    assert!(
        json["weights"]
            .as_str()
            .unwrap()
            .contains("calibrated (poststratify) to unit_code"),
        "{json}"
    );
}
