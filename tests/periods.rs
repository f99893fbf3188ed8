//! `chiso index --period month|quarter`: the indices of a continuous survey per calendar
//! period, and with `--records` the share of each period's records rated.

use crate::util::*;

/// The date of the oracle's `i`-th response: months January to April 2026, written in every
/// form the project reads.
fn date_of(i: usize) -> String {
    let day = 1 + i % 28;
    match i % 5 {
        0 => format!("2026-01-{day:02}"),
        1 => format!("{day:02}/02/2026"),
        2 => format!("{day:02}-03-2026 10:30"),
        3 => format!("{day:02}.04.2026"),
        _ => format!("2026-03-{day:02}T08:15:00"),
    }
}

/// The oracle's responses with a `contact_date`, and the populations; `edit` may change a
/// row (its index, and its cells).
fn survey(dir: &Dir, edit: impl Fn(usize, &mut Vec<String>)) -> (String, String) {
    let mut rdr = csv::Reader::from_path(format!("{ORACLE_FIXTURES}/responses.csv")).unwrap();
    let mut resp = String::from("unit_code,contact_date,Q01,Q02,Q03,Q04,Q05,Q06\n");
    let mut pop = std::collections::BTreeMap::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        let mut cells: Vec<String> = vec![r[0].to_string(), date_of(i)];
        cells.extend(r.iter().skip(3).map(String::from));
        edit(i, &mut cells);
        resp.push_str(&cells.join(","));
        resp.push('\n');
        pop.insert(r[0].to_string(), r[1].to_string());
    }
    dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let popcsv: String = std::iter::once("stratum,population\n".to_string())
        .chain(pop.iter().map(|(k, v)| format!("{k},{v}\n")))
        .collect();
    dir.write("p.csv", &popcsv);
    (resp, popcsv)
}

fn index(dir: &Dir, responses: &str, out: &str, extra: &[&str]) -> std::process::Output {
    let (r, q, pop, out) = (
        dir.path(responses),
        dir.path("q.toml"),
        dir.path("p.csv"),
        dir.path(out),
    );
    let mut args = vec![
        "index",
        "--responses",
        p(&r),
        "--questionnaire",
        p(&q),
        "--population",
        p(&pop),
        "--out",
        p(&out),
    ];
    args.extend_from_slice(extra);
    chiso(&args)
}

fn rows(path: &std::path::Path) -> Vec<Vec<String>> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

