//! Flags, ranks and timeliness: hand-computed cases, a golden rank-interval test, the CLI.

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::util::*;

const ONE_ITEM: &str = r#"
name = "one item"
[scale]
min = 1
max = 5
satisfied = [4, 5]
dissatisfied = [1, 2]
missing = [9]
[[element]]
code = "E1"
name = "E1"
items = ["Q1"]
"#;

fn qt(df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).unwrap().inverse_cdf(0.975)
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// For a whole stratum of `m` respondents out of `big_n` with a share `p` dissatisfied:
/// the standard error `sqrt((1 − m/N) p(1 − p)/(m − 1))` and the logit interval, in percent.
fn whole_stratum(p: f64, m: f64, big_n: f64) -> (f64, f64, f64) {
    let se = ((1.0 - m / big_n) * p * (1.0 - p) / (m - 1.0)).sqrt();
    let h = qt(m - 1.0) * se / (p * (1.0 - p));
    let l = (p / (1.0 - p)).ln();
    (100.0 * se, 100.0 * expit(l - h), 100.0 * expit(l + h))
}

fn close(got: &str, want: f64) {
    let g: f64 = got
        .parse()
        .unwrap_or_else(|_| panic!("{got:?} is not a number"));
    assert!(
        (g - want).abs() <= 1e-9 * want.abs().max(1.0),
        "got {g}, want {want}"
    );
}

fn read_csv(path: &std::path::Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect()
}

/// Responses for `--population`: per unit, `m` answers of which `d` are 1 (dissatisfied), the
/// rest 5; the officer of each answer from `officer(i)`.
fn population_survey(units: &[(&str, &str, u32, u32, u32)]) -> (String, String) {
    let mut resp = String::from("unit_code,officer_id,Q1\n");
    let mut pop = String::from("stratum,population,unit_group,unit_name\n");
    for &(unit, group, big_n, m, d) in units {
        pop.push_str(&format!("{unit},{big_n},{group},Đơn vị {unit}\n"));
        for i in 0..m {
            let officer = if i % 2 == 0 { "CB1" } else { "" };
            let a = if i < d { 1 } else { 5 };
            resp.push_str(&format!("{unit},{officer},{a}\n"));
        }
    }
    (resp, pop)
}

fn index_cli(dir: &Dir, resp: &str, pop: &str, out: &str, extra: &[&str]) -> std::process::Output {
    let (r, q, p) = (
        dir.write("responses.csv", resp),
        dir.write("q.toml", ONE_ITEM),
        dir.write("population.csv", pop),
    );
    let out = dir.path(out);
    let mut args = vec![
        "index",
        "--responses",
        p_(&r),
        "--questionnaire",
        p_(&q),
        "--population",
        p_(&p),
        "--out",
        p_(&out),
    ];
    args.extend_from_slice(extra);
    chiso(&args)
}

