//! `chiso index` with a `disposition` column (response rates) and `--invalid-as-missing`.

use crate::util::*;

const QUESTIONNAIRE: &str = r#"
name = "three items"
[scale]
min = 1
max = 5
satisfied = [4, 5]
dissatisfied = [1, 2]
missing = [9]
[[element]]
code = "E1"
name = "E1"
items = ["Q01", "Q02", "Q03"]
"#;

/// Draws records(3) (units of 5, 8 and 11 applicants; 3 officials and 2 reserves each) and
/// returns the sample rows as (stratum, role, rank, applicant_id).
fn drawn(dir: &Dir) -> Vec<(String, String, String, String)> {
    dir.write("records.csv", &records(3));
    let o = sample_cli(dir, "records.csv", DESIGN, "s", "sample", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    csv::Reader::from_path(dir.path("sample/sample.csv"))
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].into(), r[1].into(), r[2].into(), r[3].into())
        })
        .collect()
}

fn id<'a>(
    s: &'a [(String, String, String, String)],
    stratum: &str,
    role: &str,
    rank: &str,
) -> &'a str {
    &s.iter()
        .find(|r| r.0 == stratum && r.1 == role && r.2 == rank)
        .unwrap()
        .3
}

fn run(dir: &Dir, name: &str, text: &str, out: &str, extra: &[&str]) -> std::process::Output {
    let q = dir.write("q.toml", QUESTIONNAIRE);
    let r = dir.write(name, text);
    let (sample, out) = (dir.path("sample"), dir.path(out));
    let mut args = vec![
        "index",
        "--responses",
        p(&r),
        "--questionnaire",
        p(&q),
        "--sample",
        p(&sample),
        "--out",
        p(&out),
    ];
    args.extend_from_slice(extra);
    chiso(&args)
}

#[test]
fn response_rates_by_hand() {
    let dir = Dir::new();
    let s = drawn(&dir);
    let mut resp = String::from("applicant_id,disposition,Q01,Q02,Q03\n");
    for u in ["U00", "U01", "U02"] {
        // Official 1: complete (ineligible in U02); official 2: refusal; official 3: no row;
        // reserve 1: partial; reserve 2: non-contact (spelt with a hyphen).
        if u == "U02" {
            resp.push_str(&format!("{},ineligible,,,\n", id(&s, u, "official", "1")));
        } else {
            resp.push_str(&format!("{},,5,4,2\n", id(&s, u, "official", "1")));
        }
        resp.push_str(&format!("{},refusal,,9,\n", id(&s, u, "official", "2")));
        resp.push_str(&format!("{},partial,4,,\n", id(&s, u, "reserve", "1")));
        resp.push_str(&format!("{},non-contact,,,\n", id(&s, u, "reserve", "2")));
    }
    let o = run(&dir, "r.csv", &resp, "out", &[]);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    // U00, U01: I 1, P 1, R 1, NC 1, unknown 1: RR1 = 1/5, RR2 = 2/5.
    // U02: I 0, P 1, R 1, NC 1, ineligible 1, unknown 1: RR1 = 0, RR2 = 1/4.
    // ALL: I 2, P 3, R 3, NC 3, ineligible 1, unknown 3: RR1 = 2/14, RR2 = 5/14.
    let rates = dir.read("out/response_rates.csv");
    let expected = format!(
        "stratum,complete,partial,refusal,non_contact,ineligible,rr1,rr2,unknown\n\
         U00,1,1,1,1,0,0.2,0.4,1\nU01,1,1,1,1,0,0.2,0.4,1\nU02,0,1,1,1,1,0,0.25,1\n\
         ALL,2,3,3,3,1,{},{},3\n",
        2.0f64 / 14.0,
        5.0f64 / 14.0
    );
    assert_eq!(rates, expected);
    assert!(err.contains("RR1 14.3%, RR2 35.7%"), "{err}");
    let json: serde_json::Value = serde_json::from_str(&dir.read("out/indices.json")).unwrap();
    assert_eq!(json["response_rates"][2]["rr2"], 0.25);
    assert_eq!(json["response_rates"][3]["stratum"], "ALL");
    // Only complete and partial rows are respondents: 2 + 2 + 1, weighted N_h / m_h =
    // 5/2, 8/2 and 11/1, adding up to 5 + 8 + 11 = 24.
    let w = &json["weight_summary"];
    assert_eq!(w["n"], 5);
    assert_eq!(
        (w["sum"].as_f64(), w["min"].as_f64(), w["max"].as_f64()),
        (Some(24.0), Some(2.5), Some(11.0))
    );
    // Q01 answered by the five respondents; Q02 and Q03 only by the two complete ones.
    let csv_text = dir.read("out/indices.csv");
    assert!(
        csv_text.contains("\nALL,item:Q01,satisfied_pct,100,0,"),
        "{csv_text}"
    );
    let q02 = csv_text
        .lines()
        .find(|l| l.starts_with("ALL,item:Q02,satisfied_pct,"))
        .unwrap();
    // Two answers in two strata: no degrees of freedom, so no standard error.
    assert!(
        q02.ends_with(",2,0,not estimable: no degrees of freedom"),
        "{q02}"
    );
    for r in &s {
        assert!(!csv_text.contains(r.3.as_str()) && !rates.contains(r.3.as_str()));
    }
}

