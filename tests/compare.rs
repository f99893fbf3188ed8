//! `chiso compare` end to end: two index runs of the oracle's responses, the second with
//! shifted answers, compared row by row against a computation made here from the two
//! `indices.csv` files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::util::*;

/// `qnorm(0.975)` and `qnorm(0.95)` in R.
const Z95: f64 = 1.959963984540054;
const Z90: f64 = 1.6448536269514722;

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-12 * want.abs().max(1.0)
}

/// The oracle's responses as an online survey (`unit_code` and answers, the populations
/// apart), each row's unit and answers first passed through `change`.
fn survey(
    dir: &Dir,
    name: &str,
    change: impl Fn(&mut String, &mut [String]),
) -> (PathBuf, PathBuf) {
    let mut rdr = csv::Reader::from_path(format!("{ORACLE_FIXTURES}/responses.csv")).unwrap();
    let mut resp = String::from("unit_code,Q01,Q02,Q03,Q04,Q05,Q06\n");
    let mut pop = std::collections::BTreeMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        let mut unit = r[0].to_string();
        let mut answers: Vec<String> = r.iter().skip(3).map(str::to_string).collect();
        change(&mut unit, &mut answers);
        resp.push_str(&format!("{unit},{}\n", answers.join(",")));
        pop.insert(unit, r[1].to_string());
    }
    let popcsv: String = std::iter::once("stratum,population\n".to_string())
        .chain(pop.iter().map(|(k, v)| format!("{k},{v}\n")))
        .collect();
    (
        dir.write(&format!("{name}-responses.csv"), &resp),
        dir.write(&format!("{name}-population.csv"), &popcsv),
    )
}

/// Runs `chiso index` on a survey into `dir/name`, with `extra` options.
fn index(dir: &Dir, name: &str, survey: &(PathBuf, PathBuf), extra: &[&str]) -> PathBuf {
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let out = dir.path(name);
    let mut args = vec![
        "index",
        "--responses",
        p(&survey.0),
        "--questionnaire",
        p(&q),
        "--population",
        p(&survey.1),
        "--out",
        p(&out),
    ];
    args.extend_from_slice(extra);
    let o = chiso(&args);
    assert!(o.status.success(), "{:?}", text(&o));
    out
}

/// The previous year: the oracle's responses as they are.
fn previous(dir: &Dir) -> PathBuf {
    index(dir, "previous", &survey(dir, "previous", |_, _| {}), &[])
}

/// The current year: in unit A every answer to Q01 is 5 (so its share satisfied is 100 with
/// a standard error of 0), in unit B every answer from 1 to 4 is one higher, and unit E is
/// called F.
fn current(dir: &Dir) -> PathBuf {
    let s = survey(dir, "current", |unit, answers| match unit.as_str() {
        "A" if answers[0] != "9" => answers[0] = "5".into(),
        "B" => {
            for a in answers.iter_mut() {
                if let Ok(v @ 1..=4) = a.parse::<u8>() {
                    *a = (v + 1).to_string();
                }
            }
        }
        "E" => *unit = "F".into(),
        _ => {}
    });
    index(dir, "current", &s, &[])
}

type Row = HashMap<String, String>;

fn read_rows(path: &Path) -> Vec<Row> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    rdr.records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn key(r: &Row) -> (String, String, String) {
    (
        r["domain"].clone(),
        r["indicator"].clone(),
        r["measure"].clone(),
    )
}

fn num(r: &Row, column: &str) -> Option<f64> {
    let v = &r[column];
    (!v.is_empty()).then(|| v.parse().unwrap())
}

