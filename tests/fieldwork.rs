//! Fieldwork: substitution from the reserves, the substitution log, the responses with their
//! disposition, and the demo's simulated fieldwork.

use chiso::fieldwork::{self, Disposition, Outcome, Rates, Simulation};
use chiso::sample::Role;

use crate::util::*;

/// Two strata; the rows are out of order on purpose (the lists are walked by rank, not by
/// row). Applicant ids, names and phones are personal data.
const SAMPLE: &str = "\
stratum,role,rank,applicant_id,record_id,unit_code,applicant_name,phone
U01,reserve,2,079301000222,HS-U01-R2,U01,Trần Thị Bình,0912000222
U01,official,1,079301000101,HS-U01-O1,U01,Lê Văn An,0912000101
U01,official,2,079301000102,HS-U01-O2,U01,Phạm Thị Chi,0912000102
U01,official,3,079301000103,HS-U01-O3,U01,Vũ Minh Dũng,0912000103
U01,reserve,1,079301000221,HS-U01-R1,U01,Đỗ Ngọc Hà,0912000221
U01,reserve,3,079301000223,HS-U01-R3,U01,Hồ Đức Hải,0912000223
U02,official,1,079302000101,HS-U02-O1,U02,Ngô Văn Long,0912000301
U02,official,2,079302000102,HS-U02-O2,U02,Bùi Thị Mai,0912000302
U02,reserve,1,079302000221,HS-U02-R1,U02,Đặng Hữu Nam,0912000321
";

fn scripted(stratum: &str, role: Role, rank: u64) -> Outcome {
    use Disposition::*;
    Outcome::of(match (stratum, role, rank) {
        // U01: official 1 refuses; reserve 1 refuses too, reserve 2 answers in their place;
        // official 3 is not reached and reserve 3 answers. Official 2 answers.
        ("U01", Role::Official, 1) => Refusal,
        ("U01", Role::Reserve, 1) => Refusal,
        ("U01", Role::Official, 3) => NonContact,
        // U02: both officials fail, one reserve: the stratum ends one place short.
        ("U02", Role::Official, 1) => Ineligible,
        ("U02", Role::Official, 2) => NonContact,
        ("U02", Role::Reserve, 1) => Complete,
        _ => Complete,
    })
}

fn walked(dir: &Dir) -> fieldwork::Fieldwork {
    let lists = fieldwork::read_sample(&dir.write("sample.csv", SAMPLE)).unwrap();
    fieldwork::walk(lists, |s, role, p| scripted(s, role, p.rank))
}

#[test]
fn failures_are_replaced_in_reserve_rank_order_and_a_refusing_reserve_by_the_next() {
    let dir = Dir::new();
    let fw = walked(&dir);
    assert_eq!(
        String::from_utf8(fw.substitutions_csv()).unwrap(),
        "\u{feff}stratum,official_rank,official_record_id,step,role,rank,record_id,outcome,replaced_by_reserve_rank,replaced_by_record_id\n\
         U01,1,HS-U01-O1,1,official,1,HS-U01-O1,refusal,1,HS-U01-R1\n\
         U01,1,HS-U01-O1,2,reserve,1,HS-U01-R1,refusal,2,HS-U01-R2\n\
         U01,3,HS-U01-O3,1,official,3,HS-U01-O3,non_contact,3,HS-U01-R3\n\
         U02,1,HS-U02-O1,1,official,1,HS-U02-O1,ineligible,1,HS-U02-R1\n\
         U02,2,HS-U02-O2,1,official,2,HS-U02-O2,non_contact,,\n"
    );
}

#[test]
fn strata_running_out_of_reserves_are_reported_short() {
    let dir = Dir::new();
    let fw = walked(&dir);
    // U01: 6 contacts (3 officials, 3 reserves), 4 complete, 2 refusals, 1 non-contact…
    assert_eq!(
        String::from_utf8(fw.summary_csv()).unwrap(),
        "\u{feff}stratum,officials,reserves,attempted,complete,partial,refusal,non_contact,ineligible,substituted,reserves_used,respondents,short\n\
         U01,3,3,6,3,0,2,1,0,2,3,3,0\n\
         U02,2,1,3,1,0,0,1,1,1,1,1,1\n\
         ALL,5,4,9,4,0,2,2,1,3,4,4,1\n"
    );
    let short: Vec<(&str, u64)> = fw
        .short_strata()
        .map(|s| (s.stratum.as_str(), s.short))
        .collect();
    assert_eq!(short, [("U02", 1)]);
}

