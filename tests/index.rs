//! `chiso index` end to end: against R on the oracle data, and on a drawn sample.

use crate::util::*;

fn close(got: &str, want: &str) -> bool {
    let (g, w): (f64, f64) = (got.parse().unwrap(), want.parse().unwrap());
    if w == 0.0 {
        g.abs() < 1e-12
    } else {
        ((g - w) / w).abs() < 1e-9
    }
}

#[test]
fn index_with_populations_agrees_with_r_end_to_end() {
    let dir = Dir::new();
    // The oracle responses as an online survey: unit_code + answers, populations apart.
    let mut rdr = csv::Reader::from_path(format!("{ORACLE_FIXTURES}/responses.csv")).unwrap();
    let mut resp = String::from("unit_code,Q01,Q02,Q03,Q04,Q05,Q06\n");
    let mut pop = std::collections::BTreeMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        let cells: Vec<&str> = r.iter().collect();
        resp.push_str(&format!("{},{}\n", cells[0], cells[3..].join(",")));
        pop.insert(cells[0].to_string(), cells[1].to_string());
    }
    let popcsv: String = std::iter::once("stratum,population\n".to_string())
        .chain(pop.iter().map(|(k, v)| format!("{k},{v}\n")))
        .collect();
    let (r, q, p) = (
        dir.write("r.csv", &resp),
        dir.write("q.toml", ORACLE_QUESTIONNAIRE),
        dir.write("p.csv", &popcsv),
    );
    let out = dir.path("out");
    let o = chiso(&[
        "index",
        "--responses",
        p_(&r),
        "--questionnaire",
        p_(&q),
        "--population",
        p_(&p),
        "--out",
        p_(&out),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let ours: Vec<csv::StringRecord> = csv::Reader::from_path(out.join("indices.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(ours.len(), 6 * 9 * 3);
    let mut checked = (0, 0);
    for want in csv::Reader::from_path(format!("{ORACLE_FIXTURES}/expected.csv"))
        .unwrap()
        .records()
    {
        let want = want.unwrap();
        let got = ours
            .iter()
            .find(|g| g[0] == want[0] && g[1] == want[1] && g[2] == want[2])
            .unwrap_or_else(|| panic!("no row for {want:?}"));
        match &want[6] {
            "" | "wald" => {
                assert!(
                    close(&got[3], &want[3]) && close(&got[4], &want[4]),
                    "{got:?} vs {want:?}"
                );
                if &want[6] == "wald" {
                    // Item shares: R's df of the subset of answers (svyciprop).
                    assert_eq!(&got[9], &want[5], "df of {want:?}");
                }
                checked.0 += 1;
            }
            "xlogit" if !want[7].is_empty() && got[4].parse::<f64>().unwrap() > 0.0 => {
                assert!(
                    close(&got[5], &want[7]) && close(&got[6], &want[8]),
                    "{got:?} vs {want:?}"
                );
                checked.1 += 1;
            }
            _ => {}
        }
    }
    assert!(checked.0 == 162 && checked.1 > 50, "{checked:?}");
    // The published files hold no applicant identifier, and the JSON records its settings.
    let json = std::fs::read_to_string(out.join("indices.json")).unwrap();
    assert!(json.contains("\"ci_method\": \"logit\"") && json.contains("\"level\": 0.95"));
}

fn p_(path: &std::path::Path) -> &str {
    p(path)
}

/// A sample of records(3) and responses for its official lists.
fn drawn(dir: &Dir) -> (String, Vec<String>) {
    dir.write("records.csv", &records(3));
    let o = sample_cli(dir, "records.csv", DESIGN, "s", "sample", &[]);
    assert!(o.status.success());
    let mut ids = Vec::new();
    let mut resp = String::from("applicant_id,Q01,Q02,Q03,Q04,Q05,Q06\n");
    for (i, r) in csv::Reader::from_path(dir.path("sample/sample.csv"))
        .unwrap()
        .records()
        .enumerate()
    {
        let r = r.unwrap();
        if &r[1] == "official" {
            resp.push_str(&format!(
                "{},{},4,5,{},3,9\n",
                &r[3],
                1 + i % 5,
                if i % 2 == 0 { "" } else { "2" }
            ));
            ids.push(r[3].to_string());
        }
    }
    (resp, ids)
}

#[test]
fn index_on_a_drawn_sample_and_its_errors() {
    let dir = Dir::new();
    let (resp, ids) = drawn(&dir);
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let run = |name: &str, text: &str, out: &str| {
        let r = dir.write(name, text);
        chiso(&[
            "index",
            "--responses",
            p(&r),
            "--questionnaire",
            p(&q),
            "--sample",
            p(&dir.path("sample")),
            "--out",
            p(&dir.path(out)),
        ])
    };
    let o = run("r.csv", &resp, "out");
    assert!(o.status.success(), "{:?}", text(&o));
    let csv_text = dir.read("out/indices.csv");
    // ALL and the three units; Q02 is always 4: 100% satisfied everywhere.
    assert!(
        csv_text.contains("\nALL,item:Q02,satisfied_pct,100,0,"),
        "{csv_text}"
    );
    assert!(csv_text.contains("\nU02,overall,mean_score,"));
    for id in &ids {
        assert!(
            !csv_text.contains(id.as_str()),
            "no applicant id in the indices"
        );
    }
    // An answer off the scale names row, column and value; nothing is written.
    let bad = resp.replacen(",4,5,", ",7,5,", 1);
    let o = run("bad.csv", &bad, "out2");
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("bad.csv: row 2, column `Q02`")
            && err.contains("\"7\"")
            && err.contains("from 1 to 5"),
        "{err}"
    );
    assert!(!dir.path("out2").exists());
    // An applicant not in the sample: named by row, the identifier masked.
    let unknown = format!("{resp}ZZZ-123456,4,4,4,4,4,4\n");
    let (_, err) = text(&run("unknown.csv", &unknown, "out3"));
    assert!(
        err.contains("not in the sample") && err.contains("ZZZ…") && !err.contains("123456"),
        "{err}"
    );
    // The same applicant twice.
    let first = resp.lines().nth(1).unwrap();
    let twice = format!("{resp}{first}\n");
    let (_, err) = text(&run("twice.csv", &twice, "out4"));
    assert!(err.contains("already answered on row 2"), "{err}");
}

/// Responses by unit with one unit of a single respondent out of 80 (a lonely stratum).
fn lonely_survey(dir: &Dir) -> (String, String, String) {
    let mut resp = String::from("unit_code,Q01,Q02,Q03,Q04,Q05,Q06\n");
    for i in 0..12 {
        let a = |k: usize| 1 + (i * 7 + k * 3) % 5;
        resp.push_str(&format!(
            "A,{},{},{},{},{},{}\n",
            a(0),
            a(1),
            a(2),
            a(3),
            a(4),
            a(5)
        ));
    }
    resp.push_str("LONE,4,5,2,4,4,3\n");
    (
        p(&dir.write("r.csv", &resp)).to_string(),
        p(&dir.write("q.toml", ORACLE_QUESTIONNAIRE)).to_string(),
        p(&dir.write("p.csv", "stratum,population\nA,300\nLONE,80\n")).to_string(),
    )
}

#[test]
fn lonely_strata_are_listed_and_follow_the_rule_asked_for() {
    let dir = Dir::new();
    let (r, q, pop) = lonely_survey(&dir);
    let run = |rule: Option<&str>, out: &str| {
        let out = dir.path(out);
        let mut args = vec![
            "index",
            "--responses",
            &r,
            "--questionnaire",
            &q,
            "--population",
            &pop,
            "--out",
            p(&out),
        ];
        if let Some(rule) = rule {
            args.extend(["--lonely-psu", rule]);
        }
        (chiso(&args), out)
    };
    // The default, adjust: listed on standard error and in indices.json.
    let (o, out) = run(None, "adjust");
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("1 stratum(s) have one respondent: LONE (1 of 80)")
            && err.contains("--lonely-psu adjust"),
        "{err}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("indices.json")).unwrap()).unwrap();
    assert_eq!(json["settings"]["lonely_psu"], "adjust");
    assert_eq!(
        json["lonely_strata"],
        serde_json::json!([{"stratum": "LONE", "population": 80.0}])
    );
    let csv_text = std::fs::read_to_string(out.join("indices.csv")).unwrap();
    let row = |text: &str, domain: &str| -> Vec<String> {
        text.lines()
            .find(|l| l.starts_with(&format!("{domain},overall,satisfied_pct,")))
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect()
    };
    // The unit of one respondent: an estimate, no standard error and the reason.
    let lone = row(&csv_text, "LONE");
    assert_eq!(
        (&lone[4][..], &lone[5][..], &lone[10][..]),
        ("", "", "not estimable: no degrees of freedom")
    );
    // remove: the province's standard error is smaller than under adjust.
    let (o, out) = run(Some("remove"), "remove");
    assert!(o.status.success(), "{:?}", text(&o));
    let removed = std::fs::read_to_string(out.join("indices.csv")).unwrap();
    let se = |t: &str| row(t, "ALL")[4].parse::<f64>().unwrap();
    assert!(se(&removed) < se(&csv_text));
    // fail: refused, naming the stratum, and nothing written.
    let (o, out) = run(Some("fail"), "fail");
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--lonely-psu fail") && err.contains("LONE (1 of 80)"),
        "{err}"
    );
    assert!(!out.exists());
    // An unknown rule names the choices.
    let (o, _) = run(Some("drop"), "drop");
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--lonely-psu") && err.contains("adjust, average"),
        "{err}"
    );
}

