//! `chiso demo`: the whole story on the synthetic province, from the records to the PAR INDEX
//! and the reports; the commands it prints give the same files again, and two runs give the
//! same bytes.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::util::*;

/// Every file under `root`, by path relative to it, with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Splits a printed command line into words: plain words, or words in single quotes.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quotes in {line}");
    if any {
        out.push(word);
    }
    out
}

fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// `a` equals `b` up to binary rounding (a relative 1e-12): the test's arithmetic is written
/// differently from the engine's.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

fn num(row: &HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} in {row:?}"))
}

#[test]
fn the_demo_scores_par_and_writes_the_report() {
    let dir = Dir::new();
    let out = dir.path("demo");
    let o = chiso(&["demo", "--out", p(&out), "--records", "20000"]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");

    assert_eq!(
        dir.files("demo/par"),
        [
            "framework-so.toml",
            "framework-xa.toml",
            "scores-so.csv",
            "scores-xa.csv",
            "so",
            "xa"
        ]
    );
    let codes = |prefix: &str, n: usize| -> Vec<String> {
        (1..=n)
            .map(|i| {
                if prefix == "SO" {
                    format!("SO{i:02}")
                } else {
                    format!("{prefix}{i:03}")
                }
            })
            .collect()
    };
    let indices = csv_rows(&out.join("indices/indices.csv"));
    let estimate = |domain: &str, indicator: &str, measure: &str| -> f64 {
        let r = indices
            .iter()
            .find(|r| {
                r["domain"] == domain && r["indicator"] == indicator && r["measure"] == measure
            })
            .unwrap_or_else(|| panic!("{domain} {indicator} {measure}"));
        num(r, "estimate")
    };
    for (group, prefix, n) in [("so", "SO", 20), ("xa", "XA", 100)] {
        assert_eq!(
            dir.files(&format!("demo/par/{group}")),
            ["par.csv", "par.json", "par_criteria.csv", "par_fields.csv"]
        );
        let par = csv_rows(&out.join(format!("par/{group}/par.csv")));
        let mut got: Vec<String> = par.iter().map(|r| r["unit_code"].clone()).collect();
        got.sort();
        assert_eq!(
            got,
            codes(prefix, n),
            "every unit of group {group} is scored"
        );
        let mut ranks: Vec<u64> = Vec::new();
        for r in &par {
            assert_eq!(r["unit_group"], group);
            let index = num(r, "index");
            assert!(close(
                index,
                100.0 * num(r, "points") / num(r, "max_points")
            ));
            assert!(index > 40.0 && index < 100.0, "{r:?}");
            assert!(
                num(r, "rank_lower") <= num(r, "rank") && num(r, "rank") <= num(r, "rank_upper")
            );
            assert_eq!(num(r, "group_size"), n as f64);
            ranks.push(r["rank"].parse().unwrap());
        }
        ranks.sort();
        assert_eq!(ranks, (1..=n as u64).collect::<Vec<_>>(), "no ties here");
        // The survey part is the demo's own indices, converted to points by hand.
        let criteria = csv_rows(&out.join(format!("par/{group}/par_criteria.csv")));
        for r in criteria.iter().filter(|r| r["criterion"] == "8.1.1") {
            let e = estimate(&r["unit_code"], "element:DV1", "satisfied_pct");
            assert_eq!(num(r, "survey_estimate"), e);
            assert!(close(num(r, "points"), 3.0 * e / 100.0), "{r:?}");
        }
        for r in criteria.iter().filter(|r| r["criterion"] == "8.2") {
            let mean = estimate(&r["unit_code"], "overall", "mean_score");
            assert!(close(num(r, "points"), 6.0 * (mean - 1.0) / 4.0), "{r:?}");
        }
        // The self-assessed part is the scores file, the appraised score first.
        let scores = csv_rows(&out.join(format!("par/scores-{group}.csv")));
        for s in &scores {
            let c = criteria
                .iter()
                .find(|c| c["unit_code"] == s["unit_code"] && c["criterion"] == s["criterion"])
                .unwrap();
            assert_eq!(num(c, "points"), num(s, "appraised_score"));
        }
        assert!(scores.iter().any(|s| !s["note"].is_empty()));
    }

    // The report: the workbook holds the numbers of indices.csv, the page names every
    // department and district, and the PAR INDEX of both groups.
    crate::report::assert_workbook_matches(
        &out.join("report/report.xlsx"),
        &out.join("indices/indices.csv"),
    );
    let mut book: Xlsx<_> = open_workbook(out.join("report/report.xlsx")).unwrap();
    let detail = book.worksheet_range(crate::report::DETAIL_SHEET).unwrap();
    let all = detail
        .rows()
        .find(|r| r[1] == "ALL" && r[3] == "Chỉ số chung" && r[4] == "Tỷ lệ hài lòng (%)")
        .expect("the province's overall row");
    assert_eq!(
        all[5],
        Data::Float(estimate("ALL", "overall", "satisfied_pct"))
    );
    let par_sheet = book.worksheet_range("Chỉ số CCHC").unwrap();
    assert_eq!(par_sheet.rows().count(), 1 + 20 + 100);
    // The response rates of every stratum and the province; the change since last year on
    // the summary, the five agencies new to the survey marked new.
    let rates = book.worksheet_range("Tỷ lệ trả lời").unwrap();
    assert_eq!(rates.rows().count(), 1 + 120 + 1);
    let summary = book.worksheet_range("Tổng hợp").unwrap();
    let cells: Vec<String> = summary
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(
        cells
            .iter()
            .any(|c| c == "Thay đổi so với năm trước (điểm %)")
    );
    assert_eq!(cells.iter().filter(|c| *c == "mới").count(), 5);
    let html = dir.read("demo/report/report.html");
    assert!(html.contains(chiso::demo::DEMO_TITLE));
    let cchc = &html[html.find("id=\"cchc\"").expect("a PAR section")..];
    for code in codes("SO", 20).iter().chain(&codes("XA", 100)) {
        assert!(
            cchc.contains(&format!("<code>{code}</code>")),
            "{code} in the PAR section"
        );
    }
    assert!(cchc.contains("<h3>Sở, ban, ngành</h3>"));
    // Who leads and who lags is marked: the demo's departments spread well beyond their
    // intervals.
    assert!(cchc.contains("cao hơn trung bình") && cchc.contains("thấp hơn trung bình"));
    assert!(cchc.contains("<h3>Xã, phường, đặc khu</h3>"));
    assert!(stdout.contains(&format!(
        "open the report: {} (web page), {} (workbook)",
        p(&out.join("report/report.html")),
        p(&out.join("report/report.xlsx"))
    )));

    // Every printed command, run again into a fresh directory, writes the same bytes.
    let mut ran = Vec::new();
    for line in stdout.lines().filter(|l| l.starts_with("  chiso ")) {
        let mut w = words(line.trim_start());
        assert_eq!(w[0], "chiso");
        let command = w[1].clone();
        let Some(at) = w.iter().position(|x| x == "--out") else {
            assert_eq!(command, "verify", "{line}");
            let o = chiso(&w[1..].iter().map(String::as_str).collect::<Vec<_>>());
            assert!(o.status.success(), "{line}: {:?}", text(&o));
            continue;
        };
        let original = PathBuf::from(&w[at + 1]);
        let fresh = dir.path(&format!("again-{}-{}", command, ran.len()));
        w[at + 1] = p(&fresh).to_string();
        let o = chiso(&w[1..].iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.success(), "{line}: {:?}", text(&o));
        let again = tree(&fresh);
        let before = tree(&original);
        assert!(!again.is_empty(), "{line}");
        for (name, bytes) in &again {
            assert!(
                before.get(name) == Some(bytes),
                "{line}: {name} differs from the demo's"
            );
        }
        ran.push(command);
    }
    assert_eq!(
        ran,
        [
            "commit",
            "sample",
            "commit",
            "index",
            "index",
            "compare",
            "timeliness",
            "par",
            "par",
            "report",
            "report"
        ],
        "{stdout}"
    );
}

/// Two runs of the demo write the same bytes, every file: nothing depends on the clock, the
/// output directory or the machine.
#[test]
fn the_demo_is_byte_identical_across_runs() {
    let dir = Dir::new();
    for name in ["one", "two"] {
        let o = chiso(&["demo", "--out", p(&dir.path(name)), "--records", "4000"]);
        assert!(o.status.success(), "{:?}", text(&o));
    }
    let (one, two) = (tree(&dir.path("one")), tree(&dir.path("two")));
    assert!(one.contains_key("report/report.html"));
    assert!(one.contains_key("report/report.xlsx"));
    assert!(one.contains_key("par/so/par.csv"));
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &one {
        assert!(&two[name] == bytes, "{name} differs between two runs");
    }
    // No cell of the demo's files would run as a formula, nor starts with the `'` in front of
    // one: the readers of an office's files, which take cells as they are, read the demo's
    // inputs (records, responses, scores) as they were generated.
    assert!(assert_no_formula_cells(&dir.path("one")).len() > 10);
    for (name, rows) in csv_files(&dir.path("one")) {
        assert!(
            rows.iter().flatten().all(|c| !c.starts_with('\'')),
            "{name}"
        );
    }
}

/// In a very small province some units have too few respondents for the survey criteria:
/// the demo says which, scores the others, and the report is still written.
#[test]
fn units_without_survey_estimates_are_named_not_dropped() {
    let dir = Dir::new();
    let out = dir.path("demo");
    let o = chiso(&["demo", "--out", p(&out), "--records", "500"]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let named: Vec<String> = stdout
        .lines()
        .filter_map(|l| l.strip_suffix(" not scored: too few respondents for the survey criteria"))
        .flat_map(|l| {
            l.trim_start_matches("par:")
                .trim()
                .split(", ")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!named.is_empty(), "{stdout}");
    let indices = csv_rows(&out.join("indices/indices.csv"));
    let mut scored = Vec::new();
    for group in ["so", "xa"] {
        for r in csv_rows(&out.join(format!("par/{group}/par.csv"))) {
            scored.push(r["unit_code"].clone());
        }
    }
    assert_eq!(scored.len() + named.len(), 20 + 100, "{stdout}");
    for code in &named {
        assert!(!scored.contains(code));
        // It lacks an estimate (or its standard error) that a survey criterion needs.
        let complete = |indicator: &str, measure: &str| {
            indices.iter().any(|r| {
                &r["domain"] == code
                    && r["indicator"] == indicator
                    && r["measure"] == measure
                    && !r["estimate"].is_empty()
                    && !r["std_error"].is_empty()
            })
        };
        let needed = (1..=5)
            .map(|e| (format!("element:DV{e}"), "satisfied_pct"))
            .chain([("overall".to_string(), "mean_score")]);
        assert!(
            needed.into_iter().any(|(i, m)| !complete(&i, m)),
            "{code} could have been scored"
        );
    }
    assert!(out.join("report/report.html").is_file());
}

/// Tried as an auditor would: the demo's published files, one number changed anywhere in
/// the chain (the sample, the indices, a PAR result, the page), and `chiso verify` says
/// where; untouched, every check says IDENTICAL.
#[test]
fn one_number_changed_anywhere_in_the_demos_chain_is_found() {
    let dir = Dir::new();
    let out = dir.path("demo");
    let o = chiso(&["demo", "--out", p(&out), "--records", "4000"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let at = |f: &str| p(&out.join(f)).to_string();
    let checks: Vec<(&str, Vec<String>)> = vec![
        (
            "sample/sample.csv",
            vec![
                "verify",
                "--records",
                &at("records.csv"),
                "--manifest",
                &at("sample/manifest.json"),
                "--sample",
                &at("sample/sample.csv"),
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        ),
        (
            "indices/indices.csv",
            vec![
                "verify",
                "--indices",
                &at("indices"),
                "--responses",
                &at("responses.csv"),
                "--questionnaire",
                &at("questionnaire.toml"),
                "--sample",
                &at("sample"),
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        ),
        (
            "par/so/par.csv",
            vec![
                "verify",
                "--par",
                &at("par/so"),
                "--framework",
                &at("par/framework-so.toml"),
                "--scores",
                &at("par/scores-so.csv"),
                "--survey",
                &at("indices/indices.csv"),
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        ),
        (
            "report/report.html",
            vec![
                "verify",
                "--report",
                &at("report"),
                "--from-indices",
                &at("indices"),
                "--from-par",
                &at("par/so"),
                "--from-par",
                &at("par/xa"),
                "--from-timeliness",
                &at("timeliness"),
                "--from-manifest",
                &at("sample/manifest.json"),
                "--from-compare",
                &at("comparison"),
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        ),
    ];
    let run = |args: &[String]| {
        let o = chiso(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let (a, b) = text(&o);
        (o.status.code().unwrap(), format!("{a}{b}"))
    };
    for (file, args) in &checks {
        let (code, said) = run(args);
        assert_eq!(code, 0, "{file}: {said}");
        assert!(said.contains("IDENTICAL"), "{file}: {said}");
        // One number changed: the first of the file's numbers with a decimal point.
        let original = std::fs::read_to_string(out.join(file)).unwrap();
        let (start, len) = {
            let b = original.as_bytes();
            let mut i = original.find('\n').unwrap();
            loop {
                i += 1;
                if b[i].is_ascii_digit() && b[i - 1] != b'-' {
                    let mut j = i;
                    let decimal = if file.ends_with(".html") { b',' } else { b'.' };
                    while b[j].is_ascii_digit() || (b[j] == decimal && b[j + 1].is_ascii_digit()) {
                        j += 1;
                    }
                    if original[i..j].contains(decimal as char) {
                        break (i, j - i);
                    }
                    i = j;
                }
            }
        };
        let forged = format!("{}7{}", &original[..start], &original[start + len..]);
        std::fs::write(out.join(file), &forged).unwrap();
        let (code, said) = run(args);
        assert_eq!(code, 1, "{file}: {said}");
        // Named by the file, and where in it.
        let name = file.rsplit('/').next().unwrap();
        assert!(
            said.contains("DIFFERENT")
                && said.contains(name)
                && said
                    .lines()
                    .any(|l| l.contains(" row ") || l.contains(" line ")),
            "{file}: {said}"
        );
        std::fs::write(out.join(file), &original).unwrap();
    }
}