#[test]
fn the_responses_carry_every_contact_with_its_disposition() {
    let dir = Dir::new();
    let fw = walked(&dir);
    let items = vec!["Q01".to_string(), "Q02".to_string()];
    let answers = |_: &str, role: Role, rank: u64| {
        let v = if role == Role::Official { 4 } else { 5 };
        vec![v.to_string(), rank.to_string()]
    };
    assert_eq!(
        String::from_utf8(fw.responses_csv(&items, answers)).unwrap(),
        "applicant_id,stratum,disposition,Q01,Q02\n\
         079301000101,U01,refusal,,\n\
         079301000221,U01,refusal,,\n\
         079301000222,U01,complete,5,2\n\
         079301000102,U01,complete,4,2\n\
         079301000103,U01,non_contact,,\n\
         079301000223,U01,complete,5,3\n\
         079302000101,U02,ineligible,,\n\
         079302000221,U02,complete,5,1\n\
         079302000102,U02,non_contact,,\n"
    );
    assert_eq!(
        String::from_utf8(fw.respondents_csv(&items, answers)).unwrap(),
        "applicant_id,stratum,disposition,Q01,Q02\n\
         079301000222,U01,complete,5,2\n\
         079301000102,U01,complete,4,2\n\
         079301000223,U01,complete,5,3\n\
         079302000221,U02,complete,5,1\n"
    );
}

#[test]
fn the_substitution_log_holds_no_personal_data() {
    let dir = Dir::new();
    let fw = walked(&dir);
    let sim = Simulation::new(9, Rates::new(0.4, 0.3, 0.1, 0.0, 0.0).unwrap())
        .run(fieldwork::read_sample(&dir.path("sample.csv")).unwrap());
    assert!(!sim.substitutions().is_empty());
    for published in [
        fw.substitutions_csv(),
        fw.summary_csv(),
        sim.substitutions_csv(),
        sim.summary_csv(),
    ] {
        let text = String::from_utf8(published).unwrap();
        for row in SAMPLE.lines().skip(1) {
            let cells: Vec<&str> = row.split(',').collect();
            for personal in [cells[3], cells[6], cells[7]] {
                assert!(!text.contains(personal), "{personal} in\n{text}");
            }
        }
    }
}

#[test]
fn a_bad_sample_is_refused_with_its_row_and_column_and_no_applicant_id() {
    let dir = Dir::new();
    // Reserve ranks 1 and 3 of U01: rank 2 is missing.
    let gap: String = SAMPLE
        .lines()
        .filter(|l| !l.starts_with("U01,reserve,2,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let e = fieldwork::read_sample(&dir.write("gap.csv", &gap))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row 6, column `rank`") && e.contains("no rank 2"),
        "{e}"
    );
    let twice = SAMPLE.replace("U01,official,3,", "U01,official,2,");
    let e = fieldwork::read_sample(&dir.write("twice.csv", &twice))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row 5, column `rank`") && e.contains("appears twice"),
        "{e}"
    );
    let role = SAMPLE.replace("U02,reserve,1,", "U02,spare,1,");
    let e = fieldwork::read_sample(&dir.write("role.csv", &role))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row 10, column `role`") && e.contains("`official` or `reserve`"),
        "{e}"
    );
    let empty = SAMPLE.replace("HS-U02-O2", "");
    let e = fieldwork::read_sample(&dir.write("empty.csv", &empty))
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 9, column `record_id`"), "{e}");
    let missing = SAMPLE.replace("rank,", "rang,");
    let e = fieldwork::read_sample(&dir.write("missing.csv", &missing))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing required column(s) `rank`"), "{e}");
}

/// The simulation is pinned: a change here changes the demo's fieldwork for the same seed.
#[test]
fn golden_simulated_outcomes() {
    let sim = Simulation::new(2024, Rates::new(0.3, 0.2, 0.05, 0.1, 0.5).unwrap());
    let got: String = (1..=24)
        .map(
            |rank| match sim.outcome("XA001", Role::Official, rank).disposition {
                Disposition::Complete => 'C',
                Disposition::Partial => 'P',
                Disposition::Refusal => 'R',
                Disposition::NonContact => 'N',
                Disposition::Ineligible => 'I',
            },
        )
        .collect();
    assert_eq!(got, GOLDEN_OUTCOMES);
    assert_eq!(sim.factor("XA001"), GOLDEN_FACTOR);
}