#[test]
fn disposition_errors() {
    let dir = Dir::new();
    let s = drawn(&dir);
    let a = id(&s, "U01", "official", "1");
    // A refusal that carries an answer.
    let o = run(
        &dir,
        "refusal.csv",
        &format!("applicant_id,disposition,Q01,Q02,Q03\n{a},refusal,,3,\n"),
        "out",
        &[],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("refusal.csv: row 2, column `Q02`") && err.contains("carries no answers"),
        "{err}"
    );
    // A disposition that is not one of the five.
    let o = run(
        &dir,
        "bad.csv",
        &format!("applicant_id,disposition,Q01,Q02,Q03\n{a},,4,4,4\n{a}x,refused,,,\n"),
        "out",
        &[],
    );
    let (_, err) = text(&o);
    assert!(
        err.contains("bad.csv: row 3, column `disposition`")
            && err.contains("\"refused\"")
            && err.contains("non_contact"),
        "{err}"
    );
    // A refusal must still be a sample member, and once.
    let o = run(
        &dir,
        "stranger.csv",
        "applicant_id,disposition,Q01,Q02,Q03\nZZZ-999,refusal,,,\n",
        "out",
        &[],
    );
    let (_, err) = text(&o);
    assert!(
        err.contains("not in the sample") && !err.contains("999"),
        "{err}"
    );
    let o = run(
        &dir,
        "twice.csv",
        &format!("applicant_id,disposition,Q01,Q02,Q03\n{a},refusal,,,\n{a},,4,4,4\n"),
        "out",
        &[],
    );
    assert!(text(&o).1.contains("already answered on row 2"));
    assert!(!dir.path("out").exists(), "no partial output");
}

#[test]
fn invalid_answers_as_missing_are_counted_and_reported() {
    let dir = Dir::new();
    let s = drawn(&dir);
    let officials: Vec<&str> = s
        .iter()
        .filter(|r| r.1 == "official")
        .map(|r| r.3.as_str())
        .collect();
    let mut resp = String::from("applicant_id,Q01,Q02,Q03\n");
    for (i, a) in officials.iter().enumerate() {
        let q02 = match i {
            1 | 4 => "7",
            _ => "4",
        };
        let q03 = if i == 6 { "x" } else { "2" };
        resp.push_str(&format!("{a},5,{q02},{q03}\n"));
    }
    // By default the first one is refused.
    let o = run(&dir, "r.csv", &resp, "strict", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("r.csv: row 3, column `Q02`"));
    assert!(!dir.path("strict").exists());
    // With the option: read as no answer, counted per item, the first ones named.
    let o = run(&dir, "r.csv", &resp, "out", &["--invalid-as-missing"]);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("3 answer(s) outside the scale read as no answer (Q02: 2, Q03: 1)")
            && err.contains("row 3 `Q02` \"7\"; row 6 `Q02` \"7\"; row 8 `Q03` \"x\""),
        "{err}"
    );
    let json: serde_json::Value = serde_json::from_str(&dir.read("out/indices.json")).unwrap();
    assert_eq!(
        json["invalid_answers"],
        serde_json::json!({"Q01": 0, "Q02": 2, "Q03": 1})
    );
    // Nine respondents: Q02 has 7 answers left, Q03 8; no response_rates without dispositions.
    let csv_text = dir.read("out/indices.csv");
    let n_of = |item: &str| {
        csv_text
            .lines()
            .find(|l| l.starts_with(&format!("ALL,item:{item},satisfied_pct,")))
            .unwrap()
            .split(',')
            .nth(8)
            .unwrap()
            .to_string()
    };
    assert_eq!(
        (n_of("Q01"), n_of("Q02"), n_of("Q03")),
        ("9".into(), "7".into(), "8".into())
    );
    assert!(json.get("response_rates").is_none() && !dir.path("out/response_rates.csv").exists());

    // Answers written as labels: with the option, every one would be no answer and the
    // indices empty; refused instead, naming the first ones.
    let labels: String = resp
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let id = l.split(',').next().unwrap();
                format!("{id},Hài lòng,Rất hài lòng,Bình thường\n")
            }
        })
        .collect();
    let o = run(
        &dir,
        "labels.csv",
        &labels,
        "labels",
        &["--invalid-as-missing"],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "labels.csv: no answer is on the questionnaire's scale (1 to 5): all 27 answers"
        ) && err.contains("row 2 `Q01` \"Hài lòng\""),
        "{err}"
    );
    assert!(!dir.path("labels").exists());
}