/// The responses are read on several threads (parsed and decoded ahead in batches of 2,048
/// rows, a file of 8 MiB or more in two halves at once, checked in order): a file of many
/// batches reads as the same file read row by row (an XLSX file, read on one thread), and its
/// first error is the one of the lowest row, as before, in either half.
#[test]
fn responses_read_ahead_in_batches_read_as_row_by_row() {
    use chiso::responses::{Link, ReadOptions, read_with};
    let dir = Dir::new();
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let q = chiso::questionnaire::Questionnaire::load(&q).unwrap();
    let mut pop = String::from("stratum,population\n");
    for u in 0..7 {
        pop.push_str(&format!("U{u},{}\n", 500 + 100 * u));
    }
    let pop = dir.write("p.csv", &pop);
    let row = |i: usize, bad: Option<&str>| {
        let mut cells = vec![format!("U{}", (i * 7 + i / 13) % 7)];
        for k in 0..6 {
            cells.push(match (k, bad) {
                (2, Some(b)) => b.to_string(),
                _ if (i + k).is_multiple_of(11) => String::new(),
                _ => ((i * 3 + k * 5 + i / 7) % 5 + 1).to_string(),
            });
        }
        // A long note, so that the CSV file is read in two halves.
        cells.push(format!("\"Ghi chú, {}\"", "x".repeat(1_700)));
        cells.join(",") + "\n"
    };
    let file = |bad: &[(usize, &str)]| {
        let mut text = String::from("unit_code,Q01,Q02,Q03,Q04,Q05,Q06,ghi_chu\n");
        for i in 0..5_000 {
            text.push_str(&row(i, bad.iter().find(|b| b.0 == i).map(|b| b.1)));
        }
        text
    };
    let link = Link::Population(&pop);
    let read = |text: &str, name: &str, options: &ReadOptions| {
        let csv = dir.write(&format!("{name}.csv"), text);
        // From 8 MiB a CSV file is read in two halves, the second from its middle on.
        assert!(std::fs::metadata(&csv).unwrap().len() >= 8 << 20);
        let xlsx = dir.path(&format!("{name}.xlsx"));
        csv_to_xlsx(text, &xlsx);
        let by_batches = read_with(&csv, None, &q, &link, options);
        let by_rows = read_with(&xlsx, None, &q, &link, options);
        (by_batches, by_rows)
    };

    let (a, b) = read(&file(&[]), "clean", &ReadOptions::default());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len(), 5_000);
    assert_eq!(
        (&a.answers, &a.stratum_of, &a.unit_of, &a.rows, &a.weight),
        (&b.answers, &b.stratum_of, &b.unit_of, &b.rows, &b.weight)
    );
    assert_eq!((&a.strata, &a.population), (&b.strata, &b.population));

    // Two answers that are none, the first in the second batch, and a unit not in the
    // population file in the third: the error is the first answer's.
    let bad = file(&[(2_100, "7"), (4_090, "x")]);
    let mut lines: Vec<String> = bad.lines().map(String::from).collect();
    // Line 4,499 (the header is line 0) is row 4,500.
    lines[4_499] = lines[4_499].replacen('U', "V", 1);
    let bad = lines.join("\n") + "\n";
    let (a, b) = read(&bad, "bad", &ReadOptions::default());
    for e in [a.unwrap_err().to_string(), b.unwrap_err().to_string()] {
        assert!(e.contains("row 2102"), "{e}");
        assert!(e.contains("Q03"), "{e}");
    }
    let lenient = ReadOptions {
        invalid_as_missing: true,
        ..ReadOptions::default()
    };
    let (a, b) = read(&bad, "lenient", &lenient);
    for e in [a.unwrap_err().to_string(), b.unwrap_err().to_string()] {
        assert!(e.contains("row 4500") && e.contains("V"), "{e}");
    }
    let (a, b) = read(&file(&[(2_100, "7"), (4_090, "x")]), "counted", &lenient);
    let (a, b) = (a.unwrap(), b.unwrap());
    let invalid = a.invalid.clone().unwrap();
    assert_eq!(invalid.counts, vec![0, 0, 2, 0, 0, 0]);
    assert_eq!(
        invalid.first,
        vec![(2, 2_102, "7".to_string()), (2, 4_092, "x".to_string())]
    );
    assert_eq!(a.invalid, b.invalid);
    assert_eq!(a.answers, b.answers);
}