// Checked against an independent computation (Python, with the ChaCha20 of tools/redraw.py).
const GOLDEN_OUTCOMES: &str = "CPNCRNNPRRRRNNRNNNNCNRCR";
const GOLDEN_FACTOR: f64 = 0.9829532492418822;

/// Simulated fieldwork on a drawn sample: the log and the responses, by digest.
fn simulated(seed: u64) -> (String, String) {
    let dir = Dir::new();
    dir.write("records.csv", &records(6));
    let o = sample_cli(&dir, "records.csv", DESIGN, "fieldwork test", "out", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let sample = dir.path("out/sample.csv");
    let fw = Simulation::new(seed, Rates::new(0.2, 0.1, 0.05, 0.1, 0.5).unwrap())
        .run(fieldwork::read_sample(&sample).unwrap());
    let items: Vec<String> = (1..=6).map(|i| format!("Q{i:02}")).collect();
    let answers = chiso::demo::simulate_answers(&sample, &items, seed).unwrap();
    let responses = fw.responses_csv(&items, |s, role, rank| {
        answers.get(s, role, rank).unwrap().to_vec()
    });
    let sha = |b: &[u8]| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(b))
    };
    // The log starts with the byte-order mark (for spreadsheets); its digest is of what
    // follows, as before the mark was added: the rows are unchanged.
    let log = fw.substitutions_csv();
    let rows = log
        .strip_prefix(chiso::files::BOM)
        .expect("substitutions.csv starts with the byte-order mark");
    (sha(rows), sha(&responses))
}

#[test]
fn golden_digests_of_simulated_fieldwork_change_with_the_seed_only() {
    let a = simulated(2024);
    assert_eq!(a, simulated(2024));
    assert_eq!(
        (a.0.as_str(), a.1.as_str()),
        (GOLDEN_LOG_DIGEST, GOLDEN_RESPONSES_DIGEST)
    );
    let b = simulated(2025);
    assert_ne!(a.0, b.0);
    assert_ne!(a.1, b.1);
}

const GOLDEN_LOG_DIGEST: &str = "c61d109cc60ad98c2f6384e3f206a3bbcef3ecb1ebc24d4912aa61a5a569d88e";
const GOLDEN_RESPONSES_DIGEST: &str =
    "e1da80bb7c3d2223a551c6f9d2160660db2b06a94abb37f0093d997807558edd";

