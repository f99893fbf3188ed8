//! Text that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+SUM(…)`, `@…`, `-2+3`)
//! in the records, responses and scores: every CSV file chiso writes holds it with a `'` in
//! front, chiso reads its own files back as the text was (so `verify` finds the sample
//! identical, and `index`, `par` and `report` link units and officers), and the workbook
//! holds it as text, never as a formula.

use std::collections::BTreeSet;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::util::*;

const HYPERLINK: &str = "=HYPERLINK(\"http://x\",\"y\")";

/// The units: code, name. Every code and name starts as a formula would.
const UNITS: [(&str, &str); 4] = [
    ("=U1", HYPERLINK),
    ("+U2", "+SUM(A1)"),
    ("@U3", "@cmd"),
    ("-2+3", "-cmd"),
];

/// The unit group of every unit (in the records and the PAR scores).
const GROUP: &str = "=G";

const DESIGN: &str = r#"
[frame]
window = ["2024-01-01", "2024-09-30"]
strata = ["unit_code"]
[size]
mode = "fixed"
n = 12
[reserve]
count = 4
"#;

const QUESTIONNAIRE: &str = r#"
name = "=HYPERLINK(\"http://x\",\"q\")"
[scale]
min = 1
max = 5
satisfied = [4, 5]
dissatisfied = [1, 2]
missing = [9]
[[element]]
code = "E1"
name = "@element"
items = ["Q01", "Q02", "Q03"]
"#;

/// Field and criterion names that start as formulas would, one of them with a tab.
const FRAMEWORK: &str = r#"
name = "=HYPERLINK(\"http://x\",\"par\")"
total = 10
groups = ["=G"]

[[field]]
code = "1"
name = "=HYPERLINK(\"http://x\",\"y\")"
max = 6
[[field.criterion]]
code = "1.1"
name = "@cmd"
max = 6

[[field]]
code = "2"
name = "\tTab"
max = 4
[[field.criterion]]
code = "2.1"
name = "+SUM(A1)"
max = 4
source = "survey"
indicator = "overall"
"#;