fn sha256(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// Checks every row of `comparison.csv` in `out` against the two runs' `indices.csv`, at the
/// normal quantile `z`; returns the rows by key.
fn check_against_runs(
    prev: &Path,
    cur: &Path,
    out: &Path,
    z: f64,
) -> HashMap<(String, String, String), Row> {
    let prev_rows: HashMap<_, _> = read_rows(&prev.join("indices.csv"))
        .into_iter()
        .map(|r| (key(&r), r))
        .collect();
    let cur_rows = read_rows(&cur.join("indices.csv"));
    let got = read_rows(&out.join("comparison.csv"));
    let expected: Vec<&Row> = cur_rows
        .iter()
        .filter(|r| prev_rows.contains_key(&key(r)))
        .collect();
    assert_eq!(got.len(), expected.len());
    let mut significant = [0, 0, 0];
    for (g, c) in got.iter().zip(expected) {
        assert_eq!(key(g), key(c), "rows in the current run's order");
        let pr = &prev_rows[&key(c)];
        let (pe, ce) = (num(pr, "estimate"), num(c, "estimate"));
        assert_eq!(num(g, "previous"), pe, "{g:?}");
        assert_eq!(num(g, "current"), ce, "{g:?}");
        let diff = pe.zip(ce).map(|(p, c)| c - p);
        assert_eq!(num(g, "difference"), diff, "{g:?}");
        let se = diff
            .and(num(pr, "std_error").zip(num(c, "std_error")))
            .map(|(a, b)| (a * a + b * b).sqrt());
        assert_eq!(num(g, "std_error"), se, "{g:?}");
        match diff.zip(se) {
            Some((d, s)) => {
                let (lo, hi) = (num(g, "ci_lower").unwrap(), num(g, "ci_upper").unwrap());
                assert!(close(lo, d - z * s) && close(hi, d + z * s), "{g:?}");
                let want = if d - z * s > 0.0 || d + z * s < 0.0 {
                    "true"
                } else {
                    "false"
                };
                assert_eq!(g["significant"], want, "{g:?}");
                significant[(want == "true") as usize] += 1;
            }
            None => {
                assert!(
                    g["ci_lower"].is_empty() && g["ci_upper"].is_empty(),
                    "{g:?}"
                );
                assert_eq!(g["significant"], "", "{g:?}");
                significant[2] += 1;
            }
        }
    }
    // Both kinds of rows occur (unit B's answers moved, C's and D's did not).
    assert!(significant[0] > 0 && significant[1] > 0, "{significant:?}");
    got.into_iter().map(|r| (key(&r), r)).collect()
}

#[test]
fn compare_gives_each_difference_its_interval() {
    let dir = Dir::new();
    let (prev, cur) = (previous(&dir), current(&dir));
    let out = dir.path("out");
    let o = chiso(&[
        "compare",
        "--previous",
        p(&prev),
        "--current",
        p(&cur),
        "--out",
        p(&out),
    ]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}{stderr}");
    assert_eq!(dir.files("out"), ["comparison.csv", "comparison.json"]);
    let header = dir.read("out/comparison.csv");
    assert!(header.starts_with(
        "domain,indicator,measure,previous,current,difference,std_error,ci_lower,ci_upper,\
         significant\n"
    ));

    let rows = check_against_runs(&prev, &cur, &out, Z95);
    // Units A to D and ALL, 6 items, 2 elements and overall, 3 measures each.
    assert_eq!(rows.len(), 5 * 9 * 3);

    // Unit A, Q01: R's estimate and standard error for the previous year (the oracle's
    // expected.csv), 100% with no sampling error in the current one.
    let a = &rows[&("A".into(), "item:Q01".into(), "satisfied_pct".into())];
    let (r_est, r_se) = (54.54545454545454, 6.511_890_411_305_441);
    assert!((num(a, "previous").unwrap() - r_est).abs() < 1e-9, "{a:?}");
    assert_eq!(num(a, "current"), Some(100.0));
    assert!(
        (num(a, "difference").unwrap() - (100.0 - r_est)).abs() < 1e-9,
        "{a:?}"
    );
    assert!((num(a, "std_error").unwrap() - r_se).abs() < 1e-9, "{a:?}");
    assert!((num(a, "ci_lower").unwrap() - (100.0 - r_est - Z95 * r_se)).abs() < 1e-9);
    assert!((num(a, "ci_upper").unwrap() - (100.0 - r_est + Z95 * r_se)).abs() < 1e-9);
    assert_eq!(a["significant"], "true");
    // Unit C did not change: every difference is 0, none significant.
    for ((domain, ..), r) in &rows {
        if domain == "C" {
            assert_eq!(num(r, "difference"), Some(0.0), "{r:?}");
            assert_ne!(r["significant"], "true", "{r:?}");
        }
    }

    // Unit E of the previous year and F of the current one are counted, not compared.
    assert!(
        stdout.contains("only in the previous run: 27 rows (first: E item:Q01 satisfied_pct;"),
        "{stdout}"
    );
    assert!(stdout.contains("; …)\n"), "{stdout}");
    let significant = rows.values().filter(|r| r["significant"] == "true").count();
    assert!(
        stdout.starts_with(&format!(
            "compare: 135 rows in both runs, {significant} significant at level 0.95 \
             (the runs' level)\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("only in the current run: 27 rows (first: F "),
        "{stdout}"
    );
    let json: serde_json::Value = serde_json::from_str(&dir.read("out/comparison.json")).unwrap();
    assert_eq!(json["rows_compared"], 135);
    assert_eq!(json["significant"], significant);
    assert_eq!(json["only_in_previous"]["count"], 27);
    assert_eq!(json["only_in_current"]["count"], 27);
    let first = json["only_in_previous"]["first"].as_array().unwrap();
    assert_eq!(first.len(), 10);
    assert!(first.iter().all(|k| k["domain"] == "E"));
    assert_eq!(json["settings"]["level"], 0.95);
    assert_eq!(json["settings"]["level_from"], "runs");
    assert!((json["settings"]["z"].as_f64().unwrap() - Z95).abs() < 1e-13);
    assert_eq!(json["rows"].as_array().unwrap().len(), 135);
    // The provenance names both runs' files with the SHA-256 of their bytes.
    let inputs = json["provenance"]["inputs"].as_array().unwrap();
    let mut want = Vec::new();
    for (input, run) in [("previous", &prev), ("current", &cur)] {
        for file in ["indices.csv", "indices.json"] {
            want.push(serde_json::json!({
                "input": input, "file": file, "sha256": sha256(&run.join(file))
            }));
        }
    }
    assert_eq!(inputs, &want);
    // comparison.csv reads back with the crate's reader, as written.
    let read = chiso::files::comparison::read(&out.join("comparison.csv")).unwrap();
    assert_eq!(read.len(), 135);
    for (r, j) in read.iter().zip(json["rows"].as_array().unwrap()) {
        assert_eq!(j["domain"], r.domain.as_str());
        assert_eq!(j["indicator"], r.indicator.as_str());
        assert_eq!(j["significant"].as_bool(), r.significant);
        // serde_json may read a decimal an ulp away from the nearest number.
        let same = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a == b,
        };
        assert!(same(j["difference"].as_f64(), r.difference), "{j}");
        assert!(same(j["std_error"].as_f64(), r.std_error), "{j}");
        assert!(same(j["ci_lower"].as_f64(), r.ci_lower), "{j}");
    }
}

#[test]
fn compare_refuses_runs_at_different_levels_unless_given_one() {
    let dir = Dir::new();
    let prev = index(
        &dir,
        "previous",
        &survey(&dir, "previous", |_, _| {}),
        &["--level", "0.9"],
    );
    let cur = current(&dir);
    let out = dir.path("out");
    let args = [
        "compare",
        "--previous",
        p(&prev),
        "--current",
        p(&cur),
        "--out",
        p(&out),
    ];
    let o = chiso(&args);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--level not given: the runs were computed at different levels (0.9 in ")
            && stderr.contains("0.95 in "),
        "{stderr}"
    );
    assert!(dir.files("out").is_empty());

    let mut given = args.to_vec();
    given.extend(["--level", "0.9"]);
    let o = chiso(&given);
    assert!(o.status.success(), "{:?}", text(&o));
    check_against_runs(&prev, &cur, &out, Z90);
    let json: serde_json::Value = serde_json::from_str(&dir.read("out/comparison.json")).unwrap();
    assert_eq!(json["settings"]["level"], 0.9);
    assert_eq!(json["settings"]["level_from"], "given");
    assert_eq!(json["previous"]["level"], 0.9);
    assert_eq!(json["current"]["level"], 0.95);

    for bad in ["0", "1", "1.5"] {
        let mut a = args.to_vec();
        a.extend(["--level", bad]);
        let o = chiso(&a);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            text(&o).1.contains(&format!("--level {bad}: expected")),
            "{:?}",
            text(&o)
        );
    }
}

#[test]
fn compare_refuses_a_directory_that_is_not_an_index_run() {
    let dir = Dir::new();
    let prev = previous(&dir);
    // A directory with indices.csv alone.
    std::fs::create_dir(dir.path("half")).unwrap();
    std::fs::copy(prev.join("indices.csv"), dir.path("half/indices.csv")).unwrap();
    let out = dir.path("out");
    for (flag, bad, names) in [
        ("--current", dir.path("half"), "indices.json: not found"),
        (
            "--previous",
            dir.path("nowhere"),
            "nowhere: not a directory",
        ),
    ] {
        let (previous, current) = if flag == "--current" {
            (prev.clone(), bad.clone())
        } else {
            (bad.clone(), prev.clone())
        };
        let o = chiso(&[
            "compare",
            "--previous",
            p(&previous),
            "--current",
            p(&current),
            "--out",
            p(&out),
        ]);
        let (_, stderr) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(names), "{stderr}");
        assert!(stderr.contains("written by `chiso index`"), "{stderr}");
        assert!(stderr.contains(&format!("({flag})")), "{stderr}");
        assert!(dir.files("out").is_empty(), "{:?}", dir.files("out"));
    }
    // An indices.json from another run beside the indices.csv.
    std::fs::write(
        dir.path("half/indices.json"),
        std::fs::read_to_string(prev.join("indices.json"))
            .unwrap()
            .replacen("\"estimate\": ", "\"estimate\": 1", 1),
    )
    .unwrap();
    let o = chiso(&[
        "compare",
        "--previous",
        p(&prev),
        "--current",
        p(&dir.path("half")),
        "--out",
        p(&out),
    ]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("come from different runs"), "{stderr}");
    assert!(dir.files("out").is_empty());

    // A run of no rows (both files agree) has nothing in common with another.
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(prev.join("indices.json")).unwrap()).unwrap();
    assert_eq!(json["request"]["level"], json["settings"]["level"]);
    json["rows"] = serde_json::json!([]);
    std::fs::write(dir.path("half/indices.json"), json.to_string()).unwrap();
    let header = dir.read("previous/indices.csv");
    let header = header.lines().next().unwrap();
    std::fs::write(dir.path("half/indices.csv"), format!("{header}\n")).unwrap();
    let o = chiso(&[
        "compare",
        "--previous",
        p(&prev),
        "--current",
        p(&dir.path("half")),
        "--out",
        p(&out),
    ]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no domain, indicator and measure in common"),
        "{stderr}"
    );
    assert!(dir.files("out").is_empty());
}