#[test]
fn the_demo_logs_substitutions_and_indexes_respondents_only() {
    let dir = Dir::new();
    let out = dir.path("demo");
    let o = chiso(&["demo", "--out", p(&out), "--records", "4000"]);
    let (stdout, err) = text(&o);
    assert!(o.status.success(), "{stdout}{err}");
    // Standard error is not a terminal here: no progress display.
    assert_eq!(err, "");
    assert!(stdout.contains("fieldwork: "), "{stdout}");
    assert_eq!(
        dir.files("demo/fieldwork"),
        ["interviewers.csv", "substitutions.csv", "summary.csv"]
    );
    let log = dir.read("demo/fieldwork/substitutions.csv");
    assert!(log.starts_with(&format!(
        "\u{feff}{}",
        fieldwork::SUBSTITUTION_COLUMNS.join(",")
    )));
    assert!(log.lines().count() > 1, "{log}");
    // Every applicant id of the sample is absent from the published log.
    let mut sample = csv::Reader::from_path(dir.path("demo/sample/sample.csv")).unwrap();
    let ids: Vec<String> = sample
        .records()
        .map(|r| r.unwrap()[3].to_string())
        .collect();
    assert!(ids.iter().all(|id| !log.contains(id.as_str())));

    // The responses: one row per contact, as many respondents as the summary says.
    let mut rdr = csv::Reader::from_path(dir.path("demo/responses.csv")).unwrap();
    let head: Vec<&str> = rdr.headers().unwrap().iter().take(3).collect();
    assert_eq!(head, ["applicant_id", "stratum", "disposition"]);
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let summary = dir.read("demo/fieldwork/summary.csv");
    let all: Vec<u64> = summary
        .lines()
        .last()
        .unwrap()
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(rows.len() as u64, all[2], "attempted");
    let respondents: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| matches!(&r[2], "complete" | "partial"))
        .collect();
    assert_eq!(respondents.len() as u64, all[10], "respondents");
    assert!(
        stdout.contains(&format!("indices: {} respondents", all[10])),
        "{stdout}"
    );

    // The demo's indices are those of the respondents' rows alone.
    let mut only = csv::Writer::from_path(dir.path("respondents.csv")).unwrap();
    only.write_record(rdr.headers().unwrap()).unwrap();
    for r in respondents {
        only.write_record(r).unwrap();
    }
    only.flush().unwrap();
    let again = dir.path("again");
    let o = chiso(&[
        "index",
        "--responses",
        p(&dir.path("respondents.csv")),
        "--questionnaire",
        p(&dir.path("demo/questionnaire.toml")),
        "--sample",
        p(&dir.path("demo/sample")),
        "--out",
        p(&again),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(
        dir.read("again/indices.csv"),
        dir.read("demo/indices/indices.csv")
    );

    // The same demo again: the same fieldwork, byte for byte.
    let o = chiso(&["demo", "--out", p(&dir.path("demo2")), "--records", "4000"]);
    assert!(o.status.success());
    for f in [
        "fieldwork/substitutions.csv",
        "fieldwork/summary.csv",
        "responses.csv",
    ] {
        assert_eq!(
            file_sha(&dir.path(&format!("demo/{f}"))),
            file_sha(&dir.path(&format!("demo2/{f}"))),
            "{f}"
        );
    }
}

/// On a terminal the demo draws progress on standard error; the files are the same.
#[test]
fn the_demo_writes_the_same_files_with_and_without_a_terminal() {
    // `script` (util-linux) runs the demo on a pseudo-terminal.
    let script = std::process::Command::new("script")
        .arg("--version")
        .output();
    if !script.is_ok_and(|o| o.status.success()) {
        eprintln!("`script` is not installed: the terminal run is not checked");
        return;
    }
    let dir = Dir::new();
    let (tty, plain) = (dir.path("tty"), dir.path("plain"));
    let command = format!(
        "'{}' demo --out '{}' --records 2000",
        env!("CARGO_BIN_EXE_chiso"),
        p(&tty)
    );
    let o = std::process::Command::new("script")
        .args(["-qec", &command, p(&dir.path("typescript"))])
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    let o = chiso(&["demo", "--out", p(&plain), "--records", "2000"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let shown = dir.read("typescript");
    assert!(
        [
            "generating records",
            "drawing the sample",
            "simulating fieldwork",
            "computing the indices"
        ]
        .iter()
        .any(|m| shown.contains(m)),
        "{shown}"
    );
    for f in [
        "records.csv",
        "sample/sample.csv",
        "fieldwork/substitutions.csv",
        "fieldwork/summary.csv",
        "responses.csv",
        "indices/indices.csv",
    ] {
        assert_eq!(file_sha(&tty.join(f)), file_sha(&plain.join(f)), "{f}");
    }
}

/// A sample drawn by `chiso sample` into `dir/out`: its people as
/// `(stratum, role, rank, applicant_id)`.
fn drawn(dir: &Dir) -> Vec<(String, String, u64, String)> {
    dir.write("records.csv", &records(6));
    let o = sample_cli(dir, "records.csv", DESIGN, "fieldwork audit", "out", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let mut r = csv::Reader::from_path(dir.path("out/sample.csv")).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].to_string(),
                rec[1].to_string(),
                rec[2].parse().unwrap(),
                rec[3].to_string(),
            )
        })
        .collect()
}

/// The responses for `people`: one row per person for whom `outcome(stratum, role, rank)`
/// gives a disposition, made by interviewer `I1` or `I2`.
fn responses(
    people: &[(String, String, u64, String)],
    outcome: impl Fn(&str, &str, u64) -> Option<&'static str>,
) -> String {
    let mut s = String::from("applicant_id,stratum,disposition,interviewer_id,contact_date\n");
    for (stratum, role, rank, id) in people {
        if let Some(d) = outcome(stratum, role, *rank) {
            s += &format!("{id},{stratum},{d},I{},2024-10-0{}\n", 1 + rank % 2, rank);
        }
    }
    s
}