#[test]
fn each_period_is_the_run_on_its_own_rows() {
    let dir = Dir::new();
    let (resp, _) = survey(&dir, |_, _| {});
    dir.write("r.csv", &resp);
    let o = index(&dir, "r.csv", "monthly", &["--period", "month"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        text(&o).0.contains("4 period(s): 2026-01 (")
            && text(&o).0.contains("not a probability sample"),
        "{:?}",
        text(&o)
    );
    let monthly = rows(&dir.path("monthly/indices.csv"));
    let header = std::fs::read_to_string(dir.path("monthly/indices.csv")).unwrap();
    assert!(header.starts_with("period,domain,indicator,measure,"));
    // Flags and ranks are not computed per period.
    assert_eq!(
        dir.files("monthly"),
        ["indices.csv", "indices.json"],
        "{:?}",
        dir.files("monthly")
    );
    let lines: Vec<&str> = resp.lines().collect();
    for (k, month) in ["2026-01", "2026-02", "2026-03", "2026-04"]
        .iter()
        .enumerate()
    {
        // The period's rows alone, as a file of their own.
        let own: String = std::iter::once(lines[0])
            .chain(
                lines[1..]
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| match i % 5 {
                        4 => k == 2,
                        m => m == k,
                    })
                    .map(|(_, l)| *l),
            )
            .map(|l| format!("{l}\n"))
            .collect();
        let name = format!("{month}.csv");
        dir.write(&name, &own);
        let o = index(&dir, &name, month, &[]);
        assert!(o.status.success(), "{:?}", text(&o));
        let alone = rows(&dir.path(month).join("indices.csv"));
        let ours: Vec<Vec<String>> = monthly
            .iter()
            .filter(|r| r[0] == *month)
            .map(|r| r[1..].to_vec())
            .collect();
        assert_eq!(ours, alone, "{month}");
    }
    // indices.json: the periods with their answers, and what the answers are.
    let json: serde_json::Value = serde_json::from_str(&dir.read("monthly/indices.json")).unwrap();
    assert_eq!(json["sampling"], "not a probability sample");
    let periods = json["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 4);
    let answers: u64 = periods.iter().map(|p| p["answers"].as_u64().unwrap()).sum();
    assert_eq!(answers, 232);
    assert_eq!(periods[2]["period"], "2026-03");
    assert_eq!(periods[2]["first_date"], "2026-03-01");
    assert_eq!(json["request"]["period"], "month");
    assert_eq!(json["rows"][0]["period"], "2026-01");
    // Quarters.
    let o = index(&dir, "r.csv", "quarterly", &["--period", "quarter"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let periods: std::collections::BTreeSet<String> = rows(&dir.path("quarterly/indices.csv"))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        periods.into_iter().collect::<Vec<_>>(),
        ["2026-Q1", "2026-Q2"]
    );
    // A run without --period is as before: no period column.
    let o = index(&dir, "r.csv", "plain", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(dir.read("plain/indices.csv").starts_with("domain,"));
    // The consumers of one run's indices refuse a run per period.
    let o = chiso(&[
        "compare",
        "--previous",
        p(&dir.path("plain")),
        "--current",
        p(&dir.path("monthly")),
        "--out",
        p(&dir.path("change")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("indices per period"), "{:?}", text(&o));
}

#[test]
fn a_row_without_a_readable_date_is_refused() {
    let dir = Dir::new();
    for (bad, what) in [
        ("31/02/2026", "not a date"),
        ("", "no date"),
        ("tháng 3", "not a date"),
    ] {
        let (resp, _) = survey(&dir, |i, cells| {
            if i == 9 {
                cells[1] = bad.to_string();
            }
        });
        dir.write("r.csv", &resp);
        let o = index(&dir, "r.csv", "out", &["--period", "month"]);
        assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
        let err = text(&o).1;
        assert!(
            err.contains("r.csv")
                && err.contains("row 11")
                && err.contains("contact_date")
                && err.contains(what)
                && err.contains("YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY or DD.MM.YYYY"),
            "{err}"
        );
    }
    // The column by another name; a refusal's row needs its date too.
    let (resp, _) = survey(&dir, |_, _| {});
    let renamed = resp.replacen("contact_date", "Ngày đánh giá", 1);
    dir.write("renamed.csv", &renamed);
    let o = index(
        &dir,
        "renamed.csv",
        "renamed",
        &["--period", "quarter", "--date-column", "ngày ĐÁNH giá"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let with_refusal = format!(
        "{}disposition\n{}",
        resp.lines().next().unwrap().replace("Q06", "Q06,"),
        resp.lines()
            .skip(1)
            .map(|l| format!("{l},complete\n"))
            .collect::<String>()
            + "A,,,,,,,,refusal\n"
    );
    dir.write("refusal.csv", &with_refusal);
    let o = index(&dir, "refusal.csv", "out", &["--period", "month"]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("row 234"), "{:?}", text(&o));
    // Calibration per period is refused, as is a date column without a period.
    dir.write("r.csv", &resp);
    dir.write("m.csv", "variable,category,population\nunit_code,A,800\n");
    let o = index(
        &dir,
        "r.csv",
        "out",
        &[
            "--period",
            "month",
            "--margins",
            p(&dir.path("m.csv")),
            "--calibrate",
            "poststratify",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("--calibrate"), "{:?}", text(&o));
    let o = index(&dir, "r.csv", "out", &["--date-column", "contact_date"]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(!dir.path("out").exists());
}

#[test]
fn coverage_is_the_share_of_each_period_s_records_rated_and_verify_re_runs_it() {
    let dir = Dir::new();
    let (resp, _) = survey(&dir, |_, _| {});
    dir.write("r.csv", &resp);
    // Records of units A, B and F (F has no answers): received in January to March; B's
    // March records have no received date, and count on their returned day.
    let mut records =
        String::from("record_id,unit_code,applicant_id,received_date,returned_date\n");
    let mut k = 0;
    for (unit, month, n) in [("A", 1, 40), ("A", 2, 10), ("B", 3, 20), ("F", 1, 7)] {
        for j in 0..n {
            k += 1;
            let received = if unit == "B" {
                String::new()
            } else {
                format!("2026-{month:02}-{:02}", 1 + j % 28)
            };
            records += &format!(
                "R{k:04},{unit},P{k},{received},2026-{month:02}-{:02}\n",
                1 + j % 28
            );
        }
    }
    let rec = dir.write("records.csv", &records);
    let o = index(
        &dir,
        "r.csv",
        "out",
        &["--period", "month", "--records", p(&rec)],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let coverage = rows(&dir.path("out/coverage.csv"));
    let find = |period: &str, domain: &str| -> Vec<String> {
        coverage
            .iter()
            .find(|r| r[0] == period && r[1] == domain)
            .unwrap_or_else(|| panic!("{period} {domain}: {coverage:?}"))
            .clone()
    };
    // A's January answers: the oracle rows of stratum A whose date is in January.
    let a_january = resp
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("A,2026-01-"))
        .count();
    let row = find("2026-01", "A");
    assert_eq!(row[2], a_january.to_string());
    assert_eq!(row[3], "40");
    let pct: f64 = row[4].parse().unwrap();
    assert!(
        (pct - 100.0 * a_january as f64 / 40.0).abs() < 1e-12,
        "{row:?}"
    );
    assert_eq!(find("2026-03", "B")[3], "20");
    assert_eq!(
        find("2026-01", "F")[2..4],
        ["0".to_string(), "7".to_string()]
    );
    // No record in April: the share is empty, never 0 or infinite.
    assert_eq!(find("2026-04", "A")[3..], ["0".to_string(), String::new()]);
    assert_eq!(find("2026-01", "ALL")[3], "47");
    let json: serde_json::Value = serde_json::from_str(&dir.read("out/indices.json")).unwrap();
    assert_eq!(json["periods"][0]["records"], 47);
    assert_eq!(json["request"]["records"], true);
    // verify re-runs it with the records, and needs them.
    let (r, q, pop, out) = (
        dir.path("r.csv"),
        dir.path("q.toml"),
        dir.path("p.csv"),
        dir.path("out"),
    );
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--indices",
            p(&out),
            "--responses",
            p(&r),
            "--questionnaire",
            p(&q),
            "--population",
            p(&pop),
        ];
        args.extend_from_slice(extra);
        chiso(&args)
    };
    let o = verify(&["--records", p(&rec)]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = verify(&[]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("--records"), "{:?}", text(&o));
    std::fs::write(&rec, records.replace("R0001,A,", "R0001,B,")).unwrap();
    let o = verify(&["--records", p(&rec)]);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    assert!(text(&o).0.contains("coverage.csv"), "{:?}", text(&o));
}

#[test]
fn a_drawn_sample_per_quarter_on_reporting_domains() {
    let dir = Dir::new();
    // records(3): units U00, U01, U02 (the strata), returned from January to September 2024.
    let rec = dir.write("records.csv", &records(3));
    let o = sample_cli(&dir, "records.csv", DESIGN, "s", "sample", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let mut resp = String::from("applicant_id,contact_date,Q01,Q02,Q03,Q04,Q05,Q06\n");
    let mut officials = 0;
    for (i, r) in csv::Reader::from_path(dir.path("sample/sample.csv"))
        .unwrap()
        .records()
        .enumerate()
    {
        let r = r.unwrap();
        if &r[1] == "official" {
            let date = if i % 2 == 0 {
                "15/02/2024"
            } else {
                "2024-05-03"
            };
            resp.push_str(&format!("{},{date},{},4,5,3,2,4\n", &r[3], 1 + i % 5));
            officials += 1;
        }
    }
    let r = dir.write("r.csv", &resp);
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let domains = dir.write("domains.csv", "unit_code,domain\nU00,N1\nU01,N1\nU02,N2\n");
    let o = chiso(&[
        "index",
        "--responses",
        p(&r),
        "--questionnaire",
        p(&q),
        "--sample",
        p(&dir.path("sample")),
        "--domains",
        p(&domains),
        "--period",
        "quarter",
        "--records",
        p(&rec),
        "--out",
        p(&dir.path("out")),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        !text(&o).0.contains("not a probability sample"),
        "{:?}",
        text(&o)
    );
    let json: serde_json::Value = serde_json::from_str(&dir.read("out/indices.json")).unwrap();
    assert_eq!(json["sampling"], "probability sample");
    let periods = json["periods"].as_array().unwrap();
    let answers: u64 = periods.iter().map(|p| p["answers"].as_u64().unwrap()).sum();
    assert_eq!(answers, officials);
    assert!(periods[0]["per_unit"]["N1"].as_u64().unwrap() > 0);
    // The records are counted per reporting domain, on their returned day (no received
    // date): every record of records(3) is in one of the first three quarters.
    let coverage = rows(&dir.path("out/coverage.csv"));
    let total: u64 = coverage
        .iter()
        .filter(|r| r[1] == "ALL")
        .map(|r| r[3].parse::<u64>().unwrap())
        .sum();
    assert_eq!(total as usize, records(3).lines().count() - 1);
    let domains_met: std::collections::BTreeSet<&str> =
        coverage.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        domains_met.into_iter().collect::<Vec<_>>(),
        ["ALL", "N1", "N2"]
    );
    let indices = dir.read("out/indices.csv");
    assert!(indices.contains("\n2024-Q1,N1,") && indices.contains("\n2024-Q2,N2,"));
}
