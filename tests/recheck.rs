//! `chiso recheck`: the re-check (phúc tra) subsample of completed forms.

use crate::util::*;

/// Responses of a fieldwork: stratum `S{s}` has `1 + 7s` forms, two interviewers, and every
/// fifth form a refusal, every seventh a non-contact, every eleventh ineligible.
pub fn responses() -> Vec<String> {
    let mut rows = Vec::new();
    for s in 0..4 {
        for a in 0..(1 + 7 * s) {
            let d = match a {
                0 => "complete",
                _ if a % 11 == 0 => "ineligible",
                _ if a % 7 == 0 => "non_contact",
                _ if a % 5 == 0 => "refusal",
                _ if a % 4 == 0 => "partial",
                _ => "",
            };
            rows.push(format!("A{s}-{a:03},S{s},IV{},{d},4", (a + s) % 2));
        }
    }
    rows
}

const HEADER: &str = "applicant_id,stratum,interviewer_id,disposition,Q01";

pub fn file(rows: &[String]) -> String {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

pub fn recheck(
    dir: &Dir,
    responses: &str,
    seed: &str,
    share: &str,
    extra: &[&str],
) -> std::process::Output {
    let f = dir.path(responses);
    let out = dir.path("out");
    let mut args = vec![
        "recheck",
        "--responses",
        p(&f),
        "--seed",
        seed,
        "--share",
        share,
        "--out",
        p(&out),
    ];
    args.extend_from_slice(extra);
    chiso(&args)
}

/// The rows of `recheck.csv`, without the `row` column (where a form is in the file).
fn list(dir: &Dir) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(dir.path("out/recheck.csv")).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        chiso::files::recheck::COLUMNS
    );
    r.records()
        .map(|r| r.unwrap().iter().take(7).map(str::to_string).collect())
        .collect()
}

fn run_ok(dir: &Dir, responses: &str, seed: &str, share: &str, extra: &[&str]) -> Vec<Vec<String>> {
    dir.write("responses.csv", responses);
    let o = recheck(dir, "responses.csv", seed, share, extra);
    assert!(o.status.success(), "{:?}", text(&o));
    list(dir)
}

#[test]
fn shuffled_rows_give_the_same_list() {
    let rows = responses();
    let dir = Dir::new();
    let first = run_ok(
        &dir,
        &file(&rows),
        "phúc tra 2024",
        "0.2",
        &["--refusals", "0.5"],
    );
    let mut shuffled = rows.clone();
    shuffled.reverse();
    let n = shuffled.len();
    shuffled.swap(0, n / 2);
    shuffled.rotate_left(5);
    let again = run_ok(
        &dir,
        &file(&shuffled),
        "phúc tra 2024",
        "0.2",
        &["--refusals", "0.5"],
    );
    assert_eq!(first, again);
    // The seed is used in its published form: decomposed accents and spaces do not count.
    let typed = run_ok(
        &dir,
        &file(&rows),
        " phu\u{0301}c tra 2024 ",
        "0.2",
        &["--refusals", "0.5"],
    );
    assert_eq!(first, typed);
    let json: serde_json::Value = serde_json::from_str(&dir.read("out/recheck.json")).unwrap();
    assert_eq!(json["seed"], "phúc tra 2024");
    assert_eq!(json["stream"], "chiso-recheck-v1");
    assert_eq!(
        json["responses"]["sha256"],
        file_sha(&dir.path("responses.csv")).as_str()
    );
}

#[test]
fn a_new_seed_gives_a_new_list() {
    let dir = Dir::new();
    let a = run_ok(&dir, &file(&responses()), "seed one", "0.3", &[]);
    let b = run_ok(&dir, &file(&responses()), "seed two", "0.3", &[]);
    assert_eq!(a.len(), b.len());
    assert_ne!(a, b);
}