/// Writes `rows` as CSV the way an office's export would: the text as it is.
fn office_csv(rows: &[Vec<String>]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// The applicant id of applicant `a` of unit `u`: most start as formulas would, one is a
/// plain negative number, one already starts with `'`.
fn applicant(u: usize, a: usize) -> String {
    match a % 7 {
        0 => format!("=A{u}{a:02}"),
        1 => format!("+{u}{a:02}"),
        2 => format!("@{u}-{a:02}"),
        3 => format!("-{u}{a:02}x"),
        4 => format!("-{u}{a:02}"),
        5 => format!("'={u}{a:02}"),
        _ => format!("{u}-{a:02}"),
    }
}

fn records() -> String {
    let mut rows = vec![
        [
            "record_id",
            "unit_code",
            "unit_name",
            "unit_group",
            "applicant_id",
            "applicant_type",
            "applicant_name",
            "phone",
            "address",
            "officer_id",
            "procedure_code",
            "field",
            "channel",
            "received_date",
            "due_date",
            "returned_date",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (u, (code, name)) in UNITS.iter().enumerate() {
        for a in 0..24 {
            let late = a % 5 == 0;
            rows.push(vec![
                format!("-R{u}{a:02}"),
                code.to_string(),
                name.to_string(),
                GROUP.into(),
                applicant(u, a),
                "citizen".into(),
                if a % 2 == 0 {
                    HYPERLINK.into()
                } else {
                    format!("@Nguyễn {a}")
                },
                format!("+84 9{a:08}"),
                "-Thôn 1".into(),
                format!("{}CB{u}", ["@", "-", "="][a % 3]),
                "=P1".into(),
                "+f".into(),
                "-direct".into(),
                "2024-02-01".into(),
                "2024-02-10".into(),
                if late { "2024-02-15" } else { "2024-02-08" }.into(),
            ]);
        }
    }
    // A rejected row, whose value is quoted in rejected.csv.
    let mut bad = rows[1].clone();
    bad[0] = "=BAD".into();
    bad[4] = "=Z".into();
    bad[15] = "=1+1".into();
    rows.push(bad);
    office_csv(&rows)
}

/// The column `column` of a CSV file chiso wrote, read back without the `'`.
fn column(path: &Path, column: &str) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let i = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("{} has no column {column}", path.display()));
    r.records()
        .map(|rec| chiso::files::restore(&rec.unwrap()[i]).to_string())
        .collect()
}

#[test]
fn formula_like_text_is_written_with_a_quote_read_back_as_it_was_and_kept_as_text() {
    let dir = Dir::new();
    let records = dir.write("records.csv", &records());
    let o = sample_cli(&dir, "records.csv", DESIGN, "=seed", "sample", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let sample = dir.path("sample");

    // The published lists are the lists re-drawn: verify reads sample.csv back as written.
    let o = chiso(&[
        "verify",
        "--records",
        p(&records),
        "--manifest",
        p(&sample.join("manifest.json")),
        "--sample",
        p(&sample.join("sample.csv")),
    ]);
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("IDENTICAL"), "{stdout}");

    // Read back without the `'`, the cells are the records' text.
    let sample_csv = sample.join("sample.csv");
    let ids: BTreeSet<String> = column(&sample_csv, "applicant_id").into_iter().collect();
    let all_ids: BTreeSet<String> = (0..UNITS.len())
        .flat_map(|u| (0..24).map(move |a| applicant(u, a)))
        .collect();
    assert!(ids.is_subset(&all_ids), "{ids:?}");
    assert!(ids.iter().any(|i| i.starts_with('=')) && ids.iter().any(|i| i.starts_with("'=")));
    let names: BTreeSet<String> = column(&sample_csv, "unit_name").into_iter().collect();
    assert_eq!(names, UNITS.iter().map(|u| u.1.to_string()).collect());
    let strata: BTreeSet<String> = column(&sample_csv, "stratum").into_iter().collect();
    assert_eq!(strata, UNITS.iter().map(|u| u.0.to_string()).collect());
    assert!(column(&sample_csv, "applicant_name").contains(&HYPERLINK.to_string()));
    assert!(column(&sample.join("rejected.csv"), "value").contains(&"=1+1".to_string()));

    // Responses from the officials, as an office types them: some identifiers and strata as
    // the records have them, some copied from sample.csv's text with their `'`.
    let mut rdr = csv::Reader::from_path(&sample_csv).unwrap();
    let h = rdr.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (c_stratum, c_role, c_rank, c_id) =
        (at("stratum"), at("role"), at("rank"), at("applicant_id"));
    let mut responses = vec![
        [
            "applicant_id",
            "stratum",
            "disposition",
            "Q01",
            "Q02",
            "Q03",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let mut copied = 0;
    for (k, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        if &rec[c_role] != "official" {
            continue;
        }
        let rank: usize = rec[c_rank].parse().unwrap();
        let as_written = k % 2 == 0;
        let cell = |c: usize| {
            if as_written {
                rec[c].to_string()
            } else {
                chiso::files::restore(&rec[c]).to_string()
            }
        };
        copied += (as_written && rec[c_id].starts_with('\'')) as usize;
        let answer = |q: usize| (1 + (rank * (q + 2) + k) % 5).to_string();
        responses.push(vec![
            cell(c_id),
            cell(c_stratum),
            "complete".into(),
            answer(0),
            answer(1),
            answer(2),
        ]);
    }
    assert!(copied > 0);
    let responses_path = dir.write("responses.csv", &office_csv(&responses));
    let questionnaire = dir.write("questionnaire.toml", QUESTIONNAIRE);
    let o = chiso(&[
        "index",
        "--responses",
        p(&responses_path),
        "--questionnaire",
        p(&questionnaire),
        "--sample",
        p(&sample),
        "--out",
        p(&dir.path("indices")),
        "--min-answers",
        "2",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let indices = dir.path("indices");
    let domains: BTreeSet<String> = column(&indices.join("indices.csv"), "domain")
        .into_iter()
        .collect();
    for (code, _) in UNITS {
        assert!(domains.contains(code), "{domains:?}");
    }
    let officers: BTreeSet<String> = column(&indices.join("flags.csv"), "officer_id")
        .into_iter()
        .collect();
    assert!(
        officers.contains("@CB0") && officers.contains("-CB3"),
        "{officers:?}"
    );
    assert!(column(&indices.join("ranks.csv"), "unit_name").contains(&HYPERLINK.to_string()));
    assert!(indices.join("response_rates.csv").exists());

    let o = chiso(&[
        "timeliness",
        "--records",
        p(&records),
        "--design",
        p(&dir.path("design.toml")),
        "--out",
        p(&dir.path("timeliness")),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let timeliness = dir.path("timeliness/timeliness.csv");
    let domains: BTreeSet<String> = column(&timeliness, "domain").into_iter().collect();
    let officers: BTreeSet<String> = column(&timeliness, "officer_id").into_iter().collect();
    assert!(domains.contains("=U1"), "{domains:?}");
    assert!(officers.contains("=CB0"), "{officers:?}");

    // PAR scores for the units, from an office; the survey criterion from indices.csv.
    let mut scores = vec![
        [
            "unit_code",
            "unit_name",
            "unit_group",
            "criterion",
            "self_score",
            "appraised_score",
            "note",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (k, (code, name)) in UNITS.iter().enumerate() {
        scores.push(vec![
            code.to_string(),
            name.to_string(),
            GROUP.into(),
            "1.1".into(),
            "6".into(),
            format!("{}", 6 - k),
            "@note".into(),
        ]);
    }
    let scores_path = dir.write("scores.csv", &office_csv(&scores));
    let framework = dir.write("framework.toml", FRAMEWORK);
    let o = chiso(&[
        "par",
        "--framework",
        p(&framework),
        "--scores",
        p(&scores_path),
        "--survey",
        p(&indices.join("indices.csv")),
        "--out",
        p(&dir.path("par")),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let par_units: BTreeSet<String> = column(&dir.path("par/par.csv"), "unit_code")
        .into_iter()
        .collect();
    assert_eq!(par_units, UNITS.iter().map(|u| u.0.to_string()).collect());
    let fields: BTreeSet<String> = column(&dir.path("par/par_fields.csv"), "field_name")
        .into_iter()
        .collect();
    assert!(
        fields.contains("\tTab") && fields.contains(HYPERLINK),
        "{fields:?}"
    );

    let o = chiso(&[
        "report",
        "--indices",
        p(&indices),
        "--par",
        p(&dir.path("par")),
        "--timeliness",
        p(&dir.path("timeliness")),
        "--manifest",
        p(&sample.join("manifest.json")),
        "--title",
        "=HYPERLINK(\"http://x\",\"title\")",
        "--out",
        p(&dir.path("report")),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));

    // No CSV file chiso wrote holds a cell that would run as a formula.
    let mut written = Vec::new();
    for out in ["sample", "indices", "timeliness", "par"] {
        written.extend(assert_no_formula_cells(&dir.path(out)));
    }
    for name in [
        "sample.csv",
        "rejected.csv",
        "indices.csv",
        "flags.csv",
        "ranks.csv",
        "response_rates.csv",
        "timeliness.csv",
        "timeliness_rejected.csv",
        "par.csv",
        "par_fields.csv",
        "par_criteria.csv",
    ] {
        assert!(
            written
                .iter()
                .any(|w| Path::new(w).file_name().is_some_and(|f| f == name)),
            "{name} was not checked: {written:?}"
        );
    }

    // The workbook holds the text as text: no cell is a formula.
    let mut book: Xlsx<_> = open_workbook(dir.path("report/report.xlsx")).unwrap();
    let mut texts = BTreeSet::new();
    for sheet in book.sheet_names() {
        let formulas = book.worksheet_formula(&sheet).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "sheet {sheet} has a formula"
        );
        for (_, _, c) in book.worksheet_range(&sheet).unwrap().used_cells() {
            if let Data::String(s) = c {
                texts.insert(s.clone());
            }
        }
    }
    for want in [
        HYPERLINK,
        "+SUM(A1)",
        "@cmd",
        "-cmd",
        "=U1",
        "-2+3",
        "=HYPERLINK(\"http://x\",\"title\")",
    ] {
        assert!(
            texts.contains(want),
            "{want:?} is not a text cell: {texts:?}"
        );
    }
}
