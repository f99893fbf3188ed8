//! `chiso par`: points, index, intervals and ranks computed by hand; every bad score refused
//! with its row, column and value; rank intervals pinned for a fixed seed.

use std::collections::BTreeMap;

use crate::util::*;

const TOL: f64 = 1e-9;

/// Ten points: field 1 self-assessed (1.1.2 for group `so` only), field 2 from the survey with
/// both conversions.
const FRAMEWORK: &str = r#"
name = "test framework"
total = 10
groups = ["so", "ban"]

[[field]]
code = "1"
name = "Chỉ đạo, điều hành"
[[field.criterion]]
code = "1.1"
name = "Kế hoạch"
max = 4
[[field.criterion.sub]]
code = "1.1.1"
name = "Ban hành"
max = 1.5
[[field.criterion.sub]]
code = "1.1.2"
name = "Hoàn thành"
max = 2.5
groups = ["so"]
[[field.criterion]]
code = "1.2"
name = "Báo cáo"
max = 2

[[field]]
code = "2"
name = "Tác động"
max = 4
[[field.criterion]]
code = "2.1"
name = "Hài lòng chung"
max = 3
source = "survey"
indicator = "overall"
[[field.criterion]]
code = "2.2"
name = "Tiếp cận (điểm trung bình)"
max = 1
source = "survey"
indicator = "element:E1"
conversion = "mean"
"#;

const SCORES: &str = "\
unit_code,unit_name,unit_group,criterion,self_score,appraised_score,note
SO-A,Sở A,so,1.1.1,1.5,1,thiếu tài liệu kiểm chứng
SO-A,Sở A,so,1.1.2,2.5,,
SO-A,Sở A,so,1.2,2,1.5,
SO-B,Sở B,so,1.1.1,1.5,,
SO-B,Sở B,so,1.1.2,2,,
SO-B,Sở B,so,1.2,2,,
BAN-C,Ban C,ban,1.1.1,1,,
BAN-C,Ban C,ban,1.2,1,,
";

const SURVEY: &str = "\
domain,indicator,measure,estimate,std_error,ci_lower,ci_upper,ci_method,n,df
ALL,overall,satisfied_pct,88,1,86,90,logit,300,297
SO-A,overall,satisfied_pct,90,2,85,94,logit,100,99
SO-A,element:E1,mean_score,4.2,0.1,4,4.4,wald,100,99
SO-B,overall,satisfied_pct,80,3,74,86,logit,100,99
SO-B,element:E1,mean_score,3.8,0.2,3.4,4.2,wald,100,99
BAN-C,overall,satisfied_pct,95,0,95,95,logit,100,99
BAN-C,element:E1,mean_score,5,0,5,5,wald,100,99
";

type Rows = Vec<BTreeMap<String, String>>;

fn read_csv(path: &std::path::Path) -> Rows {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            h.iter()
                .zip(rec.unwrap().iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn f(row: &BTreeMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?}", row[col]))
}

fn near(got: f64, want: f64) {
    assert!((got - want).abs() < TOL, "got {got}, want {want}");
}

struct Run {
    dir: Dir,
    out: std::process::Output,
}

fn run(framework: &str, scores: &str, survey: Option<&str>, extra: &[&str]) -> Run {
    let dir = Dir::new();
    let fw = dir.write("framework.toml", framework);
    let sc = dir.write("scores.csv", scores);
    let out = dir.path("out");
    let mut args = vec![
        "par",
        "--framework",
        p(&fw),
        "--scores",
        p(&sc),
        "--out",
        p(&out),
    ];
    let sv;
    if let Some(s) = survey {
        sv = dir.write("indices.csv", s);
        args.extend_from_slice(&["--survey", p(&sv)]);
    }
    args.extend_from_slice(extra);
    let out = chiso(&args);
    Run { dir, out }
}

fn unit<'a>(rows: &'a Rows, code: &str) -> &'a BTreeMap<String, String> {
    rows.iter().find(|r| r["unit_code"] == code).unwrap()
}