fn p_(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn unit_flags_certain_above_but_uncertain_imprecise_and_below_by_hand() {
    let dir = Dir::new();
    let (resp, pop) = population_survey(&[
        ("U1", "xa", 1000, 100, 50), // 50%: interval [40.65, 59.35], certain
        ("U2", "xa", 1000, 100, 30), // 30%: interval [22.09, 39.31], above but not certain
        ("U3", "xa", 100, 10, 5),    // 50% on 10 answers: imprecise
        ("U4", "xa", 1000, 100, 10), // 10%: below
    ]);
    let o = index_cli(&dir, &resp, &pop, "out", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let rows = read_csv(&dir.path("out/flags.csv"));
    let header = csv::Reader::from_path(dir.path("out/flags.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        chiso::flags::COLUMNS.to_vec()
    );
    let units: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[0] == "unit").collect();
    assert_eq!(units.len(), 4);
    let expect = [
        ("U1", 0.5, 100.0, 1000.0, ["true", "true", "false"]),
        ("U2", 0.3, 100.0, 1000.0, ["true", "false", "false"]),
        ("U3", 0.5, 10.0, 100.0, ["true", "false", "true"]),
        ("U4", 0.1, 100.0, 1000.0, ["false", "false", "false"]),
    ];
    for (r, (unit, p, m, big_n, flags)) in units.iter().zip(expect) {
        assert_eq!(&r[1], unit);
        assert_eq!(&r[2], "");
        assert_eq!(&r[3], "xa");
        assert_eq!(&r[4], "overall");
        let (se, lo, hi) = whole_stratum(p, m, big_n);
        close(&r[5], 100.0 * p);
        close(&r[6], se);
        close(&r[7], lo);
        close(&r[8], hi);
        assert_eq!(&r[9], &format!("{m}"));
        assert_eq!(&r[10], "25");
        assert_eq!([&r[11], &r[12], &r[13]], flags, "{unit}: {r:?}");
    }
    // The hand values, for the reader: U1's interval is above 25 and narrower than 20 points.
    let (_, lo, hi) = whole_stratum(0.5, 100.0, 1000.0);
    assert!(lo > 40.6 && hi < 59.4 && hi - lo < 20.0);
    let (_, lo, _) = whole_stratum(0.3, 100.0, 1000.0);
    assert!(lo < 25.0);

    // Officers from the responses' officer_id (with --population): CB1 answered the even rows.
    let officers: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[0] == "officer").collect();
    assert_eq!(officers.len(), 4);
    assert_eq!(
        officers
            .iter()
            .map(|r| (&r[1], &r[2], &r[9]))
            .collect::<Vec<_>>(),
        vec![
            ("U1", "CB1", "50"),
            ("U2", "CB1", "50"),
            ("U3", "CB1", "5"),
            ("U4", "CB1", "50")
        ]
    );
    // U2's CB1: rows 0, 2, …, 28 dissatisfied (15 of 50).
    close(&officers[1][5], 30.0);

    // Other thresholds and limits change the flags.
    let o = index_cli(
        &dir,
        &resp,
        &pop,
        "out2",
        &[
            "--flag-threshold",
            "45",
            "--min-answers",
            "5",
            "--max-ci-width",
            "50",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let rows = read_csv(&dir.path("out2/flags.csv"));
    let u: Vec<[&str; 4]> = rows
        .iter()
        .filter(|r| &r[0] == "unit")
        .map(|r| [&r[1], &r[11], &r[12], &r[13]])
        .collect();
    assert_eq!(
        u,
        vec![
            ["U1", "true", "false", "false"],
            ["U2", "false", "false", "false"],
            ["U3", "true", "false", "true"],
            ["U4", "false", "false", "false"],
        ]
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path("out2/flags.json")).unwrap()).unwrap();
    assert_eq!(json["settings"]["threshold_pct"], 45.0);
    assert_eq!(json["settings"]["min_answers"], 5);
}

#[test]
fn officer_flags_from_the_sample_by_hand() {
    // One stratum of N = 100, ten respondents (weights 10). Officer A's four answers: two
    // dissatisfied (50%); officer B's six: one (1/6); R9 has no officer.
    let dir = Dir::new();
    let mut sample = String::from(
        "stratum,role,rank,applicant_id,record_id,unit_code,frame_size,officer_id,unit_group,unit_name\n",
    );
    let mut resp = String::from("applicant_id,Q1\n");
    let answers = [1, 1, 4, 5, 5, 5, 4, 4, 2, 5];
    let officers = ["A", "A", "A", "A", "B", "B", "B", "B", "B", "B"];
    for i in 0..10 {
        sample.push_str(&format!(
            "U1,official,{},P{i},R{i},U1,100,{},xa,Xã Một\n",
            i + 1,
            officers[i]
        ));
        resp.push_str(&format!("P{i},{}\n", answers[i]));
    }
    // A reserve without an officer who did not answer.
    sample.push_str("U1,reserve,1,P10,R10,U1,100,,xa,Xã Một\n");
    std::fs::create_dir(dir.path("s")).unwrap();
    dir.write("s/sample.csv", &sample);
    manifest_for(&dir.path("s"), &[("U1", 100, 10)]);
    let (r, q) = (dir.write("r.csv", &resp), dir.write("q.toml", ONE_ITEM));
    let out = dir.path("out");
    let o = chiso(&[
        "index",
        "--responses",
        p_(&r),
        "--questionnaire",
        p_(&q),
        "--sample",
        p_(&dir.path("s")),
        "--out",
        p_(&out),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let rows = read_csv(&out.join("flags.csv"));
    assert_eq!(rows.len(), 3);
    // The unit: 3 of 10, from the index rows.
    assert_eq!(
        (&rows[0][0], &rows[0][1], &rows[0][3]),
        ("unit", "U1", "xa")
    );
    close(&rows[0][5], 30.0);
    // Officer A, by hand: R = 0.5, z_i = ±10·0.5/40 = ±0.125 on A's four respondents and 0 on
    // the six others; V = (1 − 10/100)·10/9·4·0.125² = 0.0625, se = 25 points; df = 4 − 1;
    // logit interval expit(0 ± t₃·0.25/0.25).
    let a = &rows[1];
    assert_eq!((&a[0], &a[1], &a[2], &a[3]), ("officer", "U1", "A", "xa"));
    close(&a[5], 50.0);
    close(&a[6], 25.0);
    let h = qt(3.0);
    close(&a[7], 100.0 * expit(-h));
    close(&a[8], 100.0 * expit(h));
    assert_eq!(&a[9], "4");
    assert_eq!([&a[11], &a[12], &a[13]], ["true", "false", "true"]);
    // Officer B: R = 1/6, X = 60; z = 10(1 − 1/6)/60 once, −10/6/60 five times, 0 four times;
    // mean over the ten: 0; Σz² = (50/360)² + 5(10/360)².
    let b = &rows[2];
    assert_eq!((&b[1], &b[2]), ("U1", "B"));
    close(&b[5], 100.0 / 6.0);
    let ss = (50.0f64 / 360.0).powi(2) + 5.0 * (10.0f64 / 360.0).powi(2);
    close(&b[6], 100.0 * (0.9 * 10.0 / 9.0 * ss).sqrt());
    assert_eq!([&b[11], &b[12], &b[13]], ["false", "false", "true"]);
    let (stdout, _) = text(&o);
    assert!(stdout.contains("2 officers"), "{stdout}");

    // ranks.csv carries the unit's name and group.
    let ranks = read_csv(&out.join("ranks.csv"));
    assert_eq!(ranks.len(), 2); // overall and element:E1
    assert_eq!(
        ranks[0].iter().take(5).collect::<Vec<_>>(),
        ["xa", "U1", "Xã Một", "overall", "satisfied_pct"]
    );
    assert_eq!(
        ranks[0].iter().skip(9).collect::<Vec<_>>(),
        ["1", "1", "1", "1", "true"]
    );
}

#[test]
fn a_unit_in_two_groups_is_refused_with_no_output() {
    let dir = Dir::new();
    dir.write("q.toml", ONE_ITEM);
    // Sample rows of one unit that disagree on the group.
    let mut sample = String::from("stratum,applicant_id,unit_code,frame_size,unit_group\n");
    sample.push_str("U1,P1,U1,10,xa\nU1,P2,U1,10,phuong\n");
    std::fs::create_dir(dir.path("s")).unwrap();
    dir.write("s/sample.csv", &sample);
    manifest_for(&dir.path("s"), &[("U1", 10, 2)]);
    let r = dir.write("r2.csv", "applicant_id,Q1\nP1,5\n");
    let q = dir.path("q.toml");
    let o = chiso(&[
        "index",
        "--responses",
        p_(&r),
        "--questionnaire",
        p_(&q),
        "--sample",
        p_(&dir.path("s")),
        "--out",
        p_(&dir.path("bad")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let (_, err) = text(&o);
    assert!(
        err.contains("row 3") && err.contains("unit_group") && err.contains("phuong"),
        "{err}"
    );
    assert!(dir.files("bad").is_empty());
}

#[test]
fn bad_flag_options_exit_2_and_write_nothing() {
    let dir = Dir::new();
    let (resp, pop) = population_survey(&[("U1", "xa", 100, 10, 5)]);
    for args in [
        ["--flag-threshold", "250"],
        ["--max-ci-width", "0"],
        ["--rank-replicates", "0"],
    ] {
        let o = index_cli(&dir, &resp, &pop, "out", &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let (_, err) = text(&o);
        assert!(err.contains(args[0]), "{err}");
        assert!(dir.files("out").is_empty());
    }
}

/// A group of five units with close satisfaction shares and one apart (H5: 50% on 60 answers,
/// an interval wider than 20 points), and a group of two small communes.
fn ranking_survey() -> (String, String) {
    population_survey(&[
        ("H1", "huyen", 500, 60, 6),
        ("H2", "huyen", 500, 60, 8),
        ("H3", "huyen", 500, 60, 8), // ties with H2
        ("H4", "huyen", 500, 60, 12),
        ("H5", "huyen", 500, 60, 30),
        ("X1", "xa", 50, 20, 1),
        ("X2", "xa", 50, 20, 0), // 100% satisfied: held fixed
    ])
}

#[test]
fn rank_intervals_are_pinned_for_a_fixed_seed_and_ties_share_the_best_rank() {
    let dir = Dir::new();
    let (resp, pop) = ranking_survey();
    let o = index_cli(&dir, &resp, &pop, "out", &["--rank-seed", "golden"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let ranks = read_csv(&dir.path("out/ranks.csv"));
    let overall: Vec<String> = ranks
        .iter()
        .filter(|r| &r[3] == "overall")
        .map(|r| {
            format!(
                "{} {} {} {}-{} of {} {}",
                &r[0], &r[1], &r[9], &r[10], &r[11], &r[12], &r[13]
            )
        })
        .collect();
    assert_eq!(
        overall,
        vec![
            "huyen H1 1 1-4 of 5 false",
            "huyen H2 2 1-4 of 5 false",
            "huyen H3 2 1-4 of 5 false",
            "huyen H4 4 2-4 of 5 false",
            "huyen H5 5 5-5 of 5 true",
            "xa X2 1 1-1 of 2 true",
            "xa X1 2 2-2 of 2 true",
        ],
        "{overall:#?}"
    );
    // The same inputs and seed give the same bytes; another seed may move the intervals but
    // never the point ranks.
    let o = index_cli(&dir, &resp, &pop, "again", &["--rank-seed", "golden"]);
    assert!(o.status.success());
    assert_eq!(dir.read("out/ranks.csv"), dir.read("again/ranks.csv"));
    let o = index_cli(&dir, &resp, &pop, "other", &["--rank-seed", "other"]);
    assert!(o.status.success());
    let other = read_csv(&dir.path("other/ranks.csv"));
    assert_eq!(
        other.iter().map(|r| r[9].to_string()).collect::<Vec<_>>(),
        ranks.iter().map(|r| r[9].to_string()).collect::<Vec<_>>()
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path("out/ranks.json")).unwrap()).unwrap();
    assert_eq!(json["settings"]["seed"], "golden");
    assert_eq!(json["settings"]["replicates"], 1000);
}

const RECORDS: &str = "\
record_id,unit_code,applicant_id,returned_date,due_date,officer_id
R01,U1,A1,2024-03-01,2024-03-05,CB1
R02,U1,A2,05/03/2024,2024-03-05,CB1
R03,U1,A3,2024-03-06,2024-03-05,CB2
R04,U1,A4,2024-03-04,,CB2
R05,U1,A5,,2024-03-05,CB2
R06,U2,A6,2024-03-10,2024-03-05,
R07,U2,A7,2024-03-01,2024-03-01,
R08,U2,A8,2024-31-01,2024-03-01,CB9
R09,U2,A9,2024-12-01,2024-11-30,CB9
R10,U2,A10,2024-03-02,2024-03-03,CB9
R10,U2,A11,2024-03-02,2024-03-03,CB9
R12,U2,A12,2024-03-02,2024-03-03,CB9
";

#[test]
fn timeliness_counts_by_hand_with_a_missing_due_date_and_rejected_rows() {
    let dir = Dir::new();
    let rec = dir.write("records.csv", RECORDS);
    let design = dir.write("design.toml", DESIGN);
    let o = chiso(&[
        "timeliness",
        "--records",
        p_(&rec),
        "--design",
        p_(&design),
        "--out",
        p_(&dir.path("out")),
        // Three of the twelve rows are rejected on purpose.
        "--max-rejected",
        "0.25",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    // U1: early R01, on time R02, late R03 (1 of 3 late = 33.3%); R04 has no due date, R05 is
    // not returned. U2: late R06, on time R07, early R12; R08 is rejected (no 31st month), both
    // R10 rejected (duplicated), R09 outside the window.
    let third = 100.0 / 3.0;
    let want = format!(
        "level,domain,officer_id,records,early,on_time,late,early_pct,on_time_pct,late_pct,late_ceiling_pct,above_ceiling,no_due_date,not_returned\n\
         all,ALL,,6,2,2,2,{third},{third},{third},2,true,1,1\n\
         unit,U1,,3,1,1,1,{third},{third},{third},2,true,1,1\n\
         unit,U2,,3,1,1,1,{third},{third},{third},2,true,0,0\n\
         officer,U1,CB1,2,1,1,0,50,50,0,2,false,0,0\n\
         officer,U1,CB2,1,0,0,1,0,0,100,2,true,1,1\n\
         officer,U2,CB9,1,1,0,0,100,0,0,2,false,0,0\n"
    );
    assert_eq!(dir.read("out/timeliness.csv"), want);
    let rejected = dir.read("out/timeliness_rejected.csv");
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(lines.len(), 4, "{rejected}");
    assert!(
        lines[1].starts_with("9,returned_date,2024-31-01,"),
        "{rejected}"
    );
    assert!(lines[2].starts_with("11,record_id,R10,"), "{rejected}");
    assert!(
        lines[3].starts_with("12,record_id,R10,record_id already on row 11"),
        "{rejected}"
    );
    let (stdout, _) = text(&o);
    assert!(
        stdout.contains("3 rejected, 1 outside the window"),
        "{stdout}"
    );

    // Without a design R09 counts (on U2 and CB9, late); with a 40% ceiling nothing is above.
    let o = chiso(&[
        "timeliness",
        "--records",
        p_(&rec),
        "--late-ceiling",
        "40",
        "--out",
        p_(&dir.path("nowindow")),
        "--max-rejected",
        "0.25",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let t = dir.read("nowindow/timeliness.csv");
    assert!(
        t.contains("\nunit,U2,,4,1,1,2,25,25,50,40,true,0,0\n"),
        "{t}"
    );
    assert!(t.contains("\nunit,U1,,3,1,1,1,"), "{t}");
    assert!(t.contains(&format!(",{third},40,false,1,1\n")), "{t}");
}

#[test]
fn timeliness_refuses_bad_input_with_exit_2_and_no_output() {
    let dir = Dir::new();
    let rec = dir.write(
        "records.csv",
        "record_id,unit_code,returned_date\nR1,U1,2024-01-01\n",
    );
    let o = chiso(&[
        "timeliness",
        "--records",
        p_(&rec),
        "--out",
        p_(&dir.path("out")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("applicant_id"), "{:?}", text(&o));
    let rec = dir.write("ok.csv", RECORDS);
    let o = chiso(&[
        "timeliness",
        "--records",
        p_(&rec),
        "--late-ceiling=-1",
        "--out",
        p_(&dir.path("out")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--late-ceiling"), "{:?}", text(&o));
    assert!(dir.files("out").is_empty());
}

#[test]
fn mapped_columns_reach_timeliness() {
    let dir = Dir::new();
    let rec = dir.write(
        "records.csv",
        "MaHS,MaDV,applicant_id,NgayTra,HanTra,CanBo\nR1,U1,A1,2024-03-02,2024-03-01,X\n",
    );
    let o = chiso(&[
        "timeliness",
        "--records",
        p_(&rec),
        "--columns",
        "record_id=MaHS,unit_code=MaDV,returned_date=NgayTra,due_date=HanTra,officer_id=CanBo",
        "--out",
        p_(&dir.path("out")),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let t = dir.read("out/timeliness.csv");
    assert!(
        t.contains("\nofficer,U1,X,1,0,0,1,0,0,100,2,true,0,0\n"),
        "{t}"
    );
}

#[test]
fn an_officer_who_handled_a_whole_unit_has_the_units_estimate() {
    // The officer rows use the flags module's own estimator; the unit rows come from
    // `chiso::index::compute`. On a domain that is the whole unit they must agree.
    let dir = Dir::new();
    let q_text = r#"
name = "two elements"
[scale]
min = 1
max = 5
satisfied = [4, 5]
dissatisfied = [1, 2]
missing = [9]
[[element]]
code = "E1"
name = "E1"
items = ["Q1", "Q2"]
[[element]]
code = "E2"
name = "E2"
items = ["Q3"]
"#;
    let mut resp = String::from("unit_code,officer_id,Q1,Q2,Q3\n");
    for i in 0..40u32 {
        let unit = if i % 3 == 0 { "U1" } else { "U2" };
        let a = |k: u32| [1, 2, 3, 4, 5, 9][((i * 7 + k * 5) % 6) as usize];
        resp.push_str(&format!("{unit},CB-{unit},{},{},{}\n", a(1), a(2), a(3)));
    }
    let (r, q, p) = (
        dir.write("r.csv", &resp),
        dir.write("q.toml", q_text),
        dir.write("p.csv", "stratum,population\nU1,200\nU2,90\n"),
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
        "--ci",
        "beta",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let rows = read_csv(&out.join("flags.csv"));
    assert_eq!(rows.len(), 4);
    for u in 0..2 {
        let (unit, officer) = (&rows[u], &rows[u + 2]);
        assert_eq!(&officer[1], &unit[1]);
        for c in 5..10 {
            close(&officer[c], unit[c].parse().unwrap());
        }
    }
}

#[test]
fn timeliness_from_a_spreadsheet_equals_timeliness_from_the_csv() {
    let dir = Dir::new();
    let csv_path = dir.write("records.csv", RECORDS);
    csv_to_xlsx(RECORDS, &dir.path("records.xlsx"));
    for (file, out) in [(csv_path, "a"), (dir.path("records.xlsx"), "b")] {
        let o = chiso(&[
            "timeliness",
            "--records",
            p_(&file),
            "--out",
            p_(&dir.path(out)),
            "--max-rejected",
            "0.25",
        ]);
        assert!(o.status.success(), "{:?}", text(&o));
    }
    assert_eq!(dir.read("a/timeliness.csv"), dir.read("b/timeliness.csv"));
    assert_eq!(
        dir.read("a/timeliness_rejected.csv"),
        dir.read("b/timeliness_rejected.csv")
    );
}

#[test]
fn timeliness_keeps_the_time_of_day_where_both_dates_have_one() {
    let dir = Dir::new();
    let rec = dir.write(
        "records.csv",
        "record_id,unit_code,applicant_id,returned_date,due_date,applicant_type\n\
         R1,U1,A1,2025-03-15 17:30,2025-03-15 16:00,Công dân\n\
         R2,U1,A2,15/03/2025 15:00,15/03/2025 16:00,Doanh nghiệp\n\
         R3,U1,A3,17:30 15-03-2025,15.03.2025,Hộ kinh doanh\n\
         R4,U1,A4,15/03/2025,2025-03-15T16:00:00,Hợp tác xã\n\
         R5,U1,A5,2025-03-14 23:59,2025-03-15 08:00,Cá nhân\n\
         R6,U1,A6,2025-03-16 00:00:00,2025-03-15,Cơ quan nhà nước\n\
         R7,U1,A7,2025-03-15 24:00,2025-03-15,Tổ chức\n",
    );
    let run = |out: &str, design: Option<&str>| {
        let out_dir = dir.path(out);
        let mut args = vec![
            "timeliness",
            "--records",
            p_(&rec),
            "--out",
            p_(&out_dir),
            "--max-rejected",
            "0.5",
        ];
        let path;
        if let Some(d) = design {
            path = dir.write("design.toml", d);
            args.extend(["--design", p_(&path)]);
        }
        let o = chiso(&args);
        assert!(o.status.success(), "{:?}", text(&o));
        (
            dir.read(&format!("{out}/timeliness.csv")),
            dir.read(&format!("{out}/timeliness_rejected.csv")),
        )
    };
    // R1 late (17:30 on 16:00), R2 on time (15:00 on 16:00), R3 on time (due at the end of
    // its day), R4 on time (returned on the day, no time), R5 early, R6 late; R7 rejected.
    let (t, rejected) = run("plain", None);
    let all = t.lines().nth(1).unwrap();
    assert!(all.starts_with("all,ALL,,6,1,3,2,"), "{t}");
    assert_eq!(rejected.lines().count(), 2, "{rejected}");
    assert!(
        rejected.contains("8,returned_date,2025-03-15 24:00,\"not a date: expected a date such as"),
        "{rejected}"
    );
    // A design's applicant types: those outside its lists are rejected; its window is by day.
    let design = "[frame]\nwindow = [\"15-03-2025\", \"15.03.2025\"]\n[size]\nmode = \"fixed\"\nn = 1\n\
                  [applicant_types]\ncitizen = [\"Công dân\"]\norganization = [\"Doanh nghiệp\", \"Hộ kinh doanh\", \"Hợp tác xã\", \"Tổ chức\"]\n";
    let (t, rejected) = run("design", Some(design));
    // R5 (Cá nhân) and R6 (Cơ quan nhà nước) rejected as applicant types, R7 as a date; R1 to
    // R4 returned on the 15th, inside the window.
    assert!(
        t.lines().nth(1).unwrap().starts_with("all,ALL,,4,0,3,1,"),
        "{t}"
    );
    assert_eq!(rejected.lines().count(), 4, "{rejected}");
    assert!(
        rejected.contains("applicant_type,Cá nhân,\"unknown applicant_type"),
        "{rejected}"
    );
}