#[test]
fn every_stratum_gets_ceil_of_its_share_and_at_least_one() {
    let dir = Dir::new();
    let list = run_ok(&dir, &file(&responses()), "x", "0.1", &[]);
    let json: serde_json::Value = serde_json::from_str(&dir.read("out/recheck.json")).unwrap();
    let groups = json["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 4);
    for g in groups {
        let completed = g["completed"].as_u64().unwrap();
        let chosen = g["completed_chosen"].as_u64().unwrap();
        assert!(chosen >= 1, "{g}");
        assert_eq!(chosen, completed.div_ceil(10), "{g}");
        let stratum = g["group"].as_str().unwrap();
        let in_list = list.iter().filter(|r| r[1] == stratum).count() as u64;
        assert_eq!(in_list, chosen);
        assert_eq!(g["not_completed_chosen"], 0);
    }
    // Only completed (complete or partial) forms are chosen without --refusals.
    assert!(
        list.iter()
            .all(|r| r[5] == "completed" && ["complete", "partial"].contains(&r[3].as_str()))
    );
    // By interviewer: one group per interviewer.
    let list = run_ok(
        &dir,
        &file(&responses()),
        "x",
        "0.1",
        &["--by", "interviewer"],
    );
    let groups: std::collections::BTreeSet<&str> = list.iter().map(|r| r[4].as_str()).collect();
    assert_eq!(groups.into_iter().collect::<Vec<_>>(), ["IV0", "IV1"]);
}

#[test]
fn bad_shares_are_refused_with_nothing_written() {
    let dir = Dir::new();
    dir.write("responses.csv", &file(&responses()));
    for share in ["0", "-0.1", "1.5", "abc", "0.1234567", "NaN"] {
        let o = recheck(&dir, "responses.csv", "x", share, &[]);
        assert_eq!(o.status.code(), Some(2), "{share}: {:?}", text(&o));
        assert!(!dir.path("out/recheck.csv").exists(), "{share}");
    }
    let o = recheck(&dir, "responses.csv", "x", "0.1", &["--refusals", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--refusals"), "{:?}", text(&o));
    let o = recheck(&dir, "responses.csv", "x", "0.1", &["--by", "unit"]);
    assert_eq!(o.status.code(), Some(2));
    let o = recheck(&dir, "responses.csv", "  ", "0.1", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path("out/recheck.csv").exists());
}

#[test]
fn strata_come_from_the_sample_when_the_responses_have_none() {
    let dir = Dir::new();
    dir.write("records.csv", &records(3));
    let o = sample_cli(&dir, "records.csv", DESIGN, "s", "sample", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let mut r = csv::Reader::from_path(dir.path("sample/sample.csv")).unwrap();
    let (mut with, mut without) = (
        String::from("applicant_id,stratum,disposition\n"),
        String::from("applicant_id,disposition\n"),
    );
    for rec in r.deserialize::<std::collections::HashMap<String, String>>() {
        let rec = rec.unwrap();
        with += &format!("{},{},\n", rec["applicant_id"], rec["stratum"]);
        without += &format!("{},\n", rec["applicant_id"]);
    }
    let a = run_ok(&dir, &with, "x", "0.4", &[]);
    dir.write("responses.csv", &without);
    let s = dir.path("sample");
    let o = recheck(&dir, "responses.csv", "x", "0.4", &["--sample", p(&s)]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(a, list(&dir));
    // tools/redraw.py takes the strata from the sample alike.
    let python = dir.path("python.csv");
    let o = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/redraw.py"))
        .args(["--recheck", "--responses", p(&dir.path("responses.csv"))])
        .args([
            "--seed",
            "x",
            "--share",
            "0.4",
            "--sample",
            p(&s),
            "--out",
            p(&python),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert_eq!(dir.read("out/recheck.csv"), dir.read("python.csv"));
    // Without --sample nor a stratum column, refused.
    let o = recheck(&dir, "responses.csv", "x", "0.4", &[]);
    assert_eq!(o.status.code(), Some(2));
}