#[test]
fn points_index_and_intervals_are_computed_as_by_hand() {
    let r = run(FRAMEWORK, SCORES, Some(SURVEY), &[]);
    assert!(r.out.status.success(), "{:?}", text(&r.out));
    let par = read_csv(&r.dir.path("out/par.csv"));
    assert_eq!(
        par.iter()
            .map(|u| u["unit_code"].as_str())
            .collect::<Vec<_>>(),
        ["BAN-C", "SO-B", "SO-A"],
        "ordered by group, then rank"
    );
    let z = 1.959963984540054; // qnorm(0.975)

    // SO-A: appraised scores take precedence: 1 + 2.5 + 1.5 = 5 self-assessed points;
    // survey: 3 · 90/100 = 2.7 (se 3 · 2/100 = 0.06) and 1 · (4.2 − 1)/(5 − 1) = 0.8
    // (se 0.1/4 = 0.025); 8.5 of 10 points.
    let a = unit(&par, "SO-A");
    near(f(a, "points"), 8.5);
    near(f(a, "max_points"), 10.0);
    near(f(a, "index"), 85.0);
    // Perfectly correlated survey items: se = 100 · (0.06 + 0.025) / 10.
    near(f(a, "std_error"), 0.85);
    near(f(a, "ci_lower"), 85.0 - z * 0.85);
    near(f(a, "ci_upper"), 85.0 + z * 0.85);
    assert_eq!(a["rank"], "2");
    assert_eq!(a["group_size"], "2");
    assert_eq!(a["unit_name"], "Sở A");
    assert_eq!(a["unit_group"], "so");

    // SO-B: 1.5 + 2 + 2 = 5.5; 3 · 0.8 = 2.4 (se 0.09); (3.8 − 1)/4 = 0.7 (se 0.05): 8.6.
    let b = unit(&par, "SO-B");
    near(f(b, "points"), 8.6);
    near(f(b, "index"), 86.0);
    near(f(b, "std_error"), 1.4);
    assert_eq!(b["rank"], "1");

    // BAN-C: 1.1.2 does not apply to `ban`: 1 + 1 self, 3 · 0.95 = 2.85, (5 − 1)/4 = 1;
    // 5.85 of 7.5 points. No sampling error, alone in its group.
    let c = unit(&par, "BAN-C");
    near(f(c, "points"), 5.85);
    near(f(c, "max_points"), 7.5);
    near(f(c, "index"), 78.0);
    near(f(c, "std_error"), 0.0);
    near(f(c, "ci_lower"), 78.0);
    near(f(c, "ci_upper"), 78.0);
    assert_eq!(
        (
            c["rank"].as_str(),
            c["rank_lower"].as_str(),
            c["rank_upper"].as_str(),
            c["group_size"].as_str()
        ),
        ("1", "1", "1", "1")
    );
    // A and B overlap (86 − 85 = 1 against a combined se of about 1.6): each may be first
    // or second.
    for u in [a, b] {
        assert_eq!(
            (u["rank_lower"].as_str(), u["rank_upper"].as_str()),
            ("1", "2")
        );
    }

    let fields = read_csv(&r.dir.path("out/par_fields.csv"));
    let get = |u: &str, fld: &str| {
        fields
            .iter()
            .find(|r| r["unit_code"] == u && r["field"] == fld)
            .unwrap()
    };
    near(f(get("SO-A", "1"), "points"), 5.0);
    near(f(get("SO-A", "1"), "max_points"), 6.0);
    near(f(get("SO-A", "2"), "points"), 3.5);
    near(f(get("BAN-C", "1"), "max_points"), 3.5);
    near(f(get("BAN-C", "2"), "points"), 3.85);
    assert_eq!(get("BAN-C", "1")["field_name"], "Chỉ đạo, điều hành");
    assert_eq!(fields.len(), 6);

    let criteria = read_csv(&r.dir.path("out/par_criteria.csv"));
    let a11 = criteria
        .iter()
        .find(|r| r["unit_code"] == "SO-A" && r["criterion"] == "1.1.1")
        .unwrap();
    assert_eq!(
        (a11["self_score"].as_str(), a11["appraised_score"].as_str()),
        ("1.5", "1")
    );
    near(f(a11, "points"), 1.0);
    assert_eq!(a11["note"], "thiếu tài liệu kiểm chứng");
    assert!(
        !criteria
            .iter()
            .any(|r| r["unit_code"] == "BAN-C" && r["criterion"] == "1.1.2"),
        "a criterion that does not apply is not scored"
    );

    let json: serde_json::Value = serde_json::from_str(&r.dir.read("out/par.json")).unwrap();
    assert_eq!(json["settings"]["seed"], "chiso-par");
    assert_eq!(json["settings"]["replicates"], 1000);
    assert_eq!(json["settings"]["rank_algorithm"], "chiso-par-ranks-v1");
    assert_eq!(json["rows"].as_array().unwrap().len(), 3);
    assert_eq!(
        json["inputs"]["survey_sha256"],
        file_sha(&r.dir.path("indices.csv"))
    );
}

#[test]
fn same_inputs_and_seed_give_identical_files() {
    let one = run(FRAMEWORK, SCORES, Some(SURVEY), &["--seed", "KQXS 2025"]);
    let two = run(FRAMEWORK, SCORES, Some(SURVEY), &["--seed", "KQXS 2025"]);
    for name in ["par.csv", "par_fields.csv", "par_criteria.csv", "par.json"] {
        let path = format!("out/{name}");
        assert_eq!(one.dir.read(&path), two.dir.read(&path), "{name}");
    }
    assert_eq!(
        one.dir.files("out"),
        ["par.csv", "par.json", "par_criteria.csv", "par_fields.csv"]
    );
}

/// Six units of one group whose indices are close: their rank intervals, pinned for the seed.
#[test]
fn rank_intervals_are_pinned_for_a_fixed_seed() {
    let framework = r#"
name = "golden"
total = 10
[[field]]
code = "1"
name = "self"
[[field.criterion]]
code = "1.1"
name = "self"
max = 5
[[field]]
code = "2"
name = "survey"
[[field.criterion]]
code = "2.1"
name = "overall"
max = 5
source = "survey"
indicator = "overall"
"#;
    let mut scores = String::from("unit_code,criterion,self_score,appraised_score\n");
    let mut survey = String::from("domain,indicator,measure,estimate,std_error\n");
    for (code, self_score, est, se) in [
        ("U1", 4.0, 90.0, 1.0),
        ("U2", 4.0, 89.0, 3.0),
        ("U3", 4.0, 86.0, 0.5),
        ("U4", 3.9, 88.0, 4.0),
        ("U5", 3.5, 95.0, 2.0),
        ("U6", 3.0, 70.0, 2.0),
    ] {
        scores.push_str(&format!("{code},1.1,{self_score},\n"));
        survey.push_str(&format!("{code},overall,satisfied_pct,{est},{se}\n"));
    }
    let r = run(
        framework,
        &scores,
        Some(&survey),
        &["--seed", "golden-2025"],
    );
    assert!(r.out.status.success(), "{:?}", text(&r.out));
    let par = read_csv(&r.dir.path("out/par.csv"));
    let got: Vec<String> = par
        .iter()
        .map(|u| {
            format!(
                "{} {} [{}, {}]",
                u["unit_code"], u["rank"], u["rank_lower"], u["rank_upper"]
            )
        })
        .collect();
    // Indices: U1 85, U2 84.5, U3 83, U4 83 (tied: both 3rd), U5 82.5, U6 65.
    assert_eq!(got, GOLDEN_RANKS, "{got:#?}");
    // The deviates behind them are pinned too.
    let z = chiso::par::deviates("golden-2025", "U1", 3);
    assert_eq!(z, GOLDEN_DEVIATES, "{z:?}");
}