#[test]
fn response_rates_without_a_sample_have_no_unknown_outcomes() {
    // With --population there is no list of officials: the rates come from the rows alone,
    // and a stratum of the population file with no row is listed without rates.
    let dir = Dir::new();
    let q = dir.write("q.toml", QUESTIONNAIRE);
    let pop = dir.write("pop.csv", "stratum,population\nX1,50\nX2,40\nX3,10\n");
    let r = dir.write(
        "r.csv",
        "unit_code,disposition,Q01,Q02,Q03\nX1,complete,4,4,4\nX1,refusal,,,\nX1,Partial,5,,\n\
         X2,,2,2,2\nX2,ineligible,,,\nX2,non_contact,,,\n",
    );
    let out = dir.path("out");
    let o = index_with_population(&r, &q, &pop, &out, &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    // X1: I 1, P 1, R 1: RR1 1/3, RR2 2/3. X2: I 1, NC 1 (ineligible left out): 1/2, 1/2.
    // ALL: I 2, P 1, R 1, NC 1: 2/5, 3/5.
    assert_eq!(
        dir.read("out/response_rates.csv"),
        format!(
            "stratum,complete,partial,refusal,non_contact,ineligible,rr1,rr2,unknown\n\
             X1,1,1,1,0,0,{},{},0\nX2,1,0,0,1,1,0.5,0.5,0\nX3,0,0,0,0,0,,,0\n\
             ALL,2,1,1,1,1,0.4,0.6,0\n",
            1.0f64 / 3.0,
            2.0f64 / 3.0
        )
    );
    // Weights: X1 50/2 for its two respondents, X2 40/1.
    let json: serde_json::Value = serde_json::from_str(&dir.read("out/indices.json")).unwrap();
    assert_eq!(json["weight_summary"]["sum"], 90.0);
    assert_eq!(json["weight_summary"]["max"], 40.0);
}

/// A population file typed in decomposed Unicode (NFD) names the strata the responses name in
/// composed form: the response rates are counted on them, in NFC (this stopped the run).
#[test]
fn response_rates_of_a_decomposed_population_file_are_counted_in_nfc() {
    use unicode_normalization::UnicodeNormalization;
    let dir = Dir::new();
    let composed = "XÃ1";
    let decomposed: String = composed.nfd().collect();
    assert_ne!(decomposed, composed);
    let pop = dir.write(
        "p.csv",
        &format!("stratum,population\n{decomposed},100\nB,50\nC,40\n"),
    );
    let mut responses = String::from("unit_code,disposition,Q01,Q02,Q03,Q04,Q05,Q06\n");
    for _ in 0..6 {
        responses.push_str(&format!("{composed},complete,4,5,3,4,5,2\n"));
        responses.push_str("B,complete,3,4,4,5,2,1\n");
    }
    responses.push_str("B,refusal,,,,,,\n");
    // A unit with a refusal only: counted in the rates, not a domain of the indices.
    responses.push_str("C,refusal,,,,,,\n");
    let r = dir.write("r.csv", &responses);
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let out = dir.path("out");
    let o = index_with_population(&r, &q, &pop, &out, &[]);
    assert!(o.status.success(), "{}", text(&o).1);
    let rates = std::fs::read_to_string(out.join("response_rates.csv")).unwrap();
    let lines: Vec<&str> = rates.lines().collect();
    assert!(lines[1].starts_with("B,6,0,1,"), "{rates}");
    assert!(lines[2].starts_with("C,0,0,1,"), "{rates}");
    let indices = std::fs::read_to_string(out.join("indices.csv")).unwrap();
    assert!(!indices.lines().any(|l| l.starts_with("C,")), "{indices}");
    assert!(
        lines[3].starts_with(&format!("{composed},6,0,0,")),
        "{rates}"
    );
}