/// Officials complete, except official 1 of U01 who refuses, replaced by reserve 1.
fn kept(stratum: &str, role: &str, rank: u64) -> Option<&'static str> {
    match (stratum, role, rank) {
        ("U01", "official", 1) => Some("refusal"),
        ("U01", "reserve", 1) => Some("complete"),
        (_, "official", _) => Some("complete"),
        _ => None,
    }
}

fn audit_cli(dir: &Dir, responses_text: &str) -> (i32, String, String) {
    let path = dir.write("responses.csv", responses_text);
    let o = chiso(&[
        "fieldwork",
        "--sample",
        p(&dir.path("out")),
        "--responses",
        p(&path),
        "--out",
        p(&dir.path("audit")),
    ]);
    let (out, err) = text(&o);
    (o.status.code().unwrap(), out, err)
}

#[test]
fn fieldwork_that_kept_the_rule_exits_0_with_its_files() {
    let dir = Dir::new();
    let people = drawn(&dir);
    let (code, out, err) = audit_cli(&dir, &responses(&people, kept));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("the rule of substitution was kept"), "{out}");
    assert!(out.contains("interviewers: 2 with"), "{out}");
    assert_eq!(
        dir.files("audit"),
        ["interviewers.csv", "substitutions.csv", "summary.csv"]
    );
    assert_eq!(
        dir.read("audit/substitutions.csv").lines().nth(1).unwrap(),
        format!(
            "U01,1,{0},1,official,1,{0},refusal,1,{1}",
            record_of(&dir, "U01", "official", 1),
            record_of(&dir, "U01", "reserve", 1)
        )
    );
    let summary = dir.read("audit/summary.csv");
    assert!(
        summary.contains("\nU01,3,2,4,3,0,1,0,0,1,1,3,0\n"),
        "{summary}"
    );
    let rates = dir.read("audit/interviewers.csv");
    assert!(
        rates.starts_with(&format!(
            "\u{feff}{}",
            chiso::files::interviewers::COLUMNS.join(",")
        )),
        "{rates}"
    );
    assert!(rates.contains("\nunit,ALL,"), "{rates}");
    // The files name nobody by applicant id.
    for (_, _, _, id) in &people {
        for f in ["substitutions.csv", "summary.csv", "interviewers.csv"] {
            assert!(!dir.read(&format!("audit/{f}")).contains(id.as_str()));
        }
    }
}

fn record_of(dir: &Dir, stratum: &str, role: &str, rank: u64) -> String {
    let mut r = csv::Reader::from_path(dir.path("out/sample.csv")).unwrap();
    r.records()
        .map(|rec| rec.unwrap())
        .find(|rec| &rec[0] == stratum && &rec[1] == role && rec[2] == *rank.to_string())
        .unwrap()[4]
        .to_string()
}

/// Runs the audit on responses with a breach planted: exit 1, nothing written, the breach
/// on standard output.
fn breach(dir: &Dir, responses_text: &str, expected: &str) -> String {
    let (code, out, err) = audit_cli(dir, responses_text);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err, "");
    assert!(
        out.contains("breach(es) of the rule of substitution"),
        "{out}"
    );
    assert!(out.contains(expected), "{expected} not in\n{out}");
    assert!(dir.files("audit").is_empty(), "nothing is written");
    out
}

#[test]
fn a_reserve_used_before_an_earlier_one_is_a_breach() {
    let dir = Dir::new();
    let people = drawn(&dir);
    let text = responses(&people, |s, role, rank| match (s, role, rank) {
        ("U01", "reserve", 1) => None,
        ("U01", "reserve", 2) => Some("complete"),
        _ => kept(s, role, rank),
    });
    let r2 = record_of(&dir, "U01", "reserve", 2);
    breach(
        &dir,
        &text,
        &format!("stratum U01: reserve 2 ({r2}) used while reserve 1 was not tried"),
    );
}

#[test]
fn a_reserve_used_with_no_failed_official_is_a_breach() {
    let dir = Dir::new();
    let people = drawn(&dir);
    let text = responses(&people, |s, role, rank| match (s, role, rank) {
        ("U02", "reserve", 1) => Some("complete"),
        _ => kept(s, role, rank),
    });
    let r1 = record_of(&dir, "U02", "reserve", 1);
    let out = breach(
        &dir,
        &text,
        &format!("stratum U02: reserve 1 ({r1}) used with no failed official to replace"),
    );
    assert!(out.contains("fieldwork: 1 breach(es)"), "{out}");
}