const GOLDEN_RANKS: [&str; 6] = [
    "U1 1 [1, 3]",
    "U2 2 [1, 5]",
    "U3 3 [2, 5]",
    "U4 3 [1, 5]",
    "U5 5 [2, 5]",
    "U6 6 [6, 6]",
];
const GOLDEN_DEVIATES: [f64; 3] = [1.391537771852575, -0.6275480571566912, 1.1740553458152538];

/// The deviates as `docs/par.md` specifies them, written here from ChaCha20 and SHA-256.
fn documented_deviates(seed: &str, unit: &str, count: usize) -> Vec<f64> {
    use rand_chacha::ChaCha20Rng;
    use rand_core::{Rng, SeedableRng};
    use sha2::{Digest, Sha256};
    let key: [u8; 32] =
        Sha256::digest([b"chiso-par-ranks-v1\0".as_slice(), seed.as_bytes()].concat()).into();
    let s = Sha256::digest([b"chiso-par-unit-v1\0".as_slice(), unit.as_bytes()].concat());
    let mut rng = ChaCha20Rng::from_seed(key);
    rng.set_stream(u64::from_le_bytes(s[..8].try_into().unwrap()));
    (0..count)
        .map(|_| {
            let a = rng.next_u64() >> 11;
            let b = rng.next_u64() >> 11;
            let u1 = 1.0 - a as f64 / 9007199254740992.0;
            let u2 = b as f64 / 9007199254740992.0;
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        })
        .collect()
}

/// The rank intervals recomputed from the documented rules: one deviate per unit and
/// replicate, points cut to [0, max], ranks with ties sharing the best, type-1 quantiles.
#[test]
fn rank_intervals_follow_the_documented_simulation() {
    // (code, self points, survey estimate, se); max 5 + 5.
    let units = [
        ("U1", 4.0, 90.0, 1.0),
        ("U2", 4.0, 89.0, 3.0),
        ("U3", 4.0, 86.0, 0.5),
        ("U4", 3.9, 88.0, 4.0),
        ("U5", 3.5, 95.0, 2.0),
        ("U6", 3.0, 70.0, 2.0),
    ];
    let r = 1000;
    let z: Vec<Vec<f64>> = units
        .iter()
        .map(|u| documented_deviates("golden-2025", u.0, r))
        .collect();
    assert_eq!(z[0][..3], GOLDEN_DEVIATES);
    assert_eq!(z[3], chiso::par::deviates("golden-2025", "U4", r));
    let mut ranks: Vec<Vec<u32>> = vec![Vec::new(); units.len()];
    for i in 0..r {
        let idx: Vec<f64> = units
            .iter()
            .zip(&z)
            .map(|(u, zu)| {
                let pts = (0.05 * u.2 + zu[i] * 0.05 * u.3).clamp(0.0, 5.0);
                10.0 * (u.1 + pts)
            })
            .collect();
        for (mine, d) in idx.iter().zip(ranks.iter_mut()) {
            let above = idx.iter().filter(|&&v| v > mine + 1e-9).count();
            d.push(1 + above as u32);
        }
    }
    let got: Vec<String> = units
        .iter()
        .zip(ranks.iter_mut())
        .map(|(u, d)| {
            d.sort_unstable();
            // 25th and 975th of 1000.
            format!("{} [{}, {}]", u.0, d[24], d[974])
        })
        .collect();
    let want: Vec<String> = GOLDEN_RANKS
        .iter()
        .map(|g| {
            let parts: Vec<&str> = g.splitn(3, ' ').collect();
            format!("{} {}", parts[0], parts[2])
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn without_unit_group_all_units_form_one_group() {
    let framework = FRAMEWORK
        .replace("groups = [\"so\"]\n", "")
        .replace("groups = [\"so\", \"ban\"]\n", "");
    let scores = "unit_code,criterion,self_score,appraised_score\n\
        X1,1.1.1,1,\nX1,1.1.2,2,\nX1,1.2,2,\n";
    let survey = "domain,indicator,measure,estimate,std_error\n\
        X1,overall,satisfied_pct,100,0\nX1,element:E1,mean_score,1,0\n";
    let r = run(&framework, scores, Some(survey), &[]);
    assert!(r.out.status.success(), "{:?}", text(&r.out));
    let par = read_csv(&r.dir.path("out/par.csv"));
    // 5 self points, 3 · 100/100 = 3, 1 · (1 − 1)/4 = 0.
    near(f(&par[0], "points"), 8.0);
    assert_eq!(par[0]["unit_group"], "");
    assert_eq!(par[0]["group_size"], "1");
}

#[test]
fn scores_are_read_from_a_spreadsheet() {
    let dir = Dir::new();
    let fw = dir.write("framework.toml", FRAMEWORK);
    let sv = dir.write("indices.csv", SURVEY);
    let xlsx = dir.path("scores.xlsx");
    csv_to_xlsx(SCORES, &xlsx);
    let out = dir.path("out");
    let o = chiso(&[
        "par",
        "--framework",
        p(&fw),
        "--scores",
        p(&xlsx),
        "--survey",
        p(&sv),
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let par = read_csv(&out.join("par.csv"));
    near(f(unit(&par, "SO-A"), "index"), 85.0);
}

/// Runs with a changed scores (or survey) file and checks the message and that nothing was
/// written.
fn refused(scores: &str, survey: Option<&str>, wants: &[&str]) {
    let r = run(FRAMEWORK, scores, survey, &[]);
    let (_, err) = text(&r.out);
    assert_eq!(r.out.status.code(), Some(2), "{err}");
    for w in wants {
        assert!(err.contains(w), "{w:?} not in: {err}");
    }
    assert!(r.dir.files("out").is_empty(), "no output after an error");
}

#[test]
fn a_score_above_its_maximum_is_refused() {
    refused(
        &SCORES.replace("SO-A,Sở A,so,1.2,2,1.5", "SO-A,Sở A,so,1.2,2.5,1.5"),
        Some(SURVEY),
        &[
            "scores.csv: row 4, column `self_score`",
            "\"2.5\"",
            "above the criterion's maximum",
            "from 0 to 2",
        ],
    );
}

#[test]
fn a_negative_score_is_refused() {
    refused(
        &SCORES.replace("SO-B,Sở B,so,1.2,2,,", "SO-B,Sở B,so,1.2,2,-1,"),
        Some(SURVEY),
        &["row 7, column `appraised_score`", "\"-1\"", "negative"],
    );
}

#[test]
fn a_score_that_is_not_a_number_is_refused() {
    refused(
        &SCORES.replace("SO-B,Sở B,so,1.1.2,2,,", "SO-B,Sở B,so,1.1.2,1.5 điểm,,"),
        Some(SURVEY),
        &[
            "row 6, column `self_score`",
            "\"1.5 điểm\"",
            "not a number",
            "e.g. 1.5",
        ],
    );
    refused(
        &SCORES.replace("SO-B,Sở B,so,1.1.2,2,,", "SO-B,Sở B,so,1.1.2,,,"),
        Some(SURVEY),
        &["row 6, column `self_score`", "no score"],
    );
}

#[test]
fn an_unknown_criterion_is_refused() {
    refused(
        &format!("{SCORES}SO-B,Sở B,so,9.9,1,,\n"),
        Some(SURVEY),
        &[
            "row 10, column `criterion`",
            "\"9.9\"",
            "not a criterion",
            "1.1.1, 1.1.2, 1.2",
        ],
    );
    // A criterion scored through its sub-criteria.
    refused(
        &format!("{SCORES}SO-B,Sở B,so,1.1,1,,\n"),
        Some(SURVEY),
        &["row 10, column `criterion`", "sub-criteria", "1.1.1, 1.1.2"],
    );
}

#[test]
fn a_criterion_scored_twice_is_refused() {
    refused(
        &format!("{SCORES}SO-A,Sở A,so,1.2,1,,\n"),
        Some(SURVEY),
        &[
            "row 10, column `criterion`",
            "\"1.2\"",
            "scored twice",
            "first at row 4",
        ],
    );
}

#[test]
fn a_unit_missing_a_self_criterion_is_refused() {
    refused(
        &SCORES.replace("SO-B,Sở B,so,1.1.2,2,,\n", ""),
        Some(SURVEY),
        &[
            "row 5, column `unit_code`",
            "\"SO-B\"",
            "no row for the self-assessed criterion `1.1.2`",
        ],
    );
}

#[test]
fn a_survey_criterion_in_the_scores_is_refused() {
    refused(
        &format!("{SCORES}SO-A,Sở A,so,2.1,3,,\n"),
        Some(SURVEY),
        &[
            "row 10, column `criterion`",
            "\"2.1\"",
            "scored from the survey",
        ],
    );
}

#[test]
fn a_criterion_for_another_group_is_refused() {
    refused(
        &format!("{SCORES}BAN-C,Ban C,ban,1.1.2,1,,\n"),
        Some(SURVEY),
        &["row 10, column `criterion`", "applies to group(s) so only"],
    );
}

#[test]
fn a_unit_in_two_groups_or_an_unknown_group_is_refused() {
    refused(
        &SCORES.replace("SO-A,Sở A,so,1.2", "SO-A,Sở A,ban,1.2"),
        Some(SURVEY),
        &[
            "row 4, column `unit_group`",
            "\"ban\"",
            "in group `so` at row 2",
        ],
    );
    refused(
        &SCORES.replace("BAN-C,Ban C,ban,1.1.1", "BAN-C,Ban C,xa,1.1.1"),
        Some(SURVEY),
        &["row 8, column `unit_group`", "\"xa\"", "so, ban"],
    );
}

#[test]
fn a_survey_result_missing_from_indices_is_refused() {
    refused(
        SCORES,
        Some(&SURVEY.replace(
            "SO-B,element:E1,mean_score,3.8,0.2,3.4,4.2,wald,100,99\n",
            "",
        )),
        &[
            "indices.csv: domain `SO-B`, indicator `element:E1`, measure `mean_score`",
            "criterion `2.2`",
        ],
    );
    refused(
        SCORES,
        Some(&SURVEY.replace(
            "BAN-C,overall,satisfied_pct,95,0,95,95,logit,100,99",
            "BAN-C,overall,satisfied_pct,,,,,logit,0,0",
        )),
        &["indices.csv: row 7, column `estimate`", "no estimate"],
    );
}

#[test]
fn a_framework_with_survey_criteria_needs_the_survey() {
    refused(SCORES, None, &["--survey", "2.1, 2.2"]);
}

#[test]
fn the_shipped_frameworks_load_and_total_100() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (file, groups) in [
        ("par-so.toml", vec![("so", 100.0), ("ban", 90.0)]),
        ("par-xa.toml", vec![("", 100.0)]),
        ("par-huyen-truoc-2025.toml", vec![("", 100.0)]),
    ] {
        let fw =
            chiso::par::Framework::load(&std::path::Path::new(root).join("frameworks").join(file))
                .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(fw.total, 100.0, "{file}");
        assert_eq!(fw.fields.len(), 8, "{file}");
        near(fw.fields.iter().map(|f| f.max).sum(), 100.0);
        for (g, max) in groups {
            near(fw.max_points(g), max);
        }
        assert!(fw.needs_survey(), "{file}");
    }
}

/// `chiso index` then `chiso par` with the shipped district framework: the survey points are
/// those of the indices written by `chiso index`, converted as the framework says.
#[test]
fn the_district_framework_scores_the_indices_of_chiso_index() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let q_path = root.join("questionnaires/sipas-5-elements.toml");
    let fw_path = root.join("frameworks/par-huyen-truoc-2025.toml");
    let q = chiso::questionnaire::Questionnaire::load(&q_path).unwrap();
    let fw = chiso::par::Framework::load(&fw_path).unwrap();
    let dir = Dir::new();
    let units = ["H1", "H2", "H3"];
    let mut responses = format!("unit_code,{}\n", q.items.join(","));
    for (u, code) in units.iter().enumerate() {
        for i in 0..20 {
            let answers: Vec<String> = (0..q.items.len())
                .map(|k| {
                    // Units differ by how often the answer is raised to 5.
                    if (i + k) % (u + 2) == 0 {
                        5
                    } else {
                        1 + (i * 7 + k * 3) % 5
                    }
                    .to_string()
                })
                .collect();
            responses.push_str(&format!("{code},{}\n", answers.join(",")));
        }
    }
    let resp = dir.write("responses.csv", &responses);
    let pop = dir.write(
        "population.csv",
        "stratum,population\nH1,500\nH2,800\nH3,300\n",
    );
    let o = chiso(&[
        "index",
        "--responses",
        p(&resp),
        "--questionnaire",
        p(&q_path),
        "--population",
        p(&pop),
        "--out",
        p(&dir.path("indices")),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));

    let mut scores = String::from("unit_code,criterion,self_score,appraised_score\n");
    let mut self_points = 0.0;
    for c in fw.criteria.iter().filter(|c| c.source.as_str() == "self") {
        self_points += 0.8 * c.max;
        for code in units {
            scores.push_str(&format!("{code},{},{},\n", c.code, 0.8 * c.max));
        }
    }
    let sc = dir.write("scores.csv", &scores);
    let o = chiso(&[
        "par",
        "--framework",
        p(&fw_path),
        "--scores",
        p(&sc),
        "--survey",
        p(&dir.path("indices")),
        "--out",
        p(&dir.path("par")),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));

    let indices = read_csv(&dir.path("indices/indices.csv"));
    let est = |domain: &str, indicator: &str, measure: &str| -> (f64, f64) {
        let r = indices
            .iter()
            .find(|r| {
                r["domain"] == domain && r["indicator"] == indicator && r["measure"] == measure
            })
            .unwrap();
        (f(r, "estimate"), f(r, "std_error"))
    };
    let par = read_csv(&dir.path("par/par.csv"));
    assert_eq!(par.len(), 3);
    for code in units {
        // 8.1.1–8.1.5: the elements' share satisfied on 3, 4, 6, 5, 3 points; 8.2: the overall
        // mean score on 6 points.
        let mut points = self_points;
        let mut se = 0.0;
        for (element, max) in [
            ("E1", 3.0),
            ("E2", 4.0),
            ("E3", 6.0),
            ("E4", 5.0),
            ("E5", 3.0),
        ] {
            let (e, s) = est(code, &format!("element:{element}"), "satisfied_pct");
            points += max * e / 100.0;
            se += max * s / 100.0;
        }
        let (m, s) = est(code, "overall", "mean_score");
        points += 6.0 * (m - 1.0) / 4.0;
        se += 6.0 * s / 4.0;
        let u = unit(&par, code);
        near(f(u, "points"), points);
        near(f(u, "max_points"), 100.0);
        near(f(u, "index"), points);
        near(f(u, "std_error"), se);
        assert!(se > 0.0);
    }
    let mut by_index: Vec<(f64, &str)> = par
        .iter()
        .map(|u| (f(u, "index"), u["unit_code"].as_str()))
        .collect();
    by_index.sort_by(|a, b| b.0.total_cmp(&a.0));
    let ranks: Vec<&str> = by_index
        .iter()
        .map(|(_, c)| unit(&par, c)["rank"].as_str())
        .collect();
    assert_eq!(ranks, ["1", "2", "3"]);
}

#[test]
fn a_bad_framework_or_setting_is_refused_before_any_output() {
    let r = run(
        &FRAMEWORK.replace("max = 2.5", "max = 3"),
        SCORES,
        Some(SURVEY),
        &[],
    );
    let (_, err) = text(&r.out);
    assert_eq!(r.out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("framework.toml: criterion \"1.1\" max: 4 is not the sum of its sub-criteria"),
        "{err}"
    );
    assert!(r.dir.files("out").is_empty());

    let r = run(FRAMEWORK, SCORES, Some(SURVEY), &["--level", "95"]);
    let (_, err) = text(&r.out);
    assert_eq!(r.out.status.code(), Some(2), "{err}");
    assert!(err.contains("--level 95: expected a proportion"), "{err}");
    assert!(r.dir.files("out").is_empty());
}

#[test]
fn verify_par_recomputes_every_number_and_names_the_one_changed() {
    let r = run(FRAMEWORK, SCORES, Some(SURVEY), &[]);
    assert!(r.out.status.success(), "{:?}", text(&r.out));
    let d = &r.dir;
    let verify = || {
        let o = chiso(&[
            "verify",
            "--par",
            p(&d.path("out")),
            "--framework",
            p(&d.path("framework.toml")),
            "--scores",
            p(&d.path("scores.csv")),
            "--survey",
            p(&d.path("indices.csv")),
        ]);
        let (a, b) = text(&o);
        (o.status.code().unwrap(), format!("{a}{b}"))
    };
    let (code, out) = verify();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("IDENTICAL"), "{out}");
    // par.json names its inputs.
    let json: serde_json::Value = serde_json::from_str(&d.read("out/par.json")).unwrap();
    let inputs: Vec<&str> = json["provenance"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["input"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["framework", "scores", "survey"]);
    // One index changed in par.csv.
    let csv_text = d.read("out/par.csv");
    let mut lines: Vec<String> = csv_text.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let at = header.iter().position(|h| *h == "index").unwrap();
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    cells[at] = "12.5".into();
    lines[1] = cells.join(",");
    d.write("out/par.csv", &(lines.join("\n") + "\n"));
    let (code, out) = verify();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("par.csv row 2") && out.contains("12.5 published"),
        "{out}"
    );
    // Other scores than the ones the result names.
    d.write("out/par.csv", &csv_text);
    d.write(
        "scores.csv",
        &SCORES.replacen("SO-B,Sở B,so,1.2,2,,", "SO-B,Sở B,so,1.2,1.5,,", 1),
    );
    let (code, out) = verify();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("scores:") && out.contains("is not the file"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// Layouts, decimal commas and column names.

/// The self-assessed scores of `SCORES` without the appraisal and notes, in the long layout.
const LONG_SELF: &str = "\
unit_code,unit_name,unit_group,criterion,self_score,appraised_score,note
SO-A,Sở A,so,1.1.1,1.5,,
SO-A,Sở A,so,1.1.2,2.5,,
SO-A,Sở A,so,1.2,2,,
SO-B,Sở B,so,1.1.1,1.5,,
SO-B,Sở B,so,1.1.2,2,,
SO-B,Sở B,so,1.2,1.25,,
BAN-C,Ban C,ban,1.1.1,1,,
BAN-C,Ban C,ban,1.2,0.5,,
";

/// The same scores in the wide layout, headed by the criteria's codes.
const WIDE: &str = "\
unit_code,unit_name,unit_group,1.1.1,1.1.2,1.2
SO-A,Sở A,so,1.5,2.5,2
SO-B,Sở B,so,1.5,2,1.25
BAN-C,Ban C,ban,1,,0.5
";

/// The bytes of the files of a run, the scores' SHA-256 in `par.json` replaced by `SCORES`.
fn published(r: &Run, scores: &str) -> Vec<(String, String)> {
    assert!(r.out.status.success(), "{:?}", text(&r.out));
    let sha = file_sha(&r.dir.path(scores));
    ["par.csv", "par_fields.csv", "par_criteria.csv", "par.json"]
        .iter()
        .map(|f| {
            let body = r.dir.read(&format!("out/{f}"));
            assert!(*f != "par.json" || body.contains(&sha), "{body}");
            (f.to_string(), body.replace(&sha, "SCORES"))
        })
        .collect()
}

fn assert_same_files(a: &[(String, String)], b: &[(String, String)]) {
    for ((fa, ta), (fb, tb)) in a.iter().zip(b) {
        assert_eq!(fa, fb);
        assert!(ta == tb, "{fa} differs:\n{ta}\n---\n{tb}");
    }
}

#[test]
fn wide_and_long_scores_give_identical_files() {
    let long = published(&run(FRAMEWORK, LONG_SELF, Some(SURVEY), &[]), "scores.csv");
    assert!(
        long[2].1.contains("SO-B,1.2,1,self,1.25,,"),
        "{}",
        long[2].1
    );
    let wide = published(&run(FRAMEWORK, WIDE, Some(SURVEY), &[]), "scores.csv");
    assert_same_files(&long, &wide);
    // Headed by names (decomposed, in capitals) or by code and name, with a column that is
    // not a score (`STT`), the columns and rows in another order, decimal commas.
    let ban_hanh = "BAN HA\u{0300}NH"; // "Ban hành", the name of 1.1.1, decomposed
    let wide = format!(
        "STT,1.2. Báo cáo,unit_group,unit_code,{ban_hanh},Hoàn thành,unit_name\n\
         1,\"0,5\",ban,BAN-C,1,,Ban C\n\
         2,\"1,25\",so,SO-B,\"1,5\",2,Sở B\n\
         3,2,so,SO-A,\"1,5\",\"2,5\",Sở A\n"
    );
    let r = run(FRAMEWORK, &wide, Some(SURVEY), &[]);
    assert_same_files(&long, &published(&r, "scores.csv"));
    // The layout given, and recorded for verify.
    let r = run(FRAMEWORK, WIDE, Some(SURVEY), &["--layout", "wide"]);
    let files = published(&r, "scores.csv");
    assert_same_files(&long[..3], &files[..3]);
    let json: serde_json::Value = serde_json::from_str(&r.dir.read("out/par.json")).unwrap();
    assert_eq!(json["request"]["layout"], "wide");
    let d = &r.dir;
    let o = chiso(&[
        "verify",
        "--par",
        p(&d.path("out")),
        "--framework",
        p(&d.path("framework.toml")),
        "--scores",
        p(&d.path("scores.csv")),
        "--survey",
        p(&d.path("indices.csv")),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("IDENTICAL"), "{out}");
}

#[test]
fn decimal_commas_are_read_in_csv_and_spreadsheet_cells() {
    let long = published(&run(FRAMEWORK, LONG_SELF, Some(SURVEY), &[]), "scores.csv");
    let commas = LONG_SELF
        .replace(",1.5,", ",\"1,5\",")
        .replace(",1.25,", ",\"1,25\",")
        .replace(",0.5,", ",\"0,5\",");
    assert!(commas.contains("\"1,25\""));
    assert_same_files(
        &long,
        &published(&run(FRAMEWORK, &commas, Some(SURVEY), &[]), "scores.csv"),
    );
    // Text cells of a spreadsheet, in both layouts.
    for (name, scores) in [
        ("long", commas.clone()),
        ("wide", WIDE.replace("1.25", "\"1,25\"")),
    ] {
        let dir = Dir::new();
        let fw = dir.write("framework.toml", FRAMEWORK);
        let sv = dir.write("indices.csv", SURVEY);
        let xlsx = dir.path("scores.xlsx");
        csv_to_xlsx(&scores, &xlsx);
        let out = dir.path("out");
        let o = chiso(&[
            "par",
            "--framework",
            p(&fw),
            "--scores",
            p(&xlsx),
            "--survey",
            p(&sv),
            "--out",
            p(&out),
        ]);
        assert!(o.status.success(), "{name}: {:?}", text(&o));
        for (f, body) in &long[..3] {
            assert_eq!(&dir.read(&format!("out/{f}")), body, "{name} {f}");
        }
    }
}

#[test]
fn a_semicolon_export_with_title_rows_and_decimal_commas_is_read() {
    let long = published(&run(FRAMEWORK, WIDE, Some(SURVEY), &[]), "scores.csv");
    // As Excel saves "CSV" where the decimal sign is a comma: semicolons, decimal commas,
    // CRLF, a title row and a blank row above the header.
    let mut rows = csv::Reader::from_reader(WIDE.as_bytes());
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let width = rows.headers().unwrap().len();
    let mut title = vec![String::new(); width];
    title[0] = "BẢNG ĐIỂM TỰ ĐÁNH GIÁ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH".into();
    w.write_record(&title).unwrap();
    w.write_record(vec![String::new(); width]).unwrap();
    w.write_record(rows.headers().unwrap()).unwrap();
    for r in rows.records() {
        let r = r.unwrap();
        w.write_record(r.iter().map(|c| c.replace('.', ",")).collect::<Vec<_>>())
            .unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert!(text.contains(";1,25"), "{text}");
    let got = published(&run(FRAMEWORK, &text, Some(SURVEY), &[]), "scores.csv");
    assert_same_files(&long, &got);
    let given = run(
        FRAMEWORK,
        &text,
        Some(SURVEY),
        &["--delimiter", ";", "--header-row", "3"],
    );
    // The same files, but for the request in par.json, which records what was given.
    let given = published(&given, "scores.csv");
    assert_same_files(&long[..3], &given[..3]);
    assert!(
        given[3].1.contains("\"delimiter\": \";\"") && given[3].1.contains("\"header_row\": 3")
    );
}

#[test]
fn a_thousands_separator_is_refused() {
    for cell in ["1.234,5", "1,234.5", "1,234,5"] {
        refused(
            &SCORES.replace(
                "SO-B,Sở B,so,1.2,2,,",
                &format!("SO-B,Sở B,so,1.2,\"{cell}\",,"),
            ),
            Some(SURVEY),
            &[
                "row 7, column `self_score`",
                &format!("{cell:?}"),
                "thousands separator",
                "e.g. 1.5 or 1,5",
            ],
        );
    }
    let r = run(
        FRAMEWORK,
        &WIDE.replace(",1.25", ",\"1.234,5\""),
        Some(SURVEY),
        &[],
    );
    let (_, err) = text(&r.out);
    assert_eq!(r.out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("row 3, column `1.2`") && err.contains("thousands separator"),
        "{err}"
    );
}

/// Runs on `scores` and checks the refusal: exit 2, the message, no output.
fn refused_with(scores: &str, extra: &[&str], wants: &[&str]) {
    let r = run(FRAMEWORK, scores, Some(SURVEY), extra);
    let (_, err) = text(&r.out);
    assert_eq!(r.out.status.code(), Some(2), "{err}");
    for w in wants {
        assert!(err.contains(w), "{w:?} not in: {err}");
    }
    assert!(r.dir.files("out").is_empty(), "no output after an error");
}

#[test]
fn a_wide_column_that_is_not_a_self_assessed_criterion_is_refused() {
    // A mistyped code, named with its header.
    refused_with(
        &WIDE.replace(",1.2\n", ",1.3\n"),
        &[],
        &[
            "row 1, column `1.3`",
            "`1.3` is not a criterion",
            "1.1.1, 1.1.2, 1.2",
        ],
    );
    refused_with(
        &WIDE.replace(",1.2\n", ",1.21\n"),
        &[],
        &["column `1.21`", "not a criterion"],
    );
    // A subtotal, a survey criterion, a field.
    refused_with(
        &WIDE.replace(",1.2\n", ",1.2,1.1\n"),
        &[],
        &["column `1.1`", "sub-criteria", "1.1.1, 1.1.2"],
    );
    refused_with(
        &WIDE.replace(",1.2\n", ",1.2,2.1\n"),
        &[],
        &[
            "column `2.1`",
            "scored from the survey",
            "remove this column",
        ],
    );
    refused_with(
        &WIDE.replace(",1.2\n", ",1.2,2\n"),
        &[],
        &["column `2`", "field", "subtotals"],
    );
    // Two columns for one criterion.
    refused_with(
        &WIDE.replace(",1.2\n", ",1.2,Báo cáo\n"),
        &[],
        &["column `Báo cáo`", "a second column for criterion `1.2`"],
    );
}

#[test]
fn wide_cells_are_checked_as_long_rows_are() {
    // An empty cell is a missing score.
    refused_with(
        &WIDE.replace("SO-B,Sở B,so,1.5,2,1.25", "SO-B,Sở B,so,1.5,,1.25"),
        &[],
        &["row 3, column `1.1.2`", "no score", "`SO-B`", "`1.1.2`"],
    );
    // A missing column too, naming the columns not read.
    refused_with(
        &WIDE.replace(",1.1.2,", ",Hoan thanh,"),
        &[],
        &[
            "row 2, column `unit_code`",
            "no score for the self-assessed criterion `1.1.2`",
            "not read are: Hoan thanh",
        ],
    );
    // A score for a criterion of another group, above its maximum, a unit twice.
    refused_with(
        &WIDE.replace("BAN-C,Ban C,ban,1,,0.5", "BAN-C,Ban C,ban,1,2,0.5"),
        &[],
        &["row 4, column `1.1.2`", "applies to group(s) so only"],
    );
    refused_with(
        &WIDE.replace("SO-B,Sở B,so,1.5,2,1.25", "SO-B,Sở B,so,1.5,2,2.5"),
        &[],
        &["row 3, column `1.2`", "above the criterion's maximum"],
    );
    refused_with(
        &format!("{WIDE}SO-A,Sở A,so,1,1,1\n"),
        &[],
        &["row 5, column `unit_code`", "listed twice (first at row 2)"],
    );
}

#[test]
fn a_header_of_neither_layout_or_of_both_is_refused() {
    refused_with(
        "unit_code,tieu_chi,diem\nSO-A,1.1.1,1\n",
        &[],
        &[
            "neither layout",
            "long layout has one row per unit and criterion",
            "wide layout has one row per unit",
            "its header is: unit_code, tieu_chi, diem",
        ],
    );
    let both = LONG_SELF
        .replace(",\n", ",,\n")
        .replace("note\n", "note,1.2\n");
    refused_with(
        &both,
        &[],
        &["both the column `criterion`", "(1.2)", "long or wide"],
    );
    // Given, it decides.
    let r = run(FRAMEWORK, &both, Some(SURVEY), &["--layout", "long"]);
    assert!(r.out.status.success(), "{:?}", text(&r.out));
    refused_with(
        WIDE,
        &["--layout", "long"],
        &["missing required column(s) `criterion`"],
    );
    refused_with(
        WIDE,
        &["--layout", "diagonal"],
        &["--layout diagonal", "long", "wide"],
    );
    refused_with(
        LONG_SELF,
        &["--layout", "wide"],
        &["no column is headed by a criterion", "1.1.1, 1.1.2, 1.2"],
    );
}

/// `SCORES` under Vietnamese headers, decomposed (NFD) as some tools write them.
fn vietnamese_scores() -> String {
    use unicode_normalization::UnicodeNormalization;
    let header = "Mã đơn vị,Tên đơn vị,Nhóm,Tiêu chí,Điểm tự chấm,Điểm thẩm định,Ghi chú";
    let nfd: String = header.nfd().collect();
    assert_ne!(nfd, header);
    SCORES.replacen(
        "unit_code,unit_name,unit_group,criterion,self_score,appraised_score,note",
        &nfd,
        1,
    )
}

const VIETNAMESE_COLUMNS: [&str; 10] = [
    "--columns",
    "unit_code=Mã đơn vị,unit_name=Tên đơn vị,unit_group=Nhóm",
    "--columns",
    "criterion=Tiêu chí",
    "--columns",
    "self_score=Điểm tự chấm",
    "--columns",
    "appraised_score=điểm thẩm định",
    "--columns",
    "note=Ghi chú",
];

#[test]
fn columns_map_vietnamese_headers_and_verify_reads_them_back() {
    let plain = published(&run(FRAMEWORK, SCORES, Some(SURVEY), &[]), "scores.csv");
    let r = run(
        FRAMEWORK,
        &vietnamese_scores(),
        Some(SURVEY),
        &VIETNAMESE_COLUMNS,
    );
    let mapped = published(&r, "scores.csv");
    assert_same_files(&plain[..3], &mapped[..3]);
    assert!(mapped[2].1.contains("thiếu tài liệu kiểm chứng"));
    let json: serde_json::Value = serde_json::from_str(&r.dir.read("out/par.json")).unwrap();
    assert_eq!(json["request"]["columns"]["criterion"], "Tiêu chí");
    assert_eq!(
        json["request"]["columns"]["appraised_score"],
        "điểm thẩm định"
    );
    assert!(json["request"].get("layout").is_none());
    let d = &r.dir;
    let verify = || {
        let o = chiso(&[
            "verify",
            "--par",
            p(&d.path("out")),
            "--framework",
            p(&d.path("framework.toml")),
            "--scores",
            p(&d.path("scores.csv")),
            "--survey",
            p(&d.path("indices.csv")),
        ]);
        let (a, b) = text(&o);
        (o.status.code(), format!("{a}{b}"))
    };
    let (code, out) = verify();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("IDENTICAL"), "{out}");
    // Without the mapping recorded, the re-run cannot read the file.
    let mut json = json;
    json["request"].as_object_mut().unwrap().remove("columns");
    d.write(
        "out/par.json",
        &serde_json::to_string_pretty(&json).unwrap(),
    );
    let (code, out) = verify();
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("neither layout"), "{out}");
}

#[test]
fn columns_that_are_not_scores_columns_or_not_in_the_file_are_refused() {
    let vi = vietnamese_scores();
    refused_with(
        &vi,
        &["--columns", "ma_don_vi=Mã đơn vị"],
        &[
            "--columns ma_don_vi=Mã đơn vị",
            "not a column of a scores file",
            "unit_code, criterion",
        ],
    );
    refused_with(
        &vi,
        &["--columns", "unit_code=Mã ĐV"],
        &["--columns unit_code=Mã ĐV", "has no column `Mã ĐV`"],
    );
    refused_with(
        &vi,
        &["--columns", "unit_code=Mã đơn vị,unit_name=mã đơn vị"],
        &["already given to `unit_code`"],
    );
    refused_with(
        WIDE,
        &["--columns", "self_score=1.2"],
        &["--columns self_score=1.2", "long layout"],
    );
    // Without the mapping, the missing columns are named.
    refused_with(
        &vi,
        &["--layout", "long"],
        &["missing required column(s) `unit_code`"],
    );
}