#[test]
fn an_official_replaced_without_a_failure_outcome_is_a_breach() {
    let dir = Dir::new();
    let people = drawn(&dir);
    let text = responses(&people, |s, role, rank| match (s, role, rank) {
        ("U03", "official", 2) => None,
        ("U03", "reserve", 1) => Some("complete"),
        _ => kept(s, role, rank),
    });
    let o2 = record_of(&dir, "U03", "official", 2);
    breach(
        &dir,
        &text,
        &format!(
            "stratum U03: official 2 ({o2}) replaced (by reserve 1) without a failure outcome"
        ),
    );
}

#[test]
fn a_respondent_outside_the_sample_is_a_breach_named_by_a_masked_id() {
    let dir = Dir::new();
    let people = drawn(&dir);
    let mut text = responses(&people, kept);
    text += "A77-999123,U01,complete,I1,2024-10-03\n";
    let rows = text.lines().count();
    let out = breach(
        &dir,
        &text,
        &format!("responses row {rows}: applicant A77… is not in the sample"),
    );
    assert!(!out.contains("A77-999123"), "{out}");
    for (_, _, _, id) in &people {
        assert!(!out.contains(id.as_str()), "{out}");
    }
}

#[test]
fn every_breach_is_listed_and_officials_without_outcome_or_unreplaced_failures_too() {
    let dir = Dir::new();
    let people = drawn(&dir);
    let text = responses(&people, |s, role, rank| match (s, role, rank) {
        ("U00", "official", 3) => None,
        ("U04", "official", 1) => Some("non_contact"),
        ("U02", "reserve", 1) => Some("complete"),
        _ => kept(s, role, rank),
    });
    let out = breach(&dir, &text, "fieldwork: 3 breach(es)");
    assert!(out.contains("stratum U00: official 3 ("), "{out}");
    assert!(out.contains("has no outcome"), "{out}");
    assert!(
        out.contains("stratum U04: 1 failed contact(s) not replaced although reserve 1"),
        "{out}"
    );
    assert!(out.contains("stratum U02: reserve 1"), "{out}");
}

#[test]
fn a_sample_that_disagrees_with_its_manifest_is_refused() {
    let dir = Dir::new();
    let people = drawn(&dir);
    let sample = dir.read("out/sample.csv");
    std::fs::write(
        dir.path("out/sample.csv"),
        sample.replacen("U01,", "U01 ,", 1),
    )
    .unwrap();
    let (code, out, err) = audit_cli(&dir, &responses(&people, kept));
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("is not the file written with this manifest"),
        "{err}"
    );
    assert!(dir.files("audit").is_empty());
}

#[test]
fn bad_responses_are_refused_with_masked_ids() {
    let dir = Dir::new();
    let people = drawn(&dir);
    let good = responses(&people, kept);
    let bad = good.replacen(",complete,", ",answered,", 1);
    let (code, _, err) = audit_cli(&dir, &bad);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("column `disposition`"), "{err}");
    let first = good.lines().nth(1).unwrap();
    let (code, _, err) = audit_cli(&dir, &format!("{good}{first}\n"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already has a row (row 2)"), "{err}");
    let id = first.split(',').next().unwrap();
    assert!(
        !err.contains(id) && err.contains(&format!("{}…", &id[..3])),
        "{err}"
    );
}

/// The demo's simulated contacts and `chiso fieldwork` on the demo's responses go through the
/// same audit: the same three files, byte for byte.
#[test]
fn the_command_on_the_demo_s_responses_writes_the_demo_s_files() {
    let dir = Dir::new();
    let demo = dir.path("demo");
    let o = chiso(&["demo", "--out", p(&demo), "--records", "2000"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = chiso(&[
        "fieldwork",
        "--sample",
        p(&demo.join("sample")),
        "--responses",
        p(&demo.join("responses.csv")),
        "--out",
        p(&dir.path("audit")),
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    for f in ["substitutions.csv", "summary.csv", "interviewers.csv"] {
        assert_eq!(
            dir.read(&format!("audit/{f}")),
            dir.read(&format!("demo/fieldwork/{f}")),
            "{f}"
        );
    }
    assert!(
        !out.contains("interviewers:"),
        "no interviewer_id column: {out}"
    );
    assert!(out.contains("units: "), "{out}");
}
